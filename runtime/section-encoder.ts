/**
 * Encodes one section at a time into a buffer of its own, with its table entry: what the stream
 * encoder and the file writer do for every section the caller produces (the in-memory encoder writes
 * all sections into one buffer instead). Bodies of a type come out the same size batch after batch, so
 * each is encoded into a buffer sized by the previous one, never regrown.
 */
import { ByteWriter } from "./byte-writer.js";
import { preparedEntry, prepareSection, type ContainerFormat, type ContainerHeader, type KnownSectionBase, type RawEntry, type UnknownSection } from "./container.js";
import { asEncodeError, EncodeError, XenImageError, type Location } from "./errors.js";

/** A section encoded: its table entry (no offset yet) and its body. */
export interface EncodedSection {
  readonly entry: RawEntry;
  readonly label: string;
  readonly body: Uint8Array;
}

/**
 * An error raised while encoding a body at offset 0 of its own buffer, moved to where the body goes in
 * the image or stream, so the message names the real offset.
 */
export function relocateError(e: unknown, base: number, where: Location): XenImageError {
  if (!(e instanceof XenImageError)) return asEncodeError(e, "", base).within(where);
  const moved =
    e.offset === undefined ? e : new (e.constructor as typeof XenImageError)(e.code, e.reason, { offset: e.offset + base, section: e.section, path: e.path }, e.cause);
  return moved.within(where);
}

/** Encodes sections one by one for a given header (codecs may depend on it: arch, guest type). */
export class SectionEncoder<H extends ContainerHeader> {
  /** The last body size per table type: the next body of that type gets a buffer that size up front. */
  private readonly sizeHints = new Map<number, number>();

  constructor(
    private readonly format: ContainerFormat<H>,
    private readonly header: H,
    private readonly littleEndian: boolean,
  ) {}

  /**
   * Encodes `section`, the `index`th of the image. `bodyOffset` is where its body will start (given the
   * body's alignment, for a seekable layout), so errors name the offset in the image or stream. Fails
   * with an `EncodeError` for anything a reader would reject (see `prepareSection`).
   */
  encode(section: KnownSectionBase | UnknownSection, index: number, bodyOffset: number | ((align: number) => number)): EncodedSection {
    let label: string | undefined;
    let base = typeof bodyOffset === "number" ? bodyOffset : 0;
    try {
      const prepared = prepareSection(this.format, section, index, this.header);
      label = prepared.label;
      if (typeof bodyOffset === "function") base = bodyOffset(prepared.align);
      const w = new ByteWriter({ littleEndian: this.littleEndian, initialCapacity: this.sizeHints.get(prepared.type) ?? 4096 });
      const shape = prepared.write(w);
      const body = w.finish();
      this.sizeHints.set(prepared.type, body.length);
      return { label, body, entry: preparedEntry(this.format, this.header, prepared, body, shape, 0) };
    } catch (e) {
      throw relocateError(e, base, label === undefined ? {} : { section: label });
    }
  }
}

/**
 * A run of zero bytes in a body given to the image writer's `writeRaw`, left as a hole in the file
 * rather than written: the fast path for sparse images (guests whose memory is mostly zero pages, test
 * images of many GiB). The table, written last, extends the file past every hole.
 */
export interface ZeroRun {
  readonly zeros: number;
}

/** The length of a body part. */
export function partLength(part: Uint8Array | ZeroRun): number {
  return part instanceof Uint8Array ? part.length : part.zeros;
}

function isZeroRun(part: unknown): part is ZeroRun {
  if (part === null || typeof part !== "object") return false;
  const zeros = (part as { zeros?: unknown }).zeros;
  return typeof zeros === "number" && Number.isSafeInteger(zeros) && zeros >= 0;
}

/**
 * A raw body as the writers' `writeRaw` takes it (one buffer, or parts as they arrived) as a list of
 * parts, and its length; anything else is an {@link EncodeError}. {@link ZeroRun} parts only where the
 * writer can leave holes (`zeroRuns`: the file writer).
 */
export function rawBodyParts(body: Uint8Array | readonly Uint8Array[], where: Location): { readonly parts: readonly Uint8Array[]; readonly length: number };
export function rawBodyParts(
  body: Uint8Array | readonly (Uint8Array | ZeroRun)[],
  where: Location,
  options: { readonly zeroRuns: true },
): { readonly parts: readonly (Uint8Array | ZeroRun)[]; readonly length: number };
export function rawBodyParts(
  body: Uint8Array | readonly (Uint8Array | ZeroRun)[],
  where: Location,
  options: { readonly zeroRuns?: boolean } = {},
): { readonly parts: readonly (Uint8Array | ZeroRun)[]; readonly length: number } {
  const parts = body instanceof Uint8Array ? [body] : body;
  const ok = (p: unknown) => p instanceof Uint8Array || (options.zeroRuns === true && isZeroRun(p));
  const badRun = options.zeroRuns === true && Array.isArray(parts) ? parts.find((p) => !ok(p) && p !== null && typeof p === "object" && "zeros" in p) : undefined;
  if (badRun !== undefined) throw new EncodeError("invalid-value", `a zero run of ${String((badRun as { zeros: unknown }).zeros)} bytes`, { ...where, path: "size" });
  if (!Array.isArray(parts) || !parts.every(ok)) {
    const what = options.zeroRuns === true ? "a Uint8Array or an array of them and zero runs ({ zeros: n })" : "a Uint8Array or an array of them";
    throw new EncodeError("invalid-value", `a body must be ${what}`, { ...where, path: "body" });
  }
  return { parts, length: parts.reduce((n: number, p: Uint8Array | ZeroRun) => n + partLength(p), 0) };
}

/**
 * What a writer was given as its sections (an array, a generator, an async iterable), told apart:
 * anything that is not iterable is an {@link EncodeError}, not the TypeError `for await` would throw.
 * Writers walk a sync iterable with `for…of`: `for await` would await each section, and so call a
 * `then` getter of the caller's object outside any check.
 */
export function sectionSource<T>(sections: AsyncIterable<T> | Iterable<T>): { readonly async: AsyncIterable<T> } | { readonly sync: Iterable<T> } {
  const object = sections !== null && (typeof sections === "object" || typeof sections === "function");
  if (object && Symbol.asyncIterator in sections) return { async: sections as AsyncIterable<T> };
  if (object && Symbol.iterator in sections) return { sync: sections as Iterable<T> };
  throw new EncodeError("invalid-value", "the sections must be an array or an (async) iterable of sections", { path: "sections" });
}

/**
 * Calls `each` for every section a writer was given, in turn (see {@link sectionSource}). What the
 * iteration itself throws (a producer that fails) is the producer's error and passes unchanged.
 */
export async function forEachSection<T>(sections: AsyncIterable<T> | Iterable<T>, each: (section: T) => Promise<void>): Promise<void> {
  const source = sectionSource(sections);
  if ("async" in source) for await (const section of source.async) await each(section);
  else for (const section of source.sync) await each(section);
}
