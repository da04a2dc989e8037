import { open } from "node:fs/promises";
import { parseArgs } from "node:util";
import { renderLine } from "../../runtime/reflect/index.js";
import { annotateImageFile } from "../annotate-image.js";
import type { AnnotateSelection } from "../annotate-source.js";
import { checkedArgs, checkSectionNames } from "../args.js";
import { EXIT, inFile, UsageError } from "../errors.js";
import { onePositional, type Io } from "../io.js";

/** A non-negative integer option (decimal or 0x hex), or a usage error. */
function byteCount(value: string | undefined, option: string): number | undefined {
  if (value === undefined) return undefined;
  const n = /^(0x[0-9a-f]+|\d+)$/i.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n)) throw new UsageError(`annotate: ${option} takes a non-negative integer (decimal or 0x…); not "${value}"`, "annotate");
  return n;
}

/**
 * `xenimage annotate FILE [--section NAME…] [--offset N --length N] [--elements N] [--json]`: an
 * annotated hex dump, every byte with the field it belongs to (path, type, decoded value), as
 * `readelf -x` and ksdump show bytes: the header, each body with the padding before it, the table's
 * entries, the CRCs checked; arrays element by element (`pfns[3]`), at most `--elements` of each (256),
 * the rest summarised as ranges. Read lazily: the header and the table entries, then only the
 * selected bodies; seekable and streamed images alike.
 */
export async function annotate(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs(
    checkedArgs("annotate", { args, options: { section: { type: "string", multiple: true }, offset: { type: "string" }, length: { type: "string" }, elements: { type: "string" }, json: { type: "boolean" } }, allowPositionals: true }),
  );
  const file = onePositional(positionals, "annotate");
  if (file === "-") throw new UsageError("annotate: reads a file, not standard input (it reads the parts it shows, by offset)", "annotate");
  checkSectionNames("annotate", values.section);
  const offset = byteCount(values.offset, "--offset");
  const length = byteCount(values.length, "--length");
  const elements = byteCount(values.elements, "--elements");
  const selection: AnnotateSelection = {
    ...(values.section ? { sections: values.section } : {}),
    ...(offset === undefined ? {} : { offset }),
    ...(length === undefined ? {} : { length }),
    ...(elements === undefined ? {} : { elements }),
  };
  let handle;
  try {
    handle = await open(file, "r");
  } catch (e) {
    throw Object.assign(e as object, { path: file });
  }
  try {
    const size = (await handle.stat()).size;
    const regions = annotateImageFile(handle, size, selection);
    let first = true;
    if (values.json) io.out("[");
    for await (const region of regions) {
      if (values.json) {
        for (const l of region.lines) {
          io.out(`${first ? "" : ","}${JSON.stringify({ offset: l.offset, length: l.length, depth: l.depth, field: l.label, value: l.value ?? null, region: region.title })}`);
          first = false;
        }
      } else if (region.lines.length > 0) {
        io.out(`--- ${region.title} ---`);
        for (const l of region.lines) {
          const excerpt = region.excerpts?.get(l.offset);
          io.out(excerpt === undefined ? renderLine(region.bytes, l, region.base) : renderLine(excerpt, l, l.offset));
        }
      }
    }
    if (values.json) io.out("]");
  } catch (e) {
    throw inFile(e, file);
  } finally {
    await handle.close();
  }
  return EXIT.ok;
}
