import type { BitField, BitsDecl, EnumDecl, Field, FieldType, FlagsDecl, FloatType, IntType } from "../model/model.js";
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
  m.file.constant(`${name}Names`, `The schema name of each ${decl.name} value.`, `/* @__PURE__ */ new Map<${valueType}, string>([${names.join(", ")}])`, `ReadonlyMap<${valueType}, string>`);
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

/** The optional byte-order argument of a positional read or write: pinned fields pass it. */
export function leArg(field: { endian: string }, size: number): string {
  if (size === 1) return "";
  return field.endian === "little" ? ", true" : field.endian === "big" ? ", false" : "";
}

/**
 * Emits a bit-field word: an interface of its sub-fields, `unpackXAt(r, at)` and `packXAt(w, at, v)`.
 * A 64-bit word is handled as two 32-bit halves with number arithmetic (BigInt only for sub-fields
 * that are bigints), which keeps page-frame words cheap.
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
  const unpack: string[] = [];
  const fail = `r.fail(${str(`reserved bits of ${decl.name} are not zero`)}, at, undefined, "reserved")`;
  const leParam = decl.base.size === 1 ? "" : ", le";
  if (big) {
    unpack.push("const lo = r.lo32At(at, le);", "const hi = r.hi32At(at, le);");
    const zl = Number(zero & 0xffff_ffffn);
    const zh = Number(zero >> 32n);
    const tests = [zl !== 0 ? `(lo & ${literal(zl)}) !== 0` : undefined, zh !== 0 ? `(hi & ${literal(zh)}) !== 0` : undefined].filter((t) => t !== undefined);
    if (tests.length > 0) unpack.push(`if (${tests.join(" || ")}) ${fail};`);
  } else {
    unpack.push(`const raw = r.${decl.base.name}At(at${leParam});`);
    if (zero !== 0n) unpack.push(`if ((raw & ${literal(Number(zero))}) !== 0) ${fail};`);
  }
  const props = visible.map((f) => {
    const part = (word: string, low: number, width: number) =>
      width === 32 ? `(${word} >>> 0)` : low === 0 ? `(${word} & ${literal(2 ** width - 1)})` : `((${word} >>> ${low}) & ${literal(2 ** width - 1)})`;
    let expr: string;
    if (!big) expr = part("raw", f.low, f.width);
    else if (f.high < 32) expr = part("lo", f.low, f.width);
    else if (f.low >= 32) expr = part("hi", f.low - 32, f.width);
    else {
      const loBits = 32 - f.low;
      const loPart = f.low === 0 ? "lo" : `(lo >>> ${f.low})`;
      const hiPart = part("hi", 0, f.high - 31);
      expr = f.repr === "bigint" ? `((BigInt(${hiPart}) << ${loBits}n) | BigInt(${loPart}))` : `(${hiPart} * ${literal(2 ** loBits)} + ${loPart})`;
      return `${camel(f.name)}: ${expr}`;
    }
    return `${camel(f.name)}: ${f.repr === "bigint" ? `BigInt(${expr})` : expr}`;
  });
  unpack.push(`return { ${props.join(", ")} };`);
  m.file.function({
    name: `unpack${name}At`,
    doc: `Reads a ${decl.name} word at a claimed position and splits it into its fields.`,
    params: [
      { name: "r", type: m.runtime("ByteReader", true) },
      { name: "at", type: "number" },
      ...(decl.base.size === 1 ? [] : [{ name: "le", type: "boolean = r.littleEndian" }]),
    ],
    returns: name,
    body: unpack,
  });

  const pack: string[] = [];
  const value = (f: BitField) => {
    const v = `v.${camel(f.name)}`;
    return f.repr === "bigint" ? `w.bits64(${v}, ${f.width}, at)` : `w.bits32(${v}, ${f.width}, at)`;
  };
  if (big) {
    pack.push("let lo = 0;", "let hi = 0;");
    for (const f of visible) {
      const x = value(f);
      const num = f.repr === "bigint" ? `Number(${x})` : x;
      if (f.high < 32) pack.push(`lo += ${num} * ${literal(2 ** f.low)};`);
      else if (f.low >= 32) pack.push(`hi += ${num} * ${literal(2 ** (f.low - 32))};`);
      else {
        const loBits = 32 - f.low;
        const local = `${camel(f.name)}Value`;
        pack.push(`const ${local} = ${x};`);
        if (f.repr === "bigint") {
          pack.push(`lo += Number(${local} & ${literal(BigInt(2 ** loBits - 1))}) * ${literal(2 ** f.low)};`, `hi += Number(${local} >> ${loBits}n);`);
        } else {
          pack.push(`lo += (${local} % ${literal(2 ** loBits)}) * ${literal(2 ** f.low)};`, `hi += Math.floor(${local} / ${literal(2 ** loBits)});`);
        }
      }
    }
    pack.push("w.halvesAt(at, lo, hi, le);");
  } else {
    // Sub-fields never overlap, so adding shifted parts builds the word and stays unsigned past bit 31.
    const parts = visible.map((f) => `${f.repr === "bigint" ? `Number(${value(f)})` : value(f)} * ${literal(2 ** f.low)}`);
    pack.push(`w.${decl.base.name}At(at, ${parts.length === 0 ? "0" : parts.join(" + ")}${leParam});`);
  }
  m.file.function({
    name: `pack${name}At`,
    doc: `Writes ${decl.name} fields as one word at a reserved position; a value too wide for its bits is an EncodeError.`,
    params: [
      { name: "w", type: m.runtime("ByteWriter", true) },
      { name: "at", type: "number" },
      { name: "v", type: name },
      ...(decl.base.size === 1 ? [] : [{ name: "le", type: "boolean = w.littleEndian" }]),
    ],
    returns: "void",
    body: pack,
  });
}

/** The name of a module-level constant holding a byte-list magic. */
export function magicConstant(structName: string, fieldName: string): string {
  return `${constant(structName)}_${constant(fieldName)}`;
}
