/**
 * Xen's own formats as inputs of `inspect`, `verify`, `dump` and `pages`: libxc and libxl streams, xl
 * save files and dump-core ELF files, detected as `convert` detects them. `inspect` lists their records
 * (or ELF sections) and whether they import; `verify` imports them with every check Xen's restorers
 * make; `dump` and `pages` work on the image they import to. A legacy (pre-4.6) stream is refused with a
 * one-line hint to convert it with Xen's convert-legacy-stream. These inputs are read whole, as the
 * importers work in memory.
 */
import { decodeImage, encodeImage, type Image, type ImageInit } from "../generated/index.js";
import { detectXenFormat, DETECT_BYTES } from "../interop/detect.js";
import { importDumpCore } from "../interop/dump-core/index.js";
import { importXenStream } from "../interop/xen-stream/index.js";
import { DecodeError, hex } from "../runtime/index.js";
import { EXIT, inFile } from "./errors.js";
import { HEAD, layoutOf, peekInput, readAll } from "./input-source.js";
import { displayName, type Io } from "./io.js";
import { xenReport, type XenInput, type XenReport } from "./xen-report.js";
import { stringify } from "./json.js";

export type { XenInput } from "./xen-report.js";

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
