/**
 * Node only. The worker thread behind `workerChecksum`: receives a body's buffer (transferred, not
 * copied), computes its CRC32C and transfers the buffer back with the result.
 */
import { parentPort } from "node:worker_threads";
import { crc32c } from "../crc32c.js";

/** A request: one whole body, alone in its buffer. */
export interface ChecksumRequest {
  readonly id: number;
  readonly buffer: ArrayBuffer;
}

/** The reply: the same buffer, handed back, and its CRC32C. */
export interface ChecksumReply extends ChecksumRequest {
  readonly crc: number;
}

parentPort?.on("message", ({ id, buffer }: ChecksumRequest) => {
  const reply: ChecksumReply = { id, buffer, crc: crc32c(new Uint8Array(buffer)) };
  parentPort!.postMessage(reply, [buffer]);
});
