import { Worker } from "node:worker_threads";
import type { Options } from "prettier";

/**
 * Prettier settings for generated code; fixed here so output does not depend on the user's config.
 * The parser is babel-ts, prettier's other TypeScript parser: the same output for everything we
 * generate (generate --check and the golden tests compare it) for about 30% less CPU than the
 * `typescript` parser, whose bundled TypeScript compiler is slow to load and to warm up.
 */
const PRETTIER: Options = { parser: "babel-ts", printWidth: 120, trailingComma: "all" };

/** Formats one generated TypeScript file with prettier, in this thread (prettier is loaded on first use). */
export async function formatTypeScript(text: string): Promise<string> {
  const prettier = await import("prettier");
  return prettier.format(text, PRETTIER);
}

/** Something that formats generated TypeScript: {@link formatTypeScript} or a {@link FormatPool}'s `format`. */
export type Format = (text: string) => Promise<string>;


interface Job {
  readonly resolve: (text: string) => void;
  readonly reject: (error: Error) => void;
}

/**
 * Prettier on worker threads. A cold generate spends most of its time in prettier, and the main thread
 * is busy with the schemas and ts-morph meanwhile: started first, the workers load prettier while the
 * main thread loads the rest, and format each file as soon as it is emitted. Each file goes to the
 * worker with the fewest jobs; the output does not depend on which one formats it.
 */
export class FormatPool {
  private readonly workers: { readonly worker: Worker; readonly jobs: Map<number, Job> }[];
  private nextId = 0;

  constructor(threads: number) {
    const workerData = { options: PRETTIER };
    const script = new URL("./format-worker.mjs", import.meta.url);
    this.workers = Array.from({ length: threads }, () => {
      const entry = { worker: new Worker(script, { workerData }), jobs: new Map<number, Job>() };
      entry.worker.on("message", ({ id, text, error }: { id: number; text?: string; error?: string }) => {
        const job = entry.jobs.get(id)!;
        entry.jobs.delete(id);
        if (error === undefined) job.resolve(text!);
        else job.reject(new Error(error));
        if (entry.jobs.size === 0) entry.worker.unref();
      });
      entry.worker.on("error", (e) => this.failAll(entry.jobs, e));
      entry.worker.on("exit", (code) => this.failAll(entry.jobs, new Error(`prettier worker exited with code ${code}`)));
      // Idle workers do not keep the process alive; a pending job does.
      entry.worker.unref();
      return entry;
    });
  }

  /** Formats one file on the least busy worker. */
  readonly format: Format = (text) => {
    const entry = this.workers.reduce((a, b) => (b.jobs.size < a.jobs.size ? b : a));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      entry.jobs.set(id, { resolve, reject });
      entry.worker.ref();
      entry.worker.postMessage({ id, text });
    });
  };

  /** Stops the workers. */
  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.worker.terminate()));
  }

  private failAll(jobs: Map<number, Job>, error: Error): void {
    for (const job of jobs.values()) job.reject(error);
    jobs.clear();
  }
}
