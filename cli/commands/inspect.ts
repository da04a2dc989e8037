import {
  ArchNames,
  ByteOrderNames,
  GuestTypeNames,
  ImageTypeNames,
  imageFormat,
  imageRules,
  verifyImage,
  type ImageHeader,
  type KnownSection,
} from "../../generated/index.js";
import { ConsistencyChecker } from "../../image/consistency.js";
import { parseArgs } from "node:util";
import { EXIT, inFile } from "../errors.js";
import { HEAD, layoutOf, peekInput, readAll } from "../input-source.js";
import { displayName, onePositional, type Io } from "../io.js";
import { stringify } from "../json.js";
import { inspectXenInput, routeInput } from "../xen-input.js";
import {
  crc32c,
  decodeLayout,
  decodeSection,
  decodeStream,
  endEntry,
  hex,
  OPTIONAL_BIT,
  ruleFor,
  STREAMED,
  XenImageError,
  type ImageLayout,
  type RuleViolation,
  type TableEntry,
} from "../../runtime/index.js";

/** One row of the section table as `inspect` reports it. */
export interface SectionReport {
  readonly index: number;
  readonly name: string;
  readonly id: number;
  readonly optional: boolean;
  readonly flags: number;
  readonly offset: bigint;
  readonly size: bigint;
  readonly entryCount: bigint;
  readonly entrySize: number;
  readonly align: number;
  readonly crc: number;
  /** `ok`, or why the body does not check out (CRC mismatch, decode error). */
  readonly status: string;
}

/** What `inspect` finds in an image: the header, every table entry, the rule check, and every problem. */
export interface InspectReport {
  readonly header: ImageHeader;
  readonly sections: readonly SectionReport[];
  /** The image-type rule the header selects, if any. */
  readonly rule: string | undefined;
  readonly violations: readonly RuleViolation[];
  readonly problems: readonly string[];
}

/**
 * Reads the header and table of a seekable image, then checks every body (CRC, then decoding) without
 * stopping at the first bad one, so the report lists every section with its status.
 */
export function inspectImage(bytes: Uint8Array): InspectReport {
  const layout: ImageLayout<ImageHeader> = decodeLayout(imageFormat, bytes);
  const problems: string[] = [];
  const consistency = new ConsistencyChecker(layout.header);
  const sections = layout.entries.map((entry, index) =>
    reportSection(layout, index, entry.offset, bytes.subarray(Number(entry.offset), Number(entry.offset + entry.size)), problems, consistency),
  );
  return finish(layout.header, sections, problems, consistency);
}

/**
 * The same report for a streamed image, read as it arrives: each row's offset is where its body starts
 * in the stream. A stream cannot go on past a broken section, so that one ends the report with an error.
 */
export async function inspectStream(chunks: AsyncIterable<Uint8Array>): Promise<InspectReport> {
  const stream = await decodeStream<ImageHeader>(imageFormat, chunks);
  const layout = { header: stream.header, littleEndian: stream.littleEndian, entries: [] as TableEntry[] };
  const problems: string[] = [];
  const sections: SectionReport[] = [];
  const consistency = new ConsistencyChecker(stream.header);
  for await (const s of stream.rawSections()) {
    layout.entries.push(s.entry);
    sections.push(reportSection(layout, s.index, BigInt(s.offset), s.body, problems, consistency));
  }
  layout.entries.push(endEntry(imageFormat, STREAMED));
  sections.push(reportSection(layout, layout.entries.length - 1, BigInt(stream.offset), new Uint8Array(0), problems, consistency));
  return finish(stream.header, sections, problems, consistency);
}

const names = new Map(imageFormat.sections.map((c) => [c.id, c.name]));

/** One table row: the entry, and whether its body checks out (CRC, then decoding: one pass each). */
function reportSection(layout: ImageLayout<ImageHeader>, index: number, offset: bigint, body: Uint8Array, problems: string[], consistency: ConsistencyChecker): SectionReport {
  const entry = layout.entries[index]!;
  const id = entry.type & ~OPTIONAL_BIT;
  let status = "ok";
  try {
    if (id === imageFormat.endId) {
      if (crc32c(body) !== entry.crc) status = "CRC mismatch";
    } else {
      // The rules relating the section to the header (vcpu ids, the HVM records' order, …), as validateImage checks them.
      consistency.section(decodeSection<ImageHeader, KnownSection>(imageFormat, layout, index, body), { index, body, offset: Number(offset) });
    }
  } catch (e) {
    if (!(e instanceof XenImageError)) throw e;
    status = e.code === "crc" ? "CRC mismatch" : e.reason;
  }
  if (status !== "ok") problems.push(`section ${names.get(id) ?? `type ${hex(id)}`} #${index} at offset ${hex(offset)}: ${status}`);
  return {
    index,
    name: names.get(id) ?? "unknown",
    id,
    optional: (entry.type & OPTIONAL_BIT) !== 0,
    flags: entry.flags,
    offset,
    size: entry.size,
    entryCount: entry.entryCount,
    entrySize: entry.entrySize,
    align: entry.align,
    crc: entry.crc,
    status,
  };
}

/** Adds the image-type rule check to the rows, then the rules between sections. */
function finish(header: ImageHeader, sections: SectionReport[], problems: string[], consistency: ConsistencyChecker): InspectReport {
  const named = sections.slice(0, -1).map((s) => ({ type: s.name }));
  const violations = verifyImage({ header, sections: named });
  for (const v of violations) problems.push(`rule ${v.rule}: ${v.message}`);
  if (violations.length === 0 && problems.length === 0) {
    try {
      consistency.finish();
    } catch (e) {
      if (!(e instanceof XenImageError)) throw e;
      problems.push(e.message);
    }
  }
  return { header, sections, rule: ruleFor(imageRules, header)?.name, violations, problems };
}

function uuid(bytes: Uint8Array): string {
  const h = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

function pad(text: string, width: number, right = false): string {
  return right ? text.padStart(width) : text.padEnd(width);
}

/** The report as a human reads it: the header as key/value lines, the table as columns (like readelf -S). */
export function formatInspect(report: InspectReport, file: string): string {
  const h = report.header;
  const name = (map: ReadonlyMap<number, string>, v: number) => `${map.get(v) ?? "unknown"} (${v})`;
  const lines = [
    `${file}: xenimage format ${h.formatVersion}, ${name(ImageTypeNames, h.imageType)} image`,
    "",
    "Header:",
    `  byte order:     ${name(ByteOrderNames, h.byteOrder)}`,
    `  header size:    ${h.headerSize}`,
    `  guest:          ${name(GuestTypeNames, h.guestType)}, ${name(ArchNames, h.arch)}, page shift ${h.pageShift}`,
    `  xen version:    ${h.xenMajor}.${h.xenMinor}`,
    `  domain:         id ${h.domainId}, name "${h.name}", uuid ${uuid(h.uuid)}`,
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
  for (const s of report.sections) {
    const type = `0x${s.id.toString(16)}${s.optional ? "*" : ""}`;
    lines.push(
      `  ${pad(`[${s.index}]`, 5)} ${pad(s.name, 16)} ${pad(type, 10)} ${pad(hex(s.offset), 10)} ${pad(String(s.size), 10, true)} ${pad(String(s.entryCount), 8, true)} ${pad(String(s.entrySize), 7, true)} ${pad(String(s.align), 5, true)} ${pad(hex(s.crc), 10)} ${s.status}`,
    );
  }
  lines.push("", "Type ids marked * are optional: readers that do not know them skip them.");
  lines.push("", `Image-type rule: ${report.rule ?? "none covers this image"}`);
  if (report.violations.length === 0 && report.rule !== undefined) lines.push("  every section is where the rule wants it");
  for (const v of report.violations) lines.push(`  violation: ${v.message}`);
  return lines.join("\n");
}

/** Inspects a seekable or streamed image from a file or standard input; errors carry the file's name. */
export async function inspectFile(file: string, io: Io): Promise<InspectReport> {
  const input = await peekInput(file, io, HEAD);
  try {
    if (layoutOf(input.head) === "streamed") return await inspectStream(input.chunks());
    return inspectImage(await readAll(input));
  } catch (e) {
    throw inFile(e, displayName(file));
  } finally {
    await input.close();
  }
}

/** `xenimage inspect FILE [--json]`: the header, the table with each body's status, and the rule check. */
export async function inspect(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({ args, options: { json: { type: "boolean" } }, allowPositionals: true });
  const file = onePositional(positionals, "inspect");
  const name = displayName(file);
  const routed = await routeInput(file, io); // Xen's formats: their records, and whether they import
  if ("xen" in routed) return inspectXenInput(routed.xen, values.json === true, io);
  const report = await inspectFile(file, routed.io);
  io.out(values.json ? stringify(report) : formatInspect(report, name));
  for (const p of report.problems) io.err(`xenimage: ${name}: ${p}`);
  return report.problems.length === 0 ? EXIT.ok : EXIT.invalid;
}
