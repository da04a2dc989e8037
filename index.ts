/**
 * xenimage: the Xen domain image format, one ELF-like layout for save files, core files and migration
 * streams. This entry point gives the runtime (readers, writers, errors, the container) and the codecs
 * generated from schema/*.yaml (`encodeImage`, `decodeImage`, every section's types and codec).
 */
export * from "./runtime/index.js";
export * from "./generated/index.js";
export * from "./image/page-index.js";
export * from "./image/validate.js";
