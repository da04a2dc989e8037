/**
 * How the xenimage command ends when it is cut short: a signal, or a reader of standard output that
 * went away (`xenimage demo | head`). Either way the temporaries of files being written are removed
 * first, so nothing is left behind. Only the command installs these; the library never takes over a
 * process's signals (its users call `cleanupTemporaries` from their own handlers).
 */
import { cleanupTemporaries } from "../runtime/node/index.js";

/** Exit codes of the signals handled: 128 + the signal number, as shells report a death by signal. */
export const SIGNAL_EXIT = { SIGHUP: 129, SIGINT: 130, SIGTERM: 143 } as const;

/** Whether a write to standard output failed because its reader is gone. */
export function isClosedPipe(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === "EPIPE";
}

/**
 * Standard output's reader is gone: not an error of ours, and no message (each further write would
 * fail the same way). Removes the temporaries and exits with the code so far (0 unless set).
 */
export function exitOnClosedOutput(): never {
  cleanupTemporaries();
  process.exit(process.exitCode ?? 0);
}

/** Installs the signal, closed-pipe and exit handlers of the command. */
export function installInterruptHandlers(): void {
  // The last resort: whatever ends the process normally or through process.exit.
  process.on("exit", () => cleanupTemporaries());
  for (const [signal, code] of Object.entries(SIGNAL_EXIT)) {
    process.once(signal, () => {
      cleanupTemporaries();
      process.exit(code);
    });
  }
  process.stdout.on("error", (e: NodeJS.ErrnoException) => {
    if (isClosedPipe(e)) exitOnClosedOutput();
    throw e;
  });
}
