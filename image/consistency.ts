/**
 * The rules that relate a section to the header, or sections to each other, which no single section's
 * layout can state: vcpu ids and counts against the header's vcpu_count, the order of an HVM context's
 * records, a PV guest's p2m frame count, the hypervisor version, a core image's pfn_map against its
 * page_data. Their text is in the schemas, next to the fields they govern; this module enforces them.
 * It is hand-written over the generated format because the schema language has no expressions to say
 * them in. Sections are fed one at a time in image order and only small state is kept, so a stream is
 * checked as it arrives.
 */
import { Arch, type ImageHeader, type ImageSection, type PageDataChecked } from "../generated/index.js";
import { DecodeError, hex, sectionLabel, type DecodeErrorCode } from "../runtime/index.js";

/** The HVM record type codes whose instance is a vcpu id (public arch-x86/hvm/save.h: one record per vcpu). */
const PER_VCPU_RECORDS: ReadonlySet<number> = new Set([2, 5, 6, 14, 16, 17, 18, 19, 20]);
const HVM_END = 0;
const HVM_HEADER = 1;
/** An HVM record's descriptor: u16 typecode, u16 instance, u32 length, little-endian. */
const HVM_DESCRIPTOR = 8;

/** Where a checked section's body is, for errors. */
export interface SectionPlace {
  /** Its index in the image (the table's, or the stream's). */
  readonly index: number;
  /** The body's bytes, as the image holds them. */
  readonly body: Uint8Array;
  /** Where the body starts in the image or stream. */
  readonly offset: number;
}

/**
 * A section as the checker takes it: decoded, or a page_data only checked (`checkSectionBody`), whose
 * pages the rules here do not read.
 */
export type CheckedImageSection = Exclude<ImageSection, { type: "page_data" }> | { readonly type: "page_data"; readonly body: PageDataChecked };

/** Checks the rules across sections; call {@link section} for each section in order, then {@link finish}. */
export class ConsistencyChecker {
  /** The pfn of every page-frame word of the page_data sections so far, in order. */
  private pfns = new Float64Array(1024);
  private words = 0;
  private pfnMap: { readonly section: ImageSection & { type: "pfn_map" }; readonly place: SectionPlace } | undefined;

  constructor(private readonly header: ImageHeader) {}

  /** Checks one decoded section (unknown sections have nothing to check). */
  section(section: CheckedImageSection, place: SectionPlace): void {
    const fail = (code: DecodeErrorCode, reason: string, at: number, path?: string): never => {
      throw new DecodeError(code, reason, { section: sectionLabel(section.type === "unknown" ? `type ${hex(section.id)}` : section.type, place.index), offset: place.offset + at, ...(path === undefined ? {} : { path }) });
    };
    const vcpus = this.header.vcpuCount;
    switch (section.type) {
      case "vcpu_context": {
        const n = section.body.length;
        if (n === 0) fail("vcpu-count", "vcpu_context has no entry: it needs at least vcpu 0's", 0);
        if (n > vcpus) fail("vcpu-count", `vcpu_context has ${n} entries, but the header's vcpu_count is ${vcpus}`, 0);
        break;
      }
      case "vcpu_extended":
      case "vcpu_xsave":
      case "vcpu_msrs":
        if (section.body.vcpuId >= vcpus) fail("vcpu-id", `vcpu id ${section.body.vcpuId} is not below the header's vcpu_count, ${vcpus}`, 0, "vcpu_id");
        break;
      case "hvm_context":
        this.hvmRecords(place.body, fail);
        break;
      case "p2m_frame_list": {
        const { startPfn, endPfn, frames } = section.body;
        if (startPfn > endPfn) fail("field-value", `start_pfn ${hex(startPfn)} is above end_pfn ${hex(endPfn)}`, 0, "start_pfn");
        // One frame per page of p2m entries, from start_pfn's frame to end_pfn's (Xen's handle_x86_pv_p2m_frames).
        const perFrame = BigInt(4096 / (this.header.arch === Arch.x86_32 ? 4 : 8));
        const wanted = endPfn / perFrame - startPfn / perFrame + 1n;
        if (BigInt(frames.length) !== wanted) {
          fail("length", `${frames.length} frames for pfns ${hex(startPfn)}…${hex(endPfn)}: one per ${perFrame} pfns, ${wanted}, are needed`, 16, "frames");
        }
        break;
      }
      case "xen_version": {
        const { majorVersion, minorVersion } = section.body;
        if (majorVersion !== BigInt(this.header.xenMajor)) {
          fail("xen-version", `major_version ${majorVersion} differs from the header's xen_major, ${this.header.xenMajor}`, 0, "major_version");
        }
        if (minorVersion !== BigInt(this.header.xenMinor)) {
          fail("xen-version", `minor_version ${minorVersion} differs from the header's xen_minor, ${this.header.xenMinor}`, 8, "minor_version");
        }
        break;
      }
      case "page_data":
        for (const w of section.body.pfns) this.addPfn(w.pfn);
        break;
      case "pfn_map":
        this.pfnMap ??= { section, place };
        break;
    }
  }

  /**
   * Checks what needs every section, once the image-type rules hold (they put pfn_map after every
   * page_data): pfn_map has one entry per page-frame word, in order, with the word's pfn.
   */
  finish(): void {
    const map = this.pfnMap;
    if (map === undefined) return;
    const entries = map.section.body;
    const entrySize = entries.length === 0 ? 0 : map.place.body.length / entries.length;
    const fail = (reason: string, at: number, path?: string): never => {
      throw new DecodeError("pfn-map", reason, { section: sectionLabel("pfn_map", map.place.index), offset: map.place.offset + at, ...(path === undefined ? {} : { path }) });
    };
    if (entries.length !== this.words) fail(`pfn_map has ${entries.length} entries, the page_data sections ${this.words} page-frame words`, 0);
    entries.forEach((e, i) => {
      if (e.pfn !== BigInt(this.pfns[i]!)) fail(`entry ${i} is pfn ${hex(e.pfn)}, page-frame word ${i} pfn ${hex(this.pfns[i]!)}`, i * entrySize, `[${i}].pfn`);
    });
  }

  private addPfn(pfn: number): void {
    if (this.words === this.pfns.length) {
      const grown = new Float64Array(this.pfns.length * 2);
      grown.set(this.pfns);
      this.pfns = grown;
    }
    this.pfns[this.words++] = pfn;
  }

  /** An HVM context's records: the header first, the end last, each once; per-vcpu instances below vcpu_count. */
  private hvmRecords(body: Uint8Array, fail: (code: DecodeErrorCode, reason: string, at: number, path?: string) => never): void {
    const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
    let at = 0;
    let index = 0;
    // The body decoded, so its records tile it exactly.
    for (; at < body.length; index++) {
      const type = view.getUint16(at, true);
      const instance = view.getUint16(at + 2, true);
      const length = view.getUint32(at + 4, true);
      if (index === 0 && type !== HVM_HEADER) fail("hvm-record", `the first record is of type ${type}, not the header record (${HVM_HEADER})`, at, "records[0].typecode");
      if (index > 0 && type === HVM_HEADER) fail("hvm-record", `record ${index} is a second header record`, at, `records[${index}].typecode`);
      if (type === HVM_END && at + HVM_DESCRIPTOR + length !== body.length) fail("hvm-record", `record ${index} is the end record, but records follow it`, at, `records[${index}].typecode`);
      if (PER_VCPU_RECORDS.has(type) && instance >= this.header.vcpuCount) {
        fail("vcpu-id", `record ${index} (type ${type}) is for vcpu ${instance}, which is not below the header's vcpu_count, ${this.header.vcpuCount}`, at + 2, `records[${index}].instance`);
      }
      const next = at + HVM_DESCRIPTOR + length;
      if (next === body.length && type !== HVM_END) fail("hvm-record", `the last record is of type ${type}, not the end record (${HVM_END})`, at, `records[${index}].typecode`);
      at = next;
    }
    if (index === 0) fail("hvm-record", "the HVM context has no records: it needs the header record first and the end record last", 0);
  }
}
