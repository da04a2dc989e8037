/**
 * xenimage/node: the Node-only part of the package: seekable image files (a lazy reader with
 * positional reads, a writer that never leaves a half-written file) and conversions between files,
 * sockets and streams. The main entry point (`xenimage`) has everything that also runs in a browser.
 * Every name is listed: adding one is a deliberate change (test/package/exports.test.ts pins them).
 */
export {
  AtomicFile,
  cleanupTemporaries,
  FileWriteError,
  removeStaleTemporaries,
  removeStaleTemporariesIn,
  syncDirectory,
  writeFileAtomic,
  type AtomicFileOptions,
} from "./runtime/node/atomic-file.js";
export { FileChunks, type FileChunksOptions } from "./runtime/node/file-chunks.js";
export { fileSource, openImageFile, type FileHandleLike } from "./runtime/node/file-reader.js";
export { ImageWriter, writeImageFile, type ImageWriterOptions } from "./runtime/node/file-writer.js";
export { imageFileToStream, streamToImageFile, type ConversionSummary, type StreamToImageOptions } from "./runtime/node/convert.js";
export { MigrationReceiver, ReceiverClosedError, type MigrationInfo, type MigrationResult, type ReceiverOptions } from "./runtime/node/receiver.js";
