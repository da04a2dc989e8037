import { describe, expect, it } from "vitest";
import { ByteReader } from "../../runtime/byte-reader.js";
import { ByteWriter } from "../../runtime/byte-writer.js";
import { DecodeError, EncodeError } from "../../runtime/errors.js";
import { decodeEntries, encodeEntries, NOT_AN_ARRAY, type SectionContext } from "../../runtime/section-codec.js";

const header = { version: 1 };
const ctx = (entryCount: bigint, entrySize: number): SectionContext<typeof header> => ({ header, entryCount, entrySize });

/** A tiny entry codec: one u32 per entry. */
const decodeU32 = (r: ByteReader): number => r.u32();
const encodeU32 = (w: ByteWriter, v: number): void => w.u32(v);

/** A two-field entry codec (u16 tag, u16 value) whose field errors carry a path, like generated code. */
interface Pair {
  tag: number;
  value: number;
}
function decodePair(r: ByteReader): Pair {
  const tag = r.u16();
  r.expect(tag, 0x7a, 2);
  let value: number;
  try {
    value = r.u16();
  } catch (e) {
    throw (e as DecodeError).within({ path: "value" });
  }
  if (value > 100) {
    try {
      r.fail(`value ${value} is too large`, r.pos - 2);
    } catch (e) {
      throw (e as DecodeError).within({ path: "value" });
    }
  }
  return { tag, value };
}
function encodePair(w: ByteWriter, p: Pair): void {
  w.u16(p.tag);
  try {
    w.u16(p.value);
  } catch (e) {
    throw (e as EncodeError).within({ path: "value" });
  }
}

function decodeError(f: () => unknown): DecodeError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(DecodeError);
    return e as DecodeError;
  }
  throw new Error("expected a DecodeError, nothing was thrown");
}

describe("encodeEntries / decodeEntries round trip", () => {
  it("round-trips u32 entries", () => {
    const values = [0, 1, 0xdeadbeef, 0xffffffff, 42];
    const w = new ByteWriter();
    const shape = encodeEntries(w, values, 4, encodeU32);
    expect(shape).toEqual({ entryCount: 5n, entrySize: 4 });
    const body = w.finish();
    expect(body.length).toBe(20);
    expect(Array.from(body.subarray(8, 12))).toEqual([0xef, 0xbe, 0xad, 0xde]);
    const r = new ByteReader(body);
    expect(decodeEntries(r, ctx(shape.entryCount, shape.entrySize), 4, decodeU32)).toEqual(values);
    expect(r.remaining).toBe(0);
  });

  it("round-trips an empty array", () => {
    const w = new ByteWriter();
    const shape = encodeEntries(w, [], 4, encodeU32);
    expect(shape).toEqual({ entryCount: 0n, entrySize: 4 });
    expect(w.pos).toBe(0);
    expect(decodeEntries(new ByteReader(w.finish()), ctx(0n, 4), 4, decodeU32)).toEqual([]);
  });

  it("round-trips two-field entries in big-endian", () => {
    const pairs = [{ tag: 0x7a, value: 1 }, { tag: 0x7a, value: 99 }, { tag: 0x7a, value: 0 }];
    const w = new ByteWriter({ littleEndian: false });
    const shape = encodeEntries(w, pairs, 4, encodePair);
    expect(Array.from(w.finish().subarray(0, 4))).toEqual([0, 0x7a, 0, 1]);
    const r = new ByteReader(w.finish(), { littleEndian: false });
    expect(decodeEntries(r, ctx(shape.entryCount, shape.entrySize), 4, decodePair)).toEqual(pairs);
  });

  it("NOT_AN_ARRAY reports no entries", () => {
    expect(NOT_AN_ARRAY).toEqual({ entryCount: 0n, entrySize: 0 });
  });
});

describe("decodeEntries validation", () => {
  const body = Uint8Array.of(1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0);

  it("rejects an entry size in the table that differs from the codec's", () => {
    const e = decodeError(() => decodeEntries(new ByteReader(body, { base: 0x400 }), ctx(3n, 8), 4, decodeU32));
    expect(e.code).toBe("entry-shape");
    expect(e.offset).toBe(0x400);
    expect(e.reason).toContain("entry size 8");
    expect(() => decodeEntries(new ByteReader(body), ctx(6n, 2), 4, decodeU32)).toThrow(DecodeError);
  });

  it("rejects a count that does not fill the body", () => {
    const e = decodeError(() => decodeEntries(new ByteReader(body, { base: 0x400 }), ctx(2n, 4), 4, decodeU32));
    expect(e.code).toBe("entry-shape");
    expect(e.offset).toBe(0x400);
    expect(e.reason).toContain("do not fill the 12-byte body");
    expect(() => decodeEntries(new ByteReader(body), ctx(0n, 4), 4, decodeU32)).toThrow(DecodeError);
  });

  it("rejects a count larger than the body, without allocating", () => {
    expect(() => decodeEntries(new ByteReader(body), ctx(4n, 4), 4, decodeU32)).toThrow(DecodeError);
    expect(() => decodeEntries(new ByteReader(body), ctx(0xffff_ffffn, 4), 4, decodeU32)).toThrow(DecodeError);
    expect(() => decodeEntries(new ByteReader(body), ctx(2n ** 64n - 1n, 4), 4, decodeU32)).toThrow(DecodeError);
  });

  it("rejects a body with a partial trailing entry", () => {
    const odd = Uint8Array.of(1, 0, 0, 0, 2, 0);
    expect(() => decodeEntries(new ByteReader(odd), ctx(1n, 4), 4, decodeU32)).toThrow(DecodeError);
    expect(() => decodeEntries(new ByteReader(odd), ctx(2n, 4), 4, decodeU32)).toThrow(DecodeError);
  });

  it("does not call the entry decoder when the table is wrong", () => {
    let calls = 0;
    const counting = (r: ByteReader): number => {
      calls++;
      return r.u32();
    };
    expect(() => decodeEntries(new ByteReader(body), ctx(2n, 4), 4, counting)).toThrow(DecodeError);
    expect(() => decodeEntries(new ByteReader(body), ctx(3n, 6), 4, counting)).toThrow(DecodeError);
    expect(calls).toBe(0);
    decodeEntries(new ByteReader(body), ctx(3n, 4), 4, counting);
    expect(calls).toBe(3);
  });
});

describe("entry error paths", () => {
  const pairsBody = (values: number[]): Uint8Array => {
    const w = new ByteWriter();
    for (const v of values) {
      w.u16(0x7a);
      w.u16(v);
    }
    return w.finish();
  };

  it("an error inside entry 2 has a path starting with [2]", () => {
    const body = pairsBody([1, 2, 500, 4]);
    const e = decodeError(() => decodeEntries(new ByteReader(body, { base: 0x1000 }), ctx(4n, 4), 4, decodePair));
    expect(e.path).toBe("[2].value");
    expect(e.path!.startsWith("[2]")).toBe(true);
    expect(e.offset).toBe(0x100a);
    expect(e.message).toContain("field [2].value");
    expect(e.message).toContain("0x100a");
  });

  it("an error with no inner path gets just the index", () => {
    const w = new ByteWriter();
    for (const tag of [0x7a, 0x7a, 0x7a, 0x11]) {
      w.u16(tag);
      w.u16(0);
    }
    const e = decodeError(() => decodeEntries(new ByteReader(w.finish(), { base: 0x20 }), ctx(4n, 4), 4, decodePair));
    expect(e.path).toBe("[3]");
    expect(e.offset).toBe(0x2c);
  });

  it("the section can be added outside, keeping the entry path", () => {
    const body = pairsBody([1, 2, 500]);
    const e = decodeError(() => {
      try {
        decodeEntries(new ByteReader(body), ctx(3n, 4), 4, decodePair);
      } catch (err) {
        throw (err as DecodeError).within({ section: "p2m_frames" });
      }
    });
    expect(e.section).toBe("p2m_frames");
    expect(e.path).toBe("[2].value");
    expect(e).toBeInstanceOf(DecodeError);
  });

  it("a foreign error from an entry decoder becomes a DecodeError naming the entry", () => {
    const bug = new TypeError("codec bug");
    const e = decodeError(() =>
      decodeEntries(new ByteReader(new Uint8Array(8), { base: 0x30 }), ctx(2n, 4), 4, (r) => {
        if (r.pos === 4) throw bug;
        return r.u32();
      }),
    );
    expect(e.code).toBe("internal");
    expect(e.path).toBe("[1]");
    expect(e.offset).toBe(0x34);
    expect(e.reason).toContain("codec bug");
  });

  it("a foreign error from an entry encoder becomes an EncodeError naming the entry", () => {
    const w = new ByteWriter();
    let caught: unknown;
    try {
      encodeEntries(w, [{ tag: 1, value: 1 }, undefined as unknown as Pair], 4, encodePair);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(EncodeError);
    expect((caught as EncodeError).path).toBe("[1]");
    expect((caught as EncodeError).offset).toBe(4);
    expect((caught as EncodeError).reason).toMatch(/^bad value: /);
  });

  it("encodeEntries reports the failing entry index as an EncodeError", () => {
    const w = new ByteWriter();
    let caught: unknown;
    try {
      encodeEntries(w, [{ tag: 0x7a, value: 1 }, { tag: 0x7a, value: 2 }, { tag: 0x7a, value: 70000 }], 4, encodePair);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(EncodeError);
    const e = caught as EncodeError;
    expect(e.path).toBe("[2].value");
    expect(e.offset).toBe(10);
    expect(e.message).toContain("field [2].value");
  });

  it("encodeEntries with a failing u32 entry gets just the index", () => {
    const w = new ByteWriter();
    let caught: unknown;
    try {
      encodeEntries(w, [1, 2, -1], 4, encodeU32);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(EncodeError);
    expect((caught as EncodeError).path).toBe("[2]");
    expect((caught as EncodeError).offset).toBe(8);
  });

  it("encodeEntries rejects a non-array body", () => {
    const w = new ByteWriter();
    expect(() => encodeEntries(w, "nope" as unknown as number[], 4, encodeU32)).toThrow(EncodeError);
    expect(() => encodeEntries(w, undefined as unknown as number[], 4, encodeU32)).toThrow(EncodeError);
  });
});
