import { open } from "node:fs/promises";
import { readWhatChecksOutOf, type ReadSoFar } from "./read-so-far.js";
import type { SectionReport } from "./inspect-report.js";
import type { TableEntry } from "../runtime/index.js";

/** {@link readWhatChecksOutOf} of an image file. */
export async function readWhatChecksOut(file: string, rowOf: (entry: TableEntry, index: number, status: string) => SectionReport): Promise<ReadSoFar | undefined> {
  const handle = await open(file, "r");
  try {
    return await readWhatChecksOutOf({ read: (buffer, offset, length, position) => handle.read(buffer, offset, length, position), size: async () => (await handle.stat()).size }, rowOf);
  } finally {
    await handle.close();
  }
}
