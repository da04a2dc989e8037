import { describe, expect, it } from "vitest";
import { ByteReader } from "../../runtime/byte-reader.js";
import { DecodeError, XenImageError } from "../../runtime/errors.js";

/** Builds bytes with a DataView callback. */
function build(size: number, fill: (dv: DataView) => void): Uint8Array {
  const bytes = new Uint8Array(size);
  fill(new DataView(bytes.buffer));
  return bytes;
}

/** Runs `f` and returns the DecodeError it throws (fails the test otherwise). */
function decodeError(f: () => unknown): DecodeError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(DecodeError);
    return e as DecodeError;
  }
  throw new Error("expected a DecodeError, nothing was thrown");
}

type NumMethod = "u8" | "i8" | "u16" | "i16" | "u32" | "i32" | "f32" | "f64";
type NumCase = { method: NumMethod; size: number; values: number[]; set: (dv: DataView, v: number, le: boolean) => void };

const numCases: NumCase[] = [
  { method: "u8", size: 1, values: [0, 1, 0x7f, 0x80, 0xff], set: (dv, v) => dv.setUint8(0, v) },
  { method: "i8", size: 1, values: [0, 1, 127, -1, -128], set: (dv, v) => dv.setInt8(0, v) },
  { method: "u16", size: 2, values: [0, 1, 0x1234, 0x8000, 0xffff], set: (dv, v, le) => dv.setUint16(0, v, le) },
  { method: "i16", size: 2, values: [0, 1, 0x1234, -1, -0x8000, 0x7fff], set: (dv, v, le) => dv.setInt16(0, v, le) },
  { method: "u32", size: 4, values: [0, 1, 0x12345678, 0x80000000, 0xffffffff], set: (dv, v, le) => dv.setUint32(0, v, le) },
  { method: "i32", size: 4, values: [0, 1, 0x12345678, -1, -0x80000000, 0x7fffffff], set: (dv, v, le) => dv.setInt32(0, v, le) },
  { method: "f32", size: 4, values: [0, 1.5, -2.25, 3.4028234663852886e38, Infinity, -Infinity], set: (dv, v, le) => dv.setFloat32(0, v, le) },
  { method: "f64", size: 8, values: [0, Math.PI, -1e-300, Number.MAX_VALUE, 5e-324, -Infinity], set: (dv, v, le) => dv.setFloat64(0, v, le) },
];

describe("ByteReader fixed-width numbers", () => {
  for (const c of numCases) {
    for (const le of [true, false]) {
      const order = le ? "le" : "be";
      it(`${c.method} (context ${order}), ${c.method}${c.size > 1 ? order : ""} read DataView-written values`, () => {
        for (const v of c.values) {
          const bytes = build(c.size, (dv) => c.set(dv, v, le));
          const ctx = new ByteReader(bytes, { littleEndian: le });
          expect(ctx[c.method](), `${c.method} ${v}`).toBe(v);
          expect(ctx.pos).toBe(c.size);
          expect(ctx.remaining).toBe(0);
          if (c.size > 1) {
            const pinned = `${c.method}${order}` as keyof ByteReader;
            // The pinned variant ignores the context byte order.
            const r = new ByteReader(bytes, { littleEndian: !le });
            expect((r[pinned] as () => number).call(r), `${String(pinned)} ${v}`).toBe(v);
            expect(r.pos).toBe(c.size);
          }
        }
      });
    }
  }

  it("defaults to little-endian", () => {
    const r = new ByteReader(Uint8Array.of(0x01, 0x02, 0x03, 0x04));
    expect(r.littleEndian).toBe(true);
    expect(r.u32()).toBe(0x04030201);
  });

  it("reads the same bytes differently in le and be", () => {
    const bytes = Uint8Array.of(0x12, 0x34, 0x56, 0x78, 0x12, 0x34, 0x56, 0x78);
    const r = new ByteReader(bytes);
    expect(r.u32le()).toBe(0x78563412);
    expect(r.u32be()).toBe(0x12345678);
    const s = new ByteReader(bytes);
    expect(s.u16be()).toBe(0x1234);
    expect(s.u16le()).toBe(0x7856);
    expect(s.i16be()).toBe(0x1234);
    expect(s.i16le()).toBe(0x7856);
  });

  it("reads a sequence of mixed fields advancing pos", () => {
    const bytes = build(15, (dv) => {
      dv.setUint8(0, 0xab);
      dv.setUint16(1, 0xbeef, true);
      dv.setInt32(3, -5, false);
      dv.setBigUint64(7, 0x0102030405060708n, true);
    });
    const r = new ByteReader(bytes);
    expect(r.u8()).toBe(0xab);
    expect(r.pos).toBe(1);
    expect(r.u16()).toBe(0xbeef);
    expect(r.pos).toBe(3);
    expect(r.i32be()).toBe(-5);
    expect(r.pos).toBe(7);
    expect(r.u64()).toBe(0x0102030405060708n);
    expect(r.pos).toBe(15);
    r.expectEnd();
  });

  it("reads through a subarray with a non-zero byteOffset", () => {
    const backing = new Uint8Array(24).fill(0xee);
    new DataView(backing.buffer).setUint32(5, 0xdeadbeef, true);
    new DataView(backing.buffer).setBigInt64(9, -2n, false);
    const r = new ByteReader(backing.subarray(5, 17), { base: 0x40 });
    expect(r.u32()).toBe(0xdeadbeef);
    expect(r.i64be()).toBe(-2n);
    expect(r.remaining).toBe(0);
    // The view ends at 17 even though the backing buffer goes on: no reading into bytes outside it.
    const e = decodeError(() => r.u8());
    expect(e.code).toBe("truncated");
    expect(e.offset).toBe(0x4c);
  });

  it("preserves NaN for f32/f64", () => {
    const r = new ByteReader(build(12, (dv) => {
      dv.setFloat32(0, NaN, true);
      dv.setFloat64(4, NaN, false);
    }));
    expect(r.f32le()).toBeNaN();
    expect(r.f64be()).toBeNaN();
  });
});

describe("ByteReader 64-bit integers", () => {
  const u64values = [0n, 1n, 0xffff_ffffn, 0x1_0000_0000n, 2n ** 53n + 1n, 0x0123_4567_89ab_cdefn, 0x8000_0000_0000_0000n, 2n ** 64n - 1n];
  for (const le of [true, false]) {
    const order = le ? "le" : "be";
    it(`u64 (context ${order}) and u64${order} are exact`, () => {
      for (const v of u64values) {
        const bytes = build(8, (dv) => dv.setBigUint64(0, v, le));
        const r = new ByteReader(bytes, { littleEndian: le });
        const got = r.u64();
        expect(typeof got).toBe("bigint");
        expect(got, `u64 ${v}`).toBe(v);
        const pinned = new ByteReader(bytes, { littleEndian: !le });
        expect(le ? pinned.u64le() : pinned.u64be(), `u64${order} ${v}`).toBe(v);
      }
    });

    it(`i64 (context ${order}) and i64${order} read negative values`, () => {
      for (const v of [0n, 1n, -1n, -2n, -(2n ** 32n), -(2n ** 53n) - 1n, -(2n ** 63n), 2n ** 63n - 1n, 0x1234_5678_9abc_def0n]) {
        const bytes = build(8, (dv) => dv.setBigInt64(0, v, le));
        const r = new ByteReader(bytes, { littleEndian: le });
        expect(r.i64(), `i64 ${v}`).toBe(v);
        const pinned = new ByteReader(bytes, { littleEndian: !le });
        expect(le ? pinned.i64le() : pinned.i64be(), `i64${order} ${v}`).toBe(v);
      }
    });

    it(`u64n (context ${order}) and u64n${order} accept up to 2^53-1`, () => {
      for (const v of [0, 1, 0xffff_ffff, 0x1_0000_0000, Number.MAX_SAFE_INTEGER]) {
        const bytes = build(8, (dv) => dv.setBigUint64(0, BigInt(v), le));
        expect(new ByteReader(bytes, { littleEndian: le }).u64n()).toBe(v);
        const pinned = new ByteReader(bytes, { littleEndian: !le });
        expect(le ? pinned.u64nle() : pinned.u64nbe()).toBe(v);
      }
    });

    it(`u64n (context ${order}) rejects 2^53 and above with a DecodeError at the field`, () => {
      for (const v of [2n ** 53n, 2n ** 53n + 1n, 2n ** 64n - 1n]) {
        const bytes = build(12, (dv) => dv.setBigUint64(4, v, le));
        const r = new ByteReader(bytes, { littleEndian: le, base: 0x100 });
        r.pos = 4;
        const e = decodeError(() => r.u64n());
        expect(e.code).toBe("field-value");
        expect(e.offset).toBe(0x104);
        expect(e.message).toContain("0x104");
        const pinned = new ByteReader(bytes, { littleEndian: !le });
        pinned.pos = 4;
        expect(() => (le ? pinned.u64nle() : pinned.u64nbe())).toThrow(DecodeError);
      }
    });

    it(`i64n (context ${order}) accepts ±(2^53-1) and rejects beyond`, () => {
      for (const v of [0, -1, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER]) {
        const bytes = build(8, (dv) => dv.setBigInt64(0, BigInt(v), le));
        expect(new ByteReader(bytes, { littleEndian: le }).i64n()).toBe(v);
        const pinned = new ByteReader(bytes, { littleEndian: !le });
        expect(le ? pinned.i64nle() : pinned.i64nbe()).toBe(v);
      }
      for (const v of [2n ** 53n, -(2n ** 53n), -(2n ** 63n)]) {
        const bytes = build(8, (dv) => dv.setBigInt64(0, v, le));
        const e = decodeError(() => new ByteReader(bytes, { littleEndian: le, base: 8 }).i64n());
        expect(e.offset).toBe(8);
      }
    });
  }
});

describe("ByteReader byte runs and strings", () => {
  it("bytesView returns a view sharing the input buffer", () => {
    const src = Uint8Array.of(1, 2, 3, 4, 5, 6);
    const r = new ByteReader(src);
    r.u8();
    const v = r.bytesView(3);
    expect(Array.from(v)).toEqual([2, 3, 4]);
    expect(v.buffer).toBe(src.buffer);
    expect(v.byteOffset).toBe(1);
    src[2] = 0x99;
    expect(v[1]).toBe(0x99);
    expect(r.pos).toBe(4);
  });

  it("bytesView(0) is empty and does not advance", () => {
    const r = new ByteReader(Uint8Array.of(1));
    expect(r.bytesView(0).length).toBe(0);
    expect(r.pos).toBe(0);
  });

  it("rest returns everything left as a view", () => {
    const src = Uint8Array.of(9, 8, 7, 6);
    const r = new ByteReader(src);
    r.u8();
    const rest = r.rest();
    expect(Array.from(rest)).toEqual([8, 7, 6]);
    expect(rest.buffer).toBe(src.buffer);
    expect(r.remaining).toBe(0);
  });

  it("string(n) strips NUL padding", () => {
    const r = new ByteReader(Uint8Array.of(0x61, 0x62, 0x63, 0, 0, 0, 0, 0, 0x7a));
    expect(r.string(8)).toBe("abc");
    expect(r.pos).toBe(8);
    expect(r.u8()).toBe(0x7a);
  });

  it("string(n) may fill all n bytes without a NUL", () => {
    expect(new ByteReader(Uint8Array.of(0x78, 0x65, 0x6e)).string(3)).toBe("xen");
  });

  it("string(n) of all zeros is empty", () => {
    expect(new ByteReader(new Uint8Array(4)).string(4)).toBe("");
  });

  it("string(n) decodes UTF-8", () => {
    const bytes = Uint8Array.of(0x63, 0x61, 0x66, 0xc3, 0xa9, 0, 0, 0);
    expect(new ByteReader(bytes).string(8)).toBe("café");
  });

  it("string(n) rejects a non-zero byte after the NUL, at that byte's offset", () => {
    const r = new ByteReader(Uint8Array.of(0xff, 0x61, 0, 0, 0x62, 0), { base: 0x40 });
    r.u8();
    const e = decodeError(() => r.string(5));
    expect(e.code).toBe("string");
    expect(e.offset).toBe(0x44);
    expect(e.message).toContain("0x44");
  });

  it("string(n) rejects invalid UTF-8", () => {
    for (const bad of [[0xff], [0xc3], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0x61, 0x80, 0x62]]) {
      const bytes = Uint8Array.from([...bad, 0, 0]);
      const e = decodeError(() => new ByteReader(bytes, { base: 0x10 }).string(bytes.length));
      expect(e.code).toBe("string");
      expect(e.offset).toBe(0x10);
      expect(e.reason).toMatch(/UTF-8/);
    }
  });

  it("string(n, true) rejects bytes above 0x7f", () => {
    const bytes = Uint8Array.of(0x61, 0xc3, 0xa9, 0);
    expect(new ByteReader(bytes).string(4, false)).toBe("aé");
    const e = decodeError(() => new ByteReader(bytes, { base: 0x200 }).string(4, true));
    expect(e.offset).toBe(0x201);
    expect(new ByteReader(Uint8Array.of(0x41, 0x7f, 0)).string(3, true)).toBe("A\x7f");
  });

  it("string(n) keeps a leading U+FEFF (byte-exact round trip)", () => {
    // EF BB BF is U+FEFF. A decoder that strips it as a BOM loses bytes: re-encoding "A" gives 41 00 00 00.
    const bytes = Uint8Array.of(0xef, 0xbb, 0xbf, 0x41, 0, 0, 0);
    expect(new ByteReader(bytes).string(7)).toBe("\ufeffA");
  });

  it("string(n) truncated", () => {
    const e = decodeError(() => new ByteReader(Uint8Array.of(0x61, 0x62), { base: 0x1000 }).string(4));
    expect(e.code).toBe("truncated");
    expect(e.offset).toBe(0x1000);
  });
});

describe("ByteReader padding and alignment", () => {
  it("zeros skips zero bytes", () => {
    const r = new ByteReader(Uint8Array.of(0, 0, 0, 7));
    r.zeros(3);
    expect(r.pos).toBe(3);
    expect(r.u8()).toBe(7);
  });

  it("zeros rejects a non-zero byte and names its absolute offset", () => {
    const r = new ByteReader(Uint8Array.of(1, 0, 0, 0, 5, 0, 0), { base: 0x2000 });
    r.u8();
    const e = decodeError(() => r.zeros(6));
    expect(e.code).toBe("reserved");
    expect(e.offset).toBe(0x2004);
    expect(e.message).toContain("offset 0x2004");
  });

  it("zeros(n, false) skips non-zero bytes without complaint", () => {
    const r = new ByteReader(Uint8Array.of(1, 2, 3));
    r.zeros(3, false);
    expect(r.pos).toBe(3);
  });

  it("zeros truncated", () => {
    const e = decodeError(() => new ByteReader(new Uint8Array(2), { base: 4 }).zeros(3));
    expect(e.code).toBe("truncated");
    expect(e.offset).toBe(4);
  });

  it("alignTo skips to the next multiple", () => {
    const r = new ByteReader(new Uint8Array(16));
    r.u8();
    r.alignTo(8);
    expect(r.pos).toBe(8);
    r.alignTo(8);
    expect(r.pos).toBe(8);
    r.u16();
    r.alignTo(4);
    expect(r.pos).toBe(12);
  });

  it("alignTo counts from start", () => {
    const r = new ByteReader(new Uint8Array(16));
    r.pos = 5;
    r.alignTo(4, 3);
    expect(r.pos).toBe(7);
    r.alignTo(4, 3);
    expect(r.pos).toBe(7);
  });

  it("alignTo checks the padding is zero, unless check is false", () => {
    const bytes = Uint8Array.of(0xaa, 0, 3, 0, 0xbb);
    const r = new ByteReader(bytes, { base: 0x30 });
    r.u8();
    const e = decodeError(() => r.alignTo(4));
    expect(e.offset).toBe(0x32);
    const s = new ByteReader(bytes);
    s.u8();
    s.alignTo(4, 0, false);
    expect(s.pos).toBe(4);
    expect(s.u8()).toBe(0xbb);
  });

  it("alignTo fails when the padding is truncated", () => {
    const r = new ByteReader(new Uint8Array(5), { base: 0x10 });
    r.pos = 5;
    const e = decodeError(() => r.alignTo(8));
    expect(e.code).toBe("truncated");
    expect(e.offset).toBe(0x15);
  });
});

describe("ByteReader.count", () => {
  it("accepts a count that fits exactly", () => {
    const r = new ByteReader(new Uint8Array(16));
    expect(r.count(2, 8)).toBe(2);
    expect(r.count(16, 1)).toBe(16);
    expect(r.count(0, 8)).toBe(0);
    expect(r.count(2n, 8)).toBe(2);
    expect(typeof r.count(2n, 8)).toBe("number");
  });

  it("rejects a count needing more bytes than remain, without allocating", () => {
    const r = new ByteReader(new Uint8Array(16), { base: 0x50 });
    r.pos = 0;
    const e = decodeError(() => r.count(0xffff_ffff, 8));
    expect(e.code).toBe("length");
    expect(e.offset).toBe(0x50);
    expect(r.pos).toBe(0);
    expect(() => r.count(3, 8)).toThrow(DecodeError);
    expect(() => r.count(17, 1)).toThrow(DecodeError);
  });

  it("counts against the bytes left, not the whole buffer", () => {
    const r = new ByteReader(new Uint8Array(16));
    r.pos = 4;
    expect(r.count(3, 4)).toBe(3);
    expect(() => r.count(4, 4)).toThrow(DecodeError);
  });

  it("rejects huge bigint counts", () => {
    const r = new ByteReader(new Uint8Array(16));
    expect(() => r.count(2n ** 64n - 1n, 8)).toThrow(DecodeError);
    expect(() => r.count(2n ** 53n, 1)).toThrow(DecodeError);
    expect(() => r.count(3n, 8)).toThrow(DecodeError);
  });
});

describe("ByteReader constants and the end", () => {
  it("expect accepts the constant", () => {
    const r = new ByteReader(Uint8Array.of(0x34, 0x12));
    r.expect(r.u16(), 0x1234, 2);
    expect(r.pos).toBe(2);
  });

  it("expect rejects another value at the field's offset, in hex", () => {
    const r = new ByteReader(Uint8Array.of(0, 0, 0x34, 0x12, 0, 0), { base: 0x100 });
    r.pos = 2;
    const v = r.u32();
    const e = decodeError(() => r.expect(v, 0xfeed, 4));
    expect(e.code).toBe("magic");
    expect(e.offset).toBe(0x102);
    expect(e.reason).toContain("0xfeed");
    expect(e.reason).toContain("0x1234");
  });

  it("expect compares bigints", () => {
    const r = new ByteReader(build(8, (dv) => dv.setBigUint64(0, 0x5845_4e49_4d41_4745n, true)));
    const v = r.u64();
    r.expect(v, 0x5845_4e49_4d41_4745n, 8);
    expect(() => r.expect(v, 0x5845_4e49_4d41_4746n, 8)).toThrow(DecodeError);
  });

  it("expectBytes accepts a matching magic and advances", () => {
    const r = new ByteReader(Uint8Array.of(0x58, 0x45, 0x4e, 0x21, 9));
    r.expectBytes(Uint8Array.of(0x58, 0x45, 0x4e, 0x21));
    expect(r.pos).toBe(4);
    expect(r.u8()).toBe(9);
  });

  it("expectBytes rejects a wrong magic at its start offset, naming both", () => {
    const r = new ByteReader(Uint8Array.of(0, 0x58, 0x45, 0x4f, 0x21), { base: 0x10 });
    r.u8();
    const e = decodeError(() => r.expectBytes(Uint8Array.of(0x58, 0x45, 0x4e, 0x21)));
    expect(e.code).toBe("magic");
    expect(e.offset).toBe(0x11);
    expect(e.reason).toContain("58 45 4e 21");
    expect(e.reason).toContain("58 45 4f 21");
  });

  it("expectBytes fails as truncated when the input is short", () => {
    const e = decodeError(() => new ByteReader(Uint8Array.of(0x58), { base: 3 }).expectBytes(Uint8Array.of(0x58, 0x45)));
    expect(e.code).toBe("truncated");
    expect(e.offset).toBe(3);
  });

  it("expectEnd passes at the end", () => {
    const r = new ByteReader(Uint8Array.of(1, 2));
    r.u16();
    expect(() => r.expectEnd()).not.toThrow();
    expect(() => new ByteReader(new Uint8Array(0)).expectEnd()).not.toThrow();
  });

  it("expectEnd rejects trailing bytes at the first of them", () => {
    const r = new ByteReader(Uint8Array.of(1, 2, 3, 4), { base: 0x800 });
    r.u8();
    const e = decodeError(() => r.expectEnd());
    expect(e.code).toBe("length");
    expect(e.offset).toBe(0x801);
    expect(e.reason).toContain("3 unexpected trailing bytes");
  });

  it("fail throws at pos or at a given relative offset", () => {
    const r = new ByteReader(new Uint8Array(8), { base: 0x100 });
    r.pos = 3;
    expect(decodeError(() => r.fail("boom")).offset).toBe(0x103);
    const e = decodeError(() => r.fail("boom", 6));
    expect(e.offset).toBe(0x106);
    expect(e.reason).toBe("boom");
    expect(e.message).toBe("boom (offset 0x106)");
  });

  it("offset and remaining follow pos", () => {
    const r = new ByteReader(new Uint8Array(10), { base: 0x1000 });
    expect(r.offset).toBe(0x1000);
    expect(r.remaining).toBe(10);
    r.u32();
    expect(r.offset).toBe(0x1004);
    expect(r.remaining).toBe(6);
  });
});

describe("ByteReader truncation", () => {
  const readers: [string, (r: ByteReader) => unknown, number][] = [
    ["u8", (r) => r.u8(), 1],
    ["i8", (r) => r.i8(), 1],
    ["u16", (r) => r.u16(), 2],
    ["u16le", (r) => r.u16le(), 2],
    ["u16be", (r) => r.u16be(), 2],
    ["i16", (r) => r.i16(), 2],
    ["i16le", (r) => r.i16le(), 2],
    ["i16be", (r) => r.i16be(), 2],
    ["u32", (r) => r.u32(), 4],
    ["u32le", (r) => r.u32le(), 4],
    ["u32be", (r) => r.u32be(), 4],
    ["i32", (r) => r.i32(), 4],
    ["i32le", (r) => r.i32le(), 4],
    ["i32be", (r) => r.i32be(), 4],
    ["f32", (r) => r.f32(), 4],
    ["f32le", (r) => r.f32le(), 4],
    ["f32be", (r) => r.f32be(), 4],
    ["f64", (r) => r.f64(), 8],
    ["f64le", (r) => r.f64le(), 8],
    ["f64be", (r) => r.f64be(), 8],
    ["u64", (r) => r.u64(), 8],
    ["u64le", (r) => r.u64le(), 8],
    ["u64be", (r) => r.u64be(), 8],
    ["i64", (r) => r.i64(), 8],
    ["i64le", (r) => r.i64le(), 8],
    ["i64be", (r) => r.i64be(), 8],
    ["u64n", (r) => r.u64n(), 8],
    ["u64nle", (r) => r.u64nle(), 8],
    ["u64nbe", (r) => r.u64nbe(), 8],
    ["i64n", (r) => r.i64n(), 8],
    ["i64nle", (r) => r.i64nle(), 8],
    ["i64nbe", (r) => r.i64nbe(), 8],
    ["bytesView", (r) => r.bytesView(5), 5],
    ["string", (r) => r.string(5), 5],
    ["zeros", (r) => r.zeros(5), 5],
  ];

  for (const [name, read, size] of readers) {
    it(`${name} past the end throws "truncated" at base + pos`, () => {
      // 4 bytes read, then size - 1 left: one byte short.
      const r = new ByteReader(new Uint8Array(4 + size - 1), { base: 0x1000 });
      r.pos = 4;
      const e = decodeError(() => read(r));
      expect(e).toBeInstanceOf(XenImageError);
      expect(e.code).toBe("truncated");
      expect(e.offset).toBe(0x1004);
      expect(e.message).toContain("0x1004");
      expect(e.reason).toBe(`needs ${size} bytes, ${size - 1} left`);
      expect(r.pos).toBe(4);
    });
  }

  it("reading exactly to the end succeeds, one more byte fails", () => {
    const r = new ByteReader(new Uint8Array(8), { base: 0x20 });
    r.u32();
    r.u32();
    const e = decodeError(() => r.u8());
    expect(e.code).toBe("truncated");
    expect(e.offset).toBe(0x28);
  });

  it("take and ensure report truncation at the absolute offset", () => {
    const r = new ByteReader(new Uint8Array(6), { base: 0x1000 });
    expect(r.take(4)).toBe(0);
    expect(r.pos).toBe(4);
    const e1 = decodeError(() => r.ensure(3));
    expect(e1.code).toBe("truncated");
    expect(e1.offset).toBe(0x1004);
    expect(r.pos).toBe(4);
    expect(() => r.ensure(2)).not.toThrow();
    expect(r.pos).toBe(4);
    const e2 = decodeError(() => r.take(3));
    expect(e2.code).toBe("truncated");
    expect(e2.offset).toBe(0x1004);
    expect(e2.message).toContain("offset 0x1004");
  });

  it("a zero-length reader rejects every read", () => {
    const r = new ByteReader(new Uint8Array(0), { base: 7 });
    const e = decodeError(() => r.u8());
    expect(e.code).toBe("truncated");
    expect(e.offset).toBe(7);
  });
});

describe("ByteReader section option", () => {
  const r = () => new ByteReader(Uint8Array.of(0, 0, 1, 0), { base: 0x100, section: "cpuid #2" });

  it("names the section in every error it makes, beside the absolute offset", () => {
    const truncated = decodeError(() => r().take(5));
    expect([truncated.code, truncated.section, truncated.offset]).toEqual(["truncated", "cpuid #2", 0x100]);
    const padding = decodeError(() => r().zerosAt(0, 4, "_pad1"));
    expect(padding.message).toBe("padding or reserved byte is not zero (section cpuid #2, field _pad1, offset 0x102)");
    const escaped = r().rethrow(new TypeError("boom"), "eax");
    expect([escaped.section, escaped.path, escaped.offset]).toEqual(["cpuid #2", "eax", 0x100]);
  });

  it("leaves the section out when it is not given", () => {
    const e = decodeError(() => new ByteReader(Uint8Array.of(1)).zerosAt(0, 1));
    expect(e.section).toBeUndefined();
    expect(e.message).toBe("padding or reserved byte is not zero (offset 0x0)");
  });
});
