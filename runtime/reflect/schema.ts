import { EncodeError } from "../errors.js";
import { SCHEMA_JSON_VERSION, type BodyJson, type CountJson, type DeclJson, type FieldJson, type IntJson, type RuleJson, type BuiltinName, type ScalarName, type SchemaJson, type SectionJson } from "./schema-json.js";

/**
 * The schema model as the runtime sees it: the embedded JSON (see {@link SchemaJson}) with every
 * reference resolved into linked, readonly objects, and lookups by name and id. Reflection (walking,
 * decoding and encoding without generated code, JSON shapes) works over this.
 */

/** A fixed-width integer type. */
export interface IntType {
  readonly kind: "int";
  readonly name: "u8" | "u16" | "u32" | "u64" | "i8" | "i16" | "i32" | "i64";
  readonly size: 1 | 2 | 4 | 8;
  readonly signed: boolean;
}

/** An IEEE 754 float type. */
export interface FloatType {
  readonly kind: "float";
  readonly name: "f32" | "f64";
  readonly size: 4 | 8;
}

/** One named value of an enum. */
export interface EnumValue {
  readonly name: string;
  readonly value: number | bigint;
  readonly doc: string | undefined;
}

/** An enum over an integer: open (unknown values survive), or closed (a value not listed is invalid). */
export interface EnumType {
  readonly kind: "enum";
  readonly name: string;
  readonly module: string;
  readonly doc: string;
  readonly base: IntType;
  readonly values: readonly EnumValue[];
  readonly closed: boolean;
}

/** The values a single integer field allows (the schema's `valid:`); every part given must hold. */
export interface ValidValues {
  readonly min?: bigint;
  readonly max?: bigint;
  readonly values?: readonly bigint[];
  readonly multipleOf?: bigint;
}

/** Single-bit flags over an integer; the field holds the whole integer. */
export interface FlagsType {
  readonly kind: "flags";
  readonly name: string;
  readonly module: string;
  readonly doc: string;
  readonly base: IntType;
  readonly bits: readonly { readonly name: string; readonly bit: number; readonly doc: string | undefined }[];
}

/** One bit field: bits `high` … `low` of its word. */
export interface BitField {
  readonly name: string;
  /** The TypeScript property name (`camelCase`). */
  readonly property: string;
  readonly doc: string | undefined;
  readonly high: number;
  readonly low: number;
  readonly width: number;
  readonly enumType: EnumType | undefined;
  readonly reserved: "check" | "ignore" | undefined;
  readonly repr: "number" | "bigint";
}

/** An integer split into bit fields. */
export interface BitsType {
  readonly kind: "bits";
  readonly name: string;
  readonly module: string;
  readonly doc: string;
  readonly base: IntType;
  readonly fields: readonly BitField[];
}

/** A UUID: 16 bytes, held as the lower-case dashed 8-4-4-4-12 string. */
export interface UuidType {
  readonly kind: "uuid";
}

/** A tagged union selected by an earlier field. */
export interface SwitchType {
  readonly kind: "switch";
  readonly selector: Field;
  readonly size: Field | undefined;
  readonly cases: readonly { readonly name: string; readonly value: number | bigint; readonly struct: StructType | undefined }[];
  readonly fallback: "bytes" | "error";
}

/** What a field holds. */
export type FieldType =
  | IntType
  | FloatType
  | EnumType
  | FlagsType
  | BitsType
  | StructType
  | { readonly kind: "bytes"; readonly elementSize: number | undefined }
  | UuidType
  | { readonly kind: "string"; readonly encoding: "ascii" | "utf8" }
  | SwitchType
  | { readonly kind: "pad"; readonly size: number }
  | { readonly kind: "align"; readonly alignment: number };

/** How many elements a field has. */
export type Count =
  | { readonly kind: "fixed"; readonly value: number }
  | { readonly kind: "field"; readonly field: Field }
  | { readonly kind: "entries" }
  | { readonly kind: "rest" }
  | { readonly kind: "count_of"; readonly array: Field; readonly bitField: BitField; readonly values: readonly EnumValue[]; readonly negated: boolean };

/** A field of a struct. */
export interface Field {
  /** The schema name (`""` for padding and alignment). */
  readonly name: string;
  /** The TypeScript property name (`camelCase`). */
  readonly property: string;
  readonly doc: string | undefined;
  readonly units: string | undefined;
  readonly example: unknown;
  readonly type: FieldType;
  readonly count: Count | undefined;
  readonly endian: "little" | "big" | "context";
  readonly constValue: number | bigint | readonly number[] | undefined;
  readonly reserved: "check" | "ignore" | undefined;
  /** The values a single integer field allows; undefined: any of its type. */
  readonly valid: ValidValues | undefined;
  /** How a 64-bit integer is held: `number` when the schema opted in or the field is a computed count. */
  readonly repr: "number" | "bigint";
  readonly typedArray: boolean;
  readonly offset: number | undefined;
  readonly size: number | undefined;
  readonly computed: boolean;
  /** Not part of the decoded value (padding, constants, reserved and computed fields). */
  readonly hidden: boolean;
}

/** A struct: fields in order. */
export interface StructType {
  readonly kind: "struct";
  readonly name: string;
  readonly module: string;
  readonly doc: string;
  readonly size: number | undefined;
  readonly fields: readonly Field[];
}

/** A named declaration. */
export type Declaration = StructType | EnumType | FlagsType | BitsType;

/** A section body. */
export type SectionBody = { readonly kind: "struct"; readonly struct: StructType } | { readonly kind: "entries"; readonly struct: StructType; readonly entrySize: number } | { readonly kind: "empty" };

/** A condition on the image header. */
export interface Condition {
  readonly field: Field;
  readonly values: readonly EnumValue[];
}

/** One layout of a section. */
export interface SectionVariant {
  readonly when: readonly Condition[];
  readonly doc: string | undefined;
  readonly body: SectionBody;
}

/** A section type. */
export interface Section {
  readonly name: string;
  readonly module: string;
  readonly doc: string;
  readonly id: number;
  readonly optional: boolean;
  readonly align: number;
  readonly since: number;
  readonly variants: readonly SectionVariant[];
}

/** An image-type rule. */
export interface Rule {
  readonly name: string;
  readonly module: string;
  readonly doc: string;
  readonly when: readonly Condition[];
  readonly sections: readonly { readonly section: Section; readonly presence: RuleJson["sections"][number]["presence"] }[];
  readonly order: readonly (readonly Section[])[];
  readonly phases: { readonly marker: Section; readonly sections: readonly Section[] } | undefined;
}

/** The image container. */
export interface Container {
  readonly doc: string;
  readonly version: number;
  /** The first format version whose table entries carry entry_crc (earlier ones hold zero there). */
  readonly entryCrcSince: number;
  readonly module: string;
  readonly header: StructType;
  readonly entry: StructType;
  readonly end: Section;
}

/** `cpu_user_regs_x86_64` → `CpuUserRegsX8664`, as the generated code names types. */
export function pascalName(schemaName: string): string {
  return schemaName
    .split("_")
    .filter((p) => p !== "")
    .map((p) => p[0]!.toUpperCase() + p.slice(1))
    .join("");
}

/** `user_regs` → `userRegs`, as the generated interfaces name properties. */
export function propertyName(schemaName: string): string {
  const pascal = pascalName(schemaName);
  return pascal === "" ? "" : pascal[0]!.toLowerCase() + pascal.slice(1);
}

function intOf(v: IntJson): number | bigint {
  return typeof v === "string" ? BigInt(v.slice(0, -1)) : v;
}

/**
 * The types a schema names without declaring them; the compiler resolves the same names from this
 * table, so the two never disagree on a size or a sign.
 */
export const BUILTIN_TYPES: { readonly [K in ScalarName]: IntType | FloatType } & { readonly uuid: UuidType } = {
  u8: { kind: "int", name: "u8", size: 1, signed: false },
  u16: { kind: "int", name: "u16", size: 2, signed: false },
  u32: { kind: "int", name: "u32", size: 4, signed: false },
  u64: { kind: "int", name: "u64", size: 8, signed: false },
  i8: { kind: "int", name: "i8", size: 1, signed: true },
  i16: { kind: "int", name: "i16", size: 2, signed: true },
  i32: { kind: "int", name: "i32", size: 4, signed: true },
  i64: { kind: "int", name: "i64", size: 8, signed: true },
  f32: { kind: "float", name: "f32", size: 4 },
  f64: { kind: "float", name: "f64", size: 8 },
  uuid: { kind: "uuid" },
};

/** The schema is not one this runtime can read (a reference to nothing, an unknown version). */
function broken(reason: string): never {
  throw new EncodeError("invalid-schema", `schema model: ${reason}`);
}

/** A schema model, resolved from its JSON. Build it with {@link Schema.fromJson}. */
export class Schema {
  /** Every declaration by name. */
  readonly types: ReadonlyMap<string, Declaration>;
  /** Sections by ascending id. */
  readonly sections: readonly Section[];
  readonly rules: readonly Rule[];
  readonly container: Container | undefined;
  readonly modules: SchemaJson["modules"];
  readonly #header: StructType | undefined;
  readonly #byId: ReadonlyMap<number, Section>;
  readonly #byName: ReadonlyMap<string, Section>;

  private constructor(readonly json: SchemaJson) {
    if (json.version !== SCHEMA_JSON_VERSION) broken(`version ${String(json.version)}, this runtime reads version ${SCHEMA_JSON_VERSION}`);
    this.modules = json.modules;
    const types = new Map<string, Declaration>();
    const pending: (() => void)[] = [];
    // Two passes: declarations first (structs get their fields later), so references may point anywhere.
    for (const d of json.types) {
      if (types.has(d.name)) broken(`${d.name} is declared twice`);
      types.set(d.name, shell(d));
    }
    const lookup = (name: string): Declaration | IntType | FloatType | UuidType => BUILTIN_TYPES[name as BuiltinName] ?? types.get(name) ?? broken(`unknown type ${name}`);
    for (const d of json.types) {
      const target = types.get(d.name)! as { fields: unknown };
      if (d.kind === "struct") pending.push(() => (target.fields = resolveFields(d.fields, lookup, d.name)));
      else if (d.kind === "bits") {
        target.fields = d.fields.map((f) => ({
          name: f.name,
          property: propertyName(f.name),
          doc: f.doc,
          high: f.high,
          low: f.low,
          width: f.high - f.low + 1,
          enumType: f.enum === undefined ? undefined : (enumOf(lookup(f.enum), f.enum) as EnumType),
          reserved: f.reserved,
          repr: f.repr,
        }));
      }
    }
    for (const resolve of pending) resolve();
    this.types = types;
    const c = json.container;
    this.#header = c === undefined ? undefined : this.struct(c.header);
    this.sections = json.sections.map((s) => resolveSection(s, this));
    this.#byId = new Map(this.sections.map((s) => [s.id, s]));
    this.#byName = new Map(this.sections.map((s) => [s.name, s]));
    this.container =
      c === undefined
        ? undefined
        : { doc: c.doc, version: c.version, entryCrcSince: c.entryCrcSince, module: c.module, header: this.struct(c.header), entry: this.struct(c.entry), end: this.section(c.end) ?? broken(`unknown end section ${c.end}`) };
    this.rules = json.rules.map((r) => ({
      name: r.name,
      module: r.module,
      doc: r.doc,
      when: r.when.map((c) => this.condition(c.field, c.values)),
      sections: r.sections.map((p) => ({ section: this.section(p.section) ?? broken(`unknown section ${p.section}`), presence: p.presence })),
      order: r.order.map((g) => g.map((n) => this.section(n) ?? broken(`unknown section ${n}`))),
      phases: r.phases === undefined ? undefined : { marker: this.section(r.phases.marker) ?? broken(`unknown section ${r.phases.marker}`), sections: r.phases.sections.map((n) => this.section(n) ?? broken(`unknown section ${n}`)) },
    }));
  }

  /** Resolves a serialized model; fails with an {@link EncodeError} (`invalid-schema`) when it does not hold together. */
  static fromJson(json: SchemaJson): Schema {
    return new Schema(json);
  }

  /** The struct of that name; fails when there is none. */
  struct(name: string): StructType {
    const t = this.types.get(name);
    return t?.kind === "struct" ? t : broken(`no struct ${name}`);
  }

  /** The section of that schema name, if any. */
  section(name: string): Section | undefined {
    return this.#byName.get(name);
  }

  /** The section of that type id (without the optional bit), if any. */
  sectionById(id: number): Section | undefined {
    return this.#byId.get(id);
  }

  /** The layout of `section` that a header selects (by its decoded, camelCase fields), if any. */
  variantFor(section: Section, header: object): SectionVariant | undefined {
    return section.variants.find((v) => matches(v.when, header));
  }

  /** @internal A header condition of a variant or rule. */
  condition(field: string, values: readonly string[]): Condition {
    const header = this.#header ?? broken("conditions need a container header");
    const f = header.fields.find((x) => x.name === field) ?? broken(`the header has no field ${field}`);
    const e = f.type.kind === "enum" ? f.type : broken(`header field ${field} is not an enum`);
    return { field: f, values: values.map((n) => e.values.find((v) => v.name === n) ?? broken(`${n} is not a value of ${e.name}`)) };
  }
}

/** True when a decoded header meets every condition. */
export function matches(when: readonly Condition[], header: object): boolean {
  const h = header as Record<string, unknown>;
  return when.every((c) => c.values.some((v) => h[c.field.property] === v.value));
}

function shell(d: DeclJson): Declaration {
  const base = { name: d.name, module: d.module, doc: d.doc };
  switch (d.kind) {
    case "struct":
      return { kind: "struct", ...base, size: d.size, fields: [] };
    case "enum":
      return { kind: "enum", ...base, base: intScalar(d.base), values: d.values.map((v) => ({ name: v.name, value: intOf(v.value), doc: v.doc })), closed: d.closed === true };
    case "flags":
      return { kind: "flags", ...base, base: intScalar(d.base), bits: d.bits.map((b) => ({ name: b.name, bit: b.bit, doc: b.doc })) };
    case "bits":
      return { kind: "bits", ...base, base: intScalar(d.base), fields: [] };
  }
}

function intScalar(name: ScalarName): IntType {
  const t = BUILTIN_TYPES[name] as IntType | FloatType | undefined;
  return t?.kind === "int" ? t : broken(`${name} is not an integer type`);
}

function enumOf(t: Declaration | IntType | FloatType | UuidType, name: string): EnumType {
  return t.kind === "enum" ? t : broken(`${name} is not an enum`);
}

function resolveFields(fields: readonly FieldJson[], lookup: (name: string) => Declaration | IntType | FloatType | UuidType, owner: string): Field[] {
  const out: Field[] = [];
  const named = (name: string) => out.find((f) => f.name === name) ?? broken(`${owner}: no earlier field ${name}`);
  for (const f of fields) {
    const name = f.name ?? "";
    const t = f.type;
    let type: FieldType;
    if (typeof t === "string") type = lookup(t);
    else if (t.kind === "switch") {
      type = {
        kind: "switch",
        selector: named(t.selector),
        size: t.size === undefined ? undefined : named(t.size),
        cases: t.cases.map((c) => ({ name: c.name, value: intOf(c.value), struct: c.struct === undefined ? undefined : (lookup(c.struct) as StructType) })),
        fallback: t.fallback,
      };
    } else if (t.kind === "bytes") type = { kind: "bytes", elementSize: t.elementSize };
    else type = t;
    out.push({
      name,
      property: propertyName(name),
      doc: f.doc,
      units: f.units,
      example: f.example,
      type,
      count: resolveCount(f.count, named),
      endian: f.endian ?? "context",
      constValue: f.const === undefined ? undefined : Array.isArray(f.const) ? f.const : intOf(f.const as IntJson),
      reserved: f.reserved,
      valid: validOf(f.valid),
      repr: f.repr === "number" || f.computed === true ? "number" : "bigint",
      typedArray: f.typedArray === true,
      offset: f.offset,
      size: f.size,
      computed: f.computed === true,
      hidden: f.hidden === true,
    });
  }
  return out;
}

function validOf(v: FieldJson["valid"]): ValidValues | undefined {
  if (v === undefined) return undefined;
  const big = (x: IntJson) => BigInt(intOf(x));
  return {
    ...(v.min === undefined ? {} : { min: big(v.min) }),
    ...(v.max === undefined ? {} : { max: big(v.max) }),
    ...(v.values === undefined ? {} : { values: v.values.map(big) }),
    ...(v.multipleOf === undefined ? {} : { multipleOf: big(v.multipleOf) }),
  };
}

function resolveCount(c: CountJson | undefined, named: (name: string) => Field): Count | undefined {
  if (c === undefined) return undefined;
  if (typeof c === "number") return { kind: "fixed", value: c };
  if (c === "entries" || c === "rest") return { kind: c };
  if ("field" in c) return { kind: "field", field: named(c.field) };
  const array = named(c.countOf);
  const element = array.type;
  const bits = element.kind === "bits" ? element : broken(`count_of ${c.countOf}: not an array of bit-field words`);
  const bitField = bits.fields.find((b) => b.name === c.bitField) ?? broken(`count_of: ${bits.name} has no bit field ${c.bitField}`);
  const e = bitField.enumType ?? broken(`count_of: ${c.bitField} has no enum`);
  return { kind: "count_of", array, bitField, values: c.values.map((n) => e.values.find((v) => v.name === n) ?? broken(`${n} is not a value of ${e.name}`)), negated: c.negated === true };
}

function resolveBody(b: BodyJson, schema: Schema): SectionBody {
  if (b.kind === "empty") return b;
  const struct = schema.struct(b.struct);
  return b.kind === "struct" ? { kind: "struct", struct } : { kind: "entries", struct, entrySize: b.entrySize };
}

function resolveSection(s: SectionJson, schema: Schema): Section {
  return {
    name: s.name,
    module: s.module,
    doc: s.doc,
    id: s.id,
    optional: s.optional,
    align: s.align,
    since: s.since,
    variants: s.variants.map((v) => ({ when: v.when.map((c) => schema.condition(c.field, c.values)), doc: v.doc, body: resolveBody(v.body, schema) })),
  };
}
