/**
 * The xenimage runtime: byte reading and writing, CRC32C, the error family, and the image container.
 * Generated codecs import only this module; it knows nothing about particular sections.
 */
export * from "./errors.js";
export * from "./byte-reader.js";
export * from "./byte-writer.js";
export * from "./crc32c.js";
export * from "./section-codec.js";
export * from "./container.js";
export * from "./rules.js";
export * from "./json-shape.js";
