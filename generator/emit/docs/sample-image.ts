import { encodeReflectedImage, encodeReflectedStream, Schema, type Field, type Rule, type Section, type StructType } from "xenimage/reflect";
import type { Model } from "../../model/model.js";
import { describeModel } from "../schema-model.js";
import type { SampleImage } from "./hex-dump.js";

/**
 * The sample image of the hex-dump page, made from the schema model alone and encoded by the runtime's
 * reflective encoder: no generated code is involved, so the page always shows what the schemas say
 * (a changed section id shows at once), and other formats' schemas get a sample too. The image follows
 * the first image-type rule: each section it allows, once, in its order; every field holds its
 * schema example or a plain default (zero, the first named value, one element for a variable count).
 */

/** Thrown when the sample image cannot be made (a schema whose defaults do not encode). */
export class SampleImageError extends Error {
  constructor(cause: unknown) {
    super(`docs: cannot make the sample image from the schema model (${cause instanceof Error ? cause.message : String(cause)})`, { cause });
    this.name = "SampleImageError";
  }
}

/** The value a field gets: its example when it has a usable one, else a default (`position`: the field's, 1-based). */
function sampleElement(field: Field, position: number): unknown {
  const t = field.type;
  const example = field.example;
  switch (t.kind) {
    case "int": {
      const v = allowed(field, typeof example === "number" && Number.isInteger(example) ? example : position % 100);
      return t.size === 8 && field.repr === "bigint" ? BigInt(v) : v;
    }
    case "float":
      return typeof example === "number" ? example : 0;
    case "enum":
      return t.values[0]?.value ?? (t.base.size === 8 ? 0n : 0);
    case "flags":
      return t.base.size === 8 ? 0n : 0;
    case "bits":
      return Object.fromEntries(
        t.fields.filter((b) => b.reserved === undefined).map((b) => {
          const v = b.enumType?.values[0]?.value ?? 0;
          return [b.property, b.repr === "bigint" ? BigInt(v) : Number(v)];
        }),
      );
    case "struct":
      return sampleStruct(t);
    case "bytes":
      return new Uint8Array(t.elementSize ?? 0);
    case "uuid":
      return typeof example === "string" ? example : "00000000-0000-0000-0000-000000000000";
    default:
      return undefined;
  }
}

/** `v`, or the nearest value the field's `valid:` allows (the first of its values, its minimum, a multiple). */
function allowed(field: Field, v: number): number {
  const valid = field.valid;
  if (valid === undefined) return v;
  if (valid.values !== undefined) return Number(valid.values.includes(BigInt(v)) ? v : valid.values[0]!);
  let n = BigInt(v);
  if (valid.min !== undefined && n < valid.min) n = valid.min;
  if (valid.max !== undefined && n > valid.max) n = valid.max;
  if (valid.multipleOf !== undefined) n -= n % valid.multipleOf;
  return Number(n);
}

/** How many elements a field gets: its fixed count, else one. */
function sampleCount(field: Field): number {
  return field.count?.kind === "fixed" ? field.count.value : 1;
}

/** Values for every visible field of a struct. */
function sampleStruct(struct: StructType): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [i, f] of struct.fields.entries()) {
    if (f.hidden) continue;
    const t = f.type;
    if (t.kind === "string") {
      const max = f.count?.kind === "fixed" ? f.count.value : Infinity;
      const text = typeof f.example === "string" ? f.example : f.name;
      out[f.property] = new TextEncoder().encode(text).length <= max ? text : "";
    } else if (t.kind === "bytes" && t.elementSize === undefined) {
      out[f.property] = new Uint8Array(f.count?.kind === "fixed" ? f.count.value : 0);
    } else if (t.kind === "switch") {
      const c = t.cases[0]!;
      out[f.property] = c.struct === undefined ? { type: c.name } : { type: c.name, value: sampleStruct(c.struct) };
    } else if (f.count === undefined) {
      out[f.property] = sampleElement(f, i + 1);
    } else if (f.count.kind !== "count_of") {
      const values = Array.from({ length: sampleCount(f) }, () => sampleElement(f, i + 1));
      if (f.typedArray) {
        const name = (t as { name: string }).name;
        out[f.property] = name === "u64" ? BigUint64Array.from(values as bigint[]) : name === "i64" ? BigInt64Array.from(values as bigint[]) : numberArray(name, values as number[]);
      } else out[f.property] = values;
    }
  }
  // Arrays whose count counts selected elements of another array: as many as it selects.
  for (const [i, f] of struct.fields.entries()) {
    if (f.count?.kind !== "count_of") continue;
    const c = f.count;
    const listed = c.values.map((v) => Number(v.value));
    const n = (out[c.array.property] as Record<string, unknown>[]).filter((x) => listed.includes(Number(x[c.bitField.property])) !== c.negated).length;
    out[f.property] = Array.from({ length: n }, () => sampleElement(f, i + 1));
  }
  return out;
}

function numberArray(name: string, values: number[]): unknown {
  const types: Record<string, { from(v: number[]): unknown }> = { u8: Uint8Array, u16: Uint16Array, u32: Uint32Array, i8: Int8Array, i16: Int16Array, i32: Int32Array, f32: Float32Array, f64: Float64Array };
  return types[name]!.from(values);
}

/** The sections of the sample: each one the rule allows, once, in the rule's order (not the phase marker). */
function sampleSections(rule: Rule): Section[] {
  const group = (s: Section) => {
    const i = rule.order.findIndex((g) => g.includes(s));
    return i < 0 ? rule.order.length : i;
  };
  return rule.sections
    .filter((p) => p.presence !== "forbidden" && p.section !== rule.phases?.marker)
    .map((p) => p.section)
    .sort((a, b) => group(a) - group(b));
}

/** How each sample is laid out, by its position: both layouts and both byte orders appear. */
function sampleLayout(index: number): { readonly layout: "seekable" | "streamed"; readonly bigEndian: boolean } {
  return { layout: index % 2 === 1 ? "streamed" : "seekable", bigEndian: index % 3 === 2 };
}

/**
 * Makes the sample images of the hex-dump page from the model: one per image-type rule, in the rules'
 * order (a schema without rules gets one image without sections), every other one streamed and every
 * third big-endian, so that the page shows both layouts and both byte orders.
 */
export async function buildSampleImages(model: Model): Promise<SampleImage[]> {
  try {
    const schema = Schema.fromJson(describeModel(model));
    const container = schema.container!;
    const rules: (Rule | undefined)[] = schema.rules.length === 0 ? [undefined] : [...schema.rules];
    const samples: SampleImage[] = [];
    for (const [index, rule] of rules.entries()) {
      const { layout, bigEndian } = sampleLayout(index);
      const header = sampleStruct(container.header);
      for (const c of rule?.when ?? []) header[c.field.property] = c.values[0]!.value;
      const order = container.header.fields.find((f) => f.name === "byte_order");
      const orderType = order?.type.kind === "enum" ? order.type : undefined;
      const big = orderType?.values.find((v) => v.name === "big");
      if (bigEndian && order !== undefined && big !== undefined) header[order.property] = big.value;
      const sections = (rule === undefined ? [] : sampleSections(rule)).map((section) => {
        const variant = schema.variantFor(section, header);
        if (variant === undefined) throw new Error(`no layout of ${section.name} matches the sample's header`);
        const body = variant.body.kind === "empty" ? null : variant.body.kind === "entries" ? [sampleStruct(variant.body.struct)] : sampleStruct(variant.body.struct);
        return { type: section.name, body };
      });
      const image = { header, sections };
      const bytes = layout === "streamed" ? await encodeReflectedStream(schema, image) : encodeReflectedImage(schema, image);
      const what = `${layout === "streamed" ? "Streamed" : "Seekable"}, ${bigEndian && big !== undefined ? "big" : "little"}-endian.`;
      const recipe =
        rule === undefined
          ? `${what} It holds no sections (the schemas have no image-type rule).`
          : `${what} It follows the image-type rule ${rule.name}: each section the rule allows, once, in its order. Every field holds its example value from the schema or a default: an integer its position in its struct (so that each field's bytes can be told apart) or the nearest value its rule allows, an enum its first value, an array of variable length one element. It was made from the schema model by the runtime's reflective encoder, without generated code.`;
      samples.push({ id: rule === undefined ? "sample" : `sample-${rule.name}`, title: rule === undefined ? "An image" : `An image of the rule ${rule.name}`, layout, bytes, recipe });
    }
    return samples;
  } catch (e) {
    throw new SampleImageError(e);
  }
}
