import { describe, expect, it } from "vitest";
import {
  BigEnum,
  Color,
  decodeEverything,
  decodeSegment,
  encodeEverything,
  encodeSegment,
  Perms,
  recordsSection,
  tailSection,
  taggedValuesSection,
  typedSection,
  pfnListSection,
  SEGMENT_SIZE,
  WideFlags,
  type Everything,
  type Segment,
  decodeFixedLimits,
  decodeLimits,
  encodeFixedLimits,
  encodeLimits,
  checkLimits,
  checkRuns,
  checkFrames,
  decodeRuns,
  decodeFrames,
  encodeRuns,
  encodeFrames,
  framesSection,
  LIMITS_TAILS_COUNTED,
  viewFixedLimits,
  type FixedLimits,
} from "./fixtures/golden/expected/constructs.js";
import { ByteOrder, Shape } from "./fixtures/golden/expected/box.js";
import { decodeImage, encodeImage, type ImageInit, type ImageSection } from "./fixtures/golden/expected/index.js";
import { ByteReader, ByteWriter, DecodeError, EncodeError } from "../../runtime/index.js";

// The golden module of every construct is real generated code: these tests run it.

const sample: Everything = {
  be16: 0x1234,
  le32: 0xdeadbeef,
  signed8: -5,
  ratio: 1.5,
  precise: Math.PI,
  id64: 0xffff_ffff_ffff_fffen,
  small64: 2 ** 53 - 1,
  neg64: -(2n ** 63n),
  color: Color.green,
  big: BigEnum.huge,
  perms: Perms.read | Perms.write,
  wide: WideFlags.top | 1n,
  frame: { color: Color.red, number: 2 ** 52 - 1 },
  small: { low: 0xf, mid: 0xab },
  halves: { lo: 0xffff, hi: 0xffff },
  origin: { x: -1, y: -2, z: 3, w: -4n },
  corners: [
    { x: 1, y: 2, z: 3, w: 4n },
    { x: 5, y: 6, z: 7, w: 8n },
  ],
  tag: "TAG",
  uuid: "00010203-0405-0607-0809-0a0b0c0d0e0f",
  items: [1, 2, 0xffff_ffff],
  blob: Uint8Array.of(9, 8, 7),
  label: "héllo",
};

function encode(v: Everything, littleEndian = true): Uint8Array {
  const w = new ByteWriter({ littleEndian });
  encodeEverything(w, v);
  return w.finish();
}

describe("struct of every field kind", () => {
  const bytes = encode(sample);
  const view = new DataView(bytes.buffer, bytes.byteOffset);

  it("round-trips", () => {
    expect(decodeEverything(new ByteReader(bytes))).toEqual(sample);
  });

  it("writes constants, pinned byte orders and computed counts where the schema says", () => {
    expect(view.getUint32(0, true)).toBe(0xcafe);
    expect(view.getUint16(4, false)).toBe(0x1234);
    expect(view.getUint32(6, true)).toBe(0xdeadbeef);
    expect(view.getFloat64(15, false)).toBe(Math.PI);
    // After the align: n_items (u16) then n_bytes (u32) hold the lengths of items and blob.
    const afterAlign = bytes.length - (2 + 4 + 3 * 4 + 3 + 1 + 6);
    expect(afterAlign % 8).toBe(0);
    expect(view.getUint16(afterAlign, true)).toBe(3);
    expect(view.getUint32(afterAlign + 2, true)).toBe(3);
    expect(bytes[bytes.length - 7]).toBe(6); // "héllo" is 6 UTF-8 bytes
  });

  it("follows the reader's byte order for unpinned fields only", () => {
    const be = encode(sample, false);
    const v = new DataView(be.buffer, be.byteOffset);
    expect(v.getUint32(0, false)).toBe(0xcafe);
    expect(v.getUint16(4, false)).toBe(0x1234); // pinned big either way
    expect(v.getUint32(6, true)).toBe(0xdeadbeef); // pinned little either way
    expect(decodeEverything(new ByteReader(be, { littleEndian: false }))).toEqual(sample);
  });

  it("rejects a wrong constant, naming the field", () => {
    const bad = bytes.slice();
    bad[0] = 0;
    expect(() => decodeEverything(new ByteReader(bad))).toThrowError(/expected 0xcafe, found 0xca00.*field version, offset 0x0/);
  });

  it("rejects non-zero reserved bits in a bit-field word and uncovered bits", () => {
    const frameAt = 4 + 2 + 4 + 1 + 4 + 8 + 8 + 8 + 8 + 2 + 8 + 1 + 8;
    const bad = bytes.slice();
    bad[frameAt + 6]! |= 0x10; // bit 52: reserved
    expect(() => decodeEverything(new ByteReader(bad))).toThrowError(/reserved bits of frame.*field frame/);
    const bad2 = bytes.slice();
    bad2[frameAt + 9]! |= 0x80; // bit 15 of small_bits: not covered by any field
    expect(() => decodeEverything(new ByteReader(bad2))).toThrowError(/reserved bits of small_bits.*field small/);
  });

  it("checks `reserved: true` but not `reserved: ignore` fields", () => {
    const keptAt = bytes.length - (2 + 4 + 3 * 4 + 3 + 1 + 6) - 8;
    const ignored = bytes.slice();
    ignored[keptAt] = 0xff; // kept (ignore)
    expect(() => decodeEverything(new ByteReader(ignored))).not.toThrow();
    const checked = bytes.slice();
    checked[keptAt + 2] = 0xff; // zero (checked)
    expect(() => decodeEverything(new ByteReader(checked))).toThrowError(/not zero.*field zero/);
    const aligned = bytes.slice();
    aligned[keptAt + 4] = 0xff; // the alignment padding after zero: its own fault, not zero's
    expect(() => decodeEverything(new ByteReader(aligned))).toThrowError(/not zero \(field _pad22, offset/);
  });

  it("names the field and element of a bad value to encode", () => {
    expect(() => encode({ ...sample, items: [1, -1] })).toThrowError(/field items\[1\]/);
    expect(() => encode({ ...sample, corners: [sample.origin] })).toThrowError(/1 elements given, exactly 2 expected.*field corners/);
    expect(() => encode({ ...sample, frame: { color: 16, number: 0 } })).toThrowError(/16 does not fit 4 bits.*field frame/);
    expect(() => encode({ ...sample, tag: "TOO LONG!" })).toThrowError(/at most 8 fit.*field tag/);
    expect(() => encode({ ...sample, id64: 1 as unknown as bigint })).toThrowError(EncodeError);
    expect(() => encode({ ...sample, corners: undefined as unknown as [] })).toThrowError(/field corners/);
  });

  it("holds a uuid as its 16 bytes in order, shown in the dashed lower-case form", () => {
    const at = Buffer.from(bytes).indexOf(Buffer.from(Array.from({ length: 16 }, (_, i) => i)));
    expect(at).toBeGreaterThan(0);
    const other = encode({ ...sample, uuid: "ffeeddcc-bbaa-9988-7766-554433221100" });
    expect(Array.from(other.subarray(at, at + 16))).toEqual(Array.from({ length: 16 }, (_, i) => 0xff - i * 0x11));
    expect(decodeEverything(new ByteReader(other)).uuid).toBe("ffeeddcc-bbaa-9988-7766-554433221100");
  });

  it("refuses a uuid in any other form with an EncodeError naming the field and its offset", () => {
    const at = Buffer.from(bytes).indexOf(Buffer.from(Array.from({ length: 16 }, (_, i) => i)));
    const forms = ["00010203-0405-0607-0809-0A0B0C0D0E0F", "000102030405060708090a0b0c0d0e0f", "{00010203-0405-0607-0809-0a0b0c0d0e0f}", "00010203-0405-0607-0809-0a0b0c0d0e0", 42, new Uint8Array(16), undefined];
    for (const uuid of forms) {
      let error: unknown;
      try {
        encode({ ...sample, uuid: uuid as string });
      } catch (e) {
        error = e;
      }
      expect(error, String(uuid)).toBeInstanceOf(EncodeError);
      expect([(error as EncodeError).code, (error as EncodeError).path, (error as EncodeError).offset], String(uuid)).toEqual(["invalid-value", "uuid", at]);
      expect((error as EncodeError).message).toMatch(/is not a uuid in the lower-case 8-4-4-4-12 form/);
    }
  });

  it("names the field where a truncated input ends", () => {
    // origin, a fixed 16-byte struct at 80, is cut: it is claimed whole, so the error names it and its start.
    const bytesCut = bytes.subarray(0, 90);
    const e = (() => {
      try {
        decodeEverything(new ByteReader(bytesCut));
      } catch (err) {
        return err as DecodeError;
      }
    })();
    expect(e).toBeInstanceOf(DecodeError);
    expect(e!.code).toBe("truncated");
    expect(e!.path).toBe("origin");
    expect(e!.offset).toBe(80);
    expect(e!.reason).toBe("needs 16 bytes, 10 left");
  });

  it("does not allocate for a count larger than the input", () => {
    const bad = bytes.slice();
    const afterAlign = bytes.length - (2 + 4 + 3 * 4 + 3 + 1 + 6);
    new DataView(bad.buffer).setUint16(afterAlign, 0xffff, true);
    expect(() => decodeEverything(new ByteReader(bad))).toThrowError(/count 65535 needs 262140 bytes.*field items/);
  });
});

describe("sections of every body kind, through the generated container", () => {
  const base: ImageInit = {
    header: { byteOrder: ByteOrder.little, shape: Shape.round },
    sections: [
      { type: "all_fields", body: sample },
      { type: "points", body: [sample.origin, ...sample.corners] },
      { type: "frames", body: { frames: [{ color: Color.red, number: 1 }, { color: Color.green, number: 2 }, { color: Color.red, number: 3 }], blocks: [new Uint8Array(64).fill(1), new Uint8Array(64).fill(3)] } },
      { type: "tail", body: { first: 1, others: [2, 3, 4] } },
      { type: "counted", body: { points: sample.corners } },
      { type: "shaped", body: sample.corners },
      { type: "text", body: { text: "free text ✓" } },
      { type: "marker", body: null },
      {
        type: "typed",
        body: {
          vec: { lanes: Uint32Array.of(1, 2, 3, 4), words: Uint16Array.of(5, 6, 7, 8), weights: Float32Array.of(0.5, 2) },
          signed: BigInt64Array.of(-9n),
          samples: Float64Array.of(1e300),
        },
      },
      { type: "pfn_list", body: { pfns: BigUint64Array.of(1n << 63n, 0n) } },
    ],
  };

  it("round-trips an image byte for byte", () => {
    const bytes = encodeImage(base);
    const decoded = decodeImage(bytes);
    expect(decoded.header.formatVersion).toBe(2);
    expect(decoded.sections).toEqual(base.sections);
    expect(Buffer.from(encodeImage(decoded)).equals(Buffer.from(bytes))).toBe(true);
  });

  it("selects a variant from the header", () => {
    const square: ImageInit = { header: { ...base.header, shape: Shape.square }, sections: [{ type: "shaped", body: { side: 9 } }] };
    expect(decodeImage(encodeImage(square)).sections).toEqual(square.sections);
    const none: ImageInit = { header: { ...base.header, shape: 7 }, sections: [{ type: "shaped", body: { side: 9 } }] };
    expect(() => encodeImage(none)).toThrowError(/no layout of shaped for shape 7.*section shaped #0/);
  });

  it("checks a count_of array against the elements it counts", () => {
    const frames = base.sections[2]! as ImageSection & { body: object };
    const bad: ImageInit = { ...base, sections: [{ ...frames, body: { ...frames.body, blocks: [] } } as ImageSection] };
    expect(() => encodeImage(bad)).toThrowError(/0 elements given, frames calls for 2.*field blocks/);
  });

  it("rejects a rest-of-section array that does not divide evenly", () => {
    const ctx = { header: base.header as never, entryCount: 0n, entrySize: 0 };
    expect(tailSection.decode(new ByteReader(Uint8Array.of(1, 0, 2, 0, 3, 0)), ctx)).toEqual({ first: 1, others: [2, 3] });
    expect(() => tailSection.decode(new ByteReader(Uint8Array.of(1, 0, 2, 0, 3)), ctx)).toThrowError(/3 bytes left, not a multiple of 2 \(field others, offset 0x2\)/);
  });
});

describe("switch: tagged unions selected by an earlier field", () => {
  const records = [
    { body: { type: "red", value: { x: 1, y: 2, z: 3, w: 4n } } },
    { body: { type: "green" } },
    { body: { type: "unknown", selector: 9, bytes: Uint8Array.of(0xaa, 0xbb, 0xcc) } },
  ] as const;

  function encodeRecords(value: unknown): Uint8Array {
    const w = new ByteWriter();
    recordsSection.encode(w, value as never, {} as never);
    return w.finish();
  }

  it("writes the selector and the computed length before each body, and keeps unknown bodies", () => {
    const bytes = encodeRecords({ records });
    const v = new DataView(bytes.buffer, bytes.byteOffset);
    expect([v.getUint16(0, true), v.getUint16(2, true)]).toEqual([Color.red, 16]);
    expect([v.getUint16(20, true), v.getUint16(22, true)]).toEqual([Color.green, 0]);
    expect([v.getUint16(24, true), v.getUint16(26, true)]).toEqual([9, 3]);
    expect(bytes.length).toBe(4 + 16 + 4 + 4 + 3);
    const ctx = { header: {} as never, entryCount: 0n, entrySize: 0 };
    expect(recordsSection.decode(new ByteReader(bytes), ctx)).toEqual({ records });
  });

  it("keeps a known body of another size (an older or newer layout) as bytes, losslessly", () => {
    const bytes = encodeRecords({ records: [records[0]] });
    const longer = new Uint8Array(bytes.length + 2);
    longer.set(bytes);
    new DataView(longer.buffer).setUint16(2, 18, true);
    const ctx = { header: {} as never, entryCount: 0n, entrySize: 0 };
    const decoded = recordsSection.decode(new ByteReader(longer), ctx) as { records: { body: { type: string; selector?: number; bytes?: Uint8Array } }[] };
    expect(decoded.records[0]!.body).toEqual({ type: "unknown", selector: Color.red, bytes: longer.subarray(4) });
    expect(Array.from(encodeRecords(decoded))).toEqual(Array.from(longer));
  });

  it("without a size, an unknown selector is an error naming it", () => {
    const ctx = { header: {} as never, entryCount: 0n, entrySize: 0 };
    const ok = Uint8Array.of(1, 2, 4, 0, 0, 0);
    const w = new ByteWriter();
    taggedValuesSection.encode(w, { items: [{ value: { type: "case_2", value: { small: 4 } } }] }, {} as never);
    expect(Array.from(w.finish())).toEqual(Array.from(Uint8Array.of(1, 2, 4, 0, 0, 0)));
    expect(taggedValuesSection.decode(new ByteReader(ok), ctx)).toEqual({ items: [{ value: { type: "case_2", value: { small: 4 } } }] });
    expect(() => taggedValuesSection.decode(new ByteReader(Uint8Array.of(1, 7, 0)), ctx)).toThrowError(/unknown tag 7.*field items\[0\]\.value, offset 0x1/);
  });

  it("refuses a case name it does not know", () => {
    expect(() => encodeRecords({ records: [{ body: { type: "blue" } }] })).toThrowError(/unknown case "blue".*field records\[0\]\.typecode/);
  });
});

describe("repr: typed_array, in generated code", () => {
  const vec = { lanes: Uint32Array.of(1, 2, 0xffff_ffff, 4), words: Uint16Array.of(0x1234, 0, 0xffff, 7), weights: Float32Array.of(1.5, -0) };
  const typed = { vec, signed: BigInt64Array.of(-1n, 1n << 62n), samples: Float64Array.of(Math.PI, -Infinity) };
  const ctx = { header: { byteOrder: ByteOrder.little, shape: Shape.round } as never, entryCount: 0n, entrySize: 0 };

  function encodeTyped(v: unknown, littleEndian = true): Uint8Array {
    const w = new ByteWriter({ littleEndian });
    typedSection.encode(w, v as never, ctx.header);
    return new Uint8Array(w.finish());
  }

  it("writes every count form in the field's byte order and reads the values back exactly", () => {
    const bytes = encodeTyped(typed);
    const dv = new DataView(bytes.buffer);
    expect(bytes[0]).toBe(2); // n: the computed count of signed
    expect(dv.getUint32(1 + 8, true)).toBe(0xffff_ffff);
    expect(dv.getUint16(1 + 16, false)).toBe(0x1234); // words: pinned big
    expect(dv.getBigInt64(1 + 32, false)).toBe(-1n); // signed: pinned big
    expect(dv.getFloat64(1 + 32 + 16, true)).toBe(Math.PI);
    expect(typedSection.decode(new ByteReader(bytes), ctx)).toEqual(typed);
  });

  it("gives views where byte order and alignment allow and copies elsewhere", () => {
    // Byte 0 is n, so in a buffer of its own every array after it is misaligned: all copies.
    const bytes = encodeTyped(typed);
    const plain = typedSection.decode(new ByteReader(bytes), ctx);
    expect(plain).toEqual(typed);
    for (const a of [plain.vec.lanes, plain.vec.weights, plain.samples]) expect(a.buffer).not.toBe(bytes.buffer);
    // Placed 7 bytes into a buffer: lanes at 8, weights at 32, samples at 56, all aligned.
    const shifted = new Uint8Array(bytes.length + 7);
    shifted.set(bytes, 7);
    const v = typedSection.decode(new ByteReader(shifted.subarray(7)), ctx);
    expect(v).toEqual(typed);
    expect(v.vec.lanes.buffer).toBe(shifted.buffer);
    expect(v.vec.words.buffer).not.toBe(shifted.buffer); // big-endian: a swapped copy
    expect(v.vec.weights.buffer).toBe(shifted.buffer);
    expect(v.signed.buffer).not.toBe(shifted.buffer); // big-endian
    expect(v.samples.buffer).toBe(shifted.buffer);
  });

  it("follows a big-endian header for unpinned fields", () => {
    const be = encodeTyped(typed, false);
    expect(new DataView(be.buffer).getUint32(1 + 8, false)).toBe(0xffff_ffff);
    expect(typedSection.decode(new ByteReader(be, { littleEndian: false }), ctx)).toEqual(typed);
  });

  it("rejects a wrong fixed length, the wrong typed array and a rest that does not divide, naming the field", () => {
    expect(() => encodeTyped({ ...typed, vec: { ...vec, lanes: Uint32Array.of(1) } })).toThrowError(/1 elements given, exactly 4 expected.*field vec\.lanes/);
    expect(() => encodeTyped({ ...typed, samples: [1.5] })).toThrowError(/a Float64Array is expected.*field samples/);
    const bytes = encodeTyped(typed);
    expect(() => typedSection.decode(new ByteReader(bytes.subarray(0, bytes.length - 1)), ctx)).toThrowError(/15 bytes left, not a multiple of 8.*field samples/);
  });

  it("reports an entries-counted typed array's element size as the table's entry size", () => {
    const w = new ByteWriter();
    const entry = pfnListSection.encode(w, { pfns: BigUint64Array.of(1n, 2n, 3n) }, ctx.header);
    expect(entry).toEqual({ entryCount: 3n, entrySize: 8 });
    const body = new Uint8Array(w.finish());
    expect(pfnListSection.decode(new ByteReader(body), { ...ctx, entryCount: 3n, entrySize: 8 })).toEqual({ pfns: BigUint64Array.of(1n, 2n, 3n) });
    expect(() => pfnListSection.decode(new ByteReader(body), { ...ctx, entryCount: 3n, entrySize: 0 })).toThrowError(/entry size 0 in the table, 8 expected/);
  });
});

describe("encoders specialised per byte order", () => {
  // segment nests two points, a bit-field word, a float and an array, all in the image's byte order:
  // its encoder exists once per order and each calls the nested encoders of the same order.
  const segment: Segment = {
    from: { x: -1, y: 0x1234, z: 7, w: -2n },
    to: { x: 0x0102_0304, y: -2, z: 255, w: 1n << 62n },
    frame: { color: Color.green, number: 0x1_2345_6789 },
    ratio: 0.25,
    ids: [0xabcd, 1],
  };

  function encodeSegmentIn(littleEndian: boolean, v: unknown = segment): Uint8Array {
    const w = new ByteWriter({ littleEndian });
    encodeSegment(w, v as Segment);
    return w.finish();
  }

  for (const littleEndian of [true, false]) {
    it(`writes every field, nested ones included, ${littleEndian ? "little" : "big"}-endian when the writer is`, () => {
      const bytes = encodeSegmentIn(littleEndian);
      const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      expect(bytes.length).toBe(SEGMENT_SIZE);
      expect(dv.getUint16(4, littleEndian)).toBe(0x1234);
      expect(dv.getBigInt64(8, littleEndian)).toBe(-2n);
      expect(dv.getInt32(16, littleEndian)).toBe(0x0102_0304);
      expect(dv.getBigUint64(24, littleEndian)).toBe(1n << 62n);
      expect(dv.getBigUint64(32, littleEndian)).toBe((BigInt(Color.green) << 60n) | 0x1_2345_6789n);
      expect(dv.getFloat32(40, littleEndian)).toBe(0.25);
      expect(dv.getUint16(44, littleEndian)).toBe(0xabcd);
      expect(decodeSegment(new ByteReader(bytes, { littleEndian }))).toEqual(segment);
    });

    it(`names a nested field's bad value in the ${littleEndian ? "little" : "big"}-endian encoder`, () => {
      expect(() => encodeSegmentIn(littleEndian, { ...segment, to: { ...segment.to, z: 256 } })).toThrowError(
        /256 is not a valid u8.*field to\.z, offset 0x16/,
      );
      expect(() => encodeSegmentIn(littleEndian, { ...segment, ids: [1, -1] })).toThrowError(/-1 is not a valid u16.*field ids\[1\], offset 0x2e/);
      // Padding after fields that can fail is reported as itself, not as the last of them.
      const bytes = encodeSegmentIn(littleEndian);
      bytes[50] = 1;
      expect(() => decodeSegment(new ByteReader(bytes, { littleEndian }))).toThrowError(/not zero \(field _pad5, offset 0x32\)/);
      // A bit field names its word's position, not the end of the struct.
      expect(() => encodeSegmentIn(littleEndian, { ...segment, frame: { ...segment.frame, color: 16 } })).toThrowError(
        /16 does not fit 4 bits.*field frame, offset 0x20/,
      );
    });
  }

  it("reports a missing struct, nested or whole, as an EncodeError naming the field that holds it", () => {
    let nested: unknown;
    try {
      encodeSegmentIn(true, { ...segment, to: undefined });
    } catch (e) {
      nested = e;
    }
    expect(nested).toBeInstanceOf(EncodeError);
    expect((nested as EncodeError).path).toBe("to");
    expect((nested as EncodeError).reason).toMatch(/^bad value: /);
    expect(() => encodeSegmentIn(true, null)).toThrowError(EncodeError);
  });
});

describe("value rules: valid, closed enums, count_of not_in", () => {
  const fixed = (level: number, small: number, shift: number, count: number) => {
    const b = new Uint8Array(8);
    const v = new DataView(b.buffer);
    v.setUint8(0, level);
    v.setUint8(1, small);
    v.setUint16(2, shift, true);
    v.setUint32(4, count, true);
    return b;
  };
  const reject = (run: () => unknown) => {
    try {
      run();
    } catch (e) {
      return e as DecodeError;
    }
    throw new Error("accepted");
  };

  it("the decoder and the view accept allowed values and reject others at the field, with field-value", () => {
    expect(decodeFixedLimits(new ByteReader(fixed(2, 9, 16, 1)))).toEqual({ level: 2, small: 9, shift: 16, count: 1 });
    const cases: [Uint8Array, string, number][] = [
      [fixed(3, 1, 12, 1), "level", 0x100],
      [fixed(1, 0, 12, 1), "small", 0x101],
      [fixed(1, 10, 12, 1), "small", 0x101],
      [fixed(1, 1, 13, 1), "shift", 0x102],
      [fixed(1, 1, 12, 0), "count", 0x104],
    ];
    for (const [bytes, path, offset] of cases) {
      for (const read of [decodeFixedLimits, viewFixedLimits]) {
        const e = reject(() => read(new ByteReader(bytes, { base: 0x100 })));
        expect(e).toBeInstanceOf(DecodeError);
        expect([e.code, e.path, e.offset], path).toEqual(["field-value", path, offset]);
      }
    }
  });

  it("the encoder refuses what the decoder rejects", () => {
    for (const v of [{ level: 3, small: 1, shift: 12, count: 1 }, { level: 1, small: 10, shift: 12, count: 1 }, { level: 1, small: 1, shift: 14, count: 1 }, { level: 1, small: 1, shift: 12, count: 0 }]) {
      expect(() => encodeFixedLimits(new ByteWriter(), v as FixedLimits)).toThrowError(EncodeError);
    }
    const w = new ByteWriter();
    expect(() => encodeLimits(w, { small: 1, level: 1, shift: 12, size: 4097n, count: 1, words: [{ color: 1, number: 0 }, { color: 1, number: 0 }], tails: [] })).toThrowError(/size 4097 is not allowed: it must be a multiple of 4096.*field size/);
  });

  it("not_in counts every value but those listed, unnamed ones included", () => {
    const words = [{ color: 1, number: 0 }, { color: 9, number: 1 }];
    const w = new ByteWriter();
    encodeLimits(w, { small: 1, level: 1, shift: 12, size: 8192n, count: 1, words, tails: [Uint8Array.of(1, 2, 3, 4)] });
    const decoded = decodeLimits(new ByteReader(w.finish()));
    expect(decoded.tails).toEqual([Uint8Array.of(1, 2, 3, 4)]);
    expect(LIMITS_TAILS_COUNTED.has(9)).toBe(true);
    expect(LIMITS_TAILS_COUNTED.has(1)).toBe(false);
  });
});

describe("structure checks: checkX, for structs of byte-run arrays", () => {
  /** The verdict of a read: the error's every part, or what it returned without its byte runs. */
  const verdict = (read: () => object, runs: readonly string[]) => {
    try {
      return { ok: Object.fromEntries(Object.entries(read()).filter(([k]) => !runs.includes(k))) };
    } catch (e) {
      if (!(e instanceof DecodeError)) throw e;
      return { code: e.code, path: e.path, offset: e.offset, message: e.message };
    }
  };
  /** Every prefix of `bytes` and a few longer inputs: each byte-run array cut at every element, and trailing bytes. */
  const cuts = (bytes: Uint8Array) => [...Array.from({ length: bytes.length + 1 }, (_, n) => bytes.subarray(0, n)), ...[1, 7, 8, 64].map((k) => Uint8Array.from({ length: bytes.length + k }, (_, i) => bytes[i] ?? 0))];

  const cases: [string, Uint8Array, (r: ByteReader) => object, (r: ByteReader) => object, string[]][] = [];
  {
    const w = new ByteWriter();
    encodeRuns(w, { pairs: [Uint8Array.of(1, 2), Uint8Array.of(3, 4), Uint8Array.of(5, 6)], quads: [Uint8Array.of(1, 2, 3, 4), Uint8Array.of(5, 6, 7, 8)], octets: [new Uint8Array(8).fill(9), new Uint8Array(8)] });
    cases.push(["runs: a fixed count, a field's count, the rest", w.finish(), decodeRuns, checkRuns, ["pairs", "quads", "octets"]]);
  }
  {
    const w = new ByteWriter();
    encodeLimits(w, { small: 1, level: 1, shift: 12, size: 8192n, count: 1, words: [{ color: 2, number: 5 }, { color: 9, number: 1 }], tails: [Uint8Array.of(1, 2, 3, 4), Uint8Array.of(5, 6, 7, 8)] });
    cases.push(["limits: count_of not_in, value rules", w.finish(), decodeLimits, checkLimits, ["tails"]]);
  }
  {
    const w = new ByteWriter();
    encodeFrames(w, { frames: [{ color: Color.red, number: 1 }, { color: Color.green, number: 2 }, { color: Color.red, number: 3 }], blocks: [new Uint8Array(64).fill(1), new Uint8Array(64).fill(2)] });
    cases.push(["frames: count_of in, after an align", w.finish(), decodeFrames, checkFrames, ["blocks"]]);
  }

  it.each(cases)("%s: the decoder's verdict on every cut and every longer input", (_, bytes, decode, check, runs) => {
    const seen = new Set<string>();
    for (const input of cuts(bytes)) {
      const reader = () => new ByteReader(input, { base: 0x200 });
      const expected = verdict(() => decode(reader()), runs);
      expect(verdict(() => check(reader()), runs), `${input.length} of ${bytes.length} bytes`).toEqual(expected);
      seen.add("code" in expected ? `${expected.code} ${expected.path}` : "ok");
    }
    // Every array was cut inside: the check names the element, as the decoder does.
    for (const run of runs) expect([...seen].some((s) => s.includes(`${run}[`) || s.startsWith("length"))).toBe(true);
    expect(seen.has("ok")).toBe(true);
  });

  it("the check returns the fields but the byte runs, and a section codec offers it", () => {
    expect(checkLimits(new ByteReader(cases[1]![1]))).toEqual({ small: 1, level: 1, shift: 12, size: 8192n, count: 1, words: [{ color: 2, number: 5 }, { color: 9, number: 1 }] });
    expect(framesSection.check).toBeTypeOf("function");
  });
});
