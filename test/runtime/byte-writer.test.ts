import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { ByteReader } from "../../runtime/byte-reader.js";
import { ByteWriter, utf8Length } from "../../runtime/byte-writer.js";
import { EncodeError, XenImageError } from "../../runtime/errors.js";
import { prng, randomBytes } from "./prng.js";

/** Bytes written by a DataView callback. */
function dvBytes(size: number, fill: (dv: DataView) => void): number[] {
  const bytes = new Uint8Array(size);
  fill(new DataView(bytes.buffer));
  return Array.from(bytes);
}

/** Runs `f` and returns the EncodeError it throws (fails the test otherwise). */
function encodeError(f: () => unknown): EncodeError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(EncodeError);
    return e as EncodeError;
  }
  throw new Error("expected an EncodeError, nothing was thrown");
}

/** A writer that has already written `n` bytes (0x5a), so error offsets are non-trivial. */
function writerAt(n: number, options = {}): ByteWriter {
  const w = new ByteWriter(options);
  for (let i = 0; i < n; i++) w.u8(0x5a);
  return w;
}

/** Expects `f(w)` to throw an EncodeError at the writer's position and leave the writer unchanged. */
function expectRejected(f: (w: ByteWriter) => unknown): EncodeError {
  const w = writerAt(3);
  const e = encodeError(() => f(w));
  expect(e).toBeInstanceOf(XenImageError);
  expect(e.offset).toBe(3);
  expect(e.message).toContain("offset 0x3");
  expect(w.pos).toBe(3);
  expect(Array.from(w.finish())).toEqual([0x5a, 0x5a, 0x5a]);
  return e;
}

type NumCase = {
  name: string;
  size: number;
  values: number[];
  set: (dv: DataView, v: number, le: boolean) => void;
  write: (w: ByteWriter, v: number) => void;
  le?: (w: ByteWriter, v: number) => void;
  be?: (w: ByteWriter, v: number) => void;
};

const numCases: NumCase[] = [
  { name: "u8", size: 1, values: [0, 1, 0x7f, 0x80, 0xff], set: (dv, v) => dv.setUint8(0, v), write: (w, v) => w.u8(v) },
  { name: "i8", size: 1, values: [0, 1, 127, -1, -128], set: (dv, v) => dv.setInt8(0, v), write: (w, v) => w.i8(v) },
  {
    name: "u16", size: 2, values: [0, 1, 0x1234, 0x8000, 0xffff],
    set: (dv, v, le) => dv.setUint16(0, v, le), write: (w, v) => w.u16(v), le: (w, v) => w.u16le(v), be: (w, v) => w.u16be(v),
  },
  {
    name: "i16", size: 2, values: [0, 1, 0x1234, -1, -0x8000, 0x7fff],
    set: (dv, v, le) => dv.setInt16(0, v, le), write: (w, v) => w.i16(v), le: (w, v) => w.i16le(v), be: (w, v) => w.i16be(v),
  },
  {
    name: "u32", size: 4, values: [0, 1, 0x12345678, 0x80000000, 0xffffffff],
    set: (dv, v, le) => dv.setUint32(0, v, le), write: (w, v) => w.u32(v), le: (w, v) => w.u32le(v), be: (w, v) => w.u32be(v),
  },
  {
    name: "i32", size: 4, values: [0, 1, 0x12345678, -1, -0x80000000, 0x7fffffff],
    set: (dv, v, le) => dv.setInt32(0, v, le), write: (w, v) => w.i32(v), le: (w, v) => w.i32le(v), be: (w, v) => w.i32be(v),
  },
  {
    name: "f32", size: 4, values: [0, -0, 1.5, -2.25, 0.1, 3.4028234663852886e38, Infinity, NaN],
    set: (dv, v, le) => dv.setFloat32(0, v, le), write: (w, v) => w.f32(v), le: (w, v) => w.f32le(v), be: (w, v) => w.f32be(v),
  },
  {
    name: "f64", size: 8, values: [0, -0, Math.PI, -1e-300, Number.MAX_VALUE, 5e-324, -Infinity, NaN],
    set: (dv, v, le) => dv.setFloat64(0, v, le), write: (w, v) => w.f64(v), le: (w, v) => w.f64le(v), be: (w, v) => w.f64be(v),
  },
  {
    name: "u64n", size: 8, values: [0, 1, 0xffffffff, 0x100000000, 0x123456789abcd, Number.MAX_SAFE_INTEGER],
    set: (dv, v, le) => dv.setBigUint64(0, BigInt(v), le), write: (w, v) => w.u64n(v), le: (w, v) => w.u64nle(v), be: (w, v) => w.u64nbe(v),
  },
  {
    name: "i64n", size: 8, values: [0, 1, -1, -0x100000000, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER],
    set: (dv, v, le) => dv.setBigInt64(0, BigInt(v), le), write: (w, v) => w.i64n(v), le: (w, v) => w.i64nle(v), be: (w, v) => w.i64nbe(v),
  },
];

describe("ByteWriter numbers match DataView", () => {
  for (const c of numCases) {
    for (const le of [true, false]) {
      const order = le ? "le" : "be";
      it(`${c.name} in ${order} context${c.le ? ` and ${c.name}${order}` : ""}`, () => {
        for (const v of c.values) {
          const expected = dvBytes(c.size, (dv) => c.set(dv, v, le));
          const w = new ByteWriter({ littleEndian: le });
          c.write(w, v);
          expect(w.pos).toBe(c.size);
          expect(Array.from(w.finish()), `${c.name} ${v}`).toEqual(expected);
          const pinned = le ? c.le : c.be;
          if (pinned) {
            const p = new ByteWriter({ littleEndian: !le });
            pinned(p, v);
            expect(Array.from(p.finish()), `${c.name}${order} ${v}`).toEqual(expected);
          }
        }
      });
    }
  }

  const bigCases = [
    { name: "u64", values: [0n, 1n, 0xffff_ffffn, 0x1_0000_0000n, 2n ** 53n + 1n, 0x0123_4567_89ab_cdefn, 2n ** 64n - 1n] },
    { name: "i64", values: [0n, 1n, -1n, -(2n ** 32n), -(2n ** 53n) - 1n, -(2n ** 63n), 2n ** 63n - 1n] },
  ] as const;
  for (const c of bigCases) {
    for (const le of [true, false]) {
      const order = le ? "le" : "be";
      it(`${c.name} in ${order} context and ${c.name}${order}`, () => {
        for (const v of c.values) {
          const expected = dvBytes(8, (dv) => (c.name === "u64" ? dv.setBigUint64(0, v, le) : dv.setBigInt64(0, v, le)));
          const w = new ByteWriter({ littleEndian: le });
          if (c.name === "u64") w.u64(v);
          else w.i64(v);
          expect(Array.from(w.finish()), `${c.name} ${v}`).toEqual(expected);
          const p = new ByteWriter({ littleEndian: !le });
          if (c.name === "u64") (le ? p.u64le(v) : p.u64be(v));
          else (le ? p.i64le(v) : p.i64be(v));
          expect(Array.from(p.finish()), `${c.name}${order} ${v}`).toEqual(expected);
        }
      });
    }
  }

  it("defaults to little-endian", () => {
    const w = new ByteWriter();
    expect(w.littleEndian).toBe(true);
    w.u32(0x01020304);
    expect(Array.from(w.finish())).toEqual([4, 3, 2, 1]);
  });

  it("round-trips mixed fields through ByteReader", () => {
    const w = new ByteWriter({ littleEndian: false });
    w.u8(0xab);
    w.i16(-300);
    w.u32le(0xcafebabe);
    w.u64(0xfedc_ba98_7654_3210n);
    w.i64le(-12345678901234n);
    w.f64(1 / 3);
    w.u64n(2 ** 40 + 7);
    const r = new ByteReader(w.finish(), { littleEndian: false });
    expect(r.u8()).toBe(0xab);
    expect(r.i16()).toBe(-300);
    expect(r.u32le()).toBe(0xcafebabe);
    expect(r.u64()).toBe(0xfedc_ba98_7654_3210n);
    expect(r.i64le()).toBe(-12345678901234n);
    expect(r.f64()).toBe(1 / 3);
    expect(r.u64n()).toBe(2 ** 40 + 7);
    r.expectEnd();
  });
});

describe("ByteWriter range checks", () => {
  const rejected: [string, (w: ByteWriter) => void][] = [
    ["u8 256", (w) => w.u8(256)],
    ["u8 -1", (w) => w.u8(-1)],
    ["u8 0.5", (w) => w.u8(0.5)],
    ["u8 NaN", (w) => w.u8(NaN)],
    ["i8 128", (w) => w.i8(128)],
    ["i8 -129", (w) => w.i8(-129)],
    ["u16 1.5", (w) => w.u16(1.5)],
    ["u16 65536", (w) => w.u16(0x10000)],
    ["u16be -1", (w) => w.u16be(-1)],
    ["i16 32768", (w) => w.i16(0x8000)],
    ["i16le -32769", (w) => w.i16le(-0x8001)],
    ["u32 2^32", (w) => w.u32(2 ** 32)],
    ["u32 -1", (w) => w.u32(-1)],
    ["u32le Infinity", (w) => w.u32le(Infinity)],
    ["u32be 2^32", (w) => w.u32be(2 ** 32)],
    ["i32 2^31", (w) => w.i32(2 ** 31)],
    ["i32 -2^31-1", (w) => w.i32(-(2 ** 31) - 1)],
    ["i32be 2^31", (w) => w.i32be(2 ** 31)],
    ["u64 -1n", (w) => w.u64(-1n)],
    ["u64 2^64", (w) => w.u64(2n ** 64n)],
    ["u64 given a number", (w) => w.u64(5 as unknown as bigint)],
    ["u64le 2^64", (w) => w.u64le(2n ** 64n)],
    ["u64be -1n", (w) => w.u64be(-1n)],
    ["i64 2^63", (w) => w.i64(2n ** 63n)],
    ["i64 -2^63-1", (w) => w.i64(-(2n ** 63n) - 1n)],
    ["i64 given a number", (w) => w.i64(-1 as unknown as bigint)],
    ["i64be 2^63", (w) => w.i64be(2n ** 63n)],
    // The 8- to 32-bit checks truncate to the type and compare: anything that is not exactly such an
    // integer must come back different, wrapped values and non-numbers included.
    ["u8 a string", (w) => w.u8("5" as unknown as number)],
    ["u8 true", (w) => w.u8(true as unknown as number)],
    ["i8 -0.5", (w) => w.i8(-0.5)],
    ["u16 null", (w) => w.u16(null as unknown as number)],
    ["i16 NaN", (w) => w.i16(NaN)],
    ["u32 2^32+5 (would wrap to 5)", (w) => w.u32(2 ** 32 + 5)],
    ["u32 a bigint", (w) => w.u32(5n as unknown as number)],
    ["i32 0.5", (w) => w.i32(0.5)],
    ["i32 2^32-1 (would wrap to -1)", (w) => w.i32(2 ** 32 - 1)],
    ["u64 given the number 0", (w) => w.u64(0 as unknown as bigint)],
    ["i64 given the number 0", (w) => w.i64(0 as unknown as bigint)],
    ["u64n 2^53", (w) => w.u64n(2 ** 53)],
    ["u64n -1", (w) => w.u64n(-1)],
    ["u64n 1.5", (w) => w.u64n(1.5)],
    ["u64n given a bigint", (w) => w.u64n(5n as unknown as number)],
    ["i64n 2^53", (w) => w.i64n(2 ** 53)],
    ["i64n -2^53", (w) => w.i64n(-(2 ** 53))],
    ["f32 given a bigint", (w) => w.f32(1n as unknown as number)],
    ["f64 given a string", (w) => w.f64("1" as unknown as number)],
  ];
  for (const [name, write] of rejected) {
    it(`${name} throws an EncodeError at the writer position`, () => {
      const e = expectRejected(write);
      expect(e.code).toBe("invalid-value");
    });
  }

  it("names the value and the type in the reason", () => {
    expect(expectRejected((w) => w.u8(256)).reason).toBe("256 is not a valid u8");
    expect(expectRejected((w) => w.u64(-1n)).reason).toContain("u64");
  });

  it("accepts the extremes of each range", () => {
    const w = new ByteWriter();
    w.u8(0xff);
    w.i8(-128);
    w.u16(0xffff);
    w.i16(-0x8000);
    w.u32(0xffffffff);
    w.i32(-0x80000000);
    w.u64(2n ** 64n - 1n);
    w.i64(-(2n ** 63n));
    w.u64n(2 ** 53 - 1);
    w.i64n(-(2 ** 53 - 1));
    expect(w.pos).toBe(1 + 1 + 2 + 2 + 4 + 4 + 8 + 8 + 8 + 8);
  });
});

describe("ByteWriter growth", () => {
  it("writing 1 MiB in small pieces from a tiny initialCapacity gives the right bytes", () => {
    const rand = prng(11);
    const data = randomBytes(rand, 1 << 20);
    const w = new ByteWriter({ initialCapacity: 1 });
    let at = 0;
    while (at < data.length) {
      const n = Math.min(data.length - at, 1 + Math.floor(rand() * 13));
      w.bytes(data.subarray(at, at + n));
      at += n;
    }
    expect(w.pos).toBe(data.length);
    const out = w.finish();
    expect(out.length).toBe(data.length);
    expect(Buffer.compare(Buffer.from(out.buffer, out.byteOffset, out.length), Buffer.from(data))).toBe(0);
  });

  it("keeps earlier bytes across growth when writing numbers", () => {
    const w = new ByteWriter({ initialCapacity: 2, littleEndian: false });
    for (let i = 0; i < 10000; i++) w.u32(i * 7919);
    const r = new ByteReader(w.finish(), { littleEndian: false });
    for (let i = 0; i < 10000; i++) expect(r.u32()).toBe(i * 7919);
    r.expectEnd();
  });

  it("grows for a single write much larger than the buffer", () => {
    const w = new ByteWriter({ initialCapacity: 4 });
    w.u16(0xbeef);
    w.zeros(100000);
    w.u8(7);
    const out = w.finish();
    expect(out.length).toBe(100003);
    expect(out[0]).toBe(0xef);
    expect(out[1]).toBe(0xbe);
    expect(out.subarray(2, 100002).every((b) => b === 0)).toBe(true);
    expect(out[100002]).toBe(7);
  });

  it("reserve returns the start and advances pos", () => {
    const w = new ByteWriter({ initialCapacity: 1 });
    expect(w.reserve(3)).toBe(0);
    expect(w.reserve(5)).toBe(3);
    expect(w.pos).toBe(8);
    expect(w.finish().length).toBe(8);
  });

  it("finish returns exactly the bytes written", () => {
    const w = new ByteWriter({ initialCapacity: 64 });
    w.u8(1);
    w.u8(2);
    expect(Array.from(w.finish())).toEqual([1, 2]);
    expect(new ByteWriter().finish().length).toBe(0);
  });

  it("an initialCapacity of 0 still grows (does not hang)", () => {
    // Run in a child process: if growth from an empty buffer loops forever, only the child hangs.
    const writer = fileURLToPath(new URL("../../runtime/byte-writer.ts", import.meta.url));
    const script =
      `import { ByteWriter } from ${JSON.stringify(writer)};` +
      `const w = new ByteWriter({ initialCapacity: 0 }); w.u8(7); w.u32(0x01020304);` +
      `process.stdout.write(JSON.stringify(Array.from(w.finish())));`;
    const child = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
      cwd: fileURLToPath(new URL("../..", import.meta.url)),
      encoding: "utf8",
      timeout: 10_000,
    });
    expect(child.error?.message ?? "", "child timed out").not.toMatch(/ETIMEDOUT/);
    expect(child.stderr).toBe("");
    expect(child.stdout).toBe("[7,4,3,2,1]");
  }, 30_000);
});

describe("ByteWriter strings", () => {
  it("string(s, n) pads with zeros to n bytes", () => {
    const w = writerAt(1);
    w.string("abc", 6);
    expect(Array.from(w.finish())).toEqual([0x5a, 0x61, 0x62, 0x63, 0, 0, 0]);
    expect(w.pos).toBe(7);
  });

  it("string(s, n) may fill all n bytes", () => {
    const w = new ByteWriter();
    w.string("xen", 3);
    expect(Array.from(w.finish())).toEqual([0x78, 0x65, 0x6e]);
  });

  it("string(s, n) zero-fills over stale buffer content", () => {
    // Write non-zero bytes, rewind, and write a short string: the padding must be zero, not leftovers.
    const w = new ByteWriter({ initialCapacity: 16 });
    w.bytes(new Uint8Array(8).fill(0xff));
    w.pos = 0;
    w.string("a", 8);
    expect(Array.from(w.finish())).toEqual([0x61, 0, 0, 0, 0, 0, 0, 0]);
  });

  it("string(s) without n writes exactly its UTF-8 bytes", () => {
    const w = new ByteWriter();
    w.string("é!");
    expect(Array.from(w.finish())).toEqual([0xc3, 0xa9, 0x21]);
  });

  it("string(s, n) counts UTF-8 bytes, not characters", () => {
    const ok = new ByteWriter();
    ok.string("é", 2);
    expect(Array.from(ok.finish())).toEqual([0xc3, 0xa9]);
    const e = expectRejected((w) => w.string("é", 1));
    expect(e.reason).toContain("2 bytes");
    expectRejected((w) => w.string("ab€", 4)); // 1 + 1 + 3 bytes
    expectRejected((w) => w.string("\u{1f600}", 3)); // 4 bytes, 2 UTF-16 units
  });

  it("string(s, n) rejects strings longer than n bytes", () => {
    expectRejected((w) => w.string("abcd", 3));
    expectRejected((w) => w.string("a", 0));
  });

  it("string rejects an embedded NUL", () => {
    const e = expectRejected((w) => w.string("a\0b", 8));
    expect(e.reason).toContain("NUL");
    expectRejected((w) => w.string("\0"));
  });

  it("string(s, n, true) rejects non-ASCII", () => {
    expectRejected((w) => w.string("é", 4, true));
    const w = new ByteWriter();
    w.string("A\x7f", 3, true);
    expect(Array.from(w.finish())).toEqual([0x41, 0x7f, 0]);
  });

  it("string rejects a non-string", () => {
    expectRejected((w) => w.string(5 as unknown as string, 4));
  });

  it("round-trips through ByteReader.string", () => {
    for (const s of ["", "a", "hvm-guest", "café", "日本", "\u{1f600}x"]) {
      const w = new ByteWriter();
      w.string(s, 16);
      const r = new ByteReader(w.finish());
      expect(r.string(16)).toBe(s);
    }
  });

  it("utf8Length counts UTF-8 bytes", () => {
    expect(utf8Length("")).toBe(0);
    expect(utf8Length("abc")).toBe(3);
    expect(utf8Length("é")).toBe(2);
    expect(utf8Length("€")).toBe(3);
    expect(utf8Length("\u{1f600}")).toBe(4);
    expect(utf8Length("aé€\u{1f600}")).toBe(10);
  });
});

describe("ByteWriter bytes, zeros, alignment", () => {
  it("bytes writes the bytes, including from a view with a byteOffset", () => {
    const backing = Uint8Array.of(9, 1, 2, 3, 9);
    const w = new ByteWriter();
    w.bytes(backing.subarray(1, 4));
    w.bytes(Uint8Array.of(4), 1);
    expect(Array.from(w.finish())).toEqual([1, 2, 3, 4]);
  });

  it("bytes(v, len) rejects a wrong length", () => {
    const e = expectRejected((w) => w.bytes(Uint8Array.of(1, 2, 3), 4));
    expect(e.reason).toContain("3 bytes given");
    expectRejected((w) => w.bytes(Uint8Array.of(1, 2, 3), 2));
    expectRejected((w) => w.bytes(new Uint8Array(0), 1));
  });

  it("bytes rejects something that is not a Uint8Array", () => {
    expectRejected((w) => w.bytes([1, 2] as unknown as Uint8Array));
  });

  it("zeros writes zero bytes", () => {
    const w = new ByteWriter({ initialCapacity: 8 });
    w.bytes(new Uint8Array(8).fill(0xff));
    w.pos = 2;
    w.zeros(4);
    expect(w.pos).toBe(6);
    expect(Array.from(w.finish())).toEqual([0xff, 0xff, 0, 0, 0, 0]);
  });

  it("alignTo pads with zeros to the next multiple", () => {
    const w = new ByteWriter();
    w.u8(1);
    w.alignTo(8);
    expect(w.pos).toBe(8);
    w.alignTo(8);
    expect(w.pos).toBe(8);
    w.u16(0xffff);
    w.alignTo(4);
    expect(w.pos).toBe(12);
    expect(Array.from(w.finish())).toEqual([1, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0]);
  });

  it("alignTo counts from start", () => {
    const w = new ByteWriter();
    w.zeros(5);
    w.alignTo(4, 3);
    expect(w.pos).toBe(7);
    w.alignTo(4, 3);
    expect(w.pos).toBe(7);
    w.alignTo(16, 7);
    expect(w.pos).toBe(7);
  });

  it("alignTo padding is zero even over stale buffer content", () => {
    const w = new ByteWriter({ initialCapacity: 8 });
    w.bytes(new Uint8Array(8).fill(0xee));
    w.pos = 1;
    w.alignTo(4);
    expect(Array.from(w.finish())).toEqual([0xee, 0, 0, 0]);
  });
});

describe("ByteWriter patching", () => {
  it("patchU32 overwrites a u32 in the context byte order", () => {
    for (const le of [true, false]) {
      const w = new ByteWriter({ littleEndian: le });
      w.u8(0xaa);
      w.u32(0);
      w.u8(0xbb);
      w.patchU32(1, 0xe3069283);
      const expected = [0xaa, ...dvBytes(4, (dv) => dv.setUint32(0, 0xe3069283, le)), 0xbb];
      expect(Array.from(w.finish())).toEqual(expected);
      expect(w.pos).toBe(6);
    }
  });

  it("patchU32 honours an explicit byte order", () => {
    const w = new ByteWriter({ littleEndian: true });
    w.zeros(8);
    w.patchU32(0, 0x01020304, false);
    w.patchU32(4, 0x01020304, true);
    expect(Array.from(w.finish())).toEqual([1, 2, 3, 4, 4, 3, 2, 1]);
  });

  it("a bad patched value names the patched position, not the end of what was written", () => {
    const w = new ByteWriter();
    w.zeros(16);
    expect(encodeError(() => w.patchU8(2, 256)).offset).toBe(2);
    expect(encodeError(() => w.patchU16(4, -1)).offset).toBe(4);
    expect(encodeError(() => w.patchU32(8, 2 ** 32)).offset).toBe(8);
    expect(encodeError(() => w.patchU64(8, -1n)).offset).toBe(8);
  });

  it("patchU32 works after the buffer grew", () => {
    const w = new ByteWriter({ initialCapacity: 1 });
    w.u32(0);
    w.zeros(1000);
    w.patchU32(0, 0xdeadbeef);
    expect(new ByteReader(w.finish()).u32()).toBe(0xdeadbeef);
  });

  it("patchU64 overwrites a u64 in either byte order", () => {
    for (const le of [true, false]) {
      for (const v of [0n, 0xffff_ffffn, 0x1_0000_0000n, 0x0123_4567_89ab_cdefn, 2n ** 64n - 1n]) {
        const w = new ByteWriter({ littleEndian: le });
        w.u16(0x1111);
        w.u64(0x5555_5555_5555_5555n);
        w.u16(0x2222);
        w.patchU64(2, v);
        const out = w.finish();
        const dv = new DataView(out.buffer, out.byteOffset, out.length);
        expect(dv.getBigUint64(2, le), `${le ? "le" : "be"} ${v}`).toBe(v);
        expect(dv.getUint16(0, le)).toBe(0x1111);
        expect(dv.getUint16(10, le)).toBe(0x2222);
      }
    }
    const w = new ByteWriter({ littleEndian: true });
    w.zeros(8);
    w.patchU64(0, 0x0102030405060708n, false);
    expect(Array.from(w.finish())).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });
});

describe("ByteWriter bit fields", () => {
  it("bits32 accepts values that fit", () => {
    const w = new ByteWriter();
    expect(w.bits32(0, 1)).toBe(0);
    expect(w.bits32(1, 1)).toBe(1);
    expect(w.bits32(7, 3)).toBe(7);
    expect(w.bits32(0xffffffff, 32)).toBe(0xffffffff);
    expect(w.pos).toBe(0);
  });

  it("bits32 rejects values that do not fit", () => {
    expectRejected((w) => w.bits32(2, 1));
    expectRejected((w) => w.bits32(8, 3));
    expectRejected((w) => w.bits32(-1, 8));
    expectRejected((w) => w.bits32(1.5, 8));
    expectRejected((w) => w.bits32(2 ** 32, 32));
    const e = expectRejected((w) => w.bits32(16, 4));
    expect(e.reason).toBe("16 does not fit 4 bits");
  });

  it("bits64 accepts numbers and bigints that fit, returning a bigint", () => {
    const w = new ByteWriter();
    expect(w.bits64(5, 3)).toBe(5n);
    expect(w.bits64(5n, 3)).toBe(5n);
    expect(w.bits64(2n ** 64n - 1n, 64)).toBe(2n ** 64n - 1n);
    expect(w.bits64(2 ** 40, 41)).toBe(2n ** 40n);
    expect(w.bits64(0, 1)).toBe(0n);
  });

  it("bits64 rejects values that do not fit", () => {
    expectRejected((w) => w.bits64(8, 3));
    expectRejected((w) => w.bits64(8n, 3));
    expectRejected((w) => w.bits64(-1n, 8));
    expectRejected((w) => w.bits64(-1, 8));
    expectRejected((w) => w.bits64(0.5, 8));
    expectRejected((w) => w.bits64(2n ** 64n, 64));
    expectRejected((w) => w.bits64(2n ** 52n, 52));
  });
});

describe("ByteWriter.fail", () => {
  it("throws an EncodeError at the current position", () => {
    const w = writerAt(0x12);
    const e = encodeError(() => w.fail("nope"));
    expect(e.code).toBe("invalid-value");
    expect(e.offset).toBe(0x12);
    expect(e.reason).toBe("nope");
    expect(e.message).toBe("nope (offset 0x12)");
  });
});
