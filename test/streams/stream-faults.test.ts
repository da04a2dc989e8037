import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { decodeImage, encodeImage, imageFormat, type ImageHeader, type KnownSection } from "../../generated/index.js";
import { crc32c, DecodeError, decodeStream, decodeStreamToImage, memorySource, openImage, TruncatedStreamError } from "../../runtime/index.js";
import { resealEntry } from "../runtime/entry-crc.js";
import { prng } from "../runtime/prng.js";
import { guestStream, labelOf, rechunk, rejection, streamBytes, walkStream } from "./helpers.js";

const guest = await guestStream({ seed: 4, memoryBytes: 12 * 4096, batchPages: 5, vcpus: 1, checkpoints: 1 });
const bytes = guest.bytes;
const entries = walkStream(bytes);

async function decodeAll(source: Parameters<typeof decodeStream>[1]) {
  return decodeStreamToImage<ImageHeader, KnownSection>(imageFormat, source);
}

/** The label of the last section whose body lies wholly before `cut`, as the decoder must name it. */
function lastCompleteBefore(cut: number): string | undefined {
  let last: string | undefined;
  entries.forEach((e, i) => {
    if (e.type !== 0 && e.bodyEnd <= cut) last = labelOf(e.type, i);
  });
  return last;
}

/** Cut points: around every entry, body and padding boundary, plus random ones. */
function cutPoints(): number[] {
  const cuts = new Set<number>([0, 1, 8, 151, 152, 153, 159, 160]);
  for (const e of entries) for (const c of [e.at - 1, e.at, e.at + 1, e.at + 47, e.bodyAt, e.bodyAt + 1, e.bodyEnd - 1, e.bodyEnd, e.bodyEnd + 1]) cuts.add(c);
  const rand = prng(42);
  for (let i = 0; i < 60; i++) cuts.add(Math.floor(rand() * bytes.length));
  return [...cuts].filter((c) => c >= 0 && c < bytes.length).sort((a, b) => a - b);
}

/** The stream with a field of one entry changed, and that entry's CRC recomputed, so the change reaches the check it targets. */
function withEntryField(index: number, field: number, value: bigint | number, width: 4 | 8): Uint8Array {
  const copy = bytes.slice();
  const v = new DataView(copy.buffer);
  const at = entries[index]!.at + field;
  if (width === 8) v.setBigUint64(at, BigInt(value), true);
  else v.setUint32(at, Number(value), true);
  resealEntry(copy, entries[index]!.at);
  return copy;
}

describe("a truncated stream", () => {
  const cuts = cutPoints();

  it(`fails at each of ${cuts.length} cut points, naming the last complete section and the offset`, async () => {
    expect(cuts.length).toBeGreaterThan(100);
    for (const cut of cuts) {
      for (const chunks of [[bytes.slice(0, cut)], rechunk(bytes.subarray(0, cut), [1000, 7])]) {
        const e = await rejection(() => decodeAll(chunks));
        expect(e, `cut at ${cut}`).toBeInstanceOf(TruncatedStreamError);
        const t = e as TruncatedStreamError;
        expect(t.code).toBe("truncated");
        expect(t.offset, `cut at ${cut}`).toBe(cut);
        const last = lastCompleteBefore(cut);
        expect(t.lastComplete, `cut at ${cut}`).toBe(last);
        expect(t.message).toContain(last === undefined ? "no section arrived complete" : `the last complete section is ${last}`);
        expect(t.message).toContain(`offset 0x${cut.toString(16)}`);
      }
    }
  });

  it("names the section whose body was cut", async () => {
    const pageData = entries.findIndex((e) => e.type === 0x40);
    const e = entries[pageData]!;
    const t = (await rejection(() => decodeAll([bytes.subarray(0, e.bodyAt + 100)]))) as TruncatedStreamError;
    expect(t.section).toBe(`page_data #${pageData}`);
    expect(t.message).toMatch(new RegExp(`inside the body of page_data #${pageData} \\(100 of ${e.size} bytes arrived\\)`));
  });

  it("reports a source that fails as a cut-off stream, keeping the cause", async () => {
    const failure = new Error("connection reset");
    const cut = entries[3]!.bodyEnd + 5;
    async function* source() {
      yield bytes.slice(0, cut);
      throw failure;
    }
    const t = (await rejection(() => decodeAll(source()))) as TruncatedStreamError;
    expect(t).toBeInstanceOf(TruncatedStreamError);
    expect(t.cause).toBe(failure);
    expect(t.offset).toBe(cut);
    expect(t.lastComplete).toBe(labelOf(entries[3]!.type, 3));
    expect(t.message).toMatch(/the source failed \(connection reset\)/);
  });
});

describe("a corrupt stream is rejected with the section named", () => {
  it("garbage after the end section", async () => {
    for (const tail of [Uint8Array.of(0), Uint8Array.of(1, 2, 3), new Uint8Array(4096)]) {
      const bad = new Uint8Array(bytes.length + tail.length);
      bad.set(bytes);
      bad.set(tail, bytes.length);
      const e = (await rejection(() => decodeAll([bad]))) as DecodeError;
      expect(e).toBeInstanceOf(DecodeError);
      expect(e.code).toBe("trailing");
      expect(e.section).toBe(`end #${entries.length - 1}`);
      expect(e.offset).toBe(bytes.length);
    }
  });

  it("a section length past the end of the stream", async () => {
    // Sections that are not arrays: an array's size would break entry_count × entry_size first.
    const plain = entries.flatMap((e, i) => (e.entrySize === 0 && e.type !== 0 ? [i] : []));
    for (const index of [plain[0]!, plain[plain.length - 1]!]) {
      const bad = withEntryField(index, 16, BigInt(bytes.length), 8);
      const e = (await rejection(() => decodeAll([bad]))) as TruncatedStreamError;
      expect(e).toBeInstanceOf(TruncatedStreamError);
      expect(e.section).toBe(labelOf(entries[index]!.type, index));
      expect(e.offset).toBe(bytes.length);
    }
  });

  it("a wrong CRC, in the body or in the entry", async () => {
    for (const [index, entry] of entries.entries()) {
      if (entry.size === 0) continue;
      const flipped = bytes.slice();
      flipped[entry.bodyAt + Math.floor(entry.size / 2)]! ^= 0x20;
      const wrongCrc = withEntryField(index, 40, entry.crc ^ 1, 4);
      for (const bad of [flipped, wrongCrc]) {
        const e = (await rejection(() => decodeAll([bad]))) as DecodeError;
        expect(e.code).toBe("crc");
        expect(e.section).toBe(labelOf(entry.type, index));
        expect(e.offset).toBe(entry.bodyAt);
        expect(e.message).toMatch(/body CRC mismatch: stored 0x[0-9a-f]+, computed 0x[0-9a-f]+/);
      }
    }
  });

  it("a body over maxSectionSize, before anything is allocated or read for it", async () => {
    const index = entries.findIndex((e) => e.type === 0x40);
    // 2^52 bytes: allocating it would throw a RangeError; reading it would pull the throwing chunk below.
    const bad = withEntryField(index, 16, 2n ** 52n, 8);
    async function* source() {
      yield bad.slice(0, entries[index]!.bodyAt);
      throw new Error("the decoder read past the entry");
    }
    const e = (await rejection(() => decodeAll(source()))) as DecodeError;
    expect(e.code).toBe("too-large");
    expect(e.section).toBe(`page_data #${index}`);
    expect(e.path).toBe("size");
    expect(e.offset).toBe(entries[index]!.at);
    expect(e.message).toMatch(/4503599627370496 bytes, more than the 268435456-byte limit \(maxSectionSize\)/);
  });

  it("a body over a smaller maxSectionSize", async () => {
    const big = entries.findIndex((e) => e.size > 10_000);
    const stream = await decodeStream(imageFormat, [bytes], { maxSectionSize: 10_000 });
    const e = (await rejection(async () => {
      for await (const _ of stream.sections());
    })) as DecodeError;
    expect(e.code).toBe("too-large");
    expect(e.section).toBe(labelOf(entries[big]!.type, big));
  });

  it("an entry with a real offset, non-zero padding, a wrong section count", async () => {
    const offset = (await rejection(() => decodeAll([withEntryField(1, 8, 4096n, 8)]))) as DecodeError;
    expect(offset.message).toMatch(/a streamed section has an offset \(0x1000\) instead of the sentinel.*section cpuid #1, field offset/);

    const odd = await streamBytes<ImageHeader, KnownSection>(imageFormat, guest.header, [
      { type: "unknown", id: 0x7001, optional: true, flags: 0, entryCount: 0n, entrySize: 0, align: 8, bytes: Uint8Array.of(1, 2, 3) },
    ]);
    const padAt = walkStream(odd)[0]!.bodyEnd;
    expect(padAt % 8).toBe(3);
    odd[padAt + 2] = 1;
    const pad = (await rejection(() => decodeAll([odd]))) as DecodeError;
    expect(pad.message).toMatch(/padding between sections is not zero/);
    expect(pad.offset).toBe(padAt + 2);

    const counted = bytes.slice();
    const v = new DataView(counted.buffer);
    v.setUint32(136, 3, true);
    const header = counted.slice(0, 152);
    header.fill(0, 148, 152);
    v.setUint32(148, crc32c(header), true);
    expect(((await rejection(() => decodeAll([counted]))) as DecodeError).message).toMatch(new RegExp(`announces 3 sections, the stream has ${entries.length}`));
  });

  it("a seekable image given as a stream, and a stream opened as a seekable image", async () => {
    const seekable = encodeImage({ header: guest.header, sections: guest.sections });
    expect(((await rejection(() => decodeAll([seekable]))) as DecodeError).code).toBe("not-streamed");
    expect(() => decodeImage(bytes)).toThrowError(/streamed image/);
    expect(((await rejection(() => openImage(imageFormat, memorySource(bytes)))) as DecodeError).code).toBe("streamed");
  });

  it("a corrupt section on a source that stays open: the error comes at once and the source is destroyed", async () => {
    const idle = new PassThrough();
    const entry = entries[2]!;
    const bad = bytes.slice(0, entries[4]!.at);
    bad[entry.bodyAt]! ^= 1;
    // The sender keeps the connection open after the bad section (nothing more ever comes).
    idle.write(bad);
    const e = (await rejection(() => decodeAll(idle))) as DecodeError;
    expect(e.code).toBe("crc");
    expect(e.section).toBe(labelOf(entry.type, 2));
    expect(idle.destroyed).toBe(true);
  });

  it("a source that gives strings instead of bytes", async () => {
    const e = (await rejection(() => decodeAll(["not bytes"] as unknown as Uint8Array[]))) as DecodeError;
    expect(e).toBeInstanceOf(DecodeError);
    expect(e.message).toMatch(/gave a string chunk, not bytes/);
  });
});
