import { describe, expect, it } from "vitest";
import { ByteOrder, encodeImage, imageFormat, SECTION_ENTRY_SIZE, type ImageHeader, type ImageInit, type KnownSection } from "../../generated/index.js";
import { decodeHeader, DecodeError, encodeContainer, memorySource, openImage, SectionTable, tablePlacement, type ContainerFormat, type UnknownSection } from "../../runtime/index.js";
import { GUEST_KINDS, syntheticCoreImage, syntheticGuest } from "../../synthetic/guest.js";
import { prng } from "./prng.js";

// The one-pass table check (driven by the generated entry layout) against the entry-by-entry path
// (the same format without a layout): both must accept the same tables with the same entries and
// reject the same tables with the same error.

const eagerFormat: ContainerFormat<ImageHeader> = { ...imageFormat, entry: { size: imageFormat.entry.size, decode: imageFormat.entry.decode, encode: imageFormat.entry.encode } };

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
    expect(imageFormat.entry.layout).toEqual({ type: 0, flags: 4, offset: 8, size: 16, entryCount: 24, entrySize: 32, align: 36, crc: 40, zeros: [[44, 4]] });
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

  // Each mutation of one entry's bytes (le: little-endian words), and the check it must trip.
  const mutations: [string, (v: DataView, entry: number, last: number) => void, string][] = [
    ["a reserved byte", (v, e) => v.setUint8(e + 46, 1), "padding or reserved byte is not zero"],
    ["alignment 0", (v, e) => v.setUint32(e + 36, 0, true), "alignment 0 is not a power of two"],
    ["alignment 24", (v, e) => v.setUint32(e + 36, 24, true), "alignment 24 is not a power of two"],
    ["the streamed sentinel offset", (v, e) => v.setBigUint64(e + 8, 0xffff_ffff_ffff_ffffn, true), "a seekable image has a streamed (sentinel) section offset"],
    ["an offset off its alignment", (v, e) => v.setBigUint64(e + 8, v.getBigUint64(e + 8, true) + 4n, true), "is not aligned to"],
    ["an offset of 2^53", (v, e) => v.setBigUint64(e + 8, 1n << 53n, true), "lies outside"],
    ["an offset inside the header", (v, e) => v.setBigUint64(e + 8, 0n, true), "lies outside"],
    ["a size past the table", (v, e) => v.setBigUint64(e + 16, v.getBigUint64(e + 16, true) + 0x100000n, true), "lies outside"],
    ["a size of 2^64 - 1", (v, e) => v.setBigUint64(e + 16, 0xffff_ffff_ffff_ffffn, true), "lies outside"],
    ["an end section before the last", (v, e) => v.setUint32(e, imageFormat.endId, true), "the end section is not last"],
    ["no end section last", (v, _, last) => v.setUint32(last, 0x8000_0f00, true), "the last section is not the end section"],
    ["an end section with a body", (v, _, last) => (v.setBigUint64(last + 8, v.getBigUint64(last + 8, true) - 8n, true), v.setBigUint64(last + 16, 8n, true)), "the end section is not empty"],
  ];

  it.each(mutations)("reports %s with the entry-by-entry path's error", (_, mutate, reason) => {
    const { header, littleEndian, table, offset } = tableOf(encodeImage(inits[0]![1]));
    const index = 3;
    const last = (header.sectionCount - 1) * SECTION_ENTRY_SIZE;
    mutate(new DataView(table.buffer), index * SECTION_ENTRY_SIZE, last);
    const fast = outcome(imageFormat, header, littleEndian, table);
    expect(fast.error?.message).toContain(reason);
    expect(fast.error?.offset).toBeGreaterThanOrEqual(offset);
    expect(fast).toEqual(outcome(eagerFormat, header, littleEndian, table));
  });

  it("reports the first of several bad entries as the entry-by-entry path does (decode errors first)", () => {
    const { header, littleEndian, table } = tableOf(encodeImage(inits[0]![1]));
    const v = new DataView(table.buffer);
    v.setUint32(2 * SECTION_ENTRY_SIZE + 36, 3, true); // entry 2: alignment 3
    v.setUint8(5 * SECTION_ENTRY_SIZE + 45, 9); // entry 5: reserved byte
    const fast = outcome(imageFormat, header, littleEndian, table);
    expect(fast.error).toMatchObject({ section: "table entry #5", path: "reserved" });
    expect(fast).toEqual(outcome(eagerFormat, header, littleEndian, table));
  });

  it("checks every reserved byte whether the layout gives it in words or single bytes", () => {
    const { header, littleEndian, table, offset } = tableOf(encodeImage(inits[0]![1]));
    const split: ContainerFormat<ImageHeader> = { ...imageFormat, entry: { ...imageFormat.entry, layout: { ...imageFormat.entry.layout!, zeros: [[44, 1], [45, 3]] } } };
    expect(outcome(split, header, littleEndian, table).entries).toHaveLength(header.sectionCount);
    for (const at of [44, 45, 46, 47]) {
      for (const format of [imageFormat, split]) {
        const m = table.slice();
        m[7 * SECTION_ENTRY_SIZE + at] = 0x80;
        expect(outcome(format, header, littleEndian, m).error).toMatchObject({ section: "table entry #7", path: "reserved", offset: offset + 7 * SECTION_ENTRY_SIZE + at, message: expect.stringContaining("padding or reserved byte is not zero") });
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
        for (let k = 1 + Math.floor(rand() * 3); k > 0; k--) m[Math.floor(rand() * m.length)] = rand() < 0.3 ? 0xff : Math.floor(rand() * 256);
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
