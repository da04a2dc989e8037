import { pascalName, propertyName } from "xenimage/reflect";

/**
 * How schema names become TypeScript names. One place, so every emitter agrees; the case conversions
 * are the runtime's own, so reflection finds the properties generated code has.
 */

/** `cpu_user_regs_x86_64` → `CpuUserRegsX8664`. */
export const pascal = pascalName;

/** `user_regs` → `userRegs`. */
export const camel = propertyName;

/** `cpuid_leaf` → `CPUID_LEAF`. */
export function constant(name: string): string {
  return name.toUpperCase();
}

/**
 * A module-private constant for one field of a struct (`IMAGE_HEADER$MAGIC`, `HVM_RECORD$BODY_CASES`).
 * Schema names hold no `$`, so it marks where the struct's name ends: struct `x` field `b_size` and
 * struct `x_b`'s `X_B_SIZE` cannot meet, nor struct `x` field `b_c` and struct `x_b` field `c`.
 */
export function fieldConstant(structName: string, fieldName: string, suffix = ""): string {
  return `${constant(structName)}$${constant(fieldName)}${suffix}`;
}

/**
 * Words a binding cannot be named in strict-mode (module) code: ECMAScript's reserved words, the
 * strict-mode and future reserved ones, and the names strict mode forbids binding.
 */
const RESERVED_WORDS = new Set([
  "await", "break", "case", "catch", "class", "const", "continue", "debugger", "default", "delete", "do", "else", "enum",
  "export", "extends", "false", "finally", "for", "function", "if", "implements", "import", "in", "instanceof", "interface",
  "let", "new", "null", "package", "private", "protected", "public", "return", "static", "super", "switch", "this", "throw",
  "true", "try", "typeof", "var", "void", "while", "with", "yield", "arguments", "eval",
]);

/** Globals generated code relies on that a lower-case local could shadow. */
const SHADOWABLE_GLOBALS = new Set(["undefined", "globalThis", "constructor", "prototype"]);

/**
 * Identifiers generated functions bind for themselves (parameters such as `r`, `w`, `v`, `o`, and
 * locals such as `at`, `index`, `out`), which a local named after a field must not take.
 */
const GENERATED_LOCALS = new Set([
  "r", "w", "v", "o", "e", "n", "i", "x", "at", "index", "start", "ctx", "raw", "out", "lo", "hi", "le", "count", "body",
  "bytes", "reader", "offset", "value", "length", "size", "element", "entries", "header", "image", "sections", "field",
  "struct", "view",
]);

/**
 * The module-level and runtime functions generated code calls are named by a verb and a PascalCase
 * type (`decodeUserRegs`, `encodeFrameAt`, `viewSegment`, `expectEntrySize`): a local with such a name
 * could hide one.
 */
const GENERATED_FUNCTION = /^(decode|encode|view|check|pack|unpack|expect|with|as|read|write|verify|section|image|schema)[A-Z0-9]/;

/**
 * Whether `name` may be bound as a local in generated code as it is: not a reserved word, not a name
 * the generated code binds or calls itself. A field name that may not is escaped by {@link local}.
 */
export function isSafeLocal(name: string): boolean {
  return !RESERVED_WORDS.has(name) && !SHADOWABLE_GLOBALS.has(name) && !GENERATED_LOCALS.has(name) && !GENERATED_FUNCTION.test(name);
}

/**
 * The local variable holding a field's value inside a generated function: the field's camelCase name,
 * with `_` appended when that name is not safe. Camel-casing drops every `_`, so an escaped name can
 * collide with no other field's local.
 */
export function local(fieldName: string): string {
  const c = camel(fieldName);
  return isSafeLocal(c) ? c : `${c}_`;
}

/**
 * A second local a generated function keeps for a field (`pfns_count`, `body_reader`): the `_` inside
 * it is one no field's local has, so it can clash with none.
 */
export function fieldLocal(fieldName: string, role: string): string {
  return `${camel(fieldName)}_${role}`;
}

/** A TypeScript literal for a schema integer. */
export function literal(value: number | bigint): string {
  if (typeof value === "bigint") return value < 0n ? `-0x${(-value).toString(16)}n` : `0x${value.toString(16)}n`;
  return value < 0 ? `-0x${(-value).toString(16)}` : `0x${value.toString(16)}`;
}

/** A string literal. */
export function str(s: string): string {
  return JSON.stringify(s);
}
