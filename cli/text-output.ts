import type { ByteSink } from "../runtime/index.js";

/**
 * Text written piece by piece (JSON a section at a time, a listing a line at a time) to a
 * {@link ByteSink}, gathered into writes of about `batchSize` bytes: many small pieces cost few writes,
 * and each write waits for the sink (backpressure), so output never piles up in memory.
 */
export class TextOutput {
  private pending: (string | Uint8Array)[] = [];
  private pendingBytes = 0;

  constructor(
    private readonly sink: ByteSink,
    private readonly batchSize = 1 << 20,
  ) {}

  /** Queues `piece`; writes the batch when it is full. */
  async write(piece: string | Uint8Array): Promise<void> {
    this.pending.push(piece);
    this.pendingBytes += piece.length;
    if (this.pendingBytes >= this.batchSize) await this.flush();
  }

  private async flush(): Promise<void> {
    if (this.pending.length === 0) return;
    const pending = this.pending;
    this.pending = [];
    this.pendingBytes = 0;
    // Runs of text joined first: one encoding and one buffer per run, not per piece.
    const parts: Uint8Array[] = [];
    let text: string[] = [];
    for (const p of pending) {
      if (typeof p === "string") {
        text.push(p);
        continue;
      }
      if (text.length > 0) parts.push(Buffer.from(text.join("")));
      text = [];
      parts.push(p);
    }
    if (text.length > 0) parts.push(Buffer.from(text.join("")));
    await this.sink.write(parts.length === 1 ? parts[0]! : Buffer.concat(parts));
  }

  /** Writes what is left and closes the sink (for a file: renames it into place). */
  async close(): Promise<void> {
    await this.flush();
    await this.sink.close();
  }

  /** Gives up: the sink discards what it can (for a file: the temporary is removed). */
  async abort(reason: unknown): Promise<void> {
    this.pending = [];
    await this.sink.abort(reason);
  }
}
