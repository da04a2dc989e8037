/**
 * Node only. A migration receiver: listens on TCP, takes several migration streams at once, and
 * writes each to its own seekable image file as it arrives (through {@link streamToImageFile}: bodies
 * go to disk as their CRCs check out, the file appears under its name only complete). Memory per
 * migration is bounded: the socket's read chunk and one read ahead, plus the image writer's queue
 * (`maxPendingBytes`, 8 MiB by default); a migration whose disk is slower than its sender stops
 * reading, and TCP flow control slows the sender down.
 */
import { existsSync } from "node:fs";
import { createServer, type AddressInfo, type Server, type Socket } from "node:net";
import { join } from "node:path";
import type { ContainerFormat, ContainerHeader } from "../container.js";
import { streamToImageFile, type StreamToImageOptions } from "./convert.js";

/** Options of {@link MigrationReceiver.listen}. */
export interface ReceiverOptions<H> extends StreamToImageOptions<H> {
  /** The directory the images are written to (it must exist). */
  readonly dir: string;
  /** Where to listen. Default 127.0.0.1 and a port the system picks ({@link MigrationReceiver.address} tells which). */
  readonly host?: string;
  readonly port?: number;
  /**
   * How many migrations are received at once. Connections beyond it are accepted but not read until
   * a migration ends (their senders wait on TCP flow control). Default 8.
   */
  readonly maxConcurrent?: number;
  /** A migration that sends nothing for this long fails (its socket is closed). Default 300 s; 0: never. */
  readonly idleTimeoutMs?: number;
  /**
   * The file name (in `dir`) for a migration, from its header. Default {@link defaultImageName}. A
   * name already taken in `dir`, or by a migration under way, gets `-2`, `-3`, … before `.img`.
   */
  readonly fileName?: (header: H, migration: MigrationInfo) => string;
  /** Called once per migration that ended, received or failed, in the order they end. */
  readonly onResult?: (result: MigrationResult<H>) => void;
}

/** Which migration this is. */
export interface MigrationInfo {
  /** 1, 2, 3, … in the order the connections were accepted. */
  readonly id: number;
  /** The sender's address and port (`127.0.0.1:40112`). */
  readonly peer: string;
  /** When its connection was accepted. */
  readonly accepted: Date;
}

/** How a migration ended. */
export type MigrationResult<H> =
  | (MigrationInfo & {
      readonly ok: true;
      /** The image file written. */
      readonly path: string;
      readonly header: H;
      /** Sections written, the end section not counted. */
      readonly sections: number;
      readonly streamBytes: number;
      /** From the first byte read to the image renamed into place. */
      readonly seconds: number;
    })
  | (MigrationInfo & {
      readonly ok: false;
      /** Why: a {@link DecodeError} for a bad or cut-off stream, an I/O error, or the receiver closing. */
      readonly error: unknown;
      readonly seconds: number;
    });

/** Characters kept from a guest's name in a file name; anything else becomes `_`. */
const UNSAFE = /[^A-Za-z0-9._-]+/g;

/**
 * The default file name: the guest's name (made file-name safe), its domain id, the time the
 * connection was accepted (UTC) and the migration's number, e.g.
 * `web01-dom7-20261205T042301Z-3.img`. Headers without a name or domain id (other formats) give
 * `image-…`.
 */
export function defaultImageName(header: ContainerHeader, migration: MigrationInfo): string {
  const h = header as { name?: unknown; domainId?: unknown };
  const name = (typeof h.name === "string" ? h.name : "").replace(UNSAFE, "_").replace(/^[._]+/, "").slice(0, 64) || "image";
  const dom = typeof h.domainId === "number" ? `-dom${h.domainId}` : "";
  const time = migration.accepted.toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
  return `${name}${dom}-${time}-${migration.id}.img`;
}

/** A receiver closing with migrations under way fails them with this. */
export class ReceiverClosedError extends Error {
  constructor() {
    super("the receiver was closed before the migration ended");
    this.name = "ReceiverClosedError";
  }
}

/**
 * Receives migrations over TCP. Start it with {@link listen}; stop it with {@link close}.
 *
 * ```ts
 * const receiver = await MigrationReceiver.listen(imageFormat, { dir: "/var/lib/xen/incoming", port: 8002, onResult: console.log });
 * process.once("SIGTERM", () => receiver.close());
 * ```
 */
export class MigrationReceiver<H extends ContainerHeader> {
  private nextId = 0;
  private readonly active = new Map<number, Socket>();
  private readonly waiting: { socket: Socket; info: MigrationInfo }[] = [];
  /** Paths chosen by migrations still under way, so two concurrent ones never pick the same name. */
  private readonly claimed = new Set<string>();
  private readonly runs = new Set<Promise<void>>();
  private closing = false;
  /** Set by close("abort"): failures from then on are the receiver's doing, not the sender's. */
  private aborting = false;

  private constructor(
    private readonly format: ContainerFormat<H>,
    private readonly server: Server,
    private readonly options: ReceiverOptions<H>,
  ) {}

  /** Starts listening; resolves once the socket is bound (rejects with the error, e.g. EADDRINUSE). */
  static async listen<H extends ContainerHeader>(format: ContainerFormat<H>, options: ReceiverOptions<H>): Promise<MigrationReceiver<H>> {
    const max = options.maxConcurrent ?? 8;
    if (!Number.isSafeInteger(max) || max < 1) throw new RangeError(`maxConcurrent must be a positive integer, not ${max}`);
    const server = createServer({ noDelay: true });
    const receiver = new MigrationReceiver<H>(format, server, options);
    server.on("connection", (socket) => receiver.accept(socket));
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => {
        server.removeListener("error", reject);
        resolve();
      });
    });
    return receiver;
  }

  /** The address and port listened on. */
  get address(): AddressInfo {
    return this.server.address() as AddressInfo;
  }

  /** Migrations being received now. */
  get receiving(): number {
    return this.active.size;
  }

  /** Connections accepted and waiting for a free slot. */
  get queued(): number {
    return this.waiting.length;
  }

  private accept(socket: Socket): void {
    const info: MigrationInfo = { id: ++this.nextId, peer: `${socket.remoteAddress}:${socket.remotePort}`, accepted: new Date() };
    if (this.closing) {
      socket.destroy();
      return;
    }
    // Not read until it has a slot: the kernel's buffers fill, then the sender waits.
    socket.pause();
    // An error while waiting (a reset) must not crash the process; the migration then sees it.
    socket.on("error", () => undefined);
    this.waiting.push({ socket, info });
    this.startWaiting();
  }

  private startWaiting(): void {
    const max = this.options.maxConcurrent ?? 8;
    while (!this.closing && this.active.size < max && this.waiting.length > 0) {
      const { socket, info } = this.waiting.shift()!;
      this.active.set(info.id, socket);
      const run = this.receive(socket, info).finally(() => {
        this.active.delete(info.id);
        this.runs.delete(run);
        this.startWaiting();
      });
      this.runs.add(run);
    }
  }

  private async receive(socket: Socket, info: MigrationInfo): Promise<void> {
    const started = performance.now();
    const idle = this.options.idleTimeoutMs ?? 300_000;
    if (idle > 0) socket.setTimeout(idle, () => socket.destroy(new Error(`no data for ${idle / 1000} s`)));
    let chosen: string | undefined;
    let result: MigrationResult<H>;
    try {
      const summary = await streamToImageFile<H>(
        this.format,
        socket,
        (header) => (chosen = this.claim(this.options.fileName?.(header, info) ?? defaultImageName(header, info))),
        this.options,
      );
      result = { ...info, ok: true, path: summary.path, header: summary.header, sections: summary.sections, streamBytes: summary.streamBytes, seconds: (performance.now() - started) / 1000 };
    } catch (e) {
      result = { ...info, ok: false, error: this.aborting ? new ReceiverClosedError() : e, seconds: (performance.now() - started) / 1000 };
    } finally {
      if (chosen !== undefined) this.claimed.delete(chosen);
      socket.destroy();
    }
    this.options.onResult?.(result);
  }

  /** A free path in `dir` for `name`: taken neither by a file nor by a migration under way. */
  private claim(name: string): string {
    if (name.includes("/") || name.includes("\\") || name === "" || name === "." || name === "..") throw new RangeError(`not a file name: ${JSON.stringify(name)}`);
    const dot = name.endsWith(".img") ? name.length - 4 : name.length;
    for (let n = 1; ; n++) {
      const candidate = join(this.options.dir, n === 1 ? name : `${name.slice(0, dot)}-${n}${name.slice(dot)}`);
      if (!this.claimed.has(candidate) && !existsSync(candidate)) {
        this.claimed.add(candidate);
        return candidate;
      }
    }
  }

  /**
   * Stops accepting connections and ends the migrations under way and waiting: `abort` (the default)
   * closes their sockets, so each fails with {@link ReceiverClosedError} and leaves no file; `drain`
   * lets those under way finish first (waiting ones are closed). Resolves when every migration has
   * reported its result and the listening socket is closed.
   */
  async close(mode: "abort" | "drain" = "abort"): Promise<void> {
    this.closing = true;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const { socket, info } of this.waiting.splice(0)) {
      socket.destroy();
      this.options.onResult?.({ ...info, ok: false, error: new ReceiverClosedError(), seconds: 0 });
    }
    if (mode === "abort") {
      this.aborting = true;
      for (const socket of this.active.values()) socket.destroy(new ReceiverClosedError());
    }
    while (this.runs.size > 0) await Promise.all([...this.runs]);
    await closed;
  }
}
