/**
 * Node only. A file read front to back as a stream source: positional reads of `chunkSize` bytes, one
 * at a time, each into a buffer of its own. A consumer that passes the bytes on and knows when it is
 * done with them (a conversion writing them to a file) can hand the buffers back for later reads
 * ({@link FileChunks.reuseBuffers}): a `ReadStream` allocates a fresh buffer per read, and those
 * allocations, their page faults and their garbage cost a stream → seekable conversion about a fifth of
 * its CPU.
 */
import { open } from "node:fs/promises";
import type { FileHandleLike } from "./file-reader.js";

/** Options of {@link FileChunks}. */
export interface FileChunksOptions {
  /** Bytes per read. Default 1 MiB. */
  readonly chunkSize?: number;
}

const DEFAULT_CHUNK = 1 << 20;

/**
 * A file as an async iterable of chunks, from its first byte to its end: a {@link ByteSource} for
 * `decodeStream` and the converters. Iterable once. Without {@link reuseBuffers} every chunk is a
 * buffer of its own that nothing here touches again, so a consumer may keep it (decoded page bodies
 * are views of it).
 */
export class FileChunks implements AsyncIterable<Uint8Array> {
  /** File position of the next read, and bytes handed out so far (the same count). */
  private position = 0;
  /** With reuse on: the buffers handed out and not yet given back, in order, with the offset just past each. */
  private lent: { readonly buffer: Uint8Array; readonly end: number }[] | undefined;
  private readonly free: Uint8Array[] = [];
  private started = false;
  private closed = false;
  /** The read under way: reads are issued one after the other, so each starts where the last ended. */
  private reading: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly handle: Pick<FileHandleLike, "read" | "close">,
    /** Whether closing is ours to do (opened from a path) or the handle's owner's. */
    private readonly owned: boolean,
    private readonly chunkSize: number,
  ) {
    if (!Number.isSafeInteger(chunkSize) || chunkSize <= 0) throw new RangeError(`chunkSize must be a positive integer, not ${chunkSize}`);
  }

  /** Opens `path` for reading; the file is closed at the end of the iteration (or when it stops early). */
  static async open(path: string, options: FileChunksOptions = {}): Promise<FileChunks> {
    const handle = await open(path, "r");
    return new FileChunks(handle, true, options.chunkSize ?? DEFAULT_CHUNK);
  }

  /** Reads an open file from position 0; the handle stays its owner's to close. */
  static of(handle: Pick<FileHandleLike, "read" | "close">, options: FileChunksOptions = {}): FileChunks {
    return new FileChunks(handle, false, options.chunkSize ?? DEFAULT_CHUNK);
  }

  /**
   * Turns buffer reuse on, before the iteration starts. The caller promises to call the returned
   * `release(offset)` once nothing (its own code, a write in flight) holds a view of any byte before
   * `offset` (counted from the first byte handed out; offsets never go back): the buffers that lie
   * wholly before it are then read into again. Buffers not released are never reused.
   */
  reuseBuffers(): (offset: number) => void {
    if (this.started) throw new Error("reuseBuffers must be called before the chunks are read");
    const lent: { readonly buffer: Uint8Array; readonly end: number }[] = [];
    this.lent = lent;
    return (offset) => {
      while (lent.length > 0 && lent[0]!.end <= offset) this.free.push(lent.shift()!.buffer);
    };
  }

  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    if (this.started) throw new Error("a FileChunks source can be read only once");
    this.started = true;
    return {
      next: () => {
        const next = this.reading.then(() => this.read());
        this.reading = next.catch(() => undefined);
        return next;
      },
      // Not queued behind a read under way: closing the handle waits for it anyway.
      return: async () => {
        await this.close();
        return { done: true, value: undefined };
      },
    };
  }

  private async read(): Promise<IteratorResult<Uint8Array>> {
    if (this.closed) return { done: true, value: undefined };
    const buffer = this.free.pop() ?? new Uint8Array(this.chunkSize);
    let bytesRead: number;
    try {
      ({ bytesRead } = await this.handle.read(buffer, 0, buffer.length, this.position));
    } catch (e) {
      await this.close();
      throw e;
    }
    if (bytesRead === 0) {
      await this.close();
      return { done: true, value: undefined };
    }
    this.position += bytesRead;
    this.lent?.push({ buffer, end: this.position });
    return { done: false, value: buffer.subarray(0, bytesRead) };
  }

  private async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.owned) await this.handle.close();
  }
}
