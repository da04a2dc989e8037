import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { decodeImage, encodeImage, imageFormat, SECTION_ENTRY_SIZE, type ImageHeader, type ImageInit, type KnownSection } from "../../generated/index.js";
import { crc32c, DecodeError, decodeStreamToImage, imageToStream, MAX_ALIGN, MemorySink, memorySource, openImage, STREAMED } from "../../runtime/index.js";
import { streamToImageFile } from "../../runtime/node/index.js";
import { syntheticGuest } from "../../synthetic/guest.js";
import { tempDir } from "../node/tmp.js";
import { ENTRY_CRC_AT, resealEntry } from "../runtime/entry-crc.js";
import { canonical, rejection, sameBytes, streamBytes, walkStream } from "../streams/helpers.js";

// One hand-made bad entry (or table, or stream) per entry rule, in both layouts where the rule applies.
// Each is made as a writer that breaks the rule would make it: the entry's CRC is recomputed after the
// edit, so the rule itself is what must reject it. Every rejection is a DecodeError with the rule's
// code, the section, the entry field and the entry's offset.

// A small PV guest with an unknown section of 3 bytes last, so the table has a gap before it.
const base = syntheticGuest("pv-x86_64", { seed: 5, vcpus: 1, memoryBytes: 8 * 4096, batchPages: 4 });
const init: ImageInit = {
  header: base.header,
  sections: [...base.sections, { type: "unknown", id: 0x7e10, optional: true, flags: 0, entryCount: 0n, entrySize: 0, align: 8, bytes: Uint8Array.of(7, 7, 7) }],
};
const seekable = encodeImage(init);
const streamed = await streamBytes<ImageHeader, KnownSection>(imageFormat, init.header, init.sections);
const streamEntries = walkStream(streamed);
const sv = new DataView(seekable.buffer, seekable.byteOffset, seekable.byteLength);
const tableOffset = Number(sv.getBigUint64(128, true));
const count = sv.getUint32(136, true);
const LAST = count - 1;
const dir = tempDir("entry-rules");

/** The index of the first section of a type. */
function indexOf(type: string): number {
  const i = init.sections.findIndex((s) => s.type === type);
  expect(i).toBeGreaterThanOrEqual(0);
  return i;
}
const TSC = indexOf("tsc_info"); // not an array, mandatory, align 8
const UNWRITTEN = indexOf("unwritten_pages"); // an array, optional
const PAGES = indexOf("page_data"); // align 4096: a gap before it

/** An entry field edit: the entry's bytes, little-endian, as a DataView at the entry. */
type Edit = (v: DataView) => void;
const u32 = (at: number, value: number | ((old: number) => number)): Edit => (v) => v.setUint32(at, typeof value === "number" ? value : value(v.getUint32(at, true)), true);
const u64 = (at: number, value: bigint | ((old: bigint) => bigint)): Edit => (v) => v.setBigUint64(at, typeof value === "bigint" ? value : value(v.getBigUint64(at, true)), true);
const F = { type: 0, flags: 4, offset: 8, size: 16, entryCount: 24, entrySize: 32, align: 36, crc: 40 } as const;

/** Where entry `index` is in each layout. */
const entryAt = { seekable: (index: number) => tableOffset + index * SECTION_ENTRY_SIZE, streamed: (index: number) => streamEntries[index]!.at };

/** The image in `layout` with entry `index` edited (its entry CRC recomputed unless `reseal` is false). */
function edited(layout: "seekable" | "streamed", index: number, edit: Edit, reseal = true): Uint8Array {
  const bytes = (layout === "seekable" ? seekable : streamed).slice();
  const at = entryAt[layout](index);
  edit(new DataView(bytes.buffer, at, SECTION_ENTRY_SIZE));
  if (reseal) resealEntry(bytes, at);
  return bytes;
}

/** Recomputes a header's CRC after an edit. */
function resealHeader(bytes: Uint8Array): void {
  const copy = bytes.slice(0, 152);
  copy.fill(0, 148, 152);
  new DataView(bytes.buffer, bytes.byteOffset).setUint32(148, crc32c(copy), true);
}

/** What reading the image in its layout throws: decodeImage and the lazy reader for a seekable image (the same error), the stream decoder for a stream. */
async function rejected(layout: "seekable" | "streamed", bytes: Uint8Array): Promise<DecodeError> {
  if (layout === "streamed") return (await rejection(() => decodeStreamToImage(imageFormat, [bytes]))) as DecodeError;
  const e = (() => {
    try {
      decodeImage(bytes);
    } catch (error) {
      return error as DecodeError;
    }
    throw new Error("decodeImage accepted the image");
  })();
  const lazy = (await rejection(async () => {
    const image = await openImage<ImageHeader, KnownSection>(imageFormat, memorySource(bytes));
    for await (const _ of image.sections());
  })) as DecodeError;
  expect({ code: lazy.code, message: lazy.message }).toEqual({ code: e.code, message: e.message });
  return e;
}

const label = (type: string, index: number) => `${type} #${index}`;

// Rules both layouts share: [what, entry index, edit, code, field, message].
const shared: [string, number, Edit, string, string, RegExp][] = [
  ["an entry count on a section that is not an array", TSC, u64(F.entryCount, 5n), "entry-shape", "entry_count", /tsc_info is not an array section: its entry count must be 0, not 5/],
  ["an entry size on a section that is not an array", TSC, u32(F.entrySize, 24), "entry-shape", "entry_size", /its entry size must be 0, not 24/],
  ["the optional bit on a mandatory type", TSC, u32(F.type, (t) => t | 0x8000_0000), "optional-bit", "type", /the optional bit is set, but tsc_info is mandatory/],
  ["no optional bit on an optional type", UNWRITTEN, u32(F.type, (t) => t & 0x7fff_ffff), "optional-bit", "type", /the optional bit is clear, but unwritten_pages is optional/],
  ["alignment 0", TSC, u32(F.align, 0), "alignment", "align", /alignment 0 is not a power of two/],
  ["alignment 3", TSC, u32(F.align, 3), "alignment", "align", /alignment 3 is not a power of two/],
  ["an alignment above the maximum", TSC, u32(F.align, MAX_ALIGN * 2), "alignment", "align", /alignment 4194304 is above the maximum, 2097152/],
  ["an alignment that is not the registry's", TSC, u32(F.align, 16), "alignment", "align", /alignment 16, but tsc_info sections are aligned to 8/],
  ["an end entry with a body CRC", LAST, u32(F.crc, 0x1234), "end-entry", "crc", /the end section's crc is 0x1234, not 0/],
  ["an end entry with the optional bit", LAST, u32(F.type, 0x8000_0000), "end-entry", "type", /the end section has the optional bit set/],
  ["an end entry with flags", LAST, u32(F.flags, 1), "end-entry", "flags", /the end section's flags is 0x1, not 0/],
  ["an end entry with an entry count", LAST, u64(F.entryCount, 1n), "end-entry", "entry_count", /the end section's entry_count is 1, not 0/],
  ["an end entry with an entry size", LAST, u32(F.entrySize, 8), "end-entry", "entry_size", /the end section's entry_size is 8, not 0/],
  ["an end entry with another alignment", LAST, u32(F.align, 16), "end-entry", "align", /the end section's align is 16, not 8/],
  ["an end entry with a size", LAST, u64(F.size, 8n), "end-entry", "size", /the end section is not empty/],
];

describe.each(["seekable", "streamed"] as const)("entry rules, %s layout", (layout) => {
  it("the images are valid as they are", async () => {
    expect(decodeImage(seekable).sections).toHaveLength(init.sections.length);
    expect(canonical((await decodeStreamToImage(imageFormat, [streamed])).sections)).toEqual(canonical(decodeImage(seekable).sections));
  });

  it("an entry whose CRC does not match: named as a table entry, whatever its type says", async () => {
    for (const index of [0, TSC, LAST]) {
      const e = await rejected(layout, edited(layout, index, u32(F.type, (t) => t ^ 0x2), false));
      expect(e).toMatchObject({ code: "entry-crc", section: `table entry #${index}`, path: "entry_crc", offset: entryAt[layout](index) });
      expect(e.message).toMatch(/entry CRC mismatch: stored 0x[0-9a-f]+, computed 0x[0-9a-f]+/);
    }
  });

  it.each(shared)("%s", async (_, index, edit, code, path, message) => {
    const e = await rejected(layout, edited(layout, index, edit));
    expect(e).toBeInstanceOf(DecodeError);
    expect(e).toMatchObject({ code, path, offset: entryAt[layout](index) });
    expect(e.message).toMatch(message);
  });
});

describe("entry rules of the seekable layout", () => {
  const expectRule = async (bytes: Uint8Array, match: { code: string; section?: string; path?: string; offset?: number }, message: RegExp) => {
    const e = await rejected("seekable", bytes);
    expect(e).toMatchObject(match);
    expect(e.message).toMatch(message);
  };

  it("the end section first, or not last", async () => {
    await expectRule(edited("seekable", 2, u32(F.type, 0)), { code: "end-entry", path: "type", offset: entryAt.seekable(2) }, /the end section is not last/);
    await expectRule(edited("seekable", LAST, u32(F.type, 0x7e11)), { code: "end-entry", path: "type", offset: entryAt.seekable(LAST) }, /the last section is not the end section/);
  });

  it("an end entry whose offset is not the table's", async () => {
    await expectRule(edited("seekable", LAST, u64(F.offset, (o) => o - 8n)), { code: "end-entry", section: `end #${LAST}`, path: "offset" }, /the end section's offset 0x[0-9a-f]+ is not the table's/);
  });

  it("overlapping bodies", async () => {
    const previous = sv.getBigUint64(entryAt.seekable(1) + F.offset, true);
    await expectRule(edited("seekable", 2, u64(F.offset, previous)), { code: "placement", section: label("msr_policy", 2), path: "offset" }, /overlaps the previous body, which ends at 0x/);
  });

  it("table rows out of body order", async () => {
    const bytes = seekable.slice();
    const [a, b] = [entryAt.seekable(1), entryAt.seekable(2)];
    const row = bytes.slice(a, a + SECTION_ENTRY_SIZE);
    bytes.copyWithin(a, b, b + SECTION_ENTRY_SIZE);
    bytes.set(row, b);
    // Each row keeps its own, correct entry CRC: only their order is wrong.
    await expectRule(bytes, { code: "placement", section: label("msr_policy", 1), path: "offset" }, /body at 0x[0-9a-f]+, not at 0x[0-9a-f]+, the first multiple of 8 after/);
  });

  it("a body not where the layout puts it (a gap wider than its alignment asks)", async () => {
    await expectRule(edited("seekable", 3, u64(F.offset, (o) => o + 8n)), { code: "placement", section: label("extended_info", 3), path: "offset" }, /body at 0x[0-9a-f]+, not at 0x[0-9a-f]+, the first multiple of 8 after/);
  });

  it("an offset off its alignment, the sentinel, a body outside the image", async () => {
    await expectRule(edited("seekable", PAGES, u64(F.offset, (o) => o + 8n)), { code: "placement", path: "offset" }, /offset 0x[0-9a-f]+ is not aligned to 4096/);
    await expectRule(edited("seekable", TSC, u64(F.offset, STREAMED)), { code: "placement", path: "offset" }, /a seekable image has a streamed \(sentinel\) section offset/);
    await expectRule(edited("seekable", TSC, u64(F.size, 1n << 40n)), { code: "placement", path: "size" }, /lies outside/);
  });

  it("a table that does not start right after the last body", async () => {
    // 8 more zeros before the table: the header and the end entry agree on the new place, which is still wrong.
    const bytes = new Uint8Array(seekable.length + 8);
    bytes.set(seekable.subarray(0, tableOffset));
    bytes.set(seekable.subarray(tableOffset), tableOffset + 8);
    const v = new DataView(bytes.buffer);
    v.setBigUint64(128, BigInt(tableOffset + 8), true);
    resealHeader(bytes);
    const end = tableOffset + 8 + LAST * SECTION_ENTRY_SIZE;
    v.setBigUint64(end + F.offset, BigInt(tableOffset + 8), true);
    resealEntry(bytes, end);
    await expectRule(bytes, { code: "placement", section: `end #${LAST}`, path: "offset" }, new RegExp(`the section table is at 0x${(tableOffset + 8).toString(16)}, not at 0x${tableOffset.toString(16)}`));
  });

  it("bytes after the table", async () => {
    const bytes = new Uint8Array(seekable.length + 1);
    bytes.set(seekable);
    await expectRule(bytes, { code: "trailing", section: "section table", offset: seekable.length }, /1 bytes follow the section table/);
  });

  it("a non-zero byte in the gap before a body, and in the gap before the table", async () => {
    const pages = sv.getBigUint64(entryAt.seekable(PAGES) + F.offset, true);
    const before = seekable.slice();
    before[Number(pages) - 3] = 0x40;
    await expectRule(before, { code: "gap", section: label("page_data", PAGES), offset: Number(pages) - 3 }, /alignment gap/);
    const lastBody = Number(sv.getBigUint64(entryAt.seekable(LAST - 1) + F.offset, true)) + 3;
    expect(tableOffset - lastBody).toBe(5);
    const table = seekable.slice();
    table[lastBody + 4] = 1;
    await expectRule(table, { code: "gap", section: "section table", offset: lastBody + 4 }, /alignment gap/);
    // The lazy reader finds the gap before the table when it opens the image.
    expect(((await rejection(() => openImage(imageFormat, memorySource(table)))) as DecodeError).code).toBe("gap");
  });
});

describe("entry rules of the streamed layout", () => {
  const expectRule = async (bytes: Uint8Array, match: { code: string; section?: string; path?: string; offset?: number }, message: RegExp) => {
    const e = await rejected("streamed", bytes);
    expect(e).toMatchObject(match);
    expect(e.message).toMatch(message);
  };

  it("an offset instead of the sentinel, the end entry's too", async () => {
    await expectRule(edited("streamed", TSC, u64(F.offset, 4096n)), { code: "placement", section: label("tsc_info", TSC), path: "offset" }, /a streamed section has an offset \(0x1000\)/);
    await expectRule(edited("streamed", LAST, u64(F.offset, 0n)), { code: "placement", section: `end #${LAST}`, path: "offset" }, /instead of the sentinel/);
  });

  it("non-zero padding after a body", async () => {
    // (The 152-byte header is a multiple of 8: no padding follows it.)
    expect(streamEntries[0]!.at).toBe(152);
    const e = streamEntries.find((x) => x.bodyEnd % 8 !== 0)!;
    const bytes = streamed.slice();
    bytes[e.bodyEnd] = 0x80;
    await expectRule(bytes, { code: "padding", offset: e.bodyEnd }, /padding between sections is not zero/);
  });

  it("a section count in the header counts the end section", async () => {
    const withCount = (n: number) => {
      const bytes = streamed.slice();
      new DataView(bytes.buffer).setUint32(136, n, true);
      resealHeader(bytes);
      return bytes;
    };
    expect((await decodeStreamToImage(imageFormat, [withCount(count)])).sections).toHaveLength(count - 1);
    await expectRule(withCount(count - 1), { code: "section-count", section: "header", path: "section_count" }, new RegExp(`announces ${count - 1} sections, the stream has ${count}`));
  });

  it("anything after the end entry", async () => {
    const bytes = new Uint8Array(streamed.length + 8);
    bytes.set(streamed);
    await expectRule(bytes, { code: "trailing", section: `end #${LAST}`, offset: streamed.length }, /bytes follow the end section/);
  });
});

describe("version 1 images (no entry CRC)", () => {
  /** The image as version 1 wrote it: format_version 1, every entry CRC zero. */
  function asVersion1(bytes: Uint8Array, entries: readonly number[]): Uint8Array {
    const out = bytes.slice();
    const v = new DataView(out.buffer);
    v.setUint16(10, 1, true);
    resealHeader(out);
    for (const at of entries) v.setUint32(at + ENTRY_CRC_AT, 0, true);
    return out;
  }
  const v1Seekable = asVersion1(seekable, Array.from({ length: count }, (_, i) => entryAt.seekable(i)));
  const v1Streamed = asVersion1(streamed, streamEntries.map((e) => e.at));

  it("still read, in both layouts, as the same image", async () => {
    const image = decodeImage(v1Seekable);
    expect(image.header.formatVersion).toBe(1);
    expect(canonical(image.sections)).toEqual(canonical(decodeImage(seekable).sections));
    const stream = await decodeStreamToImage(imageFormat, [v1Streamed]);
    expect(stream.header.formatVersion).toBe(1);
    expect(canonical(stream.sections)).toEqual(canonical(image.sections));
  });

  it("must have zero where version 2 has the entry CRC, and follow every other rule", async () => {
    for (const [layout, bytes] of [["seekable", v1Seekable], ["streamed", v1Streamed]] as const) {
      const reserved = bytes.slice();
      reserved[entryAt[layout](TSC) + ENTRY_CRC_AT + 1] = 1;
      const e = await rejected(layout, reserved);
      expect(e).toMatchObject({ code: "reserved", path: "entry_crc", section: label("tsc_info", TSC) });
      expect(e.message).toMatch(/entry_crc is 0x100 in a version 1 image, where it is reserved and must be zero/);
      const broken = bytes.slice();
      new DataView(broken.buffer).setBigUint64(entryAt[layout](TSC) + F.entryCount, 5n, true);
      expect(await rejected(layout, broken)).toMatchObject({ code: "entry-shape", path: "entry_count" });
    }
  });

  it("stay version 1 through conversions, byte for byte", async () => {
    const sink = new MemorySink();
    await imageToStream(imageFormat, await openImage(imageFormat, memorySource(v1Seekable)), sink);
    expect(sameBytes(sink.bytes(), v1Streamed)).toBe(true);
    const path = join(dir, "v1.img");
    await streamToImageFile(imageFormat, [v1Streamed], path, { sync: false });
    expect(sameBytes(readFileSync(path), v1Seekable)).toBe(true);
  });
});
