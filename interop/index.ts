/**
 * xenimage/interop: the formats Xen users already have. Xen's libxc/libxl migration streams and xl
 * save files (import into and export from our image), Xen's dump-core ELF files (likewise), and ELF
 * section tables and notes, and telling them apart (`detectXenFormat`, with a hint for legacy streams).
 * Works on bytes in memory; the file helpers (`ElfFileReader`, `writeDumpCoreFile`) are Node only.
 */
export { decodeElf, decodeNotes, encodeNote, type ElfBytes } from "./elf/index.js";
export { ElfFileReader, readElfFile } from "./elf/file.js";
export * from "./dump-core/index.js";
export { writeDumpCoreFile } from "./dump-core/file.js";
export * from "./xen-stream/index.js";
export { DETECT_BYTES, detectXenFormat, type XenFormat } from "./detect.js";
