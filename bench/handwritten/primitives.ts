/**
 * The few helpers the hand-written codecs share: a u64 read as two u32 halves (faster than
 * getBigUint64 in Node 20), its number-mode twin, and checked writes. They are small enough that V8
 * inlines them into every caller, so the codecs built on them are straight-line DataView code with
 * constant offsets, as a careful engineer would write it by hand.
 *
 * The hand-written codecs keep the same contract as the generated ones, so a ratio measures the code,
 * not a difference in features: one bounds check per record, zero padding checked on decode, every
 * value range-checked on encode, failures as DecodeError/EncodeError with the offset.
 */
import { DecodeError, EncodeError } from "../../runtime/errors.js";

const TWO_32 = 4294967296;
const U64_MAX = 0xffff_ffff_ffff_ffffn;

/** A little-endian u64 as a bigint; values whose high half is zero skip the shift. */
export function u64(view: DataView, at: number): bigint {
  const lo = view.getUint32(at, true);
  const hi = view.getUint32(at + 4, true);
  return hi === 0 ? BigInt(lo) : (BigInt(hi) << 32n) | BigInt(lo);
}

/** A little-endian u64 as the nearest number (exact up to 2^53, like binary-parser's and Kaitai's). */
export function u64n(view: DataView, at: number): number {
  return view.getUint32(at + 4, true) * TWO_32 + view.getUint32(at, true);
}

/** Fails unless `count` records of `size` bytes exactly fill `bytes` (what a section table promises). */
export function checkRecords(bytes: Uint8Array, count: number, size: number): void {
  if (count * size !== bytes.length) {
    throw new DecodeError("invalid", `${count} entries of ${size} bytes do not fill the ${bytes.length}-byte body`, { offset: 0 });
  }
}

/** The error for non-zero padding at `at`. */
export function badPadding(at: number): DecodeError {
  return new DecodeError("invalid", "padding or reserved byte is not zero", { offset: at });
}

/** The error for a value that does not fit its field at `at`. */
export function badValue(at: number, value: unknown, type: string): EncodeError {
  return new EncodeError("invalid-value", `${String(value)} is not a valid ${type}`, { offset: at });
}

export function setU8(view: DataView, at: number, v: number): void {
  if ((v & 0xff) !== v) throw badValue(at, v, "u8");
  view.setUint8(at, v);
}

export function setU16(view: DataView, at: number, v: number): void {
  if ((v & 0xffff) !== v) throw badValue(at, v, "u16");
  view.setUint16(at, v, true);
}

export function setU32(view: DataView, at: number, v: number): void {
  if (v >>> 0 !== v) throw badValue(at, v, "u32");
  view.setUint32(at, v, true);
}

/** A bigint u64 as two u32 halves (setBigUint64 is markedly slower in Node 20). */
export function setU64(view: DataView, at: number, v: bigint): void {
  if (typeof v !== "bigint" || v < 0n || v > U64_MAX) throw badValue(at, v, "u64");
  view.setUint32(at, Number(v & 0xffff_ffffn), true);
  view.setUint32(at + 4, Number(v >> 32n), true);
}

/** A number-mode u64: any integer in 0 … 2^64 − 1 (exact up to 2^53). */
export function setU64n(view: DataView, at: number, v: number): void {
  if (!(v >= 0 && v < 18446744073709551616 && Number.isInteger(v))) throw badValue(at, v, "u64");
  const lo = v % TWO_32;
  view.setUint32(at, lo, true);
  view.setUint32(at + 4, (v - lo) / TWO_32, true);
}

/** Copies a fixed-length byte field. */
export function setBytes(out: Uint8Array, at: number, v: Uint8Array, length: number): void {
  if (!(v instanceof Uint8Array) || v.length !== length) throw badValue(at, v, `${length}-byte array`);
  out.set(v, at);
}

/** Checks a fixed-length array field. */
export function checkArray(at: number, v: unknown, length: number): void {
  if (!Array.isArray(v) || v.length !== length) throw badValue(at, v, `${length}-element array`);
}
