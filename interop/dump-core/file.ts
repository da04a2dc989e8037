/**
 * Node only. Writes a dump-core file to disk from its plan, page by page, without assembling the file in
 * memory, through the runtime's atomic-write helper: the bytes go to a temporary name beside the target,
 * every write checked, and the file is renamed into place only when complete (a failed write leaves
 * nothing under the final name, and its error names the file).
 */
import type { ImageInit } from "../../generated/index.js";
import { EncodeError } from "../../runtime/index.js";
import { AtomicFile } from "../../runtime/node/atomic-file.js";
import { planDumpCore, type DumpCorePlan, type ExportDumpCoreOptions } from "./export.js";

/** How many bytes are gathered before one write. */
const WRITE_BATCH = 1 << 20;

/** Writes the dump-core file of a core image to `path`; returns the plan (its size, sections and losses). */
export async function writeDumpCoreFile(image: ImageInit, path: string, options: ExportDumpCoreOptions = {}): Promise<DumpCorePlan> {
  const plan = planDumpCore(image);
  if (options.strict === true && plan.losses.length > 0) {
    throw new EncodeError("lossy", `the dump-core file cannot carry the whole image: ${plan.losses.join("; ")}`);
  }
  const file = await AtomicFile.open(path);
  try {
    let pending: Uint8Array[] = [];
    let pendingBytes = 0;
    const flush = async () => {
      if (pending.length > 0) await file.writev(pending);
      pending = [];
      pendingBytes = 0;
    };
    for (const chunk of plan.chunks) {
      pending.push(chunk);
      pendingBytes += chunk.length;
      if (pendingBytes >= WRITE_BATCH) await flush();
    }
    await flush();
    await file.commit();
  } catch (e) {
    await file.abort();
    throw e;
  }
  return plan;
}
