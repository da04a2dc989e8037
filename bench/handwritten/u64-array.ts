/**
 * Hand-written u64 arrays (a p2m frame list after its 16-byte header, a pfn list): the zero-copy way, a
 * BigUint64Array view of the body when it is 8-aligned in memory on a little-endian host (a copy into an
 * aligned buffer otherwise), and two element-by-element ways into a bigint[] for comparison: u32 halves,
 * and DataView.getBigUint64 (slow in Node 20).
 */
import { DecodeError } from "../../runtime/errors.js";

const LITTLE_ENDIAN_HOST = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

function count(body: Uint8Array, skip: number): number {
  const n = (body.length - skip) / 8;
  if (!Number.isInteger(n) || n < 0) throw new DecodeError("invalid", `${body.length - skip} bytes left, not a multiple of 8`, { offset: skip });
  return n;
}

/** The u64s after `skip` bytes as a BigUint64Array: a view when aligned, else an aligned copy. */
export function u64View(body: Uint8Array, skip: number): BigUint64Array {
  const n = count(body, skip);
  const at = body.byteOffset + skip;
  if (LITTLE_ENDIAN_HOST && at % 8 === 0) return new BigUint64Array(body.buffer, at, n);
  const copy = new BigUint64Array(n);
  if (LITTLE_ENDIAN_HOST) {
    new Uint8Array(copy.buffer).set(body.subarray(skip));
  } else {
    const view = new DataView(body.buffer, at, n * 8);
    for (let i = 0; i < n; i++) copy[i] = view.getBigUint64(i * 8, true);
  }
  return copy;
}

/** The u64s after `skip` bytes as bigints, each read as two u32 halves. */
export function u64Halves(body: Uint8Array, skip: number): bigint[] {
  const n = count(body, skip);
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const out: bigint[] = [];
  for (let i = 0, at = skip; i < n; i++, at += 8) {
    const lo = view.getUint32(at, true);
    const hi = view.getUint32(at + 4, true);
    out.push(hi === 0 ? BigInt(lo) : (BigInt(hi) << 32n) | BigInt(lo));
  }
  return out;
}

/** The u64s after `skip` bytes as bigints, each read with DataView.getBigUint64. */
export function u64GetBig(body: Uint8Array, skip: number): bigint[] {
  const n = count(body, skip);
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const out: bigint[] = [];
  for (let i = 0, at = skip; i < n; i++, at += 8) out.push(view.getBigUint64(at, true));
  return out;
}
