/**
 * xenimage/reflect: the schema model at run time. {@link Schema} resolves the model the compiler embeds
 * in generated code (`xenimage/schema` holds this format's); over it, a reflective decoder and encoder
 * that need no generated code, a walk that reports every field with its offset and size, the JSON shapes
 * of `dump`, and the image container itself ({@link reflectFormat}).
 */
export { Schema, propertyName, matches } from "./schema.js";
export type {
  BitField,
  BitsType,
  Condition,
  Container,
  Count,
  Declaration,
  EnumType,
  EnumValue,
  Field,
  FieldType,
  FlagsType,
  FloatType,
  IntType,
  Rule,
  Section,
  SectionBody,
  SectionVariant,
  StructType,
  SwitchType,
} from "./schema.js";
export { SCHEMA_JSON_VERSION } from "./schema-json.js";
export type { SchemaJson } from "./schema-json.js";
export { decodeSectionBody, decodeStruct, encodeSectionBody, encodeStruct, walkSectionBody, walkStruct, type WalkNode } from "./codec.js";
export { decodeReflectedImage, encodeReflectedImage, encodeReflectedStream, reflectFormat, reflectRules, reflectSectionCodec } from "./format.js";
// What a walk reads from and a reflective encoder writes to, and the errors every failure is one of.
export { ByteReader, type ByteReaderOptions } from "../byte-reader.js";
export { ByteWriter, type ByteWriterOptions } from "../byte-writer.js";
export { XenImageError } from "../errors.js";
export { sectionShape, structShape } from "./json-shape.js";
export { elementLines, enumName, hex, indexRange, lazyStructLines, renderLine, restOf, shownElements, structElementLines, structLines, summaryLine, zeros, type DumpLine, type ElementOptions, type Scalar } from "./annotate.js";

// The runtime's error codes with their meaning (the docs' validity page prints them).
export { DECODE_ERROR_CODES, ENCODE_ERROR_CODES, type DecodeErrorCode, type EncodeErrorCode, type ErrorCodeDoc } from "../error-codes.js";
