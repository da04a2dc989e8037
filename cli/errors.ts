import { describeSystemError, FileWriteError } from "../runtime/node/index.js";

/** A mistake in how the command was called: exit code 2. */
export class UsageError extends Error {
  /** @param command the command whose `--help` the message points to, if the mistake is in one. */
  constructor(
    message: string,
    readonly command?: string,
  ) {
    super(message);
  }
}

/** Exit codes, documented in --help and the README. */
export const EXIT = { ok: 0, invalid: 1, usage: 2, io: 3 } as const;

/** Attaches the input file's name to an error, so the one-line message can name it. */
export function inFile<E>(error: E, file: string): E {
  if (error !== null && typeof error === "object") Object.assign(error, { file });
  return error;
}

/** A system error (it has an errno code and a system call), as opposed to a bug. */
export function isIoError(e: unknown): e is NodeJS.ErrnoException {
  return e instanceof Error && typeof (e as NodeJS.ErrnoException).code === "string" && (e as NodeJS.ErrnoException).syscall !== undefined;
}

/**
 * The one-line message of an I/O error: the file, then what went wrong, e.g.
 * `out.img: no space left on device (ENOSPC)`. A failed write already names its destination.
 */
export function ioMessage(e: NodeJS.ErrnoException): string {
  if (e instanceof FileWriteError) return e.message;
  const what = e.code === "EISDIR" ? "is a directory" : e.code === "ENOENT" ? "no such file" : e.code === "EACCES" ? "permission denied" : describeSystemError(e);
  return e.path ? `${e.path}: ${what}` : what;
}
