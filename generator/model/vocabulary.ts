import { alternatives } from "../diagnostics.js";
import { BUILTIN_TYPES, pascalName, propertyName } from "xenimage/reflect";
import type { IntName, IntType } from "./model.js";

// What the model passes share: the built-in types, the names generated code reserves, and the helpers
// their messages use.

/** The integer types by name: the runtime's table (xenimage/reflect), which reflection reads the same names with. */
export const INTS = Object.fromEntries(Object.entries(BUILTIN_TYPES).filter(([, t]) => t.kind === "int")) as Record<IntName, IntType>;

/** Names that generated code uses itself; a field may not take them. */
export const RESERVED_FIELD_NAMES = new Set(["entries", "rest", "unknown"]);

/** Field names that would hide a member of the lazy view generated for a fixed struct. */
export const VIEW_MEMBER_NAMES = new Set(["to_object"]);

/**
 * Declaration names whose TypeScript form would shadow a global that generated code or its users rely
 * on (a struct `record` would become an interface `Record`).
 */
export const SHADOWED_GLOBALS = new Set([
  "array", "array_buffer", "big_int", "boolean", "data_view", "date", "error", "function", "json", "map", "math",
  "number", "object", "promise", "readonly", "readonly_map", "record", "set", "string", "symbol", "uint8_array",
]);

/**
 * The runtime names generated modules import unaliased (see `m.runtime(...)` in the emitters): a
 * declaration generated under one of them would clash with the import.
 */
export const RUNTIME_IMPORTS = new Set([
  "ByteReader", "ByteWriter", "ContainerFormat", "ContainerImage", "DecodingFormat", "HeaderInit", "ImageRuleData",
  "RuleViolation", "SectionCodec", "SectionContext", "SectionDecoder", "UnknownSection",
  "decodeContainer", "decodeEntries", "encodeContainer", "encodeEntries", "encodeFixedEntries", "enumNames", "expectEntrySize",
  "readUuidAt", "utf8Length", "verifySections", "withEncoder", "writeUuidAt", "NOT_AN_ARRAY",
]);

/**
 * The module-level TypeScript names a declaration is generated under: its PascalCase name, an enum's
 * name table, a bit-field word's pack/unpack pair, a struct's codec functions and view, and what a
 * struct's fields add (a switch's union type, a `count_of`'s set of counted values). Two declarations
 * with distinct PascalCase names get distinct names throughout.
 */
export function declGeneratedNames(
  name: string,
  raw: { readonly enum?: unknown; readonly flags?: unknown; readonly bits?: unknown; readonly fields?: readonly RawFieldNames[] },
): string[] {
  const p = pascalName(name);
  if (raw.enum !== undefined) return [p, `${p}Names`];
  if (raw.flags !== undefined) return [p];
  if (raw.bits !== undefined) return [p, `pack${p}At`, `unpack${p}At`];
  return [...structNames(p), ...fieldGeneratedNames(name, raw.fields ?? [])];
}

/** What {@link fieldGeneratedNames} reads of a raw field (the meta-schema has checked the shapes). */
interface RawFieldNames {
  readonly name?: unknown;
  readonly switch?: unknown;
  readonly count?: unknown;
}

/** The module-level names a struct's fields add: a switch field's union type, a `count_of`'s constant. */
function fieldGeneratedNames(struct: string, fields: readonly RawFieldNames[]): string[] {
  return fields.flatMap((f) => {
    if (typeof f.name !== "string") return [];
    if (f.switch !== undefined) return [`${pascalName(struct)}${pascalName(f.name)}`];
    const countOf = typeof f.count === "object" && f.count !== null && "count_of" in f.count;
    return countOf ? [`${struct.toUpperCase()}_${f.name.toUpperCase()}_COUNTED`] : [];
  });
}

function structNames(p: string): string[] {
  return [p, `decode${p}`, `encode${p}`, `encode${p}Le`, `encode${p}Be`, `view${p}`, `check${p}`, `check${p}At`, `${p}View`, `${p}Checked`];
}

/** The same for a section: a body declared inline is a struct of the section's name; then its body type and codec objects. */
export function sectionGeneratedNames(name: string, raw: { readonly fields?: readonly RawFieldNames[] }): string[] {
  const p = pascalName(name);
  const c = propertyName(name);
  return [...structNames(p), ...fieldGeneratedNames(name, raw.fields ?? []), `${p}Body`, `${c}Section`, `${c}SectionDecoder`];
}

export function intRange(t: IntType): [bigint, bigint] {
  const bits = BigInt(t.size * 8);
  return t.signed ? [-(1n << (bits - 1n)), (1n << (bits - 1n)) - 1n] : [0n, (1n << bits) - 1n];
}

/** "a struct", "an enum": for messages that name a declaration's kind. */
export function kindName(kind: string): string {
  return `${/^[aeiou]/.test(kind) ? "an" : "a"} ${kind === "int" ? "integer" : kind}`;
}

export function isPowerOfTwo(n: number): boolean {
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

export function suggest(name: string, candidates: readonly string[]): string {
  const scored = candidates.map((c) => [c, distance(name, c)] as const).filter(([c, d]) => d <= Math.max(2, Math.floor(c.length / 3)));
  const best = Math.min(...scored.map(([, d]) => d));
  const close = scored.filter(([, d]) => d === best).map(([c]) => c);
  const list = (close.length > 0 ? close : candidates).slice().sort();
  if (list.length === 0) return "";
  return close.length > 0 ? `; did you mean ${alternatives(list)}?` : `; known: ${alternatives(list.slice(0, 12))}${list.length > 12 ? ", …" : ""}`;
}

export function reservedMode(r: true | "ignore" | undefined): "check" | "ignore" | undefined {
  return r === true ? "check" : r === "ignore" ? "ignore" : undefined;
}

