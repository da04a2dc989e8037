/**
 * The stream encoder: writes an image in the streamed layout (see `layout.ts`) section by section, as
 * the caller produces them, into a Web `WritableStream`, a Node `Writable` or any {@link ByteSink}, or
 * hands out the chunks as an async iterable. It holds one encoded section at a time and waits for the
 * sink between chunks, so a slow receiver slows the producer down instead of filling memory.
 */
import { ByteWriter } from "./byte-writer.js";
import {
  endEntry,
  STREAMED,
  type ContainerFormat,
  type ContainerHeader,
  type HeaderInit,
  type KnownSectionBase,
  type RawEntry,
  type TableEntry,
  type UnknownSection,
} from "./container.js";
import { checkEntryToWrite, encodeEntry } from "./entry-rules.js";
import { EncodeError } from "./errors.js";
import { EncodedHeader, streamPadding } from "./layout.js";
import { forEachSection, rawBodyParts, SectionEncoder, sectionSource } from "./section-encoder.js";
import { toByteSink, type ByteSink, type ByteTarget } from "./stream-io.js";

/** Options of the stream encoder. */
export interface StreamEncoderOptions {
  /**
   * The largest piece a body is handed to the sink in (bodies are sliced, not copied). It bounds what a
   * slow sink holds beyond its own high-water mark. Default 1 MiB.
   */
  readonly chunkSize?: number;
}

/**
 * Turns sections into the streamed layout's chunks: the header, then per section its entry (after the
 * previous body's padding) and its body in slices. No I/O: the encoder and {@link encodeStream} feed
 * what it returns to a sink or a consumer.
 */
class StreamFramer<H extends ContainerHeader> {
  /** Bytes framed so far: the stream offset of the next byte. */
  offset = 0;
  /** Sections framed so far (the end section not counted). */
  count = 0;
  ended = false;
  private pendingHeader: Uint8Array | undefined;
  private pendingPad = 0;
  private readonly encoder: SectionEncoder<H>;

  constructor(
    private readonly format: ContainerFormat<H>,
    readonly header: H,
    readonly littleEndian: boolean,
    headerBytes: Uint8Array,
    private readonly chunkSize: number,
  ) {
    this.pendingHeader = headerBytes;
    this.encoder = new SectionEncoder(format, header, littleEndian);
  }

  /** The header (once), the padding after the previous body, and `entry` with its entry CRC, as one small chunk. */
  private prefix(entry: Omit<TableEntry, "entryCrc">): Uint8Array {
    const head = this.pendingHeader;
    this.pendingHeader = undefined;
    const headLength = head === undefined ? 0 : head.length + streamPadding(head.length);
    const w = new ByteWriter({ littleEndian: this.littleEndian, initialCapacity: headLength + this.pendingPad + this.format.entry.size });
    if (head !== undefined) {
      w.bytes(head);
      w.zeros(streamPadding(head.length));
    }
    w.zeros(this.pendingPad);
    encodeEntry(this.format, w, entry, this.header.formatVersion);
    return w.finish();
  }

  private check(): void {
    if (this.ended) throw new EncodeError("ended", "the stream has already ended", { offset: this.offset });
  }

  /** Encodes a section and returns its chunks; the body is encoded into a buffer of its own. */
  section(section: KnownSectionBase | UnknownSection): Uint8Array[] {
    this.check();
    const head = this.pendingHeader === undefined ? 0 : this.pendingHeader.length + streamPadding(this.pendingHeader.length);
    const { entry, body } = this.encoder.encode(section, this.count, this.offset + head + this.pendingPad + this.format.entry.size);
    return this.raw(entry, body);
  }

  /**
   * The chunks of a section given as its table entry and body bytes, whole or in parts: the body is not
   * decoded nor its CRC recomputed, but the entry is checked by the entry rules, as a reader will.
   */
  raw(entry: RawEntry, body: Uint8Array | readonly Uint8Array[]): Uint8Array[] {
    this.check();
    const where = { offset: this.offset, section: `#${this.count}` };
    checkEntryToWrite(this.format, this.header, entry, where);
    const { parts, length } = rawBodyParts(body, where);
    if (BigInt(length) !== entry.size) {
      throw new EncodeError("invalid-value", `the body has ${length} bytes, its entry says ${entry.size}`, { ...where, path: "size" });
    }
    const { type, flags, size, entryCount, entrySize, align, crc } = entry;
    const chunks = [this.prefix({ type, flags, size, entryCount, entrySize, align, crc, offset: STREAMED })];
    for (const part of parts) {
      for (let at = 0; at < part.length; at += this.chunkSize) chunks.push(part.subarray(at, Math.min(part.length, at + this.chunkSize)));
    }
    for (const c of chunks) this.offset += c.length;
    this.pendingPad = streamPadding(this.offset);
    this.count++;
    return chunks;
  }

  /** The chunk that ends the stream: padding and the end section's entry. */
  end(): Uint8Array {
    this.check();
    const chunk = this.prefix(endEntry(this.format, STREAMED));
    this.offset += chunk.length;
    this.pendingPad = 0;
    this.ended = true;
    return chunk;
  }
}

/** The table fields of every streamed header. */
const STREAMED_TABLE = { sectionTableOffset: STREAMED, sectionCount: 0 } as const;

function framerFor<H extends ContainerHeader>(format: ContainerFormat<H>, header: HeaderInit<H> | EncodedHeader<H>, options: StreamEncoderOptions): StreamFramer<H> {
  const encoded = header instanceof EncodedHeader ? header.withTable(STREAMED_TABLE) : EncodedHeader.fromInit(format, header, STREAMED_TABLE);
  return new StreamFramer(format, encoded.header, encoded.littleEndian, encoded.bytes, chunkSizeOf(options));
}

function chunkSizeOf(options: StreamEncoderOptions): number {
  const size = options.chunkSize ?? 1 << 20;
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`chunkSize must be a positive integer, not ${size}`);
  return size;
}

/**
 * Writes an image as a stream into a sink, one section per call. Await every call: each resolves when
 * the sink can take more (backpressure). Sections go out in the order given; phases of a checkpointed
 * stream (Remus/COLO) are just more sections, the format's checkpoint section between them.
 *
 * ```ts
 * const enc = new StreamEncoder(imageFormat, header, socket);
 * for await (const batch of pageBatches()) await enc.write({ type: "page_data", body: batch });
 * await enc.end();
 * ```
 */
export class StreamEncoder<H extends ContainerHeader, S extends KnownSectionBase = KnownSectionBase> {
  private readonly framer: StreamFramer<H>;
  private readonly sink: ByteSink;
  private failed: unknown;

  /**
   * `header` is a new image's header (the encoder fills in its managed fields), or the header of
   * another image (an {@link EncodedHeader}, as converters pass it), kept byte for byte apart from the
   * table fields.
   */
  constructor(format: ContainerFormat<H>, header: HeaderInit<H> | EncodedHeader<H>, target: ByteTarget, options: StreamEncoderOptions = {}) {
    this.framer = framerFor(format, header, options);
    this.sink = toByteSink(target);
  }

  /** The header as written (table offset = the sentinel, section count 0). */
  get header(): H {
    return this.framer.header;
  }

  /** Bytes handed to the sink so far. */
  get offset(): number {
    return this.framer.offset;
  }

  /** Sections written so far (the end section not counted). */
  get sectionCount(): number {
    return this.framer.count;
  }

  private async send(chunks: readonly Uint8Array[]): Promise<void> {
    try {
      for (const c of chunks) await this.sink.write(c);
    } catch (e) {
      this.failed = e;
      throw e;
    }
  }

  private guard(): void {
    if (this.failed !== undefined) throw new EncodeError("failed", "an earlier write failed; the stream is unusable", { offset: this.framer.offset }, this.failed);
  }

  /** Encodes a section and writes it; resolves when the sink can take more. */
  async write(section: S | UnknownSection): Promise<void> {
    this.guard();
    await this.send(this.framer.section(section));
  }

  /**
   * Writes a section given as its table entry and body bytes (whole, or in parts as they arrived),
   * without decoding the body or recomputing its CRC: converters pass bodies whose CRC they checked.
   * The entry is checked by the entry rules (an EncodeError names the field), and its entry CRC is
   * computed anew for the streamed layout. The body must stay unchanged until this resolves.
   */
  async writeRaw(entry: RawEntry, body: Uint8Array | readonly Uint8Array[]): Promise<void> {
    this.guard();
    await this.send(this.framer.raw(entry, body));
  }

  /** Writes the end section and closes the sink. */
  async end(): Promise<void> {
    this.guard();
    await this.send([this.framer.end()]);
    await this.sink.close();
  }

  /** Gives up: aborts the sink (a socket is destroyed, a Web stream errored). */
  async abort(reason: unknown = new Error("stream encoding aborted")): Promise<void> {
    this.failed ??= reason;
    await this.sink.abort(reason);
  }
}

/**
 * Encodes an image as a stream and yields its chunks as the consumer pulls them: the next section is
 * taken from `sections` (which may be an async generator producing page batches) only when the
 * previous one's chunks have been consumed.
 */
export async function* encodeStream<H extends ContainerHeader, S extends KnownSectionBase = KnownSectionBase>(
  format: ContainerFormat<H>,
  header: HeaderInit<H> | EncodedHeader<H>,
  sections: AsyncIterable<S | UnknownSection> | Iterable<S | UnknownSection>,
  options: StreamEncoderOptions = {},
): AsyncGenerator<Uint8Array, void, undefined> {
  const framer = framerFor(format, header, options);
  const source = sectionSource(sections);
  if ("async" in source) for await (const section of source.async) yield* framer.section(section);
  else for (const section of source.sync) yield* framer.section(section);
  yield framer.end();
}

/**
 * Writes a whole image to a sink as a stream, taking each section from `sections` only when the sink
 * has room for it. On failure (of the producer or the sink) the sink is aborted, so the receiver sees a
 * cut-off stream rather than a clean end.
 */
export async function writeStream<H extends ContainerHeader, S extends KnownSectionBase = KnownSectionBase>(
  format: ContainerFormat<H>,
  header: HeaderInit<H> | EncodedHeader<H>,
  sections: AsyncIterable<S | UnknownSection> | Iterable<S | UnknownSection>,
  target: ByteTarget,
  options: StreamEncoderOptions = {},
): Promise<void> {
  const enc = new StreamEncoder<H, S>(format, header, target, options);
  try {
    await forEachSection(sections, (section) => enc.write(section));
    await enc.end();
  } catch (e) {
    await enc.abort(e);
    throw e;
  }
}
