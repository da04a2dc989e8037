/**
 * Byte sources and sinks for the stream encoder and decoder, in the platform's common terms: async
 * iterables and Web streams (globals in Node ≥ 18 and browsers). A Node `Readable` is already an async
 * iterable of Buffers (which are Uint8Arrays); a Node `Writable` (a socket, a file stream) is adapted by
 * duck typing, so this module imports nothing from Node and runs in a browser.
 */
import { DecodeError } from "./errors.js";

/**
 * The part of a Web `ReadableStream<Uint8Array>` the decoder uses. Declared here, not taken from the DOM
 * library, so that the package's types check in a project without it (`lib: ["ES2022"]`); every
 * `ReadableStream<Uint8Array>` is one.
 */
export interface ReadableStreamLike {
  getReader(): {
    read(): Promise<{ readonly done: boolean; readonly value?: Uint8Array | undefined }>;
    releaseLock(): void;
    cancel(reason?: unknown): Promise<void>;
  };
}

/** The part of a Web `WritableStream<Uint8Array>` the encoder uses (declared here for the same reason). */
export interface WritableStreamLike {
  getWriter(): {
    readonly ready: Promise<unknown>;
    write(chunk: Uint8Array): Promise<void>;
    close(): Promise<void>;
    abort(reason?: unknown): Promise<void>;
  };
}

/** Where stream bytes come from: an async (or sync) iterable of chunks, or a Web `ReadableStream`. */
export type ByteSource = AsyncIterable<Uint8Array> | Iterable<Uint8Array> | ReadableStreamLike;

/** The part of a Node `Writable` the adapter uses (sockets, file streams, `PassThrough`, …). */
export interface NodeWritableLike {
  write(chunk: Uint8Array, callback?: (error?: Error | null) => void): boolean;
  end(callback?: () => void): unknown;
  destroy(error?: Error): unknown;
  once(event: string, listener: (...args: any[]) => void): unknown;
  removeListener(event: string, listener: (...args: any[]) => void): unknown;
  readonly writableNeedDrain?: boolean;
  readonly destroyed?: boolean;
}

/**
 * Where stream bytes go, with backpressure: `write` resolves once the sink can take more, so a writer
 * that awaits it never buffers more than the sink's own high-water mark plus one chunk.
 */
export interface ByteSink {
  /**
   * Hands over `chunk`; resolves when the sink wants more. The sink may keep a reference to `chunk`
   * until its own write completes, so callers must not reuse the buffer.
   */
  write(chunk: Uint8Array): Promise<void>;
  /** Flushes and closes the sink. */
  close(): Promise<void>;
  /** Closes the sink after a failure, discarding what it can. */
  abort(reason: unknown): Promise<void>;
}

/** Anything the stream encoder can write to. */
export type ByteTarget = ByteSink | WritableStreamLike | NodeWritableLike;

function isWebWritable(t: unknown): t is WritableStreamLike {
  return typeof (t as WritableStreamLike).getWriter === "function";
}

function isNodeWritable(t: unknown): t is NodeWritableLike {
  const w = t as NodeWritableLike;
  return typeof w.write === "function" && typeof w.end === "function" && typeof w.once === "function";
}

/** Adapts a Web `WritableStream`, a Node `Writable` or a {@link ByteSink} to a {@link ByteSink}. */
export function toByteSink(target: ByteTarget): ByteSink {
  if (isWebWritable(target)) return webSink(target);
  if (isNodeWritable(target)) return nodeSink(target);
  return target;
}

function webSink(stream: WritableStreamLike): ByteSink {
  const writer = stream.getWriter();
  return {
    async write(chunk) {
      // `ready` settles when the queue is below the high-water mark: that is the backpressure.
      await writer.ready;
      // The write's own promise is not awaited (the next `ready` covers it), but a rejection must not
      // go unhandled: it resurfaces from `ready` or `close`.
      writer.write(chunk).catch(() => undefined);
    },
    async close() {
      await writer.close();
    },
    async abort(reason) {
      await writer.abort(reason).catch(() => undefined);
    },
  };
}

function nodeSink(w: NodeWritableLike): ByteSink {
  // An error can arrive between writes (a peer resets the socket); keep it for the next call. The
  // listener stays for good: an 'error' with no listener would crash the process, even after the end.
  let failure: Error | undefined;
  let closing = false;
  (w as { on?: (e: string, l: (...a: any[]) => void) => unknown }).on?.("error", (e: Error) => {
    failure ??= e;
  });
  w.once("close", () => {
    if (!closing) failure ??= new Error("the writable was closed before the stream ended");
  });
  const waitFor = (event: string) =>
    new Promise<void>((resolve, reject) => {
      const done = () => {
        w.removeListener("error", fail);
        w.removeListener("close", closed);
        resolve();
      };
      const fail = (e: Error) => {
        w.removeListener(event, done);
        w.removeListener("close", closed);
        reject(e);
      };
      const closed = () => {
        w.removeListener(event, done);
        w.removeListener("error", fail);
        reject(failure ?? new Error("the writable was closed before the stream ended"));
      };
      w.once(event, done);
      w.once("error", fail);
      w.once("close", closed);
    });
  return {
    async write(chunk) {
      if (failure !== undefined) throw failure;
      if (!w.write(chunk)) await waitFor("drain");
    },
    async close() {
      if (failure !== undefined) throw failure;
      closing = true;
      const finished = waitFor("finish");
      w.end();
      await finished;
    },
    async abort(reason) {
      if (!w.destroyed) w.destroy(reason instanceof Error ? reason : new Error(String(reason)));
    },
  };
}

/** A {@link ByteSink} that collects everything in memory (for tests and small images). */
export class MemorySink implements ByteSink {
  private readonly chunks: Uint8Array[] = [];
  private length = 0;

  async write(chunk: Uint8Array): Promise<void> {
    this.chunks.push(chunk);
    this.length += chunk.length;
  }
  async close(): Promise<void> {}
  async abort(): Promise<void> {}

  /** Everything written, as one buffer. */
  bytes(): Uint8Array {
    const out = new Uint8Array(this.length);
    let at = 0;
    for (const c of this.chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }
}

/** Turns any {@link ByteSource} into an async iterator; a `ReadableStream` is read through its reader. */
export function byteIterator(source: ByteSource): AsyncIterator<Uint8Array> {
  if (typeof (source as ReadableStreamLike).getReader === "function") return readableIterator(source as ReadableStreamLike);
  if (Symbol.asyncIterator in source) return (source as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]();
  const it = (source as Iterable<Uint8Array>)[Symbol.iterator]();
  return {
    next: async () => it.next(),
    return: async (v?: unknown) => it.return?.(v) ?? { done: true, value: undefined },
  };
}

// Not `for await` over the stream: Safari's ReadableStream is not async-iterable.
function readableIterator(stream: ReadableStreamLike): AsyncIterator<Uint8Array> {
  const reader = stream.getReader();
  return {
    async next() {
      const r = await reader.read();
      if (r.done) reader.releaseLock();
      return r.done ? { done: true, value: undefined } : { done: false, value: r.value! };
    },
    async return() {
      await reader.cancel().catch(() => undefined);
      return { done: true, value: undefined };
    },
  };
}

/**
 * Reads exact byte counts from a chunked source, front to back. A request that one chunk covers is a
 * view of that chunk (zero-copy); one that spans chunks is copied once into a buffer of exactly its
 * size. One chunk is always requested ahead, so the source's I/O overlaps the caller's work (CRC,
 * decoding). Memory held: the current chunk, the prefetched one, and the buffer being filled.
 */
export class ChunkReader {
  private readonly it: AsyncIterator<Uint8Array>;
  private chunk: Uint8Array = new Uint8Array(0);
  private at = 0;
  private pending: Promise<IteratorResult<Uint8Array>> | undefined;
  private done = false;
  /** Bytes consumed so far: the stream offset of the next byte. */
  offset = 0;

  constructor(private readonly source: ByteSource) {
    this.it = byteIterator(source);
  }

  private async pull(): Promise<boolean> {
    while (!this.done) {
      const next = await (this.pending ?? this.it.next());
      this.pending = undefined;
      if (next.done) {
        this.done = true;
        return false;
      }
      const value = next.value as unknown;
      if (!(value instanceof Uint8Array)) {
        throw new DecodeError("invalid", `the source gave a ${typeof value === "string" ? "string" : typeof value} chunk, not bytes (a Readable with an encoding set?)`, { offset: this.offset });
      }
      this.pending = this.it.next();
      // A rejection of the prefetch is seen when it is awaited; until then it must not count as unhandled.
      this.pending.catch(() => undefined);
      if (value.length === 0) continue;
      // A Node Buffer is a Uint8Array subclass whose subarray() gives Buffers; hand out plain views (no copy).
      this.chunk = value.constructor === Uint8Array ? value : new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
      this.at = 0;
      return true;
    }
    return false;
  }

  /** Bytes buffered and not yet consumed. */
  get buffered(): number {
    return this.chunk.length - this.at;
  }

  /**
   * The next `n` bytes, or as many as the source still had (fewer than `n` only at its end). The caller
   * checks `n` against its limits first: this allocates up to `n` bytes.
   */
  async read(n: number): Promise<Uint8Array> {
    if (this.buffered >= n) {
      const view = this.chunk.subarray(this.at, this.at + n);
      this.at += n;
      this.offset += n;
      return view;
    }
    if (this.buffered === 0 && (await this.pull()) && this.buffered >= n) return this.read(n);
    const out = new Uint8Array(n);
    let filled = 0;
    for (;;) {
      const take = Math.min(this.buffered, n - filled);
      out.set(this.chunk.subarray(this.at, this.at + take), filled);
      this.at += take;
      filled += take;
      this.offset += take;
      if (filled === n || !(await this.pull())) break;
    }
    return filled === n ? out : out.subarray(0, filled);
  }

  /**
   * The next `n` bytes as views of the chunks they arrived in, without copying (fewer than `n` bytes only
   * at the source's end): for bodies that are checksummed and passed on rather than decoded. `onPart`
   * sees each view as soon as its chunk is in, before the next chunk is waited for; when it returns a
   * promise, reading waits for it. `keep: false` returns no parts (the caller took them in `onPart`), so
   * nothing of a large body is held here.
   */
  async readParts(n: number, onPart?: (part: Uint8Array) => void | Promise<void>, keep = true): Promise<Uint8Array[]> {
    const parts: Uint8Array[] = [];
    let need = n;
    while (need > 0) {
      if (this.buffered === 0 && !(await this.pull())) break;
      const take = Math.min(this.buffered, need);
      const part = this.chunk.subarray(this.at, this.at + take);
      this.at += take;
      this.offset += take;
      need -= take;
      if (keep) parts.push(part);
      // A consumer that writes the part on (a file writer's queue) may make us wait: that is the backpressure.
      const pending = onPart?.(part);
      if (pending !== undefined) await pending;
    }
    return parts;
  }

  /** True when the source has no more bytes. */
  async atEnd(): Promise<boolean> {
    return this.buffered === 0 && !(await this.pull());
  }

  /**
   * Stops reading and releases the source: a Node stream (a socket, a file stream) is destroyed, a Web
   * stream cancelled, an iterator returned. Never waits for the source: an async generator's `return`
   * queues behind a pending read, which on an idle socket might never complete.
   */
  async cancel(): Promise<void> {
    this.done = true;
    this.pending = undefined;
    const destroyable = this.source as { destroy?: unknown; destroyed?: boolean };
    if (typeof destroyable.destroy === "function" && destroyable.destroyed !== true) (destroyable.destroy as () => void)();
    this.it.return?.()?.catch(() => undefined);
  }
}

/** The bytes of `parts` in one buffer: `parts[0]` itself when there is only one (no copy). */
export function joinParts(parts: readonly Uint8Array[], length = parts.reduce((n, p) => n + p.length, 0)): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(length);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
