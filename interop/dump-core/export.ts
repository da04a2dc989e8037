/**
 * Our core image → a Xen dump-core ELF file, laid out exactly as xg_core.c lays one out (64-bit toolstack):
 *
 *   ELF header (ELFCLASS64, LSB, EI_ABIVERSION 1, ET_CORE, e_shoff 64, no program headers, e_phentsize 56)
 *   section headers: NULL, .shstrtab, .note.Xen, .xen_prstatus, [.xen_shared_info], .xen_pages, .xen_p2m|.xen_pfn
 *   .note.Xen: the NONE, HEADER, XEN_VERSION and FORMAT_VERSION notes, right after the section headers
 *   .xen_prstatus: one vcpu_guest_context_any_t slot per vcpu (5168 bytes on x86, 352 on ARM)
 *   .xen_shared_info: the shared-info page, when the image has one
 *   zero padding to the next page boundary, then .xen_pages: the pages, in ascending pfn order
 *   .xen_p2m (PV: pfn and machine frame per page) or .xen_pfn (HVM, ARM: pfn per page)
 *   .shstrtab, last: the names in section order
 *
 * Only .xen_pages is aligned in the file; the other offsets follow one another with no padding, as Xen's do.
 * What the format has no place for is listed in `losses` (see {@link planDumpCore}).
 */
import {
  Arch,
  encodeSharedInfoPageArm,
  encodeSharedInfoPageX8632,
  encodeSharedInfoPageX8664,
  encodeVcpuGuestContextArm,
  encodeVcpuGuestContextX8632,
  encodeVcpuGuestContextX8664,
  GuestType,
  PageTypeNames,
  type ImageInit,
  type ImageSection,
  type PfnGmfn,
  type SharedInfoPageArm,
  type SharedInfoPageX8632,
  type SharedInfoPageX8664,
  type VcpuGuestContextArm,
  type VcpuGuestContextX8632,
  type VcpuGuestContextX8664,
  type XenVersionBody,
} from "../../generated/index.js";
import {
  ELF64_EHDR_SIZE,
  ELF64_PHDR_SIZE,
  ELF64_SHDR_SIZE,
  ElfClass,
  ElfData,
  ElfOsabi,
  ElfType,
  encodeElf64Ehdr,
  encodeElf64Shdr,
  encodeXenDumpcoreFormatVersion,
  encodeXenDumpcoreHeader,
  encodeXenDumpcoreXenVersionX8632,
  encodeXenDumpcoreXenVersion,
  SectionType,
  XEN_DUMPCORE_FORMAT_VERSION_SIZE,
  XEN_DUMPCORE_HEADER_SIZE,
  XEN_DUMPCORE_XEN_VERSION_SIZE,
  XEN_DUMPCORE_XEN_VERSION_X86_32_SIZE,
  XenDumpcoreNoteType,
  type Elf64Shdr,
} from "../../generated/elf/index.js";
import { ByteWriter, EncodeError, hex, NIL_UUID } from "../../runtime/index.js";
import { checkImageShape, checkSectionBodies } from "../image-check.js";
import { encodeNote, noteSize } from "../elf/notes.js";
import {
  ARM_PRSTATUS_ENTRY,
  FORMAT_VERSION,
  MAGIC_HVM,
  MAGIC_PV,
  machineFor,
  NOTE_NAME,
  PAGE_SIZE,
  SECTION,
  TYPES_WITH_CONTENTS,
  X86_32_CONTEXT,
  X86_PRSTATUS_ENTRY,
} from "./format.js";

/** A section header as the exporter writes it, with its name. */
export interface DumpCoreSection {
  readonly name: string;
  readonly header: Elf64Shdr;
}

/** A dump-core file ready to be written: its bytes in order, and what the image had that it cannot carry. */
export interface DumpCorePlan {
  /** The file's size in bytes. */
  readonly size: number;
  /**
   * The file's bytes in order: the ELF header, section headers, notes, vcpu contexts, shared info and
   * padding; then one chunk per page (views of the image's pages, not copies); then .xen_p2m/.xen_pfn and
   * .shstrtab.
   */
  readonly chunks: readonly Uint8Array[];
  /** The section headers written, in table order (header 0 included). */
  readonly sections: readonly DumpCoreSection[];
  /** The e_machine written. */
  readonly machine: number;
  /**
   * Everything of the image that the dump-core file has no place for, one sentence each (empty: the file
   * carries the whole image). README.md beside this file has the full list.
   */
  readonly losses: readonly string[];
}

/** Options of {@link exportDumpCore}. */
export interface ExportDumpCoreOptions {
  /** Refuse (EncodeError) when the file would lose anything of the image; default false. */
  readonly strict?: boolean;
}

type Header = ImageInit["header"];

function fail(reason: string, section?: string): never {
  throw new EncodeError("dump-core", reason, section === undefined ? {} : { section });
}

function only<T extends ImageSection["type"]>(sections: readonly ImageSection[], type: T): Extract<ImageSection, { type: T }> | undefined {
  const found = sections.filter((s) => s.type === type);
  if (found.length > 1) fail(`the image has ${found.length} ${type} sections; a dump-core file holds one`, type);
  return found[0] as Extract<ImageSection, { type: T }> | undefined;
}

interface Page {
  readonly pfn: number;
  readonly data: Uint8Array;
}

/** The pages with contents, in ascending pfn order, and what page_data held that the file cannot carry. */
function collectPages(sections: readonly ImageSection[], losses: string[]): Page[] {
  const pages: Page[] = [];
  const typed = new Map<number, number>();
  const empty = new Map<number, number>();
  sections.forEach((section, index) => {
    if (section.type !== "page_data") return;
    let next = 0;
    for (const word of section.body.pfns) {
      if (!TYPES_WITH_CONTENTS.has(word.type)) {
        empty.set(word.type, (empty.get(word.type) ?? 0) + 1);
        continue;
      }
      const data = section.body.pages[next++];
      if (data === undefined || data.length !== PAGE_SIZE) {
        fail(`page_data section ${index}: pfn ${hex(word.pfn)} has no ${PAGE_SIZE}-byte page`, "page_data");
      }
      if (word.type !== 0) typed.set(word.type, (typed.get(word.type) ?? 0) + 1);
      pages.push({ pfn: word.pfn, data });
    }
  });
  pages.sort((a, b) => a.pfn - b.pfn);
  for (let i = 1; i < pages.length; i++) {
    if (pages[i]!.pfn === pages[i - 1]!.pfn) fail(`pfn ${hex(pages[i]!.pfn)} has two pages; a dump-core file holds one per pfn`, "page_data");
  }
  const describe = (counts: Map<number, number>) =>
    [...counts].sort((a, b) => a[0] - b[0]).map(([type, n]) => `${n} ${PageTypeNames.get(type) ?? `type ${type}`}`).join(", ");
  if (typed.size > 0) {
    losses.push(`page_data: page types (${describe(typed)}): dump-core files keep no page types, so these pages come back as normal pages`);
  }
  if (empty.size > 0) {
    losses.push(`page_data: pfns without contents (${describe(empty)}): dump-core files hold only pages with contents, so these pfns are left out`);
  }
  return pages;
}

function headerLosses(header: Header, vcpus: number, pages: number, version: XenVersionBody, losses: string[]): void {
  if (header.domainId !== 0) losses.push(`header: domain_id ${header.domainId}: dump-core files do not record the domain id`);
  if (header.name !== "") losses.push(`header: name "${header.name}": dump-core files do not record the domain's name`);
  if (header.uuid !== NIL_UUID) losses.push("header: uuid: dump-core files do not record the domain's handle");
  if (header.memorySize !== BigInt(pages) * BigInt(PAGE_SIZE)) {
    losses.push(`header: memory_size ${header.memorySize}: dump-core files record only the pages they hold (${pages} × ${PAGE_SIZE} bytes)`);
  }
  if (header.vcpuCount !== vcpus) losses.push(`header: vcpu_count ${header.vcpuCount}: dump-core files record only the contexts they hold (${vcpus})`);
  if (BigInt(header.xenMajor) !== version.majorVersion || BigInt(header.xenMinor) !== version.minorVersion) {
    losses.push(`header: xen_major.xen_minor ${header.xenMajor}.${header.xenMinor}: dump-core files keep only the version note's ${version.majorVersion}.${version.minorVersion}`);
  }
}

/** Names in a string table, in the order added; `offset` of each. */
class StringTable {
  private readonly parts: Uint8Array[] = [new Uint8Array(1)];
  private length = 1;
  add(name: string): number {
    const bytes = new TextEncoder().encode(name + "\0");
    const at = this.length;
    this.parts.push(bytes);
    this.length += bytes.length;
    return at;
  }
  bytes(): Uint8Array {
    const out = new Uint8Array(this.length);
    let at = 0;
    for (const p of this.parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }
}

const shdr = (fields: Partial<Elf64Shdr>): Elf64Shdr => ({
  shName: 0,
  shType: SectionType.null,
  shFlags: 0n,
  shAddr: 0n,
  shOffset: 0n,
  shSize: 0n,
  shLink: 0,
  shInfo: 0,
  shAddralign: 0n,
  shEntsize: 0n,
  ...fields,
});

/** The sections an export carries over, whose bodies it reads. */
const CARRIED: ReadonlySet<unknown> = new Set(["xen_version", "vcpu_context", "shared_info", "page_data", "pfn_map"]);

/**
 * Lays out the dump-core file of a core image without copying its pages. Throws an EncodeError when the
 * image cannot be one (no vcpu contexts, no hypervisor version, a PV guest without machine frames, an
 * architecture and guest type Xen does not dump, a page size other than 4096), listing every such reason
 * at once. A value a writer would refuse is an EncodeError naming its section and field.
 */
export function planDumpCore(image: ImageInit): DumpCorePlan {
  const checked = checkImageShape(image);
  const { header, sections } = image;
  const losses: string[] = [];
  const pv = header.guestType === GuestType.pv;
  const version = only(sections, "xen_version")?.body;
  const vcpuSection = only(sections, "vcpu_context");
  const shared = only(sections, "shared_info")?.body;
  const pfnMap = only(sections, "pfn_map")?.body;
  // Everything that keeps the image from being a dump-core file, said at once (a save image lacks several).
  const refusals: { reason: string; section?: string }[] = [];
  if (header.guestType !== GuestType.pv && header.guestType !== GuestType.hvm) refusals.push({ reason: `guest_type ${header.guestType} is neither PV nor HVM` });
  const machine = machineFor(header.arch, header.guestType);
  if (machine === undefined && refusals.length === 0) {
    refusals.push({
      reason:
        header.arch === Arch.x86_32
          ? "an x86_32 HVM guest has no dump-core form: Xen dumps every HVM guest's vcpus in the 64-bit layout (make the image's arch x86_64)"
          : `arch ${header.arch} with guest_type ${header.guestType} has no dump-core form (x86 PV or HVM, ARM HVM only)`,
    });
  }
  if (header.pageShift !== 12) refusals.push({ reason: `page_shift ${header.pageShift}: dump-core files of x86 and ARM guests have 4096-byte pages` });
  if (version === undefined) refusals.push({ reason: "a dump-core file needs the hypervisor's version: the image has no xen_version section", section: "xen_version" });
  // A body that is not an array is left to checkSectionBodies, which names what is wrong with it.
  if (vcpuSection === undefined || (Array.isArray(vcpuSection.body) && vcpuSection.body.length === 0)) refusals.push({ reason: "a dump-core file needs at least one vcpu context: the image has none", section: "vcpu_context" });
  if (pv && pfnMap === undefined) refusals.push({ reason: "a PV guest's dump-core file gives each page its machine frame: the image has no pfn_map", section: "pfn_map" });
  if (refusals.length > 0 || machine === undefined || version === undefined || vcpuSection === undefined) {
    const named = refusals.flatMap((r) => (r.section === undefined ? [] : [r.section]));
    fail(
      refusals.length === 1 ? refusals[0]!.reason : `the image cannot be a dump-core file, for ${refusals.length} reasons: ${refusals.map((r) => r.reason).join("; ")}`,
      named.length === 0 ? undefined : named.join(", "),
    );
  }
  checkSectionBodies(image, checked, "type", (type) => CARRIED.has(type));
  const vcpus = vcpuSection.body;
  for (const s of sections) {
    if (!CARRIED.has(s.type)) {
      losses.push(`${s.type === "unknown" ? `section type ${hex((s as { id: number }).id)}` : s.type}: dump-core files have no place for this section`);
    }
  }
  const pages = collectPages(sections, losses);

  // The p2m/pfn table, in page order.
  const table = new ByteWriter({ littleEndian: true, initialCapacity: Math.max(64, pages.length * (pv ? 16 : 8)) });
  if (pv) {
    const gmfns = new Map<bigint, bigint>();
    for (const e of pfnMap as PfnGmfn[]) gmfns.set(e.pfn, e.gmfn); // present: its absence was refused above
    for (const page of pages) {
      const gmfn = gmfns.get(BigInt(page.pfn));
      if (gmfn === undefined) fail(`pfn ${hex(page.pfn)} has a page but no machine frame in pfn_map`, "pfn_map");
      table.u64(BigInt(page.pfn));
      table.u64(gmfn);
    }
  } else {
    for (const page of pages) table.u64(BigInt(page.pfn));
  }
  if (pfnMap !== undefined) {
    const held = new Set(pages.map((p) => BigInt(p.pfn)));
    const orphans = (pfnMap as { pfn: bigint }[]).filter((e) => !held.has(e.pfn)).length;
    if (orphans > 0) losses.push(`pfn_map: ${orphans} entries whose pfn has no page with contents are left out`);
  }
  headerLosses(header, vcpus.length, pages.length, version, losses);

  // Sizes and offsets, in xg_core.c's order.
  const hasShared = shared !== undefined;
  const count = hasShared ? 7 : 6;
  const strings = new StringTable();
  const entry = header.arch === Arch.arm32 || header.arch === Arch.arm64 ? ARM_PRSTATUS_ENTRY : X86_PRSTATUS_ENTRY;
  const notesSize =
    noteSize(NOTE_NAME.length, 0) +
    noteSize(NOTE_NAME.length, XEN_DUMPCORE_HEADER_SIZE) +
    noteSize(NOTE_NAME.length, XEN_DUMPCORE_XEN_VERSION_SIZE) +
    noteSize(NOTE_NAME.length, XEN_DUMPCORE_FORMAT_VERSION_SIZE);
  const headers: DumpCoreSection[] = [{ name: "", header: shdr({}) }];
  const add = (name: string, fields: Partial<Elf64Shdr>) => headers.push({ name, header: shdr({ shName: strings.add(name), ...fields }) });
  add(SECTION.shstrtab, { shType: SectionType.strtab }); // offset and size once known
  let offset = ELF64_EHDR_SIZE + count * ELF64_SHDR_SIZE;
  add(SECTION.note, { shType: SectionType.note, shOffset: BigInt(offset), shSize: BigInt(notesSize) });
  offset += notesSize;
  const prstatusAt = offset;
  add(SECTION.prstatus, { shType: SectionType.progbits, shOffset: BigInt(offset), shSize: BigInt(vcpus.length * entry), shAddralign: 8n, shEntsize: BigInt(entry) });
  offset += vcpus.length * entry;
  if (hasShared) {
    add(SECTION.sharedInfo, { shType: SectionType.progbits, shOffset: BigInt(offset), shSize: BigInt(PAGE_SIZE), shAddralign: 8n, shEntsize: BigInt(PAGE_SIZE) });
    offset += PAGE_SIZE;
  }
  const padding = (PAGE_SIZE - (offset % PAGE_SIZE)) % PAGE_SIZE;
  offset += padding;
  add(SECTION.pages, { shType: SectionType.progbits, shOffset: BigInt(offset), shSize: BigInt(pages.length * PAGE_SIZE), shAddralign: BigInt(PAGE_SIZE), shEntsize: BigInt(PAGE_SIZE) });
  offset += pages.length * PAGE_SIZE;
  const tableBytes = table.finish();
  add(pv ? SECTION.p2m : SECTION.pfn, { shType: SectionType.progbits, shOffset: BigInt(offset), shSize: BigInt(tableBytes.length), shAddralign: 8n, shEntsize: pv ? 16n : 8n });
  offset += tableBytes.length;
  const strtab = strings.bytes();
  const strtabHeader = headers[1]!;
  headers[1] = { name: strtabHeader.name, header: { ...strtabHeader.header, shOffset: BigInt(offset), shSize: BigInt(strtab.length) } };
  const size = offset + strtab.length;

  // The head: ELF header, section headers, notes, vcpu contexts, shared info, padding.
  const head = new ByteWriter({ littleEndian: true, initialCapacity: prstatusAt + vcpus.length * entry + PAGE_SIZE * 2 });
  encodeElf64Ehdr(head, {
    eIdent: { class: ElfClass.elf64, data: ElfData.lsb, version: 1, osabi: ElfOsabi.sysv, abiversion: 1, padding: new Uint8Array(7) },
    eType: ElfType.core,
    eMachine: machine,
    eVersion: 1,
    eEntry: 0n,
    ePhoff: 0n,
    eShoff: BigInt(ELF64_EHDR_SIZE),
    eFlags: 0,
    eEhsize: ELF64_EHDR_SIZE,
    ePhentsize: ELF64_PHDR_SIZE,
    ePhnum: 0,
    eShentsize: ELF64_SHDR_SIZE,
    eShnum: count,
    eShstrndx: 1,
  });
  for (const h of headers) encodeElf64Shdr(head, h.header);

  encodeNote(head, NOTE_NAME, XenDumpcoreNoteType.dumpcore_none, 0, () => {});
  encodeNote(head, NOTE_NAME, XenDumpcoreNoteType.dumpcore_header, XEN_DUMPCORE_HEADER_SIZE, (w) =>
    encodeXenDumpcoreHeader(w, { xchMagic: pv ? MAGIC_PV : MAGIC_HVM, xchNrVcpus: BigInt(vcpus.length), xchNrPages: BigInt(pages.length), xchPageSize: BigInt(PAGE_SIZE) }),
  );
  encodeNote(head, NOTE_NAME, XenDumpcoreNoteType.dumpcore_xen_version, XEN_DUMPCORE_XEN_VERSION_SIZE, (w) => {
    if (header.arch === Arch.x86_32) {
      // A 64-bit toolstack dumping a 32-bit PV guest: the 32-bit layout (pagesize moved back over the upper
      // half of virt_start), the descriptor still 1280 bytes; its last 4 bytes keep pagesize's upper half.
      const at = w.reserve(XEN_DUMPCORE_XEN_VERSION_SIZE);
      encodeXenDumpcoreXenVersionX8632(w, { ...version, virtStart: Number(version.virtStart & 0xffff_ffffn) }, at);
      w.u32At(at + XEN_DUMPCORE_XEN_VERSION_X86_32_SIZE, Number((version.pagesize >> 32n) & 0xffff_ffffn));
      if (version.virtStart >> 32n !== 0n) {
        losses.push(`xen_version: virt_start ${hex(version.virtStart)}: a 32-bit PV guest's version note keeps only its lower 32 bits`);
      }
    } else {
      encodeXenDumpcoreXenVersion(w, version);
    }
  });
  encodeNote(head, NOTE_NAME, XenDumpcoreNoteType.dumpcore_format_version, XEN_DUMPCORE_FORMAT_VERSION_SIZE, (w) => encodeXenDumpcoreFormatVersion(w, { version: FORMAT_VERSION }));

  // Through nestedAt: a value of the wrong shape (a null context) is an EncodeError naming the element,
  // as the generated encoders given a position leave foreign errors to their caller.
  try {
    vcpus.forEach((context, i) => {
      const at = head.reserve(entry);
      if (header.arch === Arch.x86_64) head.nestedAt(encodeVcpuGuestContextX8664, at, context as VcpuGuestContextX8664, "", i);
      else if (header.arch === Arch.x86_32) {
        head.nestedAt(encodeVcpuGuestContextX8632, at, context as VcpuGuestContextX8632, "", i);
        head.zerosAt(at + X86_32_CONTEXT, X86_PRSTATUS_ENTRY - X86_32_CONTEXT);
      } else head.nestedAt(encodeVcpuGuestContextArm, at, context as VcpuGuestContextArm, "", i);
    });
  } catch (e) {
    throw e instanceof EncodeError ? e.within({ section: "vcpu_context" }) : e;
  }
  if (hasShared) {
    const at = head.reserve(PAGE_SIZE);
    try {
      if (header.arch === Arch.x86_64) head.nestedAt(encodeSharedInfoPageX8664, at, shared as SharedInfoPageX8664);
      else if (header.arch === Arch.x86_32) head.nestedAt(encodeSharedInfoPageX8632, at, shared as SharedInfoPageX8632);
      else head.nestedAt(encodeSharedInfoPageArm, at, shared as SharedInfoPageArm);
    } catch (e) {
      throw e instanceof EncodeError ? e.within({ section: "shared_info" }) : e;
    }
  }
  head.zeros(padding);
  const chunks: Uint8Array[] = [head.finish(), ...pages.map((p) => p.data), tableBytes, strtab];
  return { size, chunks, sections: headers, machine, losses };
}

/** What a core image would lose in a dump-core file (empty: nothing). */
export function dumpCoreLosses(image: ImageInit): readonly string[] {
  return planDumpCore(image).losses;
}

/**
 * Our core image as a Xen dump-core ELF file, in memory (see `writeDumpCoreFile` in `./file.js` to write
 * a big one to disk without assembling it). With `strict`, an image the file cannot carry whole is an
 * EncodeError listing what would be lost.
 */
export function exportDumpCore(image: ImageInit, options: ExportDumpCoreOptions = {}): Uint8Array {
  const plan = planDumpCore(image);
  if (options.strict === true && plan.losses.length > 0) {
    throw new EncodeError("lossy", `the dump-core file cannot carry the whole image: ${plan.losses.join("; ")}`);
  }
  const out = new Uint8Array(plan.size);
  let at = 0;
  for (const chunk of plan.chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  if (at !== plan.size) throw new Error(`dump-core layout: wrote ${at} bytes, planned ${plan.size}`);
  return out;
}
