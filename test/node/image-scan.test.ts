import { writeFileSync } from "node:fs";
import { open, readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { imageFormat, type ImageHeader, type KnownSection } from "../../generated/index.js";
import { crc32c, DecodeError, scanSections, type ScannedSection, type ScanSource, type TableEntry } from "../../runtime/index.js";
import { openImageFile, writeImageFile, type FileHandleLike } from "../../runtime/node/index.js";
import { canonical } from "../streams/helpers.js";
import { syntheticGuestStream } from "../../synthetic/stream.js";
import { prng, randomBytes } from "../runtime/prng.js";
import { rejection } from "../streams/helpers.js";
import { tempDir } from "./tmp.js";

const dir = tempDir("scan");
const path = join(dir, "guest.img");
await writeImageFile(imageFormat, path, syntheticGuestStream({ seed: 5, memoryBytes: 12 * 1024 * 1024, batchPages: 1024, checkpoints: 1 }), { sync: false });
const MIB = 1024 * 1024;

/** A scan source over `bytes` with hand-made entries (no table checks), recording its reads. */
function source(bytes: Uint8Array, entries: TableEntry[], maxSectionSize = Infinity) {
  const reads: { position: number; length: number }[] = [];
  const src: ScanSource = {
    async readFully(into, position, what) {
      reads.push({ position, length: into.length });
      if (position + into.length > bytes.length) throw new DecodeError("truncated", "past the end", { section: what, offset: bytes.length });
      into.set(bytes.subarray(position, position + into.length));
    },
    entries,
    label: (i) => `#${i}`,
    // Hand-made entries lie anywhere: no gaps to read before them.
    gapBefore: (i) => ({ start: Number(entries[i]!.offset), end: Number(entries[i]!.offset) }),
    gapLabel: (i) => `#${i}`,
    maxSectionSize,
  };
  return { src, reads };
}

/** The image with one byte of the first vcpu_context body flipped (written once). */
let flippedOnce: Promise<{ flipped: string; victim: number }> | undefined;
function flippedImage(): Promise<{ flipped: string; victim: number }> {
  flippedOnce ??= (async () => {
    const bytes = new Uint8Array(await readFile(path));
    const image = await openImageFile<ImageHeader, KnownSection>(imageFormat, path);
    const victim = image.indicesOf("vcpu_context")[0]!;
    const at = Number(image.entry(victim).offset) + 7;
    await image.close();
    bytes[at]! ^= 0x10;
    const flipped = join(dir, "flipped.img");
    writeFileSync(flipped, bytes);
    return { flipped, victim };
  })();
  return flippedOnce;
}

function entry(offset: number, size: number): TableEntry {
  return { type: 1, flags: 0, offset: BigInt(offset), size: BigInt(size), entryCount: 0n, entrySize: 0, align: 1, crc: 0, entryCrc: 0 };
}

/** Collects a scan, copying each body (a body is valid only until the next section is asked for). */
async function collect(scan: AsyncIterable<ScannedSection>) {
  const out: { index: number; crc: number; body: Uint8Array | undefined }[] = [];
  for await (const s of scan) out.push({ index: s.index, crc: s.crc, body: s.body?.slice() });
  return out;
}

describe("scanning a seekable image front to back", () => {
  it("yields every section once in file order, body and CRC exact, reading each byte once in chunk-sized reads", async () => {
    const bytes = randomBytes(prng(1), 300_000);
    // Section 3 comes first in the file; 5 is empty; 2 is larger than a chunk; a gap between 0 and 1.
    const entries = [entry(1000, 20_000), entry(25_000, 30_000), entry(60_000, 150_000), entry(0, 900), entry(210_000, 40_000), entry(250_000, 0), entry(250_000, 49_999)];
    for (const chunkSize of [1000, 4096, 64 * 1024, 1 << 20]) {
      const { src, reads } = source(bytes, entries);
      const got = await collect(scanSections(src, { chunkSize }));
      const expected = entries.map((e, index) => ({ index, start: Number(e.offset), end: Number(e.offset + e.size) })).sort((a, b) => a.start - b.start || a.index - b.index);
      expect(got.map((s) => s.index), `chunk ${chunkSize}`).toEqual(expected.map((e) => e.index));
      for (const s of got) {
        const e = expected.find((x) => x.index === s.index)!;
        const want = bytes.subarray(e.start, e.end);
        expect(s.crc).toBe(crc32c(want));
        expect(Buffer.from(s.body!).equals(Buffer.from(want))).toBe(true);
      }
      // No read larger than a chunk, none overlapping another, none past what the sections need.
      for (const r of reads) expect(r.length).toBeLessThanOrEqual(chunkSize);
      const sorted = [...reads].sort((a, b) => a.position - b.position);
      for (let i = 1; i < sorted.length; i++) expect(sorted[i]!.position).toBeGreaterThanOrEqual(sorted[i - 1]!.position + sorted[i - 1]!.length);
      expect(reads.reduce((n, r) => n + r.length, 0)).toBeLessThanOrEqual(299_999);
    }
    // With a large chunk, sections are read together: one read from the first section to the last.
    const { src, reads } = source(bytes, entries);
    await collect(scanSections(src, { chunkSize: 1 << 20 }));
    expect(reads).toEqual([{ position: 0, length: 299_999 }]);
  });

  it("reads a section that overlaps an earlier one on its own, so every section is still yielded once", async () => {
    const bytes = randomBytes(prng(2), 10_000);
    const entries = [entry(0, 4000), entry(2000, 4000), entry(6000, 1000), entry(100, 10)];
    const { src } = source(bytes, entries);
    const got = await collect(scanSections(src, { chunkSize: 8192 }));
    expect(got.map((s) => s.index).sort()).toEqual([0, 1, 2, 3]);
    for (const s of got) {
      const e = entries[s.index]!;
      expect(s.crc).toBe(crc32c(bytes.subarray(Number(e.offset), Number(e.offset + e.size))));
    }
  });

  it("checksums a body over maxSectionSize without holding it, and scans only the sections asked for", async () => {
    const bytes = randomBytes(prng(3), 150_000);
    const entries = [entry(0, 100), entry(100, 140_000), entry(140_100, 9_000)];
    const { src, reads } = source(bytes, entries, 10_000);
    const got = await collect(scanSections(src, { chunkSize: 4096 }));
    expect(got[1]!.body).toBeUndefined();
    expect(got[1]!.crc).toBe(crc32c(bytes.subarray(100, 140_100)));
    expect(got[2]!.body?.length).toBe(9_000);
    expect(Math.max(...reads.map((r) => r.length))).toBeLessThanOrEqual(4096);

    // Sections asked for are read, the large one between them is not.
    const only = source(bytes, entries, 10_000);
    expect((await collect(scanSections(only.src, { sections: [2, 0] }))).map((s) => s.index)).toEqual([0, 2]);
    expect(only.reads.reduce((n, r) => n + r.length, 0)).toBe(100 + 9_000);
    await expect(collect(scanSections(only.src, { sections: [3] }))).rejects.toThrow(RangeError);
  });

  it("reads an image file in few large reads, every CRC as in the table", async () => {
    const handle = await open(path, "r");
    const reads: number[] = [];
    const counted: FileHandleLike = {
      read: async (buffer, offset, length, position) => {
        const r = await handle.read(buffer, offset, length, position);
        reads.push(r.bytesRead);
        return r;
      },
      stat: () => handle.stat(),
      close: () => handle.close(),
    };
    const image = await openImageFile<ImageHeader, KnownSection>(imageFormat, counted);
    try {
      const opened = reads.length;
      const seen = new Set<number>();
      for await (const s of image.scan({ chunkSize: 8 * MIB })) {
        expect(s.crc, s.label).toBe(s.entry.crc);
        expect(s.body?.length).toBe(Number(s.entry.size));
        seen.add(s.index);
      }
      expect(seen.size).toBe(image.entries.length);
      const scanned = reads.slice(opened);
      const bodies = Number(image.header.sectionTableOffset) - image.header.headerSize;
      expect(scanned.reduce((n, r) => n + r, 0)).toBeLessThanOrEqual(bodies);
      expect(scanned.length).toBeLessThanOrEqual(Math.ceil(bodies / (4 * MIB)));
    } finally {
      await image.close();
    }
  });

  it("reports the CRC of what it read, so a flipped byte shows in its section only; a file cut short is a DecodeError", async () => {
    const { flipped, victim } = await flippedImage();
    const bad = await openImageFile<ImageHeader, KnownSection>(imageFormat, flipped);
    try {
      const mismatched: number[] = [];
      for await (const s of bad.scan()) if (s.crc !== s.entry.crc) mismatched.push(s.index);
      expect(mismatched).toEqual([victim]);
    } finally {
      await bad.close();
    }
    // The file shrinks after the table was read: the read that comes up short names where.
    const handle = await open(path, "r");
    const size = (await handle.stat()).size;
    let shrunk = false;
    const shrinking: FileHandleLike = {
      read: (buffer, offset, length, position) => (shrunk && position > size / 2 ? Promise.resolve({ bytesRead: 0 }) : handle.read(buffer, offset, length, position)),
      stat: () => handle.stat(),
      close: () => handle.close(),
    };
    const cut = await openImageFile<ImageHeader, KnownSection>(imageFormat, shrinking);
    shrunk = true;
    try {
      const e = (await rejection(async () => {
        for await (const s of cut.scan({ chunkSize: MIB })) void s;
      })) as DecodeError;
      expect(e).toBeInstanceOf(DecodeError);
      expect(e.code).toBe("truncated");
      expect(e.message).toMatch(/the image ends at 0x[0-9a-f]+, \d+ bytes short of the end of the page_data #\d+/);
    } finally {
      await cut.close();
    }
  });
  it("decodes every section through the scan (transient) as section by section, and fails alike on a bad CRC", async () => {
    const image = await openImageFile<ImageHeader, KnownSection>(imageFormat, path);
    try {
      const lazy: unknown[] = [];
      for await (const s of image.sections()) lazy.push(canonical([s]));
      const transient: unknown[] = [];
      // Each section is made canonical (copied) before the next is asked for, as the option requires.
      for await (const s of image.sections({ transient: true })) transient.push(canonical([s]));
      expect(transient).toEqual(lazy);
    } finally {
      await image.close();
    }
    const { flipped } = await flippedImage();
    const bad = await openImageFile<ImageHeader, KnownSection>(imageFormat, flipped);
    try {
      const errors: string[] = [];
      for (const transient of [false, true]) {
        errors.push(((await rejection(async () => {
          for await (const s of bad.sections({ transient })) void s;
        })) as DecodeError).message);
      }
      expect(errors[0]).toMatch(/body CRC mismatch: stored 0x[0-9a-f]+, computed 0x[0-9a-f]+ \(section vcpu_context #\d+/);
      expect(errors[1]).toBe(errors[0]);
    } finally {
      await bad.close();
    }
  });
});

describe("the alignment gaps a scan reads", () => {
  /** The image with one byte set in the alignment gap before its first page_data body (written once). */
  async function gapFlipped(chunk: "small" | "default") {
    const bytes = new Uint8Array(await readFile(path));
    const image = await openImageFile<ImageHeader, KnownSection>(imageFormat, path);
    const victim = image.entries.findIndex((e, i) => i > 0 && Number(e.offset) > Number(image.entries[i - 1]!.offset + image.entries[i - 1]!.size));
    const at = Number(image.entries[victim]!.offset) - 1;
    await image.close();
    bytes[at] = 0x01;
    const flipped = join(dir, `gap-${chunk}.img`);
    writeFileSync(flipped, bytes);
    return { flipped, victim, at };
  }

  for (const chunk of ["small", "default"] as const) {
    it(`reports a non-zero gap byte with the section after it (${chunk} reads), and reads on`, async () => {
      const { flipped, victim, at } = await gapFlipped(chunk);
      const image = await openImageFile<ImageHeader, KnownSection>(imageFormat, flipped);
      const seen: { index: number; gap: DecodeError | undefined }[] = [];
      for await (const s of image.scan(chunk === "small" ? { chunkSize: 4096 } : {})) seen.push({ index: s.index, gap: s.gap });
      await image.close();
      expect(seen.length).toBe(image.entries.length);
      const bad = seen.filter((s) => s.gap !== undefined);
      expect(bad.map((s) => s.index)).toEqual([victim]);
      expect(bad[0]!.gap!.code).toBe("gap");
      expect(bad[0]!.gap!.offset).toBe(at);
    });
  }

  it("fails a transient read of the sections at that gap", async () => {
    const { flipped, at } = await gapFlipped("default");
    const image = await openImageFile<ImageHeader, KnownSection>(imageFormat, flipped);
    const error = await rejection(async () => {
      for await (const _ of image.sections({ transient: true })) void _;
    });
    await image.close();
    expect(error).toBeInstanceOf(DecodeError);
    expect((error as DecodeError).code).toBe("gap");
    expect((error as DecodeError).offset).toBe(at);
  });
});

