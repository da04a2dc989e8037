import { randomBytes } from "node:crypto";
import { open, rm, type FileHandle } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * A temporary file for bytes that cannot be handled as they arrive (a seekable image on standard input,
 * whose table comes last): memory stays bounded, the disk holds the bytes. The file is unlinked as
 * soon as it is open, so it disappears with the handle even when the process is killed; where that is
 * not allowed (Windows), it is removed on close.
 */
export class Spool {
  private length = 0;

  private constructor(
    /** The open file: read it back through this. */
    readonly handle: FileHandle,
    private readonly path: string | undefined,
  ) {}

  /** Creates the file in the OS temp directory. */
  static async create(): Promise<Spool> {
    const path = join(tmpdir(), `.xenimage-${process.pid}-${randomBytes(4).toString("hex")}.spool`);
    const handle = await open(path, "wx+");
    const unlinked = await rm(path).then(
      () => true,
      () => false,
    );
    return new Spool(handle, unlinked ? undefined : path);
  }

  /** Bytes written so far. */
  get size(): number {
    return this.length;
  }

  /** Appends `bytes`. */
  async write(bytes: Uint8Array): Promise<void> {
    let done = 0;
    while (done < bytes.length) {
      const { bytesWritten } = await this.handle.write(bytes, done, bytes.length - done, this.length + done);
      done += bytesWritten;
    }
    this.length += bytes.length;
  }

  /** What was written, from the start, in chunks of up to `chunkSize` bytes. */
  async *chunks(chunkSize = 1 << 20): AsyncGenerator<Uint8Array, void, undefined> {
    for (let at = 0; at < this.length; ) {
      const buffer = new Uint8Array(Math.min(chunkSize, this.length - at));
      const { bytesRead } = await this.handle.read(buffer, 0, buffer.length, at);
      if (bytesRead === 0) throw Object.assign(new Error("the temporary file is shorter than what was written to it"), { code: "EIO", syscall: "read" });
      at += bytesRead;
      yield buffer.subarray(0, bytesRead);
    }
  }

  /** Closes (and so deletes) the file. */
  async close(): Promise<void> {
    await this.handle.close();
    if (this.path !== undefined) await rm(this.path, { force: true });
  }
}

/**
 * Text that must wait before it can be written (what a JSON document holds before a value that
 * depends on later input): kept in memory up to `memoryLimit` bytes, in a {@link Spool} past that.
 */
export class DeferredText {
  private parts: string[] = [];
  private bytes = 0;
  private spool: Spool | undefined;

  constructor(private readonly memoryLimit = 16 << 20) {}

  /** Adds `text` after what is already waiting. */
  async add(text: string): Promise<void> {
    if (this.spool !== undefined) {
      await this.spool.write(Buffer.from(text));
      return;
    }
    this.parts.push(text);
    this.bytes += text.length;
    if (this.bytes > this.memoryLimit) {
      this.spool = await Spool.create();
      await this.spool.write(Buffer.from(this.parts.join("")));
      this.parts = [];
    }
  }

  /** Hands everything that waited to `write`, in order, and releases it. */
  async flush(write: (text: string | Uint8Array) => Promise<void>): Promise<void> {
    const spool = this.spool;
    this.spool = undefined;
    if (spool === undefined) {
      for (const p of this.parts) await write(p);
    } else {
      try {
        for await (const chunk of spool.chunks()) await write(chunk);
      } finally {
        await spool.close();
      }
    }
    this.parts = [];
    this.bytes = 0;
  }

  /** Releases what is waiting without writing it (after a failure). */
  async discard(): Promise<void> {
    this.parts = [];
    await this.spool?.close();
    this.spool = undefined;
  }
}
