/**
 * Node only. Writing a file so that its final name only ever holds complete contents: the bytes go to
 * a temporary file beside the destination (same directory, so the rename is atomic), every write is
 * checked and retried until all its bytes are down, the data is synced, and only then is the file
 * renamed into place. On any failure the temporary is removed and the final name left as it was.
 *
 * One temporary-name scheme for every writer: `.<final-name>.xenimage-<host>-<pid>-<random>.tmp`.
 * The host and pid say whose a temporary is, so a later write to the same destination can remove the
 * ones left by a process that is gone (killed, or its machine crashed) without touching a live one.
 * Temporaries this process has open are kept in a process-wide registry, so a signal or `exit` handler
 * can remove them with {@link cleanupTemporaries}.
 */
import { randomBytes } from "node:crypto";
import { rmSync } from "node:fs";
import { open, readdir, rename, rm, type FileHandle } from "node:fs/promises";
import { hostname } from "node:os";
import { basename, dirname, join } from "node:path";

/** Options of {@link AtomicFile.open} and {@link writeFileAtomic}. */
export interface AtomicFileOptions {
  /**
   * Flush the data to disk before the rename, and the directory entry after it. Default true. False
   * still renames only a complete file into place, but a crash may then leave the final name empty or
   * short on disk: for scratch files only.
   */
  readonly sync?: boolean;
  /**
   * With `sync`, also flush the directory entry after the rename. Default true. A caller writing many
   * files into one directory can pass false and call {@link syncDirectory} once at the end: a
   * directory sync per file would cost about as much again as the files' own syncs.
   */
  readonly syncDirectory?: boolean;
  /** Permission bits of the new file, before the umask. Default 0o666. */
  readonly mode?: number;
  /**
   * First remove temporaries of this scheme for the same destination whose process is gone. Default
   * true; a caller writing many files into one directory can do it once with
   * {@link removeStaleTemporaries} instead.
   */
  readonly removeStale?: boolean;
}

/**
 * A failed write of a file: `path` is the destination (never the temporary), `code`/`errno`/`syscall`
 * are the system error's, and the message is one line naming both, e.g.
 * `out.img: no space left on device (ENOSPC)`.
 */
export class FileWriteError extends Error {
  /** The system error code: `ENOSPC`, `EIO`, `EFBIG`, `EACCES`…; `ECANCELED` after an abort. */
  readonly code: string;
  readonly errno: number | undefined;
  readonly syscall: string;
  /** The destination file. */
  readonly path: string;
  /** The problem without the file name, e.g. `no space left on device (ENOSPC)`. */
  readonly reason: string;

  constructor(path: string, cause: unknown, syscall = "write") {
    const system = cause as Partial<NodeJS.ErrnoException>;
    const code = typeof system?.code === "string" ? system.code : "EIO";
    const reason = describeSystemError(cause);
    super(`${path}: ${reason}`, { cause });
    this.name = "FileWriteError";
    this.code = code;
    this.errno = typeof system?.errno === "number" ? system.errno : undefined;
    this.syscall = typeof system?.syscall === "string" ? system.syscall : syscall;
    this.path = path;
    this.reason = reason;
  }
}

/**
 * A system error as a short phrase with its code: Node's `ENOSPC: no space left on device, write`
 * becomes `no space left on device (ENOSPC)`. Anything else: its message.
 */
export function describeSystemError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as NodeJS.ErrnoException).code;
  if (error instanceof FileWriteError) return error.reason;
  if (typeof code !== "string") return error.message;
  const text = new RegExp(`^${code}: ([^,]*)`).exec(error.message)?.[1];
  return text === undefined ? `${error.message} (${code})` : `${text} (${code})`;
}

/** What the registry needs of a temporary: removable without waiting, from a signal handler. */
interface LiveTemporary {
  readonly tempPath: string;
  /** Marks the writer aborted and unlinks its temporary, synchronously. */
  discardSync(): void;
}

/**
 * Temporaries this thread may have on disk. Shared through a global symbol, so that two copies of
 * this module (a bundle and the package, say) see and clean each other's.
 */
const LIVE: Set<LiveTemporary> = ((globalThis as Record<symbol, unknown>)[Symbol.for("xenimage.atomic-file.live")] ??= new Set<LiveTemporary>()) as Set<LiveTemporary>;

/**
 * Removes every temporary file this process (this thread, in a worker) has open, synchronously: for
 * signal and `exit` handlers (the xenimage command calls it on SIGINT, SIGTERM, SIGHUP and a closed
 * standard output). Writers using them are marked aborted; their next call fails with `ECANCELED`.
 * Returns the removed paths.
 */
export function cleanupTemporaries(): string[] {
  const removed: string[] = [];
  for (const temporary of [...LIVE]) {
    temporary.discardSync();
    removed.push(temporary.tempPath);
  }
  return removed;
}

/** The temporaries this process (this thread) has open now (their paths): for diagnostics and tests. */
export function liveTemporaries(): string[] {
  return [...LIVE].map((t) => t.tempPath);
}

const MARK = "xenimage";
/** Longest file name most file systems take, in bytes. */
const NAME_MAX = 255;

/** This machine's name as it goes into temporary names: only characters that are safe there. */
const HOST = hostname().replace(/[^A-Za-z0-9.]/g, "_").slice(0, 64) || "host";

/** `.<final-name>.xenimage-`, with the final name shortened when the whole name would be too long. */
function temporaryPrefix(path: string): string {
  const room = NAME_MAX - `.${MARK}-${HOST}-4294967295-${"0".repeat(12)}.tmp`.length - 1;
  let base = basename(path);
  while (Buffer.byteLength(base) > room) base = [...base].slice(0, -1).join("");
  return `.${base}.${MARK}-`;
}

/** A new temporary name beside `path`, in the one scheme every writer uses. */
export function temporaryPath(path: string): string {
  return join(dirname(path), `${temporaryPrefix(path)}${HOST}-${process.pid}-${randomBytes(6).toString("hex")}.tmp`);
}

/** Host and pid of a temporary of this scheme, or undefined when `name` is not one (or not one of `prefix`'s). */
function ownerOf(name: string, prefix: string): { host: string; pid: number } | undefined {
  if (!name.startsWith(prefix)) return undefined;
  // The host has no "-" (see HOST), so the name splits unambiguously from the end.
  const m = /\.xenimage-([A-Za-z0-9._]+)-(\d+)-[0-9a-f]{12}\.tmp$/.exec(name);
  return m === null ? undefined : { host: m[1]!, pid: Number(m[2]) };
}

/**
 * Whether the process that made a temporary may still be writing it. Only a process of this machine
 * can be checked; anything that cannot be judged counts as alive, so it is never removed.
 */
function mayBeAlive(owner: { host: string; pid: number }): boolean {
  if (owner.host !== HOST) return true;
  if (!Number.isSafeInteger(owner.pid) || owner.pid <= 1) return true;
  // Our own pid: another worker thread of this process may be writing it (the registry is per
  // thread), so it is kept, even when an earlier process with the same pid left it.
  if (owner.pid === process.pid) return true;
  try {
    process.kill(owner.pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code !== "ESRCH";
  }
}

/** Removes the temporaries in `dir` whose names start with `prefix` and whose process is gone. */
async function removeStale(dir: string, prefix: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const owner = ownerOf(name, prefix);
    const tempPath = join(dir, name);
    if (owner === undefined || mayBeAlive(owner)) continue;
    try {
      await rm(tempPath, { force: true });
      removed.push(tempPath);
    } catch {
      // Someone else's to deal with (no permission, say): it is not ours to fail over.
    }
  }
  return removed;
}

/**
 * Removes the temporaries of `path` (this scheme, beside it) left by processes of this machine that
 * are gone. Best effort: what cannot be listed or removed is left. Returns the removed paths.
 * {@link AtomicFile.open} calls it unless told not to.
 */
export function removeStaleTemporaries(path: string): Promise<string[]> {
  return removeStale(dirname(path), temporaryPrefix(path));
}

/**
 * Removes every temporary of this scheme in `dir` left by a process of this machine that is gone,
 * whatever its destination: once, before writing many files there with `removeStale: false`.
 */
export function removeStaleTemporariesIn(dir: string): Promise<string[]> {
  return removeStale(dir, ".");
}

/**
 * Makes renames into `dir` durable: flushes the directory's entries to disk. Some platforms cannot
 * sync a directory; that is not an error.
 */
export async function syncDirectory(dir: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(dir, "r");
    await handle.sync();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== "EISDIR" && code !== "EINVAL" && code !== "EPERM" && code !== "EBADF") throw e;
  } finally {
    await handle?.close();
  }
}

/** A write that moved no bytes and reported no error: never retried forever. */
function noProgress(): NodeJS.ErrnoException {
  return Object.assign(new Error("EIO: the write made no progress (0 bytes written), write"), { code: "EIO", syscall: "write" });
}

/**
 * A file being written under a temporary name: {@link AtomicFile.open} it, `write` (appending, or at
 * a position), then `commit` to sync and rename it into place, or `abort` to remove it. Every write
 * goes down whole or fails; a failed operation removes the temporary itself and throws a
 * {@link FileWriteError} naming the destination.
 */
export class AtomicFile {
  private state: "open" | "committing" | "committed" | "aborted" = "open";
  private end = 0;

  private constructor(
    /** The final name. */
    readonly path: string,
    /** Where the bytes are until `commit`. */
    readonly tempPath: string,
    private readonly handle: FileHandle,
    private readonly live: LiveTemporary,
    private readonly sync: boolean,
    private readonly syncDir: boolean,
  ) {}

  /** Creates a new temporary beside `path` (removing stale ones of the same destination first). */
  static async open(path: string, options: AtomicFileOptions = {}): Promise<AtomicFile> {
    if (options.removeStale !== false) await removeStaleTemporaries(path);
    const tempPath = temporaryPath(path);
    let file: AtomicFile | undefined;
    const live: LiveTemporary = {
      tempPath,
      discardSync() {
        if (file !== undefined && file.state !== "committed") file.state = "aborted";
        LIVE.delete(live);
        try {
          rmSync(tempPath, { force: true });
        } catch {
          // Exiting anyway: nothing better to do.
        }
      },
    };
    // Registered before it exists, so a signal between `open` and here cannot orphan it.
    LIVE.add(live);
    let handle: FileHandle;
    try {
      // "wx": a fresh file, never someone else's.
      handle = await open(tempPath, "wx", options.mode ?? 0o666);
    } catch (e) {
      LIVE.delete(live);
      throw new FileWriteError(path, e, "open");
    }
    const sync = options.sync ?? true;
    file = new AtomicFile(path, tempPath, handle, live, sync, sync && options.syncDirectory !== false);
    return file;
  }

  /** Bytes from the start to the furthest byte written (or reserved by a write under way). */
  get size(): number {
    return this.end;
  }

  private check(): void {
    if (this.state !== "open") {
      throw new FileWriteError(this.path, Object.assign(new Error(`ECANCELED: the file is ${this.state === "aborted" ? "aborted" : "already committed"}, write`), { code: "ECANCELED" }));
    }
  }

  /** Removes the temporary and turns `error` into the one error callers see. */
  private async fail(error: unknown, syscall: string): Promise<never> {
    await this.abort();
    throw error instanceof FileWriteError ? error : new FileWriteError(this.path, error, syscall);
  }

  /**
   * Writes all of `bytes` at `position` (default: after everything written so far), looping on short
   * writes. Writes at distinct positions may run concurrently.
   */
  async write(bytes: Uint8Array, position?: number): Promise<void> {
    this.check();
    const at = position ?? this.end;
    this.end = Math.max(this.end, at + bytes.length);
    let done = 0;
    try {
      while (done < bytes.length) {
        const { bytesWritten } = await this.handle.write(bytes, done, bytes.length - done, at + done);
        if (bytesWritten === 0) throw noProgress();
        done += bytesWritten;
      }
    } catch (e) {
      return this.fail(e, "write");
    }
  }

  /** Writes `chunks` one after the other at `position` (default: at the end) with as few system calls as the kernel allows. */
  async writev(chunks: readonly Uint8Array[], position?: number): Promise<void> {
    this.check();
    const total = chunks.reduce((n, c) => n + c.length, 0);
    const at = position ?? this.end;
    this.end = Math.max(this.end, at + total);
    let rest = chunks.filter((c) => c.length > 0);
    let done = 0;
    try {
      while (done < total) {
        const { bytesWritten } = await this.handle.writev(rest, at + done);
        if (bytesWritten === 0) throw noProgress();
        done += bytesWritten;
        rest = skipBytes(rest, bytesWritten);
      }
    } catch (e) {
      return this.fail(e, "write");
    }
  }

  /** Flushes the data written so far to disk while writing goes on (a syncing writer's final sync then has little left). */
  async datasync(): Promise<void> {
    this.check();
    try {
      await this.handle.datasync();
    } catch (e) {
      return this.fail(e, "fdatasync");
    }
  }

  /**
   * Syncs the data (unless `sync: false`), closes the file and renames it over the final name, then
   * syncs the directory. Before the rename any failure removes the temporary and leaves the final name
   * as it was; a failed directory sync is reported, but the complete file is then already in place.
   */
  async commit(): Promise<void> {
    this.check();
    this.state = "committing";
    let syscall = "fsync";
    try {
      if (this.sync) await this.handle.sync();
      syscall = "close";
      await this.handle.close();
      syscall = "rename";
      await rename(this.tempPath, this.path);
    } catch (e) {
      return this.fail(e, syscall);
    }
    this.state = "committed";
    LIVE.delete(this.live);
    if (this.syncDir) {
      try {
        await syncDirectory(dirname(this.path));
      } catch (e) {
        throw new FileWriteError(this.path, e, "fsync");
      }
    }
  }

  /** Gives up: closes and removes the temporary; the final name is never touched. Safe to call twice, and after `commit`. */
  async abort(): Promise<void> {
    if (this.state === "committed") return;
    this.state = "aborted";
    await this.handle.close().catch(() => undefined);
    await rm(this.tempPath, { force: true }).catch(() => undefined);
    LIVE.delete(this.live);
  }
}

/** `chunks` without their first `n` bytes. */
function skipBytes(chunks: readonly Uint8Array[], n: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const c of chunks) {
    if (n >= c.length) {
      n -= c.length;
      continue;
    }
    out.push(n > 0 ? c.subarray(n) : c);
    n = 0;
  }
  return out;
}

/**
 * Writes `data` (bytes, or text as UTF-8) to `path` through an {@link AtomicFile}: the final name
 * holds either its previous contents or all of `data`, never a part.
 */
export async function writeFileAtomic(path: string, data: Uint8Array | string, options: AtomicFileOptions = {}): Promise<void> {
  const file = await AtomicFile.open(path, options);
  try {
    await file.write(typeof data === "string" ? new TextEncoder().encode(data) : data);
    await file.commit();
  } catch (e) {
    await file.abort();
    throw e;
  }
}
