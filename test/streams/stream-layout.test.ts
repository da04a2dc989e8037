import { describe, expect, it } from "vitest";
import { encodeImage, IMAGE_HEADER_SIZE, SECTION_ENTRY_SIZE } from "../../generated/index.js";
import { crc32c, STREAMED } from "../../runtime/index.js";
import { ENTRY_CRC_AT } from "../runtime/entry-crc.js";
import { guestStream, labelOf, sameBytes, walkStream } from "./helpers.js";

// The streamed layout, checked byte for byte with DataView against the seekable image of the same guest.

const guest = await guestStream({ seed: 3, memoryBytes: 40 * 4096, batchPages: 16, vcpus: 2 });
const bytes = guest.bytes;
const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
const entries = walkStream(bytes);
const seekable = encodeImage({ header: guest.header, sections: guest.sections });
const sv = new DataView(seekable.buffer, seekable.byteOffset, seekable.byteLength);
const tableOffset = Number(sv.getBigUint64(128, true));
const seekableEntries = Array.from({ length: sv.getUint32(136, true) }, (_, i) => {
  const at = tableOffset + i * SECTION_ENTRY_SIZE;
  return { offset: Number(sv.getBigUint64(at + 8, true)), bytes: seekable.subarray(at, at + SECTION_ENTRY_SIZE) };
});

describe("streamed layout, byte for byte", () => {
  it("has the seekable header with the sentinel as table offset, section count 0, and its own CRC", () => {
    expect(Array.from(bytes.subarray(0, 8))).toEqual([0x7f, 0x58, 0x45, 0x4e, 0x49, 0x4d, 0x47, 0x00]);
    expect(view.getBigUint64(128, true)).toBe(STREAMED);
    expect(view.getUint32(136, true)).toBe(0);
    expect(view.getUint32(140, true)).toBe(SECTION_ENTRY_SIZE);
    const copy = bytes.slice(0, IMAGE_HEADER_SIZE);
    copy.fill(0, 148, 152);
    expect(crc32c(copy)).toBe(view.getUint32(148, true));
    // Apart from the table fields and the CRC, the same header as the seekable image's.
    const a = bytes.slice(0, IMAGE_HEADER_SIZE);
    const b = seekable.slice(0, IMAGE_HEADER_SIZE);
    for (const [from, to] of [[128, 140], [148, 152]]) {
      a.fill(0, from, to);
      b.fill(0, from, to);
    }
    expect(a).toEqual(b);
  });

  it("sends every section as its entry, then its body, each entry 8-aligned, the end section last", () => {
    expect(entries.map((e) => e.type)).toEqual(seekableEntries.map((e) => new DataView(e.bytes.buffer, e.bytes.byteOffset).getUint32(0, true)));
    expect(entries[0]!.at).toBe(Math.ceil(IMAGE_HEADER_SIZE / 8) * 8);
    for (const e of entries) {
      expect(e.at % 8).toBe(0);
      expect(e.offset).toBe(STREAMED);
    }
    const end = entries[entries.length - 1]!;
    expect(end).toMatchObject({ type: 0, size: 0, crc: 0 });
    expect(end.bodyEnd).toBe(bytes.length);
  });

  // Format version 2: the entry CRC covers the offset, so it differs between the layouts too.
  it("carries the seekable table's entries exactly, but for the offset and the entry CRC that covers it", () => {
    entries.forEach((e, i) => {
      const streamed = bytes.slice(e.at, e.at + SECTION_ENTRY_SIZE);
      const table = seekableEntries[i]!.bytes.slice();
      for (const entry of [streamed, table]) {
        const stored = new DataView(entry.buffer).getUint32(ENTRY_CRC_AT, true);
        entry.fill(0, ENTRY_CRC_AT, ENTRY_CRC_AT + 4);
        expect(crc32c(entry), labelOf(e.type, i)).toBe(stored);
      }
      streamed.fill(0, 8, 16);
      table.fill(0, 8, 16);
      expect(streamed, labelOf(e.type, i)).toEqual(table);
    });
  });

  it("carries each body exactly as the seekable image has it, CRC included, padding zero", () => {
    entries.forEach((e, i) => {
      const start = seekableEntries[i]!.offset;
      expect(sameBytes(bytes.subarray(e.bodyAt, e.bodyEnd), seekable.subarray(start, start + e.size)), labelOf(e.type, i)).toBe(true);
      expect(crc32c(bytes.subarray(e.bodyAt, e.bodyEnd))).toBe(e.crc);
      const next = entries[i + 1]?.at ?? bytes.length;
      expect(bytes.subarray(e.bodyEnd, next).every((b) => b === 0)).toBe(true);
      expect(next - e.bodyEnd).toBeLessThan(8);
    });
  });

  it("does not align page data to 4096 in the stream, but keeps align 4096 in its entry", () => {
    const pageData = entries.filter((e) => e.type === 0x40);
    expect(pageData.length).toBe(Math.ceil(40 / 16));
    for (const e of pageData) expect(e.align).toBe(4096);
    expect(pageData.some((e) => e.bodyAt % 4096 !== 0)).toBe(true);
  });
});
