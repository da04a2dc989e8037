/**
 * Node only. The seekable writer: streams section bodies to a file as the caller produces them, writes
 * the section table last and patches the header, all in a temporary file beside the target that is
 * synced and then renamed over it, so the final name only ever holds a complete image. Bodies are laid
 * out by the same rules as the in-memory encoder (`layout.ts`), so both give the same bytes.
 */
import { ByteWriter } from "../byte-writer.js";
import {
  endEntry,
  type ContainerFormat,
  type ContainerHeader,
  type HeaderInit,
  type KnownSectionBase,
  type RawEntry,
  type UnknownSection,
} from "../container.js";
import { checkEntryToWrite, encodeEntry } from "../entry-rules.js";
import { EncodeError } from "../errors.js";
import { EncodedHeader, seekableBodyOffset, seekableTableOffset } from "../layout.js";
import { forEachSection, partLength, rawBodyParts, SectionEncoder, type ZeroRun } from "../section-encoder.js";
import { AtomicFile } from "./atomic-file.js";

export type { ZeroRun } from "../section-encoder.js";
import { WriteQueue } from "./write-queue.js";

/** Options of {@link ImageWriter}. */
export interface ImageWriterOptions {
  /**
   * Flush the file (and its directory entry) to disk before and after the rename. Default true. False
   * still renames a complete file into place, but a crash may then leave the final name empty or short
   * on disk: for scratch files only.
   */
  readonly sync?: boolean;
  /**
   * How many bytes of writes may be in flight before `write` waits for them. Writes run in Node's
   * thread pool while the caller encodes or checksums the next section. Default 8 MiB.
   */
  readonly maxPendingBytes?: number;
}

/** A section body being written piece by piece: see {@link ImageWriter.beginRaw}. */
export interface RawBodyWriter {
  /**
   * Queues the next piece; resolves when the writer can take more. `written` is called once the piece
   * is in the file, after which the writer holds no reference to it (see {@link WriteQueue.write}).
   */
  write(part: Uint8Array, written?: () => void): Promise<void>;
  /** Checks that the pieces added up to the entry's size. */
  end(): void;
}

/**
 * How much a syncing writer writes between background flushes. Left to the end, the final `fsync` of
 * a 2 GiB image wrote ~2 GiB at once and took longer than writing it had (a stream → seekable
 * conversion ran at 0.4× a copy that overlapped reads and writes, which gives the kernel's writeback
 * time to keep up); flushing as it goes keeps the dirty data small.
 */
const FLUSH_EVERY = 64 * 1024 * 1024;

/**
 * Writes a seekable image to a file, section by section. Create it with {@link ImageWriter.create},
 * `write` each section (await every call), then `finish`; on any failure call `abort` (or let
 * {@link writeImageFile} do it), which removes the temporary file. The file is an {@link AtomicFile}:
 * every write is checked, and a failed one (a full disk: `ENOSPC`) is a `FileWriteError` naming `path`.
 */
export class ImageWriter<H extends ContainerHeader, S extends KnownSectionBase = KnownSectionBase> {
  private pos: number;
  private count = 0;
  private readonly table: ByteWriter;
  private readonly encoder: SectionEncoder<H>;
  private readonly queue: WriteQueue;
  private state: "open" | "complete" | "finished" | "aborted" = "open";

  private constructor(
    private readonly format: ContainerFormat<H>,
    private readonly file: AtomicFile,
    private readonly header: EncodedHeader<H>,
    sync: boolean,
    maxPendingBytes: number,
  ) {
    this.pos = header.bytes.length;
    this.table = new ByteWriter({ littleEndian: header.littleEndian, initialCapacity: 64 * format.entry.size });
    this.encoder = new SectionEncoder(format, header.header, header.littleEndian);
    this.queue = new WriteQueue(file, maxPendingBytes, sync ? FLUSH_EVERY : 0);
  }

  /**
   * Creates the temporary file beside `path` and reserves the header. `header` is a new image's header
   * (the writer fills in its managed fields) or another image's, as converters pass it.
   */
  static async create<H extends ContainerHeader, S extends KnownSectionBase = KnownSectionBase>(
    format: ContainerFormat<H>,
    path: string,
    header: HeaderInit<H> | EncodedHeader<H>,
    options: ImageWriterOptions = {},
  ): Promise<ImageWriter<H, S>> {
    const table = { sectionTableOffset: 0n, sectionCount: 0 };
    const encoded = header instanceof EncodedHeader ? header.withTable(table) : EncodedHeader.fromInit(format, header, table);
    const maxPending = options.maxPendingBytes ?? 8 * 1024 * 1024;
    const sync = options.sync ?? true;
    const file = await AtomicFile.open(path, { sync });
    const writer = new ImageWriter<H, S>(format, file, encoded, sync, maxPending);
    try {
      await writer.queue.write(encoded.bytes, 0);
    } catch (e) {
      await writer.abort();
      throw e;
    }
    return writer;
  }

  /** The final name. */
  get path(): string {
    return this.file.path;
  }

  /** Where the image is written until it is complete (the atomic-write scheme's temporary name). */
  get tempPath(): string {
    return this.file.tempPath;
  }

  /** Bytes laid out so far (the header included): where the next body would start before alignment. */
  get offset(): number {
    return this.pos;
  }

  /** Sections written so far. */
  get sectionCount(): number {
    return this.count;
  }

  private check(allowed: "open" | "complete" = "open"): void {
    if (this.state !== "open" && this.state !== allowed) {
      throw new EncodeError(this.state, `the image writer for ${this.path} is ${this.state}`, { offset: this.pos });
    }
  }

  /** Encodes a section and queues its body; resolves when the writer can take the next one. */
  async write(section: S | UnknownSection): Promise<void> {
    this.check();
    const encoded = this.encoder.encode(section, this.count, (align) => seekableBodyOffset(this.pos, align));
    await this.writeRaw(encoded.entry, encoded.body);
  }

  /**
   * Queues a section given as its table entry and body (whole, or in parts as they arrived), the body
   * not decoded nor its CRC recomputed: converters pass bodies whose CRC they checked. The entry is
   * checked by the entry rules (an EncodeError names the field). The body must stay unchanged until
   * `finish` resolves. A {@link ZeroRun} part is not written: the file keeps a hole there, which reads
   * back as zeros (the entry's CRC must cover them; `crc32cZeros` computes it without the bytes).
   */
  async writeRaw(entry: RawEntry, body: Uint8Array | readonly (Uint8Array | ZeroRun)[]): Promise<void> {
    this.check();
    const where = { offset: this.pos, section: `#${this.count}` };
    checkEntryToWrite(this.format, this.header.header, entry, where);
    const { parts, length } = rawBodyParts(body, where, { zeroRuns: true });
    if (BigInt(length) !== entry.size) {
      throw new EncodeError("invalid-value", `the body has ${length} bytes, its entry says ${entry.size}`, { ...where, path: "size" });
    }
    try {
      const offset = seekableBodyOffset(this.pos, entry.align);
      await this.padTo(offset);
      const { type, flags, size, entryCount, entrySize, align, crc } = entry;
      encodeEntry(this.format, this.table, { type, flags, offset: BigInt(offset), size, entryCount, entrySize, align, crc }, this.header.header.formatVersion);
      this.pos = offset + length;
      this.count++;
      let at = offset;
      for (const part of parts) {
        if (part instanceof Uint8Array) await this.queue.write(part, at);
        at += partLength(part);
      }
    } catch (e) {
      await this.abort();
      throw e;
    }
  }

  /**
   * Starts a section whose body arrives in pieces (a converter passing a stream on as it comes): the
   * entry is laid out now, each {@link RawBodyWriter.write} queues the next piece at its place in the
   * file, {@link RawBodyWriter.end} checks that the body has the entry's size. Nothing is held beyond
   * the write queue, whatever the body's size. Each piece must stay unchanged until it is written (its
   * `written` callback) or `finish` resolves.
   */
  async beginRaw(entry: RawEntry): Promise<RawBodyWriter> {
    this.check();
    const label = `#${this.count}`;
    checkEntryToWrite(this.format, this.header.header, entry, { offset: this.pos, section: label });
    const size = Number(entry.size);
    const offset = seekableBodyOffset(this.pos, entry.align);
    try {
      await this.padTo(offset);
      const { type, flags, entryCount, entrySize, align, crc } = entry;
      encodeEntry(this.format, this.table, { type, flags, offset: BigInt(offset), size: entry.size, entryCount, entrySize, align, crc }, this.header.header.formatVersion);
    } catch (e) {
      await this.abort();
      throw e;
    }
    this.pos = offset + size;
    this.count++;
    let at = offset;
    const end = offset + size;
    return {
      write: async (part, written) => {
        this.check();
        try {
          if (at + part.length > end) throw new EncodeError("invalid-value", `the body is longer than its entry's ${size} bytes`, { offset: at, section: label, path: "size" });
          const position = at;
          at += part.length;
          await this.queue.write(part, position, written);
        } catch (e) {
          await this.abort();
          throw e;
        }
      },
      end: () => {
        if (at !== end) throw new EncodeError("invalid-value", `the body has ${at - offset} bytes, its entry says ${size}`, { offset: at, section: label, path: "size" });
      },
    };
  }

  /** Zeros from the current end to `offset`, written rather than left as a hole, so nothing depends on sparse files. */
  private async padTo(offset: number): Promise<void> {
    if (offset > this.pos) await this.queue.write(new Uint8Array(offset - this.pos), this.pos);
  }

  /**
   * Writes the end section and the table, patches the header and waits for every write: the whole
   * image is then at `tempPath`, not yet synced nor renamed. `finish` does this and renames; call it
   * alone for a scratch image that is read back and then `abort`ed (converting a stream to a seekable
   * image on a pipe). On failure the temporary file is removed.
   */
  async complete(): Promise<void> {
    this.check();
    try {
      const tableOffset = seekableTableOffset(this.pos);
      await this.padTo(tableOffset);
      encodeEntry(this.format, this.table, endEntry(this.format, BigInt(tableOffset)), this.header.header.formatVersion);
      const sections = this.count + 1;
      await this.queue.write(this.table.finish(), tableOffset);
      await this.queue.write(this.header.withTable({ sectionTableOffset: BigInt(tableOffset), sectionCount: sections }).bytes, 0);
      await this.queue.drain();
      this.state = "complete";
    } catch (e) {
      await this.abort();
      throw e;
    }
  }

  /**
   * Completes the image (see `complete`), syncs it, and renames the file into place. On failure the
   * temporary file is removed and the final name left as it was.
   */
  async finish(): Promise<void> {
    this.check("complete");
    if (this.state === "open") await this.complete();
    try {
      await this.file.commit();
      this.state = "finished";
    } catch (e) {
      await this.abort();
      throw e;
    }
  }

  /** Gives up: closes and removes the temporary file. The final name is never touched. Safe to call twice. */
  async abort(): Promise<void> {
    if (this.state === "finished" || this.state === "aborted") return;
    this.state = "aborted";
    await this.queue.drain().catch(() => undefined);
    await this.file.abort();
  }
}

/**
 * Writes a whole image to `path` from sections produced one by one (an async generator can produce
 * page batches as it goes): the file appears under `path` only once it is complete.
 */
export async function writeImageFile<H extends ContainerHeader, S extends KnownSectionBase = KnownSectionBase>(
  format: ContainerFormat<H>,
  path: string,
  image: { readonly header: HeaderInit<H>; readonly sections: AsyncIterable<S | UnknownSection> | Iterable<S | UnknownSection> },
  options: ImageWriterOptions = {},
): Promise<void> {
  const writer = await ImageWriter.create<H, S>(format, path, image.header, options);
  try {
    await forEachSection(image.sections, (section) => writer.write(section));
    await writer.finish();
  } catch (e) {
    await writer.abort();
    throw e;
  }
}
