import type { DecodeErrorCode } from "xenimage/reflect";

/**
 * Every validity rule of the format, once, with a stable id: what the validity page lists, where each
 * rule is stated in full (a page and an anchor), and the error code a reader reports when an image
 * breaks it. The conformance suite has at least one invalid image per rule and names the rule by its
 * id in its manifest; a test holds the two to each other. The rules are listed in the order a reader
 * checks them.
 */
export interface ValidityRule {
  /** Stable id, `part.rule` (the manifest's `rule`). */
  readonly id: string;
  readonly code: DecodeErrorCode;
  /** The docs page that states it in full, and the anchor on that page. */
  readonly page: string;
  readonly anchor?: string;
  /** The rule in one sentence. */
  readonly text: string;
}

const header = (field: string) => ({ page: "header", anchor: `f-image_header-${field}` });
const entry = { page: "section-table" };

/** The rules, in the order a reader checks them. */
export const VALIDITY_RULES: readonly ValidityRule[] = [
  { id: "header.size", code: "truncated", ...header("magic"), text: "An image holds at least this version's whole header." },
  { id: "header.magic", code: "magic", ...header("magic"), text: "The image starts with the magic 7F 58 45 4E 49 4D 47 00." },
  { id: "header.byte_order", code: "field-value", ...header("byte_order"), text: "byte_order is little (1) or big (2)." },
  { id: "header.format_version", code: "unsupported", ...header("format_version"), text: "format_version is at least 1 and at most the highest version the reader knows." },
  { id: "header.header_size", code: "field-value", ...header("header_size"), text: "header_size is at least the header's size in this version and no larger than the image." },
  { id: "header.crc", code: "crc", ...header("header_crc"), text: "header_crc is the CRC32C of the header_size header bytes with the field taken as zero." },
  { id: "header.padding", code: "reserved", ...header("_pad2"), text: "The header's padding byte and its reserved field are zero." },
  { id: "header.image_type", code: "field-value", ...header("image_type"), text: "image_type is save, core or migration (a closed enum)." },
  { id: "header.guest_type", code: "field-value", ...header("guest_type"), text: "guest_type is pv or hvm (a closed enum)." },
  { id: "header.arch", code: "field-value", ...header("arch"), text: "arch is x86_32, x86_64, arm32 or arm64 (a closed enum)." },
  { id: "header.page_shift", code: "field-value", ...header("page_shift"), text: "page_shift is 12: pages are 4096 bytes." },
  { id: "header.vcpu_count", code: "field-value", ...header("vcpu_count"), text: "vcpu_count is at least 1." },
  { id: "header.memory_size", code: "field-value", ...header("memory_size"), text: "memory_size is a whole number of 4096-byte pages." },
  { id: "header.name", code: "string", ...header("name"), text: "The name is UTF-8, and every byte after its first NUL is zero." },
  { id: "header.section_entry_size", code: "field-value", ...header("section_entry_size"), text: "section_entry_size is at least 48 and a multiple of 8, in both layouts." },
  { id: "header.section_count", code: "section-count", ...header("section_count"), text: "A seekable image's section_count is at least 1; a stream's is 0 or the number of its sections, the end section counted." },
  { id: "header.section_table_offset", code: "placement", ...header("section_table_offset"), text: "A seekable image's table starts at a multiple of 8, after the header." },
  { id: "image.truncated", code: "truncated", page: "index", anchor: "conventions", text: "The image holds everything its header and entries announce: the whole table, every entry and body of a stream, and the end entry." },
  { id: "entry.crc", code: "entry-crc", ...entry, text: "entry_crc is the CRC32C of the entry's section_entry_size bytes with the field taken as zero (from version 2)." },
  { id: "entry.reserved", code: "reserved", ...entry, text: "In a version-1 image, entry_crc is zero." },
  { id: "entry.end", code: "end-entry", ...entry, text: "The last entry, and only the last, is the end section, with exactly its one value in every field (no optional bit, CRC 0, …)." },
  { id: "entry.align", code: "alignment", ...entry, text: "align is a power of two of at most 2 MiB, the registry's for a known type." },
  { id: "entry.optional_bit", code: "optional-bit", ...entry, text: "A known type carries the optional bit the registry gives it." },
  { id: "entry.shape", code: "entry-shape", ...entry, text: "A section that is not an array has entry_count and entry_size 0; an array section has its layout's entry_size and size = entry_count × entry_size." },
  { id: "entry.placement", code: "placement", ...entry, text: "Each seekable body is at the first multiple of its align after the previous one, in table order, inside the image (no overlap, no larger gap); a streamed entry's offset is the sentinel." },
  { id: "layout.gap", code: "gap", ...entry, text: "The alignment gaps of a seekable image are zero." },
  { id: "layout.padding", code: "padding", ...entry, text: "A stream's padding after the header and after each body is zero." },
  { id: "layout.trailing", code: "trailing", ...entry, text: "Nothing follows a seekable image's table, or a stream's end entry." },
  { id: "body.crc", code: "crc", ...entry, text: "A body's CRC32C is its entry's crc." },
  { id: "section.unknown_mandatory", code: "unknown-mandatory", page: "registry", text: "A section of a type the reader does not know has the optional bit set." },
  { id: "body.reserved", code: "reserved", page: "index", anchor: "conventions", text: "Reserved fields, reserved bits and padding inside a section body are zero." },
  { id: "body.string", code: "string", page: "index", anchor: "conventions", text: "Strings in a body are UTF-8 (or ASCII where the field says), NUL-padded with zeros after the NUL, and a text without terminator has no NUL." },
  { id: "body.truncated", code: "truncated", page: "index", anchor: "conventions", text: "A body holds every fixed field of its layout." },
  { id: "body.length", code: "length", page: "index", anchor: "conventions", text: "A body holds nothing past its layout, and its counts and lengths agree with the bytes they describe (HVM record lengths, hvm_msr's count, vcpu_msrs' MSRs)." },
  { id: "p2m_frame_list.range", code: "field-value", page: "sections/p2m_frame_list", text: "p2m_frame_list's start_pfn is at most its end_pfn." },
  { id: "p2m_frame_list.frames", code: "length", page: "sections/p2m_frame_list", text: "p2m_frame_list has one frame per page of p2m entries from start_pfn's to end_pfn's." },
  { id: "vcpu_context.count", code: "vcpu-count", page: "sections/vcpu_context", text: "vcpu_context has at least one entry and at most vcpu_count." },
  { id: "vcpu.id", code: "vcpu-id", page: "sections/vcpu_context", text: "Every vcpu id (vcpu_extended, vcpu_xsave, vcpu_msrs, a per-vcpu HVM record's instance) is below vcpu_count." },
  { id: "hvm_context.order", code: "hvm-record", page: "sections/hvm_context", text: "An HVM context starts with the header record and ends with the end record, each once." },
  { id: "xen_version.match", code: "xen-version", page: "sections/xen_version", text: "xen_version's major and minor version are the header's xen_major and xen_minor." },
  { id: "rules.covered", code: "image-rule", page: "rules", text: "Some image-type rule covers the header's image type, guest type and architecture (no x86_32 HVM guest, no PV guest on ARM)." },
  { id: "rules.presence", code: "image-rule", page: "rules", text: "Every section the rule requires is there, as often as it allows, and no section it forbids." },
  { id: "rules.order", code: "image-rule", page: "rules", text: "The sections come in the rule's order, and after a checkpoint only the sections a phase may repeat." },
  { id: "pfn_map.words", code: "pfn-map", page: "sections/pfn_map", text: "pfn_map has one entry per page-frame word of the page_data sections, in order, each with its word's pfn." },
];
