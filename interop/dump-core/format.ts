/**
 * The fixed facts of Xen's dump-core format (docs/misc/dump-core-format.txt, tools/libs/guest/xg_core.{c,h},
 * xg_core_x86.h, xg_core_arm.h), as the exporter writes them and the importer expects them. The layouts of
 * the headers and descriptors are the generated codecs of `schema/elf/`.
 */
import { Arch, GuestType } from "../../generated/index.js";
import { ElfMachine } from "../../generated/elf/index.js";

/** The section names, as xg_core.h defines them. */
export const SECTION = {
  shstrtab: ".shstrtab",
  note: ".note.Xen",
  prstatus: ".xen_prstatus",
  sharedInfo: ".xen_shared_info",
  pages: ".xen_pages",
  p2m: ".xen_p2m",
  pfn: ".xen_pfn",
} as const;

/** The owner name of every note in .note.Xen. */
export const NOTE_NAME = "Xen";

/** xch_magic of a PV domain (XC_CORE_MAGIC). */
export const MAGIC_PV = 0xf00f_ebedn;
/** xch_magic of an HVM domain, every ARM domain included (XC_CORE_MAGIC_HVM). */
export const MAGIC_HVM = 0xf00f_ebeen;

/** The format version every Xen since 3.1 writes: major 0, minor 1. */
export const FORMAT_VERSION = 1n;

/** The page size of every dump-core file Xen writes on x86 and ARM (and the only one page_data holds). */
export const PAGE_SIZE = 4096;

/** An unused .xen_p2m or .xen_pfn entry (XC_CORE_INVALID_PFN / _GMFN). */
export const INVALID_PFN = 0xffff_ffff_ffff_ffffn;

/**
 * sizeof(vcpu_guest_context_any_t) on x86: the union of the 32- and 64-bit layouts, so every .xen_prstatus
 * slot is 5168 bytes, a 32-bit PV guest's context in its first 2800.
 */
export const X86_PRSTATUS_ENTRY = 5168;
/** The size of a 32-bit x86 PV vcpu context inside its slot. */
export const X86_32_CONTEXT = 2800;
/** sizeof(vcpu_guest_context_t) on ARM (one layout for both widths). */
export const ARM_PRSTATUS_ENTRY = 352;

/** The largest page_data batch the importer makes (what Xen's savers batch). */
export const BATCH_PFNS = 1024;

/** Bit 4 of an ARM cpsr: set when the vcpu runs in AArch32 state (PSR_MODE_BIT). */
export const ARM_PSR_MODE_BIT = 0x10n;

/**
 * e_machine for a guest: xg_core_x86.h says EM_X86_64 when the guest width is 8 and EM_386 otherwise, HVM
 * guests having the toolstack's width (8); xg_core_arm.h always says EM_ARM.
 */
export function machineFor(arch: number, guestType: number): number | undefined {
  if (arch === Arch.x86_64) return ElfMachine.x86_64;
  if (arch === Arch.x86_32) return guestType === GuestType.pv ? ElfMachine.i386 : undefined;
  if (arch === Arch.arm32 || arch === Arch.arm64) return guestType === GuestType.hvm ? ElfMachine.arm : undefined;
  return undefined;
}

/** The page types of page_data whose pages carry contents (the others are markers only). */
export const TYPES_WITH_CONTENTS: ReadonlySet<number> = new Set([0x0, 0x1, 0x2, 0x3, 0x4, 0x9, 0xa, 0xb, 0xc]);
