import { writeFileSync } from "node:fs";
import { open, readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  decodeImage,
  encodePageData,
  imageFormat,
  PageType,
  SECTION_ENTRY_SIZE,
  VCPU_GUEST_CONTEXT_X86_64_SIZE,
  viewVcpuGuestContextX8664,
  type ImageHeader,
  type KnownSection,
  type VcpuGuestContextX8664,
} from "../../generated/index.js";
import { PAGE_TYPES_WITH_DATA, PageIndex } from "../../image/page-index.js";
import { ByteWriter, crc32c, DecodeError, memorySource, openImage } from "../../runtime/index.js";
import { openImageFile, writeImageFile, type FileHandleLike } from "../../runtime/node/index.js";
import { syntheticGuestStream, syntheticPage, syntheticPageType } from "../../synthetic/stream.js";
import { resealEntry } from "../runtime/entry-crc.js";
import { canonical, rejection } from "../streams/helpers.js";
import { tempDir } from "./tmp.js";

const dir = tempDir("reader");
const SEED = 12;
const MEMORY = 24 * 1024 * 1024;
const PAGES = MEMORY / 4096;
const path = join(dir, "large.img");
await writeImageFile(imageFormat, path, syntheticGuestStream({ seed: SEED, memoryBytes: MEMORY, batchPages: 1024, checkpoints: 2 }), { sync: false });

/** Opens `file` through a FileHandle whose reads are recorded. */
async function counted(file: string) {
  const handle = await open(file, "r");
  const reads: { position: number; bytes: number }[] = [];
  const wrapped: FileHandleLike = {
    async read(buffer, offset, length, position) {
      const r = await handle.read(buffer, offset, length, position);
      reads.push({ position, bytes: r.bytesRead });
      return r;
    },
    stat: () => handle.stat(),
    close: () => handle.close(),
  };
  const image = await openImageFile<ImageHeader, KnownSection>(imageFormat, wrapped);
  return { image, reads, total: () => reads.reduce((n, r) => n + r.bytes, 0) };
}

describe("lazy seekable reader", () => {
  // The table is read with the 7 bytes before it, where the alignment gap before the table lies (it must be zero).
  it("opens a large image by reading only the header and the section table", async () => {
    const { image, reads, total } = await counted(path);
    try {
      expect(image.size).toBeGreaterThan(MEMORY);
      const tableOffset = Number(image.header.sectionTableOffset);
      const tableBytes = image.entries.length * SECTION_ENTRY_SIZE;
      expect(reads).toEqual([
        { position: 0, bytes: 152 },
        { position: tableOffset - 7, bytes: 7 + tableBytes },
      ]);
      expect(total()).toBe(152 + 7 + tableBytes);
    } finally {
      await image.close();
    }
  });

  // With the body comes the alignment gap before it (from the end of the previous body), in the same read: it must be zero.
  it("reads one section by reading that section's bytes (and the gap before them) and nothing else", async () => {
    const { image, reads, total } = await counted(path);
    try {
      const opened = total();
      const spans = new Map<string, number>();
      for (const name of ["vcpu_context", "page_data", "cpuid"]) {
        const index = image.indicesOf(name).at(-1)!;
        const entry = image.entry(index);
        const previous = image.entry(index - 1);
        const gapStart = Number(previous.offset + previous.size);
        const before = reads.length;
        const section = await image.section(index);
        expect(section.type).toBe(name);
        expect(Number(entry.offset) - gapStart).toBeLessThan(entry.align);
        expect(reads.slice(before)).toEqual([{ position: gapStart, bytes: Number(entry.offset) - gapStart + Number(entry.size) }]);
        spans.set(name, Number(entry.offset + entry.size) - gapStart);
      }
      expect(total() - opened).toBe([...spans.values()].reduce((n, span) => n + span, 0));
    } finally {
      await image.close();
    }
  });

  it("fetches a page by pfn reading only the frame lists and that page", async () => {
    const { image, reads, total } = await counted(path);
    try {
      const opened = total();
      const index = await PageIndex.build(image);
      // Per batch: the 8-byte count and reserved word, then 8 bytes per pfn; 6 batches plus 2 resent.
      const batches = image.indicesOf("page_data").length;
      expect(batches).toBe(PAGES / 1024 + 2);
      expect(total() - opened).toBe(batches * 8 + (PAGES + 2 * 1024) * 8);

      for (const pfn of [0, 5, 1023, 1024, 4000, PAGES - 2]) {
        const before = total();
        const page = await index.page(pfn);
        expect(total() - before).toBe(4096);
        // pfns 0…1023 were resent in the two checkpointed phases: the last copy wins.
        const phase = pfn < 1024 ? 2 : 0;
        expect(Buffer.from(page!).equals(Buffer.from(syntheticPage(SEED, pfn, "random", phase))), `pfn ${pfn}`).toBe(true);
      }
      expect(syntheticPageType(PAGES - 1, PAGES)).toBe(PageType.allocate_only);
      expect(index.locate(PAGES - 1)).toMatchObject({ type: PageType.allocate_only, bodyOffset: undefined });
      expect(await index.page(PAGES - 1)).toBeUndefined();
      expect(await index.page(PAGES + 10)).toBeUndefined();
      expect(index.words).toBe(PAGES + 2 * 1024);
    } finally {
      await image.close();
    }
  });

  it("decodes the same sections as the in-memory decoder", async () => {
    const small = join(dir, "small.img");
    await writeImageFile(imageFormat, small, syntheticGuestStream({ seed: 2, memoryBytes: 20 * 4096, batchPages: 6 }));
    const image = await openImageFile<ImageHeader, KnownSection>(imageFormat, small);
    try {
      const lazy = [];
      for await (const s of image.sections()) lazy.push(s);
      const bytes = new Uint8Array(await readFile(small));
      expect(canonical(lazy)).toEqual(canonical(decodeImage(bytes).sections));
    } finally {
      await image.close();
    }
  });

  it("checks the CRC of a section it reads, naming the section and offset", async () => {
    const { image } = await counted(path);
    const index = image.indicesOf("vcpu_context")[0]!;
    const entry = image.entry(index);
    await image.close();
    const corrupt = join(dir, "corrupt.img");
    const bytes = new Uint8Array(await readFile(path));
    bytes[Number(entry.offset) + 100]! ^= 1;
    writeFileSync(corrupt, bytes);
    const bad = await openImageFile(imageFormat, corrupt);
    try {
      const e = (await rejection(() => bad.section(index))) as DecodeError;
      expect(e.code).toBe("crc");
      expect(e.section).toBe(`vcpu_context #${index}`);
      expect(e.offset).toBe(Number(entry.offset));
      // Other sections still read.
      expect((await bad.section(0)).type).toBe("guest_config");
    } finally {
      await bad.close();
    }
  });

  it("reads records through lazy views over a body reader, whose errors name the section", async () => {
    const image = await openImageFile<ImageHeader, KnownSection>(imageFormat, path);
    let index: number;
    let entry: { offset: bigint; size: bigint };
    let tableOffset: bigint;
    try {
      index = image.indicesOf("vcpu_context")[0]!;
      entry = image.entry(index);
      tableOffset = image.header.sectionTableOffset;
      const decoded = (await image.section(index)) as Extract<KnownSection, { type: "vcpu_context" }>;
      const r = await image.bodyReader(index);
      expect(r.littleEndian).toBe(true);
      for (const value of decoded.body as VcpuGuestContextX8664[]) {
        const view = viewVcpuGuestContextX8664(r);
        expect(view.userRegs.rip).toBe(value.userRegs.rip);
        expect(view.ctrlreg).toEqual(value.ctrlreg);
        expect(view.trapCtxt[14]!.address).toBe(value.trapCtxt[14]!.address);
        expect(view.toObject()).toEqual(value);
      }
      r.expectEnd();
    } finally {
      await image.close();
    }
    // Bad padding in the second record's trap_ctxt[5], behind a recomputed CRC: only the view reading that
    // record fails, naming the section, the field and the absolute offset.
    const bytes = new Uint8Array(await readFile(path));
    const body = Number(entry.offset);
    const pad = body + VCPU_GUEST_CONTEXT_X86_64_SIZE + 720 + 5 * 16 + 4;
    bytes[pad] = 1;
    const entryAt = Number(tableOffset) + index * SECTION_ENTRY_SIZE;
    new DataView(bytes.buffer).setUint32(entryAt + 40, crc32c(bytes.subarray(body, body + Number(entry.size))), true); // section_entry.crc
    resealEntry(bytes, entryAt);
    const bad = await openImage<ImageHeader, KnownSection>(imageFormat, memorySource(bytes));
    const r = await bad.bodyReader(index);
    viewVcpuGuestContextX8664(r);
    const e = (() => {
      try {
        viewVcpuGuestContextX8664(r);
      } catch (error) {
        return error as DecodeError;
      }
      throw new Error("the bad record was not rejected");
    })();
    expect(e).toBeInstanceOf(DecodeError);
    expect(e.section).toBe(`vcpu_context #${index}`);
    expect(e.path).toBe("trap_ctxt[5]._pad3");
    expect(e.offset).toBe(pad);
    expect(e.message).toMatch(/section vcpu_context #\d+, field trap_ctxt\[5\]\._pad3, offset 0x/);
  });

  it("rejects a cut-off file at open, a range outside a body, and a body over maxSectionSize", async () => {
    const { image } = await counted(path);
    const size = image.size;
    await image.close();
    const cut = join(dir, "cut.img");
    const handle = await open(path, "r");
    const head = new Uint8Array(size - 100);
    await handle.read(head, 0, head.length, 0);
    await handle.close();
    writeFileSync(cut, head);
    await expect(openImageFile(imageFormat, cut)).rejects.toThrowError(/the section table .* runs past the end of the image/);

    const limited = await openImageFile(imageFormat, path, { maxSectionSize: 1 << 20 });
    try {
      const pageData = limited.indicesOf("page_data")[0]!;
      const e = (await rejection(() => limited.section(pageData))) as DecodeError;
      expect(e.code).toBe("too-large");
      expect(e.section).toBe(`page_data #${pageData}`);
      await expect(limited.readRange(pageData, Number(limited.entry(pageData).size) - 10, 11)).rejects.toThrowError(RangeError);
      expect((await limited.readRange(pageData, 0, 8)).length).toBe(8);
    } finally {
      await limited.close();
    }
  });

  it("knows which page types carry contents exactly as the generated page_data codec does", () => {
    for (let type = 0; type < 16; type++) {
      const w = new ByteWriter();
      let needsPage = false;
      try {
        encodePageData(w, { pfns: [{ type, pfn: 0 }], pages: [] });
      } catch {
        needsPage = true;
      }
      expect(PAGE_TYPES_WITH_DATA.has(type), `type ${type}`).toBe(needsPage);
    }
  });
});
