/**
 * Encodes one section at a time into a buffer of its own, with its table entry: what the stream
 * encoder and the file writer do for every section the caller produces (the in-memory encoder writes
 * all sections into one buffer instead). Bodies of a type come out the same size batch after batch, so
 * each is encoded into a buffer sized by the previous one, never regrown.
 */
import { ByteWriter } from "./byte-writer.js";
import { prepareSection, type ContainerFormat, type ContainerHeader, type KnownSectionBase, type TableEntry, type UnknownSection } from "./container.js";
import { crc32c } from "./crc32c.js";
import { XenImageError, type Location } from "./errors.js";

/** A section's table entry without its offset: what a stream sends and what converters copy. */
export type RawEntry = Omit<TableEntry, "offset">;

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
export function relocateError(e: unknown, base: number, where: Location): unknown {
  if (!(e instanceof XenImageError)) return e;
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
   * body's alignment, for a seekable layout), so errors name the offset in the image or stream.
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
      return {
        label,
        body,
        entry: { type: prepared.type, flags: prepared.flags, size: BigInt(body.length), entryCount: shape.entryCount, entrySize: shape.entrySize, align: prepared.align, crc: crc32c(body) },
      };
    } catch (e) {
      throw relocateError(e, base, label === undefined ? {} : { section: label });
    }
  }
}
