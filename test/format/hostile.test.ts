import { describe, expect, it } from "vitest";
import { decodeImage, encodeImage, imageFormat, type ImageHeader, type KnownSection } from "../../generated/index.js";
import { crc32c, decodeStreamToImage, encodeStream, XenImageError } from "../../runtime/index.js";
import { GUEST_KINDS, syntheticCoreImage, syntheticGuest } from "../../synthetic/guest.js";
import { resealEntry } from "../runtime/entry-crc.js";

// Hostile inputs: mutated images must fail with our typed errors (offset, section, field), never a bare
// RangeError or TypeError, and never hang. Seeded, so a failure reproduces.

function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return s / 2 ** 32;
  };
}

const images = GUEST_KINDS.flatMap((kind) => [
  syntheticGuest(kind, { vcpus: 2, memoryBytes: 16 * 4096, batchPages: 8 }),
  syntheticCoreImage(kind, { vcpus: 1, memoryBytes: 8 * 4096 }),
]);

function outcome(run: () => unknown): "decoded" | "typed error" | string {
  try {
    run();
    return "decoded";
  } catch (e) {
    return e instanceof XenImageError ? "typed error" : `${(e as Error).name}: ${(e as Error).message}`;
  }
}

describe("mutated seekable images", () => {
  it("bodies mutated behind a recomputed CRC reach the codecs, which fail only with typed errors", () => {
    const rnd = random(777);
    const untyped: string[] = [];
    let typed = 0;
    for (const image of images) {
      const bytes = encodeImage(image);
      const view = new DataView(bytes.buffer, bytes.byteOffset);
      const table = Number(view.getBigUint64(128, true));
      const count = view.getUint32(136, true);
      for (let trial = 0; trial < 150; trial++) {
        const m = bytes.slice();
        const mv = new DataView(m.buffer);
        const entry = table + Math.floor(rnd() * (count - 1)) * 48;
        const offset = Number(mv.getBigUint64(entry + 8, true));
        const size = Number(mv.getBigUint64(entry + 16, true));
        if (size === 0) continue;
        for (let k = 1 + Math.floor(rnd() * 6); k > 0; k--) {
          // Mostly the first bytes of a body: counts, types, lengths.
          const at = offset + (rnd() < 0.7 ? Math.floor(rnd() * Math.min(64, size)) : Math.floor(rnd() * size));
          m[at] = rnd() < 0.3 ? 0xff : Math.floor(rnd() * 256);
        }
        mv.setUint32(entry + 40, crc32c(m.subarray(offset, offset + size)), true);
        resealEntry(m, entry); // the entry CRC covers the body CRC: recomputed too, so the body reaches its codec
        const result = outcome(() => decodeImage(m));
        if (result === "typed error") typed++;
        else if (result !== "decoded") untyped.push(result);
      }
    }
    expect(untyped).toEqual([]);
    expect(typed).toBeGreaterThan(100); // the mutations do reach the checks
  });

  it("headers and tables mutated at random fail only with typed errors", () => {
    const rnd = random(4242);
    const untyped: string[] = [];
    for (const image of images) {
      const bytes = encodeImage(image);
      for (let trial = 0; trial < 150; trial++) {
        const m = bytes.slice();
        for (let k = 1 + Math.floor(rnd() * 4); k > 0; k--) {
          const at = rnd() < 0.5 ? Math.floor(rnd() * 152) : m.length - 1 - Math.floor(rnd() * Math.min(m.length, 48 * 24));
          m[at] = Math.floor(rnd() * 256);
        }
        const result = outcome(() => decodeImage(m));
        if (result !== "decoded" && result !== "typed error") untyped.push(result);
      }
    }
    expect(untyped).toEqual([]);
  });
});

describe("mutated streams", () => {
  it("fail only with typed errors", async () => {
    const rnd = random(99);
    const untyped: string[] = [];
    for (const image of images.slice(0, 4)) {
      const chunks: Uint8Array[] = [];
      for await (const c of encodeStream<ImageHeader, KnownSection>(imageFormat, image.header, image.sections)) chunks.push(c.slice());
      const bytes = Buffer.concat(chunks);
      for (let trial = 0; trial < 60; trial++) {
        const m = new Uint8Array(bytes);
        for (let k = 1 + Math.floor(rnd() * 4); k > 0; k--) m[Math.floor(rnd() * m.length)] = Math.floor(rnd() * 256);
        const cut = rnd() < 0.3 ? m.subarray(0, Math.floor(rnd() * m.length)) : m;
        try {
          await decodeStreamToImage(imageFormat, [cut]);
        } catch (e) {
          if (!(e instanceof XenImageError)) untyped.push(`${(e as Error).name}: ${(e as Error).message}`);
        }
      }
    }
    expect(untyped).toEqual([]);
  });
});
