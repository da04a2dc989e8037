import { constructOf, fieldSize } from "../constructs/registry.js";
import { camel } from "../emit/names.js";
import type { SchemaFile, YamlPath } from "../parse/load-schemas.js";
import type { PassContext } from "./pass-context.js";
import type { Count, Endian, EnumValue, Field, FieldType, Source, StructDecl, SwitchCase, ValidValues } from "./model.js";
import type { RawCount, RawField } from "./raw.js";
import { intRange, isPowerOfTwo, kindName, RESERVED_FIELD_NAMES, reservedMode, suggest, VIEW_MEMBER_NAMES } from "./vocabulary.js";

// Struct layout: each field's type, count, constant or reserved value, byte order, size and offset, in
// order; a size that the fields and the declared size disagree on; and tagged unions (switch fields),
// whose selector and size are earlier fields.

function buildSwitch(ctx: PassContext, f: RawField, earlier: readonly Field[], file: SchemaFile, fpath: YamlPath): FieldType | undefined {
  const at = (key: string) => file.locate(fpath, key);
  const earlierField = (name: string, key: string, what: string) => {
    const ref = earlier.find((x) => x.name === name);
    if (ref === undefined) {
      ctx.report(at(key), `${what} "${name}" names no earlier field${suggest(name, earlier.map((x) => x.name))}`);
      return undefined;
    }
    const base = ref.type.kind === "int" ? ref.type : ref.type.kind === "enum" ? ref.type.base : undefined;
    if (base === undefined || ref.count !== undefined || ref.constValue !== undefined || ref.reserved !== undefined) {
      ctx.report(at(key), `${what} "${name}" must be a plain integer or enum field`);
      return undefined;
    }
    return ref;
  };
  const selector = earlierField(f.switch!, "switch", "switch");
  const size = f.size === undefined ? undefined : earlierField(f.size, "size", "size");
  if (size !== undefined && (size.type.kind !== "int" || size.type.signed)) {
    ctx.report(at("size"), `size "${size.name}" must be an unsigned integer field`);
  }
  const fallback = f.default ?? (size === undefined ? "error" : "bytes");
  if (fallback === "bytes" && size === undefined) ctx.report(at("default"), "default: bytes needs a size field to know how many bytes to keep");
  if (selector === undefined) return undefined;
  const enumType = selector.type.kind === "enum" ? selector.type : undefined;
  const cases: SwitchCase[] = [];
  const seen = new Set<bigint>();
  for (const [key, typeName] of Object.entries(f.cases ?? {})) {
    const where = file.locate([...fpath, "cases"], key);
    let value: number | bigint | undefined;
    let caseName = key;
    if (enumType !== undefined) {
      value = enumType.values.find((v) => v.name === key)?.value;
      if (value === undefined) ctx.report(where, `"${key}" is not a value of ${enumType.name}${suggest(key, enumType.values.map((v) => v.name))}`);
    } else if (/^(0x[0-9a-f]+|\d+)$/i.test(key)) {
      value = Number(key);
      caseName = `case_${key}`;
    } else ctx.report(where, `a case of a plain integer selector must be a number; "${key}" is not`);
    if (value === undefined) continue;
    if (seen.has(BigInt(value))) ctx.report(where, `case ${key} repeats an earlier case`);
    seen.add(BigInt(value));
    let struct: StructDecl | undefined;
    if (typeName !== "empty") {
      const t = ctx.resolveType(typeName, file, file.locate([...fpath, "cases", key]));
      if (t === undefined) continue;
      if (t.kind !== "struct") {
        ctx.report(file.locate([...fpath, "cases", key]), `a case must be a struct (or "empty"); "${typeName}" is ${kindName(t.kind)}`);
        continue;
      }
      // Inside a sized body, `rest` means the rest of the body; `entries` has no meaning there.
      const readsEntries = t.fields.some((x) => x.count?.kind === "entries");
      if (t.needsSection && (size === undefined || readsEntries)) {
        ctx.report(file.locate([...fpath, "cases", key]), `struct "${typeName}" reads ${readsEntries ? "the section's entries" : "the rest of its body"}, which needs ${readsEntries ? "a section" : "a size field on the switch"}`);
        continue;
      }
      struct = t;
    }
    cases.push({ name: caseName, value, struct, source: where });
  }
  return { kind: "switch", selector, size, cases, fallback };
}

/**
 * A field's `valid:` values, checked: only on a single plain integer (an enum says its values itself),
 * with parts that fit the integer's type and do not contradict each other.
 */
function validValues(
  ctx: PassContext,
  f: RawField,
  type: FieldType,
  count: Count | undefined,
  constValue: Field["constValue"],
  reserved: string | undefined,
  at: (key: string) => Source,
): ValidValues | undefined {
  const raw = f.valid;
  if (raw === undefined) return undefined;
  if (type.kind !== "int" || count !== undefined || constValue !== undefined || reserved !== undefined) {
    ctx.report(at("valid"), "valid applies to a single plain integer field (not an enum, array, constant or reserved field)");
    return undefined;
  }
  const [lo, hi] = intRange(type);
  const out: { -readonly [K in keyof ValidValues]: ValidValues[K] } = {};
  const fits = (v: number, what: string) => {
    if (BigInt(v) < lo || BigInt(v) > hi) ctx.report(at("valid"), `valid ${what} ${v} does not fit ${type.name}`);
    return BigInt(v);
  };
  if (raw.min !== undefined) out.min = fits(raw.min, "min");
  if (raw.max !== undefined) out.max = fits(raw.max, "max");
  if (raw.values !== undefined) out.values = raw.values.map((v) => fits(v, "value"));
  if (raw.multiple_of !== undefined) out.multipleOf = fits(raw.multiple_of, "multiple_of");
  if (out.min !== undefined && out.max !== undefined && out.min > out.max) ctx.report(at("valid"), `valid min ${out.min} is above max ${out.max}`);
  return out;
}

/** The facts a field's construct decides about it, kept on the field so no emitter works them out again. */
export function fieldFacts(f: Pick<Field, "type" | "count" | "repr" | "reserved" | "constValue" | "valid">): Pick<Field, "isArray" | "elementSize" | "byteOrdered" | "fallible"> {
  const construct = constructOf(f.type);
  const valueRule = f.valid !== undefined || (f.type.kind === "enum" && f.type.closed && f.count === undefined);
  return {
    isArray: f.count !== undefined && construct.repeats(f.type),
    elementSize: construct.elementSize(f.type),
    byteOrdered: construct.byteOrdered(f.type),
    // Padding checks itself; a constant, a reserved field or a value rule is checked whatever it holds.
    fallible:
      construct.padding === true
        ? construct.fallible(f.type, f)
        : f.constValue !== undefined || f.reserved === "check" || valueRule || construct.fallible(f.type, f),
  };
}

/** The facts of a struct that follow from its fields. */
export function structFacts(fields: readonly Field[], size: number | undefined): Pick<StructDecl, "positional" | "contextOrdered" | "entriesField"> {
  return {
    // Every field has a positional read (a switch has none: its case decides the size).
    positional: size !== undefined && fields.every((f) => constructOf(f.type).padding === true || constructOf(f.type).readAt !== undefined),
    contextOrdered: fields.some((f) => (f.type.kind === "struct" ? f.type.contextOrdered : f.byteOrdered && f.endian === "context")),
    entriesField: fields.find((f) => f.count?.kind === "entries"),
  };
}

/**
 * The names of the fields a later field of the same struct fills in on encode: counts read from a
 * field, a switch's selector and size. Known before any field is built, so a field is complete (and
 * never changed) once built; a name that is no fit earlier field is reported where it is used.
 */
function filledIn(rawFields: readonly RawField[]): Set<string> {
  const names = new Set<string>();
  const counted = (c: RawCount | undefined) => {
    if (typeof c === "string" && c !== "entries" && c !== "rest") names.add(c);
  };
  for (const f of rawFields) {
    counted(f.count);
    if (f.count === undefined) counted(f.bytes);
    counted(f.string);
    if (f.switch !== undefined) {
      names.add(f.switch);
      if (f.size !== undefined) names.add(f.size);
    }
  }
  return names;
}

export function buildStruct(
  ctx: PassContext,
  name: string,
  doc: string,
  rawFields: RawField[],
  file: SchemaFile,
  path: YamlPath,
  source: Source,
  declaredSize: number | undefined,
): StructDecl {
  const fields: Field[] = [];
  const filled = filledIn(rawFields);
  const fileEndian = ctx.rawFiles.get(file.name)?.raw.endian;
  let offset: number | undefined = 0;
  let needsSection = false;
  let afterRest: string | undefined;
  const names = new Set<string>();
  const tsNames = new Map<string, string>();
  for (const [i, f] of rawFields.entries()) {
    const fpath = [...path, "fields", i];
    const where = file.locate(fpath);
    const at = (key: string) => file.locate(fpath, key);
    const fieldName = f.name ?? `_pad${i}`;
    if (f.name !== undefined) {
      if (names.has(f.name)) ctx.report(file.locate([...fpath, "name"]), `duplicate field name "${f.name}"`);
      if (RESERVED_FIELD_NAMES.has(f.name)) ctx.report(file.locate([...fpath, "name"]), `"${f.name}" is reserved as a count keyword`);
      const tsName = camel(f.name);
      if (VIEW_MEMBER_NAMES.has(f.name) || tsName === "toObject") ctx.report(file.locate([...fpath, "name"]), `"${f.name}" is reserved: it would hide the toObject() method of the struct's generated view`);
      if (tsName === "constructor") ctx.report(file.locate([...fpath, "name"]), `"${f.name}" is reserved: the struct's generated view would get an accessor named constructor, which JavaScript forbids`);
      // Generated properties and locals are camel-cased, so two names that camel-case alike would clash.
      const twin = tsNames.get(tsName);
      if (twin !== undefined && twin !== f.name) ctx.report(file.locate([...fpath, "name"]), `"${f.name}" and "${twin}" are both "${tsName}" in generated code; rename one`);
      tsNames.set(tsName, f.name);
      names.add(f.name);
    }
    if (afterRest !== undefined) ctx.report(where, `field follows "${afterRest}", which takes the rest of the section`);

    let type: FieldType | undefined;
    let rawCount: RawCount | undefined = f.count;
    if (f.type !== undefined) type = ctx.resolveType(f.type, file, file.locate([...fpath, "type"]));
    else if (f.bytes !== undefined) {
      if (f.count !== undefined) {
        // `bytes: N` with a count: an array of N-byte runs (e.g. pages).
        if (typeof f.bytes !== "number") ctx.report(at("bytes"), "with count, bytes must be a fixed number");
        type = { kind: "bytes", elementSize: typeof f.bytes === "number" ? f.bytes : 1 };
      } else {
        type = { kind: "bytes" };
        rawCount = f.bytes;
      }
    } else if (f.string !== undefined) {
      type = { kind: "string", encoding: f.encoding ?? "utf8" };
      rawCount = f.string;
    } else if (f.switch !== undefined) {
      type = buildSwitch(ctx, f, fields, file, fpath);
    } else if (f.pad !== undefined) type = { kind: "pad", size: f.pad };
    else if (f.align !== undefined) {
      if (!isPowerOfTwo(f.align)) ctx.report(at("align"), `alignment ${f.align} is not a power of two`);
      type = { kind: "align", alignment: f.align };
    }
    if (type === undefined) {
      offset = undefined;
      continue;
    }

    const construct = constructOf(type);
    const takes = construct.takes ?? {};
    if (f.endian !== undefined && f.type !== undefined && takes.endian !== true) ctx.report(at("endian"), "endian applies to numbers only");
    const intBase = construct.integerBase?.(type);
    const typedArray = f.repr === "typed_array";
    if (f.repr !== undefined && !typedArray && f.type !== undefined && intBase?.size !== 8) ctx.report(at("repr"), "repr applies to 64-bit integers only");
    if (type.kind === "struct" && type.needsSection) {
      ctx.report(file.locate([...fpath, "type"]), `struct "${type.name}" reads the section's entries or rest and can only be a section body`);
    }

    // The count.
    let count: Count | undefined;
    if (rawCount !== undefined) {
      const countWhere = at(f.count !== undefined ? "count" : f.bytes !== undefined ? "bytes" : "string");
      if (typeof rawCount === "number") count = { kind: "fixed", value: rawCount };
      else if (rawCount === "entries" || rawCount === "rest") {
        needsSection = true;
        count = { kind: rawCount };
        if (rawCount === "rest") afterRest = fieldName;
      } else if (typeof rawCount === "string") {
        const ref = fields.find((x) => x.name === rawCount);
        const refBase = ref?.type.kind === "int" ? ref.type : undefined;
        if (ref === undefined) {
          const later = rawFields.slice(i + 1).some((x) => x.name === rawCount);
          ctx.report(
            countWhere,
            later
              ? `count "${rawCount}" names a field that comes later; a count must be read before what it counts`
              : `count "${rawCount}" names no earlier field${suggest(rawCount, fields.filter((x) => x.type.kind === "int").map((x) => x.name))}`,
          );
        } else if (refBase === undefined || refBase.signed || ref.count !== undefined || ref.constValue !== undefined) {
          ctx.report(countWhere, `count field "${rawCount}" must be an unsigned integer field (not an array or constant)`);
        } else {
          count = { kind: "field", field: ref };
        }
      } else {
        const array = fields.find((x) => x.name === rawCount.count_of);
        const bits = array?.type.kind === "bits" ? array.type : undefined;
        const bitField = bits?.fields.find((b) => b.name === rawCount.where.field);
        if (array === undefined || array.count === undefined || bits === undefined) {
          ctx.report(countWhere, `count_of "${rawCount.count_of}" must name an earlier array of a bits type`);
        } else if (bitField === undefined || bitField.enumType === undefined) {
          ctx.report(countWhere, `"${rawCount.where.field}" is not an enum-typed bit field of ${bits.name}${suggest(rawCount.where.field, bits.fields.filter((b) => b.enumType).map((b) => b.name))}`);
        } else {
          const values: EnumValue[] = [];
          const negated = rawCount.where.not_in !== undefined;
          for (const v of rawCount.where.in ?? rawCount.where.not_in ?? []) {
            const ev = bitField.enumType.values.find((x) => x.name === v);
            if (ev === undefined) ctx.report(countWhere, `"${v}" is not a value of ${bitField.enumType.name}${suggest(v, bitField.enumType.values.map((x) => x.name))}`);
            else values.push(ev);
          }
          count = { kind: "count_of", array, bitField, values, negated };
        }
      }
    }
    if (f.count !== undefined && !(type.kind !== "pad" && type.kind !== "align")) ctx.report(at("count"), "pad and align take no count");

    // Constants and reserved values.
    let constValue: Field["constValue"];
    if (f.const !== undefined) {
      if (Array.isArray(f.const)) {
        if (takes.constant !== "bytes" || count?.kind !== "fixed" || count.value !== f.const.length) {
          ctx.report(at("const"), `a byte-list constant needs a "bytes: ${f.const.length}" field`);
        }
        constValue = f.const;
      } else if (intBase !== undefined && takes.constant === "integer" && count === undefined) {
        const value = BigInt(f.const);
        const [min, max] = intRange(intBase);
        if (value < min || value > max) ctx.report(at("const"), `constant ${String(f.const)} does not fit ${intBase.name}`);
        constValue = intBase.size === 8 && f.repr !== "number" ? value : Number(value);
      } else ctx.report(at("const"), "const applies to a plain integer or a fixed byte run");
    }
    const reserved = reservedMode(f.reserved);
    const valid = validValues(ctx, f, type, count, constValue, reserved, at);
    if (reserved !== undefined && takes.reserved !== true) {
      ctx.report(at("reserved"), "reserved applies to integers, byte runs and padding");
    }

    if (typedArray && (count === undefined || takes.typedArray !== true)) {
      const what = count === undefined ? "a single value" : takes.typedArray === true && "name" in type ? type.name : `an array of ${type.kind}${"name" in type ? ` ${type.name}` : ""}`;
      ctx.report(at("repr"), `repr: typed_array applies to arrays of u8…u64, i8…i64, f32 or f64 (a field with type and count); "${fieldName}" is ${what}`);
    } else if (typedArray && (constValue !== undefined || reserved !== undefined)) {
      ctx.report(at("repr"), "repr: typed_array does not combine with const or reserved");
    }

    // Size and offset.
    const size = fieldSize(type, count === undefined ? 1 : count.kind === "fixed" ? count.value : undefined, offset);
    const endian: Endian = f.endian ?? fileEndian ?? "context";
    const repr = f.repr === "number" ? "number" : "bigint";
    const padding = construct.padding === true;
    // A field a later one fills in (a count, a switch's selector or size) is computed by the encoder.
    const computed = filled.has(fieldName);
    const hidden = padding || constValue !== undefined || reserved !== undefined || computed;
    const fieldReserved = reserved ?? (padding ? "check" : undefined);
    fields.push({
      name: fieldName,
      doc: f.doc,
      units: f.units,
      example: f.example,
      type,
      count,
      endian,
      constValue,
      reserved: fieldReserved,
      valid,
      repr,
      typedArray: typedArray && count !== undefined && takes.typedArray === true,
      offset,
      size,
      computed,
      hidden,
      ...fieldFacts({ type, count, repr, reserved: fieldReserved, constValue, valid }),
      source: where,
    });
    offset = offset === undefined || size === undefined ? undefined : offset + size;
  }
  const size = offset;
  if (declaredSize !== undefined && size !== declaredSize) {
    ctx.report(
      file.locate(path, "size"),
      size === undefined ? `declared size ${declaredSize}, but the struct has a variable size` : `declared size ${declaredSize}, but the fields add up to ${size}`,
    );
  }
  return { kind: "struct", name, doc, module: file.name, source, fields, size, needsSection, ...structFacts(fields, size) };
}
