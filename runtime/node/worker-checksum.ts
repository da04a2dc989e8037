/**
 * Node only. Section-body CRC32C on a worker thread, for the stream decoder and stream → seekable
 * conversion: the main thread reads and joins the next bodies while the worker checksums this one,
 * which on two cores roughly doubles their throughput (bench/streams.ts; CRC32C was 60 % of a decode's
 * main thread). A body that arrived in several chunks is joined into a buffer of its own (decoding
 * needs it joined anyway), and that buffer is moved to the worker and back (transferred, never copied).
 * Small bodies, and bodies that arrived in one piece (a view of the caller's chunk, which cannot be
 * moved), are checksummed at once on the calling thread.
 */
import { Worker } from "node:worker_threads";
import { inlineChecksum, type BodyChecksum, type ChecksummedBody } from "../body-checksum.js";
import { joinParts } from "../stream-io.js";
import type { ChecksumReply, ChecksumRequest } from "./crc32c-worker.js";

/** Below this a round trip to the worker (~20–50 µs) costs more than checksumming on the spot. */
const MIN_WORKER_BODY = 64 * 1024;

interface Job {
  resolve(result: ChecksummedBody): void;
  reject(error: Error): void;
}

class WorkerChecksum implements BodyChecksum {
  private worker: Worker | undefined;
  private readonly jobs = new Map<number, Job>();
  private nextId = 0;

  checksum(parts: readonly Uint8Array[], size: number): ChecksummedBody | Promise<ChecksummedBody> {
    if (parts.length < 2 || size < MIN_WORKER_BODY) return inlineChecksum.checksum(parts, size);
    const body = joinParts(parts, size);
    const id = this.nextId++;
    const request: ChecksumRequest = { id, buffer: body.buffer as ArrayBuffer };
    return new Promise<ChecksummedBody>((resolve, reject) => {
      const worker = this.start();
      this.jobs.set(id, { resolve, reject });
      // A pending job keeps the process alive; an idle worker must not.
      if (this.jobs.size === 1) worker.ref();
      worker.postMessage(request, [request.buffer]);
    });
  }

  private start(): Worker {
    if (this.worker !== undefined) return this.worker;
    // The compiled package runs the worker's .js file; the TypeScript sources (tests, tsx) a bootstrap
    // that loads its .ts file through tsx.
    const fromSource = import.meta.url.endsWith(".ts");
    const worker = new Worker(new URL(fromSource ? "./crc32c-worker.dev.mjs" : "./crc32c-worker.js", import.meta.url));
    worker.unref();
    worker.on("message", ({ id, buffer, crc }: ChecksumReply) => {
      const job = this.jobs.get(id);
      this.jobs.delete(id);
      if (this.jobs.size === 0) worker.unref();
      job?.resolve({ crc, body: new Uint8Array(buffer) });
    });
    const fail = (error: Error) => {
      // Jobs in flight fail with the worker; the next checksum starts a new one.
      if (this.worker !== worker) return;
      this.worker = undefined;
      for (const job of this.jobs.values()) job.reject(error);
      this.jobs.clear();
    };
    worker.on("error", fail);
    worker.on("exit", (code) => fail(new Error(`the CRC32C worker thread exited (code ${code})`)));
    this.worker = worker;
    return worker;
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
