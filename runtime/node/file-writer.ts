/**
 * Node only. The seekable writer: streams section bodies to a file as the caller produces them, writes
 * the section table last and patches the header, all in a temporary file beside the target that is
 * synced and then renamed over it, so the final name only ever holds a complete image. Bodies are laid
 * out by the same rules as the in-memory encoder (`layout.ts`), so both give the same bytes.
 */
import { randomBytes } from "node:crypto";
import { open, rename, rm, type FileHandle } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { ByteWriter } from "../byte-writer.js";
import {
  endEntry,
  OPTIONAL_BIT,
  type ContainerFormat,
  type ContainerHeader,
  type HeaderInit,
  type KnownSectionBase,
  type UnknownSection,
} from "../container.js";
import { EncodeError } from "../errors.js";
import { EncodedHeader, seekableBodyOffset, seekableTableOffset } from "../layout.js";
import { SectionEncoder, type RawEntry } from "../section-encoder.js";
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
  /** Queues the next piece; resolves when the writer can take more. */
  write(part: Uint8Array): Promise<void>;
  /** Checks that the pieces added up to the entry's size. */
  end(): void;
}

let tempCounter = 0;

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
 * {@link writeImageFile} do it), which removes the temporary file.
 */
export class ImageWriter<H extends ContainerHeader, S extends KnownSectionBase = KnownSectionBase> {
  private pos: number;
  private count = 0;
  private readonly table: ByteWriter;
  private readonly encoder: SectionEncoder<H>;
  private readonly queue: WriteQueue;
  private state: "open" | "finished" | "aborted" = "open";

  private constructor(
    private readonly format: ContainerFormat<H>,
    /** The final name. */
    readonly path: string,
    /** Where the image is written until it is complete. */
    readonly tempPath: string,
    private readonly handle: FileHandle,
    private readonly header: EncodedHeader<H>,
    private readonly sync: boolean,
    maxPendingBytes: number,
  ) {
    this.pos = header.bytes.length;
    this.table = new ByteWriter({ littleEndian: header.littleEndian, initialCapacity: 64 * format.entry.size });
    this.encoder = new SectionEncoder(format, header.header, header.littleEndian);
    this.queue = new WriteQueue(handle, maxPendingBytes, sync ? FLUSH_EVERY : 0);
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
    // Same directory, so the rename stays on one file system and is atomic; "wx" never clobbers.
    const tempPath = join(dirname(path), `.${basename(path)}.${process.pid}.${++tempCounter}.${randomBytes(4).toString("hex")}.tmp`);
    const handle = await open(tempPath, "wx");
    const writer = new ImageWriter<H, S>(format, path, tempPath, handle, encoded, options.sync ?? true, maxPending);
    try {
      await writer.queue.write(encoded.bytes, 0);
    } catch (e) {
      await writer.abort();
      throw e;
    }
    return writer;
  }

  /** Bytes laid out so far (the header included): where the next body would start before alignment. */
  get offset(): number {
    return this.pos;
  }

  /** Sections written so far. */
  get sectionCount(): number {
    return this.count;
  }

  private check(): void {
    if (this.state !== "open") throw new EncodeError(this.state, `the image writer for ${this.path} is ${this.state}`, { offset: this.pos });
  }

  /** Encodes a section and queues its body; resolves when the writer can take the next one. */
  async write(section: S | UnknownSection): Promise<void> {
    this.check();
    const encoded = this.encoder.encode(section, this.count, (align) => seekableBodyOffset(this.pos, align));
    await this.writeRaw(encoded.entry, encoded.body);
  }

  /**
   * Queues a section given as its table entry and body (whole, or in parts as they arrived), not
   * decoded nor re-checked: converters pass bodies whose CRC they checked. The body must stay unchanged
   * until `finish` resolves.
   */
  async writeRaw(entry: RawEntry, body: Uint8Array | readonly Uint8Array[]): Promise<void> {
    this.check();
    const parts = body instanceof Uint8Array ? [body] : body;
    const length = parts.reduce((n, p) => n + p.length, 0);
    if (BigInt(length) !== entry.size) {
      throw new EncodeError("invalid-value", `the body has ${length} bytes, its entry says ${entry.size}`, { offset: this.pos, section: `#${this.count}`, path: "size" });
    }
    if ((entry.type & ~OPTIONAL_BIT) === this.format.endId) {
      throw new EncodeError("invalid-value", "the end section is written by finish(), not as a section", { offset: this.pos, section: `#${this.count}`, path: "type" });
    }
    try {
      const offset = seekableBodyOffset(this.pos, entry.align);
      await this.padTo(offset);
      this.format.entry.encode(this.table, { ...entry, offset: BigInt(offset) });
      this.pos = offset + length;
      this.count++;
      let at = offset;
      for (const part of parts) {
        await this.queue.write(part, at);
        at += part.length;
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
   * the write queue, whatever the body's size. The pieces must stay unchanged until `finish` resolves.
   */
  async beginRaw(entry: RawEntry): Promise<RawBodyWriter> {
    this.check();
    const label = `#${this.count}`;
    if ((entry.type & ~OPTIONAL_BIT) === this.format.endId) {
      throw new EncodeError("invalid-value", "the end section is written by finish(), not as a section", { offset: this.pos, section: label, path: "type" });
    }
    const size = Number(entry.size);
    const offset = seekableBodyOffset(this.pos, entry.align);
    try {
      await this.padTo(offset);
      this.format.entry.encode(this.table, { ...entry, offset: BigInt(offset) });
    } catch (e) {
      await this.abort();
      throw e;
    }
    this.pos = offset + size;
    this.count++;
    let at = offset;
    const end = offset + size;
    return {
      write: async (part) => {
        this.check();
        try {
          if (at + part.length > end) throw new EncodeError("invalid-value", `the body is longer than its entry's ${size} bytes`, { offset: at, section: label, path: "size" });
          const position = at;
          at += part.length;
          await this.queue.write(part, position);
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
   * Writes the end section and the table, patches the header, syncs, and renames the file into place.
   * On failure the temporary file is removed and the final name left as it was.
   */
  async finish(): Promise<void> {
    this.check();
    try {
      const tableOffset = seekableTableOffset(this.pos);
      await this.padTo(tableOffset);
      this.format.entry.encode(this.table, endEntry(this.format, BigInt(tableOffset)));
      const sections = this.count + 1;
      await this.queue.write(this.table.finish(), tableOffset);
      await this.queue.write(this.header.withTable({ sectionTableOffset: BigInt(tableOffset), sectionCount: sections }).bytes, 0);
      await this.queue.drain();
      if (this.sync) await this.handle.sync();
      await this.handle.close();
      await rename(this.tempPath, this.path);
      this.state = "finished";
      if (this.sync) await syncDirectory(dirname(this.path));
    } catch (e) {
      if (this.state === "open") await this.abort();
      throw e;
    }
  }

  /** Gives up: closes and removes the temporary file. The final name is never touched. Safe to call twice. */
  async abort(): Promise<void> {
    if (this.state !== "open") return;
    this.state = "aborted";
    await this.queue.drain().catch(() => undefined);
    await this.handle.close().catch(() => undefined);
    await rm(this.tempPath, { force: true });
  }
}

/** Makes a rename durable: the directory entry is flushed too. Some platforms cannot sync a directory; that is not an error. */
async function syncDirectory(dir: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(dir, "r");
    await handle.sync();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== "EISDIR" && code !== "EINVAL" && code !== "EPERM" && code !== "EBADF") throw e;
  } finally {
    await handle?.close();
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
    for await (const section of image.sections) await writer.write(section);
    await writer.finish();
  } catch (e) {
    await writer.abort();
    throw e;
  }
}
