/**
 * Node only. The image writer's write queue: positional writes to one file, issued in order in the
 * background while the writer goes on, batched into `writev` calls, with backpressure.
 */

/**
 * Where the queue writes: positional writes that complete whole or fail (an {@link AtomicFile}, which
 * retries short writes and names the destination in its errors), and a data flush.
 */
export interface PositionalFile {
  write(bytes: Uint8Array, position: number): Promise<void>;
  writev(chunks: readonly Uint8Array[], position: number): Promise<void>;
  datasync(): Promise<void>;
}

/** At most this many buffers go into one `writev` (Linux's IOV_MAX is 1024). */
const MAX_IOV = 512;
/** At most this many bytes go into one `writev`, so a flush or a failure is noticed soon enough. */
const MAX_BATCH = 8 * 1024 * 1024;

/**
 * Positional writes in the order queued (the file is written front to back, so the kernel sees a
 * sequential writer), while the caller goes on: `write` returns at once unless more than
 * `maxPendingBytes` are waiting. One write is in flight at a time; the writes queued meanwhile that
 * follow each other in the file go out together in one `writev`. A socket hands over 64 KiB chunks,
 * and writing them one by one cost a thread-pool round trip each: a receiver waited on that, not
 * on the disk.
 */
export class WriteQueue {
  private readonly queue: { readonly bytes: Uint8Array; readonly position: number; readonly written: (() => void) | undefined }[] = [];
  private pendingBytes = 0;
  private failure: unknown;
  /** The loop issuing the queued writes, while there are any. */
  private pumping: Promise<void> | undefined;
  /** Resolved whenever a write completes, so a caller over the limit can wait for room. */
  private wake: (() => void) | undefined;
  /** Bytes written since the last flush was started, and that flush. */
  private unflushed = 0;
  private flushing: Promise<void> | undefined;

  constructor(
    private readonly file: PositionalFile,
    private readonly maxPendingBytes: number,
    /** Start a background `datasync` after this many bytes (0: never), so the final sync has little left. */
    private readonly flushEvery: number,
  ) {}

  /**
   * Queues a write of `bytes` at `position`; waits while too many bytes are waiting. `written` is
   * called once the bytes are in the file (never after a failure): from then on the queue holds no
   * reference to them, and their buffer may be reused.
   */
  async write(bytes: Uint8Array, position: number, written?: () => void): Promise<void> {
    this.check();
    if (bytes.length === 0) {
      written?.();
      return;
    }
    this.queue.push({ bytes, position, written });
    this.pendingBytes += bytes.length;
    this.pumping ??= this.pump();
    while (this.pendingBytes > this.maxPendingBytes && this.failure === undefined) {
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
    this.check();
  }

  private async pump(): Promise<void> {
    while (this.queue.length > 0 && this.failure === undefined) {
      // The run of queued writes that follow each other in the file, from the first.
      const first = this.queue[0]!;
      let end = first.position + first.bytes.length;
      let count = 1;
      while (count < this.queue.length && count < MAX_IOV && end - first.position < MAX_BATCH && this.queue[count]!.position === end) {
        end += this.queue[count]!.bytes.length;
        count++;
      }
      const batch = this.queue.splice(0, count);
      try {
        await (batch.length === 1 ? this.file.write(first.bytes, first.position) : this.file.writev(batch.map((w) => w.bytes), first.position));
        for (const w of batch) w.written?.();
      } catch (e) {
        this.failure ??= e;
      }
      const written = end - first.position;
      this.pendingBytes -= written;
      this.unflushed += written;
      if (this.failure === undefined && this.flushEvery > 0 && this.unflushed >= this.flushEvery && this.flushing === undefined) this.startFlush();
      this.wake?.();
    }
    if (this.failure !== undefined) {
      // Nothing more is written after a failure; whoever waits hears of it.
      this.queue.length = 0;
      this.pendingBytes = 0;
      this.wake?.();
    }
    this.pumping = undefined;
  }

  /** Flushes what is written so far while writing goes on, so the final sync has little left to do. */
  private startFlush(): void {
    this.unflushed = 0;
    this.flushing = this.file.datasync().then(
      () => (this.flushing = undefined),
      (e: unknown) => {
        this.failure ??= e;
        this.flushing = undefined;
      },
    );
  }

  /** Waits for every queued write (and a flush under way); rethrows the first failure. */
  async drain(): Promise<void> {
    while (this.pumping !== undefined) await this.pumping;
    await this.flushing;
    this.check();
  }

  private check(): void {
    if (this.failure !== undefined) throw this.failure;
  }
}
