/**
 * Node only. Section-body CRC32C on a worker thread, for the stream decoder and stream → seekable
 * conversion: the main thread reads the next bodies while the worker checksums this one (CRC32C was
 * 60 % of a decode's main thread; bench/streams.ts measures both ways). Bodies are copied piece by
 * piece into a fixed ring of shared memory, which the worker reads; the caller's chunks are left alone
 * and memory stays fixed however large the image. Small bodies are checksummed at once on the calling
 * thread, where a round trip to the worker would cost more than the checksum.
 */
import { Worker } from "node:worker_threads";
import { inlineChecksum, type BodyChecksum } from "../body-checksum.js";
import type { ChecksumAnswer, ChecksumPiece, ChecksumWorkerData } from "./crc32c-worker.js";

/** Below this a round trip to the worker (~20–50 µs) costs more than checksumming on the spot. */
const MIN_WORKER_BODY = 64 * 1024;
/** The shared ring: a few read chunks, so copying in and checksumming overlap. */
const RING_BYTES = 2 * 1024 * 1024;

interface Job {
  resolve(crc: number): void;
  reject(error: Error): void;
}

class WorkerChecksum implements BodyChecksum {
  private worker: Worker | undefined;
  private readonly ring = new SharedArrayBuffer(RING_BYTES);
  private readonly ringBytes = new Uint8Array(this.ring);
  /** Bytes ever copied into the ring, and ever answered by the worker: the ring holds the difference. */
  private written = 0;
  private answered = 0;
  private readonly waitingForSpace: (() => void)[] = [];
  private readonly jobs = new Map<number, Job>();
  private nextBody = 0;
  /** Copies go into the ring one body after another, so each body's pieces reach the worker in order. */
  private copying: Promise<void> = Promise.resolve();

  checksum(parts: readonly Uint8Array[], size: number): number | Promise<number> {
    if (size < MIN_WORKER_BODY) return inlineChecksum.checksum(parts, size);
    const body = this.nextBody++;
    const crc = new Promise<number>((resolve, reject) => this.jobs.set(body, { resolve, reject }));
    const worker = this.start();
    // A pending job keeps the process alive; an idle worker must not.
    if (this.jobs.size === 1) worker.ref();
    this.copying = this.copying.then(() => this.copyIn(worker, body, parts, size)).catch((e: unknown) => this.fail(worker, e as Error));
    return crc;
  }

  /** Copies a body into the ring, as space frees up, announcing each piece to the worker. */
  private async copyIn(worker: Worker, body: number, parts: readonly Uint8Array[], size: number): Promise<void> {
    let left = size;
    for (const part of parts) {
      for (let from = 0; from < part.length; ) {
        while (this.written - this.answered === RING_BYTES) await new Promise<void>((resolve) => this.waitingForSpace.push(resolve));
        if (this.worker !== worker) return; // it failed meanwhile, and took this job with it
        const at = this.written % RING_BYTES;
        const length = Math.min(part.length - from, RING_BYTES - at, RING_BYTES - (this.written - this.answered));
        this.ringBytes.set(part.subarray(from, from + length), at);
        this.written += length;
        from += length;
        left -= length;
        const piece: ChecksumPiece = { body, at, length, last: left === 0 };
        worker.postMessage(piece);
      }
    }
  }

  private start(): Worker {
    if (this.worker !== undefined) return this.worker;
    // The compiled package runs the worker's .js file; the TypeScript sources (tests, tsx) a bootstrap
    // that loads its .ts file through tsx.
    const fromSource = import.meta.url.endsWith(".ts");
    const workerData: ChecksumWorkerData = { ring: this.ring };
    const worker = new Worker(new URL(fromSource ? "./crc32c-worker.dev.mjs" : "./crc32c-worker.js", import.meta.url), { workerData });
    worker.unref();
    worker.on("message", ({ body, length, crc }: ChecksumAnswer) => {
      this.answered += length;
      this.waitingForSpace.shift()?.();
      if (crc === undefined) return;
      this.jobs.get(body)?.resolve(crc);
      this.jobs.delete(body);
      if (this.jobs.size === 0) worker.unref();
    });
    worker.on("error", (e) => this.fail(worker, e));
    worker.on("exit", (code) => this.fail(worker, new Error(`the CRC32C worker thread exited (code ${code})`)));
    this.worker = worker;
    return worker;
  }

  /** Jobs in flight fail with their worker; the next checksum starts a new one on an empty ring. */
  private fail(worker: Worker, error: Error): void {
    if (this.worker !== worker) return;
    this.worker = undefined;
    void worker.terminate();
    for (const job of this.jobs.values()) job.reject(error);
    this.jobs.clear();
    this.written = this.answered = 0;
    for (const wake of this.waitingForSpace.splice(0)) wake();
  }
}

let shared: WorkerChecksum | undefined;

/**
 * A {@link BodyChecksum} that computes CRC32C on a worker thread, shared by every decoder in the process
 * and started on first use. Pass it as `checksum` to `decodeStream`; `streamToImageFile` uses it by
 * default.
 *
 * ```ts
 * const stream = await decodeStream<ImageHeader, KnownSection>(imageFormat, socket, { checksum: workerChecksum() });
 * ```
 */
export function workerChecksum(): BodyChecksum {
  shared ??= new WorkerChecksum();
  return shared;
}
