import type { SchemaFile, YamlPath } from "../parse/load-schemas.js";
import type { PassContext } from "./pass-context.js";
import type { BitField, BitsDecl, EnumDecl, EnumValue, FlagsDecl, Source } from "./model.js";
import type { RawBitField, RawDecl } from "./raw.js";
import { propertyName } from "xenimage/reflect";
import { INTS, intRange, kindName, reservedMode } from "./vocabulary.js";

// The declarations that are a number underneath: enums (named values), flags (named bits) and bit-field
// words (sub-fields at bit positions). Values must fit their base type and may not repeat.

export function buildEnum(ctx: PassContext, name: string, raw: RawDecl, file: SchemaFile, path: YamlPath, source: Source): EnumDecl {
  const base = INTS[raw.enum!];
  const [min, max] = intRange(base);
  const values: EnumValue[] = [];
  const seenNames = new Set<string>();
  const seenValues = new Map<bigint, string>();
  for (const [i, v] of (raw.values ?? []).entries()) {
    const where = file.locate([...path, "values", i]);
    const value = BigInt(v.value!);
    if (value < min || value > max) ctx.report(where, `value ${v.value} does not fit ${base.name}`);
    if (seenNames.has(v.name)) ctx.report(where, `duplicate value name "${v.name}"`);
    const other = seenValues.get(value);
    if (other !== undefined) ctx.report(where, `value ${v.value} is already named "${other}"`);
    seenNames.add(v.name);
    seenValues.set(value, v.name);
    values.push({ name: v.name, value: base.size === 8 ? value : Number(value), doc: v.doc, source: where });
  }
  return { kind: "enum", name, doc: raw.doc, module: file.name, source, base, values, closed: raw.closed === true };
}

export function buildFlags(ctx: PassContext, name: string, raw: RawDecl, file: SchemaFile, path: YamlPath, source: Source): FlagsDecl {
  const base = INTS[raw.flags!];
  const bits = [];
  const seen = new Map<number, string>();
  const seenNames = new Set<string>();
  for (const [i, v] of (raw.values ?? []).entries()) {
    const where = file.locate([...path, "values", i]);
    // The generated masks are one object literal, keyed by name: a repeated key would be a tsc error.
    if (seenNames.has(v.name)) ctx.report(where, `duplicate value name "${v.name}"`);
    seenNames.add(v.name);
    if (v.bit! >= base.size * 8) ctx.report(where, `bit ${v.bit} does not fit ${base.name} (bits 0-${base.size * 8 - 1})`);
    const other = seen.get(v.bit!);
    if (other !== undefined) ctx.report(where, `bit ${v.bit} is already named "${other}"`);
    seen.set(v.bit!, v.name);
    bits.push({ name: v.name, bit: v.bit!, doc: v.doc, source: where });
  }
  return { kind: "flags", name, doc: raw.doc, module: file.name, source, base, bits };
}

export function buildBits(ctx: PassContext, name: string, raw: RawDecl, file: SchemaFile, path: YamlPath, source: Source): BitsDecl {
  const base = INTS[raw.bits!];
  const width = base.size * 8;
  const fields: BitField[] = [];
  let used = 0n;
  const tsNames = new Map<string, string>();
  for (const [i, f] of ((raw.fields ?? []) as RawBitField[]).entries()) {
    const where = file.locate([...path, "fields", i]);
    // Sub-fields become camel-cased properties, so two names that camel-case alike would clash.
    const tsName = propertyName(f.name);
    const twin = tsNames.get(tsName);
    if (twin !== undefined) {
      const nameWhere = file.locate([...path, "fields", i, "name"]);
      ctx.report(nameWhere, twin === f.name ? `duplicate field name "${f.name}"` : `"${f.name}" and "${twin}" are both "${tsName}" in generated code; rename one`);
    }
    tsNames.set(tsName, f.name);
    const [high, low] = f.bits;
    if (high < low) ctx.report(where, `bits must be [high, low]; got [${high}, ${low}]`);
    if (high >= width) ctx.report(where, `bits [${high}, ${low}] overflow ${base.name} (bits 0-${width - 1})`);
    const w = Math.max(0, high - low + 1);
    const mask = ((1n << BigInt(w)) - 1n) << BigInt(low);
    if ((used & mask) !== 0n) ctx.report(where, `bits [${high}, ${low}] overlap an earlier bit field`);
    used |= mask;
    let enumType: EnumDecl | undefined;
    if (f.type !== undefined) {
      const typeWhere = file.locate([...path, "fields", i, "type"]);
      const t = ctx.resolveType(f.type, file, typeWhere);
      if (t !== undefined && t.kind !== "enum") ctx.report(typeWhere, `a bit field's type must be an enum; "${f.type}" is ${kindName(t.kind)}`);
      else if (t !== undefined && t.closed) ctx.report(typeWhere, `a bit field's type cannot be a closed enum ("${f.type}"): its values are checked only as whole fields`);
      else if (t !== undefined) {
        enumType = t;
        for (const v of t.values) {
          if (BigInt(v.value) < 0n || BigInt(v.value) >= 1n << BigInt(w)) {
            ctx.report(where, `enum value ${t.name}.${v.name} = ${v.value} does not fit ${w} bits`);
          }
        }
      }
    }
    if (f.repr === "number" && w > 53) ctx.report(where, `repr: number needs a width of at most 53 bits; this one has ${w}`);
    const repr = f.repr ?? (w <= 32 ? "number" : "bigint");
    fields.push({ name: f.name, doc: f.doc, high, low, width: w, enumType, reserved: reservedMode(f.reserved), repr, source: where });
  }
  return { kind: "bits", name, doc: raw.doc, module: file.name, source, base, fields };
}
