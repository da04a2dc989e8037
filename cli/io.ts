import { readFile } from "node:fs/promises";
import { joinParts } from "../runtime/index.js";
import { UsageError } from "./errors.js";

/** Where a command writes: injectable so tests can capture output without spawning. */
export interface Io {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  /** Raw bytes to standard output (for `-` outputs). */
  readonly outBytes: (bytes: Uint8Array) => Promise<void>;
  /** Standard input, for `-` inputs. */
  readonly stdin: AsyncIterable<Uint8Array>;
  /** True when standard error is a terminal: progress bars only then. */
  readonly interactive: boolean;
}

/** The file name errors should show for an input (`-` is standard input). */
export function displayName(file: string): string {
  return file === "-" ? "<stdin>" : file;
}

/** Reads a whole input file, or standard input for `-`. I/O errors keep the file's name. */
export async function readInput(file: string, io: Io): Promise<Uint8Array> {
  if (file === "-") {
    const chunks: Uint8Array[] = [];
    for await (const chunk of io.stdin) chunks.push(chunk);
    return joinParts(chunks);
  }
  try {
    const b = await readFile(file);
    return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  } catch (e) {
    throw Object.assign(e as object, { path: file });
  }
}

/** Exactly one positional argument, or a usage error naming the command. */
export function onePositional(positionals: readonly string[], command: string, what = "FILE"): string {
  if (positionals.length !== 1) throw new UsageError(`${command} takes exactly one ${what}`);
  return positionals[0]!;
}
