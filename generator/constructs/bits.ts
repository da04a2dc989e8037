import type { BitField, BitsDecl } from "../model/model.js";
import type { ModuleEmitter } from "../emit/module-emitter.js";
import { camel, literal, pascal, str } from "../emit/names.js";
import { leArg, leArgThen, orderArgThen } from "../emit/scalars.js";
import type { Construct } from "./construct.js";

/** An integer split into bit fields, read and written through its generated `unpackXAt` / `packXAt`. */
export const bitsConstruct: Construct<BitsDecl> = {
  kind: "bits",
  takes: { endian: true },
  integerBase: (t) => t.base,
  elementSize: (t) => t.base.size,
  repeats: () => true,
  byteOrdered: (t) => t.base.size > 1,
  // A read fails only where bits must be zero (checked reserved sub-fields, bits no sub-field covers).
  fallible: (t) => mustBeZero(t) !== 0n,
  tsType: (m, _field, t) => m.ref(t, pascal(t.name), true),
  read: (m, field, t, named) =>
    `${m.ref(t, `unpack${pascal(t.name)}At`)}(r, r.take(${t.base.size}, ${named})${mustBeZero(t) === 0n ? leArg(field, t.base.size) : `${leArgThen(field, t.base.size)}, ${named}`})`,
  write: (m, field, t, value, named) => `${m.ref(t, `pack${pascal(t.name)}At`)}(w, w.reserve(${t.base.size}), ${value}${leArgThen(field, t.base.size)}, ${named});`,
  readAt: (m, field, t, at, r, named) =>
    `${m.ref(t, `unpack${pascal(t.name)}At`)}(${r}, ${at}${named === undefined ? leArg(field, t.base.size) : `${leArgThen(field, t.base.size)}, ${named}`})`,
  writeAt: (m, field, t, at, value, order, named) => `${m.ref(t, `pack${pascal(t.name)}At`)}(w, ${at}, ${value}${orderArgThen(field, t.base.size, order)}, ${named});`,
  schemaJson: (t) => t.name,
  uses: (t) => [t, ...t.fields.flatMap((f) => (f.enumType === undefined ? [] : [f.enumType]))],
  arbitrary(_field, t, gen) {
    const shape: Record<string, unknown> = {};
    for (const f of t.fields) {
      if (f.reserved !== undefined) continue;
      const max = (1n << BigInt(f.width)) - 1n;
      const any = f.repr === "number" ? gen.integer(0, Math.min(Number(max), Number.MAX_SAFE_INTEGER)) : gen.bigInt(0n, max);
      const named = f.enumType?.values.map((v) => (f.repr === "number" ? Number(v.value) : BigInt(v.value)));
      shape[camel(f.name)] = named === undefined ? any : gen.oneof([gen.constantFrom(named), any]);
    }
    return gen.record(shape as Record<string, never>);
  },
  docType: (_field, t, docs) => docs.times([docs.typeRef(t), ` (bits ${t.base.name})`]),
  docValues: (_field, t, docs, add) => add("bit fields of ", docs.typeRef(t)),
};

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
  const fail = `r.fail(${str(`reserved bits of ${decl.name} are not zero`)}, at, name, "reserved", index)`;
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
    doc: `Reads a ${decl.name} word at a claimed position and splits it into its fields${zero === 0n ? "" : "; bits that must be zero and are not are a DecodeError naming field `name` (element `index`)"}.`,
    params: [
      { name: "r", type: m.runtime("ByteReader", true) },
      { name: "at", type: "number" },
      ...(decl.base.size === 1 ? [] : [{ name: "le", type: "boolean = r.littleEndian" }]),
      // Only a word with bits that must be zero can fail, naming field `name` (element `index`).
      ...(zero === 0n ? [] : [{ name: "name?", type: "string" }, { name: "index?", type: "number" }]),
    ],
    returns: name,
    body: unpack,
  });

  // A null word would otherwise be a TypeError from its first sub-field, escaping a positional encoder.
  const pack: string[] = ["w.objectAt(v, at, name, index);"];
  const value = (f: BitField) => {
    const v = `v.${camel(f.name)}`;
    return f.repr === "bigint" ? `w.bits64(${v}, ${f.width}, at, name, index)` : `w.bits32(${v}, ${f.width}, at, name, index)`;
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
    doc: `Writes ${decl.name} fields as one word at a reserved position; a value too wide for its bits is an EncodeError naming field \`name\` (element \`index\`).`,
    params: [
      { name: "w", type: m.runtime("ByteWriter", true) },
      { name: "at", type: "number" },
      { name: "v", type: name },
      ...(decl.base.size === 1 ? [] : [{ name: "le", type: "boolean = w.littleEndian" }]),
      { name: "name?", type: "string" },
      { name: "index?", type: "number" },
    ],
    returns: "void",
    body: pack,
  });
}
