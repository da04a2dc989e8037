import { open, type FileHandle } from "node:fs/promises";
import { parseArgs } from "node:util";
import { detectXenFormat, DETECT_BYTES } from "../../interop/detect.js";
import { DecodeError } from "../../runtime/index.js";
import { renderLine } from "../../runtime/reflect/index.js";
import { annotateDumpCore } from "../annotate-dump-core.js";
import { annotateImageFile } from "../annotate-image.js";
import { fileReader, type AnnotatedRegion, type AnnotateSelection } from "../annotate-source.js";
import { annotateXenStream, xenRecordNames } from "../annotate-xen-stream.js";
import { checkedArgs, checkSectionNames } from "../args.js";
import { EXIT, inFile, UsageError } from "../errors.js";
import { layoutOf } from "../input-source.js";
import { onePositional, type Io } from "../io.js";

/** A non-negative integer option (decimal or 0x hex), or a usage error. */
function byteCount(value: string | undefined, option: string): number | undefined {
  if (value === undefined) return undefined;
  const n = /^(0x[0-9a-f]+|\d+)$/i.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n)) throw new UsageError(`annotate: ${option} takes a non-negative integer (decimal or 0x…); not "${value}"`, "annotate");
  return n;
}

/**
 * The walker for the file's format, from its first bytes: our image (either layout), a Xen stream (libxc,
 * libxl, xl save file) or a Xen dump-core ELF file. `--section` names are checked against that format's.
 */
async function regionsOf(handle: FileHandle, size: number, selection: AnnotateSelection, sectionNames: readonly string[] | undefined): Promise<AsyncGenerator<AnnotatedRegion>> {
  const read = fileReader(handle, size);
  const head = await read(0, Math.min(size, DETECT_BYTES));
  const format = layoutOf(head) === undefined ? detectXenFormat(head) : undefined;
  if (format === undefined) {
    checkSectionNames("annotate", sectionNames);
    return annotateImageFile(handle, size, selection);
  }
  if (format.kind === "legacy") throw new DecodeError("unsupported", format.hint, { offset: 0 });
  if (format.kind === "dump-core") return annotateDumpCore(read, size, selection);
  const valid = xenRecordNames();
  const wrong = sectionNames?.filter((n) => !valid.includes(n)) ?? [];
  if (wrong.length > 0) throw new UsageError(`annotate: no record type ${wrong.map((n) => `"${n}"`).join(", ")} in a Xen stream; --section takes one of: ${valid.join(", ")}`, "annotate");
  return annotateXenStream(read, size, format.layer, selection);
}

/**
 * `xenimage annotate FILE [--section NAME…] [--offset N --length N] [--elements N] [--json]`: an
 * annotated hex dump, every byte with the field it belongs to (path, type, decoded value), as
 * `readelf -x` and ksdump show bytes: the header, each body with the padding before it, the table's
 * entries, the CRCs checked; arrays element by element (`pfns[3]`), at most `--elements` of each (256),
 * the rest summarised as ranges. Our images in both layouts, Xen streams (records by type name for
 * `--section`) and Xen dump-core files (ELF section names). Read lazily: only the parts selected.
 */
export async function annotate(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs(
    checkedArgs("annotate", { args, options: { section: { type: "string", multiple: true }, offset: { type: "string" }, length: { type: "string" }, elements: { type: "string" }, json: { type: "boolean" } }, allowPositionals: true }),
  );
  const file = onePositional(positionals, "annotate");
  if (file === "-") throw new UsageError("annotate: reads a file, not standard input (it reads the parts it shows, by offset)", "annotate");
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
    const regions = await regionsOf(handle, size, selection, values.section);
    // The first region is read before anything is printed: a header the walker refuses, or a --section
    // name a dump-core file does not have, then leaves no half-written JSON.
    const head = await regions.next();
    let first = true;
    if (values.json) io.out("[");
    for (let next = head; next.done !== true; next = await regions.next()) {
      const region = next.value;
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
