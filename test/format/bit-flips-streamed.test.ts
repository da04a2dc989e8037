import { describe, expect, it, vi } from "vitest";
import { imageFormat, type ImageHeader, type KnownSection } from "../../generated/index.js";
import { prng } from "../runtime/prng.js";
import { streamBytes } from "../streams/helpers.js";
import { bitsByKind, bitsOf, demoImages, flipStreamed, streamedSpans, tiles } from "./flips.js";

// Every single-bit flip in the header, the padding and every entry of a streamed demo image must be
// detected with a typed error; bodies, covered by their CRCs, in a sample.
//
// A stream is read from its start for every flip, so a flip after a 4 MiB page batch costs a CRC of
// that batch: some 3,500 of them per image. The CRC is memoized here for large pieces of unchanged
// bytes: keyed by the buffer, the piece's place in it and the CRC it continues, it is the real CRC the
// first time and the same value after. Every flipped byte is a buffer of its own, never cached.
vi.mock("../../runtime/crc32c.js", async (importOriginal) => {
  const real = await importOriginal<typeof import("../../runtime/crc32c.js")>();
  const cache = new WeakMap<ArrayBufferLike, Map<string, number>>();
  const crc32c = (bytes: Uint8Array, crc = 0): number => {
    if (bytes.length < 65536) return real.crc32c(bytes, crc);
    let byPlace = cache.get(bytes.buffer);
    if (byPlace === undefined) cache.set(bytes.buffer, (byPlace = new Map()));
    const key = `${bytes.byteOffset}:${bytes.length}:${crc}`;
    let value = byPlace.get(key);
    if (value === undefined) byPlace.set(key, (value = real.crc32c(bytes, crc)));
    return value;
  };
  return { ...real, crc32c };
});

describe("a single flipped bit in a streamed demo image", () => {
  it.each(demoImages())("is detected in every bit of the header, the padding and the entries, and in a sample of the bodies: %s", async (_, init) => {
    const bytes = await streamBytes<ImageHeader, KnownSection>(imageFormat, init.header, init.sections);
    const spans = streamedSpans(bytes);
    expect(tiles(spans, bytes.length)).toBe(true); // every byte is header, entry, body or padding
    const rand = prng(bytes.length);
    const escapes = await flipStreamed(bytes, spans, (s) => bitsOf(s, rand, new Set(["body"]), 8));
    expect(escapes.accepted).toEqual([]);
    expect(escapes.untyped).toEqual([]);
    const bits = bitsByKind(spans);
    for (const kind of ["header", "entry", "padding"] as const) expect(escapes.tried.get(kind), kind).toBe(bits.get(kind));
    expect(escapes.tried.get("body")).toBeGreaterThan(0);
  });
});
