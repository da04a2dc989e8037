import { open, rename, rm } from "node:fs/promises";

/**
 * Writes a file so that its final name only ever holds the complete contents: write a temporary file
 * beside it, flush it to disk, then rename it over the final name. On failure the temporary is removed.
 */
export async function writeFileAtomic(path: string, bytes: Uint8Array): Promise<void> {
  const temp = `${path}.${process.pid}.tmp`;
  const handle = await open(temp, "w");
  try {
    await handle.writeFile(bytes);
    await handle.sync();
    await handle.close();
    await rename(temp, path);
  } catch (e) {
    await handle.close().catch(() => undefined);
    await rm(temp, { force: true });
    throw e;
  }
}
