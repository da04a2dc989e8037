import type { ByteReader } from "./byte-reader.js";
import type { ByteWriter } from "./byte-writer.js";

/** What a section decoder knows besides its bytes: the image header and its table entry. */
export interface SectionContext<H> {
  readonly header: H;
  /** The entry count from the section table (array sections). */
  readonly entryCount: bigint;
  /** The entry size from the section table (array sections). */
  readonly entrySize: number;
}

/** What a section encoder reports for the table: entry count and size (0 for non-array sections). */
export interface EntryShape {
  readonly entryCount: bigint;
  readonly entrySize: number;
}

/** The table values of a section that is not an array. */
export const NOT_AN_ARRAY: EntryShape = { entryCount: 0n, entrySize: 0 };

/** What every section codec says about its type: name, id, the optional bit, alignment, since-version. */
export interface SectionInfo {
  readonly name: string;
  readonly id: number;
  readonly optional: boolean;
  /** Alignment of the body's offset in a seekable image. */
  readonly align: number;
  /** The format version that introduced the section. */
  readonly since: number;
}

/**
 * The decoding half of a section codec. Generated code emits it as an object of its own (`xSectionDecoder`)
 * so that a decode-only bundle (`decodeImage`) leaves every encoder out.
 */
export interface SectionDecoder<T, H> extends SectionInfo {
  decode(r: ByteReader, ctx: SectionContext<H>): T;
  /**
   * Checks a body as {@link decode} does (every read, the same errors) without taking its byte runs
   * apart, and returns the rest of it: present where that saves work (page_data's pages), for
   * verifying an image whose sections need not be handed out ({@link checkSectionBody}).
   */
  check?(r: ByteReader, ctx: SectionContext<H>): unknown;
  /**
   * Whether the section is an array section for this header: the table's entry count and size describe
   * its body. A reader requires both to be 0 in the entry of a section that is not.
   */
  isArray(header: H): boolean;
  /**
   * For an array section, the entry size its layout for this header fixes (the table's entry_size must
   * be it, and size entry_count × it); undefined when the layout fixes none. Readers check both with
   * the entry, before any body is read.
   */
  arrayEntrySize?(header: H): number | undefined;
}

/**
 * A generated codec for one section type. The runtime drives images through these and knows nothing
 * about any particular section.
 */
export interface SectionCodec<T, H> extends SectionDecoder<T, H> {
  encode(w: ByteWriter, body: T, header: H): EntryShape;
}

/** A section codec: a decoder with its encoder added (generated code calls it as a pure call, so bundlers may drop it). */
export function withEncoder<T, H>(decoder: SectionDecoder<T, H>, encode: (w: ByteWriter, body: T, header: H) => EntryShape): SectionCodec<T, H> {
  const codec: SectionCodec<T, H> = { name: decoder.name, id: decoder.id, optional: decoder.optional, align: decoder.align, since: decoder.since, decode: decoder.decode, isArray: decoder.isArray, encode };
  return {
    ...codec,
    ...(decoder.check === undefined ? {} : { check: decoder.check }),
    ...(decoder.arrayEntrySize === undefined ? {} : { arrayEntrySize: decoder.arrayEntrySize }),
  };
}

/** Fails unless the table's entry size is the one the layout fixes (a body whose array counts entries). */
export function expectEntrySize<H>(r: ByteReader, ctx: SectionContext<H>, entrySize: number): void {
  if (ctx.entrySize !== entrySize) r.fail(`entry size ${ctx.entrySize} in the table, ${entrySize} expected`, r.pos, undefined, "entry-shape");
}

/** Decodes an array section: `entryCount` entries of exactly `entrySize` bytes each. */
export function decodeEntries<T, H>(
  r: ByteReader,
  ctx: SectionContext<H>,
  entrySize: number,
  decode: (r: ByteReader) => T,
): T[] {
  expectEntrySize(r, ctx, entrySize);
  const count = r.count(ctx.entryCount, entrySize);
  if (count * entrySize !== r.remaining) r.fail(`${count} entries of ${entrySize} bytes do not fill the ${r.remaining}-byte body`, r.pos, undefined, "entry-shape");
  const out: T[] = [];
  let i = 0;
  try {
    for (; i < count; i++) out.push(decode(r));
  } catch (e) {
    throw r.rethrow(e, `[${i}]`);
  }
  return out;
}

/**
 * Encodes an array section of fixed-size entries: the space for all of them is reserved at once and
 * each is written in place (`encodeX(w, v, at)`), which saves a bounds check and a position update per entry.
 */
export function encodeFixedEntries<T>(w: ByteWriter, body: readonly T[], entrySize: number, encodeAt: (w: ByteWriter, v: T, at: number) => void): EntryShape {
  if (!Array.isArray(body)) w.fail("an array of entries is expected");
  const base = w.reserve(body.length * entrySize);
  let i = 0;
  try {
    for (; i < body.length; i++) encodeAt(w, body[i]!, base + i * entrySize);
  } catch (e) {
    throw w.rethrow(e, `[${i}]`);
  }
  return { entryCount: BigInt(body.length), entrySize };
}

/** Encodes an array section and reports its entry count and size. */
export function encodeEntries<T>(w: ByteWriter, body: readonly T[], entrySize: number, encode: (w: ByteWriter, v: T) => void): EntryShape {
  if (!Array.isArray(body)) w.fail("an array of entries is expected");
  let i = 0;
  try {
    for (; i < body.length; i++) encode(w, body[i]!);
  } catch (e) {
    throw w.rethrow(e, `[${i}]`);
  }
  return { entryCount: BigInt(body.length), entrySize };
}
