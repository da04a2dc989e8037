/**
 * Helpers of the single-bit-flip tests: the demo images, and images cut into their parts (header,
 * table or entries, bodies, gaps, padding) read with DataView alone, not with our decoder.
 */
import { decodeImage, imageFormat, ImageType, type ImageHeader, type ImageInit, type ImageSection, type KnownSection } from "../../generated/index.js";
import { DecodeError, decodeStream, memorySource, openImage, XenImageError } from "../../runtime/index.js";
import { inspectInput } from "../../cli/inspect-report.js";
import { syntheticCoreImage, syntheticGuest } from "../../synthetic/guest.js";
import { walkStream } from "../streams/helpers.js";

/** The images `xenimage demo` writes (`cli/commands/demo.ts`), with the same options. */
export function demoImages(): [string, ImageInit][] {
  const options = { seed: 1, vcpus: 2 };
  return [
    ["pv-x86_64 save", syntheticGuest("pv-x86_64", { ...options, name: "demo-pv64" }, ImageType.save)],
    ["pv-x86_32 save", syntheticGuest("pv-x86_32", { ...options, name: "demo-pv32" }, ImageType.save)],
    ["hvm-x86_64 save", syntheticGuest("hvm-x86_64", { ...options, name: "demo-hvm64" }, ImageType.save)],
    ["arm64 save", syntheticGuest("arm64", { ...options, name: "demo-arm64" }, ImageType.save)],
    ["pv-x86_64 core", syntheticCoreImage("pv-x86_64", { ...options, name: "demo-pv64" })],
  ];
}

/**
 * The smallest images: a few small sections, a gap before a 64-aligned unknown section and an empty
 * body, so that every bit of every part can be flipped.
 */
export function smallestImages(): [string, ImageInit][] {
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

/** A run of bytes of an image and what it is. */
export interface Span {
  readonly start: number;
  readonly end: number;
  readonly what: "header" | "table" | "entry" | "gap" | "padding" | "body";
}

/** A seekable image cut into its parts: header, gap, body, …, gap, table. */
export function seekableSpans(bytes: Uint8Array): Span[] {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const le = bytes[8] === 1;
  const headerSize = v.getUint32(12, le);
  const tableOffset = Number(v.getBigUint64(128, le));
  const count = v.getUint32(136, le);
  const entrySize = v.getUint32(140, le);
  const spans: Span[] = [{ start: 0, end: headerSize, what: "header" }];
  let at = headerSize;
  for (let i = 0; i < count - 1; i++) {
    const e = tableOffset + i * entrySize;
    const offset = Number(v.getBigUint64(e + 8, le));
    const size = Number(v.getBigUint64(e + 16, le));
    spans.push({ start: at, end: offset, what: "gap" }, { start: offset, end: offset + size, what: "body" });
    at = offset + size;
  }
  spans.push({ start: at, end: tableOffset, what: "gap" }, { start: tableOffset, end: tableOffset + count * entrySize, what: "table" });
  return spans.filter((s) => s.end > s.start);
}

/** A streamed image cut into its parts: header, padding, then entry, body, padding per section. */
export function streamedSpans(bytes: Uint8Array): Span[] {
  const entries = walkStream(bytes, 152, bytes[8] === 1);
  const spans: Span[] = [
    { start: 0, end: 152, what: "header" },
    { start: 152, end: entries[0]!.at, what: "padding" },
  ];
  entries.forEach((e, i) => {
    spans.push({ start: e.at, end: e.bodyAt, what: "entry" }, { start: e.bodyAt, end: e.bodyEnd, what: "body" });
    spans.push({ start: e.bodyEnd, end: entries[i + 1]?.at ?? e.bodyEnd, what: "padding" });
  });
  return spans.filter((s) => s.end > s.start);
}

/** Checks that spans tile `length` bytes from 0 without a hole or an overlap. */
export function tiles(spans: readonly Span[], length: number): boolean {
  return spans.every((s, i) => s.start === (i === 0 ? 0 : spans[i - 1]!.end)) && spans.at(-1)!.end === length;
}

/**
 * The bits to flip in a span (bit numbers from the image's start): every bit, or for the kinds in
 * `sampled` at most `sample` bits picked at random.
 */
export function bitsOf(span: Span, rand: () => number, sampled: ReadonlySet<Span["what"]>, sample: number): number[] {
  const bits = (span.end - span.start) * 8;
  if (!sampled.has(span.what) || bits <= sample) return Array.from({ length: bits }, (_, i) => span.start * 8 + i);
  return Array.from({ length: sample }, () => span.start * 8 + Math.floor(rand() * bits));
}

/** The flips that were not rejected with a typed error: accepted as valid, or failing with another error. */
export class Escapes {
  readonly accepted: string[] = [];
  readonly untyped: string[] = [];
  /** Flips tried, per kind of span. */
  readonly tried = new Map<Span["what"], number>();

  record(span: Span, bit: number, error: unknown): void {
    const where = `${span.what} bit ${bit % 8} of byte 0x${Math.floor(bit / 8).toString(16)}`;
    if (error === undefined) this.accepted.push(where);
    else if (!(error instanceof XenImageError)) this.untyped.push(`${where}: ${String(error)}`);
    this.tried.set(span.what, (this.tried.get(span.what) ?? 0) + 1);
  }
}

/** How many bits the spans of each kind have. */
export function bitsByKind(spans: readonly Span[]): Map<Span["what"], number> {
  const out = new Map<Span["what"], number>();
  for (const s of spans) out.set(s.what, (out.get(s.what) ?? 0) + (s.end - s.start) * 8);
  return out;
}

/** Flips each bit of `bits` in place (and back), decoding the image each time. */
export function flipSeekable(bytes: Uint8Array, spans: readonly Span[], bitsOfSpan: (s: Span) => number[]): Escapes {
  const escapes = new Escapes();
  for (const span of spans) {
    for (const bit of bitsOfSpan(span)) {
      const at = bit >> 3;
      bytes[at]! ^= 1 << (bit & 7);
      let error: unknown;
      try {
        decodeImage(bytes);
      } catch (e) {
        error = e;
      }
      bytes[at]! ^= 1 << (bit & 7);
      escapes.record(span, bit, error);
    }
  }
  return escapes;
}

/** Flips each bit of `bits` in a stream, reading it each time as three chunks around the flipped byte. */
export async function flipStreamed(bytes: Uint8Array, spans: readonly Span[], bitsOfSpan: (s: Span) => number[]): Promise<Escapes> {
  const escapes = new Escapes();
  for (const span of spans) {
    for (const bit of bitsOfSpan(span)) {
      const at = bit >> 3;
      const flipped = Uint8Array.of(bytes[at]! ^ (1 << (bit & 7)));
      let error: unknown;
      try {
        // Body CRCs and entry rules are all checked by rawSections; decoding bodies would add nothing to find.
        const stream = await decodeStream(imageFormat, [bytes.subarray(0, at), flipped, bytes.subarray(at + 1)]);
        for await (const _section of stream.rawSections());
      } catch (e) {
        error = e;
      }
      escapes.record(span, bit, error);
    }
  }
  return escapes;
}


/**
 * Flips each bit as {@link flipSeekable} does, but reads the image the way `xenimage verify` does: the
 * lazy reader (header and table at open), then the report of every section read front to back. A flip
 * counts as detected when opening fails with a typed error or the report lists a problem.
 */
export async function flipLazy(bytes: Uint8Array, spans: readonly Span[], bitsOfSpan: (s: Span) => number[]): Promise<Escapes> {
  const escapes = new Escapes();
  for (const span of spans) {
    for (const bit of bitsOfSpan(span)) {
      const at = bit >> 3;
      bytes[at]! ^= 1 << (bit & 7);
      let error: unknown;
      try {
        const image = await openImage<ImageHeader, KnownSection>(imageFormat, memorySource(bytes));
        const report = await inspectInput({ kind: "seekable", image }, { chunkSize: 4096 });
        if (report.problems.length > 0) error = new DecodeError("invalid", report.problems.map((p) => p.message).join("; "));
      } catch (e) {
        error = e;
      }
      bytes[at]! ^= 1 << (bit & 7);
      escapes.record(span, bit, error);
    }
  }
  return escapes;
}
