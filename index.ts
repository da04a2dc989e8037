/**
 * xenimage: the Xen domain image format, one ELF-like layout for save files, core files and migration
 * streams. This entry point is the image API: encode, decode, open, stream and convert images, their
 * header and section types, and the errors. It lists every name it exports: adding one is a deliberate
 * change (test/package/exports.test.ts pins the list). Each schema module's struct codecs and views
 * have their own entry point (`xenimage/x86`, `xenimage/guest`, …), the Node-only file API is
 * `xenimage/node`, Xen's formats `xenimage/interop`, and the schema model `xenimage/schema` with
 * `xenimage/reflect`.
 */

// The image in memory.
export { decodeImage, encodeImage, verifyImage, imageFormat } from "./generated/index.js";
export type { Image, ImageInit, ImageSection, KnownSection } from "./generated/index.js";
export { Arch, ByteOrder, GuestType, ImageType } from "./generated/image.js";
export type { ImageHeader, SectionEntry } from "./generated/image.js";
export type { HeaderInit, TableEntry, UnknownSection } from "./runtime/container.js";
export type { RuleViolation } from "./runtime/rules.js";

// Random access: an image read on demand, and its pages by frame number.
export { openImage, memorySource, blobSource, type BlobLike, type ImageReader, type ImageReaderOptions, type RandomAccessSource, type RawImageSection } from "./runtime/image-reader.js";
export { PageIndex } from "./image/page-index.js";

// Streams: migration streams written and read as they go, and conversion between the layouts.
export { encodeStream, writeStream, type StreamEncoder, type StreamEncoderOptions } from "./runtime/stream-encoder.js";
export { decodeStream, decodeStreamToImage, TruncatedStreamError, type StreamDecoder, type StreamDecoderOptions, type StreamedSection } from "./runtime/stream-decoder.js";
export { imageToStream } from "./runtime/convert.js";
export type { ByteSink, ByteSource, ByteTarget, NodeWritableLike } from "./runtime/stream-io.js";

// Bytes: what struct codecs and views read from and write to.
export { ByteReader, type ByteReaderOptions } from "./runtime/byte-reader.js";
export { ByteWriter, type ByteWriterOptions } from "./runtime/byte-writer.js";

// Checksums: the CRC32C every image uses, and which kernel computes it (native in Node where it loads).
export { crc32c, crc32cKernel } from "./runtime/crc32c.js";

// Errors: every failure is one of these, with a typed code and where it happened.
export { DecodeError, EncodeError, XenImageError, type DecodeErrorCode, type EncodeErrorCode, type Location, type XenImageErrorCode } from "./runtime/errors.js";
export { DECODE_ERROR_CODES, ENCODE_ERROR_CODES, type ErrorCodeDoc } from "./runtime/error-codes.js";

// Validity: every rule of the specification, the verdict the conformance suite states (docs/validity.md).
export { validateImage, type ImageVerdict } from "./image/validate.js";
