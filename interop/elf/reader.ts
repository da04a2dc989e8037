/**
 * Reading ELF files: the file header, the section header table and the section names, for both classes
 * (ELF32, ELF64) and both byte orders. The layouts are the generated codecs of `schema/elf/elf.yaml`; this
 * module only decides what to read where, resolves ELF's extended section numbering and checks every offset
 * against the file's size, so bad input is a DecodeError that names the header, the section and the offset.
 *
 * Nothing here needs the whole file: {@link planElf} works from the first bytes, then from the section header
 * table, then from the name table, so a file reader (`./file.ts`) reads just those. {@link decodeElf} does
 * the same over bytes already in memory, and its section data are views of them.
 */
import {
  decodeElf32Ehdr,
  decodeElf32Shdr,
  decodeElf64Ehdr,
  decodeElf64Shdr,
  decodeElfIdent,
  ELF32_EHDR_SIZE,
  ELF32_SHDR_SIZE,
  ELF64_EHDR_SIZE,
  ELF64_SHDR_SIZE,
  ELF_IDENT_SIZE,
  ElfClass,
  ElfData,
  SectionType,
  type Elf64Ehdr,
  type Elf64Shdr,
  type ElfIdent,
} from "../../generated/elf/index.js";
import { ByteReader, DecodeError, hex, type DecodeErrorCode } from "../../runtime/index.js";

/** SHN_XINDEX: e_shstrndx says the real index is in section header 0's sh_link. */
export const SHN_XINDEX = 0xffff;
/** The first reserved section index (SHN_LORESERVE); e_shnum and e_shstrndx hold only smaller values. */
export const SHN_LORESERVE = 0xff00;

/** One section: its index in the table, its name from the section-name string table, and its header. */
export interface ElfSection {
  readonly index: number;
  /** The name, "" for a section without one (header 0) or when the file has no name table. */
  readonly name: string;
  /** The header as decoded; an ELF32 header is widened to the ELF64 field types (same names, bigints). */
  readonly header: Elf64Shdr;
}

/** What an ELF file's headers say. ELF32 headers are widened to the ELF64 layout's types. */
export interface ElfFile {
  readonly elfClass: 32 | 64;
  readonly littleEndian: boolean;
  readonly header: Elf64Ehdr;
  /** The file's size in bytes. */
  readonly fileSize: number;
  /** The index of the section-name table after extended numbering (0: none). */
  readonly shstrndx: number;
  /** Every section header in table order, header 0 included. */
  readonly sections: readonly ElfSection[];
  /** The first section with this name. */
  section(name: string): ElfSection | undefined;
}

/** `section header 3 (.xen_pages)`: how messages name a section header. */
export function sectionLabel(index: number, name?: string): string {
  return name === undefined || name === "" ? `section header ${index}` : `section header ${index} (${name})`;
}

function fail(code: DecodeErrorCode, reason: string, offset?: number, section?: string, path?: string): never {
  throw new DecodeError(code, reason, { ...(offset === undefined ? {} : { offset }), ...(section === undefined ? {} : { section }), ...(path === undefined ? {} : { path }) });
}

/** A bigint offset or size as a number, or a DecodeError when it cannot be one (beyond 2^53). */
function toNumber(v: bigint, what: string, offset: number, section?: string): number {
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) fail("out-of-range", `${what} ${hex(v)} is too large`, offset, section);
  return Number(v);
}

/** How the file header starts: class and byte order, which decide how everything else is read. */
export interface ElfIdentInfo {
  readonly ident: ElfIdent;
  readonly elfClass: 32 | 64;
  readonly littleEndian: boolean;
  /** The size of the class's file header (52 or 64). */
  readonly headerSize: number;
  /** The size of the class's section header (40 or 64). */
  readonly shdrSize: number;
}

/** Reads e_ident from the first bytes of a file; rejects a wrong magic, an unknown class or byte order. */
export function decodeElfIdentInfo(first: Uint8Array): ElfIdentInfo {
  if (first.length < ELF_IDENT_SIZE) fail("truncated", `an ELF file starts with a ${ELF_IDENT_SIZE}-byte e_ident, the file has ${first.length} bytes`, 0, undefined, "e_ident");
  const r = new ByteReader(first);
  const ident = decodeElfIdent(r, 0);
  const path = "e_ident";
  let elfClass: 32 | 64;
  if (ident.class === ElfClass.elf64) elfClass = 64;
  else if (ident.class === ElfClass.elf32) elfClass = 32;
  else fail("unsupported", `EI_CLASS ${ident.class} is neither ELFCLASS32 (1) nor ELFCLASS64 (2)`, 4, undefined, `${path}.class`);
  let littleEndian: boolean;
  if (ident.data === ElfData.lsb) littleEndian = true;
  else if (ident.data === ElfData.msb) littleEndian = false;
  else fail("unsupported", `EI_DATA ${ident.data} is neither ELFDATA2LSB (1) nor ELFDATA2MSB (2)`, 5, undefined, `${path}.data`);
  return {
    ident,
    elfClass,
    littleEndian,
    headerSize: elfClass === 64 ? ELF64_EHDR_SIZE : ELF32_EHDR_SIZE,
    shdrSize: elfClass === 64 ? ELF64_SHDR_SIZE : ELF32_SHDR_SIZE,
  };
}

/** Decodes the whole file header (52 or 64 bytes) in the file's class and byte order, widened to Elf64_Ehdr. */
export function decodeElfHeader(first: Uint8Array): { readonly info: ElfIdentInfo; readonly header: Elf64Ehdr } {
  const info = decodeElfIdentInfo(first);
  if (first.length < info.headerSize) {
    fail("truncated", `an ELF${info.elfClass} file header is ${info.headerSize} bytes, the file has ${first.length}`, 0);
  }
  const r = new ByteReader(first, { littleEndian: info.littleEndian });
  if (info.elfClass === 64) return { info, header: decodeElf64Ehdr(r, 0) };
  const h = decodeElf32Ehdr(r, 0);
  return {
    info,
    header: {
      ...h,
      eEntry: BigInt(h.eEntry),
      ePhoff: BigInt(h.ePhoff),
      eShoff: BigInt(h.eShoff),
    },
  };
}

/** Where the section header table is, once extended numbering is resolved. */
export interface SectionTableExtent {
  readonly offset: number;
  readonly count: number;
  readonly entrySize: number;
}

/**
 * The plan for reading an ELF file's sections in three steps, each from bytes the caller fetched: the file
 * header, then (when extended numbering needs it) section header 0, then the table, then the name table.
 */
export class ElfPlan {
  readonly info: ElfIdentInfo;
  readonly header: Elf64Ehdr;
  readonly fileSize: number;
  private constructor(info: ElfIdentInfo, header: Elf64Ehdr, fileSize: number) {
    this.info = info;
    this.header = header;
    this.fileSize = fileSize;
  }

  /** Starts from the file's first bytes (at least the file header; 64 bytes suffice for both classes). */
  static start(first: Uint8Array, fileSize: number): ElfPlan {
    const { info, header } = decodeElfHeader(first);
    return new ElfPlan(info, header, fileSize);
  }

  /** The table's offset, or undefined when the file has no section header table (e_shoff 0). */
  get tableOffset(): number | undefined {
    if (this.header.eShoff === 0n) return undefined;
    return toNumber(this.header.eShoff, "e_shoff", this.info.elfClass === 64 ? 0x28 : 0x20);
  }

  /** Whether section header 0 must be read first (the count or the name table's index is there). */
  get needsFirstHeader(): boolean {
    return this.tableOffset !== undefined && (this.header.eShnum === 0 || this.header.eShstrndx === SHN_XINDEX);
  }

  /** The bytes of one section header, for {@link needsFirstHeader}: offset and length. */
  get firstHeaderRange(): { readonly offset: number; readonly length: number } {
    return { offset: this.tableOffset ?? 0, length: this.entrySize() };
  }

  private entrySize(): number {
    const size = this.header.eShentsize;
    if (size < this.info.shdrSize) {
      fail("invalid", `e_shentsize ${size} is smaller than an ELF${this.info.elfClass} section header (${this.info.shdrSize} bytes)`, this.info.elfClass === 64 ? 0x3a : 0x2e, undefined, "e_shentsize");
    }
    return size;
  }

  private decodeHeaderAt(bytes: Uint8Array, at: number, base: number): Elf64Shdr {
    const r = new ByteReader(bytes, { littleEndian: this.info.littleEndian, base });
    if (this.info.elfClass === 64) return decodeElf64Shdr(r, at);
    const s = decodeElf32Shdr(r, at);
    return {
      ...s,
      shFlags: BigInt(s.shFlags),
      shAddr: BigInt(s.shAddr),
      shOffset: BigInt(s.shOffset),
      shSize: BigInt(s.shSize),
      shAddralign: BigInt(s.shAddralign),
      shEntsize: BigInt(s.shEntsize),
    };
  }

  /**
   * Where the table is and how many headers it has; `first` is section header 0's bytes when
   * {@link needsFirstHeader} said so. Checks that the whole table lies inside the file.
   */
  extent(first?: Uint8Array): SectionTableExtent & { readonly shstrndx: number } {
    const offset = this.tableOffset;
    if (offset === undefined) {
      return { offset: 0, count: 0, entrySize: this.header.eShentsize, shstrndx: this.header.eShstrndx === SHN_XINDEX ? 0 : this.header.eShstrndx };
    }
    const entrySize = this.entrySize();
    let count = this.header.eShnum;
    let shstrndx = this.header.eShstrndx;
    if (this.needsFirstHeader) {
      if (offset + entrySize > this.fileSize) {
        fail("truncated", `section header 0 at ${hex(offset)} (read for extended numbering) runs past the end of the file (${hex(this.fileSize)} bytes)`, offset, undefined, "e_shoff");
      }
      if (first === undefined || first.length < entrySize) throw new Error("ElfPlan.extent: section header 0's bytes are needed");
      const zero = this.decodeHeaderAt(first, 0, offset);
      if (count === 0) count = toNumber(zero.shSize, "section header 0's sh_size (the extended section count)", offset + (this.info.elfClass === 64 ? 32 : 20));
      if (shstrndx === SHN_XINDEX) shstrndx = zero.shLink;
    }
    const end = offset + count * entrySize;
    if (!Number.isSafeInteger(end) || end > this.fileSize) {
      fail("truncated", `the section header table (${count} × ${entrySize} bytes at ${hex(offset)}) runs past the end of the file (${hex(this.fileSize)} bytes)`, offset, undefined, "e_shoff");
    }
    if (count > 0 && shstrndx >= count) {
      fail("invalid", `e_shstrndx ${shstrndx} names no section (the file has ${count})`, this.info.elfClass === 64 ? 0x3e : 0x32, undefined, "e_shstrndx");
    }
    return { offset, count, entrySize, shstrndx };
  }

  /** Decodes the section header table from its bytes (exactly `count × entrySize` of them). */
  sectionHeaders(table: Uint8Array, extent: SectionTableExtent): Elf64Shdr[] {
    const out: Elf64Shdr[] = [];
    for (let i = 0; i < extent.count; i++) {
      try {
        out.push(this.decodeHeaderAt(table, i * extent.entrySize, extent.offset));
      } catch (e) {
        throw e instanceof DecodeError ? e.within({ section: sectionLabel(i) }) : e;
      }
    }
    return out;
  }

  /** Where a section's bytes are, checked against the file size (SHT_NOBITS sections have none). */
  dataRange(header: Elf64Shdr, index: number, name?: string, label = sectionLabel(index, name)): { readonly offset: number; readonly length: number } {
    const tableAt = (this.tableOffset ?? 0) + index * this.header.eShentsize;
    if (header.shType === SectionType.nobits) return { offset: toNumber(header.shOffset, `${label}: sh_offset`, tableAt, name), length: 0 };
    const offset = header.shOffset;
    const size = header.shSize;
    if (offset > BigInt(this.fileSize)) {
      fail("truncated", `${label}: offset ${hex(offset)} is past the end of the file (${hex(this.fileSize)} bytes)`, tableAt, name, "sh_offset");
    }
    if (offset + size > BigInt(this.fileSize)) {
      fail("truncated", `${label}: its ${hex(size)} bytes at ${hex(offset)} run past the end of the file (${hex(this.fileSize)} bytes)`, tableAt, name, "sh_size");
    }
    return { offset: Number(offset), length: Number(size) };
  }

  /** Names the sections from the bytes of the section-name table (undefined when the file has none). */
  nameSections(headers: readonly Elf64Shdr[], shstrndx: number, strtab: Uint8Array | undefined): ElfSection[] {
    const strtabAt = shstrndx > 0 && headers[shstrndx] !== undefined ? Number(headers[shstrndx]!.shOffset) : 0;
    return headers.map((header, index) => {
      if (strtab === undefined || (header.shName === 0 && index === 0)) return { index, name: "", header };
      return { index, name: readName(strtab, header.shName, index, strtabAt), header };
    });
  }

  /** The range of the section-name table, or undefined when the file has none. */
  strtabRange(headers: readonly Elf64Shdr[], shstrndx: number): { readonly offset: number; readonly length: number } | undefined {
    if (shstrndx === 0 || headers[shstrndx] === undefined) return undefined;
    const h = headers[shstrndx]!;
    if (h.shType === SectionType.nobits) fail("invalid", `${sectionLabel(shstrndx)}: the section-name table is SHT_NOBITS and has no bytes`, undefined, undefined, "e_shstrndx");
    return this.dataRange(h, shstrndx, undefined, `section header ${shstrndx} (the section-name table)`);
  }
}

const utf8 = new TextDecoder("utf-8", { fatal: false });

/** The NUL-terminated string at `at` of a string table. */
export function readName(strtab: Uint8Array, at: number, index: number, strtabOffset = 0): string {
  if (at >= strtab.length) {
    fail("invalid", `${sectionLabel(index)}: sh_name ${hex(at)} is past the end of the section-name table (${hex(strtab.length)} bytes)`, strtabOffset, undefined, "sh_name");
  }
  const end = strtab.indexOf(0, at);
  if (end < 0) fail("invalid", `${sectionLabel(index)}: the name at ${hex(at)} of the section-name table has no terminating NUL`, strtabOffset + at, undefined, "sh_name");
  return utf8.decode(strtab.subarray(at, end));
}

/** An ELF file held in memory; section data are views of its bytes. */
export class ElfBytes implements ElfFile {
  readonly bytes: Uint8Array;
  readonly plan: ElfPlan;
  readonly elfClass: 32 | 64;
  readonly littleEndian: boolean;
  readonly header: Elf64Ehdr;
  readonly fileSize: number;
  readonly shstrndx: number;
  readonly sections: readonly ElfSection[];

  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
    const plan = ElfPlan.start(bytes.subarray(0, ELF64_EHDR_SIZE), bytes.length);
    this.plan = plan;
    this.elfClass = plan.info.elfClass;
    this.littleEndian = plan.info.littleEndian;
    this.header = plan.header;
    this.fileSize = bytes.length;
    const first = plan.needsFirstHeader ? bytes.subarray(plan.firstHeaderRange.offset, plan.firstHeaderRange.offset + plan.firstHeaderRange.length) : undefined;
    const extent = plan.extent(first);
    this.shstrndx = extent.shstrndx;
    const headers = plan.sectionHeaders(bytes.subarray(extent.offset, extent.offset + extent.count * extent.entrySize), extent);
    const range = plan.strtabRange(headers, extent.shstrndx);
    const strtab = range === undefined ? undefined : bytes.subarray(range.offset, range.offset + range.length);
    this.sections = plan.nameSections(headers, extent.shstrndx, strtab);
  }

  section(name: string): ElfSection | undefined {
    return this.sections.find((s) => s.name === name);
  }

  /** A section's bytes, as a view (empty for SHT_NOBITS); a DecodeError when they lie outside the file. */
  data(section: ElfSection): Uint8Array {
    const { offset, length } = this.plan.dataRange(section.header, section.index, section.name);
    return this.bytes.subarray(offset, offset + length);
  }

  /** A reader over a section's bytes in the file's byte order, whose errors name absolute file offsets. */
  reader(section: ElfSection): ByteReader {
    const { offset } = this.plan.dataRange(section.header, section.index, section.name);
    return new ByteReader(this.data(section), { littleEndian: this.littleEndian, base: offset });
  }
}

/** Decodes an ELF file held in memory: its header, section headers and names. */
export function decodeElf(bytes: Uint8Array): ElfBytes {
  return new ElfBytes(bytes);
}
