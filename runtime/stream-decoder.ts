/**
 * The stream decoder: reads an image in the streamed layout (see `layout.ts`) incrementally from an
 * async iterable of chunks, a Web `ReadableStream` or a Node `Readable`, and yields each section as soon
 * as its body has arrived and its CRC checks out. It holds one section body at a time (plus the chunk
 * being read and one prefetched), so memory is bounded by the largest section, and a table entry that
 * declares a body larger than `maxSectionSize` is rejected before anything is allocated for it.
 */
import { ByteReader } from "./byte-reader.js";
import {
  decodeHeader,
  decodeSectionBody,
  entryLabel,
  OPTIONAL_BIT,
  STREAMED,
  type ContainerFormat,
  type ContainerHeader,
  type ContainerImage,
  type KnownSectionBase,
  type TableEntry,
  type UnknownSection,
} from "./container.js";
import { crc32c } from "./crc32c.js";
import { checkGap, entryChecksum, EntryChecker, entryError } from "./entry-rules.js";
import { DecodeError, hex, XenImageError, type Location } from "./errors.js";
import { claimedHeaderSize, DEFAULT_MAX_SECTION_SIZE, EncodedHeader, streamPadding } from "./layout.js";
import type { SectionCodec } from "./section-codec.js";
import { PartsReader } from "./parts-reader.js";
import { ChunkReader, joinParts, type ByteSource } from "./stream-io.js";

/** Options of the stream decoder. */
export interface StreamDecoderOptions {
  /**
   * The largest section body accepted, in bytes. A table entry declaring more is a {@link DecodeError}
   * (code `too-large`) before any allocation. Default 256 MiB.
   */
  readonly maxSectionSize?: number;
}

/** Header and entry sizes are u32 in the format; more than this is surely not a header. */
const MAX_STRUCT_SIZE = 64 * 1024;

/** A section as it came off the stream: its table entry and its body, the CRC checked, not decoded. */
export class StreamedSection {
  private joined: Uint8Array | undefined;

  constructor(
    /** Its position in the stream, from 0. */
    readonly index: number,
    /** How errors name it: `page_data #5`. */
    readonly label: string,
    /** Its table entry, as sent (the offset is the sentinel). */
    readonly entry: TableEntry,
    /** The stream offset of its first body byte. */
    readonly offset: number,
    /** The body as views of the chunks it arrived in (no copy): what converters pass on. */
    readonly parts: readonly Uint8Array[],
  ) {}

  /** The body's size in bytes. */
  get size(): number {
    return Number(this.entry.size);
  }

  /**
   * The body in one buffer: a view of its chunk when it arrived in one, else copied together once.
   * Converters and {@link StreamDecoder.sections} use {@link parts} and never join. Not available when
   * the body went to a {@link BodyHandler} instead.
   */
  get body(): Uint8Array {
    if (this.parts.length === 0 && this.size > 0) throw new Error(`the body of ${this.label} went to a BodyHandler and was not kept`);
    this.joined ??= joinParts(this.parts, this.size);
    return this.joined;
  }
}

/**
 * Takes section bodies chunk by chunk as they arrive (see {@link StreamDecoder.rawSections}): `begin`
 * once a section's entry is read, `part` for each chunk of its body (before the CRC is known; reading
 * waits for a returned promise, which is how a slow consumer holds the source back).
 */
export interface BodyHandler {
  begin(entry: TableEntry, label: string): void | Promise<void>;
  part(bytes: Uint8Array): void | Promise<void>;
}

/** Carries a {@link BodyHandler}'s error through the chunk reader, so it is not taken for the source's. */
class HandlerFailure {
  constructor(readonly error: unknown) {}
}

/**
 * A stream that ended (or failed) before its end section. `section` and `offset` say where the input
 * stopped; `lastComplete` names the last section that arrived whole (undefined when none did).
 */
export class TruncatedStreamError extends DecodeError {
  /** The label of the last section that arrived complete, or undefined when only the header did (or not even it). */
  readonly lastComplete: string | undefined;
  /** The stream offset just past the last complete section (or the header). */
  readonly lastCompleteEnd: number;

  constructor(reason: string, where: Location, lastComplete: string | undefined, lastCompleteEnd: number, cause?: unknown) {
    super("truncated", `${reason}; ${lastComplete === undefined ? "no section arrived complete" : `the last complete section is ${lastComplete}, which ends at ${hex(lastCompleteEnd)}`}`, where, cause);
    this.lastComplete = lastComplete;
    this.lastCompleteEnd = lastCompleteEnd;
  }
}

/**
 * Reads a stream's header and returns a decoder for its sections. Fails with a {@link DecodeError} for a
 * bad header, and for a seekable image (whose header has a real table offset).
 *
 * ```ts
 * const stream = await decodeStream<ImageHeader, KnownSection>(imageFormat, socket);
 * for await (const section of stream.sections()) if (section.type === "page_data") restore(section.body);
 * ```
 */
export async function decodeStream<H extends ContainerHeader, S extends KnownSectionBase = KnownSectionBase>(
  format: ContainerFormat<H>,
  source: ByteSource,
  options: StreamDecoderOptions = {},
): Promise<StreamDecoder<H, S>> {
  const reader = new ChunkReader(source);
  try {
    return await StreamDecoder.start<H, S>(format, reader, options);
  } catch (e) {
    await reader.cancel();
    throw e;
  }
}

/**
 * Decodes a whole stream into memory (header and every section): for small images and tests. Large
 * images should iterate {@link StreamDecoder.sections} instead.
 */
export async function decodeStreamToImage<H extends ContainerHeader, S extends KnownSectionBase = KnownSectionBase>(
  format: ContainerFormat<H>,
  source: ByteSource,
  options: StreamDecoderOptions = {},
): Promise<ContainerImage<H, S>> {
  const stream = await decodeStream<H, S>(format, source, options);
  const sections: (S | UnknownSection)[] = [];
  for await (const s of stream.sections()) sections.push(s);
  return { header: stream.header, sections };
}

/** A stream whose header has been read; its sections come from {@link sections} or {@link rawSections}. */
export class StreamDecoder<H extends ContainerHeader, S extends KnownSectionBase = KnownSectionBase> {
  private started = false;
  private lastComplete: string | undefined;
  private lastCompleteEnd: number;
  private readonly known: Map<number, SectionCodec<unknown, H>>;

  private constructor(
    private readonly format: ContainerFormat<H>,
    private readonly reader: ChunkReader,
    /** The header as received (the table offset is the sentinel). */
    readonly header: H,
    readonly littleEndian: boolean,
    /** The header's bytes, `header.headerSize` of them, as received. */
    readonly headerBytes: Uint8Array,
    private readonly maxSectionSize: number,
  ) {
    this.lastCompleteEnd = reader.offset;
    this.known = new Map(format.sections.map((c) => [c.id, c]));
  }

  /** @internal Reads and checks the header; {@link decodeStream} is the public way in. */
  static async start<H extends ContainerHeader, S extends KnownSectionBase>(
    format: ContainerFormat<H>,
    reader: ChunkReader,
    options: StreamDecoderOptions,
  ): Promise<StreamDecoder<H, S>> {
    const max = options.maxSectionSize ?? DEFAULT_MAX_SECTION_SIZE;
    if (!Number.isSafeInteger(max) || max < 0) throw new RangeError(`maxSectionSize must be a non-negative integer, not ${max}`);
    const h = format.header;
    const cut = (got: number, needed: number) =>
      new TruncatedStreamError(`the stream ends inside the header (${got} of ${needed} bytes arrived)`, { section: "header", offset: reader.offset }, undefined, 0);
    let bytes = await reader.read(h.size).catch((e: unknown) => {
      throw sourceFailure(e, reader.offset, "header", undefined, 0);
    });
    if (bytes.length < h.size) throw cut(bytes.length, h.size);
    // decodeHeader explains a header too broken to claim a size; otherwise read what it claims.
    const size = claimedHeaderSize(format, bytes) || (decodeHeader(format, bytes), h.size);
    if (size > h.size) {
      if (size > MAX_STRUCT_SIZE) throw new DecodeError("invalid", `header size ${size} is larger than ${MAX_STRUCT_SIZE}`, { section: "header", path: "header_size" });
      const rest = await reader.read(size - h.size).catch((e: unknown) => {
        throw sourceFailure(e, reader.offset, "header", undefined, 0);
      });
      if (rest.length < size - h.size) throw cut(h.size + rest.length, size);
      const whole = new Uint8Array(size);
      whole.set(bytes);
      whole.set(rest, h.size);
      bytes = whole;
    }
    const { header, littleEndian } = decodeHeader(format, bytes);
    if (header.sectionTableOffset !== STREAMED) {
      throw new DecodeError("not-streamed", `the header has a section table offset (${hex(header.sectionTableOffset)}): this is a seekable image; open it with openImage`, { section: "header", path: "section_table_offset" });
    }
    if (header.sectionEntrySize < format.entry.size || header.sectionEntrySize > MAX_STRUCT_SIZE) {
      throw new DecodeError("invalid", `section entry size ${header.sectionEntrySize} is outside ${format.entry.size}…${MAX_STRUCT_SIZE}`, { section: "header", path: "section_entry_size" });
    }
    return new StreamDecoder<H, S>(format, reader, header, littleEndian, new Uint8Array(bytes.subarray(0, header.headerSize)), max);
  }

  /** The header as a writer can reuse it (converters keep it byte for byte apart from the table fields). */
  encodedHeader(table: { readonly sectionTableOffset: bigint; readonly sectionCount: number }): EncodedHeader<H> {
    return EncodedHeader.fromImage(this.format, this.header, this.littleEndian, this.headerBytes, table);
  }

  /** Stream bytes consumed so far. */
  get offset(): number {
    return this.reader.offset;
  }

  /** Stops reading and releases the source (a socket is destroyed, a Web stream cancelled). */
  async cancel(): Promise<void> {
    await this.reader.cancel();
  }

  private truncated(reason: string, where: Location, cause?: unknown): TruncatedStreamError {
    return new TruncatedStreamError(reason, where, this.lastComplete, this.lastCompleteEnd, cause);
  }

  /** Reads `n` bytes; a source that fails is a truncation at the current offset. */
  private async read(n: number, section: string): Promise<Uint8Array> {
    try {
      return await this.reader.read(n);
    } catch (e) {
      throw this.sourceFailure(e, section);
    }
  }

  /** Reads `n` bytes as views of the chunks they arrive in, handing each to `onPart` as it arrives. */
  private async readParts(n: number, section: string, onPart: (part: Uint8Array) => void | Promise<void>, keep: boolean): Promise<Uint8Array[]> {
    try {
      return await this.reader.readParts(n, onPart, keep);
    } catch (e) {
      // The handler's own failure (a full disk) is not the source's: it goes out as it was.
      if (e instanceof HandlerFailure) throw e.error;
      throw this.sourceFailure(e, section);
    }
  }

  private sourceFailure(e: unknown, section: string): XenImageError {
    return e instanceof XenImageError ? e : sourceFailure(e, this.reader.offset, section, this.lastComplete, this.lastCompleteEnd);
  }

  /**
   * The sections with their entries and raw bodies, CRCs checked, nothing decoded and nothing copied
   * (what converters pass on). The end section is not yielded: iteration stops there, after checking
   * that nothing follows it. May be iterated once; breaking out of the loop cancels the source.
   *
   * With a {@link BodyHandler}, each body is handed over chunk by chunk as it arrives instead of being
   * held until it is complete (the yielded section then has no `parts`): memory stays at one chunk
   * whatever the body's size. The CRC is checked at the body's end, after its chunks went to the
   * handler, so the handler's owner must discard them when iteration fails (the image writer does).
   */
  async *rawSections(handler?: BodyHandler): AsyncGenerator<StreamedSection, void, undefined> {
    if (this.started) throw new Error("the sections of a stream can be iterated only once");
    this.started = true;
    const format = this.format;
    const entrySize = this.header.sectionEntrySize;
    const checker = new EntryChecker(format, this.header, { kind: "streamed" });
    let ok = false;
    try {
      for (let index = 0; ; index++) {
        const padAt = this.reader.offset;
        const pad = await this.read(streamPadding(padAt), `table entry #${index}`);
        if (pad.length < streamPadding(padAt)) {
          const where = pad.length === 0 ? "before the end section" : `inside the padding before section #${index}`;
          throw this.truncated(`the stream ends ${where}`, { offset: this.reader.offset, section: `table entry #${index}` });
        }
        checkGap(pad, padAt, `table entry #${index}`, "padding");
        const entryAt = this.reader.offset;
        const raw = await this.read(entrySize, `table entry #${index}`);
        if (raw.length < entrySize) {
          throw this.truncated(
            raw.length === 0 ? "the stream ends before the end section" : `the stream ends inside the table entry of section #${index} (${raw.length} of ${entrySize} bytes arrived)`,
            { offset: this.reader.offset, section: `table entry #${index}` },
          );
        }
        let entry: TableEntry;
        try {
          entry = format.entry.decode(new ByteReader(raw.subarray(0, format.entry.size), { littleEndian: this.littleEndian, base: entryAt }));
        } catch (e) {
          throw e instanceof XenImageError ? e.within({ section: `table entry #${index}` }) : e;
        }
        const problem = checker.check(entry, index, { stored: entry.entryCrc, computed: entryChecksum(raw, format.entry.crcOffset) });
        if (problem !== undefined) throw entryError(format, problem, entry.type, index, entryAt);
        const label = entryLabel(format, entry, index);
        const isEnd = (entry.type & ~OPTIONAL_BIT) === format.endId;
        if (entry.size > BigInt(this.maxSectionSize)) {
          throw new DecodeError("too-large", `the body is ${entry.size} bytes, more than the ${this.maxSectionSize}-byte limit (maxSectionSize)`, { section: label, offset: entryAt, path: "size" });
        }
        const size = Number(entry.size);
        const bodyAt = this.reader.offset;
        // Checksummed piece by piece as the chunks come in: the CRC of one chunk overlaps the read of the
        // next, where checksumming the whole body at its end left the source idle meanwhile.
        let crc = 0;
        if (handler !== undefined && !isEnd) await handler.begin(entry, label);
        const parts = await this.readParts(
          size,
          label,
          handler === undefined || isEnd
            ? (part) => void (crc = crc32c(part, crc))
            : async (part) => {
                crc = crc32c(part, crc);
                try {
                  await handler.part(part);
                } catch (e) {
                  throw new HandlerFailure(e);
                }
              },
          handler === undefined,
        );
        const got = this.reader.offset - bodyAt;
        if (got < size) {
          throw this.truncated(`the stream ends inside the body of ${label} (${got} of ${size} bytes arrived)`, { offset: this.reader.offset, section: label });
        }
        if (crc !== entry.crc) {
          throw new DecodeError("crc", `body CRC mismatch: stored ${hex(entry.crc)}, computed ${hex(crc)}`, { section: label, offset: bodyAt });
        }
        if (isEnd) {
          // Like a seekable table's, a stream's section count includes the end section.
          if (this.header.sectionCount !== 0 && this.header.sectionCount !== index + 1) {
            throw new DecodeError("section-count", `the header announces ${this.header.sectionCount} sections, the stream has ${index + 1}`, { section: "header", path: "section_count", offset: format.header.offsets.sectionCount });
          }
          const endAt = this.reader.offset;
          if (!(await this.reader.atEnd())) {
            throw new DecodeError("trailing", "bytes follow the end section", { section: label, offset: endAt });
          }
          this.lastComplete = label;
          this.lastCompleteEnd = endAt;
          ok = true;
          return;
        }
        this.lastComplete = label;
        this.lastCompleteEnd = this.reader.offset;
        yield new StreamedSection(index, label, entry, bodyAt, parts);
      }
    } finally {
      // Stopped early (an error, or the consumer broke out): release the source.
      if (!ok) await this.reader.cancel();
    }
  }

  /**
   * The sections, decoded: known types by their codecs (page bodies stay views, not copies), unknown
   * optional ones kept raw, unknown mandatory ones rejected. May be iterated once.
   */
  async *sections(): AsyncGenerator<S | UnknownSection, void, undefined> {
    // A body in several chunks is decoded in place through a PartsReader rather than joined: the
    // fields are copied into this scratch buffer as they are read, the pages stay views of the chunks.
    let scratch = new Uint8Array(0);
    for await (const s of this.rawSections()) {
      let body: Uint8Array | ByteReader = s.parts.length === 1 ? s.parts[0]! : new Uint8Array(0);
      if (s.parts.length > 1) {
        if (scratch.length < s.size) scratch = new Uint8Array(s.size);
        body = new PartsReader(s.parts, scratch, { littleEndian: this.littleEndian, base: s.offset });
      }
      yield decodeSectionBody<H, S>(this.format, this, s.entry, s.index, body, s.offset, this.known, true);
    }
  }
}

function sourceFailure(e: unknown, offset: number, section: string, lastComplete: string | undefined, lastCompleteEnd: number): XenImageError {
  if (e instanceof XenImageError) return e;
  const message = e instanceof Error ? e.message : String(e);
  return new TruncatedStreamError(`the source failed (${message})`, { offset, section }, lastComplete, lastCompleteEnd, e);
}
