/**
 * ELF, as far as interchange with other tools needs it: the file header, section headers with their names,
 * and notes, in both classes and byte orders. The layouts come from `schema/elf/*.yaml`. The file reader
 * (`./file.js`) is Node only; everything exported here works on bytes in memory.
 */
export * from "./reader.js";
export * from "./notes.js";
export * from "../../generated/elf/index.js";
