/**
 * xenimage/interop: the formats Xen users already have. Xen's libxc/libxl migration streams and xl
 * save files (import into and export from our image), Xen's dump-core ELF files (likewise), and ELF
 * section tables and notes, and telling them apart (`detectXenFormat`, with a hint for legacy streams).
 * Works on bytes in memory; the file helpers (`ElfFileReader`, `writeDumpCoreFile`) are Node only. Every
 * name is listed: adding one is a deliberate change (test/package/exports.test.ts pins them).
 */
export { decodeElf, decodeNotes, encodeNote, type ElfBytes, type ElfFile, type ElfNote, type ElfSection } from "./elf/index.js";
export { ElfFileReader, readElfFile } from "./elf/file.js";
export { decodeDumpCore, importDumpCore, type DumpCoreFile, type ImportDumpCoreOptions } from "./dump-core/import.js";
export { dumpCoreLosses, exportDumpCore, planDumpCore, type DumpCorePlan, type DumpCoreSection, type ExportDumpCoreOptions } from "./dump-core/export.js";
export { writeDumpCoreFile } from "./dump-core/file.js";
export {
  detectXenStream,
  exportXenStream,
  headerInit,
  importXenStream,
  legacyHint,
  MAX_BATCH_PFNS,
  readXenStream,
  recordTypeName,
  REC_LENGTH_MAX,
  sameImage,
  sameSection,
  XEN_CARRIER_SECTIONS,
  XENIMAGE_RECORD,
  type ExportOptions,
  type ImportOptions,
  type SameImageOptions,
  type XenLayerName,
  type XenRecord,
  type XenStream,
  type XlHeaderInfo,
} from "./xen-stream/index.js";
export { DETECT_BYTES, detectXenFormat, type XenFormat } from "./detect.js";
