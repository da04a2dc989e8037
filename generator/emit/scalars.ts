import type { Endian, Field, FieldType, FloatType, IntType } from "../model/model.js";
import { fieldConstant } from "./names.js";

/**
 * What the number constructs (integers, floats, enums, flags, bit-field words) share: their TypeScript
 * types and the runtime method that reads or writes one, in a field's byte order.
 */

/** The integer type underneath a field type, if it is integer-like. */
export function intBase(t: FieldType): IntType | undefined {
  if (t.kind === "int") return t;
  if (t.kind === "enum" || t.kind === "flags" || t.kind === "bits") return t.base;
  return undefined;
}

/** The runtime method suffix for a byte order: plain methods follow the image's byte order. */
function endianSuffix(field: Field, size: number): string {
  if (size === 1) return "";
  return field.endian === "little" ? "le" : field.endian === "big" ? "be" : "";
}

/** The reader/writer method for one integer of `field` (`u32`, `u64le`, `u64n` …). */
export function intMethod(field: Field, base: IntType): string {
  const asNumber = base.size === 8 && (field.repr === "number" || field.computed);
  return `${base.name}${asNumber ? "n" : ""}${endianSuffix(field, base.size)}`;
}

/** The reader/writer method for one float of `field`. */
export function floatMethod(field: Field, size: 4 | 8): string {
  return `f${size * 8}${endianSuffix(field, size)}`;
}

/** How TypeScript holds an integer of this type in this field. */
export function intTsType(field: Field, base: IntType): string {
  return base.size === 8 && field.repr !== "number" && !field.computed ? "bigint" : "number";
}

const TYPED_ARRAYS: Record<IntType["name"] | FloatType["name"], string> = {
  u8: "Uint8Array",
  u16: "Uint16Array",
  u32: "Uint32Array",
  u64: "BigUint64Array",
  i8: "Int8Array",
  i16: "Int16Array",
  i32: "Int32Array",
  i64: "BigInt64Array",
  f32: "Float32Array",
  f64: "Float64Array",
};

/** The element type of a `repr: typed_array` field (`u64`), as the runtime's typed-array methods name it. */
export function typedArrayElement(field: Field): IntType["name"] | FloatType["name"] {
  const t = field.type;
  if (t.kind !== "int" && t.kind !== "float") throw new Error(`typed_array on ${t.kind}`);
  return t.name;
}

/** The TypeScript type of a `repr: typed_array` field (`BigUint64Array`). */
export function typedArrayTsType(field: Field): string {
  return TYPED_ARRAYS[typedArrayElement(field)];
}

/** The optional byte-order argument of a positional read or write: pinned fields pass it. */
export function leArg(field: { endian: string }, size: number): string {
  if (size === 1) return "";
  return field.endian === "little" ? ", true" : field.endian === "big" ? ", false" : "";
}

/**
 * The byte-order slot of a sequential write that follows the writer's order (`w.u32(v, le?, name?)`)
 * when the field's name follows it: `undefined`, the writer's order; nothing for a pinned method.
 */
export function writerOrderSlot(field: Field, size: number): string {
  return size > 1 && field.endian === "context" ? ", undefined" : "";
}

/** {@link leArg} when more arguments follow: `undefined` stands for the writer's byte order. */
export function leArgThen(field: { endian: string }, size: number): string {
  if (size === 1) return "";
  return leArg(field, size) || ", undefined";
}

/** The byte-order argument of a write in an encoder specialised for `order`, when more arguments follow. */
export function orderArgThen(field: Field, size: number, order: Endian): string {
  return leArgThen(field.endian === "context" ? { endian: order } : field, size);
}

/** The name of a module-level constant holding a byte-list magic. */
export function magicConstant(structName: string, fieldName: string): string {
  return fieldConstant(structName, fieldName);
}
