import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { open } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { imageFormat, type ImageHeader, type KnownSection } from "../../generated/index.js";
import { DecodeError, type UnknownSection } from "../../runtime/index.js";
import { FileChunks, streamToImageFile } from "../../runtime/node/index.js";
import { concat, guestStream, rejection, sameBytes, streamBytes, walkStream } from "../streams/helpers.js";
import { listing, tempDir } from "./tmp.js";

const dir = tempDir("file-chunks");

const pattern = (n: number, seed: number) => Uint8Array.from({ length: n }, (_, i) => (i * 13 + seed) & 0xff);

/**
 * A file in memory behind the handle interface FileChunks reads through: records the buffer each read
 * went into, and answers at once, so the reader runs far ahead of any writer.
 */
class MemoryHandle {
  readonly buffers: Uint8Array[] = [];
  closed = false;
  failAt: number | undefined;

  constructor(private readonly bytes: Uint8Array) {}

  async read(buffer: Uint8Array, offset: number, length: number, position: number): Promise<{ bytesRead: number }> {
    if (this.failAt !== undefined && position >= this.failAt) throw Object.assign(new Error("EIO: i/o error, read"), { code: "EIO" });
    this.buffers.push(buffer);
    const part = this.bytes.subarray(position, position + length);
    buffer.set(part, offset);
    return { bytesRead: part.length };
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  /** How many distinct buffers the reads went into. */
  get distinctBuffers(): number {
    return new Set(this.buffers.map((b) => b.buffer)).size;
  }
}

async function collect(source: AsyncIterable<Uint8Array>): Promise<Uint8Array[]> {
  const chunks: Uint8Array[] = [];
  for await (const c of source) chunks.push(c);
  return chunks;
}

describe("FileChunks", () => {
  it("reads a file front to back in chunks of the size asked for, each in a buffer of its own", async () => {
    const bytes = pattern(10_000, 1);
    const path = join(dir, "plain.bin");
    writeFileSync(path, bytes);
    const chunks = await collect(await FileChunks.open(path, { chunkSize: 3000 }));
    expect(chunks.map((c) => c.length)).toEqual([3000, 3000, 3000, 1000]);
    // Kept chunks are intact after the whole file was read: nothing is reused unless asked.
    expect(sameBytes(concat(chunks), bytes)).toBe(true);
    expect(new Set(chunks.map((c) => c.buffer)).size).toBe(4);
  });

  it("reuses a buffer only once the consumer has released every byte of it", async () => {
    const bytes = pattern(10_000, 2);
    const handle = new MemoryHandle(bytes);
    const source = FileChunks.of(handle, { chunkSize: 1000 });
    const release = source.reuseBuffers();
    const it = source[Symbol.asyncIterator]();
    const first = (await it.next()).value as Uint8Array;
    const second = (await it.next()).value as Uint8Array;
    // Released up to the middle of the second chunk: the first buffer comes back, the second does not.
    release(1500);
    const third = (await it.next()).value as Uint8Array;
    expect(third.buffer).toBe(first.buffer);
    expect(sameBytes(second, bytes.subarray(1000, 2000))).toBe(true);
    const fourth = (await it.next()).value as Uint8Array;
    expect(fourth.buffer).not.toBe(second.buffer);
    expect(sameBytes(second, bytes.subarray(1000, 2000))).toBe(true);
    expect(sameBytes(third, bytes.subarray(2000, 3000))).toBe(true);
    expect(sameBytes(fourth, bytes.subarray(3000, 4000))).toBe(true);
    release(4000);
    const rest: Uint8Array[] = [];
    for (let r = await it.next(); !r.done; r = await it.next()) rest.push(r.value);
    expect(sameBytes(concat(rest), bytes.subarray(4000))).toBe(true);
    expect(handle.distinctBuffers).toBeLessThan(handle.buffers.length);
  });

  it("reads one chunk after the other when asked for several at once", async () => {
    const bytes = pattern(5000, 3);
    const it = FileChunks.of(new MemoryHandle(bytes), { chunkSize: 1000 })[Symbol.asyncIterator]();
    const results = await Promise.all(Array.from({ length: 6 }, () => it.next()));
    expect(results.map((r) => r.done)).toEqual([false, false, false, false, false, true]);
    expect(sameBytes(concat(results.filter((r) => !r.done).map((r) => r.value as Uint8Array)), bytes)).toBe(true);
  });

  it("closes a file it opened, leaves a handle it was given to its owner, and reports a failed read", async () => {
    const given = new MemoryHandle(pattern(100, 4));
    await collect(FileChunks.of(given));
    expect(given.closed).toBe(false);

    const failing = new MemoryHandle(pattern(5000, 5));
    failing.failAt = 2000;
    await expect(collect(FileChunks.of(failing, { chunkSize: 1000 }))).rejects.toThrow(/i\/o error/);

    const path = join(dir, "owned.bin");
    writeFileSync(path, pattern(100, 6));
    const owned = await FileChunks.open(path);
    const it = owned[Symbol.asyncIterator]();
    await it.next();
    await it.return!();
    expect(await it.next()).toEqual({ done: true, value: undefined });
  });

  it("is read once, and buffer reuse is turned on before reading", async () => {
    const source = FileChunks.of(new MemoryHandle(pattern(100, 7)));
    await collect(source);
    expect(() => source.reuseBuffers()).toThrow(/before the chunks are read/);
    expect(() => source[Symbol.asyncIterator]()).toThrow(/only once/);
    expect(() => FileChunks.of(new MemoryHandle(pattern(1, 1)), { chunkSize: 0 })).toThrow(RangeError);
  });
});

/** A guest stream with an 8 MiB optional section in the middle, so one body spans many chunks. */
async function streamWithLargeBody(): Promise<Uint8Array> {
  const guest = await guestStream({ seed: 9, memoryBytes: 64 * 4096, batchPages: 16, vcpus: 2 });
  const big = new Uint8Array(8 << 20).map((_, i) => (i * 29) >>> 5);
  const large: UnknownSection = { type: "unknown", id: 0x7002, optional: true, flags: 0, entryCount: 0n, entrySize: 0, align: 8, bytes: big };
  return streamBytes<ImageHeader, KnownSection>(imageFormat, guest.header, [...guest.sections.slice(0, 3), large, ...guest.sections.slice(3)]);
}

describe("stream → seekable file from a FileChunks source, buffers reused", () => {
  it("writes what converting the whole stream at once writes, whatever the chunking and the writer's backlog", async () => {
    const bytes = await streamWithLargeBody();
    const reference = join(dir, "reference.img");
    await streamToImageFile(imageFormat, [bytes], reference, { sync: false });
    const expected = readFileSync(reference);
    // Odd chunk sizes cut entries, padding and bodies anywhere. The reader (answering at once) runs
    // ahead of the writes and wants buffers back while the write queue still holds many; with a backlog
    // larger than the stream, none comes back before the end.
    for (const [chunkSize, maxPendingBytes] of [
      [1000, 64 << 10],
      [4093, 256 << 10],
      [65536, 1 << 20],
      [1000, 32 << 20],
      [1 << 20, 8 << 20],
    ] as const) {
      const handle = new MemoryHandle(bytes);
      const out = join(dir, `reused-${chunkSize}.img`);
      await streamToImageFile(imageFormat, FileChunks.of(handle, { chunkSize }), out, { sync: false, maxPendingBytes });
      expect(sameBytes(readFileSync(out), expected), `chunks of ${chunkSize}, backlog ${maxPendingBytes}`).toBe(true);
      // The buffers did go round: far fewer of them than reads (else this test would show nothing).
      if (maxPendingBytes < 2 << 20) expect(handle.distinctBuffers).toBeLessThan(handle.buffers.length / 4);
    }
  });

  it("converts a real file the same way, and a corrupt one leaves nothing behind", async () => {
    const bytes = await streamWithLargeBody();
    const input = join(dir, "guest.stream");
    writeFileSync(input, bytes);
    const reference = join(dir, "file-reference.img");
    await streamToImageFile(imageFormat, [bytes], reference, { sync: false });
    const out = join(dir, "from-file.img");
    await streamToImageFile(imageFormat, await FileChunks.open(input, { chunkSize: 5000 }), out, { sync: false });
    expect(sameBytes(readFileSync(out), readFileSync(reference))).toBe(true);

    const entry = walkStream(bytes).find((e) => (e.type & 0x7fff_ffff) === 0x7002)!;
    const bad = bytes.slice();
    bad[entry.bodyAt + 12345]! ^= 0x10;
    const sub = join(dir, "corrupt");
    mkdirSync(sub);
    writeFileSync(join(sub, "bad.stream"), bad);
    const handle = await open(join(sub, "bad.stream"), "r");
    try {
      const e = await rejection(() => streamToImageFile(imageFormat, FileChunks.of(handle, { chunkSize: 4096 }), join(sub, "bad.img"), { sync: false }));
      expect(e).toBeInstanceOf(DecodeError);
      expect(String(e)).toMatch(/CRC mismatch/);
    } finally {
      await handle.close();
    }
    expect(listing(sub)).toEqual(["bad.stream"]);
  });
});
