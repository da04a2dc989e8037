import type { BitsDecl, EnumDecl, Field, FieldType, FlagsDecl, IntType } from "../model/model.js";
import type { ModuleEmitter } from "./module-emitter.js";
import { camel, constant, literal, pascal, str } from "./names.js";

/**
 * Integers, floats, enums, flags and bit-field words: their TypeScript types, the runtime method that
 * reads or writes one, and the declarations emitted for named enums, flags and bits.
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

/** Emits an open enum: a const object of the named values, a type, and a name lookup. */
export function emitEnum(m: ModuleEmitter, decl: EnumDecl): void {
  const name = pascal(decl.name);
  const entries = decl.values.map((v) => `${str(v.name)}: ${literal(v.value)}`);
  m.file.constant(name, decl.doc, `{ ${entries.join(", ")} } as const`);
  const valueType = decl.base.size === 8 ? "bigint" : "number";
  m.file.typeAlias(
    name,
    `${decl.doc}\n\nOpen: a value without a name decodes as a plain ${valueType} and survives a round trip.`,
    `(typeof ${name})[keyof typeof ${name}] | (${valueType} & {})`,
  );
  const names = decl.values.map((v) => `[${literal(v.value)}, ${str(v.name)}]`);
  m.file.constant(`${name}Names`, `The schema name of each ${decl.name} value.`, `new Map<${valueType}, string>([${names.join(", ")}])`, `ReadonlyMap<${valueType}, string>`);
}

/** Emits a flags type: a const object of bit masks and the integer type that holds them. */
export function emitFlags(m: ModuleEmitter, decl: FlagsDecl): void {
  const name = pascal(decl.name);
  const big = decl.base.size === 8;
  const masks = decl.bits.map((b) => `${str(b.name)}: ${big ? literal(1n << BigInt(b.bit)) : literal(2 ** b.bit)}`);
  m.file.constant(name, `${decl.doc}\n\nBit masks; the field holds the whole ${decl.base.name}, unknown bits included.`, `{ ${masks.join(", ")} } as const`);
  m.file.typeAlias(name, decl.doc, big ? "bigint" : "number");
}

function bitMask(width: number): bigint {
  return (1n << BigInt(width)) - 1n;
}

/** The bits of a word that must be zero: reserved sub-fields and bits no sub-field covers. */
function mustBeZero(decl: BitsDecl): bigint {
  let covered = 0n;
  let zero = 0n;
  for (const f of decl.fields) {
    const mask = bitMask(f.width) << BigInt(f.low);
    covered |= mask;
    if (f.reserved === "check") zero |= mask;
  }
  return zero | (bitMask(decl.base.size * 8) & ~covered);
}

/**
 * Emits a bit-field word: an interface of its sub-fields, `unpackX(raw, r)` and `packX(v, w)`. Words of
 * 64 bits are unpacked with bigint arithmetic; narrower ones with number arithmetic.
 */
export function emitBits(m: ModuleEmitter, decl: BitsDecl): void {
  const name = pascal(decl.name);
  const big = decl.base.size === 8;
  const visible = decl.fields.filter((f) => f.reserved === undefined);
  m.file.interface(
    name,
    decl.doc,
    visible.map((f) => ({
      name: camel(f.name),
      type: f.enumType !== undefined ? m.ref(f.enumType, pascal(f.enumType.name), true) : f.repr,
      doc: `${f.doc ?? ""}${f.doc ? " " : ""}(bits ${f.high}-${f.low})`,
    })),
  );
  const zero = mustBeZero(decl);
  const rawType = big ? "bigint" : "number";
  const unpack: string[] = [];
  if (zero !== 0n) {
    const test = big ? `(raw & ${literal(zero)}) !== 0n` : `(raw & ${literal(Number(zero))}) !== 0`;
    unpack.push(`if (${test}) r.fail(${str(`reserved bits of ${decl.name} are not zero`)}, r.pos - ${decl.base.size});`);
  }
  const props = visible.map((f) => {
    let expr: string;
    if (big) {
      const shifted = f.low === 0 ? "raw" : `(raw >> ${f.low}n)`;
      const masked = f.high === 63 ? shifted : `(${shifted} & ${literal(bitMask(f.width))})`;
      expr = f.repr === "number" ? `Number(${masked})` : masked;
    } else {
      const shifted = f.low === 0 ? "raw" : `(raw >>> ${f.low})`;
      expr = f.width === 32 ? `(${shifted} >>> 0)` : `(${shifted} & ${literal(Number(bitMask(f.width)))})`;
    }
    return `${camel(f.name)}: ${expr}`;
  });
  unpack.push(`return { ${props.join(", ")} };`);
  m.file.function({
    name: `unpack${name}`,
    doc: `Splits a ${decl.name} word into its fields.`,
    params: [
      { name: "raw", type: rawType },
      { name: "r", type: m.runtime("ByteReader", true) },
    ],
    returns: name,
    body: unpack,
  });
  const parts = visible.map((f) => {
    const value = `v.${camel(f.name)}`;
    return big
      ? `(w.bits64(${value}, ${f.width}) << ${f.low}n)`
      : `(w.bits32(${value}, ${f.width}) * ${literal(2 ** f.low)})`;
  });
  m.file.function({
    name: `pack${name}`,
    doc: `Joins ${decl.name} fields into one word; a value too wide for its bits is an EncodeError.`,
    params: [
      { name: "v", type: name },
      { name: "w", type: m.runtime("ByteWriter", true) },
    ],
    returns: rawType,
    // Number words add shifted parts (bit fields never overlap) to stay unsigned past bit 31.
    body: [`return ${parts.length === 0 ? (big ? "0n" : "0") : parts.join(big ? " | " : " + ")};`],
  });
}

/** The name of a module-level constant holding a byte-list magic. */
export function magicConstant(structName: string, fieldName: string): string {
  return `${constant(structName)}_${constant(fieldName)}`;
}
