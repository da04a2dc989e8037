/**
 * Xen's own formats as inputs of `inspect`, `verify`, `dump` and `pages`: libxc and libxl streams, xl
 * save files and dump-core ELF files, detected as `convert` detects them. `inspect` lists their records
 * (or ELF sections) and whether they import; `verify` imports them with every check Xen's restorers
 * make; `dump` and `pages` work on the image they import to. A legacy (pre-4.6) stream is refused with a
 * one-line hint to convert it with Xen's convert-legacy-stream. These inputs are read whole, as the
 * importers work in memory.
 */
import { decodeImage, encodeImage, type Image, type ImageInit, ImageTypeNames, GuestTypeNames, ArchNames, verifyImage } from "../generated/index.js";
import { DomainTypeNames } from "../generated/xen_libxc/index.js";
import { detectXenFormat, DETECT_BYTES, type XenFormat } from "../interop/detect.js";
import { decodeElf, type ElfBytes } from "../interop/elf/index.js";
import { importDumpCore } from "../interop/dump-core/index.js";
import { importXenStream, readXenStream, recordTypeName, type XenStream } from "../interop/xen-stream/index.js";
import { DecodeError, hex, XenImageError } from "../runtime/index.js";
import { EXIT, inFile } from "./errors.js";
import { HEAD, layoutOf, peekInput, readAll } from "./input-source.js";
import { displayName, type Io } from "./io.js";
import { problemOf, ruleProblem, type Problem } from "./problem.js";
import { stringify } from "./json.js";

/** A Xen-format input, read whole. */
export interface XenInput {
  /** The name messages show (`<stdin>` for `-`). */
  readonly name: string;
  readonly format: Exclude<XenFormat, { kind: "legacy" }>;
  readonly bytes: Uint8Array;
}

/** Where a command goes on: with a Xen input, or with its own path (the Io still has every input byte). */
export type RoutedInput = { readonly xen: XenInput } | { readonly io: Io };

/**
 * Looks at the first bytes of `file` (or standard input): a Xen format is read whole and returned; a
 * legacy stream is a DecodeError whose message is the hint; anything else (our images, and bytes no
 * format claims, which the command's own reader then reports) goes back to the command, with an Io whose
 * standard input replays what was looked at.
 */
export async function routeInput(file: string, io: Io): Promise<RoutedInput> {
  const name = displayName(file);
  const input = await peekInput(file, io, Math.max(HEAD, DETECT_BYTES));
  try {
    const format = layoutOf(input.head) === undefined ? detectXenFormat(input.head) : undefined;
    // A file is opened again by the command; standard input goes on from the bytes looked at.
    if (format === undefined) return { io: file === "-" ? { ...io, stdin: input.chunks() } : io };
    if (format.kind === "legacy") throw inFile(new DecodeError("unsupported", format.hint, { offset: 0 }), name);
    return { xen: { name, format, bytes: await readAll(input) } };
  } finally {
    await input.close();
  }
}

/** The image a Xen input imports to (a DecodeError naming the file when it does not). */
export function importXenInput(input: XenInput): ImageInit {
  try {
    return input.format.kind === "dump-core" ? importDumpCore(input.bytes) : importXenStream(input.bytes);
  } catch (e) {
    throw inFile(e, input.name);
  }
}

/** The image a Xen input imports to, as `dump` and `pages` read images (header fields filled in). */
export function xenInputImage(input: XenInput): Image {
  return decodeImage(encodeImage(importXenInput(input)));
}

/** What `inspect` and `verify` say about a Xen input. */
interface XenReport {
  readonly file: string;
  readonly format: string;
  readonly description: string;
  readonly headers: readonly string[];
  readonly records: readonly { index: number; layer: string; type: number; name: string; offset: number; length: number }[];
  readonly sections: readonly { index: number; name: string; type: number; offset: bigint; size: bigint; entrySize: bigint }[];
  /** What the input imports to, when it does. */
  readonly image: { imageType: string; guestType: string; arch: string; sections: number } | undefined;
  readonly problems: readonly Problem[];
}

const DOMAIN_TYPES: Record<number, string> = { 1: "x86 PV", 2: "x86 HVM" };

function domainName(type: number): string {
  return `${DOMAIN_TYPES[type] ?? DomainTypeNames.get(type) ?? "unknown"} (${type})`;
}

function xenStreamParts(stream: XenStream): Pick<XenReport, "description" | "headers" | "records"> {
  const d = stream.domain;
  const what = stream.layer === "xl" ? "Xen xl save file" : stream.layer === "libxl" ? "Xen libxl migration stream" : "Xen libxc migration stream";
  const headers: string[] = [];
  if (stream.xl !== undefined) {
    const flags = stream.xl.mandatoryFlags;
    const names = [flags & 1 ? "JSON" : "", flags & 2 ? "STREAMv2" : ""].filter((n) => n !== "").join(", ");
    headers.push(`xl:     mandatory flags ${hex(flags)}${names === "" ? "" : ` (${names})`}, optional flags ${hex(stream.xl.optionalFlags)}, optional data ${stream.xl.optionalData.length} bytes`);
  }
  if (stream.libxlOptions !== undefined) headers.push(`libxl:  version 2, options ${hex(stream.libxlOptions)}${stream.libxlOptions & 2 ? " (converted from a legacy stream)" : ""}`);
  headers.push(`libxc:  version ${stream.libxcVersion}, little-endian; domain type ${domainName(d.type)}, page_shift ${d.pageShift}, ${d.xenMajor === 0 ? `converted from a legacy stream (converter version ${d.xenMinor})` : `Xen ${d.xenMajor}.${d.xenMinor}`}`);
  return {
    description: `${what} (libxc stream version ${stream.libxcVersion}) of an ${DOMAIN_TYPES[d.type] ?? domainName(d.type)} guest`,
    headers,
    records: stream.records.map((r) => ({ index: r.index, layer: r.layer, type: r.type >>> 0, name: recordTypeName(r.layer, r.type), offset: r.offset, length: r.body.length })),
  };
}

function dumpCoreParts(elf: ElfBytes): Pick<XenReport, "description" | "headers" | "sections"> {
  return {
    description: `Xen dump-core file (ELF${elf.elfClass}, ${elf.littleEndian ? "little" : "big"}-endian, e_machine ${elf.header.eMachine})`,
    headers: [`ELF:    type ${elf.header.eType}, ${elf.sections.length} section headers at ${hex(elf.header.eShoff)}`],
    sections: elf.sections.map((s) => ({ index: s.index, name: s.name, type: s.header.shType, offset: s.header.shOffset, size: s.header.shSize, entrySize: s.header.shEntsize })),
  };
}

/** Reads the input's framing (records or ELF sections), then imports it: every problem is listed. */
function xenReport(input: XenInput): XenReport {
  const problems: Problem[] = [];
  let parts: Partial<XenReport> = { description: input.format.kind === "dump-core" ? "Xen dump-core file" : "Xen stream", headers: [], records: [], sections: [] };
  try {
    parts = { ...parts, ...(input.format.kind === "dump-core" ? dumpCoreParts(decodeElf(input.bytes)) : xenStreamParts(readXenStream(input.bytes))) };
  } catch (e) {
    if (!(e instanceof XenImageError)) throw e;
    problems.push(problemOf(e));
  }
  let image: XenReport["image"];
  if (problems.length === 0) {
    try {
      const imported = input.format.kind === "dump-core" ? importDumpCore(input.bytes) : importXenStream(input.bytes);
      const h = imported.header;
      image = {
        imageType: ImageTypeNames.get(h.imageType) ?? String(h.imageType),
        guestType: GuestTypeNames.get(h.guestType) ?? String(h.guestType),
        arch: ArchNames.get(h.arch) ?? String(h.arch),
        sections: imported.sections.length,
      };
      for (const v of verifyImage(imported)) problems.push(ruleProblem(v));
    } catch (e) {
      if (!(e instanceof XenImageError)) throw e;
      problems.push(problemOf(e));
    }
  }
  const format = input.format.kind === "dump-core" ? "xen-dump-core" : `xen-${input.format.layer}`;
  return { file: input.name, format, description: parts.description!, headers: parts.headers!, records: parts.records!, sections: parts.sections!, image, problems };
}

function pad(text: string, width: number, right = false): string {
  return right ? text.padStart(width) : text.padEnd(width);
}

function formatReport(r: XenReport): string {
  const lines = [`${r.file}: ${r.description}`, "", "Headers:", ...r.headers.map((h) => `  ${h}`)];
  if (r.records.length > 0) {
    lines.push("", "Records:", `  ${pad("[Nr]", 6)} ${pad("Layer", 6)} ${pad("Type", 26)} ${pad("Offset", 12)} ${pad("Length", 10, true)}`);
    for (const rec of r.records) lines.push(`  ${pad(`[${rec.index}]`, 6)} ${pad(rec.layer, 6)} ${pad(rec.name, 26)} ${pad(hex(rec.offset), 12)} ${pad(String(rec.length), 10, true)}`);
  }
  if (r.sections.length > 0) {
    lines.push("", "ELF sections:", `  ${pad("[Nr]", 5)} ${pad("Name", 18)} ${pad("Type", 6)} ${pad("Offset", 12)} ${pad("Size", 12, true)} ${pad("EntSize", 8, true)}`);
    for (const s of r.sections) lines.push(`  ${pad(`[${s.index}]`, 5)} ${pad(s.name, 18)} ${pad(String(s.type), 6)} ${pad(hex(s.offset), 12)} ${pad(String(s.size), 12, true)} ${pad(String(s.entrySize), 8, true)}`);
  }
  lines.push("");
  if (r.image !== undefined && r.problems.length === 0) {
    lines.push(`Imports as a ${r.image.imageType} image of an ${r.image.arch} ${r.image.guestType} guest with ${r.image.sections} sections; every image-type rule holds`);
  } else {
    lines.push(`Does not import: ${r.problems.length} problem${r.problems.length === 1 ? "" : "s"} (below)`);
  }
  return lines.join("\n");
}

/** `inspect` of a Xen input: its headers and records (or ELF sections), and whether it imports. */
export function inspectXenInput(input: XenInput, json: boolean, io: Io): number {
  const report = xenReport(input);
  io.out(json ? stringify(report) : formatReport(report));
  for (const p of report.problems) io.err(`xenimage: ${input.name}: ${p.message}`);
  return report.problems.length === 0 ? EXIT.ok : EXIT.invalid;
}

/** `verify` of a Xen input: it imports with every check Xen's restorers make, to an image our rules accept. */
export function verifyXenInput(input: XenInput, json: boolean, io: Io): number {
  const { problems, format } = xenReport(input);
  if (json) io.out(JSON.stringify({ file: input.name, format, valid: problems.length === 0, problems }, null, 2));
  else if (problems.length === 0) io.out(`${input.name}: ok (${format})`);
  else for (const p of problems) io.err(`xenimage: ${input.name}: ${p.message}`);
  return problems.length === 0 ? EXIT.ok : EXIT.invalid;
}
