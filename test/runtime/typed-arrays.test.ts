import { describe, expect, it } from "vitest";
import { ByteReader } from "../../runtime/byte-reader.js";
import { ByteWriter } from "../../runtime/byte-writer.js";
import { DecodeError, EncodeError } from "../../runtime/errors.js";
import { fromJson, JsonShapeError, toJson } from "../../runtime/json-shape.js";
import { HOST_LITTLE_ENDIAN, NUMERIC_ARRAYS, swapElements, type NumericArrayType } from "../../runtime/typed-arrays.js";

// `repr: typed_array`: a view of the input when the byte order is the host's and the element is
// aligned in the underlying buffer, else an exact copy (byte-swapped when the orders differ).

/** Whether `a` shares memory with `input` (a view), judged by the buffer, not by the values. */
function sharesBuffer(a: ArrayBufferView, input: Uint8Array): boolean {
  return a.buffer === input.buffer;
}

/** `count` u64s written with DataView in the given order, placed `shift` bytes into a fresh buffer. */
function u64Bytes(values: readonly bigint[], le: boolean, shift = 0): Uint8Array {
  const buffer = new ArrayBuffer(shift + values.length * 8);
  const view = new DataView(buffer);
  values.forEach((v, i) => view.setBigUint64(shift + i * 8, v, le));
  return new Uint8Array(buffer, shift);
}

const VALUES = [0n, 1n, 0x0123_4567_89ab_cdefn, 0xffff_ffff_ffff_ffffn, 1n << 63n];

describe("ByteReader.typedArray: view or copy", () => {
  it("this test host is little-endian (the cases below name the host's order as little)", () => {
    expect(HOST_LITTLE_ENDIAN).toBe(true);
  });

  it("an aligned field in the host's order is a view of the input, values exact", () => {
    const bytes = u64Bytes(VALUES, true);
    const a = new ByteReader(bytes).typedArray("u64", VALUES.length, true);
    expect(a).toBeInstanceOf(BigUint64Array);
    expect(Array.from(a)).toEqual(VALUES);
    expect(sharesBuffer(a, bytes)).toBe(true);
    expect(a.byteOffset).toBe(bytes.byteOffset);
  });

  it("a view really aliases the input: writes to either side show through", () => {
    const bytes = u64Bytes([1n, 2n], true);
    const a = new ByteReader(bytes).typedArray("u64", 2, true);
    bytes[8] = 0x7f;
    expect(a[1]).toBe(0x7fn);
    a[0] = 0x0102n;
    expect(Array.from(bytes.subarray(0, 2))).toEqual([2, 1]);
  });

  it("a misaligned field (absolute byteOffset not a multiple of 8) is an exact copy", () => {
    const bytes = u64Bytes(VALUES, true, 4);
    expect(bytes.byteOffset % 8).toBe(4);
    const a = new ByteReader(bytes).typedArray("u64", VALUES.length, true);
    expect(Array.from(a)).toEqual(VALUES);
    expect(sharesBuffer(a, bytes)).toBe(false);
    bytes[0] = 0xee;
    expect(a[0]).toBe(0n);
  });

  it("alignment counts from the underlying buffer, after earlier fields were read", () => {
    const bytes = u64Bytes([5n, 6n, 7n], true);
    const r = new ByteReader(bytes.subarray(4));
    r.u32();
    const a = r.typedArray("u64", 2, true);
    expect(Array.from(a)).toEqual([6n, 7n]);
    expect(sharesBuffer(a, bytes)).toBe(true);
    const shifted = new ByteReader(bytes);
    shifted.u32();
    const b = shifted.typedArrayAt("u64", 4, 2, true);
    expect(sharesBuffer(b, bytes)).toBe(false);
  });

  it("a big-endian field on this little-endian host is a byte-swapped copy", () => {
    const bytes = u64Bytes(VALUES, false);
    const a = new ByteReader(bytes).typedArray("u64", VALUES.length, false);
    expect(Array.from(a)).toEqual(VALUES);
    expect(sharesBuffer(a, bytes)).toBe(false);
  });

  it("an unpinned field follows the reader's byte order", () => {
    const bytes = u64Bytes(VALUES, false);
    const a = new ByteReader(bytes, { littleEndian: false }).typedArray("u64", VALUES.length);
    expect(Array.from(a)).toEqual(VALUES);
  });

  it("every element type reads what DataView reads, in both orders and at both alignments", () => {
    const samples: Record<NumericArrayType, number[] | bigint[]> = {
      u8: [0, 1, 0xff],
      i8: [0, -1, -128, 127],
      u16: [0, 0x1234, 0xffff],
      i16: [0, -2, -0x8000, 0x7fff],
      u32: [0, 0x1234_5678, 0xffff_ffff],
      i32: [0, -3, -0x8000_0000, 0x7fff_ffff],
      u64: [0n, 0xfedc_ba98_7654_3210n],
      i64: [0n, -4n, -(1n << 63n)],
      f32: [0, -0, 1.5, -Infinity, 3.4028234663852886e38],
      f64: [0, -0, Math.PI, 5e-324, Infinity],
    };
    const setters: Record<NumericArrayType, (dv: DataView, at: number, v: never, le: boolean) => void> = {
      u8: (dv, at, v) => dv.setUint8(at, v),
      i8: (dv, at, v) => dv.setInt8(at, v),
      u16: (dv, at, v, le) => dv.setUint16(at, v, le),
      i16: (dv, at, v, le) => dv.setInt16(at, v, le),
      u32: (dv, at, v, le) => dv.setUint32(at, v, le),
      i32: (dv, at, v, le) => dv.setInt32(at, v, le),
      u64: (dv, at, v, le) => dv.setBigUint64(at, v, le),
      i64: (dv, at, v, le) => dv.setBigInt64(at, v, le),
      f32: (dv, at, v, le) => dv.setFloat32(at, v, le),
      f64: (dv, at, v, le) => dv.setFloat64(at, v, le),
    };
    for (const type of Object.keys(samples) as NumericArrayType[]) {
      const size = NUMERIC_ARRAYS[type].BYTES_PER_ELEMENT;
      for (const le of [true, false]) {
        for (const shift of [0, 1]) {
          const values = samples[type];
          const buffer = new ArrayBuffer(shift + values.length * size);
          const dv = new DataView(buffer);
          values.forEach((v, i) => setters[type](dv, shift + i * size, v as never, le));
          const bytes = new Uint8Array(buffer, shift);
          const a = new ByteReader(bytes).typedArray(type, values.length, le);
          expect(a, `${type} ${le ? "le" : "be"} shift ${shift}`).toBeInstanceOf(NUMERIC_ARRAYS[type]);
          expect(Array.from(a as ArrayLike<unknown>), `${type} ${le ? "le" : "be"} shift ${shift}`).toEqual(values);
          const view = (le || size === 1) && (shift % size === 0);
          expect(sharesBuffer(a, bytes), `${type} ${le ? "le" : "be"} shift ${shift}: view`).toBe(view);
        }
      }
    }
  });

  it("an empty array is fine at any offset", () => {
    const bytes = new Uint8Array(new ArrayBuffer(8), 3, 0);
    expect(new ByteReader(bytes).typedArray("u64", 0, true)).toEqual(new BigUint64Array(0));
    expect(new ByteReader(bytes).typedArray("f64", 0, false).length).toBe(0);
  });

  it("claims its bytes and fails on truncated input with a DecodeError at the offset", () => {
    const r = new ByteReader(new Uint8Array(20), { base: 0x100 });
    r.typedArray("u32", 2);
    expect(r.pos).toBe(8);
    expect(() => r.typedArray("u64", 2)).toThrowError(DecodeError);
    expect(() => r.typedArray("u64", 2)).toThrowError(/needs 16 bytes, 12 left \(offset 0x108\)/);
  });
});

describe("ByteWriter.typedArray", () => {
  it("writes the host's order as one copy and round-trips through the reader", () => {
    const w = new ByteWriter();
    w.u32(7);
    w.typedArray("u64", BigUint64Array.from(VALUES), undefined, true);
    const bytes = w.finish();
    const dv = new DataView(bytes.buffer, bytes.byteOffset);
    VALUES.forEach((v, i) => expect(dv.getBigUint64(4 + i * 8, true)).toBe(v));
    const r = new ByteReader(bytes);
    expect(r.u32()).toBe(7);
    expect(Array.from(r.typedArray("u64", VALUES.length, true))).toEqual(VALUES);
  });

  it("byte-swaps a big-endian field element by element, leaving the input untouched", () => {
    const input = Uint16Array.of(0x1234, 0xabcd);
    const w = new ByteWriter();
    w.typedArray("u16", input, 2, false);
    expect(Array.from(w.finish())).toEqual([0x12, 0x34, 0xab, 0xcd]);
    expect(Array.from(input)).toEqual([0x1234, 0xabcd]);
  });

  it("writes a subarray's own elements, not its whole buffer", () => {
    const whole = BigInt64Array.of(-1n, -2n, -3n);
    const w = new ByteWriter();
    w.typedArray("i64", whole.subarray(1, 2));
    expect(Array.from(new ByteReader(w.finish()).typedArray("i64", 1))).toEqual([-2n]);
  });

  it("writes an empty array as nothing", () => {
    const w = new ByteWriter();
    w.typedArray("f32", new Float32Array(0), 0);
    expect(w.finish().length).toBe(0);
  });

  it("rejects the wrong typed array, a plain array and a wrong fixed length with an EncodeError", () => {
    const w = new ByteWriter();
    expect(() => w.typedArray("u64", BigInt64Array.of(1n) as never)).toThrowError(/a BigUint64Array is expected/);
    expect(() => w.typedArray("u64", [1n] as never)).toThrowError(EncodeError);
    expect(() => w.typedArray("u32", Uint32Array.of(1, 2), 3)).toThrowError(/2 elements given, exactly 3 expected/);
    expect(() => w.typedArrayAt("u8", w.reserve(2), Uint8Array.of(1), 2)).toThrowError(/1 elements given, exactly 2 expected/);
    expect(w.finish().length).toBe(2);
  });
});

describe("swapElements", () => {
  it("reverses each element's bytes in place and leaves a partial tail alone", () => {
    const bytes = Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8, 9);
    swapElements(bytes, 4);
    expect(Array.from(bytes)).toEqual([4, 3, 2, 1, 8, 7, 6, 5, 9]);
  });
});

describe("JSON shapes of typed arrays", () => {
  it("map to plain arrays (64-bit as decimal strings) and back to the typed array", () => {
    const shape = { kind: "typed_array", of: "u64" } as const;
    const value = BigUint64Array.from(VALUES);
    const json = toJson(value, shape);
    expect(json).toEqual(VALUES.map(String));
    const back = fromJson(JSON.parse(JSON.stringify(json)), shape);
    expect(back).toBeInstanceOf(BigUint64Array);
    expect(back).toEqual(value);
    const floats = fromJson([1.5, -0], { kind: "typed_array", of: "f32" });
    expect(floats).toEqual(Float32Array.of(1.5, -0));
  });

  it("refuse values the typed array would wrap or round, naming the element", () => {
    expect(() => fromJson([1, 256], { kind: "typed_array", of: "u8" }, "x")).toThrowError(/expected a u8, found 256.*field x\[1\]/);
    expect(() => fromJson(["-1"], { kind: "typed_array", of: "u64" })).toThrowError(JsonShapeError);
    expect(() => fromJson([1], { kind: "typed_array", of: "u64" })).toThrowError(/a decimal string/);
    expect(() => fromJson([1.5], { kind: "typed_array", of: "i32" })).toThrowError(/an integer/);
    expect(() => fromJson([0.1], { kind: "typed_array", of: "f32" })).toThrowError(/exact in 32 bits/);
    expect(() => fromJson("1,2", { kind: "typed_array", of: "u16" })).toThrowError(/expected an array/);
  });
});
