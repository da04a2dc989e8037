/**
 * Xen records ↔ xenimage sections. Each direction is one function per record type, built on the codecs
 * generated from schema/xen_libxc (the record bodies) and schema/*.yaml (the sections).
 *
 * | libxc record | section | notes |
 * | --- | --- | --- |
 * | PAGE_DATA | page_data | one section per record on import; a section becomes ⌈pfns / 1024⌉ records |
 * | X86_PV_INFO | extended_info | width and levels; the legacy facts (flags, sizes) are derived on import |
 * | X86_PV_P2M_FRAMES | p2m_frame_list | u32 start/end in Xen, u64 in xenimage |
 * | X86_PV_VCPU_BASIC | vcpu_context | every BASIC of a round in one array, entry = vcpu id; an all-zero entry is a vcpu with no record (offline) |
 * | X86_PV_VCPU_EXTENDED / XSAVE / MSRS | vcpu_extended / vcpu_xsave / vcpu_msrs | one section per record |
 * | SHARED_INFO | shared_info | the page, decoded for the guest's width |
 * | X86_TSC_INFO | tsc_info | same layout |
 * | HVM_CONTEXT | hvm_context | the blob is the section's record run |
 * | HVM_PARAMS | hvm_params | count and reserved word dropped |
 * | X86_CPUID_POLICY / X86_MSR_POLICY | cpuid / msr_policy | entries |
 * | CHECKPOINT | checkpoint | empty |
 * | anything else | xen_libxc_record (0x7002) | kept verbatim |
 */
import {
  Arch,
  decodeHvmContext,
  decodeSharedInfoPageX8632,
  decodeSharedInfoPageX8664,
  decodeVcpuGuestContextX8632,
  decodeVcpuGuestContextX8664,
  encodeHvmContext,
  encodeSharedInfoPageX8632,
  encodeSharedInfoPageX8664,
  encodeVcpuGuestContextX8632,
  encodeVcpuGuestContextX8664,
  GuestType,
  type HvmContext,
  type KnownSection,
  type PageData,
  type SharedInfoPageX8632,
  type SharedInfoPageX8664,
  type VcpuGuestContextX8632,
  type VcpuGuestContextX8664,
} from "../../generated/index.js";
import {
  decodeLibxcRecord,
  encodeLibxcRecord,
  type LibxcRecordBody,
  RecordType,
} from "../../generated/xen_libxc/index.js";
import { ByteReader, ByteWriter, DecodeError, EncodeError, hex, XenImageError, type DecodeErrorCode } from "../../runtime/index.js";
import { HVM_ONLY, MAX_BATCH_PFNS, PV_ONLY, recordLabel, type RecordLayerName } from "./constants.js";
import type { XenRecord } from "./framing.js";

/** What a mapping needs to know about the guest. */
export interface GuestShape {
  readonly guestType: number;
  readonly arch: number;
}

/** A vcpu context of either x86 layout. */
export type VcpuContext = VcpuGuestContextX8664 | VcpuGuestContextX8632;

/** What one libxc record turns into on import. */
export type Piece =
  | { readonly kind: "section"; readonly section: KnownSection; readonly record: XenRecord }
  | { readonly kind: "pv_info"; readonly guestWidth: number; readonly ptLevels: number; readonly record: XenRecord }
  | { readonly kind: "vcpu"; readonly vcpuId: number; readonly context: VcpuContext; readonly record: XenRecord }
  | { readonly kind: "carrier"; readonly record: XenRecord };

function label(rec: XenRecord): string {
  return recordLabel(rec.layer, rec.index, rec.type);
}

function bad(rec: XenRecord, reason: string, path?: string, at = 0, code: DecodeErrorCode = "invalid"): never {
  throw new DecodeError(code, reason, { offset: rec.offset < 0 ? at : rec.offset + 8 + at, section: label(rec), ...(path === undefined ? {} : { path }) });
}

/** Decodes a libxc record's body with the generated record codec; a decoding error names the record. */
export function decodeLibxcBody(rec: XenRecord): LibxcRecordBody {
  const length = rec.body.length;
  const framedLength = 8 + length + ((8 - (length % 8)) % 8);
  let framed: Uint8Array;
  if (rec.offset >= 0 && rec.body.byteOffset >= 8 && rec.body.byteOffset - 8 + framedLength <= rec.body.buffer.byteLength) {
    // A record read from a stream: decode it where it lies (its header and zero padding are there).
    framed = new Uint8Array(rec.body.buffer, rec.body.byteOffset - 8, framedLength);
  } else {
    framed = new Uint8Array(framedLength);
    const view = new DataView(framed.buffer);
    view.setUint32(0, rec.type >>> 0, true);
    view.setUint32(4, length, true);
    framed.set(rec.body, 8);
  }
  try {
    return decodeLibxcRecord(new ByteReader(framed, { littleEndian: true, base: rec.offset < 0 ? 0 : rec.offset })).body;
  } catch (e) {
    if (e instanceof XenImageError) throw e.within({ section: label(rec) });
    throw e;
  }
}

/** The framed bytes of a record as it appears in a stream (header, body, zero padding to 8). */
export function frameRecord(rec: { readonly type: number; readonly body: Uint8Array }): Uint8Array {
  const w = new ByteWriter({ littleEndian: true, initialCapacity: rec.body.length + 16 });
  encodeLibxcRecord(w, { body: { type: "unknown", selector: rec.type >>> 0, bytes: rec.body } });
  return w.finish();
}

/** Reads records framed back to back (a carrier section's body) without checking their types. */
export function unframeRecords(bytes: Uint8Array, layer: RecordLayerName): XenRecord[] {
  const out: XenRecord[] = [];
  let at = 0;
  while (at < bytes.length) {
    if (bytes.length - at < 8) throw new DecodeError("truncated", "a carried record is cut short", { offset: at });
    const view = new DataView(bytes.buffer, bytes.byteOffset + at);
    const type = view.getUint32(0, true);
    const length = view.getUint32(4, true);
    const pad = (8 - (length % 8)) % 8;
    if (bytes.length - at - 8 < length + pad) throw new DecodeError("truncated", "a carried record is cut short", { offset: at });
    for (let i = 0; i < pad; i++) if (bytes[at + 8 + length + i] !== 0) throw new DecodeError("invalid", "non-zero padding in a carried record", { offset: at + 8 + length + i });
    out.push({ layer, type, body: bytes.subarray(at + 8, at + 8 + length), offset: -1, index: -1 });
    at += 8 + length + pad;
  }
  return out;
}

function le(bytes: Uint8Array): ByteReader {
  return new ByteReader(bytes, { littleEndian: true });
}

function encodeWith(run: (w: ByteWriter) => void, size = 256): Uint8Array {
  const w = new ByteWriter({ littleEndian: true, initialCapacity: size });
  run(w);
  return w.finish();
}

/**
 * The highest vcpu id a BASIC record may name: a vcpu_context array has one entry per id up to it, so
 * this bounds what a few bytes of input can make us allocate (4096 contexts, 21 MB). Xen's x86 domains
 * stay well below it (HVM_MAX_VCPUS is 128).
 */
export const MAX_VCPU_ID = 4095;

const KNOWN_TYPES: ReadonlySet<number> = new Set(Object.values(RecordType));

const VCPU_SIZE = { [Arch.x86_64]: 5168, [Arch.x86_32]: 2800 } as Record<number, number>;

/** A vcpu_context array from BASIC records: entry i is vcpu i, a vcpu without a record an all-zero context. */
export function vcpuArray(vcpus: readonly { readonly vcpuId: number; readonly context: VcpuContext }[], arch: number): VcpuContext[] {
  const max = vcpus.reduce((m, v) => Math.max(m, v.vcpuId), -1);
  const out: (VcpuContext | undefined)[] = new Array<VcpuContext | undefined>(max + 1).fill(undefined);
  for (const v of vcpus) out[v.vcpuId] = v.context;
  let zero: VcpuContext | undefined;
  return out.map((c) => c ?? (zero ??= decodeVcpuContext(new Uint8Array(VCPU_SIZE[arch] ?? 5168), arch)));
}

/** Decodes a vcpu_guest_context of the guest's layout. */
export function decodeVcpuContext(bytes: Uint8Array, arch: number): VcpuContext {
  return arch === Arch.x86_64 ? decodeVcpuGuestContextX8664(le(bytes)) : decodeVcpuGuestContextX8632(le(bytes));
}

/** Encodes a vcpu_guest_context of the guest's layout. */
export function encodeVcpuContext(context: VcpuContext, arch: number): Uint8Array {
  return encodeWith(
    (w) => (arch === Arch.x86_64 ? encodeVcpuGuestContextX8664(w, context as VcpuGuestContextX8664) : encodeVcpuGuestContextX8632(w, context as VcpuGuestContextX8632)),
    VCPU_SIZE[arch] ?? 5168,
  );
}

function sharedInfoFromPage(page: Uint8Array, arch: number): SharedInfoPageX8664 | SharedInfoPageX8632 {
  return arch === Arch.x86_64 ? decodeSharedInfoPageX8664(le(page)) : decodeSharedInfoPageX8632(le(page));
}

/** The HVM context blob of an hvm_context section (little-endian, as Xen keeps it). */
export function hvmBlob(context: HvmContext): Uint8Array {
  return encodeWith((w) => encodeHvmContext(w, context), 4096);
}

/**
 * Turns one non-structural libxc record into what the image holds. A record Xen's restorer would refuse
 * (a wrong size, reserved page types, a deprecated or back-channel type, a record of the other guest
 * type) is a {@link DecodeError} naming it; a valid record no section can hold is a carrier.
 */
export function recordToPiece(rec: XenRecord, guest: GuestShape | undefined): Piece {
  const type = rec.type;
  const pv = guest?.guestType === GuestType.pv;
  if (guest !== undefined && pv && HVM_ONLY.has(type)) bad(rec, "an HVM record in a PV stream: Xen's PV restorer refuses it", "type", -8);
  if (guest !== undefined && !pv && PV_ONLY.has(type)) bad(rec, "a PV record in an HVM stream: Xen's HVM restorer refuses it", "type", -8);
  if (type === RecordType.toolstack) bad(rec, "TOOLSTACK records are deprecated and refused by Xen's restorer (since 4.7)", "type", -8, "unsupported");
  if (type === RecordType.checkpoint_dirty_pfn_list) bad(rec, "CHECKPOINT_DIRTY_PFN_LIST belongs to the COLO back channel, not to a saved stream", "type", -8, "unsupported");
  if (!KNOWN_TYPES.has(type) || type === RecordType.verify) return { kind: "carrier", record: rec };

  // Tolerated empty contexts (spec errata 1): valid, but no section of ours holds them.
  if ((type === RecordType.x86_pv_vcpu_basic || type === RecordType.x86_pv_vcpu_xsave) && rec.body.length === 8) {
    if (new DataView(rec.body.buffer, rec.body.byteOffset).getUint32(4, true) !== 0) bad(rec, "reserved word of the vcpu header is not zero", "body.reserved", 4);
    return { kind: "carrier", record: rec };
  }
  const body = decodeLibxcBody(rec);
  const section = (s: KnownSection): Piece => ({ kind: "section", section: s, record: rec });
  switch (body.type) {
    case "page_data": {
      const v = body.value;
      if (v.pfns.length === 0) bad(rec, "PAGE_DATA must describe at least one pfn", "body.count");
      v.pfns.forEach((p, i) => {
        if (p.type >= 5 && p.type <= 8) bad(rec, `reserved page type ${p.type}: Xen's restorer refuses it`, `body.pfns[${i}].type`, 8 + i * 8 + 7);
      });
      return section({ type: "page_data", body: { pfns: v.pfns, pages: v.pages } });
    }
    case "x86_pv_info": {
      const { guestWidth, ptLevels } = body.value;
      if (guestWidth !== 4 && guestWidth !== 8) bad(rec, `guest width ${guestWidth}: 4 or 8 expected`, "body.guest_width");
      if (ptLevels !== 3 && ptLevels !== 4) bad(rec, `${ptLevels} page-table levels: 3 or 4 expected`, "body.pt_levels", 1);
      return { kind: "pv_info", guestWidth, ptLevels, record: rec };
    }
    case "x86_pv_p2m_frames": {
      const v = body.value;
      return section({ type: "p2m_frame_list", body: { startPfn: BigInt(v.startPfn), endPfn: BigInt(v.endPfn), frames: v.p2mPfns } });
    }
    case "x86_pv_vcpu_basic": {
      const arch = guest!.arch;
      const size = VCPU_SIZE[arch]!;
      if (body.value.vcpuId > MAX_VCPU_ID) bad(rec, `vcpu id ${body.value.vcpuId}: at most ${MAX_VCPU_ID} is accepted`, "body.vcpu_id");
      if (body.value.context.length !== size) bad(rec, `a ${body.value.context.length}-byte vcpu context: a ${arch === Arch.x86_64 ? 64 : 32}-bit guest's is ${size}`, "body.context", 8);
      return { kind: "vcpu", vcpuId: body.value.vcpuId, context: decodeVcpuContext(body.value.context, arch), record: rec };
    }
    case "x86_pv_vcpu_extended":
      return section({ type: "vcpu_extended", body: { vcpuId: body.value.vcpuId, context: body.value.context } });
    case "x86_pv_vcpu_xsave": {
      const v = body.value;
      return section({ type: "vcpu_xsave", body: { vcpuId: v.vcpuId, xcr0: v.xcr0, xcr0Accum: v.xcr0Accum, area: v.area } });
    }
    case "x86_pv_vcpu_msrs":
      return section({ type: "vcpu_msrs", body: { vcpuId: body.value.vcpuId, msrs: body.value.msrs.map((m) => ({ index: m.index, value: m.value })) } });
    case "shared_info":
      return section({ type: "shared_info", body: sharedInfoFromPage(body.value.page, guest!.arch) } as KnownSection);
    case "x86_tsc_info": {
      const v = body.value;
      return section({ type: "tsc_info", body: { mode: v.mode, khz: v.khz, nsec: v.nsec, incarnation: v.incarnation } });
    }
    case "hvm_context": {
      if (body.value.blob.length === 0) bad(rec, "an empty HVM context", "body.blob");
      let context: HvmContext;
      try {
        context = decodeHvmContext(le(body.value.blob));
      } catch {
        return { kind: "carrier", record: rec }; // valid for Xen, not for our record layouts: kept verbatim
      }
      return section({ type: "hvm_context", body: context });
    }
    case "hvm_params":
      return section({ type: "hvm_params", body: body.value.params.map((p) => ({ index: p.index, value: p.value })) });
    case "x86_cpuid_policy":
      return section({ type: "cpuid", body: body.value.leaves.map((l) => ({ ...l })) });
    case "x86_msr_policy":
      return section({ type: "msr_policy", body: body.value.msrs.map((m) => ({ index: m.idx, value: m.val })) });
    case "checkpoint":
      return section({ type: "checkpoint", body: null });
    case "unknown": {
      // A known type whose body has another size than its fixed layout.
      const expected: Record<number, number> = { [RecordType.x86_pv_info]: 8, [RecordType.shared_info]: 4096, [RecordType.x86_tsc_info]: 24 };
      const want = expected[type];
      if (want !== undefined) bad(rec, `a ${rec.body.length}-byte body: ${want} bytes expected`, "length", -4);
      bad(rec, `a body Xen's restorer refuses (${rec.body.length} bytes)`, "length", -4);
    }
    // falls through (bad() never returns)
    default:
      return { kind: "carrier", record: rec };
  }
}

function xc(type: number, body: Uint8Array): XenRecord {
  return { layer: "libxc", type, body, offset: -1, index: -1 };
}

function recordOf(body: LibxcRecordBody): XenRecord {
  const framed = encodeWith((w) => encodeLibxcRecord(w, { body }), 64);
  const view = new DataView(framed.buffer, framed.byteOffset);
  const length = view.getUint32(4, true);
  return xc(view.getUint32(0, true), framed.subarray(8, 8 + length));
}

/** The page_data section as PAGE_DATA records of at most 1024 pfns each (none for an empty section). */
export function pageDataRecords(body: PageData): XenRecord[] {
  const out: XenRecord[] = [];
  if (!Array.isArray(body.pfns) || !Array.isArray(body.pages)) throw new EncodeError("invalid-value", "page_data needs pfns and pages arrays");
  const HAS_DATA = new Set([0, 1, 2, 3, 4, 9, 10, 11, 12]);
  let page = 0;
  for (let first = 0; first < body.pfns.length; first += MAX_BATCH_PFNS) {
    const pfns = body.pfns.slice(first, first + MAX_BATCH_PFNS);
    const n = pfns.reduce((k, p) => k + (HAS_DATA.has(p.type) ? 1 : 0), 0);
    const pages = body.pages.slice(page, page + n);
    if (pages.length !== n) throw new EncodeError("invalid-value", `page_data has ${body.pages.length} pages, its pfn words call for more`, { path: "pages" });
    page += n;
    out.push(recordOf({ type: "page_data", value: { pfns, pages } }));
  }
  if (page !== body.pages.length) throw new EncodeError("invalid-value", `page_data has ${body.pages.length} pages, its pfn words call for ${page}`, { path: "pages" });
  return out;
}

function isZero(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) if (bytes[i] !== 0) return false;
  return true;
}

/**
 * The libxc records a section maps to in a stream of this guest; `undefined` when the section has no
 * record there (it then travels in the XENIMAGE record). Throws an {@link EncodeError} for a value a Xen
 * record cannot hold (a p2m start beyond 32 bits, say).
 */
export function sectionToRecords(section: KnownSection, guest: GuestShape): XenRecord[] | undefined {
  const pv = guest.guestType === GuestType.pv;
  switch (section.type) {
    case "page_data":
      return pageDataRecords(section.body);
    case "extended_info":
      if (!pv) return undefined;
      return [recordOf({ type: "x86_pv_info", value: { guestWidth: section.body.guestWidth, ptLevels: section.body.ptLevels } })];
    case "p2m_frame_list": {
      if (!pv) return undefined;
      const { startPfn, endPfn, frames } = section.body;
      if (startPfn > 0xffff_ffffn || endPfn > 0xffff_ffffn) {
        throw new EncodeError("invalid-value", `pfn ${hex(startPfn > 0xffff_ffffn ? startPfn : endPfn)} does not fit X86_PV_P2M_FRAMES's 32-bit start/end`, { path: startPfn > 0xffff_ffffn ? "start_pfn" : "end_pfn" });
      }
      return [recordOf({ type: "x86_pv_p2m_frames", value: { startPfn: Number(startPfn), endPfn: Number(endPfn), p2mPfns: frames } })];
    }
    case "vcpu_context": {
      if (!pv) return undefined;
      const out: XenRecord[] = [];
      (section.body as VcpuContext[]).forEach((context, vcpuId) => {
        const bytes = encodeVcpuContext(context, guest.arch);
        if (!isZero(bytes)) out.push(recordOf({ type: "x86_pv_vcpu_basic", value: { vcpuId, context: bytes } }));
      });
      return out;
    }
    case "vcpu_extended":
      return pv ? [recordOf({ type: "x86_pv_vcpu_extended", value: { vcpuId: section.body.vcpuId, context: section.body.context } })] : undefined;
    case "vcpu_xsave": {
      if (!pv) return undefined;
      const v = section.body;
      return [recordOf({ type: "x86_pv_vcpu_xsave", value: { vcpuId: v.vcpuId, xcr0: v.xcr0, xcr0Accum: v.xcr0Accum, area: v.area } })];
    }
    case "vcpu_msrs":
      return pv ? [recordOf({ type: "x86_pv_vcpu_msrs", value: { vcpuId: section.body.vcpuId, msrs: section.body.msrs.map((m) => ({ index: m.index, value: m.value })) } })] : undefined;
    case "shared_info": {
      if (!pv) return undefined;
      const page = encodeWith(
        (w) => (guest.arch === Arch.x86_64 ? encodeSharedInfoPageX8664(w, section.body as SharedInfoPageX8664) : encodeSharedInfoPageX8632(w, section.body as SharedInfoPageX8632)),
        4096,
      );
      return [xc(RecordType.shared_info, page)];
    }
    case "tsc_info": {
      const v = section.body;
      return [recordOf({ type: "x86_tsc_info", value: { mode: v.mode, khz: v.khz, nsec: v.nsec, incarnation: v.incarnation } })];
    }
    case "hvm_context": {
      if (pv) return undefined;
      const blob = hvmBlob(section.body);
      return blob.length === 0 ? undefined : [xc(RecordType.hvm_context, blob)];
    }
    case "hvm_params":
      return pv ? undefined : [recordOf({ type: "hvm_params", value: { params: section.body.map((p) => ({ index: p.index, value: p.value })) } })];
    case "cpuid":
      return [recordOf({ type: "x86_cpuid_policy", value: { leaves: section.body.map((l) => ({ ...l })) } })];
    case "msr_policy":
      return [recordOf({ type: "x86_msr_policy", value: { msrs: section.body.map((m) => ({ idx: m.index, val: m.value })) } })];
    case "checkpoint":
      return [xc(RecordType.checkpoint, new Uint8Array(0))];
    default:
      return undefined;
  }
}

/** The vcpu id a per-vcpu record is about (its first word), or -1. */
export function vcpuIdOf(rec: XenRecord): number {
  if (rec.layer !== "libxc" || rec.body.length < 4) return -1;
  switch (rec.type) {
    case RecordType.x86_pv_vcpu_basic:
    case RecordType.x86_pv_vcpu_extended:
    case RecordType.x86_pv_vcpu_xsave:
    case RecordType.x86_pv_vcpu_msrs:
      return new DataView(rec.body.buffer, rec.body.byteOffset).getUint32(0, true);
    default:
      return -1;
  }
}

/** Byte equality. */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
