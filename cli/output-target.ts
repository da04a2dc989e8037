import { open, rename, rm } from "node:fs/promises";
import type { ByteSink } from "../runtime/index.js";
import type { Io } from "./io.js";

/**
 * Where converted bytes go: standard output for `-`, else a temporary file beside the final name that
 * is synced and renamed into place only when the writer closes it, so a failed or cut-off conversion
 * never leaves a half-written file under the final name.
 */
export async function outputSink(path: string, io: Io): Promise<ByteSink> {
  if (path === "-") {
    return { write: (chunk) => io.outBytes(chunk), close: async () => undefined, abort: async () => undefined };
  }
  const temp = `${path}.${process.pid}.tmp`;
  let handle;
  try {
    handle = await open(temp, "w");
  } catch (e) {
    throw Object.assign(e as object, { path });
  }
  const file = handle;
  return {
    write: async (chunk) => {
      await file.write(chunk);
    },
    close: async () => {
      await file.sync();
      await file.close();
      await rename(temp, path);
    },
    abort: async () => {
      await file.close().catch(() => undefined);
      await rm(temp, { force: true });
    },
  };
}

/** Writes one buffer through {@link outputSink}. */
export async function writeOutput(path: string, bytes: Uint8Array, io: Io): Promise<void> {
  const sink = await outputSink(path, io);
  try {
    await sink.write(bytes);
    await sink.close();
  } catch (e) {
    await sink.abort(e);
    throw e;
  }
}
