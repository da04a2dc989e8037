/**
 * How the xenimage command ends when it is cut short: a signal, or a reader of standard output that
 * went away (`xenimage demo | head`). Either way the temporaries of files being written are removed
 * first, so nothing is left behind. Only the command installs these; the library never takes over a
 * process's signals (its users call `cleanupTemporaries` from their own handlers).
 */
import { cleanupTemporaries } from "../runtime/node/index.js";

/** Exit codes of the signals handled: 128 + the signal number, as shells report a death by signal. */
export const SIGNAL_EXIT = { SIGHUP: 129, SIGINT: 130, SIGTERM: 143 } as const;

/**
 * The exit code when standard output's reader went away: 128 + SIGPIPE, what a shell reports for any
 * tool the broken pipe killed. Not 0: the output was cut short, and `set -o pipefail` must see it.
 */
export const CLOSED_PIPE_EXIT = 141;

/** Whether a write to standard output failed because its reader is gone. */
export function isClosedPipe(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === "EPIPE";
}

/**
 * Standard output's reader is gone: no message (each further write would fail the same way), the
 * temporaries removed, and {@link CLOSED_PIPE_EXIT} unless a failure already set another code.
 */
export function exitOnClosedOutput(): never {
  cleanupTemporaries();
  const code = process.exitCode;
  process.exit(code !== undefined && code !== 0 ? code : CLOSED_PIPE_EXIT);
}

/** The handler of a command that shuts down by itself on a signal (`receive`), while it runs. */
let signalOwner: ((signal: NodeJS.Signals) => void) | undefined;

/**
 * Lets a command that stops cleanly on SIGINT/SIGTERM (closing what is under way, its own way) take
 * the signals over from the handlers below while it runs. Returns the function that gives them back.
 */
export function takeOverSignals(handler: (signal: NodeJS.Signals) => void): () => void {
  signalOwner = handler;
  return () => {
    if (signalOwner === handler) signalOwner = undefined;
  };
}

/** Installs the signal, closed-pipe and exit handlers of the command. */
export function installInterruptHandlers(): void {
  // The last resort: whatever ends the process normally or through process.exit.
  process.on("exit", () => cleanupTemporaries());
  for (const [signal, code] of Object.entries(SIGNAL_EXIT)) {
    process.on(signal, () => {
      if (signalOwner !== undefined && signal !== "SIGHUP") return signalOwner(signal as NodeJS.Signals);
      cleanupTemporaries();
      process.exit(code);
    });
  }
  process.stdout.on("error", (e: NodeJS.ErrnoException) => {
    if (isClosedPipe(e)) exitOnClosedOutput();
    throw e;
  });
}
