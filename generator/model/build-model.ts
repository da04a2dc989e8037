import { alternatives, type Diagnostic } from "../diagnostics.js";
import type { SchemaFile, YamlPath } from "../parse/load-schemas.js";
import type {
  BitField,
  BitsDecl,
  Condition,
  ContainerDecl,
  Count,
  Decl,
  Endian,
  EnumDecl,
  EnumValue,
  Field,
  FieldType,
  FlagsDecl,
  IntName,
  ImageRule,
  IntType,
  LibraryModel,
  FloatType,
  Presence,
  Model,
  ModuleDecl,
  SectionBody,
  SectionDecl,
  SectionVariant,
  Source,
  StructDecl,
  SwitchCase,
} from "./model.js";

// The raw shapes the meta-schema has already guaranteed.
interface RawField {
  name?: string;
  doc?: string;
  units?: string;
  example?: unknown;
  type?: string;
  bytes?: RawCount;
  string?: RawCount;
  pad?: number;
  align?: number;
  count?: RawCount;
  endian?: "little" | "big";
  const?: number | string | number[];
  reserved?: true | "ignore";
  repr?: "number" | "bigint" | "typed_array";
  encoding?: "ascii" | "utf8";
  switch?: string;
  size?: string;
  cases?: Record<string, string>;
  default?: "bytes" | "error";
}
type RawCount = number | string | { count_of: string; where: { field: string; in: string[] } };
interface RawDecl {
  doc: string;
  size?: number;
  fields?: RawField[] & RawBitField[];
  enum?: IntName;
  flags?: IntName;
  bits?: IntName;
  values?: { name: string; value?: number; bit?: number; doc?: string }[];
}
interface RawBitField {
  name: string;
  doc?: string;
  bits: [number, number];
  type?: string;
  reserved?: true | "ignore";
  repr?: "number" | "bigint";
}
interface RawBody {
  type?: string;
  fields?: RawField[];
  entries?: string;
  entry_size?: number;
  empty?: true;
}
interface RawSection extends RawBody {
  id: number;
  optional?: boolean;
  doc: string;
  align?: number;
  since?: number;
  variants?: (RawBody & { when: Record<string, string | string[]>; doc?: string })[];
}
interface RawRule {
  doc: string;
  when: Record<string, string | string[]>;
  sections: Record<string, Presence>;
  order?: (string | string[])[];
  phases?: { marker: string; sections: string[] };
}
interface RawFile {
  doc: string;
  imports?: string[];
  endian?: "little" | "big";
  container?: { doc: string; header: string; entry: string; end: string; version: number };
  types?: Record<string, RawDecl>;
  sections?: Record<string, RawSection>;
  rules?: Record<string, RawRule>;
}

const INTS: Record<IntName, IntType> = {
  u8: { kind: "int", name: "u8", size: 1, signed: false },
  u16: { kind: "int", name: "u16", size: 2, signed: false },
  u32: { kind: "int", name: "u32", size: 4, signed: false },
  u64: { kind: "int", name: "u64", size: 8, signed: false },
  i8: { kind: "int", name: "i8", size: 1, signed: true },
  i16: { kind: "int", name: "i16", size: 2, signed: true },
  i32: { kind: "int", name: "i32", size: 4, signed: true },
  i64: { kind: "int", name: "i64", size: 8, signed: true },
};
const FLOATS: Record<string, FloatType> = {
  f32: { kind: "float", name: "f32", size: 4 },
  f64: { kind: "float", name: "f64", size: 8 },
};
const PRIMITIVES = [...Object.keys(INTS), ...Object.keys(FLOATS)];

/** Names that generated code uses itself; a field may not take them. */
const RESERVED_FIELD_NAMES = new Set(["entries", "rest", "unknown"]);

/** Field names that would hide a member of the lazy view generated for a fixed struct. */
const VIEW_MEMBER_NAMES = new Set(["to_object"]);

/**
 * Declaration names whose TypeScript form would shadow a global that generated code or its users rely
 * on (a struct `record` would become an interface `Record`).
 */
const SHADOWED_GLOBALS = new Set([
  "array", "array_buffer", "big_int", "boolean", "data_view", "date", "error", "function", "json", "map", "math",
  "number", "object", "promise", "readonly", "readonly_map", "record", "set", "string", "symbol", "uint8_array",
]);

/** The fields the runtime container reads and fills in, with the integer type each must have. */
export const CONTAINER_HEADER_FIELDS: Record<string, IntName> = {
  byte_order: "u8",
  format_version: "u16",
  header_size: "u32",
  section_table_offset: "u64",
  section_count: "u32",
  section_entry_size: "u32",
  header_crc: "u32",
};
export const CONTAINER_ENTRY_FIELDS: Record<string, IntName> = {
  type: "u32",
  flags: "u32",
  offset: "u64",
  size: "u64",
  entry_count: "u64",
  entry_size: "u32",
  align: "u32",
  crc: "u32",
};

function intRange(t: IntType): [bigint, bigint] {
  const bits = BigInt(t.size * 8);
  return t.signed ? [-(1n << (bits - 1n)), (1n << (bits - 1n)) - 1n] : [0n, (1n << bits) - 1n];
}

/** "a struct", "an enum": for messages that name a declaration's kind. */
function kindName(kind: string): string {
  return `${/^[aeiou]/.test(kind) ? "an" : "a"} ${kind === "int" ? "integer" : kind}`;
}

function isPowerOfTwo(n: number): boolean {
  return n > 0 && (n & (n - 1)) === 0;
}

/** Edit distance, to suggest the name a maintainer probably meant. */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length]!;
}

function suggest(name: string, candidates: readonly string[]): string {
  const scored = candidates.map((c) => [c, distance(name, c)] as const).filter(([c, d]) => d <= Math.max(2, Math.floor(c.length / 3)));
  const best = Math.min(...scored.map(([, d]) => d));
  const close = scored.filter(([, d]) => d === best).map(([c]) => c);
  const list = (close.length > 0 ? close : candidates).slice().sort();
  if (list.length === 0) return "";
  return close.length > 0 ? `; did you mean ${alternatives(list)}?` : `; known: ${alternatives(list.slice(0, 12))}${list.length > 12 ? ", …" : ""}`;
}

interface Located<T> {
  readonly raw: T;
  readonly file: SchemaFile;
  readonly path: YamlPath;
}

type MutableField = { -readonly [K in keyof Field]: Field[K] };

/**
 * Builds the model from validated schema files: resolves references (within a file and across its
 * imports), computes sizes and offsets, and checks what the meta-schema cannot (unknown references,
 * duplicates, sizes that disagree, values that overflow their container). Every problem found is
 * pushed to `diagnostics`; the returned model is only meaningful when none were.
 */
export function buildModel(files: readonly SchemaFile[], diagnostics: Diagnostic[]): Model | undefined {
  const built = build(files, diagnostics, "image");
  return built?.container === undefined ? undefined : (built as Model);
}

/**
 * Builds a library of types without the image container: the layouts of other formats (Xen's
 * migration streams, ELF) described in the same language, whose files may declare types only.
 */
export function buildLibrary(files: readonly SchemaFile[], diagnostics: Diagnostic[]): LibraryModel | undefined {
  return build(files, diagnostics, "library");
}

function build(files: readonly SchemaFile[], diagnostics: Diagnostic[], kind: "image" | "library"): (LibraryModel & Partial<Model>) | undefined {
  const report = (where: Source, message: string) =>
    diagnostics.push({ file: where.file, line: where.line, col: where.col, path: where.path, message });

  const rawFiles = new Map<string, Located<RawFile>>();
  for (const file of files) rawFiles.set(file.name, { raw: file.data as RawFile, file, path: [] });

  // Pass 1: every declaration and section name, globally unique (they share one generated namespace).
  const declSites = new Map<string, Located<RawDecl>>();
  const sectionSites = new Map<string, Located<RawSection>>();
  const nameOwner = new Map<string, Source>();
  for (const { raw, file } of rawFiles.values()) {
    const claim = (name: string, path: YamlPath) => {
      const where = file.locate(path.slice(0, -1), name);
      const first = nameOwner.get(name);
      if (first !== undefined) {
        report(where, `"${name}" is already declared at ${first.file}:${first.line}:${first.col}`);
        return false;
      }
      nameOwner.set(name, where);
      return true;
    };
    for (const [name, decl] of Object.entries(raw.types ?? {})) {
      if (SHADOWED_GLOBALS.has(name)) report(file.locate(["types"], name), `"${name}" would shadow TypeScript's built-in of that name in generated code; choose another name`);
      if (PRIMITIVES.includes(name)) report(file.locate(["types"], name), `"${name}" is a built-in type name`);
      else if (claim(name, ["types", name])) declSites.set(name, { raw: decl, file, path: ["types", name] });
    }
    for (const [name, section] of Object.entries(raw.sections ?? {})) {
      if (RESERVED_FIELD_NAMES.has(name)) report(file.locate(["sections"], name), `"${name}" is reserved`);
      else if (claim(name, ["sections", name])) sectionSites.set(name, { raw: section, file, path: ["sections", name] });
    }
    for (const [i, imported] of (raw.imports ?? []).entries()) {
      if (!rawFiles.has(imported)) {
        report(file.locate(["imports", i]), `unknown import "${imported}"${suggest(imported, [...rawFiles.keys()])}`);
      }
    }
  }

  const built = new Map<string, Decl>();
  const building = new Set<string>();

  /** Resolves a type name as seen from `from` (its own declarations and its imports). */
  function resolveType(name: string, from: SchemaFile, where: Source): FieldType | undefined {
    const int = INTS[name as IntName];
    if (int !== undefined) return int;
    const float = FLOATS[name];
    if (float !== undefined) return float;
    const site = declSites.get(name);
    const visible = [from.name, ...(rawFiles.get(from.name)?.raw.imports ?? [])];
    if (site === undefined) {
      const known = [...PRIMITIVES, ...[...declSites.entries()].filter(([, s]) => visible.includes(s.file.name)).map(([n]) => n)];
      report(where, `unknown type "${name}"${suggest(name, known)}`);
      return undefined;
    }
    if (!visible.includes(site.file.name)) {
      report(where, `type "${name}" is declared in ${site.file.file}, which this file does not import (add it to imports)`);
      return undefined;
    }
    return buildDecl(name, where);
  }

  function buildDecl(name: string, usedAt?: Source): Decl | undefined {
    const done = built.get(name);
    if (done !== undefined) return done;
    const site = declSites.get(name);
    if (site === undefined) return undefined;
    if (building.has(name)) {
      report(usedAt ?? site.file.locate(site.path), `type "${name}" contains itself`);
      return undefined;
    }
    building.add(name);
    const { raw, file, path } = site;
    const source = file.locate(path);
    let decl: Decl | undefined;
    if (raw.enum !== undefined) decl = buildEnum(name, raw, file, path, source);
    else if (raw.flags !== undefined) decl = buildFlags(name, raw, file, path, source);
    else if (raw.bits !== undefined) decl = buildBits(name, raw, file, path, source);
    // A declared struct may read the section's entries or rest; where it is used decides if that fits.
    else decl = buildStruct(name, raw.doc, raw.fields ?? [], file, path, source, raw.size);
    building.delete(name);
    if (decl !== undefined) built.set(name, decl);
    return decl;
  }

  function buildEnum(name: string, raw: RawDecl, file: SchemaFile, path: YamlPath, source: Source): EnumDecl {
    const base = INTS[raw.enum!];
    const [min, max] = intRange(base);
    const values: EnumValue[] = [];
    const seenNames = new Set<string>();
    const seenValues = new Map<bigint, string>();
    for (const [i, v] of (raw.values ?? []).entries()) {
      const where = file.locate([...path, "values", i]);
      const value = BigInt(v.value!);
      if (value < min || value > max) report(where, `value ${v.value} does not fit ${base.name}`);
      if (seenNames.has(v.name)) report(where, `duplicate value name "${v.name}"`);
      const other = seenValues.get(value);
      if (other !== undefined) report(where, `value ${v.value} is already named "${other}"`);
      seenNames.add(v.name);
      seenValues.set(value, v.name);
      values.push({ name: v.name, value: base.size === 8 ? value : Number(value), doc: v.doc, source: where });
    }
    return { kind: "enum", name, doc: raw.doc, module: file.name, source, base, values };
  }

  function buildFlags(name: string, raw: RawDecl, file: SchemaFile, path: YamlPath, source: Source): FlagsDecl {
    const base = INTS[raw.flags!];
    const bits = [];
    const seen = new Map<number, string>();
    for (const [i, v] of (raw.values ?? []).entries()) {
      const where = file.locate([...path, "values", i]);
      if (v.bit! >= base.size * 8) report(where, `bit ${v.bit} does not fit ${base.name} (bits 0-${base.size * 8 - 1})`);
      const other = seen.get(v.bit!);
      if (other !== undefined) report(where, `bit ${v.bit} is already named "${other}"`);
      seen.set(v.bit!, v.name);
      bits.push({ name: v.name, bit: v.bit!, doc: v.doc, source: where });
    }
    return { kind: "flags", name, doc: raw.doc, module: file.name, source, base, bits };
  }

  function buildBits(name: string, raw: RawDecl, file: SchemaFile, path: YamlPath, source: Source): BitsDecl {
    const base = INTS[raw.bits!];
    const width = base.size * 8;
    const fields: BitField[] = [];
    let used = 0n;
    for (const [i, f] of ((raw.fields ?? []) as RawBitField[]).entries()) {
      const where = file.locate([...path, "fields", i]);
      const [high, low] = f.bits;
      if (high < low) report(where, `bits must be [high, low]; got [${high}, ${low}]`);
      if (high >= width) report(where, `bits [${high}, ${low}] overflow ${base.name} (bits 0-${width - 1})`);
      const w = Math.max(0, high - low + 1);
      const mask = ((1n << BigInt(w)) - 1n) << BigInt(low);
      if ((used & mask) !== 0n) report(where, `bits [${high}, ${low}] overlap an earlier bit field`);
      used |= mask;
      let enumType: EnumDecl | undefined;
      if (f.type !== undefined) {
        const typeWhere = file.locate([...path, "fields", i, "type"]);
        const t = resolveType(f.type, file, typeWhere);
        if (t !== undefined && t.kind !== "enum") report(typeWhere, `a bit field's type must be an enum; "${f.type}" is ${kindName(t.kind)}`);
        else if (t !== undefined) {
          enumType = t;
          for (const v of t.values) {
            if (BigInt(v.value) < 0n || BigInt(v.value) >= 1n << BigInt(w)) {
              report(where, `enum value ${t.name}.${v.name} = ${v.value} does not fit ${w} bits`);
            }
          }
        }
      }
      if (f.repr === "number" && w > 53) report(where, `repr: number needs a width of at most 53 bits; this one has ${w}`);
      const repr = f.repr ?? (w <= 32 ? "number" : "bigint");
      fields.push({ name: f.name, doc: f.doc, high, low, width: w, enumType, reserved: reservedMode(f.reserved), repr, source: where });
    }
    return { kind: "bits", name, doc: raw.doc, module: file.name, source, base, fields };
  }

  function reservedMode(r: true | "ignore" | undefined): "check" | "ignore" | undefined {
    return r === true ? "check" : r === "ignore" ? "ignore" : undefined;
  }

  /** A `switch` field: resolves the selector and size fields (earlier ones) and every case's struct. */
  function buildSwitch(f: RawField, earlier: MutableField[], file: SchemaFile, fpath: YamlPath): FieldType | undefined {
    const at = (key: string) => file.locate(fpath, key);
    const earlierField = (name: string, key: string, what: string) => {
      const ref = earlier.find((x) => x.name === name);
      if (ref === undefined) {
        report(at(key), `${what} "${name}" names no earlier field${suggest(name, earlier.map((x) => x.name))}`);
        return undefined;
      }
      const base = ref.type.kind === "int" ? ref.type : ref.type.kind === "enum" ? ref.type.base : undefined;
      if (base === undefined || ref.count !== undefined || ref.constValue !== undefined || ref.reserved !== undefined) {
        report(at(key), `${what} "${name}" must be a plain integer or enum field`);
        return undefined;
      }
      return ref;
    };
    const selector = earlierField(f.switch!, "switch", "switch");
    const size = f.size === undefined ? undefined : earlierField(f.size, "size", "size");
    if (size !== undefined && (size.type.kind !== "int" || size.type.signed)) {
      report(at("size"), `size "${size.name}" must be an unsigned integer field`);
    }
    const fallback = f.default ?? (size === undefined ? "error" : "bytes");
    if (fallback === "bytes" && size === undefined) report(at("default"), "default: bytes needs a size field to know how many bytes to keep");
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
        if (value === undefined) report(where, `"${key}" is not a value of ${enumType.name}${suggest(key, enumType.values.map((v) => v.name))}`);
      } else if (/^(0x[0-9a-f]+|\d+)$/i.test(key)) {
        value = Number(key);
        caseName = `case_${key}`;
      } else report(where, `a case of a plain integer selector must be a number; "${key}" is not`);
      if (value === undefined) continue;
      if (seen.has(BigInt(value))) report(where, `case ${key} repeats an earlier case`);
      seen.add(BigInt(value));
      let struct: StructDecl | undefined;
      if (typeName !== "empty") {
        const t = resolveType(typeName, file, file.locate([...fpath, "cases", key]));
        if (t === undefined) continue;
        if (t.kind !== "struct") {
          report(file.locate([...fpath, "cases", key]), `a case must be a struct (or "empty"); "${typeName}" is ${kindName(t.kind)}`);
          continue;
        }
        // Inside a sized body, `rest` means the rest of the body; `entries` has no meaning there.
        const readsEntries = t.fields.some((x) => x.count?.kind === "entries");
        if (t.needsSection && (size === undefined || readsEntries)) {
          report(file.locate([...fpath, "cases", key]), `struct "${typeName}" reads ${readsEntries ? "the section's entries" : "the rest of its body"}, which needs ${readsEntries ? "a section" : "a size field on the switch"}`);
          continue;
        }
        struct = t;
      }
      cases.push({ name: caseName, value, struct, source: where });
    }
    selector.computed = true;
    selector.hidden = true;
    if (size !== undefined) {
      size.computed = true;
      size.hidden = true;
    }
    return { kind: "switch", selector, size, cases, fallback };
  }

  function buildStruct(
    name: string,
    doc: string,
    rawFields: RawField[],
    file: SchemaFile,
    path: YamlPath,
    source: Source,
    declaredSize: number | undefined,
  ): StructDecl {
    const fields: MutableField[] = [];
    const fileEndian = rawFiles.get(file.name)?.raw.endian;
    let offset: number | undefined = 0;
    let needsSection = false;
    let afterRest: string | undefined;
    const names = new Set<string>();
    for (const [i, f] of rawFields.entries()) {
      const fpath = [...path, "fields", i];
      const where = file.locate(fpath);
      const at = (key: string) => file.locate(fpath, key);
      const fieldName = f.name ?? `_pad${i}`;
      if (f.name !== undefined) {
        if (names.has(f.name)) report(file.locate([...fpath, "name"]), `duplicate field name "${f.name}"`);
        if (RESERVED_FIELD_NAMES.has(f.name)) report(file.locate([...fpath, "name"]), `"${f.name}" is reserved as a count keyword`);
        if (VIEW_MEMBER_NAMES.has(f.name)) report(file.locate([...fpath, "name"]), `"${f.name}" is reserved: it would hide the toObject() method of the struct's generated view`);
        names.add(f.name);
      }
      if (afterRest !== undefined) report(where, `field follows "${afterRest}", which takes the rest of the section`);

      let type: FieldType | undefined;
      let rawCount: RawCount | undefined = f.count;
      if (f.type !== undefined) type = resolveType(f.type, file, file.locate([...fpath, "type"]));
      else if (f.bytes !== undefined) {
        if (f.count !== undefined) {
          // `bytes: N` with a count: an array of N-byte runs (e.g. pages).
          if (typeof f.bytes !== "number") report(at("bytes"), "with count, bytes must be a fixed number");
          type = { kind: "bytes", elementSize: typeof f.bytes === "number" ? f.bytes : 1 };
        } else {
          type = { kind: "bytes" };
          rawCount = f.bytes;
        }
      } else if (f.string !== undefined) {
        type = { kind: "string", encoding: f.encoding ?? "utf8" };
        rawCount = f.string;
      } else if (f.switch !== undefined) {
        type = buildSwitch(f, fields, file, fpath);
      } else if (f.pad !== undefined) type = { kind: "pad", size: f.pad };
      else if (f.align !== undefined) {
        if (!isPowerOfTwo(f.align)) report(at("align"), `alignment ${f.align} is not a power of two`);
        type = { kind: "align", alignment: f.align };
      }
      if (type === undefined) {
        offset = undefined;
        continue;
      }

      const isInt = type.kind === "int" || type.kind === "enum" || type.kind === "flags" || type.kind === "bits";
      if (f.endian !== undefined && f.type !== undefined && !(isInt || type.kind === "float")) report(at("endian"), "endian applies to numbers only");
      const intBase = type.kind === "int" ? type : type.kind === "enum" || type.kind === "flags" || type.kind === "bits" ? type.base : undefined;
      const typedArray = f.repr === "typed_array";
      if (f.repr !== undefined && !typedArray && f.type !== undefined && intBase?.size !== 8) report(at("repr"), "repr applies to 64-bit integers only");
      if (type.kind === "struct" && type.needsSection) {
        report(file.locate([...fpath, "type"]), `struct "${type.name}" reads the section's entries or rest and can only be a section body`);
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
            report(
              countWhere,
              later
                ? `count "${rawCount}" names a field that comes later; a count must be read before what it counts`
                : `count "${rawCount}" names no earlier field${suggest(rawCount, fields.filter((x) => x.type.kind === "int").map((x) => x.name))}`,
            );
          } else if (refBase === undefined || refBase.signed || ref.count !== undefined || ref.constValue !== undefined) {
            report(countWhere, `count field "${rawCount}" must be an unsigned integer field (not an array or constant)`);
          } else {
            ref.computed = true;
            ref.hidden = true;
            count = { kind: "field", field: ref };
          }
        } else {
          const array = fields.find((x) => x.name === rawCount.count_of);
          const bits = array?.type.kind === "bits" ? array.type : undefined;
          const bitField = bits?.fields.find((b) => b.name === rawCount.where.field);
          if (array === undefined || array.count === undefined || bits === undefined) {
            report(countWhere, `count_of "${rawCount.count_of}" must name an earlier array of a bits type`);
          } else if (bitField === undefined || bitField.enumType === undefined) {
            report(countWhere, `"${rawCount.where.field}" is not an enum-typed bit field of ${bits.name}${suggest(rawCount.where.field, bits.fields.filter((b) => b.enumType).map((b) => b.name))}`);
          } else {
            const values: EnumValue[] = [];
            for (const v of rawCount.where.in) {
              const ev = bitField.enumType.values.find((x) => x.name === v);
              if (ev === undefined) report(countWhere, `"${v}" is not a value of ${bitField.enumType.name}${suggest(v, bitField.enumType.values.map((x) => x.name))}`);
              else values.push(ev);
            }
            count = { kind: "count_of", array, bitField, values };
          }
        }
      }
      if (f.count !== undefined && !(type.kind !== "pad" && type.kind !== "align")) report(at("count"), "pad and align take no count");

      // Constants and reserved values.
      let constValue: Field["constValue"];
      if (f.const !== undefined) {
        if (Array.isArray(f.const)) {
          if (type.kind !== "bytes" || count?.kind !== "fixed" || count.value !== f.const.length) {
            report(at("const"), `a byte-list constant needs a "bytes: ${f.const.length}" field`);
          }
          constValue = f.const;
        } else if (intBase !== undefined && type.kind === "int" && count === undefined) {
          const value = BigInt(f.const);
          const [min, max] = intRange(intBase);
          if (value < min || value > max) report(at("const"), `constant ${String(f.const)} does not fit ${intBase.name}`);
          constValue = intBase.size === 8 && f.repr !== "number" ? value : Number(value);
        } else report(at("const"), "const applies to a plain integer or a fixed byte run");
      }
      const reserved = reservedMode(f.reserved);
      if (reserved !== undefined && !(type.kind === "int" || type.kind === "bytes" || type.kind === "pad" || type.kind === "align")) {
        report(at("reserved"), "reserved applies to integers, byte runs and padding");
      }

      if (typedArray && (count === undefined || !(type.kind === "int" || type.kind === "float"))) {
        const what = count === undefined ? "a single value" : type.kind === "int" || type.kind === "float" ? type.name : `an array of ${type.kind}${"name" in type ? ` ${type.name}` : ""}`;
        report(at("repr"), `repr: typed_array applies to arrays of u8…u64, i8…i64, f32 or f64 (a field with type and count); "${fieldName}" is ${what}`);
      } else if (typedArray && (constValue !== undefined || reserved !== undefined)) {
        report(at("repr"), "repr: typed_array does not combine with const or reserved");
      }

      // Size and offset.
      let size: number | undefined;
      const fixedCount = count === undefined ? 1 : count.kind === "fixed" ? count.value : undefined;
      switch (type.kind) {
        case "int":
        case "float":
          size = fixedCount === undefined ? undefined : type.size * fixedCount;
          break;
        case "enum":
        case "flags":
        case "bits":
          size = fixedCount === undefined ? undefined : type.base.size * fixedCount;
          break;
        case "struct":
          size = fixedCount === undefined || type.size === undefined ? undefined : type.size * fixedCount;
          break;
        case "bytes":
          size = fixedCount === undefined ? undefined : (type.elementSize ?? 1) * fixedCount;
          break;
        case "string":
          size = fixedCount;
          break;
        case "pad":
          size = type.size;
          break;
        case "align":
          size = offset === undefined ? undefined : (type.alignment - (offset % type.alignment)) % type.alignment;
          break;
        case "switch": {
          const sizes = new Set(type.cases.map((c) => (c.struct === undefined ? 0 : c.struct.size)));
          size = sizes.size === 1 && type.fallback === "error" ? [...sizes][0] : undefined;
          break;
        }
      }
      const endian: Endian = f.endian ?? fileEndian ?? "context";
      const repr = f.repr === "number" ? "number" : "bigint";
      const hidden = type.kind === "pad" || type.kind === "align" || constValue !== undefined || reserved !== undefined;
      fields.push({
        name: fieldName,
        doc: f.doc,
        units: f.units,
        example: f.example,
        type,
        count,
        endian,
        constValue,
        reserved: reserved ?? (type.kind === "pad" || type.kind === "align" ? "check" : undefined),
        repr,
        typedArray: typedArray && count !== undefined && (type.kind === "int" || type.kind === "float"),
        offset,
        size,
        computed: false,
        hidden,
        source: where,
      });
      offset = offset === undefined || size === undefined ? undefined : offset + size;
    }
    const size = offset;
    if (declaredSize !== undefined && size !== declaredSize) {
      report(
        file.locate(path, "size"),
        size === undefined ? `declared size ${declaredSize}, but the struct has a variable size` : `declared size ${declaredSize}, but the fields add up to ${size}`,
      );
    }
    return { kind: "struct", name, doc, module: file.name, source, fields, size, needsSection };
  }

  // Pass 2: declarations, in file then name order so the output is stable.
  for (const name of declSites.keys()) buildDecl(name);

  // The container first: section variants refer to its header.
  let container: ContainerDecl | undefined;
  let containerSite: Located<RawFile> | undefined;
  for (const site of rawFiles.values()) {
    if (site.raw.container === undefined) continue;
    if (containerSite !== undefined) {
      report(site.file.locate([], "container"), `only one file may declare the container; ${containerSite.file.file} already does`);
      continue;
    }
    containerSite = site;
  }

  const sections = new Map<string, SectionDecl>();
  const ids = new Map<number, string>();
  function bodyOf(raw: RawBody, name: string, file: SchemaFile, path: YamlPath, doc: string): SectionBody | undefined {
    if (raw.empty) return { kind: "empty" };
    if (raw.fields !== undefined) {
      const struct = buildStruct(name, doc, raw.fields, file, path, file.locate(path), undefined);
      return { kind: "struct", struct };
    }
    const ref = raw.type ?? raw.entries!;
    const key = raw.type !== undefined ? "type" : "entries";
    const t = resolveType(ref, file, file.locate([...path, key]));
    if (t === undefined) return undefined;
    if (t.kind !== "struct") {
      report(file.locate([...path, key]), `a section body must be a struct; "${ref}" is ${kindName(t.kind)}`);
      return undefined;
    }
    if (raw.type !== undefined) return { kind: "struct", struct: t };
    if (t.size === undefined || t.needsSection) {
      report(file.locate([...path, "entries"]), `entries must be a fixed-size struct; "${ref}" is variable`);
      return undefined;
    }
    if (raw.entry_size !== t.size) {
      report(file.locate([...path, "entry_size"]), `entry_size ${raw.entry_size} does not match ${ref}, which is ${t.size} bytes`);
    }
    return { kind: "entries", struct: t, entrySize: t.size };
  }

  let headerDecl: StructDecl | undefined;
  if (containerSite !== undefined) {
    const c = containerSite.raw.container!;
    const h = resolveType(c.header, containerSite.file, containerSite.file.locate(["container", "header"]));
    if (h?.kind === "struct") headerDecl = h;
    else if (h !== undefined) report(containerSite.file.locate(["container", "header"]), `the header must be a struct`);
  }

  /** `{header_field: value | [values]}` → conditions on the header's enum fields. */
  function conditions(raw: Record<string, string | string[]>, file: SchemaFile, path: YamlPath): Condition[] {
    const out: Condition[] = [];
    for (const [key, rawValues] of Object.entries(raw)) {
      const keyWhere = file.locate(path, key);
      if (headerDecl === undefined) {
        report(keyWhere, "conditions need a container header to select on");
        continue;
      }
      const field = headerDecl.fields.find((f) => f.name === key && !f.hidden);
      if (field === undefined || field.type.kind !== "enum") {
        const enums = headerDecl.fields.filter((f) => f.type.kind === "enum").map((f) => f.name);
        report(keyWhere, `"${key}" is not an enum field of the header${suggest(key, enums)}`);
        continue;
      }
      const enumType = field.type;
      const values: EnumValue[] = [];
      const names = Array.isArray(rawValues) ? rawValues : [rawValues];
      names.forEach((valueName, i) => {
        const value = enumType.values.find((x) => x.name === valueName);
        if (value !== undefined) values.push(value);
        else {
          const at = file.locate(Array.isArray(rawValues) ? [...path, key, i] : [...path, key]);
          report(at, `"${valueName}" is not a value of ${enumType.name}${suggest(valueName, enumType.values.map((x) => x.name))}`);
        }
      });
      if (values.length > 0) out.push({ field, values });
    }
    return out;
  }

  for (const [name, { raw, file, path }] of sectionSites) {
    const where = file.locate(path);
    const other = ids.get(raw.id);
    if (other !== undefined) report(file.locate(path, "id"), `section id 0x${raw.id.toString(16)} is already used by "${other}"`);
    ids.set(raw.id, name);
    if (raw.align !== undefined && !isPowerOfTwo(raw.align)) report(file.locate(path, "align"), `alignment ${raw.align} is not a power of two`);
    const variants: SectionVariant[] = [];
    if (raw.variants === undefined) {
      const body = bodyOf(raw, name, file, path, raw.doc);
      if (body !== undefined) variants.push({ when: [], doc: undefined, body, source: where });
    } else {
      for (const [i, v] of raw.variants.entries()) {
        const vpath = [...path, "variants", i];
        const when = conditions(v.when, file, [...vpath, "when"]);
        const body = bodyOf(v, `${name}_${Object.values(v.when).flat().join("_")}`, file, vpath, v.doc ?? raw.doc);
        if (body !== undefined) variants.push({ when, doc: v.doc, body, source: file.locate(vpath) });
      }
    }
    sections.set(name, {
      kind: "section",
      name,
      doc: raw.doc,
      module: file.name,
      source: where,
      id: raw.id,
      optional: raw.optional ?? false,
      align: raw.align ?? 8,
      since: raw.since ?? 1,
      variants,
    });
  }

  if (kind === "library") {
    for (const { raw, file } of rawFiles.values()) {
      for (const key of ["container", "sections", "rules"] as const) {
        if (raw[key] !== undefined) report(file.locate([], key), `a library of types (a schema subfolder) declares no ${key}; only schema/*.yaml describe the image`);
      }
    }
  } else if (containerSite === undefined) {
    const first = files[0];
    if (first !== undefined) report(first.locate([]), "no file declares the container (header, entry, end, version)");
  } else {
    const { raw, file } = containerSite;
    const c = raw.container!;
    const e = resolveType(c.entry, file, file.locate(["container", "entry"]));
    const end = sections.get(c.end);
    if (end === undefined) report(file.locate(["container", "end"]), `unknown section "${c.end}"${suggest(c.end, [...sections.keys()])}`);
    const checkRoles = (s: StructDecl | undefined, roles: Record<string, IntName>, what: string, key: string) => {
      if (s === undefined) return;
      if (s.size === undefined) report(file.locate(["container", key]), `the ${what} must have a fixed size`);
      for (const [role, intName] of Object.entries(roles)) {
        const f = s.fields.find((x) => x.name === role);
        const base = f === undefined ? undefined : f.type.kind === "int" ? f.type : f.type.kind === "enum" || f.type.kind === "flags" ? f.type.base : undefined;
        if (f === undefined || base?.name !== intName || f.count !== undefined || f.hidden || f.repr === "number") {
          report(file.locate(["container", key]), `the ${what} "${s.name}" needs a field "${role}" of type ${intName}`);
        }
      }
    };
    if (e !== undefined && e.kind !== "struct") report(file.locate(["container", "entry"]), "the entry must be a struct");
    checkRoles(headerDecl, CONTAINER_HEADER_FIELDS, "header", "header");
    checkRoles(e?.kind === "struct" ? e : undefined, CONTAINER_ENTRY_FIELDS, "entry", "entry");
    const byteOrder = headerDecl?.fields.find((f) => f.name === "byte_order");
    if (byteOrder !== undefined && (byteOrder.type.kind !== "enum" || !["little", "big"].every((n) => (byteOrder.type as EnumDecl).values.some((v) => v.name === n)))) {
      report(byteOrder.source, `byte_order must be an enum with the values "little" and "big"`);
    }
    if (end !== undefined && !(end.variants.length === 1 && end.variants[0]!.body.kind === "empty")) {
      report(file.locate(["container", "end"]), `the end section must be empty`);
    }
    if (headerDecl !== undefined && e?.kind === "struct" && end !== undefined) {
      container = { doc: c.doc, version: c.version, header: headerDecl, entry: e, end, module: file.name, source: file.locate(["container"]) };
    }
  }

  const rules: ImageRule[] = [];
  const ruleNames = new Map<string, Source>();
  for (const { raw, file } of rawFiles.values()) {
    for (const [name, rule] of Object.entries(raw.rules ?? {})) {
      const path = ["rules", name];
      const where = file.locate(path);
      const first = ruleNames.get(name);
      if (first !== undefined) report(file.locate(["rules"], name), `rule "${name}" is already declared at ${first.file}:${first.line}:${first.col}`);
      ruleNames.set(name, where);
      const section = (sectionName: string, at: Source) => {
        const s = sections.get(sectionName);
        if (s === undefined) report(at, `unknown section "${sectionName}"${suggest(sectionName, [...sections.keys()])}`);
        else if (container !== undefined && s === container.end) report(at, `the end section is implied; rules do not list it`);
        return s === container?.end ? undefined : s;
      };
      const presences = Object.entries(rule.sections).flatMap(([sectionName, presence]) => {
        const s = section(sectionName, file.locate([...path, "sections"], sectionName));
        return s === undefined ? [] : [{ section: s, presence, source: file.locate([...path, "sections", sectionName]) }];
      });
      const listed = new Set(presences.filter((p) => p.presence !== "forbidden").map((p) => p.section));
      const order = (rule.order ?? []).map((group, i) => {
        const names = Array.isArray(group) ? group : [group];
        return names.flatMap((n, j) => {
          const at = file.locate(Array.isArray(group) ? [...path, "order", i, j] : [...path, "order", i]);
          const s = section(n, at);
          if (s !== undefined && !listed.has(s)) report(at, `"${n}" is ordered but the rule does not allow it in its sections`);
          return s === undefined ? [] : [s];
        });
      });
      const seen = new Set<SectionDecl>();
      for (const s of order.flat()) {
        if (seen.has(s)) report(file.locate([...path, "order"]), `"${s.name}" appears twice in the order`);
        seen.add(s);
      }
      let phases: ImageRule["phases"];
      if (rule.phases !== undefined) {
        const marker = section(rule.phases.marker, file.locate([...path, "phases", "marker"]));
        const inPhase = rule.phases.sections.flatMap((n, i) => {
          const at = file.locate([...path, "phases", "sections", i]);
          const s = section(n, at);
          if (s !== undefined && !listed.has(s)) report(at, `"${n}" may repeat in a phase but the rule does not allow it in its sections`);
          return s === undefined ? [] : [s];
        });
        if (marker !== undefined && !listed.has(marker)) report(file.locate([...path, "phases", "marker"]), `the phase marker "${marker.name}" must be allowed in the rule's sections`);
        if (marker !== undefined) phases = { marker, sections: inPhase };
      }
      rules.push({ name, doc: rule.doc, when: conditions(rule.when, file, [...path, "when"]), sections: presences, order, phases, module: file.name, source: where });
    }
  }

  // Two rules must never cover the same image: for some header field both constrain, their values differ.
  for (let a = 0; a < rules.length; a++) {
    for (let b = a + 1; b < rules.length; b++) {
      const ra = rules[a]!;
      const rb = rules[b]!;
      const disjoint = ra.when.some((ca) => {
        const cb = rb.when.find((c) => c.field === ca.field);
        return cb !== undefined && !ca.values.some((v) => cb.values.includes(v));
      });
      if (!disjoint) report(rb.source, `rule "${rb.name}" covers images that rule "${ra.name}" covers too; make their "when" values differ`);
    }
  }

  if (kind === "image" && container === undefined) return undefined;
  const modules: ModuleDecl[] = files.map((f) => {
    const raw = rawFiles.get(f.name)!.raw;
    return {
      name: f.name,
      file: f.file,
      doc: raw.doc,
      imports: raw.imports ?? [],
      decls: [...declSites.keys()].flatMap((n) => {
        const d = built.get(n);
        return d !== undefined && d.module === f.name ? [d] : [];
      }),
      sections: [...sections.values()].filter((s) => s.module === f.name),
      rules: rules.filter((r) => r.module === f.name),
    };
  });
  if (kind === "library") return { modules };
  return {
    modules,
    container,
    sections: [...sections.values()].sort((a, b) => a.id - b.id),
    rules,
  };
}
