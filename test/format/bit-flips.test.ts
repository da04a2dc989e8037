import { describe, expect, it } from "vitest";
import { decodeImage, encodeImage, imageFormat, type ImageHeader, type ImageInit, type ImageSection, type KnownSection } from "../../generated/index.js";
import { prng } from "../runtime/prng.js";
import { streamBytes } from "../streams/helpers.js";
import { bitsByKind, bitsOf, demoImages, flipLazy, flipSeekable, flipStreamed, seekableSpans, smallestImages, streamedSpans, tiles } from "./flips.js";

// Every single-bit flip in what no body CRC covers (the header, the section table or the streamed
// entries, the alignment gaps, the padding) must be detected with a typed error: the header and entry
// CRCs and the entry rules leave nothing unchecked. In the demo images every bit of the header and the
// table is flipped, gaps and bodies in samples; in the smallest images every bit of every part.
// (The streamed demo images: bit-flips-streamed.test.ts.)

describe("a single flipped bit in a seekable demo image", () => {
  it.each(demoImages())("is detected in every bit of the header and the table, and in samples of the gaps and bodies: %s", (_, init) => {
    const bytes = encodeImage(init);
    const spans = seekableSpans(bytes);
    expect(tiles(spans, bytes.length)).toBe(true); // every byte is header, body, gap or table
    const rand = prng(bytes.length);
    const escapes = flipSeekable(bytes, spans, (s) => bitsOf(s, rand, new Set(["gap", "body"]), 16));
    expect(escapes.accepted).toEqual([]);
    expect(escapes.untyped).toEqual([]);
    const bits = bitsByKind(spans);
    expect(escapes.tried.get("header")).toBe(bits.get("header"));
    expect(escapes.tried.get("table")).toBe(bits.get("table"));
    expect(escapes.tried.get("gap")).toBeGreaterThan(0);
    expect(() => decodeImage(bytes)).not.toThrow(); // every flip was undone
  });
});

describe("a single flipped bit anywhere in the smallest images", () => {
  it.each(smallestImages())("seekable: %s", (_, init) => {
    const bytes = encodeImage(init);
    const spans = seekableSpans(bytes);
    expect(tiles(spans, bytes.length)).toBe(true);
    const escapes = flipSeekable(bytes, spans, (s) => bitsOf(s, Math.random, new Set(), 0));
    expect(escapes.accepted).toEqual([]);
    expect(escapes.untyped).toEqual([]);
    expect([...escapes.tried.values()].reduce((a, b) => a + b)).toBe(bytes.length * 8);
  });

  it.each(smallestImages())("streamed: %s", async (_, init) => {
    const bytes = await streamBytes<ImageHeader, KnownSection>(imageFormat, init.header, init.sections);
    const spans = streamedSpans(bytes);
    expect(tiles(spans, bytes.length)).toBe(true);
    const escapes = await flipStreamed(bytes, spans, (s) => bitsOf(s, Math.random, new Set(), 0));
    expect(escapes.accepted).toEqual([]);
    expect(escapes.untyped).toEqual([]);
    expect([...escapes.tried.values()].reduce((a, b) => a + b)).toBe(bytes.length * 8);
  });
});

// verify and inspect do not decode an image in memory: they open it lazily and scan it in large reads,
// checking gaps as they pass. The same flips, through that path.
describe("a single flipped bit, read as xenimage verify reads a file", () => {
  it.each(smallestImages())("every bit of: %s", async (_, init) => {
    const bytes = encodeImage(init);
    const spans = seekableSpans(bytes);
    const escapes = await flipLazy(bytes, spans, (s) => bitsOf(s, Math.random, new Set(), 0));
    expect(escapes.accepted).toEqual([]);
    expect(escapes.untyped).toEqual([]);
    expect([...escapes.tried.values()].reduce((a, b) => a + b)).toBe(bytes.length * 8);
  });

  it("the header, table and gaps of the HVM demo image, bodies sampled", async () => {
    const bytes = encodeImage(demoImages()[2]![1]);
    const spans = seekableSpans(bytes);
    const rand = prng(3);
    const escapes = await flipLazy(bytes, spans, (s) => bitsOf(s, rand, new Set(["gap", "body"]), 8));
    expect(escapes.accepted).toEqual([]);
    expect(escapes.untyped).toEqual([]);
    expect(escapes.tried.get("gap")).toBeGreaterThan(0);
  });
});

