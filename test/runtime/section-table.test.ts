import { describe, expect, it } from "vitest";
import { ByteOrder, encodeImage, imageFormat, SECTION_ENTRY_SIZE, type ImageHeader, type ImageInit, type KnownSection } from "../../generated/index.js";
import { ByteReader, decodeHeader, DecodeError, encodeContainer, memorySource, openImage, SectionTable, tablePlacement, type ContainerFormat, type UnknownSection } from "../../runtime/index.js";
import { GUEST_KINDS, syntheticCoreImage, syntheticGuest } from "../../synthetic/guest.js";
import { ENTRY_CRC_AT, resealEntry } from "./entry-crc.js";
import { prng } from "./prng.js";

// The one-pass table check (driven by the generated entry layout) against the entry-by-entry path
// (the same format without a layout): both must accept the same tables with the same entries and
// reject the same tables with the same error.

const { layout: _layout, ...eagerEntry } = imageFormat.entry;
const eagerFormat: ContainerFormat<ImageHeader> = { ...imageFormat, entry: eagerEntry };

const inits: [string, ImageInit][] = GUEST_KINDS.flatMap((kind): [string, ImageInit][] => {
  const guest = syntheticGuest(kind, { vcpus: 2, memoryBytes: 16 * 4096, batchPages: 8 });
  return [
    [kind, guest],
    [`${kind} big-endian`, { ...guest, header: { ...guest.header, byteOrder: ByteOrder.big } }],
    [`${kind} core`, syntheticCoreImage(kind, { vcpus: 1, memoryBytes: 8 * 4096 })],
  ];
});

/** The header and table bytes of an encoded image. */
function tableOf(bytes: Uint8Array) {
  const { header, littleEndian } = decodeHeader(imageFormat, bytes);
  const { offset, size } = tablePlacement(imageFormat, header, bytes.length);
  return { header, littleEndian, offset, table: bytes.slice(offset, offset + size) };
}

/** What decoding a table with `format` gives: its entries, or the error's every detail. */
function outcome(format: ContainerFormat<ImageHeader>, header: ImageHeader, littleEndian: boolean, table: Uint8Array) {
  try {
    return { entries: SectionTable.decode(format, header, littleEndian, table).entries() };
  } catch (e) {
    if (!(e instanceof DecodeError)) throw e;
    return { error: { code: e.code, message: e.message, offset: e.offset, section: e.section, path: e.path } };
  }
}

describe("section table", () => {
  it("the format descriptor carries the entry layout generated from the schema", () => {
    expect(imageFormat.entry.layout).toEqual({ type: 0, flags: 4, offset: 8, size: 16, entryCount: 24, entrySize: 32, align: 36, crc: 40, zeros: [] });
    expect(imageFormat.entry).toMatchObject({ crcOffset: ENTRY_CRC_AT, crcSince: 2 });
  });

  it.each(inits)("checks in one pass and gives the same entries as the entry-by-entry path: %s", (_, init) => {
    const { header, littleEndian, table } = tableOf(encodeImage(init));
    let decoded = 0;
    const counting: ContainerFormat<ImageHeader> = { ...imageFormat, entry: { ...imageFormat.entry, decode: (r) => (decoded++, imageFormat.entry.decode(r)) } };
    SectionTable.decode(counting, header, littleEndian, table);
    expect(decoded).toBe(0); // no fallback to the entry-by-entry path
    const fast = outcome(imageFormat, header, littleEndian, table);
    expect(fast.entries).toHaveLength(init.sections.length + 1);
    expect(fast).toEqual(outcome(eagerFormat, header, littleEndian, table));
  });

  it("opens without decoding an entry object, and decodes only the entries asked for", async () => {
    let decoded = 0;
    const counting: ContainerFormat<ImageHeader> = { ...imageFormat, entry: { ...imageFormat.entry, decode: (r) => (decoded++, imageFormat.entry.decode(r)) } };
    const bytes = encodeImage(inits[0]![1]);
    const image = await openImage<ImageHeader, KnownSection>(counting, memorySource(bytes));
    const vcpus = image.indicesOf("vcpu_context");
    expect(vcpus).toHaveLength(1);
    expect(image.typeName(vcpus[0]!)).toBe("vcpu_context");
    expect(image.label(vcpus[0]!)).toBe(`vcpu_context #${vcpus[0]}`);
    expect(decoded).toBe(0);
    expect((await image.section(vcpus[0]!)).type).toBe("vcpu_context");
    expect(decoded).toBe(1);
    expect(image.entry(vcpus[0]!)).toBe(image.entries[vcpus[0]!]);
    expect(decoded).toBe(image.sectionCount + 1);
    const eager = await openImage<ImageHeader, KnownSection>(eagerFormat, memorySource(bytes));
    expect(image.entries).toEqual(eager.entries);
  });

  // Each mutation of one entry's bytes (le: little-endian words), and the check it must trip. The
  // mutated entries get a recomputed entry CRC (a writer that breaks the rule would write one), except
  // where the entry CRC is what is under test.
  type Mutation = [string, (v: DataView, entry: number, last: number) => void, string, "reseal" | "raw"];
  const mutations: Mutation[] = [
    ["a flipped entry CRC bit", (v, e) => v.setUint8(e + 46, v.getUint8(e + 46) ^ 1), "entry CRC mismatch", "raw"],
    ["a flipped type bit behind the entry CRC", (v, e) => v.setUint32(e, v.getUint32(e, true) ^ 2, true), "entry CRC mismatch", "raw"],
    ["alignment 0", (v, e) => v.setUint32(e + 36, 0, true), "alignment 0 is not a power of two", "reseal"],
    ["alignment 24", (v, e) => v.setUint32(e + 36, 24, true), "alignment 24 is not a power of two", "reseal"],
    ["alignment 2^31", (v, e) => v.setUint32(e + 36, 2 ** 31, true), "alignment 2147483648 is above the maximum", "reseal"],
    ["the registry's optional bit flipped", (v, e) => v.setUint32(e, v.getUint32(e, true) ^ 0x8000_0000, true), "the optional bit is set, but", "reseal"],
    ["an entry count on a section that is not an array", (v, e) => v.setBigUint64(e + 24, 5n, true), "is not an array section: its entry count must be 0, not 5", "reseal"],
    ["the streamed sentinel offset", (v, e) => v.setBigUint64(e + 8, 0xffff_ffff_ffff_ffffn, true), "a seekable image has a streamed (sentinel) section offset", "reseal"],
    ["an offset off its alignment", (v, e) => v.setBigUint64(e + 8, v.getBigUint64(e + 8, true) + 4n, true), "is not aligned to", "reseal"],
    ["an offset past its place", (v, e) => v.setBigUint64(e + 8, v.getBigUint64(e + 8, true) + 8n, true), "the first multiple of 8 after", "reseal"],
    ["an offset inside the previous body", (v, e) => v.setBigUint64(e + 8, v.getBigUint64(e - 48 + 8, true), true), "overlaps the previous body", "reseal"],
    ["an offset of 2^53", (v, e) => v.setBigUint64(e + 8, 1n << 53n, true), "lies outside", "reseal"],
    ["an offset inside the header", (v, e) => v.setBigUint64(e + 8, 0n, true), "lies outside", "reseal"],
    ["a size past the table", (v, e) => v.setBigUint64(e + 16, v.getBigUint64(e + 16, true) + 0x100000n, true), "lies outside", "reseal"],
    ["a size of 2^64 - 1", (v, e) => v.setBigUint64(e + 16, 0xffff_ffff_ffff_ffffn, true), "lies outside", "reseal"],
    ["an end section before the last", (v, e) => v.setUint32(e, imageFormat.endId, true), "the end section is not last", "reseal"],
    ["no end section last", (v, _, last) => v.setUint32(last, 0x8000_0f00, true), "the last section is not the end section", "reseal"],
    ["an end section with a body", (v, _, last) => (v.setBigUint64(last + 8, v.getBigUint64(last + 8, true) - 8n, true), v.setBigUint64(last + 16, 8n, true)), "the end section is not empty", "reseal"],
    ["an end section with a body CRC", (v, _, last) => v.setUint32(last + 40, 1, true), "the end section's crc is 0x1", "reseal"],
    ["an optional end section", (v, _, last) => v.setUint32(last, 0x8000_0000, true), "the end section has the optional bit set", "reseal"],
    ["an end section with flags", (v, _, last) => v.setUint32(last + 4, 0x10, true), "the end section's flags is 0x10", "reseal"],
  ];

  it.each(mutations)("reports %s with the entry-by-entry path's error", (_, mutate, reason, seal) => {
    const { header, littleEndian, table, offset } = tableOf(encodeImage(inits[0]![1]));
    const index = 3;
    const last = (header.sectionCount - 1) * SECTION_ENTRY_SIZE;
    mutate(new DataView(table.buffer), index * SECTION_ENTRY_SIZE, last);
    if (seal === "reseal") for (const at of [index * SECTION_ENTRY_SIZE, last]) resealEntry(table, at);
    const fast = outcome(imageFormat, header, littleEndian, table);
    expect(fast.error?.message).toContain(reason);
    expect(fast.error?.offset).toBeGreaterThanOrEqual(offset);
    expect(fast).toEqual(outcome(eagerFormat, header, littleEndian, table));
  });

  it("reports the first of several bad entries as the entry-by-entry path does", () => {
    const { header, littleEndian, table } = tableOf(encodeImage(inits[0]![1]));
    const v = new DataView(table.buffer);
    v.setUint32(2 * SECTION_ENTRY_SIZE + 36, 3, true); // entry 2: alignment 3
    resealEntry(table, 2 * SECTION_ENTRY_SIZE);
    v.setUint8(5 * SECTION_ENTRY_SIZE + 45, 9); // entry 5: its entry CRC
    const fast = outcome(imageFormat, header, littleEndian, table);
    expect(fast.error).toMatchObject({ code: "alignment", section: expect.stringMatching(/ #2$/), path: "align" });
    expect(fast).toEqual(outcome(eagerFormat, header, littleEndian, table));
  });

  it("checks every reserved byte whether the layout gives it in words or single bytes (decode errors first)", () => {
    // A format whose entries have a reserved word (here: flags, which must then be zero), checked by its
    // entry decoder and listed in its layout as one word or as single bytes.
    const decode = (r: ByteReader) => (r.zerosAt(r.pos + 4, 4, "reserved"), imageFormat.entry.decode(r));
    const layout = imageFormat.entry.layout!;
    const words: ContainerFormat<ImageHeader> = { ...imageFormat, entry: { ...imageFormat.entry, decode, layout: { ...layout, zeros: [[4, 4]] } } };
    const split: ContainerFormat<ImageHeader> = { ...imageFormat, entry: { ...imageFormat.entry, decode, layout: { ...layout, zeros: [[4, 1], [5, 3]] } } };
    const eager: ContainerFormat<ImageHeader> = { ...eagerFormat, entry: { ...eagerFormat.entry, decode } };
    const { header, littleEndian, table, offset } = tableOf(encodeImage(inits[0]![1]));
    for (const format of [words, split]) expect(outcome(format, header, littleEndian, table).entries).toHaveLength(header.sectionCount);
    for (const at of [4, 5, 6, 7]) {
      const m = table.slice();
      m[7 * SECTION_ENTRY_SIZE + at] = 0x80;
      resealEntry(m, 7 * SECTION_ENTRY_SIZE);
      m[2 * SECTION_ENTRY_SIZE + 36] = 3; // entry 2: alignment 3, and a bad entry CRC; found after the decode error
      for (const format of [words, split]) {
        const result = outcome(format, header, littleEndian, m);
        expect(result.error).toMatchObject({ section: "table entry #7", path: "reserved", offset: offset + 7 * SECTION_ENTRY_SIZE + at, message: expect.stringContaining("padding or reserved byte is not zero") });
        expect(result).toEqual(outcome(eager, header, littleEndian, m));
      }
    }
  });

  it("agrees with the entry-by-entry path on randomly mutated tables", () => {
    const rand = prng(4711);
    let rejected = 0;
    for (const [, init] of inits) {
      const { header, littleEndian, table } = tableOf(encodeImage(init));
      for (let trial = 0; trial < 40; trial++) {
        const m = table.slice();
        const touched = new Set<number>();
        for (let k = 1 + Math.floor(rand() * 3); k > 0; k--) {
          const at = Math.floor(rand() * m.length);
          m[at] = rand() < 0.3 ? 0xff : Math.floor(rand() * 256);
          touched.add(at - (at % SECTION_ENTRY_SIZE));
        }
        // Half the trials recompute the entry CRCs, so the mutations reach the other rules.
        if (trial % 2 === 1) for (const at of touched) resealEntry(m, at, littleEndian);
        const fast = outcome(imageFormat, header, littleEndian, m);
        if (fast.error !== undefined) rejected++;
        expect(fast).toEqual(outcome(eagerFormat, header, littleEndian, m));
      }
    }
    expect(rejected).toBeGreaterThan(100); // the mutations do reach the checks
  });

  it("opens a table of 50,000 entries and finds sections in it", async () => {
    const sections: UnknownSection[] = Array.from({ length: 50_000 }, (_, i) => ({
      type: "unknown",
      id: 0x7000 + (i % 3),
      optional: true,
      flags: i,
      entryCount: BigInt(i),
      entrySize: 0,
      align: 8,
      bytes: new Uint8Array(i % 5),
    }));
    const bytes = encodeContainer(imageFormat, { header: inits[0]![1].header, sections });
    const image = await openImage<ImageHeader, KnownSection>(imageFormat, memorySource(bytes));
    expect(image.sectionCount).toBe(50_000);
    expect(image.indicesOf("vcpu_context")).toEqual([]);
    expect(image.label(49_999)).toBe("type 0x7001 #49999");
    expect(image.entry(49_999)).toMatchObject({ type: 0x8000_7001, flags: 49_999, entryCount: 49_999n, size: 4n });
    const raw = await image.section(12_345);
    expect(raw).toMatchObject({ type: "unknown", id: 0x7000, flags: 12_345, bytes: new Uint8Array(0) });
    const { header, littleEndian, table } = tableOf(bytes);
    expect(image.entries).toEqual(outcome(eagerFormat, header, littleEndian, table).entries);
  });
});
