import { Writable } from "node:stream";
import { setImmediate as tick } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { imageFormat, type ImageSection } from "../../generated/index.js";
import { encodeStream, writeStream } from "../../runtime/index.js";
import { syntheticGuestStream } from "../../synthetic/stream.js";
import { concat, walkStream } from "./helpers.js";

// A slow consumer must slow the producer down: the encoder waits for the sink instead of buffering, and
// takes the next section from the producer only when the previous one has been handed over.

const CHUNK = 8 * 1024;
const HIGH_WATER = 16 * 1024;
/** The header, padding and one entry travel as one small extra chunk. */
const PREFIX = 152 + 8 + 48;
/** One page batch: 8 pages and the page of pfn words. */
const BATCH_BYTES = 8 * 4096 + 4096;

/** The guest's sections; `at(k)` is called when the encoder pulls section k. */
function guest(at: (k: number) => void) {
  const g = syntheticGuestStream({ seed: 8, memoryBytes: 96 * 4096, batchPages: 8, fill: "fast" });
  async function* sections(): AsyncGenerator<ImageSection> {
    let k = 0;
    for await (const s of g.sections) {
      at(k++);
      yield s;
    }
  }
  return { header: g.header, sections: sections(), total: g.sectionCount };
}

describe("backpressure", () => {
  it("into a slow Node Writable with a small highWaterMark: one chunk beyond it, one section ahead", async () => {
    const received: Uint8Array[] = [];
    let consumed = 0;
    let maxBuffered = 0;
    const consumedAtPull: number[] = [];
    const { header, sections, total } = guest((k) => (consumedAtPull[k] = consumed));
    const slow = new Writable({
      highWaterMark: HIGH_WATER,
      write(chunk: Buffer, _encoding, done) {
        maxBuffered = Math.max(maxBuffered, this.writableLength);
        received.push(new Uint8Array(chunk));
        consumed += chunk.length;
        setTimeout(done, 1);
      },
    });
    await writeStream(imageFormat, header, sections, slow, { chunkSize: CHUNK });
    expect(consumedAtPull).toHaveLength(total);
    expect(maxBuffered).toBeGreaterThan(HIGH_WATER / 2);
    expect(maxBuffered).toBeLessThanOrEqual(HIGH_WATER + CHUNK + PREFIX);
    // When section k is pulled, the consumer has taken all but the Writable's buffer of what precedes it.
    const entries = walkStream(concat(received));
    entries.slice(0, -1).forEach((e, k) => {
      expect(e.at - consumedAtPull[k]!, `section ${k}`).toBeLessThanOrEqual(HIGH_WATER + CHUNK + PREFIX);
    });
    // Meaningful only because each page batch is larger than what the Writable may buffer.
    const batches = entries.filter((e) => e.type === 0x40);
    expect(batches.length).toBe(12);
    expect(batches.every((e) => e.size > HIGH_WATER + CHUNK && e.size <= BATCH_BYTES)).toBe(true);
  });

  it("into a slow Web WritableStream: its queue stays within the high-water mark plus one chunk", async () => {
    const { header, sections } = guest(() => undefined);
    let enqueued = 0;
    let processed = 0;
    let maxQueued = 0;
    const slow = new WritableStream<Uint8Array>(
      {
        async write(chunk) {
          await tick();
          processed += chunk.length;
        },
      },
      {
        highWaterMark: HIGH_WATER,
        size(chunk) {
          enqueued += chunk.length;
          maxQueued = Math.max(maxQueued, enqueued - processed);
          return chunk.length;
        },
      },
    );
    await writeStream(imageFormat, header, sections, slow, { chunkSize: CHUNK });
    expect(processed).toBe(enqueued);
    expect(maxQueued).toBeGreaterThan(HIGH_WATER / 2);
    expect(maxQueued).toBeLessThanOrEqual(HIGH_WATER + CHUNK + PREFIX);
  });

  it("as an async iterable: pulls section k only after the consumer took every chunk before it", async () => {
    let yielded = 0;
    const yieldedAtPull: number[] = [];
    const { header, sections } = guest((k) => (yieldedAtPull[k] = yielded));
    const chunks: Uint8Array[] = [];
    for await (const chunk of encodeStream(imageFormat, header, sections, { chunkSize: CHUNK })) {
      chunks.push(chunk);
      yielded += chunk.length;
      await tick();
    }
    const entries = walkStream(concat(chunks));
    expect(chunks.length).toBeGreaterThan(entries.length);
    entries.slice(1, -1).forEach((_, i) => {
      // Section i+1 is pulled once section i's last chunk has been consumed.
      expect(yieldedAtPull[i + 1], `section ${i + 1}`).toBeGreaterThanOrEqual(entries[i]!.bodyEnd);
    });
  });
});
