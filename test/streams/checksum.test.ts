/**
 * Checksums computed elsewhere: the decoder with `workerChecksum()` (CRC32C on a worker thread) must
 * behave exactly as with the default, and its read-ahead while a checksum runs must keep stream order,
 * report failures in stream order, and stay within READ_AHEAD_BYTES.
 */
import { describe, expect, it } from "vitest";
import { imageFormat, type ImageHeader, type KnownSection } from "../../generated/index.js";
import {
  crc32c,
  DecodeError,
  decodeStream,
  decodeStreamToImage,
  READ_AHEAD_BYTES,
  TruncatedStreamError,
  type BodyChecksum,
  type ByteSource,
} from "../../runtime/index.js";
import { workerChecksum } from "../../runtime/node/index.js";
import { canonical, guestStream, labelOf, rechunk, rejection, walkStream } from "./helpers.js";

// Page batches of 32 pages (128 KiB bodies) in 16 KiB chunks: every batch spans chunks and is big
// enough to go to the worker.
const guest = await guestStream({ seed: 9, memoryBytes: 256 * 4096, batchPages: 32, vcpus: 2, checkpoints: 1 });
const bytes = guest.bytes;
const entries = walkStream(bytes);
const chunks = () => rechunk(bytes, [16 * 1024]);
const pageData = entries.map((e, i) => ({ ...e, index: i })).filter((e) => e.type === 0x40);

const decode = (source: ByteSource, checksum?: BodyChecksum) =>
  decodeStreamToImage<ImageHeader, KnownSection>(imageFormat, source, checksum === undefined ? {} : { checksum });

/** The stream with one body byte flipped (its CRC left as it was). */
function corrupted(at: number): Uint8Array {
  const copy = bytes.slice();
  copy[at]! ^= 0x5a;
  return copy;
}

describe("workerChecksum", () => {
  it("decodes every section exactly as the default checksum does", async () => {
    expect(pageData.length).toBeGreaterThan(4);
    expect(pageData.every((e) => e.size >= 128 * 1024)).toBe(true);
    const inline = await decode(chunks());
    const worker = await decode(chunks(), workerChecksum());
    expect(worker.sections.map((s) => s.type)).toEqual(inline.sections.map((s) => s.type));
    expect(canonical(worker)).toEqual(canonical(inline));
  });

  it("hands out each body whole, its CRC checked on the worker", async () => {
    const stream = await decodeStream(imageFormat, chunks(), { checksum: workerChecksum() });
    let checked = 0;
    for await (const s of stream.rawSections()) {
      expect(s.body.length).toBe(Number(s.entry.size));
      expect(crc32c(s.body), s.label).toBe(s.entry.crc);
      checked++;
    }
    expect(checked).toBe(entries.length - 1);
  });

  it("rejects a body whose CRC is wrong, naming it, after delivering every section before it", async () => {
    const bad = pageData[2]!;
    const stream = await decodeStream<ImageHeader, KnownSection>(imageFormat, rechunk(corrupted(bad.bodyAt + 70_000), [16 * 1024]), { checksum: workerChecksum() });
    const seen: number[] = [];
    const e = await rejection(async () => {
      for await (const s of stream.rawSections()) seen.push(s.index);
    });
    expect(e).toBeInstanceOf(DecodeError);
    expect((e as DecodeError).code).toBe("crc");
    expect((e as DecodeError).section).toBe(labelOf(bad.type, bad.index));
    expect((e as DecodeError).offset).toBe(bad.bodyAt);
    expect(seen).toEqual(Array.from({ length: bad.index }, (_, i) => i));
  });

  it("reports a bad CRC before a truncation found while reading ahead", async () => {
    const bad = pageData[1]!;
    const cut = pageData[3]!.bodyAt + 1000;
    const e = await rejection(() => decode(rechunk(corrupted(bad.bodyAt + 5).subarray(0, cut), [16 * 1024]), workerChecksum()));
    expect(e).toBeInstanceOf(DecodeError);
    expect(e).not.toBeInstanceOf(TruncatedStreamError);
    expect((e as DecodeError).section).toBe(labelOf(bad.type, bad.index));
  });

  it("names the last complete section when the stream is cut off during read-ahead", async () => {
    const last = pageData[4]!;
    const cut = last.bodyAt + 1000;
    const e = await rejection(() => decode(rechunk(bytes.subarray(0, cut), [16 * 1024]), workerChecksum()));
    expect(e).toBeInstanceOf(TruncatedStreamError);
    const t = e as TruncatedStreamError;
    const previous = entries[last.index - 1]!;
    expect(t.lastComplete).toBe(labelOf(previous.type, last.index - 1));
    expect(t.offset).toBe(cut);
  });
});

/** A checksum that holds every answer until `open()`, then answers at once; it records what it held. */
function heldChecksum() {
  const held: { parts: readonly Uint8Array[]; resolve: (crc: number) => void; reject: (e: Error) => void }[] = [];
  let holding = true;
  const compute = (parts: readonly Uint8Array[]): number => parts.reduce((crc, p) => crc32c(p, crc), 0);
  const checksum: BodyChecksum = {
    checksum: (parts) => (holding ? new Promise<number>((resolve, reject) => held.push({ parts, resolve, reject })) : Promise.resolve(compute(parts))),
  };
  const open = () => {
    holding = false;
    for (const h of held.splice(0)) h.resolve(compute(h.parts));
  };
  return { checksum, held, open };
}

/** A chunked source that counts the bytes handed out and notes whether it was released. */
function countingSource(data: Uint8Array, chunk: number) {
  const state = { pulled: 0, released: false };
  async function* source() {
    try {
      for (let at = 0; at < data.length; at += chunk) {
        const c = data.slice(at, at + chunk);
        state.pulled += c.length;
        yield c;
      }
    } finally {
      state.released = true;
    }
  }
  return { state, source: source() };
}

/** Lets every pending promise and I/O callback run. */
const settle = async () => {
  for (let i = 0; i < 50; i++) await new Promise((r) => setImmediate(r));
};

describe("read-ahead while a checksum is pending", () => {
  it("reads at most READ_AHEAD_BYTES of bodies ahead, then yields in stream order once checksums settle", async () => {
    const big = await guestStream({ seed: 3, memoryBytes: 4096 * 4096, batchPages: 256, vcpus: 1, fill: "fast" });
    expect(big.bytes.length).toBeGreaterThan(2 * READ_AHEAD_BYTES);
    const { checksum, held, open } = heldChecksum();
    const { state, source } = countingSource(big.bytes, 64 * 1024);
    const stream = await decodeStream<ImageHeader, KnownSection>(imageFormat, source, { checksum });
    const it = stream.rawSections();
    const first = it.next();
    await settle();
    // Stalled on the first checksum: the bodies queued are at most the window, plus one section and a chunk read into.
    const largest = Math.max(...walkStream(big.bytes).map((e) => e.size));
    expect(held.length).toBeGreaterThan(1);
    expect(state.pulled).toBeLessThanOrEqual(READ_AHEAD_BYTES + largest + 2 * 64 * 1024 + 4096);
    expect(state.pulled).toBeLessThan(big.bytes.length);
    const order: number[] = [];
    open();
    for (let r = await first; !r.done; r = await it.next()) order.push(r.value.index);
    expect(order).toEqual(Array.from({ length: big.sections.length }, (_, i) => i));
  });

  it("fails with the checksum's own error and releases the source", async () => {
    const { checksum, held } = heldChecksum();
    const { state, source } = countingSource(bytes, 16 * 1024);
    const stream = await decodeStream(imageFormat, source, { checksum });
    const failure = new Error("worker gone");
    const pending = rejection(async () => {
      for await (const _ of stream.rawSections()) throw new Error("no section may come out");
    });
    await settle();
    held[0]!.reject(failure);
    expect(await pending).toBe(failure);
    await settle();
    expect(state.released).toBe(true);
  });
});
