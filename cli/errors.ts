/** A mistake in how the command was called: exit code 2. */
export class UsageError extends Error {}

/** Exit codes, documented in --help and the README. */
export const EXIT = { ok: 0, invalid: 1, usage: 2, io: 3 } as const;

/** Attaches the input file's name to an error, so the one-line message can name it. */
export function inFile<E>(error: E, file: string): E {
  if (error !== null && typeof error === "object") Object.assign(error, { file });
  return error;
}
