/**
 * What `inspect` and `verify` say about one of Xen's formats (and what the docs' inspector shows of
 * one): its headers, its records or ELF sections, and whether it imports. Pure and browser-safe: the
 * input is bytes already read.
 */
import { type ImageInit, ImageTypeNames, GuestTypeNames, ArchNames, verifyImage } from "../generated/index.js";
import { DomainTypeNames } from "../generated/xen_libxc/index.js";
import type { XenFormat } from "../interop/detect.js";
import { decodeElf, type ElfBytes } from "../interop/elf/index.js";
import { importDumpCore } from "../interop/dump-core/index.js";
import { importXenStream, readXenStream, recordTypeName, type XenStream } from "../interop/xen-stream/index.js";
import { hex, XenImageError } from "../runtime/index.js";
import { problemOf, ruleProblem, type Problem } from "./problem.js";

/** A Xen-format input, read whole. */
export interface XenInput {
  /** The name messages show (`<stdin>` for `-`). */
  readonly name: string;
  readonly format: Exclude<XenFormat, { kind: "legacy" }>;
  readonly bytes: Uint8Array;
}

/** What `inspect` and `verify` say about a Xen input. */
export interface XenReport {
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
export function xenReport(input: XenInput): XenReport {
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

