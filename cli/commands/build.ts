import { parseArgs } from "node:util";
import { checkedArgs } from "../args.js";
import { encodeImage } from "../../generated/index.js";
import { UsageError, EXIT, inFile } from "../errors.js";
import { writeFileAtomic } from "../../runtime/node/index.js";
import { imageFromJson } from "../image-json.js";
import { displayName, onePositional, readInput, type Io } from "../io.js";
import { JsonShapeError } from "../../runtime/index.js";

/** `xenimage build JSON -o FILE`: the inverse of `dump --pages`. */
export async function build(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs(checkedArgs("build", { args, options: { output: { type: "string", short: "o" } }, allowPositionals: true }));
  const input = onePositional(positionals, "build", "JSON file");
  if (values.output === undefined) throw new UsageError("build needs -o FILE (or -o - for standard output)");
  const text = new TextDecoder().decode(await readInput(input, io));
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw inFile(new JsonShapeError("json", `not JSON: ${(e as Error).message}`), displayName(input));
  }
  let bytes: Uint8Array;
  try {
    bytes = encodeImage(imageFromJson(json));
  } catch (e) {
    throw inFile(e, displayName(input));
  }
  if (values.output === "-") await io.outBytes(bytes);
  else await writeFileAtomic(values.output, bytes);
  return EXIT.ok;
}
