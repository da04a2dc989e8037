/**
 * Xen's own formats ↔ xenimage images: the libxc migration stream (v2, v3), the libxl stream around it
 * and the xl save file around that. In memory and pure over bytes, so a streaming command can wrap it.
 *
 * - {@link importXenStream}: a Xen stream → an image (encode it seekable with `encodeImage`, or streamed).
 * - {@link exportXenStream}: an image → a libxc v3 stream, a libxl stream or an xl save file.
 * - {@link readXenStream}: the framing only (headers, records), for inspection.
 *
 * Carried data (see schema/xen_libxc/xenimage_bridge.yaml): optional sections 0x7001 (the imported stream's
 * layout), 0x7002 (a libxc record kept verbatim), 0x7003 (a libxl record kept verbatim), 0x7004 (the exact
 * records a section was made from when writing it would not give them back), 0x7006 (the vcpus that sent
 * no BASIC record), and, only when asked for, the optional libxc record XENIMAGE (0x8058494d) with what
 * only the image holds.
 */
export { importXenStream, type ImportOptions } from "./import.js";
export { exportXenStream, type ExportOptions } from "./export.js";
export { detectXenStream, readXenStream, type XenLayerName, type XenRecord, type XenStream, type XlHeaderInfo } from "./framing.js";
export { headerInit, sameImage, sameSection, type SameImageOptions } from "./compare.js";
export { MAX_BATCH_PFNS, REC_LENGTH_MAX, recordTypeName, SECTION as XEN_CARRIER_SECTIONS, XENIMAGE_RECORD } from "./constants.js";
export { legacyHint } from "./legacy.js";
