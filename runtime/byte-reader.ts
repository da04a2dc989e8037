import { asDecodeError, DecodeError, fieldPath, type DecodeErrorCode, type Location, type XenImageError } from "./errors.js";
import { HOST_LITTLE_ENDIAN, NUMERIC_ARRAYS, type NumericArrays, type NumericArrayType, swapElements } from "./typed-arrays.js";

// ignoreBOM: a leading U+FEFF is text like any other; dropping it would break exact round trips.
const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const TWO_32 = 0x1_0000_0000;

/** Options for {@link ByteReader}. */
export interface ByteReaderOptions {
  /** Byte order of fields whose schema does not pin one. Default: little-endian. */
  readonly littleEndian?: boolean;
  /** The absolute offset of `bytes[0]` in the whole image, so errors name real file offsets. Default 0. */
  readonly base?: number;
  /** The section the bytes are the body of (`vcpu_context #3`), named in every error. Default: none. */
  readonly section?: string;
}

/**
 * Reads schema types from bytes, front to back. Method names follow the schema's type names (`u32`,
 * `i64`, `bytes`); `…le`/`…be` variants pin the byte order, the plain ones follow `littleEndian`. Every
 * read is bounds-checked and fails with a {@link DecodeError} naming the absolute offset; nothing here
 * allocates more than the bytes it was given justify. Byte runs are views, not copies.
 */
export class ByteReader {
  readonly bytes: Uint8Array;
  readonly view: DataView;
  readonly base: number;
  readonly section: string | undefined;
  littleEndian: boolean;
  /** The next byte to read, relative to `bytes`. */
  pos = 0;

  constructor(bytes: Uint8Array, options: ByteReaderOptions = {}) {
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.littleEndian = options.littleEndian ?? true;
    this.base = options.base ?? 0;
    this.section = options.section;
  }

  /** Bytes left to read. */
  get remaining(): number {
    return this.bytes.length - this.pos;
  }

  /** The absolute offset of the next byte. */
  get offset(): number {
    return this.base + this.pos;
  }

  /**
   * Throws a {@link DecodeError} with `code` (default `invalid`, for rules of other formats) at the
   * current offset (or `at`, relative to `bytes`), naming `path` (element `index`) if given.
   */
  fail(reason: string, at: number = this.pos, path?: string, code: DecodeErrorCode = "invalid", index?: number): never {
    throw new DecodeError(code, reason, this.where(at, fieldPath(path, index)));
  }

  /** The error to throw for anything that escaped a generated decoder while it read field `path`. */
  rethrow(error: unknown, path: string): XenImageError {
    const e = asDecodeError(error, path, this.offset);
    return this.section === undefined ? e : e.within({ section: this.section });
  }

  /**
   * Reads the next nested value (a struct, a switch's case) with `decode`: any error inside it is
   * reported under field `name` (element `index`), so the decoders need no try/catch.
   */
  nested<T>(decode: (r: ByteReader) => T, name: string, index?: number): T {
    try {
      return decode(this);
    } catch (e) {
      throw this.rethrow(e, fieldPath(name, index)!);
    }
  }

  /** {@link nested} at a claimed position `at`. */
  nestedAt<T>(decode: (r: ByteReader, at: number) => T, at: number, name: string, index?: number): T {
    try {
      return decode(this, at);
    } catch (e) {
      throw this.rethrow(e, fieldPath(name, index)!);
    }
  }

  /** Where position `at` (relative to `bytes`) is, for an error. */
  private where(at: number, path?: string): Location {
    return { offset: this.base + at, ...(this.section === undefined ? {} : { section: this.section }), ...(path === undefined ? {} : { path }) };
  }

  /**
   * Claims `n` bytes and returns where they start: one bounds check for a whole fixed-size run. Too few
   * left is a `truncated` DecodeError naming field `name` (element `index`) when given.
   */
  take(n: number, name?: string, index?: number): number {
    const at = this.pos;
    if (n > this.bytes.length - at) {
      throw new DecodeError("truncated", `needs ${n} bytes, ${this.bytes.length - at} left`, this.where(at, fieldPath(name, index)));
    }
    this.pos = at + n;
    return at;
  }

  /** Checks that `n` bytes are left without claiming them: one check before a fixed-size struct. */
  ensure(n: number): void {
    if (n > this.bytes.length - this.pos) {
      throw new DecodeError("truncated", `needs ${n} bytes, ${this.bytes.length - this.pos} left`, this.where(this.pos));
    }
  }

  /** Fails unless the value just read (`width` bytes) equals a schema constant; the error names field `name`. */
  expect(actual: number | bigint, expected: number | bigint, width: number, name?: string): void {
    this.expectAt(actual, expected, this.pos - width, name);
  }

  /** Reads a byte-string constant (a magic number) and fails unless it matches. */
  expectBytes(expected: Uint8Array, name?: string): void {
    this.expectBytesAt(this.take(expected.length, name), expected, name);
  }

  /** {@link expectBytes} at a claimed position. */
  expectBytesAt(at: number, expected: Uint8Array, path?: string): void {
    for (let i = 0; i < expected.length; i++) {
      if (this.bytes[at + i] !== expected[i]) {
        const found = Array.from(this.bytes.subarray(at, at + expected.length), (b) => b.toString(16).padStart(2, "0")).join(" ");
        const wanted = Array.from(expected, (b) => b.toString(16).padStart(2, "0")).join(" ");
        this.fail(`bad magic: expected ${wanted}, found ${found}`, at, path, "magic");
      }
    }
  }

  // Positional reads: `at` is relative to `bytes`, and the caller has claimed the range with take(),
  // so a fixed-size struct costs one bounds check. `le` defaults to the image's byte order. A read that
  // can fail takes the field (and element) its error names as trailing `name` and `index`.
  u8At(at: number): number {
    return this.bytes[at]!;
  }
  i8At(at: number): number {
    return this.view.getInt8(at);
  }
  u16At(at: number, le = this.littleEndian): number {
    return this.view.getUint16(at, le);
  }
  i16At(at: number, le = this.littleEndian): number {
    return this.view.getInt16(at, le);
  }
  u32At(at: number, le = this.littleEndian): number {
    return this.view.getUint32(at, le);
  }
  i32At(at: number, le = this.littleEndian): number {
    return this.view.getInt32(at, le);
  }
  f32At(at: number, le = this.littleEndian): number {
    return this.view.getFloat32(at, le);
  }
  f64At(at: number, le = this.littleEndian): number {
    return this.view.getFloat64(at, le);
  }
  /** The low 32 bits of the u64 at `at`. */
  lo32At(at: number, le = this.littleEndian): number {
    return this.view.getUint32(le ? at : at + 4, le);
  }
  /** The high 32 bits of the u64 at `at`. */
  hi32At(at: number, le = this.littleEndian): number {
    return this.view.getUint32(le ? at + 4 : at, le);
  }
  // Measured on this Node 20 (V8 11.3): getBigUint64 beats assembling two 32-bit halves by about a
  // third, whatever the value. Zero, the commonest u64 in a guest's state (unused trap entries, debug
  // registers, frames), is returned as the literal 0n: every BigInt the engine makes is a new heap
  // object, and an eager vcpu-context decode spent half its time collecting them (bench/RESULTS.md).
  // The zero test is written out in both rather than shared: a helper measured slower here (vcpu decode
  // 6.2-6.4 ms in three of six processes against 4.2-5.1 ms inline), as the extra call defeats inlining.
  u64At(at: number, le = this.littleEndian): bigint {
    const view = this.view;
    if (view.getUint32(at) === 0 && view.getUint32(at + 4) === 0) return 0n;
    return view.getBigUint64(at, le);
  }
  i64At(at: number, le = this.littleEndian): bigint {
    const view = this.view;
    if (view.getUint32(at) === 0 && view.getUint32(at + 4) === 0) return 0n;
    return view.getBigInt64(at, le);
  }
  /** A u64 the schema declared `repr: number`: exact up to 2^53 − 1, rejected above. */
  u64nAt(at: number, le = this.littleEndian, name?: string, index?: number): number {
    const lo = this.view.getUint32(le ? at : at + 4, le);
    const hi = this.view.getUint32(le ? at + 4 : at, le);
    if (hi >= 0x20_0000) this.fail(`value 0x${hi.toString(16)}${lo.toString(16).padStart(8, "0")} exceeds 2^53-1`, at, name, "field-value", index);
    return hi * TWO_32 + lo;
  }
  /** An i64 declared `repr: number`: exact within ±(2^53 − 1), rejected outside. */
  i64nAt(at: number, le = this.littleEndian, name?: string, index?: number): number {
    const v = this.i64At(at, le);
    if (v > 0x1f_ffff_ffff_ffffn || v < -0x1f_ffff_ffff_ffffn) this.fail(`value ${v} is outside ±(2^53-1)`, at, name, "field-value", index);
    return Number(v);
  }
  /** `n` bytes at `at`, as a view (zero-copy). */
  bytesAt(at: number, n: number): Uint8Array {
    return this.bytes.subarray(at, at + n);
  }
  /**
   * `n` elements of `type` at `at` as a typed array (`repr: typed_array`). It is a view sharing memory
   * with the input, like {@link bytesAt}, when the field's byte order is the host's and the element
   * sits at a multiple of its size in the underlying buffer (a typed array cannot start elsewhere);
   * otherwise an exact copy, byte-swapped when the orders differ. Callers that keep the result while
   * reusing the input buffer must copy it (`.slice()`).
   */
  typedArrayAt<K extends NumericArrayType>(type: K, at: number, n: number, le = this.littleEndian): NumericArrays[K] {
    const Typed = NUMERIC_ARRAYS[type];
    const size = Typed.BYTES_PER_ELEMENT;
    const sameOrder = size === 1 || le === HOST_LITTLE_ENDIAN;
    const start = this.bytes.byteOffset + at;
    if (sameOrder && start % size === 0) return new Typed(this.bytes.buffer, start, n);
    const copy = new Typed(n);
    const copyBytes = new Uint8Array((copy as { buffer: ArrayBufferLike }).buffer);
    copyBytes.set(this.bytes.subarray(at, at + n * size));
    if (!sameOrder) swapElements(copyBytes, size);
    return copy;
  }
  /** Fails unless the `n` bytes at `at` are zero (padding, reserved fields). */
  zerosAt(at: number, n: number, path?: string): void {
    // The common paddings (2, 4, 8 bytes) cost one or two word reads; a non-zero word is then
    // searched byte by byte only to name the offending offset.
    if (n === 4 ? this.view.getUint32(at) === 0 : n === 8 ? (this.view.getUint32(at) | this.view.getUint32(at + 4)) === 0 : n === 2 ? this.view.getUint16(at) === 0 : false) return;
    for (let i = at; i < at + n; i++) if (this.bytes[i] !== 0) this.fail("padding or reserved byte is not zero", i, path, "reserved");
  }
  /** Fails unless a value read at `at` equals a schema constant. */
  expectAt(actual: number | bigint, expected: number | bigint, at: number, path?: string): void {
    if (actual !== expected) this.fail(`expected 0x${expected.toString(16)}, found 0x${actual.toString(16)}`, at, path, "magic");
  }

  // Sequential reads: the next bytes. A read that can fail (too few bytes left, a value out of range)
  // names field `name` (element `index`) in its error, so generated decoders track no current field.
  u8(name?: string, index?: number): number {
    return this.bytes[this.take(1, name, index)]!;
  }
  i8(name?: string, index?: number): number {
    return this.view.getInt8(this.take(1, name, index));
  }
  u16(name?: string, index?: number): number {
    return this.u16At(this.take(2, name, index));
  }
  u16le(name?: string, index?: number): number {
    return this.u16At(this.take(2, name, index), true);
  }
  u16be(name?: string, index?: number): number {
    return this.u16At(this.take(2, name, index), false);
  }
  i16(name?: string, index?: number): number {
    return this.i16At(this.take(2, name, index));
  }
  i16le(name?: string, index?: number): number {
    return this.i16At(this.take(2, name, index), true);
  }
  i16be(name?: string, index?: number): number {
    return this.i16At(this.take(2, name, index), false);
  }
  u32(name?: string, index?: number): number {
    return this.u32At(this.take(4, name, index));
  }
  u32le(name?: string, index?: number): number {
    return this.u32At(this.take(4, name, index), true);
  }
  u32be(name?: string, index?: number): number {
    return this.u32At(this.take(4, name, index), false);
  }
  i32(name?: string, index?: number): number {
    return this.i32At(this.take(4, name, index));
  }
  i32le(name?: string, index?: number): number {
    return this.i32At(this.take(4, name, index), true);
  }
  i32be(name?: string, index?: number): number {
    return this.i32At(this.take(4, name, index), false);
  }
  f32(name?: string, index?: number): number {
    return this.f32At(this.take(4, name, index));
  }
  f32le(name?: string, index?: number): number {
    return this.f32At(this.take(4, name, index), true);
  }
  f32be(name?: string, index?: number): number {
    return this.f32At(this.take(4, name, index), false);
  }
  f64(name?: string, index?: number): number {
    return this.f64At(this.take(8, name, index));
  }
  f64le(name?: string, index?: number): number {
    return this.f64At(this.take(8, name, index), true);
  }
  f64be(name?: string, index?: number): number {
    return this.f64At(this.take(8, name, index), false);
  }
  u64(name?: string, index?: number): bigint {
    return this.u64At(this.take(8, name, index));
  }
  u64le(name?: string, index?: number): bigint {
    return this.u64At(this.take(8, name, index), true);
  }
  u64be(name?: string, index?: number): bigint {
    return this.u64At(this.take(8, name, index), false);
  }
  i64(name?: string, index?: number): bigint {
    return this.i64At(this.take(8, name, index));
  }
  i64le(name?: string, index?: number): bigint {
    return this.i64At(this.take(8, name, index), true);
  }
  i64be(name?: string, index?: number): bigint {
    return this.i64At(this.take(8, name, index), false);
  }
  u64n(name?: string, index?: number): number {
    return this.u64nAt(this.take(8, name, index), undefined, name, index);
  }
  u64nle(name?: string, index?: number): number {
    return this.u64nAt(this.take(8, name, index), true, name, index);
  }
  u64nbe(name?: string, index?: number): number {
    return this.u64nAt(this.take(8, name, index), false, name, index);
  }
  i64n(name?: string, index?: number): number {
    return this.i64nAt(this.take(8, name, index), undefined, name, index);
  }
  i64nle(name?: string, index?: number): number {
    return this.i64nAt(this.take(8, name, index), true, name, index);
  }
  i64nbe(name?: string, index?: number): number {
    return this.i64nAt(this.take(8, name, index), false, name, index);
  }

  /** `n` raw bytes as a view into the input (zero-copy). */
  bytesView(n: number, name?: string, index?: number): Uint8Array {
    const at = this.take(n, name, index);
    return this.bytes.subarray(at, at + n);
  }

  /** The next `n` elements of `type` as a typed array: a view or a copy, see {@link typedArrayAt}. */
  typedArray<K extends NumericArrayType>(type: K, n: number, le = this.littleEndian, name?: string): NumericArrays[K] {
    return this.typedArrayAt(type, this.take(n * NUMERIC_ARRAYS[type].BYTES_PER_ELEMENT, name), n, le);
  }

  /**
   * A reader over the next `n` bytes (a view, same byte order and section, offsets still absolute), and
   * skips them here: a length-prefixed body is decoded inside it and cannot read past its own end.
   */
  sub(n: number, name?: string): ByteReader {
    const at = this.take(n, name);
    const options = { littleEndian: this.littleEndian, base: this.base + at };
    return new ByteReader(this.bytes.subarray(at, at + n), this.section === undefined ? options : { ...options, section: this.section });
  }

  /** Everything left, as a view. */
  rest(): Uint8Array {
    return this.bytesView(this.remaining);
  }

  /** A NUL-padded string of `n` bytes. Bytes after the first NUL must be zero, so a round trip is exact. */
  string(n: number, ascii = false, name?: string, index?: number): string {
    return this.stringAt(this.take(n, name, index), n, ascii, name, index);
  }

  /**
   * A text that is the whole of the next `n` bytes (`string: rest`): no terminator, so a NUL is no part
   * of any valid text and is rejected, as a writer refuses to write one.
   */
  text(n: number, ascii = false, name?: string): string {
    const at = this.take(n, name);
    const nul = this.bytes.subarray(at, at + n).indexOf(0);
    if (nul >= 0) this.fail("a NUL byte inside a text that has no terminator", at + nul, name, "string");
    return this.stringAt(at, n, ascii, name);
  }

  /** {@link string} at a claimed position. */
  stringAt(at: number, n: number, ascii = false, name?: string, index?: number): string {
    const raw = this.bytes.subarray(at, at + n);
    let end = raw.indexOf(0);
    if (end < 0) end = n;
    for (let i = end; i < n; i++) if (raw[i] !== 0) this.fail("non-zero byte after the string's terminating NUL", at + i, name, "string", index);
    if (ascii) {
      for (let i = 0; i < end; i++) if (raw[i]! > 0x7f) this.fail("non-ASCII byte in an ASCII string", at + i, name, "string", index);
    }
    try {
      return utf8.decode(raw.subarray(0, end));
    } catch {
      return this.fail("string is not valid UTF-8", at, name, "string", index);
    }
  }

  /** Skips `n` bytes that must all be zero (padding, reserved); `check: false` only skips them. */
  zeros(n: number, check = true, name?: string): void {
    const at = this.take(n, name);
    if (check) this.zerosAt(at, n, name);
  }

  /** Skips zero padding up to the next multiple of `alignment`, counted from `start` (relative to `bytes`). */
  alignTo(alignment: number, start = 0, check = true, name?: string): void {
    const over = (this.pos - start) % alignment;
    if (over !== 0) this.zeros(alignment - over, check, name);
  }

  /**
   * Checks that an array count read from the input fits the bytes left (so no huge allocation); the
   * error names field `name`, the array.
   */
  count(n: number | bigint, elementSize: number, name?: string): number {
    const left = this.remaining;
    if (typeof n === "bigint") n = n > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(n);
    if (elementSize > 0 && n > left / elementSize) {
      this.fail(`count ${n} needs ${n * elementSize} bytes, ${left} left`, this.pos, name, "length");
    }
    return n;
  }

  /** Fails unless every byte was read: a section body must be exactly its fields (the error names field `name`). */
  expectEnd(name?: string): void {
    if (this.pos !== this.bytes.length) this.fail(`${this.bytes.length - this.pos} unexpected trailing bytes`, this.pos, name, "length");
  }
}
