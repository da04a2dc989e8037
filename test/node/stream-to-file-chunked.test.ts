import { mkdirSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { imageFormat, type ImageHeader, type KnownSection } from "../../generated/index.js";
import { decodeStream, DecodeError, type TableEntry, type UnknownSection } from "../../runtime/index.js";
import { streamToImageFile } from "../../runtime/node/index.js";
import { concat, guestStream, rechunk, rejection, sameBytes, streamBytes, walkStream } from "../streams/helpers.js";
import { listing, tempDir } from "./tmp.js";

const dir = tempDir("chunked");

/** A guest stream with one large optional section (8 MiB of a pattern) in the middle. */
async function withLargeSection() {
  const guest = await guestStream({ seed: 4, memoryBytes: 16 * 4096, batchPages: 8, vcpus: 1 });
  const big = new Uint8Array(8 << 20).map((_, i) => (i * 31) >>> 3);
  const large: UnknownSection = { type: "unknown", id: 0x7001, optional: true, flags: 0, entryCount: 0n, entrySize: 0, align: 8, bytes: big };
  const bytes = await streamBytes<ImageHeader, KnownSection>(imageFormat, guest.header, [...guest.sections.slice(0, 2), large, ...guest.sections.slice(2)]);
  const entry = walkStream(bytes).find((e) => (e.type & 0x7fff_ffff) === 0x7001)!;
  return { bytes, entry, big };
}

describe("stream → seekable file, body by body as the chunks arrive", () => {
  it("writes a body to the file before the rest of it has arrived", async () => {
    const { bytes, entry } = await withLargeSection();
    const half = entry.bodyAt + (entry.size >> 1);
    const out = join(dir, "early.img");
    let grownTo = 0;
    async function* source() {
      yield* rechunk(bytes.subarray(0, half), [65536]);
      // Half of the 8 MiB body is in: it must already be on its way to the temporary file.
      for (let i = 0; i < 400 && grownTo < 2 << 20; i++) {
        await new Promise((r) => setTimeout(r, 10));
        const temp = readdirSync(dir).find((n) => n.startsWith(".early.img."));
        grownTo = temp === undefined ? 0 : statSync(join(dir, temp)).size;
      }
      yield* rechunk(bytes.subarray(half), [65536]);
    }
    await streamToImageFile(imageFormat, source(), out, { sync: false });
    expect(grownTo).toBeGreaterThanOrEqual(2 << 20);
    // And the result is what converting the whole stream at once gives.
    const reference = join(dir, "early-reference.img");
    await streamToImageFile(imageFormat, [bytes], reference, { sync: false });
    expect(sameBytes(readFileSync(out), readFileSync(reference))).toBe(true);
  });

  it("a bad CRC found at a body's end, after its chunks went to disk, leaves nothing behind", async () => {
    const { bytes, entry } = await withLargeSection();
    const bad = bytes.slice();
    bad[entry.bodyEnd - 1]! ^= 1;
    const sub = join(dir, "crc");
    mkdirSync(sub);
    const e = await rejection(() => streamToImageFile(imageFormat, rechunk(bad, [65536]), join(sub, "bad.img"), { sync: false }));
    expect(e).toBeInstanceOf(DecodeError);
    expect(String(e)).toMatch(/CRC mismatch/);
    expect(listing(sub)).toEqual([]);
  });
});

describe("rawSections with a body handler", () => {
  it("hands every body over chunk by chunk, in order, holding none of it", async () => {
    const { bytes } = await withLargeSection();
    const stream = await decodeStream(imageFormat, rechunk(bytes, [65536, 1000]));
    const seen: { entry: TableEntry; parts: Uint8Array[] }[] = [];
    let yielded = 0;
    for await (const s of stream.rawSections({ begin: (entry) => void seen.push({ entry, parts: [] }), part: (p) => void seen.at(-1)!.parts.push(p) })) {
      expect(s.parts).toEqual([]);
      if (s.size > 0) expect(() => s.body).toThrow(/went to a BodyHandler/);
      expect(s.entry).toBe(seen.at(-1)!.entry);
      yielded++;
    }
    const entries = walkStream(bytes).slice(0, -1);
    expect(yielded).toBe(entries.length);
    seen.forEach(({ entry, parts }, i) => {
      expect(Number(entry.size)).toBe(entries[i]!.size);
      expect(sameBytes(concat(parts), bytes.subarray(entries[i]!.bodyAt, entries[i]!.bodyEnd))).toBe(true);
    });
    // The 8 MiB body came in many pieces, none longer than a chunk.
    expect(Math.max(...seen.map((x) => x.parts.length))).toBeGreaterThan(100);
  });

  it("a handler's own failure comes out as it is, not as a cut-off stream", async () => {
    const { bytes } = await withLargeSection();
    const stream = await decodeStream(imageFormat, [bytes]);
    const full = Object.assign(new Error("no space left on device"), { code: "ENOSPC" });
    const e = await rejection(async () => {
      for await (const _ of stream.rawSections({ begin: () => undefined, part: async () => Promise.reject(full) }));
    });
    expect(e).toBe(full);
  });
});
