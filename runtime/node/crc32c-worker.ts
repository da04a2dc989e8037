/**
 * Node only. The worker thread behind `workerChecksum`: bodies arrive piece by piece in a ring of
 * shared memory, in order; it continues each body's CRC32C over its pieces and answers every piece, so
 * the ring space can be reused, and the last one with the body's CRC.
 */
import { parentPort, workerData } from "node:worker_threads";
import { crc32c } from "../crc32c.js";

/** What the worker is started with. */
export interface ChecksumWorkerData {
  readonly ring: SharedArrayBuffer;
}

/** One piece of a body: `length` bytes at `at` in the ring. */
export interface ChecksumPiece {
  readonly body: number;
  readonly at: number;
  readonly length: number;
  readonly last: boolean;
}

/** The answer to a piece: its ring space is free; with the last piece, the body's CRC32C. */
export interface ChecksumAnswer {
  readonly body: number;
  readonly length: number;
  readonly crc?: number;
}

if (parentPort !== null) {
  const port = parentPort;
  const ring = new Uint8Array((workerData as ChecksumWorkerData).ring);
  /** The running CRC of each body begun and not finished. */
  const running = new Map<number, number>();
  port.on("message", ({ body, at, length, last }: ChecksumPiece) => {
    const crc = crc32c(ring.subarray(at, at + length), running.get(body) ?? 0);
    if (last) running.delete(body);
    else running.set(body, crc);
    const answer: ChecksumAnswer = last ? { body, length, crc } : { body, length };
    port.postMessage(answer);
  });
}
