/**
 * Xen records ↔ xenimage sections. Each direction is one function per record type, built on the codecs
 * generated from schema/xen_libxc (the record bodies) and schema/*.yaml (the sections).
 *
 * | libxc record | section | notes |
 * | --- | --- | --- |
 * | PAGE_DATA | page_data | one section per record on import; a section becomes ⌈pfns / 1024⌉ records |
 * | X86_PV_INFO | extended_info | width and levels; the legacy facts (flags, sizes) are derived on import |
 * | X86_PV_P2M_FRAMES | p2m_frame_list | u32 start/end in Xen, u64 in xenimage |
 * | X86_PV_VCPU_BASIC | vcpu_context | every BASIC of a round in one array, entry = vcpu id; the ids with no record (offline vcpus) are listed in a xen_offline_vcpus section (0x7006); every other entry is a record, whatever it holds |
 * | X86_PV_VCPU_EXTENDED / XSAVE / MSRS | vcpu_extended / vcpu_xsave / vcpu_msrs | one section per record |
 * | SHARED_INFO | shared_info | the page, decoded for the guest's width |
 * | X86_TSC_INFO | tsc_info | same layout |
 * | HVM_CONTEXT | hvm_context | the blob is the section's record run |
 * | HVM_PARAMS | hvm_params | count and reserved word dropped |
 * | X86_CPUID_POLICY / X86_MSR_POLICY | cpuid / msr_policy | entries |
 * | CHECKPOINT | checkpoint | empty |
 * | anything else | xen_libxc_record (0x7002) | kept verbatim |
 *
 * | libxl record | section | notes |
 * | --- | --- | --- |
 * | EMULATOR_CONTEXT | device_model_state | emulator id, index, blob |
 * | EMULATOR_XENSTORE_DATA | device_model_xenstore | emulator id, index, key/value data |
 * | CHECKPOINT_STATE | xen_libxl_record (0x7003) | kept verbatim |
 *
 * Each check a record must pass names, in a comment, the Xen source whose restorer makes it.
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
  type HvmParam,
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
import {
  decodeEmulatorContextRecord,
  decodeEmulatorXenstoreDataRecord,
  EmulatorId,
  encodeEmulatorContextRecord,
  encodeEmulatorXenstoreDataRecord,
  LibxlRecordType,
} from "../../generated/xen_libxl/index.js";
import { ByteReader, ByteWriter, DecodeError, EncodeError, hex, XenImageError, type DecodeErrorCode } from "../../runtime/index.js";
import { HVM_ONLY, MAX_BATCH_PFNS, PV_ONLY, recordLabel, type RecordLayerName } from "./constants.js";
import { sameSection } from "./compare.js";
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
 * Xen's PAGE_DATA checks that come before the body can be read as pfns and pages (xg_sr_restore.c,
 * handle_page_data): at least one pfn, and no page of a reserved type. Done on the raw words so that a
 * reserved type is reported as itself, not as the page its sender put after it.
 */
function checkPageDataWords(rec: XenRecord): void {
  const body = rec.body;
  if (body.length < 8) return; // the record codec reports the short body
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const count = view.getUint32(0, true);
  if (count === 0) bad(rec, "PAGE_DATA must describe at least one pfn (Xen's restorer refuses count 0)", "body.count");
  const words = Math.min(count, Math.floor((body.length - 8) / 8));
  for (let i = 0; i < words; i++) {
    const type = view.getUint8(8 + i * 8 + 7) >> 4;
    // is_known_page_type (xg_sr_common.h): types 5-8 are no XEN_DOMCTL_PFINFO_* value.
    if (type >= 5 && type <= 8) bad(rec, `reserved page type ${type}: Xen's restorer refuses it (is_known_page_type)`, `body.pfns[${i}].type`, 8 + i * 8 + 7);
  }
}

/**
 * An HVM context blob as the hypervisor loads it (xen/arch/x86/hvm/save.c, hvm_load): records up to
 * the END record; whatever follows END is never read. Returns the decoded records and whether bytes
 * followed END. A blob whose records before END our layouts cannot decode is a DecodeError naming the
 * record.
 */
function decodeHvmBlob(rec: XenRecord, blob: Uint8Array): { context: HvmContext; trailing: boolean } {
  let end = 0;
  const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  for (;;) {
    if (blob.length - end < 8) {
      bad(rec, `the HVM context does not end with an END record (hvm_load: "save did not end with a null entry")`, "body.blob", 8 + end);
    }
    const typecode = view.getUint16(end, true);
    const length = view.getUint32(end + 4, true);
    if (typecode === 0) {
      end += 8;
      break;
    }
    if (length > blob.length - end - 8) bad(rec, `HVM context record at +${hex(end)} (typecode ${typecode}) runs past the blob (${length} bytes)`, "body.blob", 8 + end);
    end += 8 + length;
  }
  try {
    const context = decodeHvmContext(new ByteReader(blob.subarray(0, end), { littleEndian: true, base: rec.offset < 0 ? 0 : rec.offset + 8 }));
    return { context, trailing: end < blob.length };
  } catch (e) {
    if (e instanceof XenImageError) throw e.within({ section: label(rec), path: "body.blob" });
    throw e;
  }
}

/**
 * Turns one non-structural libxc record into what the image holds. A record Xen's restorer would refuse
 * (a wrong size, reserved page types, a deprecated or back-channel type, a record of the other guest
 * type) is a {@link DecodeError} naming it and the check of Xen's it fails; a valid record no section
 * can hold is a carrier.
 */
export function recordToPiece(rec: XenRecord, guest: GuestShape | undefined): Piece {
  const type = rec.type;
  const pv = guest?.guestType === GuestType.pv;
  // x86_pv_process_record / x86_hvm_process_record (xg_sr_restore_x86_{pv,hvm}.c): a record of the other
  // guest type is not processed, and restore() fails on an unprocessed mandatory record.
  if (guest !== undefined && pv && HVM_ONLY.has(type)) bad(rec, "an HVM record in a PV stream: Xen's PV restorer refuses it", "type", -8);
  if (guest !== undefined && !pv && PV_ONLY.has(type)) bad(rec, "a PV record in an HVM stream: Xen's HVM restorer refuses it", "type", -8);
  if (type === RecordType.toolstack) bad(rec, "TOOLSTACK records are deprecated and refused by Xen's restorer (since 4.7)", "type", -8, "unsupported");
  if (type === RecordType.checkpoint_dirty_pfn_list) bad(rec, "CHECKPOINT_DIRTY_PFN_LIST belongs to the COLO back channel, not to a saved stream", "type", -8, "unsupported");
  if (!KNOWN_TYPES.has(type) || type === RecordType.verify) return { kind: "carrier", record: rec };

  // handle_x86_pv_vcpu_blob (xg_sr_restore_x86_pv.c) skips a vcpu record with an empty context (spec
  // errata 1: Xen 4.6-4.8 wrote some). Valid, but no section of ours holds a vcpu header alone.
  if ((type === RecordType.x86_pv_vcpu_basic || type === RecordType.x86_pv_vcpu_xsave) && rec.body.length === 8) {
    if (new DataView(rec.body.buffer, rec.body.byteOffset).getUint32(4, true) !== 0) bad(rec, "reserved word of the vcpu header is not zero", "body.reserved", 4);
    return { kind: "carrier", record: rec };
  }
  if (type === RecordType.page_data) checkPageDataWords(rec);
  const body = decodeLibxcBody(rec);
  const section = (s: KnownSection): Piece => ({ kind: "section", section: s, record: rec });
  switch (body.type) {
    case "page_data":
      return section({ type: "page_data", body: { pfns: body.value.pfns, pages: body.value.pages } });
    case "x86_pv_info": {
      const { guestWidth, ptLevels } = body.value;
      // valid_x86_pv_info_combination (xg_sr_restore_x86_pv.c): 32-bit guests use 3 levels, 64-bit ones 4.
      if (guestWidth !== 4 && guestWidth !== 8) bad(rec, `guest width ${guestWidth}: 4 or 8 expected`, "body.guest_width");
      if (ptLevels !== (guestWidth === 8 ? 4 : 3)) {
        bad(rec, `width ${guestWidth} with ${ptLevels} page-table levels: Xen's restorer takes only width 4 with 3 levels and width 8 with 4`, "body.pt_levels", 1);
      }
      return { kind: "pv_info", guestWidth, ptLevels, record: rec };
    }
    case "x86_pv_p2m_frames": {
      const v = body.value;
      // handle_x86_pv_p2m_frames (xg_sr_restore_x86_pv.c): start <= end, and one frame per page of p2m
      // entries from start's frame to end's.
      if (v.startPfn > v.endPfn) bad(rec, `start_pfn ${hex(v.startPfn)} is above end_pfn ${hex(v.endPfn)}`, "body.start_pfn");
      const perFrame = 4096 / (guest?.arch === Arch.x86_32 ? 4 : 8);
      const frames = Math.floor(v.endPfn / perFrame) + 1 - Math.floor(v.startPfn / perFrame);
      if (v.p2mPfns.length !== frames) {
        bad(rec, `${v.p2mPfns.length} frames for pfns ${hex(v.startPfn)}-${hex(v.endPfn)}: Xen's restorer wants ${frames} (one per ${perFrame} pfns)`, "length", -4);
      }
      return section({ type: "p2m_frame_list", body: { startPfn: BigInt(v.startPfn), endPfn: BigInt(v.endPfn), frames: v.p2mPfns } });
    }
    case "x86_pv_vcpu_basic": {
      const arch = guest!.arch;
      const size = VCPU_SIZE[arch]!;
      if (body.value.vcpuId > MAX_VCPU_ID) bad(rec, `vcpu id ${body.value.vcpuId}: at most ${MAX_VCPU_ID} is accepted`, "body.vcpu_id");
      // handle_x86_pv_vcpu_blob: a BASIC context has the size of the guest width's vcpu_guest_context.
      if (body.value.context.length !== size) {
        bad(rec, `a ${body.value.context.length}-byte vcpu context contradicts X86_PV_INFO's guest width ${arch === Arch.x86_64 ? 8 : 4}, whose context is ${size} bytes`, "body.context", 8);
      }
      return { kind: "vcpu", vcpuId: body.value.vcpuId, context: decodeVcpuContext(body.value.context, arch), record: rec };
    }
    case "x86_pv_vcpu_extended":
      // handle_x86_pv_vcpu_blob: an extended context is at most 128 bytes.
      if (body.value.context.length > 128) bad(rec, `a ${body.value.context.length}-byte extended context: Xen's restorer takes at most 128`, "body.context", 8);
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
      // The verifier (libxc.py) refuses an empty HVM context; so does the hypervisor's hvm_load.
      if (body.value.blob.length === 0) bad(rec, "an empty HVM context", "body.blob");
      return section({ type: "hvm_context", body: decodeHvmBlob(rec, body.value.blob).context });
    }
    case "hvm_params":
      return section({ type: "hvm_params", body: body.value.params.map((p) => ({ index: p.index, value: p.value })) });
    case "x86_cpuid_policy":
      // handle_x86_cpuid_policy (xg_sr_common_x86.c): a policy of at least one leaf.
      if (body.value.leaves.length === 0) bad(rec, "an empty CPUID policy: Xen's restorer wants at least one leaf", "length", -4);
      return section({ type: "cpuid", body: body.value.leaves.map((l) => ({ ...l })) });
    case "x86_msr_policy":
      // handle_x86_msr_policy (xg_sr_common_x86.c): a policy of at least one MSR.
      if (body.value.msrs.length === 0) bad(rec, "an empty MSR policy: Xen's restorer wants at least one MSR", "length", -4);
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

/** The emulator ids libxl's stream format defines (libxl_sr_stream_format.h); 3 and above are reserved. */
const KNOWN_EMULATORS: ReadonlySet<number> = new Set(Object.values(EmulatorId));

/**
 * Checks xenstore data as libxl__restore_emulator_xenstore_data (libxl_dom_save.c) reads it: key NUL
 * value NUL pairs, each key non-empty and relative.
 */
function checkXenstoreData(rec: XenRecord, data: Uint8Array): void {
  let at = 0;
  while (at < data.length) {
    const keyEnd = data.indexOf(0, at);
    if (keyEnd < 0) bad(rec, "a key in the xenstore data is not NUL-terminated", "body.data", 8 + at);
    if (keyEnd === at) bad(rec, "an empty key in the xenstore data", "body.data", 8 + at);
    if (data[at] === 0x2f) bad(rec, "a key in the xenstore data is absolute (starts with /); libxl wants keys relative to the device model's directory", "body.data", 8 + at);
    const valueEnd = data.indexOf(0, keyEnd + 1);
    if (valueEnd < 0) bad(rec, "a value in the xenstore data is not NUL-terminated", "body.data", 8 + keyEnd + 1);
    at = valueEnd + 1;
  }
}

/**
 * Turns one libxl emulator record into its section. libxl's reader takes emulator records only for HVM
 * guests (libxl_stream_read.c, process_record), and its stream format defines emulator ids 0-2; a
 * CHECKPOINT_STATE is kept verbatim.
 */
export function libxlRecordToPiece(rec: XenRecord, guest: GuestShape): Piece {
  if (rec.type !== LibxlRecordType.emulator_context && rec.type !== LibxlRecordType.emulator_xenstore_data) return { kind: "carrier", record: rec };
  if (guest.guestType !== GuestType.hvm) bad(rec, "an emulator record in a PV stream: libxl expects none for a PV guest and refuses the stream", "type", -8);
  const r = new ByteReader(rec.body, { littleEndian: true, base: rec.offset < 0 ? 0 : rec.offset + 8 });
  try {
    if (rec.type === LibxlRecordType.emulator_context) {
      const v = decodeEmulatorContextRecord(r);
      if (!KNOWN_EMULATORS.has(v.emulatorId)) bad(rec, `emulator id ${v.emulatorId}: libxl's stream format defines 0-2, the rest is reserved`, "body.emulator_id");
      return { kind: "section", section: { type: "device_model_state", body: { emulatorId: v.emulatorId, index: v.index, state: v.blob } }, record: rec };
    }
    const v = decodeEmulatorXenstoreDataRecord(r);
    if (!KNOWN_EMULATORS.has(v.emulatorId)) bad(rec, `emulator id ${v.emulatorId}: libxl's stream format defines 0-2, the rest is reserved`, "body.emulator_id");
    checkXenstoreData(rec, v.data);
    return { kind: "section", section: { type: "device_model_xenstore", body: { emulatorId: v.emulatorId, index: v.index, data: v.data } }, record: rec };
  } catch (e) {
    if (e instanceof XenImageError) throw e.within({ section: label(rec) });
    throw e;
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

/** What else than the section decides its records. */
export interface RecordContext {
  /** The libxc stream version written (2 has no CPUID or MSR policy records). Default 3. */
  readonly version?: number;
  /** For vcpu_context: the vcpus that get no BASIC record (the section's xen_offline_vcpus). */
  readonly offline?: ReadonlySet<number>;
}

function encodeFail(reason: string, path?: string): never {
  throw new EncodeError("invalid-value", reason, path === undefined ? {} : { path });
}

/** An emulator id libxl's stream format defines, or an EncodeError. */
function emulatorId(id: number): number {
  if (!KNOWN_EMULATORS.has(id)) encodeFail(`emulator id ${id}: libxl's stream format defines 0-2 (unknown, qemu-traditional, qemu-upstream)`, "emulator_id");
  return id;
}

function libxlRecord(type: number, body: Uint8Array): XenRecord {
  return { layer: "libxl", type, body, offset: -1, index: -1 };
}

/** The BASIC records of a vcpu_context section: one per entry, except the offline vcpus'. */
function basicRecords(contexts: readonly VcpuContext[], guest: GuestShape, offline: ReadonlySet<number>): XenRecord[] {
  const out: XenRecord[] = [];
  for (const id of offline) {
    if (!Number.isInteger(id) || id < 0 || id >= contexts.length) encodeFail(`xen_offline_vcpus names vcpu ${id}, but vcpu_context has ${contexts.length} entries`, "offline");
  }
  // update_vcpu_context (xg_sr_restore_x86_pv.c): "Sender didn't send vcpu0's basic state" fails the restore.
  if (offline.has(0) || contexts.length === 0) encodeFail("vcpu 0 has no context: Xen's PV restorer needs vcpu 0's basic state", "[0]");
  contexts.forEach((context, vcpuId) => {
    const bytes = encodeVcpuContext(context, guest.arch);
    if (offline.has(vcpuId)) {
      if (!isZero(bytes)) encodeFail(`vcpu ${vcpuId} is listed offline (xen_offline_vcpus) but its entry holds a context`, `[${vcpuId}]`);
      return;
    }
    out.push(recordOf({ type: "x86_pv_vcpu_basic", value: { vcpuId, context: bytes } }));
  });
  return out;
}

/**
 * The records a section maps to in a stream of this guest (libxc records; libxl ones for the device
 * model's sections); `undefined` when the section has no record there (it then travels in the XENIMAGE
 * record, when one is written). Throws an {@link EncodeError} for a value a Xen record cannot hold (a p2m
 * start beyond 32 bits, say) or that Xen's restorer would refuse (vcpu 0 offline, a width that
 * contradicts the guest's architecture).
 */
export function sectionToRecords(section: KnownSection, guest: GuestShape, context: RecordContext = {}): XenRecord[] | undefined {
  const pv = guest.guestType === GuestType.pv;
  const version = context.version ?? 3;
  switch (section.type) {
    case "page_data":
      return pageDataRecords(section.body);
    case "extended_info": {
      if (!pv) return undefined;
      const { guestWidth, ptLevels } = section.body;
      const width = guest.arch === Arch.x86_64 ? 8 : 4;
      if (guestWidth !== width) encodeFail(`guest width ${guestWidth} contradicts the header's architecture (${width === 8 ? "x86_64" : "x86_32"}, width ${width})`, "guest_width");
      // valid_x86_pv_info_combination (xg_sr_restore_x86_pv.c).
      if (ptLevels !== (width === 8 ? 4 : 3)) encodeFail(`${ptLevels} page-table levels: Xen's restorer takes a ${width * 8}-bit guest only with ${width === 8 ? 4 : 3}`, "pt_levels");
      return [recordOf({ type: "x86_pv_info", value: { guestWidth, ptLevels } })];
    }
    case "p2m_frame_list": {
      if (!pv) return undefined;
      const { startPfn, endPfn, frames } = section.body;
      if (startPfn > 0xffff_ffffn || endPfn > 0xffff_ffffn) {
        throw new EncodeError("invalid-value", `pfn ${hex(startPfn > 0xffff_ffffn ? startPfn : endPfn)} does not fit X86_PV_P2M_FRAMES's 32-bit start/end`, { path: startPfn > 0xffff_ffffn ? "start_pfn" : "end_pfn" });
      }
      return [recordOf({ type: "x86_pv_p2m_frames", value: { startPfn: Number(startPfn), endPfn: Number(endPfn), p2mPfns: frames } })];
    }
    case "vcpu_context":
      return pv ? basicRecords(section.body as VcpuContext[], guest, context.offline ?? new Set()) : undefined;
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
      // Version 2 streams have no policy records (the verifier refuses them there).
      return version < 3 ? undefined : [recordOf({ type: "x86_cpuid_policy", value: { leaves: section.body.map((l) => ({ ...l })) } })];
    case "msr_policy":
      return version < 3 ? undefined : [recordOf({ type: "x86_msr_policy", value: { msrs: section.body.map((m) => ({ idx: m.index, val: m.value })) } })];
    case "checkpoint":
      return [xc(RecordType.checkpoint, new Uint8Array(0))];
    case "device_model_state": {
      if (pv) return undefined;
      const v = section.body;
      const body = encodeWith((w) => encodeEmulatorContextRecord(w, { emulatorId: emulatorId(v.emulatorId), index: v.index, blob: v.state }), v.state.length + 8);
      return [libxlRecord(LibxlRecordType.emulator_context, body)];
    }
    case "device_model_xenstore": {
      if (pv) return undefined;
      const v = section.body;
      const rec = libxlRecord(LibxlRecordType.emulator_xenstore_data, encodeWith((w) => encodeEmulatorXenstoreDataRecord(w, { emulatorId: emulatorId(v.emulatorId), index: v.index, data: v.data }), v.data.length + 8));
      try {
        checkXenstoreData(rec, v.data);
      } catch (e) {
        if (e instanceof DecodeError) encodeFail(e.reason, "data");
        throw e;
      }
      return [rec];
    }
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

/** Section types of which a phase holds one, however many records of the kind a stream sends. */
export const SINGLE_PER_PHASE: ReadonlySet<string> = new Set(["tsc_info", "shared_info", "hvm_context", "hvm_params", "cpuid", "msr_policy", "p2m_frame_list"]);

/** HVM parameters as Xen applies repeated HVM_PARAMS records (handle_hvm_params sets each in turn): the last value of each index, in the order indices first appear. */
function mergeHvmParams(lists: readonly HvmParam[][]): HvmParam[] {
  const out: HvmParam[] = [];
  const at = new Map<bigint, number>();
  for (const list of lists) {
    for (const p of list) {
      const i = at.get(p.index);
      if (i === undefined) {
        at.set(p.index, out.length);
        out.push({ index: p.index, value: p.value });
      } else {
        out[i] = { index: p.index, value: p.value };
      }
    }
  }
  return out;
}

/**
 * P2M frame lists as handle_x86_pv_p2m_frames applies them: each record writes its frames at its start
 * pfn's frame index. The result must be one run with no frame left unset, or Xen's update_guest_p2m
 * fails on the hole; a hole is a DecodeError naming the record that leaves it.
 */
function mergeP2mFrames(pieces: readonly { section: KnownSection & { type: "p2m_frame_list" }; record: XenRecord }[], guest: GuestShape): KnownSection {
  const perFrame = BigInt(4096 / (guest.arch === Arch.x86_32 ? 4 : 8));
  let start = pieces[0]!.section.body.startPfn;
  let end = pieces[0]!.section.body.endPfn;
  for (const p of pieces) {
    if (p.section.body.startPfn < start) start = p.section.body.startPfn;
    if (p.section.body.endPfn > end) end = p.section.body.endPfn;
  }
  const first = start / perFrame;
  const frames = new BigUint64Array(Number(end / perFrame - first + 1n));
  const set = new Uint8Array(frames.length);
  for (const p of pieces) {
    const at = Number(p.section.body.startPfn / perFrame - first);
    frames.set(p.section.body.frames, at);
    set.fill(1, at, at + p.section.body.frames.length);
  }
  const hole = set.indexOf(0);
  if (hole >= 0) {
    const rec = pieces.at(-1)!.record;
    bad(rec, `the X86_PV_P2M_FRAMES records leave the frame for pfns from ${hex((first + BigInt(hole)) * perFrame)} unset: Xen's update_guest_p2m fails on it`, "body.start_pfn");
  }
  return { type: "p2m_frame_list", body: { startPfn: start, endPfn: end, frames } };
}

/**
 * The section several records of one kind in one phase give, as Xen's restorer applies them: vcpu
 * contexts by id (the last record of a vcpu wins, update_blob), HVM parameters merged, p2m frames
 * merged, and for the other kinds the last record (each replaces the one before it). Every piece must be
 * of the same kind.
 */
export function combinePieces(pieces: readonly Piece[], guest: GuestShape): KnownSection {
  const first = pieces[0]!;
  if (first.kind === "vcpu") {
    const vcpus = pieces.map((p) => p as Piece & { kind: "vcpu" });
    return { type: "vcpu_context", body: vcpuArray(vcpus, guest.arch) } as KnownSection;
  }
  const sections = pieces.map((p) => (p as Piece & { kind: "section" }).section);
  if (first.kind !== "section" || pieces.length === 1) return sections[0]!;
  if (sections[0]!.type === "hvm_params") return { type: "hvm_params", body: mergeHvmParams(sections.map((s) => s.body as HvmParam[])) };
  if (sections[0]!.type === "p2m_frame_list") {
    return mergeP2mFrames(
      pieces.map((p) => p as Piece & { kind: "section"; section: KnownSection & { type: "p2m_frame_list" } }),
      guest,
    );
  }
  return sections.at(-1)!;
}

/** Whether records decode (and combine) to exactly this section. */
export function rebuilds(section: KnownSection, records: readonly XenRecord[], guest: GuestShape): boolean {
  try {
    const pieces = records.map((r) => (r.layer === "libxl" ? libxlRecordToPiece(r, guest) : recordToPiece(r, guest)));
    if (pieces.length === 0 || pieces.some((p) => p.kind !== pieces[0]!.kind || p.kind === "carrier" || p.kind === "pv_info")) return false;
    if (pieces[0]!.kind === "section" && pieces.some((p) => p.kind === "section" && p.section.type !== section.type)) return false;
    return sameSection(section, combinePieces(pieces, guest));
  } catch {
    return false;
  }
}
