import { describe, expect, it } from "vitest";
import { decodeImage, encodeImage, imageFormat, type ImageHeader, type ImageInit, type ImageSection, type KnownSection } from "../../generated/index.js";
import { prng } from "../runtime/prng.js";
import { streamBytes } from "../streams/helpers.js";
import { bitsByKind, bitsOf, demoImages, flipSeekable, flipStreamed, seekableSpans, streamedSpans, tiles } from "./flips.js";

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

/**
 * The smallest images: a few small sections, a gap before a 64-aligned unknown section and an empty
 * body, so that every bit of every part can be flipped.
 */
function smallestImages(): [string, ImageInit][] {
  const pv = demoImages()[0]![1];
  const small = pv.sections.filter((s) => s.type === "extended_info" || s.type === "tsc_info" || s.type === "vcpu_msrs");
  const odd: ImageSection[] = [
    { type: "unknown", id: 0x7e01, optional: true, flags: 3, entryCount: 0n, entrySize: 0, align: 64, bytes: Uint8Array.of(1, 2, 3, 4, 5) },
    { type: "unknown", id: 0x7e02, optional: true, flags: 0, entryCount: 0n, entrySize: 0, align: 8, bytes: new Uint8Array(0) },
  ];
  return [
    ["three small sections", { header: pv.header, sections: small }],
    ["small sections, an aligned and an empty unknown one, big-endian", { header: { ...pv.header, byteOrder: 2 }, sections: [small[0]!, ...odd, ...small.slice(1)] }],
  ];
}

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
