import { EncodeError } from "../errors.js";
import type { JsonShape } from "../json-shape.js";
import { isArray, intBase } from "./codec.js";
import type { Field, Schema, Section, SectionBody, StructType } from "./schema.js";

/**
 * JSON shapes derived from the schema model: how the values of a struct or a section body map to JSON
 * (which numbers are 64-bit and become decimal strings, which strings are base64 bytes). `dump` and
 * `build` use these, so the model is the one source of truth for the JSON form too.
 */

const cache = new WeakMap<StructType, JsonShape>();

function intShape(field: Field): JsonShape {
  const base = intBase(field.type)!;
  return base.size === 8 && field.repr === "bigint" ? "bigint" : "number";
}

function elementShape(field: Field): JsonShape {
  const t = field.type;
  switch (t.kind) {
    case "int":
    case "enum":
    case "flags":
      return intShape(field);
    case "float":
      return "number";
    case "bits":
      return { kind: "struct", fields: Object.fromEntries(t.fields.filter((b) => b.reserved === undefined).map((b) => [b.property, b.repr])) };
    case "struct":
      return structShape(t);
    case "bytes":
      return "bytes";
    case "string":
    case "uuid":
      return "string";
    case "switch":
      return {
        kind: "union",
        selector: intShape(t.selector) as "number" | "bigint",
        cases: Object.fromEntries(t.cases.map((c) => [c.name, c.struct === undefined ? null : structShape(c.struct)])),
      };
    default:
      return "null";
  }
}

function fieldShape(field: Field): JsonShape {
  if (field.typedArray) return { kind: "typed_array", of: (field.type as { name: "u8" }).name };
  const element = elementShape(field);
  return isArray(field) ? { kind: "array", of: element } : element;
}

/** The JSON shape of a struct's values (computed once per struct; recursive structs resolve lazily). */
export function structShape(struct: StructType): JsonShape {
  const known = cache.get(struct);
  if (known !== undefined) return known;
  const fields: Record<string, JsonShape> = {};
  const shape: JsonShape = { kind: "struct", fields };
  cache.set(struct, shape);
  for (const f of struct.fields) if (!f.hidden) fields[f.property] = fieldShape(f);
  return shape;
}

function bodyShape(body: SectionBody): JsonShape {
  switch (body.kind) {
    case "empty":
      return "null";
    case "struct":
      return structShape(body.struct);
    case "entries":
      return { kind: "array", of: structShape(body.struct) };
  }
}

/** The JSON shape of a section's body in the layout a header selects. */
export function sectionShape(schema: Schema, section: Section, header: object): JsonShape {
  const variant = schema.variantFor(section, header);
  if (variant === undefined) {
    const h = header as Record<string, unknown>;
    const fields = [...new Set(section.variants.flatMap((v) => v.when.map((c) => c.field)))];
    throw new EncodeError("no-variant", `no layout of ${section.name} for ${fields.map((f) => `${f.name} ${String(h[f.property])}`).join(", ")}`);
  }
  return bodyShape(variant.body);
}
