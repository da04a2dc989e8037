import { describe, expect, it } from "vitest";
import { WriteQueue } from "../../runtime/node/write-queue.js";

/**
 * A file in memory standing in for the writer's AtomicFile: records each call and completes it only
 * when the test lets it. (Short writes are the AtomicFile's to finish, not the queue's.)
 */
class FakeFile {
  readonly bytes = new Uint8Array(1 << 16);
  readonly calls: { kind: "write" | "writev"; buffers: number; bytes: number; position: number }[] = [];
  private gate: Promise<void> = Promise.resolve();
  private open: () => void = () => undefined;
  failWith: Error | undefined;

  /** Holds every call until {@link release}. */
  hold(): void {
    this.gate = new Promise((resolve) => (this.open = resolve));
  }
  release(): void {
    this.open();
    this.gate = Promise.resolve();
  }

  private async put(kind: "write" | "writev", buffers: readonly Uint8Array[], position: number): Promise<void> {
    await this.gate;
    if (this.failWith !== undefined) throw this.failWith;
    let written = 0;
    for (const b of buffers) {
      this.bytes.set(b, position + written);
      written += b.length;
    }
    this.calls.push({ kind, buffers: buffers.length, bytes: written, position });
  }

  write = (buffer: Uint8Array, position: number) => this.put("write", [buffer], position);
  writev = (buffers: readonly Uint8Array[], position: number) => this.put("writev", buffers, position);
  datasync = async () => undefined;
}

const pattern = (n: number, seed: number) => Uint8Array.from({ length: n }, (_, i) => (i * 7 + seed) & 0xff);

describe("WriteQueue", () => {
  it("sends the writes that pile up behind the one in flight out together in one writev", async () => {
    const file = new FakeFile();
    const queue = new WriteQueue(file, 1 << 20, 0);
    file.hold();
    const pieces = Array.from({ length: 10 }, (_, i) => pattern(1000, i));
    for (const [i, p] of pieces.entries()) await queue.write(p, i * 1000);
    file.release();
    await queue.drain();
    // The first went alone; the nine queued behind it went in one call.
    expect(file.calls.map((c) => [c.kind, c.buffers])).toEqual([
      ["write", 1],
      ["writev", 9],
    ]);
    pieces.forEach((p, i) => expect(file.bytes.subarray(i * 1000, i * 1000 + 1000)).toEqual(p));
  });

  it("keeps writes at other positions apart and in order", async () => {
    const file = new FakeFile();
    const queue = new WriteQueue(file, 1 << 20, 0);
    file.hold();
    await queue.write(pattern(100, 1), 0);
    await queue.write(pattern(100, 2), 500);
    await queue.write(pattern(100, 3), 600);
    await queue.write(pattern(100, 4), 0); // overwrites the first: must come after it
    file.release();
    await queue.drain();
    expect(file.calls.map((c) => c.position)).toEqual([0, 500, 0]);
    expect(file.bytes.subarray(0, 100)).toEqual(pattern(100, 4));
    expect(file.bytes.subarray(500, 700)).toEqual(Uint8Array.from([...pattern(100, 2), ...pattern(100, 3)]));
  });

  it("makes a writer over the limit wait until the queue has room", async () => {
    const file = new FakeFile();
    const queue = new WriteQueue(file, 2000, 0);
    file.hold();
    await queue.write(pattern(1500, 1), 0);
    let returned = false;
    const second = queue.write(pattern(1500, 2), 1500).then(() => (returned = true));
    await new Promise((r) => setTimeout(r, 20));
    expect(returned).toBe(false);
    file.release();
    await second;
    await queue.drain();
    expect(file.bytes.subarray(1500, 3000)).toEqual(pattern(1500, 2));
  });

  it("reports a failed write to the next write and to drain, and writes nothing after it", async () => {
    const file = new FakeFile();
    const queue = new WriteQueue(file, 1 << 20, 0);
    file.failWith = Object.assign(new Error("no space left on device"), { code: "ENOSPC" });
    await queue.write(pattern(10, 1), 0);
    await expect(queue.drain()).rejects.toThrow(/no space/);
    await expect(queue.write(pattern(10, 2), 10)).rejects.toThrow(/no space/);
    expect(file.calls).toEqual([]);
  });
  it("says when each write is in the file, in order, and never for a write that failed", async () => {
    const file = new FakeFile();
    const queue = new WriteQueue(file, 1 << 20, 0);
    const written: number[] = [];
    file.hold();
    await queue.write(pattern(100, 1), 0, () => written.push(0));
    await queue.write(pattern(100, 2), 100, () => written.push(100));
    await queue.write(pattern(100, 3), 200, () => written.push(200));
    await new Promise((r) => setTimeout(r, 10));
    // Queued, not yet written: the caller must not reuse the buffers.
    expect(written).toEqual([]);
    file.release();
    await queue.drain();
    expect(written).toEqual([0, 100, 200]);
    expect(file.calls.map((c) => c.kind)).toEqual(["write", "writev"]);

    const failing = new FakeFile();
    const failed = new WriteQueue(failing, 1 << 20, 0);
    failing.failWith = Object.assign(new Error("no space left on device"), { code: "ENOSPC" });
    let called = false;
    await failed.write(pattern(10, 1), 0, () => (called = true));
    await expect(failed.drain()).rejects.toThrow(/no space/);
    expect(called).toBe(false);
  });
});
