/**
 * The Node-only part of the runtime: image files (lazy reader, atomic writer), the atomic-write helper
 * every file writer uses, and conversions between files and streams. Everything else, the stream
 * encoder and decoder included, is in `runtime/index.ts` and runs in browsers too.
 */
export * from "./atomic-file.js";
export * from "./file-chunks.js";
export * from "./file-reader.js";
export * from "./file-writer.js";
export * from "./convert.js";
export * from "./receiver.js";
