import { execFile } from "node:child_process";
import type { ElfSection } from "../../interop/elf/index.js";

/** GNU readelf, run with the C locale so its output is the English we parse. */
export function readelf(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile("readelf", args, { env: { ...process.env, LC_ALL: "C" }, maxBuffer: 64 << 20 }, (error, stdout, stderr) => {
      if (error !== null && typeof (error as NodeJS.ErrnoException).code === "string") {
        reject(error); // readelf itself could not be started
        return;
      }
      resolve({ code: error === null ? 0 : ((error as { code?: number }).code ?? 1), stdout, stderr });
    });
  });
}

/** One row of `readelf -S -W`. `head` is the name and the type, as printed (the name may be followed by spaces). */
export interface ReadelfRow {
  readonly index: number;
  readonly head: string;
  readonly address: bigint;
  readonly offset: bigint;
  readonly size: bigint;
  readonly entsize: bigint;
  readonly flags: string;
  readonly link: number;
  readonly info: number;
  readonly align: bigint;
}

/** What `readelf -S -W` printed: the count and offset it announced, and the rows. */
export interface ReadelfSections {
  readonly count: number | undefined;
  readonly tableOffset: bigint | undefined;
  readonly noSections: boolean;
  readonly rows: readonly ReadelfRow[];
  /** Lines that looked like rows but did not parse (a parse failure must not go unnoticed). */
  readonly unparsed: readonly string[];
}

const ROW = /^\s*\[\s*(\d+)\]\s(.*)$/;
// Address, offset, size and entry size in hex; the flag letters (maybe none); link, info and alignment in decimal.
const TAIL = /^(.*?)\s+([0-9a-f]+)\s+([0-9a-f]+)\s+([0-9a-f]+)\s+([0-9a-f]+)\s+([A-Za-z]*)\s+(\d+)\s+(\d+)\s+(\d+)$/;

/** Parses `readelf -S -W` output. */
export function parseSections(stdout: string): ReadelfSections {
  const rows: ReadelfRow[] = [];
  const unparsed: string[] = [];
  let count: number | undefined;
  let tableOffset: bigint | undefined;
  const announced = /There (?:are|is) (\d+) section headers?, starting at offset (0x[0-9a-f]+):/.exec(stdout);
  if (announced !== null) {
    count = Number(announced[1]);
    tableOffset = BigInt(announced[2]!);
  }
  for (const line of stdout.split("\n")) {
    const m = ROW.exec(line);
    if (m === null) continue;
    const t = TAIL.exec(m[2]!);
    if (t === null) {
      unparsed.push(line);
      continue;
    }
    rows.push({
      index: Number(m[1]),
      head: t[1]!,
      address: BigInt(`0x${t[2]}`),
      offset: BigInt(`0x${t[3]}`),
      size: BigInt(`0x${t[4]}`),
      entsize: BigInt(`0x${t[5]}`),
      flags: t[6]!,
      link: Number(t[7]),
      info: Number(t[8]),
      align: BigInt(t[9]!),
    });
  }
  return { count, tableOffset, noSections: /There are no sections in this file/.test(stdout), rows, unparsed };
}

/** readelf's names of section types (binutils' get_section_type_name), for the types these tests meet. */
const TYPE_NAMES: Record<string, number> = {
  NULL: 0,
  PROGBITS: 1,
  SYMTAB: 2,
  STRTAB: 3,
  RELA: 4,
  HASH: 5,
  DYNAMIC: 6,
  NOTE: 7,
  NOBITS: 8,
  REL: 9,
  SHLIB: 10,
  DYNSYM: 11,
  INIT_ARRAY: 14,
  FINI_ARRAY: 15,
  PREINIT_ARRAY: 16,
  GROUP: 17,
  "SYMTAB SECTION INDICES": 18,
  RELR: 19,
  GNU_SFRAME: 0x6ffffff4,
  GNU_ATTRIBUTES: 0x6ffffff5,
  GNU_HASH: 0x6ffffff6,
  GNU_LIBLIST: 0x6ffffff7,
  CHECKSUM: 0x6ffffff8,
  VERDEF: 0x6ffffffd,
  VERNEED: 0x6ffffffe,
  VERSYM: 0x6fffffff,
  LLVM_ADDRSIG: 0x6fff4c03,
  X86_64_UNWIND: 0x70000001,
  ARM_EXIDX: 0x70000001,
  ARM_ATTRIBUTES: 0x70000003,
  AARCH64_ATTRIBUTES: 0x70000003,
  RISCV_ATTRIBUTES: 0x70000003,
};

/** The sh_type value of a readelf type name, or undefined for a name this table does not know. */
export function typeValue(name: string): number | undefined {
  if (name in TYPE_NAMES) return TYPE_NAMES[name];
  const rel = /^(LOOS|LOPROC|LOUSER)\+0x([0-9a-f]+)$/.exec(name);
  if (rel !== null) return { LOOS: 0x60000000, LOPROC: 0x70000000, LOUSER: 0x80000000 }[rel[1] as "LOOS"] + parseInt(rel[2]!, 16);
  const raw = /^(?:<unknown>: )?(?:0x)?([0-9a-f]+)$/.exec(name);
  return raw === null ? undefined : parseInt(raw[1]!, 16);
}

/** readelf's flag letters with a single meaning (the x86_64 'l' included), and their sh_flags bits. */
const FLAG_LETTERS: Record<string, bigint> = {
  W: 0x1n,
  A: 0x2n,
  X: 0x4n,
  M: 0x10n,
  S: 0x20n,
  I: 0x40n,
  L: 0x80n,
  O: 0x100n,
  G: 0x200n,
  T: 0x400n,
  C: 0x800n,
  R: 0x200000n,
  D: 0x1000000n,
  l: 0x10000000n,
  E: 0x80000000n,
};

/**
 * Compares one readelf row with our decoder's section; returns the disagreements. The flags must be the
 * same bits: every letter readelf prints is one of ours, and every bit of ours is one readelf names (bits it
 * has no letter for show as 'x', 'o' or 'p').
 */
export function compareRow(row: ReadelfRow, ours: ElfSection | undefined): string[] {
  if (ours === undefined) return [`[${row.index}]: readelf has this row, our decoder has no such section`];
  const out: string[] = [];
  const h = ours.header;
  const where = `[${row.index}] ${ours.name}`;
  if (!row.head.startsWith(ours.name) || (ours.name !== "" && row.head.length > ours.name.length && !/\s/.test(row.head[ours.name.length]!))) {
    out.push(`${where}: readelf's name and type "${row.head}" do not start with our name`);
  } else {
    const typeName = row.head.slice(ours.name.length).trim();
    const value = typeValue(typeName);
    if (value === undefined) out.push(`${where}: readelf type name "${typeName}" is not in the test's table`);
    else if (value !== h.shType) out.push(`${where}: type ${typeName} (${value.toString(16)}) vs ours ${h.shType.toString(16)}`);
  }
  const num = (what: string, theirs: bigint, mine: bigint) => {
    if (theirs !== mine) out.push(`${where}: ${what} readelf ${theirs.toString(16)} vs ours ${mine.toString(16)}`);
  };
  num("address", row.address, h.shAddr);
  num("offset", row.offset, h.shOffset);
  num("size", row.size, h.shSize);
  num("entsize", row.entsize, h.shEntsize);
  num("link", BigInt(row.link), BigInt(h.shLink));
  num("info", BigInt(row.info), BigInt(h.shInfo));
  num("align", row.align, h.shAddralign);
  let named = 0n;
  for (const letter of row.flags) {
    const bit = FLAG_LETTERS[letter];
    if (bit !== undefined) {
      named |= bit;
      if ((h.shFlags & bit) === 0n) out.push(`${where}: readelf flag ${letter} but our sh_flags ${h.shFlags.toString(16)} lacks bit ${bit.toString(16)}`);
    }
  }
  const rest = h.shFlags & ~named;
  const hasOther = /[xop]/.test(row.flags);
  if (rest !== 0n && !hasOther) out.push(`${where}: our sh_flags ${h.shFlags.toString(16)} has bits ${rest.toString(16)} readelf shows no letter for (flags "${row.flags}")`);
  if (rest === 0n && hasOther) out.push(`${where}: readelf flags "${row.flags}" name bits our sh_flags ${h.shFlags.toString(16)} lacks`);
  return out;
}

/** Compares `readelf -S -W` output with our decoder's sections of the same file. */
export function compareSections(stdout: string, sections: readonly ElfSection[], shoff: bigint): string[] {
  const parsed = parseSections(stdout);
  const out = parsed.unparsed.map((l) => `unparsed readelf line: ${l}`);
  if (parsed.noSections) {
    if (sections.length !== 0) out.push(`readelf says there are no sections, our decoder has ${sections.length}`);
    return out;
  }
  if (parsed.count !== sections.length) out.push(`readelf announces ${String(parsed.count)} section headers, our decoder has ${sections.length}`);
  if (parsed.tableOffset !== shoff) out.push(`readelf's table offset ${String(parsed.tableOffset)} vs our e_shoff ${shoff}`);
  if (parsed.rows.length !== sections.length) out.push(`readelf printed ${parsed.rows.length} rows, our decoder has ${sections.length} sections`);
  for (const row of parsed.rows) out.push(...compareRow(row, sections[row.index]));
  return out;
}
