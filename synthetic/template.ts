import { ByteReader } from "../runtime/index.js";

/**
 * A value of a fixed-size struct with every field zero, made by decoding zero bytes with the struct's
 * own generated decoder: synthetic state then sets only the fields that matter, and a field added to
 * the schema later is filled in without touching this code.
 */
export function zeroed<T>(decode: (r: ByteReader) => T, size: number): T {
  return decode(new ByteReader(new Uint8Array(size)));
}
