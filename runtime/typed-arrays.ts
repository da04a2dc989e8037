/**
 * Numeric arrays as typed arrays (`repr: typed_array` in a schema): which typed array holds which
 * schema type, the host's byte order, and the in-place byte swap used when a field's order differs
 * from the host's. The reader and writer build on these; nothing here allocates beyond its result.
 */

/** The schema element types a `repr: typed_array` field may have. */
export type NumericArrayType = "u8" | "u16" | "u32" | "u64" | "i8" | "i16" | "i32" | "i64" | "f32" | "f64";

/** The typed array that holds each element type: u64 values stay exact as bigints. */
export interface NumericArrays {
  u8: Uint8Array;
  u16: Uint16Array;
  u32: Uint32Array;
  u64: BigUint64Array;
  i8: Int8Array;
  i16: Int16Array;
  i32: Int32Array;
  i64: BigInt64Array;
  f32: Float32Array;
  f64: Float64Array;
}

/** A constructor of one of the typed arrays above. */
export interface NumericArrayConstructor<T> {
  new (length: number): T;
  new (buffer: ArrayBufferLike, byteOffset: number, length: number): T;
  readonly BYTES_PER_ELEMENT: number;
  readonly name: string;
}

/** The typed-array constructor for each element type. */
export const NUMERIC_ARRAYS: { readonly [K in NumericArrayType]: NumericArrayConstructor<NumericArrays[K]> } = {
  u8: Uint8Array,
  u16: Uint16Array,
  u32: Uint32Array,
  u64: BigUint64Array,
  i8: Int8Array,
  i16: Int16Array,
  i32: Int32Array,
  i64: BigInt64Array,
  f32: Float32Array,
  f64: Float64Array,
};

/** True on a little-endian host (every platform Node and browsers run on today, but not by definition). */
export const HOST_LITTLE_ENDIAN = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

/** Reverses the bytes of each `size`-byte element of `bytes`, in place (a byte-order change). */
export function swapElements(bytes: Uint8Array, size: number): void {
  for (let at = 0; at + size <= bytes.length; at += size) {
    for (let i = at, j = at + size - 1; i < j; i++, j--) {
      const b = bytes[i]!;
      bytes[i] = bytes[j]!;
      bytes[j] = b;
    }
  }
}
