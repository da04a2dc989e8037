/**
 * A Xen dump-core ELF file → our core image. Sections are found by name, as dump-core-format.txt tells
 * readers to (not by position); the notes, the vcpu contexts, the shared-info page and the pfn table are
 * decoded with the generated codecs, and pages stay views of the file's bytes.
 *
 * The header fields dump-core does not record (domain id, name, uuid) come from the options, or are zero.
 */
import {
  Arch,
  ByteOrder,
  decodeSharedInfoPageArm,
  decodeSharedInfoPageX8632,
  decodeSharedInfoPageX8664,
  decodeVcpuGuestContextArm,
  decodeVcpuGuestContextX8632,
  decodeVcpuGuestContextX8664,
  GuestType,
  ImageType,
  PageType,
  VCPU_GUEST_CONTEXT_ARM_SIZE,
  VCPU_GUEST_CONTEXT_X86_32_SIZE,
  VCPU_GUEST_CONTEXT_X86_64_SIZE,
  type ImageInit,
  type ImageSection,
  type PfnWord,
  type SharedInfoBody,
  type VcpuContextBody,
  type XenVersionBody,
} from "../../generated/index.js";
import {
  decodeXenDumpcoreFormatVersion,
  decodeXenDumpcoreHeader,
  decodeXenDumpcoreP2m,
  decodeXenDumpcorePfn,
  decodeXenDumpcoreXenVersion,
  decodeXenDumpcoreXenVersionX8632,
  ElfMachine,
  ElfType,
  XEN_DUMPCORE_FORMAT_VERSION_SIZE,
  XEN_DUMPCORE_HEADER_SIZE,
  XEN_DUMPCORE_P2M_SIZE,
  XEN_DUMPCORE_PFN_SIZE,
  XEN_DUMPCORE_XEN_VERSION_SIZE,
  XEN_DUMPCORE_XEN_VERSION_X86_32_SIZE,
  XenDumpcoreNoteType,
  XenDumpcoreNoteTypeNames,
  type XenDumpcoreHeader,
} from "../../generated/elf/index.js";
import { ByteReader, DecodeError, hex, NIL_UUID, type DecodeErrorCode } from "../../runtime/index.js";
import { decodeNotes, type ElfNote } from "../elf/notes.js";
import { decodeElf, decodeElfIdentInfo, type ElfBytes, type ElfSection } from "../elf/reader.js";
import { ARM_PSR_MODE_BIT, BATCH_PFNS, INVALID_PFN, MAGIC_HVM, MAGIC_PV, NOTE_NAME, PAGE_SIZE, SECTION } from "./format.js";

/** What the caller knows that a dump-core file does not record. */
export interface ImportDumpCoreOptions {
  /** The domain id (default 0). */
  readonly domainId?: number;
  /** The domain's name (default ""). */
  readonly name?: string;
  /** The domain's handle, in the dashed lower-case form (default the nil uuid, all zeros). */
  readonly uuid?: string;
  /** The guest's memory size (default: the pages the file holds × 4096). */
  readonly memorySize?: bigint;
  /** The number of vcpus (default: the contexts the file holds). */
  readonly vcpuCount?: number;
  /**
   * An ARM guest's width: Xen writes EM_ARM for both, with one vcpu layout. Default: arm32 when vcpu 0's
   * cpsr says AArch32 state (bit 4), arm64 otherwise.
   */
  readonly armArch?: typeof Arch.arm32 | typeof Arch.arm64;
}

/** A dump-core file's notes and table, decoded: what {@link importDumpCore} builds the image from. */
export interface DumpCoreFile {
  readonly elf: ElfBytes;
  readonly header: XenDumpcoreHeader;
  readonly version: XenVersionBody;
  readonly formatVersion: bigint;
  readonly guestType: number;
  readonly arch: number;
  readonly vcpus: VcpuContextBody;
  readonly sharedInfo: SharedInfoBody | undefined;
  /** Per page of .xen_pages: its pfn and, for PV guests, machine frame. */
  readonly table: readonly { readonly pfn: bigint; readonly gmfn?: bigint }[];
  /** .xen_pages' bytes (a view of the file). */
  readonly pages: Uint8Array;
}

function fail(code: DecodeErrorCode, reason: string, offset?: number, section?: string, path?: string): never {
  throw new DecodeError(code, reason, { ...(offset === undefined ? {} : { offset }), ...(section === undefined ? {} : { section }), ...(path === undefined ? {} : { path }) });
}

function sectionNamed(elf: ElfBytes, name: string, required: true): ElfSection;
function sectionNamed(elf: ElfBytes, name: string, required: false): ElfSection | undefined;
function sectionNamed(elf: ElfBytes, name: string, required: boolean): ElfSection | undefined {
  const all = elf.sections.filter((s) => s.name === name);
  if (all.length > 1) fail("invalid", `the file has ${all.length} ${name} sections`, Number(all[1]!.header.shOffset), name);
  if (all.length === 0 && required) fail("missing", `a Xen dump-core file has a ${name} section; this file has none`, undefined, name);
  return all[0];
}

function noteOf(notes: readonly ElfNote[], type: number, size: number | readonly number[]): ElfNote {
  const name = XenDumpcoreNoteTypeNames.get(type) ?? hex(type);
  const found = notes.filter((n) => n.name === NOTE_NAME && n.type === type);
  if (found.length === 0) fail("missing", `.note.Xen has no ${name} note`, undefined, SECTION.note);
  if (found.length > 1) fail("invalid", `.note.Xen has ${found.length} ${name} notes`, found[1]!.offset, SECTION.note);
  const note = found[0]!;
  const sizes = typeof size === "number" ? [size] : size;
  if (!sizes.includes(note.desc.length)) {
    fail("invalid", `the ${name} note's descriptor is ${note.desc.length} bytes, ${sizes.join(" or ")} expected`, note.offset + 4, SECTION.note, `${name}.n_descsz`);
  }
  return note;
}

const reader = (elf: ElfBytes, bytes: Uint8Array, offset: number) => new ByteReader(bytes, { littleEndian: elf.littleEndian, base: offset });

/** Decodes the parts of a dump-core file (notes, vcpu contexts, shared info, pfn table), checking each against the others. */
export function decodeDumpCore(bytes: Uint8Array, options: ImportDumpCoreOptions = {}): DumpCoreFile {
  // Class and byte order first: anything else would be read with the wrong widths or order.
  const ident = decodeElfIdentInfo(bytes.subarray(0, 16));
  if (ident.elfClass !== 64) fail("unsupported", `a Xen dump-core file is ELFCLASS64; this one is ELFCLASS${ident.elfClass}`, 4, undefined, "e_ident.class");
  if (!ident.littleEndian) fail("unsupported", "a big-endian dump-core file: Xen writes them only on little-endian x86 and ARM hosts, whose vcpu layouts are little-endian", 5, undefined, "e_ident.data");
  const elf = decodeElf(bytes);
  const h = elf.header;
  if (h.eType !== ElfType.core) fail("invalid", `e_type ${h.eType} is not ET_CORE (4)`, 0x10, undefined, "e_type");

  // The notes.
  const noteSection = sectionNamed(elf, SECTION.note, true);
  const notes = decodeNotes(elf.data(noteSection), { littleEndian: true, base: Number(noteSection.header.shOffset), section: SECTION.note });
  noteOf(notes, XenDumpcoreNoteType.dumpcore_none, 0);
  const headerNote = noteOf(notes, XenDumpcoreNoteType.dumpcore_header, XEN_DUMPCORE_HEADER_SIZE);
  const header = decodeXenDumpcoreHeader(reader(elf, headerNote.desc, headerNote.descOffset), 0);
  const formatNote = noteOf(notes, XenDumpcoreNoteType.dumpcore_format_version, XEN_DUMPCORE_FORMAT_VERSION_SIZE);
  const formatVersion = decodeXenDumpcoreFormatVersion(reader(elf, formatNote.desc, formatNote.descOffset), 0).version;
  if (formatVersion >> 32n !== 0n) {
    fail("unsupported", `dump-core format version ${formatVersion >> 32n}.${formatVersion & 0xffff_ffffn}: only major version 0 is known`, formatNote.descOffset, SECTION.note, "dumpcore_format_version.version");
  }

  // Guest type, architecture, page size.
  let guestType: number;
  if (header.xchMagic === MAGIC_PV) guestType = GuestType.pv;
  else if (header.xchMagic === MAGIC_HVM) guestType = GuestType.hvm;
  else fail("invalid", `xch_magic ${hex(header.xchMagic)} is neither ${hex(MAGIC_PV)} (PV) nor ${hex(MAGIC_HVM)} (HVM)`, headerNote.descOffset, SECTION.note, "dumpcore_header.xch_magic");
  if (header.xchPageSize !== BigInt(PAGE_SIZE)) {
    fail("unsupported", `xch_page_size ${header.xchPageSize}: only 4096-byte pages are supported`, headerNote.descOffset + 24, SECTION.note, "dumpcore_header.xch_page_size");
  }
  let arch: number;
  const machinePath = "e_machine";
  if (h.eMachine === ElfMachine.x86_64) arch = Arch.x86_64;
  else if (h.eMachine === ElfMachine.i386) {
    if (guestType !== GuestType.pv) fail("invalid", "e_machine EM_386 with the HVM magic: Xen writes EM_386 only for 32-bit PV guests", 0x12, undefined, machinePath);
    arch = Arch.x86_32;
  } else if (h.eMachine === ElfMachine.arm) {
    if (guestType !== GuestType.hvm) fail("invalid", "e_machine EM_ARM with the PV magic: every ARM guest is dumped as an HVM guest", 0x12, undefined, machinePath);
    arch = Arch.arm64; // refined from the vcpu state below
  } else {
    fail("unsupported", `e_machine ${h.eMachine}: Xen writes dump-core files for EM_X86_64 (62), EM_386 (3) and EM_ARM (40)`, 0x12, undefined, machinePath);
  }

  // The hypervisor's version: a 32-bit PV guest's note has the 32-bit layout (1280 bytes from a 64-bit
  // toolstack, 1276 from a 32-bit one).
  const versionNote = noteOf(notes, XenDumpcoreNoteType.dumpcore_xen_version, [XEN_DUMPCORE_XEN_VERSION_SIZE, XEN_DUMPCORE_XEN_VERSION_X86_32_SIZE]);
  const vr = reader(elf, versionNote.desc, versionNote.descOffset);
  let version: XenVersionBody;
  try {
    if (arch === Arch.x86_32 || versionNote.desc.length === XEN_DUMPCORE_XEN_VERSION_X86_32_SIZE) {
      const v = decodeXenDumpcoreXenVersionX8632(vr, 0);
      version = { ...v, virtStart: BigInt(v.virtStart) };
    } else {
      version = decodeXenDumpcoreXenVersion(vr, 0);
    }
  } catch (e) {
    throw e instanceof DecodeError ? e.within({ section: SECTION.note, path: "dumpcore_xen_version" }) : e;
  }

  // vcpu contexts: nr_vcpus slots of sh_entsize bytes.
  const prstatus = sectionNamed(elf, SECTION.prstatus, true);
  const nrVcpus = Number(header.xchNrVcpus);
  const entsize = Number(prstatus.header.shEntsize);
  const layoutSize = arch === Arch.x86_64 ? VCPU_GUEST_CONTEXT_X86_64_SIZE : arch === Arch.x86_32 ? VCPU_GUEST_CONTEXT_X86_32_SIZE : VCPU_GUEST_CONTEXT_ARM_SIZE;
  const prstatusAt = Number(prstatus.header.shOffset);
  if (entsize < layoutSize) {
    fail("invalid", `${SECTION.prstatus}: sh_entsize ${entsize} is smaller than a vcpu context of this guest (${layoutSize} bytes)`, prstatusAt, SECTION.prstatus, "sh_entsize");
  }
  if (BigInt(nrVcpus) !== header.xchNrVcpus || prstatus.header.shSize !== BigInt(nrVcpus) * BigInt(entsize)) {
    fail("invalid", `${SECTION.prstatus}: ${prstatus.header.shSize} bytes, but xch_nr_vcpus ${header.xchNrVcpus} × sh_entsize ${entsize} expected`, prstatusAt, SECTION.prstatus, "sh_size");
  }
  const contexts = elf.data(prstatus);
  const cr = reader(elf, contexts, prstatusAt);
  let vcpus: VcpuContextBody;
  try {
    if (arch === Arch.x86_64) vcpus = Array.from({ length: nrVcpus }, (_, i) => decodeVcpuGuestContextX8664(cr, i * entsize));
    else if (arch === Arch.x86_32) vcpus = Array.from({ length: nrVcpus }, (_, i) => decodeVcpuGuestContextX8632(cr, i * entsize));
    else vcpus = Array.from({ length: nrVcpus }, (_, i) => decodeVcpuGuestContextArm(cr, i * entsize));
  } catch (e) {
    throw e instanceof DecodeError ? e.within({ section: SECTION.prstatus }) : e;
  }
  if (h.eMachine === ElfMachine.arm) {
    const first = (vcpus as { userRegs: { cpsr: bigint } }[])[0];
    arch = options.armArch ?? (first !== undefined && (first.userRegs.cpsr & ARM_PSR_MODE_BIT) !== 0n ? Arch.arm32 : Arch.arm64);
  }

  // The shared-info page.
  const sharedSection = sectionNamed(elf, SECTION.sharedInfo, false);
  let sharedInfo: SharedInfoBody | undefined;
  if (sharedSection !== undefined) {
    const at = Number(sharedSection.header.shOffset);
    if (sharedSection.header.shSize !== BigInt(PAGE_SIZE)) fail("invalid", `${SECTION.sharedInfo}: ${sharedSection.header.shSize} bytes, one ${PAGE_SIZE}-byte page expected`, at, SECTION.sharedInfo, "sh_size");
    const sr = reader(elf, elf.data(sharedSection), at);
    try {
      sharedInfo = arch === Arch.x86_64 ? decodeSharedInfoPageX8664(sr, 0) : arch === Arch.x86_32 ? decodeSharedInfoPageX8632(sr, 0) : decodeSharedInfoPageArm(sr, 0);
    } catch (e) {
      throw e instanceof DecodeError ? e.within({ section: SECTION.sharedInfo }) : e;
    }
  }

  // Pages and their table.
  const nrPages = header.xchNrPages;
  const pagesSection = sectionNamed(elf, SECTION.pages, true);
  const pagesAt = Number(pagesSection.header.shOffset);
  if (pagesSection.header.shSize !== nrPages * BigInt(PAGE_SIZE)) {
    fail("invalid", `${SECTION.pages}: ${pagesSection.header.shSize} bytes, but xch_nr_pages ${nrPages} × ${PAGE_SIZE} expected`, pagesAt, SECTION.pages, "sh_size");
  }
  const pages = elf.data(pagesSection);
  const pv = guestType === GuestType.pv;
  const tableName = pv ? SECTION.p2m : SECTION.pfn;
  const other = sectionNamed(elf, pv ? SECTION.pfn : SECTION.p2m, false);
  if (other !== undefined) fail("invalid", `a${pv ? " PV" : "n HVM"} guest's file has ${tableName}, not ${other.name}`, Number(other.header.shOffset), other.name);
  const tableSection = sectionNamed(elf, tableName, true);
  const entry = pv ? XEN_DUMPCORE_P2M_SIZE : XEN_DUMPCORE_PFN_SIZE;
  const tableAt = Number(tableSection.header.shOffset);
  if (tableSection.header.shSize !== nrPages * BigInt(entry)) {
    fail("invalid", `${tableName}: ${tableSection.header.shSize} bytes, but xch_nr_pages ${nrPages} × ${entry} expected`, tableAt, tableName, "sh_size");
  }
  const tr = reader(elf, elf.data(tableSection), tableAt);
  const count = pages.length / PAGE_SIZE;
  const table = Array.from({ length: count }, (_, i) => (pv ? decodeXenDumpcoreP2m(tr, i * entry) : decodeXenDumpcorePfn(tr, i * entry)));
  return { elf, header, version, formatVersion, guestType, arch, vcpus, sharedInfo, table, pages };
}

/**
 * Reads a Xen dump-core file into our core image: xen_version from the version note, vcpu_context from
 * .xen_prstatus (a 32-bit PV guest's contexts from the first 2800 bytes of each 5168-byte slot),
 * shared_info, the pages as page_data batches of at most 1024 pfns in file order (every page normal: the
 * format keeps no page types; entries with the all-ones pfn, zero pages a live dump padded with, are
 * skipped), and pfn_map. Pages are views of `bytes`.
 */
export function importDumpCore(bytes: Uint8Array, options: ImportDumpCoreOptions = {}): ImageInit {
  const core = decodeDumpCore(bytes, options);
  const sections: ImageSection[] = [{ type: "xen_version", body: core.version }, { type: "vcpu_context", body: core.vcpus } as ImageSection];
  if (core.sharedInfo !== undefined) sections.push({ type: "shared_info", body: core.sharedInfo });

  const tableSection = core.elf.section(core.guestType === GuestType.pv ? SECTION.p2m : SECTION.pfn)!;
  const tableAt = Number(tableSection.header.shOffset);
  const entry = core.guestType === GuestType.pv ? XEN_DUMPCORE_P2M_SIZE : XEN_DUMPCORE_PFN_SIZE;
  const seen = new Set<bigint>();
  const kept: number[] = [];
  core.table.forEach((e, i) => {
    if (e.pfn === INVALID_PFN) return;
    if (e.pfn >= 1n << 52n) fail("invalid", `entry ${i}: pfn ${hex(e.pfn)} does not fit a page-frame word's 52 bits`, tableAt + i * entry, tableSection.name, `[${i}].pfn`);
    if (seen.has(e.pfn)) fail("invalid", `entry ${i}: pfn ${hex(e.pfn)} appears twice`, tableAt + i * entry, tableSection.name, `[${i}].pfn`);
    seen.add(e.pfn);
    kept.push(i);
  });
  for (let first = 0; first < kept.length; first += BATCH_PFNS) {
    const batch = kept.slice(first, first + BATCH_PFNS);
    const pfns: PfnWord[] = batch.map((i) => ({ type: PageType.normal, pfn: Number(core.table[i]!.pfn) }));
    const pages = batch.map((i) => core.pages.subarray(i * PAGE_SIZE, (i + 1) * PAGE_SIZE));
    sections.push({ type: "page_data", body: { pfns, pages } });
  }
  sections.push({
    type: "pfn_map",
    body: core.guestType === GuestType.pv ? kept.map((i) => ({ pfn: core.table[i]!.pfn, gmfn: core.table[i]!.gmfn! })) : kept.map((i) => ({ pfn: core.table[i]!.pfn })),
  } as ImageSection);

  const check32 = (v: bigint, what: string) => {
    if (v > 0xffff_ffffn) fail("out-of-range", `${what} ${v} does not fit the image header's 32 bits`, undefined, SECTION.note, `dumpcore_xen_version.${what}`);
    return Number(v);
  };
  return {
    header: {
      byteOrder: ByteOrder.little,
      imageType: ImageType.core,
      guestType: core.guestType,
      arch: core.arch,
      pageShift: 12,
      xenMajor: check32(core.version.majorVersion, "major_version"),
      xenMinor: check32(core.version.minorVersion, "minor_version"),
      domainId: options.domainId ?? 0,
      vcpuCount: options.vcpuCount ?? core.vcpus.length,
      memorySize: options.memorySize ?? BigInt(kept.length) * BigInt(PAGE_SIZE),
      uuid: options.uuid ?? NIL_UUID,
      name: options.name ?? "",
    },
    sections,
  };
}
