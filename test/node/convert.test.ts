import { createReadStream, createWriteStream, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ByteOrder, encodeImage, imageFormat, ImageType, type ImageHeader, type ImageSection, type KnownSection } from "../../generated/index.js";
import { crc32c, DecodeError, decodeStreamToImage, imageToStream, MemorySink, memorySource, openImage, TruncatedStreamError, type UnknownSection } from "../../runtime/index.js";
import { imageFileToStream, ImageWriter, streamToImageFile } from "../../runtime/node/index.js";
import { resealEntry } from "../runtime/entry-crc.js";
import { prng } from "../runtime/prng.js";
import { canonical, concat, guestStream, labelOf, rechunk, rejection, sameBytes, streamBytes, walkStream } from "../streams/helpers.js";
import { listing, tempDir } from "./tmp.js";

const dir = tempDir("convert");
const guest = await guestStream({ seed: 21, memoryBytes: 40 * 4096, batchPages: 9, vcpus: 2, checkpoints: 2 });

/** A stream file → seekable file → stream file, through real files and Node streams. */
async function throughFiles(stream: Uint8Array, name: string): Promise<{ seekable: Uint8Array; back: Uint8Array }> {
  const sub = join(dir, name);
  mkdirSync(sub);
  const input = join(sub, "in.stream");
  writeFileSync(input, stream);
  await streamToImageFile(imageFormat, createReadStream(input, { highWaterMark: 10_000 }), join(sub, "image.img"));
  const out = createWriteStream(join(sub, "out.stream"));
  await imageFileToStream(imageFormat, join(sub, "image.img"), out);
  return { seekable: readFileSync(join(sub, "image.img")), back: readFileSync(join(sub, "out.stream")) };
}

describe("streamed ↔ seekable conversion", () => {
  it("streamed → seekable → streamed reproduces the stream byte for byte; the seekable file is what encodeImage writes", async () => {
    const { seekable, back } = await throughFiles(guest.bytes, "roundtrip");
    expect(sameBytes(back, guest.bytes)).toBe(true);
    expect(sameBytes(seekable, encodeImage({ header: guest.header, sections: guest.sections }))).toBe(true);
  });

  it("seekable → streamed → seekable reproduces the file byte for byte, also big-endian and with unknown sections", async () => {
    const odd: UnknownSection[] = [
      { type: "unknown", id: 0x7abc, optional: true, flags: 1, entryCount: 0n, entrySize: 0, align: 4096, bytes: Uint8Array.of(9, 9, 9) },
    ];
    // Mandatory and unknown: a decoder must reject it, a converter copies it without looking. Writers
    // refuse it as a section (their readers would reject the image), so it is written raw, as a converter would.
    const mandatory = { type: 0x7abd, flags: 0, size: 3n, entryCount: 3n, entrySize: 1, align: 16, crc: crc32c(Uint8Array.of(1, 2, 3)) };
    for (const byteOrder of [ByteOrder.little, ByteOrder.big]) {
      const header = { ...guest.header, byteOrder };
      const sections: ImageSection[] = [...guest.sections.slice(0, 3), ...odd, ...guest.sections.slice(3)];
      const path = join(dir, `original-${byteOrder}.img`);
      const writer = await ImageWriter.create<ImageHeader, KnownSection>(imageFormat, path, header);
      for (const [i, section] of sections.entries()) {
        await writer.write(section);
        if (i === 3) await writer.writeRaw(mandatory, Uint8Array.of(1, 2, 3));
      }
      await writer.finish();
      const original = readFileSync(path);
      const stream = new MemorySink();
      await imageToStream(imageFormat, await openImage(imageFormat, memorySource(original)), stream);
      const { seekable, back } = await throughFiles(stream.bytes(), `reverse-${byteOrder}`);
      expect(sameBytes(seekable, original)).toBe(true);
      expect(sameBytes(back, stream.bytes())).toBe(true);
    }
  });

  it("checks CRCs while copying: a corrupt body stops the conversion in either direction", async () => {
    const entries = walkStream(guest.bytes);
    const index = entries.findIndex((e) => e.type === 0x40);
    const bad = guest.bytes.slice();
    bad[entries[index]!.bodyAt + 5000]! ^= 4;
    const path = join(dir, "crc.img");
    const e = (await rejection(() => streamToImageFile(imageFormat, [bad], path))) as DecodeError;
    expect(e.code).toBe("crc");
    expect(e.section).toBe(`page_data #${index}`);
    expect(existsSync(path)).toBe(false);

    const seekable = encodeImage({ header: guest.header, sections: guest.sections });
    const image = await openImage(imageFormat, memorySource(seekable));
    const corrupt = seekable.slice();
    corrupt[Number(image.entry(index).offset) + 5000]! ^= 4;
    const sink = new MemorySink();
    const r = (await rejection(() => openImage(imageFormat, memorySource(corrupt)).then((i) => imageToStream(imageFormat, i, sink)))) as DecodeError;
    expect(r.code).toBe("crc");
    expect(r.section).toBe(`page_data #${index}`);
  });

  it("can rewrite header fields on the way (a migration stream kept as a save image)", async () => {
    const path = join(dir, "saved.img");
    const summary = await streamToImageFile(imageFormat, [guest.bytes], path, { mapHeader: (h) => ({ ...h, imageType: ImageType.save }) });
    expect(guest.header.imageType).toBe(ImageType.migration);
    expect(summary.header.imageType).toBe(ImageType.save);
    expect(summary.sections).toBe(guest.sections.length);
    expect(summary.streamBytes).toBe(guest.bytes.length);
    const image = await openImage<ImageHeader>(imageFormat, memorySource(readFileSync(path)));
    expect(image.header.imageType).toBe(ImageType.save);
  });
});

describe("a stream whose table entries are longer (a later version appended fields)", () => {
  /** The guest's stream rebuilt with 56-byte entries: 8 more bytes after each entry's 48, covered by the entry CRC. */
  function widened(): Uint8Array {
    const parts: Uint8Array[] = [];
    const header = guest.bytes.slice(0, 152);
    const v = new DataView(header.buffer);
    v.setUint32(140, 56, true);
    header.fill(0, 148, 152);
    v.setUint32(148, crc32c(header), true);
    parts.push(header);
    for (const e of walkStream(guest.bytes)) {
      const entry = new Uint8Array(56);
      entry.set(guest.bytes.subarray(e.at, e.at + 48));
      entry.set([1, 2, 3, 4, 5, 6, 7, 8], 48);
      resealEntry(entry, 0, true, 56);
      parts.push(entry, guest.bytes.slice(e.bodyAt, e.bodyEnd));
      const end = 152 + parts.slice(1).reduce((n, p) => n + p.length, 0);
      if (e.type !== 0) parts.push(new Uint8Array((8 - (end % 8)) % 8));
    }
    return concat(parts);
  }

  it("decodes: the reader skips what it does not know", async () => {
    const image = await decodeStreamToImage<ImageHeader, KnownSection>(imageFormat, [widened()]);
    expect(canonical(image.sections)).toEqual(canonical(guest.sections));
  });

  it("is not converted, since rewriting its table would drop the appended bytes", async () => {
    const path = join(dir, "widened.img");
    const e = (await rejection(() => streamToImageFile(imageFormat, [widened()], path))) as DecodeError;
    expect(e.code).toBe("unsupported");
    expect(e.message).toMatch(/table entries of 56 bytes \(this version writes 48\)/);
    expect(existsSync(path)).toBe(false);
  });
});

describe("converting a bad stream leaves no file under the final name", () => {
  const bytes = guest.bytes;
  const entries = walkStream(bytes);
  const sub = join(dir, "faults");
  mkdirSync(sub);
  const path = join(sub, "guest.img");

  function lastCompleteBefore(cut: number): string | undefined {
    let last: string | undefined;
    entries.forEach((e, i) => {
      if (e.type !== 0 && e.bodyEnd <= cut) last = labelOf(e.type, i);
    });
    return last;
  }

  it("a stream cut off at any of many points: the error names the last complete section and the offset", async () => {
    const rand = prng(5);
    const cuts = new Set<number>([0, 100, 152, 160]);
    for (const e of entries) cuts.add(e.at + 10).add(e.bodyEnd);
    for (let i = 0; i < 20; i++) cuts.add(Math.floor(rand() * bytes.length));
    cuts.delete(bytes.length);
    for (const cut of [...cuts].sort((a, b) => a - b)) {
      const e = await rejection(() => streamToImageFile(imageFormat, rechunk(bytes.subarray(0, cut), [4000]), path));
      expect(e, `cut at ${cut}`).toBeInstanceOf(TruncatedStreamError);
      expect((e as TruncatedStreamError).offset, `cut at ${cut}`).toBe(cut);
      expect((e as TruncatedStreamError).lastComplete, `cut at ${cut}`).toBe(lastCompleteBefore(cut));
      expect(listing(sub), `cut at ${cut}`).toEqual([]);
    }
  });

  it("garbage after the end, a length past the end, a wrong CRC", async () => {
    const garbage = new Uint8Array(bytes.length + 8);
    garbage.set(bytes);
    garbage[bytes.length + 3] = 0xee;
    const pastEnd = bytes.slice();
    // A section that is not an array: an array's size would break entry_count × entry_size first.
    const plain = entries.findIndex((e, i) => i >= 2 && e.entrySize === 0 && e.type !== 0);
    new DataView(pastEnd.buffer).setBigUint64(entries[plain]!.at + 16, BigInt(bytes.length), true);
    resealEntry(pastEnd, entries[plain]!.at);
    const wrongCrc = bytes.slice();
    new DataView(wrongCrc.buffer).setUint32(entries[4]!.at + 40, entries[4]!.crc ^ 0x100, true);
    resealEntry(wrongCrc, entries[4]!.at);
    const wrongEntryCrc = bytes.slice();
    wrongEntryCrc[entries[4]!.at + 45]! ^= 0x10;
    const cases: [Uint8Array, string, string][] = [
      [garbage, "trailing", `end #${entries.length - 1}`],
      [pastEnd, "truncated", labelOf(entries[plain]!.type, plain)],
      [wrongCrc, "crc", labelOf(entries[4]!.type, 4)],
      [wrongEntryCrc, "entry-crc", "table entry #4"],
    ];
    for (const [bad, code, section] of cases) {
      const e = (await rejection(() => streamToImageFile(imageFormat, [bad], path))) as DecodeError;
      expect(e).toBeInstanceOf(DecodeError);
      expect(e.code).toBe(code);
      expect(e.section).toBe(section);
      expect(listing(sub)).toEqual([]);
    }
  });

  it("an empty stream, and a stream of a different format", async () => {
    expect(((await rejection(() => streamToImageFile(imageFormat, [], path))) as DecodeError).code).toBe("truncated");
    const other = await streamBytes(imageFormat, guest.header, []);
    other[3] = 0;
    expect(((await rejection(() => streamToImageFile(imageFormat, [other], path))) as DecodeError).message).toMatch(/bad magic/);
    expect(listing(sub)).toEqual([]);
  });
});
