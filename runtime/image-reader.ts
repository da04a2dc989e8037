/**
 * Lazy random access to a seekable image through positional reads (a Node `FileHandle`, a browser
 * `Blob`, an HTTP range reader): opening reads only the header and the section table, and each section
 * is read and decoded when asked for. Nothing here holds more than the section being read.
 */
import {
  codecsById,
  decodeHeader,
  decodeSectionBody,
  OPTIONAL_BIT,
  sectionLabel,
  tablePlacement,
  type ContainerFormat,
  type ContainerHeader,
  type KnownSectionBase,
  type TableEntry,
  type UnknownSection,
} from "./container.js";
import { ByteReader } from "./byte-reader.js";
import { crc32c } from "./crc32c.js";
import { checkGap } from "./entry-rules.js";
import { DecodeError, hex } from "./errors.js";
import { claimedHeaderSize, DEFAULT_MAX_SECTION_SIZE, EncodedHeader, TABLE_ALIGN, type HeaderTable } from "./layout.js";
import type { SectionCodec } from "./section-codec.js";
import { scanSections, type ScannedSection, type ScanOptions } from "./image-scan.js";
import { SectionTable } from "./section-table.js";

/** Positional reads of an image of known size. A Node `FileHandle` fits `read`; see `openImageFile`. */
export interface RandomAccessSource {
  /** Reads up to `length` bytes at `position` into `buffer[offset…]`, like `FileHandle.read`. */
  read(buffer: Uint8Array, offset: number, length: number, position: number): Promise<{ bytesRead: number }>;
  /** The image's size in bytes. */
  size(): Promise<number>;
  /** Releases the source; {@link ImageReader.close} calls it. */
  close?(): Promise<void>;
}

/** A random-access source over bytes in memory (tests, images already loaded). */
export function memorySource(bytes: Uint8Array): RandomAccessSource {
  return {
    async read(buffer, offset, length, position) {
      const part = bytes.subarray(Math.min(position, bytes.length), Math.min(position + length, bytes.length));
      buffer.set(part, offset);
      return { bytesRead: part.length };
    },
    async size() {
      return bytes.length;
    },
  };
}

/**
 * What {@link openImage} needs of a browser `Blob` or `File` (Node has `Blob` too): its size, and
 * slices read as `ArrayBuffer`s.
 */
export interface BlobLike {
  readonly size: number;
  slice(start?: number, end?: number): { arrayBuffer(): Promise<ArrayBuffer> };
}

/**
 * A random-access source over a `Blob`: each read is one `slice(…).arrayBuffer()` of the bytes asked
 * for, so a dropped file of any size is read lazily (the header and table on opening, then each
 * section asked for), never whole.
 */
export function blobSource(blob: BlobLike): RandomAccessSource {
  return {
    async read(buffer, offset, length, position) {
      const end = Math.min(position + length, blob.size);
      if (end <= position) return { bytesRead: 0 };
      const bytes = new Uint8Array(await blob.slice(position, end).arrayBuffer());
      buffer.set(bytes, offset);
      return { bytesRead: bytes.length };
    },
    async size() {
      return blob.size;
    },
  };
}

/** A `Blob` (its `size` a number and a `slice` method), as opposed to a {@link RandomAccessSource} (whose `size` is a method). */
function isBlobLike(source: RandomAccessSource | BlobLike): source is BlobLike {
  return typeof source.size === "number" && typeof (source as BlobLike).slice === "function";
}

/** Options of {@link openImage}. */
export interface ImageReaderOptions {
  /**
   * The largest section body read whole (by `body`, `section`, `sections`), in bytes; larger ones can
   * still be read in parts with `readRange`. Default 256 MiB.
   */
  readonly maxSectionSize?: number;
}

/** Options of {@link ImageReader.sections}. */
export interface SectionsOptions {
  /**
   * Read the sections through {@link ImageReader.scan} (large reads into two reused buffers), so
   * memory stays flat however many sections go by, which one buffer per body does not guarantee (the
   * allocator may keep freed bodies). A decoded section may then hold views of those buffers (page
   * contents, byte runs): it is valid only until the loop asks for the next section. Applies when the
   * table lists the sections in file order, as every writer lays them out; otherwise the sections are
   * read one by one as without it.
   */
  readonly transient?: boolean;
}

/** A section of a seekable image with its raw body, the CRC checked (what converters copy). */
export interface RawImageSection {
  readonly index: number;
  readonly label: string;
  readonly entry: TableEntry;
  readonly body: Uint8Array;
}

/**
 * Opens a seekable image for lazy reading: reads and checks the header and the section table (and the
 * few bytes of alignment gap before the table), nothing else. Fails with a {@link DecodeError} for a
 * bad header or table, and for a streamed image. The gap before each body is read and checked with the
 * body. `source` may be a `Blob` or `File`, read through {@link blobSource}.
 */
export async function openImage<H extends ContainerHeader, S extends KnownSectionBase = KnownSectionBase>(
  format: ContainerFormat<H>,
  source: RandomAccessSource | BlobLike,
  options: ImageReaderOptions = {},
): Promise<ImageReader<H, S>> {
  return ImageReader.open<H, S>(format, isBlobLike(source) ? blobSource(source) : source, options);
}

/** A seekable image opened for lazy reading. Sections are numbered as in the table; the end section is not counted. */
export class ImageReader<H extends ContainerHeader, S extends KnownSectionBase = KnownSectionBase> {
  private readonly known: Map<number, SectionCodec<unknown, H>>;

  private constructor(
    private readonly format: ContainerFormat<H>,
    private readonly source: RandomAccessSource,
    readonly header: H,
    readonly littleEndian: boolean,
    /** The header's bytes (`header.headerSize` of them). */
    readonly headerBytes: Uint8Array,
    private readonly table: SectionTable,
    /** The image's size in bytes. */
    readonly size: number,
    /** The largest section body read whole (`ImageReaderOptions.maxSectionSize`). */
    readonly maxSectionSize: number,
  ) {
    this.known = codecsById(format);
  }

  /** @internal {@link openImage} is the way in. */
  static async open<H extends ContainerHeader, S extends KnownSectionBase>(format: ContainerFormat<H>, source: RandomAccessSource, options: ImageReaderOptions): Promise<ImageReader<H, S>> {
    const max = options.maxSectionSize ?? DEFAULT_MAX_SECTION_SIZE;
    const size = await source.size();
    const h = format.header;
    let headerBytes = await readAt(source, 0, Math.min(h.size, size), "header");
    // A later version's header may be longer than the struct this one knows; header_size says how long.
    const claimed = claimedHeaderSize(format, headerBytes);
    if (claimed > h.size && claimed <= size && claimed <= 64 * 1024) headerBytes = await readAt(source, 0, claimed, "header");
    const { header, littleEndian } = decodeHeader(format, headerBytes);
    const placement = tablePlacement(format, header, size);
    // The gap before the table is shorter than its alignment: read it with the table, check it once the table says where it starts.
    const before = Math.min(TABLE_ALIGN - 1, placement.offset);
    const read = await readAt(source, placement.offset - before, before + placement.size, "section table");
    const checked = SectionTable.decode(format, header, littleEndian, read.subarray(before));
    const gap = checked.gapBefore(checked.length - 1);
    checkGap(read.subarray(gap.start - (placement.offset - before), before), gap.start, checked.gapLabel(checked.length - 1));
    return new ImageReader<H, S>(format, source, header, littleEndian, new Uint8Array(headerBytes.subarray(0, header.headerSize)), checked, size, max);
  }

  /** Every table entry, the end section's last (each decoded when first asked for). */
  get entries(): readonly TableEntry[] {
    return this.table.entries();
  }

  /** The number of sections, the end section not counted. */
  get sectionCount(): number {
    return this.table.length - 1;
  }

  /** How errors name section `index`: `page_data #5`. */
  label(index: number): string {
    this.checkIndex(index);
    return this.labelOf(index);
  }

  /** The label of table entry `index`, the end section's included. */
  private labelOf(index: number): string {
    const id = (this.table.type(index) & ~OPTIONAL_BIT) >>> 0;
    return sectionLabel(this.known.get(id)?.name ?? `type ${hex(id)}`, index);
  }

  /** The schema name of section `index`, or undefined for a type this format does not know. */
  typeName(index: number): string | undefined {
    this.checkIndex(index);
    return this.known.get(this.table.type(index) & ~OPTIONAL_BIT)?.name;
  }

  /** The indices of the sections of a type, by schema name, in table order. */
  indicesOf(name: string): number[] {
    const codec = this.format.sections.find((c) => c.name === name);
    return codec === undefined ? [] : this.table.indicesOf(codec.id, this.sectionCount);
  }

  /** The table entry of section `index`. */
  entry(index: number): TableEntry {
    this.checkIndex(index);
    return this.table.entry(index);
  }

  private checkIndex(index: number): void {
    if (!Number.isInteger(index) || index < 0 || index >= this.sectionCount) {
      throw new RangeError(`section index ${index} is outside 0…${this.sectionCount - 1}`);
    }
  }

  /** The header as a writer can reuse it (converters keep it byte for byte apart from the table fields). */
  encodedHeader(table: HeaderTable): EncodedHeader<H> {
    return EncodedHeader.fromImage(this.format, this.header, this.littleEndian, this.headerBytes, table);
  }

  /**
   * Section `index`'s body, read whole and its CRC checked, with the alignment gap before it (read in
   * the same read; the table check keeps it shorter than the body's alignment), which must be zero.
   */
  async body(index: number): Promise<Uint8Array> {
    const entry = this.entry(index);
    const label = this.label(index);
    if (entry.size > BigInt(this.maxSectionSize)) throw this.tooLarge(entry, label);
    const gap = this.table.gapBefore(index);
    const gapLength = gap.end - gap.start;
    // The body starts 8-aligned in its buffer, so u64 arrays in it can still be views.
    const lead = Math.ceil(gapLength / 8) * 8;
    const buffer = new Uint8Array(lead + Number(entry.size));
    await readInto(this.source, buffer.subarray(lead - gapLength), gap.start, label);
    checkGap(buffer.subarray(lead - gapLength, lead), gap.start, label);
    const body = buffer.subarray(lead);
    const crc = crc32c(body);
    if (crc !== entry.crc) throw this.crcMismatch(entry, label, crc);
    return body;
  }

  private tooLarge(entry: TableEntry, label: string): DecodeError {
    return new DecodeError("too-large", `the body is ${entry.size} bytes, more than the ${this.maxSectionSize}-byte limit (maxSectionSize); read it in parts with readRange`, { section: label, offset: Number(entry.offset) });
  }

  private crcMismatch(entry: TableEntry, label: string, crc: number): DecodeError {
    return new DecodeError("crc", `body CRC mismatch: stored ${hex(entry.crc)}, computed ${hex(crc)}`, { section: label, offset: Number(entry.offset) });
  }

  /**
   * A reader over section `index`'s body (read whole, CRC checked) in the image's byte order, whose
   * errors name the section and absolute offsets: for the generated views (`viewX(reader)`), which read
   * the fields of records without decoding the section.
   */
  async bodyReader(index: number): Promise<ByteReader> {
    const body = await this.body(index);
    return new ByteReader(body, { littleEndian: this.littleEndian, base: Number(this.entry(index).offset), section: this.label(index) });
  }

  /**
   * `length` bytes of section `index`'s body from `start` (relative to the body), without reading the
   * rest and so without checking the CRC: for picking single pages out of a large section.
   */
  async readRange(index: number, start: number, length: number): Promise<Uint8Array> {
    const entry = this.entry(index);
    if (!Number.isSafeInteger(start) || !Number.isSafeInteger(length) || start < 0 || length < 0 || BigInt(start + length) > entry.size) {
      throw new RangeError(`range ${start}+${length} is outside the ${entry.size}-byte body of ${this.label(index)}`);
    }
    return readAt(this.source, Number(entry.offset) + start, length, this.label(index));
  }

  /** Section `index`, read, checked and decoded (unknown optional types stay raw). */
  async section(index: number): Promise<S | UnknownSection> {
    const entry = this.entry(index);
    return decodeSectionBody<H, S>(this.format, this, entry, index, await this.body(index), Number(entry.offset), this.known, true);
  }

  /**
   * Every section in table order, each read when the loop gets near it: the next body is read while
   * the caller handles the current section (as {@link rawSections}). With `transient`, see
   * {@link SectionsOptions}.
   */
  async *sections(options: SectionsOptions = {}): AsyncGenerator<S | UnknownSection, void, undefined> {
    if (options.transient === true && this.inFileOrder()) {
      for await (const s of this.scan()) {
        if (s.gap !== undefined) throw s.gap;
        if (s.index === this.sectionCount) continue; // the end section
        if (s.body === undefined) throw this.tooLarge(s.entry, s.label);
        if (s.crc !== s.entry.crc) throw this.crcMismatch(s.entry, s.label, s.crc);
        yield decodeSectionBody<H, S>(this.format, this, s.entry, s.index, s.body, Number(s.entry.offset), this.known, true);
      }
      return;
    }
    for await (const raw of this.rawSections()) {
      yield decodeSectionBody<H, S>(this.format, this, raw.entry, raw.index, raw.body, Number(raw.entry.offset), this.known, true);
    }
  }

  /** Whether the table lists the sections in file order, none overlapping the next (as every writer lays them out). */
  private inFileOrder(): boolean {
    const entries = this.entries;
    for (let i = 1; i < entries.length; i++) if (entries[i - 1]!.offset + entries[i - 1]!.size > entries[i]!.offset) return false;
    return true;
  }

  /**
   * Every section (or those of `options.sections`), the end section included, in file order, read
   * front to back in large reads and checksummed as the bytes arrive, not decoded: for checking a
   * whole image at the speed of reading it. Unlike {@link rawSections} it does not stop at a bad CRC (each section carries the CRC of what
   * was read) nor at a body over `maxSectionSize` (its body is undefined). A body is valid only until
   * the loop asks for the next section. Memory: two reads of `chunkSize` plus the largest body.
   */
  scan(options: ScanOptions = {}): AsyncGenerator<ScannedSection, void, undefined> {
    return scanSections(
      {
        readFully: async (into, position, what) => void (await readInto(this.source, into, position, what)),
        entries: this.entries,
        label: (index) => this.labelOf(index),
        gapBefore: (index) => this.table.gapBefore(index),
        gapLabel: (index) => this.table.gapLabel(index),
        maxSectionSize: this.maxSectionSize,
      },
      options,
    );
  }

  /**
   * Every section's entry and raw body, CRC checked, not decoded. The next section's body is read
   * while the caller handles the current one (two bodies in memory at most), so a converter's writes
   * and this reader's reads overlap.
   */
  async *rawSections(): AsyncGenerator<RawImageSection, void, undefined> {
    let next = this.sectionCount > 0 ? this.body(0) : undefined;
    for (let i = 0; i < this.sectionCount; i++) {
      const body = await next!;
      next = i + 1 < this.sectionCount ? this.body(i + 1) : undefined;
      // A read-ahead that fails is reported when its turn comes, not as an unhandled rejection now.
      next?.catch(() => undefined);
      yield { index: i, label: this.label(i), entry: this.entry(i), body };
    }
  }

  /** Releases the source. */
  async close(): Promise<void> {
    await this.source.close?.();
  }
}

/** Reads exactly `length` bytes at `position`, or fails naming what was being read. */
async function readAt(source: RandomAccessSource, position: number, length: number, what: string): Promise<Uint8Array> {
  return readInto(source, new Uint8Array(length), position, what);
}

/** Fills `out` with the bytes at `position`, or fails naming what was being read. */
async function readInto(source: RandomAccessSource, out: Uint8Array, position: number, what: string): Promise<Uint8Array> {
  const length = out.length;
  let filled = 0;
  while (filled < length) {
    const { bytesRead } = await source.read(out, filled, length - filled, position + filled);
    if (bytesRead === 0) {
      throw new DecodeError("truncated", `the image ends at ${hex(position + filled)}, ${length - filled} bytes short of the end of the ${what}`, { section: what, offset: position + filled });
    }
    filled += bytesRead;
  }
  return out;
}
