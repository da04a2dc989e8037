/**
 * Node only. Streamed ↔ seekable conversion between files, sockets and streams, without decoding any
 * body: entries and bytes are copied, CRCs checked. A streamed image converted to a seekable file and
 * back (or the other way round) comes out byte for byte the same, because both writers lay sections out
 * by the rules in `layout.ts`.
 */
import { open } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ContainerFormat, ContainerHeader } from "../container.js";
import { checkConvertible, imageToStream, rawEntry } from "../convert.js";
import type { ImageReaderOptions } from "../image-reader.js";
import { EncodedHeader } from "../layout.js";
import { decodeStream, type BodyHandler, type StreamDecoderOptions } from "../stream-decoder.js";
import type { StreamEncoderOptions } from "../stream-encoder.js";
import { toByteSink, type ByteSink, type ByteSource, type ByteTarget } from "../stream-io.js";
import { FileChunks } from "./file-chunks.js";
import { openImageFile } from "./file-reader.js";
import { ImageWriter, type ImageWriterOptions, type RawBodyWriter } from "./file-writer.js";

/** Options of {@link streamToImageFile}. */
export interface StreamToImageOptions<H> extends StreamDecoderOptions, ImageWriterOptions {
  /**
   * Changes header fields on the way (say, image_type migration → save). Default: none, and then the
   * conversion is lossless. The table fields are the writer's and are overwritten anyway.
   */
  readonly mapHeader?: (header: H) => H;
  /** Called after each section is handed to the file writer: for progress reports. */
  readonly onProgress?: (progress: { readonly sections: number; readonly streamBytes: number }) => void;
}

/** What a conversion found. */
export interface ConversionSummary<H> {
  /** The file written. */
  readonly path: string;
  /** The header as written. */
  readonly header: H;
  /** Sections copied, the end section not counted. */
  readonly sections: number;
  /** Stream bytes read. */
  readonly streamBytes: number;
}

/**
 * Turns a stream (a socket, a file stream, a Web stream) into a seekable image file as it arrives:
 * each body goes to disk as soon as its CRC checks out; the table and header are written at the end
 * and the file renamed into place. If the stream is cut off or corrupt, the error names the last
 * complete section and the offset, and nothing appears under `path`. `path` may be a function of the
 * stream's header (a receiver names files after the guest), called once the header has arrived.
 * Bodies go from the source's chunks to the file as they are, never joined or copied; a
 * {@link FileChunks} source gets its buffers back for later reads once their bytes are written.
 */
export async function streamToImageFile<H extends ContainerHeader>(
  format: ContainerFormat<H>,
  source: ByteSource,
  path: string | ((header: H) => string),
  options: StreamToImageOptions<H> = {},
): Promise<ConversionSummary<H>> {
  return copyStream(format, source, path, options, (writer) => writer.finish());
}

/** Options of {@link streamToImageTarget}. */
export interface StreamToImageTargetOptions<H> extends Omit<StreamToImageOptions<H>, "sync"> {
  /** Where the scratch file is laid out. Default: the OS temporary directory. */
  readonly scratchDirectory?: string;
}

/**
 * Turns a stream into a seekable image written to a byte target (standard output, a socket). The
 * seekable layout ends with the table the header points to, so the image is laid out in a scratch
 * file first (a temporary of the atomic-write scheme, removed at the end, on failure too), then copied
 * to `target`, which is closed (aborted on failure).
 */
export async function streamToImageTarget<H extends ContainerHeader>(
  format: ContainerFormat<H>,
  source: ByteSource,
  target: ByteTarget,
  options: StreamToImageTargetOptions<H> = {},
): Promise<ConversionSummary<H>> {
  const sink = toByteSink(target);
  const scratch = join(options.scratchDirectory ?? tmpdir(), "xenimage-scratch.img");
  try {
    return await copyStream(format, source, scratch, { ...options, sync: false }, async (writer) => {
      try {
        await writer.complete();
        await copyFile(writer.tempPath, sink);
      } finally {
        await writer.abort();
      }
    });
  } catch (e) {
    await sink.abort(e);
    throw e;
  }
}

/** Copies a file into a sink in chunks of 1 MiB, then closes the sink. */
async function copyFile(path: string, sink: ByteSink): Promise<void> {
  const handle = await open(path, "r");
  try {
    for (let position = 0; ; ) {
      // A fresh buffer each time: the sink may hold on to a chunk until its write completes.
      const chunk = new Uint8Array(1 << 20);
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, position);
      if (bytesRead === 0) break;
      position += bytesRead;
      await sink.write(chunk.subarray(0, bytesRead));
    }
  } finally {
    await handle.close();
  }
  await sink.close();
}

/** Decodes `source` into an image writer for `path`; `done` completes the writer (finish, or read back). */
async function copyStream<H extends ContainerHeader>(
  format: ContainerFormat<H>,
  source: ByteSource,
  path: string | ((header: H) => string),
  options: StreamToImageOptions<H>,
  done: (writer: ImageWriter<H>) => Promise<void>,
): Promise<ConversionSummary<H>> {
  const release = source instanceof FileChunks ? source.reuseBuffers() : undefined;
  const stream = await decodeStream<H>(format, source, options);
  const returns = release === undefined ? undefined : new BufferReturns(release, () => stream.offset);
  let writer: ImageWriter<H> | undefined;
  try {
    checkConvertible(format, stream.header);
    const file = typeof path === "string" ? path : path(stream.header);
    const table = { sectionTableOffset: 0n, sectionCount: 0 };
    let header = stream.encodedHeader(table);
    if (options.mapHeader !== undefined) {
      const h = header.header;
      // The layout fields stay the stream's: the bodies and the header's tail were written for them.
      const mapped = { ...options.mapHeader({ ...h }), byteOrder: h.byteOrder, formatVersion: h.formatVersion, headerSize: h.headerSize, sectionEntrySize: h.sectionEntrySize };
      header = EncodedHeader.fromImage(format, mapped, header.littleEndian, header.bytes, table);
    }
    writer = await ImageWriter.create<H>(format, file, header, options);
    // Each body goes to the file chunk by chunk as it arrives (its CRC checked at its end; a mismatch
    // aborts the writer, which removes the temporary file): nothing is held beyond the write queue.
    let body: RawBodyWriter | undefined;
    const sink = writer;
    const handler: BodyHandler = {
      begin: async (entry) => void (body = await sink.beginRaw(rawEntry(entry))),
      part: (bytes) => body!.write(bytes, returns?.handOver()),
    };
    for await (const _ of stream.rawSections(handler)) {
      body!.end();
      returns?.sectionDone();
      options.onProgress?.({ sections: writer.sectionCount, streamBytes: stream.offset });
    }
    await done(writer);
    return { path: file, header: header.header, sections: writer.sectionCount, streamBytes: stream.offset };
  } catch (e) {
    await writer?.abort();
    await stream.cancel();
    throw e;
  }
}

/**
 * Gives a {@link FileChunks} source's buffers back as soon as nothing holds a view of them: the only
 * views kept past a decoder step are the body pieces in the write queue, and the queue writes them in
 * order. So everything before the oldest piece not yet written is free; with none in flight,
 * everything the decoder has consumed.
 */
class BufferReturns {
  private inFlight = 0;

  constructor(
    private readonly release: (offset: number) => void,
    /** The stream offset of the next byte the decoder will consume. */
    private readonly consumed: () => number,
  ) {}

  /** A piece ending at the current offset goes to the write queue; returns its `written` callback. */
  handOver(): () => void {
    this.inFlight++;
    const end = this.consumed();
    return () => {
      // Writes complete in order: the pieces still in flight all start at or after `end`.
      this.inFlight--;
      this.release(this.inFlight > 0 ? end : this.consumed());
    };
  }

  /** A section is through: with nothing in flight, bytes read for entries and padding are free too. */
  sectionDone(): void {
    if (this.inFlight === 0) this.release(this.consumed());
  }
}

/**
 * Writes a seekable image file as a stream into a sink (a socket, a file stream, a Web stream),
 * section by section without decoding; the sink is closed at the end (aborted on failure).
 */
export async function imageFileToStream<H extends ContainerHeader>(
  format: ContainerFormat<H>,
  path: string,
  target: ByteTarget,
  options: ImageReaderOptions & StreamEncoderOptions = {},
): Promise<void> {
  let image;
  try {
    image = await openImageFile<H>(format, path, options);
  } catch (e) {
    // Aborted as promised: an output file's temporary must not outlive a missing or bad input.
    await toByteSink(target).abort(e);
    throw e;
  }
  try {
    await imageToStream(format, image, target, options);
  } finally {
    await image.close();
  }
}
