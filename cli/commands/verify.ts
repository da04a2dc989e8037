import { parseArgs } from "node:util";
import { checkedArgs } from "../args.js";
import { XenImageError } from "../../runtime/index.js";
import { EXIT } from "../errors.js";
import { displayName, onePositional, type Io } from "../io.js";
import { routeInput, verifyXenInput } from "../xen-input.js";
import { problemOf, type Problem } from "../problem.js";
import { inspectFile } from "./inspect.js";

/**
 * `xenimage verify FILE [--json] [--skip-pages]`: structure, every CRC, every section's decoding and
 * the image-type rules; prints every problem (not only the first). Exit 0 clean, 1 invalid. A seekable
 * file is read front to back in large reads, checksummed as the bytes arrive, one section decoded at
 * a time, so memory does not grow with the image.
 */
export async function verify(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs(checkedArgs("verify", { args, options: { json: { type: "boolean" }, "skip-pages": { type: "boolean" } }, allowPositionals: true }));
  const file = onePositional(positionals, "verify");
  const name = displayName(file);
  const routed = await routeInput(file, io); // Xen's formats: imported with every check Xen's restorers make
  if ("xen" in routed) return verifyXenInput(routed.xen, values.json === true, io);
  let problems: readonly Problem[];
  try {
    problems = (await inspectFile(file, routed.io, { skipPages: values["skip-pages"] ?? false })).problems;
  } catch (e) {
    if (!(e instanceof XenImageError)) throw e;
    // The header, the table or (in a stream) a section is broken: nothing past it can be checked.
    problems = [problemOf(e)];
  }
  if (values.json) io.out(JSON.stringify({ file: name, valid: problems.length === 0, problems }, null, 2));
  else if (problems.length === 0) io.out(`${name}: ok`);
  else for (const p of problems) io.err(`xenimage: ${name}: ${p.message}`);
  return problems.length === 0 ? EXIT.ok : EXIT.invalid;
}
