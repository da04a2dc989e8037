/**
 * Numbers the Xen stream converter shares: Xen's record types and limits (from the schemas under
 * schema/xen_libxc and schema/xen_libxl) and the ids xenimage chose for carrying Xen data.
 */
import { CarrierSection, RecordType, XenimageRecordType } from "../../generated/xen_libxc/index.js";
import { LibxlRecordType } from "../../generated/xen_libxl/index.js";

/** Xen's REC_LENGTH_MAX: no record body may be longer (xg_sr_common.c refuses it). */
export const REC_LENGTH_MAX = 128 * 1024 * 1024;
/** Xen's MAX_BATCH_SIZE: a saver puts at most this many pfns in one PAGE_DATA record. */
export const MAX_BATCH_PFNS = 1024;
/** Bit 31 of a libxc record type: the record is optional. */
export const REC_TYPE_OPTIONAL = 0x8000_0000;
/** The only page size Xen's x86 restorer accepts (page_shift 12). */
export const XEN_PAGE_SHIFT = 12;

/** The libxc record type of xenimage's own optional record. */
export const XENIMAGE_RECORD = XenimageRecordType.xenimage;

/** The optional sections (ids without bit 31) in which a xenimage image carries Xen data. */
export const SECTION = {
  layout: CarrierSection.xen_stream_layout,
  libxcRecord: CarrierSection.xen_libxc_record,
  libxlRecord: CarrierSection.xen_libxl_record,
  override: CarrierSection.xen_record_override,
  sources: CarrierSection.xenimage_sources,
  offline: CarrierSection.xen_offline_vcpus,
} as const;

/** Which layer a record type belongs to. */
export type RecordLayerName = "libxc" | "libxl";

/** libxc record types that shape the stream rather than carry data. */
export const LIBXC_STRUCTURAL: ReadonlySet<number> = new Set([RecordType.end, RecordType.static_data_end]);
/** libxl record types that shape the stream rather than carry data. */
export const LIBXL_STRUCTURAL: ReadonlySet<number> = new Set([LibxlRecordType.end, LibxlRecordType.libxc_context, LibxlRecordType.checkpoint_end]);

/** libxc record types only a PV stream may hold (Xen's HVM restorer fails on them). */
export const PV_ONLY: ReadonlySet<number> = new Set([
  RecordType.x86_pv_info,
  RecordType.x86_pv_p2m_frames,
  RecordType.x86_pv_vcpu_basic,
  RecordType.x86_pv_vcpu_extended,
  RecordType.x86_pv_vcpu_xsave,
  RecordType.x86_pv_vcpu_msrs,
  RecordType.shared_info,
]);
/** libxc record types only an HVM stream may hold. */
export const HVM_ONLY: ReadonlySet<number> = new Set([RecordType.hvm_context, RecordType.hvm_params]);

const LIBXC_NAMES = new Map<number, string>(Object.entries(RecordType).map(([k, v]) => [v, k.toUpperCase()]));
const LIBXL_NAMES = new Map<number, string>(Object.entries(LibxlRecordType).map(([k, v]) => [v, k.toUpperCase()]));

/** How messages name a record type: Xen's name (PAGE_DATA) or its number. */
export function recordTypeName(layer: RecordLayerName, type: number): string {
  if (layer === "libxc" && type === XENIMAGE_RECORD) return "XENIMAGE";
  const name = (layer === "libxc" ? LIBXC_NAMES : LIBXL_NAMES).get(type);
  return name ?? `type 0x${(type >>> 0).toString(16)}${layer === "libxc" && (type & REC_TYPE_OPTIONAL) !== 0 ? " (optional)" : ""}`;
}

/** How errors name a record: its layer, its index in the stream and its type. */
export function recordLabel(layer: RecordLayerName, index: number, type: number): string {
  return `${layer} record #${index} ${recordTypeName(layer, type)}`;
}

/** Zero bytes needed after `length` bytes to reach a multiple of 8. */
export function padding8(length: number): number {
  return (8 - (length % 8)) % 8;
}
