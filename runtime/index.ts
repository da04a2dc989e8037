/**
 * The xenimage runtime: byte reading and writing, CRC32C, the error family, and the image container.
 * Generated codecs import only this module; it knows nothing about particular sections.
 */
export * from "./errors.js";
export * from "./error-codes.js";
export * from "./byte-reader.js";
export * from "./byte-writer.js";
export * from "./crc32c.js";
export * from "./crc32c-zeros.js";
export * from "./section-codec.js";
export * from "./container.js";
export * from "./layout.js";
export * from "./section-encoder.js";
export * from "./stream-io.js";
export * from "./stream-encoder.js";
export * from "./stream-decoder.js";
export * from "./image-reader.js";
export * from "./image-scan.js";
export * from "./convert.js";
export * from "./rules.js";
export * from "./json-shape.js";
export * from "./typed-arrays.js";
export * from "./uuid.js";
export * from "./enum-names.js";
export * from "./section-table.js";
export * from "./entry-rules.js";
export { Schema } from "./reflect/schema.js";
export type { SchemaJson } from "./reflect/schema-json.js";
export * from "./parts-reader.js";
