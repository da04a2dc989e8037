import type { ByteSink } from "../runtime/index.js";
import { AtomicFile, writeFileAtomic } from "../runtime/node/index.js";
import type { Io } from "./io.js";

/**
 * Where converted bytes go: standard output for `-`, else an {@link AtomicFile} beside the final name,
 * synced and renamed into place only when the writer closes it, so a failed or cut-off conversion
 * never leaves a half-written file under the final name (nor a temporary).
 */
export async function outputSink(path: string, io: Io): Promise<ByteSink> {
  if (path === "-") {
    return { write: (chunk) => io.outBytes(chunk), close: async () => undefined, abort: async () => undefined };
  }
  const file = await AtomicFile.open(path);
  return {
    write: (chunk) => file.write(chunk),
    close: () => file.commit(),
    abort: () => file.abort(),
  };
}

/** Writes one buffer to `path`, or to standard output for `-`. */
export async function writeOutput(path: string, bytes: Uint8Array, io: Io): Promise<void> {
  if (path === "-") await io.outBytes(bytes);
  else await writeFileAtomic(path, bytes);
}
