/**
 * Xen's dump-core ELF files (`xl dump-core`) ↔ our core images. `exportDumpCore` writes what xg_core.c
 * writes; `importDumpCore` reads such a file back into a core image. What the format cannot carry is
 * listed by `planDumpCore(image).losses` (see README.md beside this file). `writeDumpCoreFile` (Node
 * only) is in `./file.js`.
 */
export * from "./format.js";
export * from "./export.js";
export * from "./import.js";
