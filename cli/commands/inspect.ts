import { ArchNames, ByteOrderNames, GuestTypeNames, ImageTypeNames, type ImageHeader } from "../../generated/index.js";
import { parseArgs } from "node:util";
import { checkedArgs } from "../args.js";
import { hex, STREAMED, XenImageError } from "../../runtime/index.js";
import { EXIT } from "../errors.js";
import { inspectInput, sectionRow, type InspectOptions, type InspectReport, type SectionReport } from "../inspect-report.js";
import { readWhatChecksOut } from "../partial-inspect.js";
import { readSoFarOf, type ReadSoFar } from "../read-so-far.js";
import { displayName, onePositional, type Io } from "../io.js";
import { stringify } from "../json.js";
import { withInput } from "../open-input.js";
import { inspectXenInput, routeInput } from "../xen-input.js";

function pad(text: string, width: number, right = false): string {
  return right ? text.padStart(width) : text.padEnd(width);
}

/** The header as key/value lines, the table as columns (like readelf -S): what `inspect` shows of any image, whole or not. */
function headerAndTable(header: ImageHeader, sections: readonly SectionReport[], file: string): string[] {
  const h = header;
  const name = (map: ReadonlyMap<number, string>, v: number) => `${map.get(v) ?? "unknown"} (${v})`;
  const lines = [
    `${file}: xenimage format ${h.formatVersion}, ${name(ImageTypeNames, h.imageType)} image`,
    "",
    "Header:",
    `  byte order:     ${name(ByteOrderNames, h.byteOrder)}`,
    `  header size:    ${h.headerSize}`,
    `  guest:          ${name(GuestTypeNames, h.guestType)}, ${name(ArchNames, h.arch)}, page shift ${h.pageShift}`,
    `  xen version:    ${h.xenMajor}.${h.xenMinor}`,
    `  domain:         id ${h.domainId}, name "${h.name}", uuid ${h.uuid}`,
    `  vcpus:          ${h.vcpuCount}`,
    `  memory:         ${h.memorySize} bytes`,
    h.sectionTableOffset === STREAMED
      ? `  layout:         streamed (the table offset is the sentinel; each entry comes before its body)`
      : `  section table:  ${hex(h.sectionTableOffset)}, ${h.sectionCount} entries of ${h.sectionEntrySize} bytes`,
    `  header crc:     ${hex(h.headerCrc)}`,
    "",
    "Sections:",
    `  ${pad("[Nr]", 5)} ${pad("Name", 16)} ${pad("Type", 10)} ${pad("Offset", 10)} ${pad("Size", 10, true)} ${pad("Entries", 8, true)} ${pad("EntSize", 7, true)} ${pad("Align", 5, true)} ${pad("CRC32C", 10)} Status`,
  ];
  for (const s of sections) {
    const type = `0x${s.id.toString(16)}${s.optional ? "*" : ""}`;
    lines.push(
      `  ${pad(`[${s.index}]`, 5)} ${pad(s.name, 16)} ${pad(type, 10)} ${pad(hex(s.offset), 10)} ${pad(String(s.size), 10, true)} ${pad(String(s.entryCount), 8, true)} ${pad(String(s.entrySize), 7, true)} ${pad(String(s.align), 5, true)} ${pad(hex(s.crc), 10)} ${s.status}`,
    );
  }
  return lines;
}

/** The report as a human reads it: the header, the table, and the rule check. */
export function formatInspect(report: InspectReport, file: string): string {
  const lines = headerAndTable(report.header, report.sections, file);
  lines.push("", "Type ids marked * are optional: readers that do not know them skip them.");
  lines.push("", `Image-type rule: ${report.rule ?? "none covers this image"}`);
  if (report.violations.length === 0 && report.rule !== undefined) lines.push("  every section is where the rule wants it");
  for (const v of report.violations) lines.push(`  violation: ${v.message}`);
  return lines.join("\n");
}

/** What could be read of an image that does not check out as a whole; the error follows on standard error. */
function formatReadSoFar(read: ReadSoFar, file: string): string {
  const lines = headerAndTable(read.header, read.sections, file);
  if (read.sections.length === 0) lines.push("  (the section table could not be read)");
  return lines.join("\n");
}

/** Inspects a seekable or streamed image from a file or standard input; errors carry the file's name. */
export function inspectFile(file: string, io: Io, options: InspectOptions = {}): Promise<InspectReport> {
  return withInput(file, io, (input) => inspectInput(input, options));
}

/** `xenimage inspect FILE [--json] [--skip-pages]`: the header, the table with each body's status, and the rule check. */
export async function inspect(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs(checkedArgs("inspect", { args, options: { json: { type: "boolean" }, "skip-pages": { type: "boolean" } }, allowPositionals: true }));
  const file = onePositional(positionals, "inspect");
  const name = displayName(file);
  const routed = await routeInput(file, io); // Xen's formats: their records, and whether they import
  if ("xen" in routed) return inspectXenInput(routed.xen, values.json === true, io);
  let report: InspectReport;
  try {
    report = await inspectFile(file, routed.io, { skipPages: values["skip-pages"] ?? false });
  } catch (e) {
    // Show what could be read (the header, the table, the sections that check out), then the error.
    if (!(e instanceof XenImageError)) throw e;
    const read = readSoFarOf(e) ?? (file === "-" ? undefined : await readWhatChecksOut(file, sectionRow));
    if (read !== undefined) io.out(values.json ? stringify({ ...read, error: e.message }) : formatReadSoFar(read, name));
    throw e;
  }
  io.out(values.json ? stringify(report) : formatInspect(report, name));
  for (const p of report.problems) io.err(`xenimage: ${name}: ${p.message}`);
  return report.problems.length === 0 ? EXIT.ok : EXIT.invalid;
}
