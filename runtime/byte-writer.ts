import { asEncodeError, EncodeError, fieldPath, type XenImageError } from "./errors.js";
import { HOST_LITTLE_ENDIAN, NUMERIC_ARRAYS, type NumericArrays, type NumericArrayType, swapElements } from "./typed-arrays.js";

const utf8 = new TextEncoder();

/** Options for {@link ByteWriter}. */
export interface ByteWriterOptions {
  /** Byte order of fields whose schema does not pin one. Default: little-endian. */
  readonly littleEndian?: boolean;
  /** First buffer size in bytes; it doubles as needed. Default 4096. */
  readonly initialCapacity?: number;
}

/**
 * Writes schema types into a growable buffer (pre-allocated, doubling). Every value is range-checked:
 * an out-of-range number is an {@link EncodeError}, never a silent wrap-around as DataView would do.
 */
export class ByteWriter {
  private buffer: Uint8Array;
  private view: DataView;
  littleEndian: boolean;
  /** Bytes written so far; the next write goes here. */
  pos = 0;

  constructor(options: ByteWriterOptions = {}) {
    this.buffer = new Uint8Array(options.initialCapacity ?? 4096);
    this.view = new DataView(this.buffer.buffer);
    this.littleEndian = options.littleEndian ?? true;
  }

  /** Throws an {@link EncodeError} at the current offset, naming field `name` (element `index`) when given. */
  fail(reason: string, at = this.pos, name?: string, index?: number): never {
    throw new EncodeError("invalid-value", reason, { offset: at, path: fieldPath(name, index) });
  }

  /** The error to throw for anything that escaped a generated encoder while it wrote field `path`. */
  rethrow(error: unknown, path: string): XenImageError {
    return asEncodeError(error, path, this.pos);
  }

  /**
   * Writes the nested value `v` (a struct, a switch's case) next, with `encode`: any error inside it,
   * a foreign one too (a TypeError from a null struct), is an EncodeError reported under field `name`
   * (element `index`), so the encoders need no try/catch.
   */
  nested<T>(encode: (w: ByteWriter, v: T) => void, v: T, name: string, index?: number): void {
    try {
      encode(this, v);
    } catch (e) {
      throw this.rethrow(e, fieldPath(name, index)!);
    }
  }

  /**
   * Writes a nested value (a struct) with `encode` at `at`: any error inside it, a foreign one too (a
   * TypeError from a null struct), is an EncodeError reported under field `name` (element `index`) when
   * given, so the encoders need no try/catch.
   */
  nestedAt<T>(encode: (w: ByteWriter, v: T, at: number) => void, at: number, v: T, name?: string, index?: number): void {
    try {
      encode(this, v, at);
    } catch (e) {
      throw this.rethrow(e, fieldPath(name, index) ?? "");
    }
  }

  /** Checks that field `name` holds an array, of exactly `n` elements when given, before it is written. */
  array(v: unknown, name: string, n?: number): void {
    if (!Array.isArray(v)) this.fail("an array is expected", this.pos, name);
    if (n !== undefined && v.length !== n) this.fail(`${v.length} elements given, exactly ${n} expected`, this.pos, name);
  }

  /**
   * The length of field `counted`'s value (an array, a typed array, a byte run), for the count `name`
   * written before it: a value without one is an EncodeError naming the count, not a TypeError.
   */
  lengthOf(v: { readonly length: number }, name: string, counted: string): number {
    // Only a value without a length fails here; one of the wrong kind (a string) fails as `counted` is written.
    if (typeof (v as { length?: unknown } | null | undefined)?.length !== "number") this.fail(`${counted} is not an array or a byte run`, this.pos, name);
    return v.length;
  }

  /** Checks that field `name` at `at` holds an array of exactly `n` elements. */
  arrayAt(v: unknown, n: number, at: number, name: string): void {
    if (!Array.isArray(v) || v.length !== n) this.fail(`${Array.isArray(v) ? v.length : "no"} elements given, exactly ${n} expected`, at, name);
  }

  /**
   * Makes room for `n` more bytes at the current position without claiming them: a value is checked
   * and written there before `pos` moves, so a rejected value leaves the writer as it was.
   */
  private room(n: number): number {
    const at = this.pos;
    this.reserve(n);
    this.pos = at;
    return at;
  }

  /**
   * {@link reserve} for a struct value `v` about to be written there: a value that is not an object
   * is an EncodeError here, not a TypeError from reading its first field.
   */
  reserveFor(v: unknown, n: number): number {
    this.objectAt(v, this.pos);
    return this.reserve(n);
  }

  /**
   * Checks that the value of field `name` (element `index`) at `at` is an object (a struct's or a
   * bit-field word's fields): otherwise an EncodeError, where reading a field of it would be a TypeError.
   */
  objectAt(v: unknown, at: number, name?: string, index?: number): void {
    if (typeof v !== "object" || v === null) this.fail(`${v === null ? "null" : typeof v} given, an object is expected`, at, name, index);
  }

  /**
   * Makes room for `n` more bytes and returns where they start. Growing replaces `buffer` and `view`,
   * so callers reserve first and only then touch them (`this.view.set…(this.reserve(…))` would write
   * into the old buffer: the member is evaluated before the argument).
   */
  reserve(n: number): number {
    const at = this.pos;
    const needed = at + n;
    if (needed > this.buffer.length) {
      let size = Math.max(64, this.buffer.length * 2);
      while (size < needed) size *= 2;
      const grown = new Uint8Array(size);
      grown.set(this.buffer.subarray(0, at));
      this.buffer = grown;
      this.view = new DataView(grown.buffer);
    }
    this.pos = needed;
    return at;
  }

  private int(v: number, min: number, max: number, type: string, at = this.pos, name?: string, index?: number): void {
    if (!(Number.isInteger(v) && v >= min && v <= max)) this.invalid(v, type, at, name, index);
  }

  private invalid(v: unknown, type: string, at: number, name: string | undefined, index: number | undefined): never {
    this.fail(`${String(v)} is not a valid ${type}`, at, name, index);
  }

  // Positional writes: `at` is a position returned by reserve(), so a fixed-size struct grows the
  // buffer once. Values are range-checked like the sequential writes; `le` defaults to the byte order.
  // Integers up to 32 bits are checked by truncating to the type and comparing (a fraction, a value out
  // of range or NaN comes back different; the typeof test keeps a bigint from throwing a TypeError),
  // which V8 compiles to a few instructions: the range form cost cpuid_leaf encode about 10 %.
  // The trailing `name` and `index` are the field (and element) a failure names: generated encoders
  // pass them instead of tracking the field being written.
  u8At(at: number, v: number, name?: string, index?: number): void {
    if (typeof v !== "number" || (v & 0xff) !== v) this.invalid(v, "u8", at, name, index);
    this.buffer[at] = v;
  }
  i8At(at: number, v: number, name?: string, index?: number): void {
    if (typeof v !== "number" || (v << 24) >> 24 !== v) this.invalid(v, "i8", at, name, index);
    this.view.setInt8(at, v);
  }
  u16At(at: number, v: number, le = this.littleEndian, name?: string, index?: number): void {
    if (typeof v !== "number" || (v & 0xffff) !== v) this.invalid(v, "u16", at, name, index);
    this.view.setUint16(at, v, le);
  }
  i16At(at: number, v: number, le = this.littleEndian, name?: string, index?: number): void {
    if (typeof v !== "number" || (v << 16) >> 16 !== v) this.invalid(v, "i16", at, name, index);
    this.view.setInt16(at, v, le);
  }
  u32At(at: number, v: number, le = this.littleEndian, name?: string, index?: number): void {
    if (typeof v !== "number" || v >>> 0 !== v) this.invalid(v, "u32", at, name, index);
    this.view.setUint32(at, v, le);
  }
  i32At(at: number, v: number, le = this.littleEndian, name?: string, index?: number): void {
    if (typeof v !== "number" || (v | 0) !== v) this.invalid(v, "i32", at, name, index);
    this.view.setInt32(at, v, le);
  }
  f32At(at: number, v: number, le = this.littleEndian, name?: string, index?: number): void {
    if (typeof v !== "number") this.fail(`${String(v)} is not a valid f32`, at, name, index);
    this.view.setFloat32(at, v, le);
  }
  f64At(at: number, v: number, le = this.littleEndian, name?: string, index?: number): void {
    if (typeof v !== "number") this.fail(`${String(v)} is not a valid f64`, at, name, index);
    this.view.setFloat64(at, v, le);
  }
  /** A u64 given as its two 32-bit halves (bit-field words are assembled that way). */
  halvesAt(at: number, lo: number, hi: number, le = this.littleEndian): void {
    this.view.setUint32(le ? at : at + 4, lo >>> 0, le);
    this.view.setUint32(le ? at + 4 : at, hi >>> 0, le);
  }
  // Measured on this Node 20 (V8 11.3): setBigUint64 is about 2.5× faster than splitting the value
  // into 32-bit halves with BigInt arithmetic, but slower than two u32 writes of zero, the commonest
  // value, which skip the range check too (vcpu-context encode about 25 % faster, bench/RESULTS.md).
  // The range check is one truncation (BigInt.asUintN) rather than two comparisons: hvm_hw_cpu encode
  // about 5 % faster.
  u64At(at: number, v: bigint, le = this.littleEndian, name?: string, index?: number): void {
    if (v === 0n) return this.zero64At(at);
    if (typeof v !== "bigint" || BigInt.asUintN(64, v) !== v) this.invalid(v, "u64 (a bigint is expected)", at, name, index);
    this.view.setBigUint64(at, v, le);
  }
  i64At(at: number, v: bigint, le = this.littleEndian, name?: string, index?: number): void {
    if (v === 0n) return this.zero64At(at);
    if (typeof v !== "bigint" || BigInt.asIntN(64, v) !== v) this.invalid(v, "i64 (a bigint is expected)", at, name, index);
    this.view.setBigInt64(at, v, le);
  }
  private zero64At(at: number): void {
    this.view.setUint32(at, 0);
    this.view.setUint32(at + 4, 0);
  }
  /** A u64 the schema declared `repr: number`. */
  u64nAt(at: number, v: number, le = this.littleEndian, name?: string, index?: number): void {
    this.int(v, 0, Number.MAX_SAFE_INTEGER, "u64 (number)", at, name, index);
    this.halvesAt(at, v % 0x1_0000_0000, Math.floor(v / 0x1_0000_0000), le);
  }
  i64nAt(at: number, v: number, le = this.littleEndian, name?: string, index?: number): void {
    this.int(v, -Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, "i64 (number)", at, name, index);
    this.i64At(at, BigInt(v), le);
  }
  /** Exactly `n` raw bytes at `at`. */
  bytesAt(at: number, v: Uint8Array, n: number, name?: string, index?: number): void {
    if (!(v instanceof Uint8Array)) this.fail("a Uint8Array is expected", at, name, index);
    if (v.length !== n) this.fail(`${v.length} bytes given, exactly ${n} expected`, at, name, index);
    this.buffer.set(v, at);
  }
  /**
   * A typed array of `type` at a reserved position (`repr: typed_array`), `n` elements when given:
   * one copy of its bytes when the field's byte order is the host's, byte-swapped after the copy
   * otherwise. Anything but the matching typed array is an EncodeError (a bigint[] for a u64 field too).
   */
  typedArrayAt<K extends NumericArrayType>(type: K, at: number, v: NumericArrays[K], n?: number, le = this.littleEndian, name?: string): void {
    const Typed = NUMERIC_ARRAYS[type];
    if (!(v instanceof Typed)) this.fail(`a ${Typed.name} is expected`, at, name);
    if (n !== undefined && v.length !== n) this.fail(`${v.length} elements given, exactly ${n} expected`, at, name);
    const size = Typed.BYTES_PER_ELEMENT;
    const source = new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
    this.buffer.set(source, at);
    if (size > 1 && le !== HOST_LITTLE_ENDIAN) swapElements(this.buffer.subarray(at, at + source.length), size);
  }
  /** Zero bytes at `at` (padding and reserved fields of a fixed-size struct). */
  zerosAt(at: number, n: number): void {
    this.buffer.fill(0, at, at + n);
  }

  // Sequential writes: the next bytes. A rejected value is an EncodeError naming field `name` (element
  // `index`) and leaves the writer as it was, so generated encoders track no current field.
  u8(v: number, name?: string, index?: number): void {
    this.u8At(this.room(1), v, name, index);
    this.pos += 1;
  }
  i8(v: number, name?: string, index?: number): void {
    this.i8At(this.room(1), v, name, index);
    this.pos += 1;
  }
  u16(v: number, le = this.littleEndian, name?: string, index?: number): void {
    this.u16At(this.room(2), v, le, name, index);
    this.pos += 2;
  }
  u16le(v: number, name?: string, index?: number): void {
    this.u16(v, true, name, index);
  }
  u16be(v: number, name?: string, index?: number): void {
    this.u16(v, false, name, index);
  }
  i16(v: number, le = this.littleEndian, name?: string, index?: number): void {
    this.i16At(this.room(2), v, le, name, index);
    this.pos += 2;
  }
  i16le(v: number, name?: string, index?: number): void {
    this.i16(v, true, name, index);
  }
  i16be(v: number, name?: string, index?: number): void {
    this.i16(v, false, name, index);
  }
  u32(v: number, le = this.littleEndian, name?: string, index?: number): void {
    this.u32At(this.room(4), v, le, name, index);
    this.pos += 4;
  }
  u32le(v: number, name?: string, index?: number): void {
    this.u32(v, true, name, index);
  }
  u32be(v: number, name?: string, index?: number): void {
    this.u32(v, false, name, index);
  }
  i32(v: number, le = this.littleEndian, name?: string, index?: number): void {
    this.i32At(this.room(4), v, le, name, index);
    this.pos += 4;
  }
  i32le(v: number, name?: string, index?: number): void {
    this.i32(v, true, name, index);
  }
  i32be(v: number, name?: string, index?: number): void {
    this.i32(v, false, name, index);
  }
  f32(v: number, le = this.littleEndian, name?: string, index?: number): void {
    this.f32At(this.room(4), v, le, name, index);
    this.pos += 4;
  }
  f32le(v: number, name?: string, index?: number): void {
    this.f32(v, true, name, index);
  }
  f32be(v: number, name?: string, index?: number): void {
    this.f32(v, false, name, index);
  }
  f64(v: number, le = this.littleEndian, name?: string, index?: number): void {
    this.f64At(this.room(8), v, le, name, index);
    this.pos += 8;
  }
  f64le(v: number, name?: string, index?: number): void {
    this.f64(v, true, name, index);
  }
  f64be(v: number, name?: string, index?: number): void {
    this.f64(v, false, name, index);
  }
  u64(v: bigint, le = this.littleEndian, name?: string, index?: number): void {
    this.u64At(this.room(8), v, le, name, index);
    this.pos += 8;
  }
  u64le(v: bigint, name?: string, index?: number): void {
    this.u64(v, true, name, index);
  }
  u64be(v: bigint, name?: string, index?: number): void {
    this.u64(v, false, name, index);
  }
  i64(v: bigint, le = this.littleEndian, name?: string, index?: number): void {
    this.i64At(this.room(8), v, le, name, index);
    this.pos += 8;
  }
  i64le(v: bigint, name?: string, index?: number): void {
    this.i64(v, true, name, index);
  }
  i64be(v: bigint, name?: string, index?: number): void {
    this.i64(v, false, name, index);
  }
  u64n(v: number, le = this.littleEndian, name?: string, index?: number): void {
    this.u64nAt(this.room(8), v, le, name, index);
    this.pos += 8;
  }
  u64nle(v: number, name?: string, index?: number): void {
    this.u64n(v, true, name, index);
  }
  u64nbe(v: number, name?: string, index?: number): void {
    this.u64n(v, false, name, index);
  }
  i64n(v: number, le = this.littleEndian, name?: string, index?: number): void {
    this.i64nAt(this.room(8), v, le, name, index);
    this.pos += 8;
  }
  i64nle(v: number, name?: string, index?: number): void {
    this.i64n(v, true, name, index);
  }
  i64nbe(v: number, name?: string, index?: number): void {
    this.i64n(v, false, name, index);
  }

  /** Checks that a bit field's value fits `width` bits and returns it as a bigint (for 64-bit words); a failure names the word's position `at`. */
  bits64(v: number | bigint, width: number, at = this.pos, name?: string, index?: number): bigint {
    const b = typeof v === "bigint" ? v : Number.isInteger(v) ? BigInt(v) : -1n;
    if (b < 0n || b >= 1n << BigInt(width)) this.fail(`${String(v)} does not fit ${width} bits`, at, name, index);
    return b;
  }

  /** Checks that a bit field's value fits `width` (≤ 32) bits; a failure names the word's position `at`. */
  bits32(v: number, width: number, at = this.pos, name?: string, index?: number): number {
    if (!(Number.isInteger(v) && v >= 0 && v < 2 ** width)) this.fail(`${String(v)} does not fit ${width} bits`, at, name, index);
    return v;
  }

  /** Raw bytes; with `length`, they must be exactly that long. */
  bytes(v: Uint8Array, length?: number, name?: string, index?: number): void {
    if (!(v instanceof Uint8Array)) this.fail("a Uint8Array is expected", this.pos, name, index);
    if (length !== undefined && v.length !== length) this.fail(`${v.length} bytes given, exactly ${length} expected`, this.pos, name, index);
    const at = this.reserve(v.length);
    this.buffer.set(v, at);
  }

  /** A typed array of `type`, `n` elements when given: see {@link typedArrayAt}. */
  typedArray<K extends NumericArrayType>(type: K, v: NumericArrays[K], n?: number, le = this.littleEndian, name?: string): void {
    const Typed = NUMERIC_ARRAYS[type];
    if (!(v instanceof Typed)) this.fail(`a ${Typed.name} is expected`, this.pos, name);
    if (n !== undefined && v.length !== n) this.fail(`${v.length} elements given, exactly ${n} expected`, this.pos, name);
    this.typedArrayAt(type, this.room(v.byteLength), v, n, le, name);
    this.pos += v.byteLength;
  }

  private encodeString(v: string, ascii: boolean, at: number, name?: string, index?: number): Uint8Array {
    if (typeof v !== "string") this.fail("a string is expected", at, name, index);
    const encoded = utf8.encode(v);
    if (encoded.includes(0)) this.fail("the string contains a NUL character", at, name, index);
    if (ascii && encoded.some((b) => b > 0x7f)) this.fail("the string is not ASCII", at, name, index);
    return encoded;
  }

  /** A string NUL-padded to `n` bytes (it may fill them all); `n` undefined: exactly its own bytes. */
  string(v: string, n?: number, ascii = false, name?: string, index?: number): void {
    const encoded = this.encodeString(v, ascii, this.pos, name, index);
    if (n === undefined) {
      const at = this.reserve(encoded.length);
      this.buffer.set(encoded, at);
      return;
    }
    this.padded(encoded, this.room(n), n, name, index);
    this.pos += n;
  }

  /** A string NUL-padded to `n` bytes at a reserved position. */
  stringAt(at: number, v: string, n: number, ascii = false, name?: string, index?: number): void {
    this.padded(this.encodeString(v, ascii, at, name, index), at, n, name, index);
  }

  private padded(encoded: Uint8Array, at: number, n: number, name: string | undefined, index: number | undefined): void {
    if (encoded.length > n) this.fail(`the string needs ${encoded.length} bytes, at most ${n} fit`, at, name, index);
    this.buffer.set(encoded, at);
    this.buffer.fill(0, at + encoded.length, at + n);
  }

  /** `n` zero bytes (padding, reserved fields). */
  zeros(n: number): void {
    const at = this.reserve(n);
    this.buffer.fill(0, at, at + n);
  }

  /** Zero padding up to the next multiple of `alignment`, counted from `start`. */
  alignTo(alignment: number, start = 0): void {
    const over = (this.pos - start) % alignment;
    if (over !== 0) this.zeros(alignment - over);
  }

  /** Overwrites a u8 already written (a length known only later). */
  patchU8(at: number, v: number, name?: string): void {
    this.int(v, 0, 0xff, "u8", at, name);
    this.buffer[at] = v;
  }

  /** Overwrites a u16 already written. */
  patchU16(at: number, v: number, le = this.littleEndian, name?: string): void {
    this.int(v, 0, 0xffff, "u16", at, name);
    this.view.setUint16(at, v, le);
  }

  /** Overwrites a u32 already written (a CRC or a count known only later). */
  patchU32(at: number, v: number, le = this.littleEndian, name?: string): void {
    this.int(v, 0, 0xffff_ffff, "u32", at, name);
    this.view.setUint32(at, v, le);
  }

  /** Overwrites a u64 already written. */
  patchU64(at: number, v: bigint, le = this.littleEndian, name?: string): void {
    if (typeof v !== "bigint" || BigInt.asUintN(64, v) !== v) this.fail(`${String(v)} is not a valid u64`, at, name);
    this.view.setUint32(le ? at : at + 4, Number(v & 0xffff_ffffn), le);
    this.view.setUint32(le ? at + 4 : at, Number(v >> 32n), le);
  }


  /** The bytes written, as a view of exactly that length. */
  finish(): Uint8Array {
    return this.buffer.subarray(0, this.pos);
  }
}

/** The UTF-8 byte length of a string: what a length field before it must hold. */
export function utf8Length(s: string): number {
  return utf8.encode(s).length;
}
