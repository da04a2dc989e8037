import type { ByteReader } from "../byte-reader.js";
import { utf8Length, type ByteWriter } from "../byte-writer.js";
import { DecodeError, EncodeError } from "../errors.js";
import { decodeEntries, encodeEntries, expectEntrySize, NOT_AN_ARRAY, type EntryShape, type SectionContext } from "../section-codec.js";
import type { NumericArrayType } from "../typed-arrays.js";
import { readUuidAt, writeUuidAt } from "../uuid.js";
import type { BitsType, Count, Field, FieldType, IntType, Section, SectionBody, StructType, SwitchType } from "./schema.js";
import { matches } from "./schema.js";

/**
 * The reflective codec: decodes and encodes any struct or section body of a {@link Schema} by walking
 * its fields, with no generated code. It gives the values the generated codecs give (the same shapes:
 * camelCase properties, bigints, typed arrays, tagged unions) and writes the same bytes, and it fails
 * with the same typed errors naming the field; the differential property test holds the two to that.
 * It is the slow path (an interpreter): tools, docs and tests use it, hot paths use generated code.
 * A decode can also record a {@link WalkNode} tree: every field with its offset, size and value.
 */

/** One field as a walk found it: where it is, how long, its value, and the fields inside it. */
export interface WalkNode {
  /** The field (undefined for an element of an array, or a whole body). */
  readonly field: Field | undefined;
  /** The field's schema name, or `[i]` for an array element. */
  readonly name: string;
  /** Absolute offset (the reader's base included). */
  readonly offset: number;
  readonly size: number;
  /** The decoded value (for hidden fields too: counts, selectors, constants). */
  readonly value: unknown;
  /** The struct a struct-valued node holds (a field, an element, a switch's case). */
  readonly struct?: StructType;
  /** For a switch: the case chosen (undefined for an unknown selector). */
  readonly caseName?: string;
  /** Fields of a struct, elements of an array, the case of a switch. */
  readonly children?: readonly WalkNode[];
}

type Values = Map<string, unknown>;
type Trace = WalkNode[] | undefined;

function elementSize(field: Field): number | undefined {
  const t = field.type;
  const base = intBase(t);
  if (base !== undefined) return base.size;
  if (t.kind === "float") return t.size;
  if (t.kind === "struct") return t.size;
  if (t.kind === "bytes") return t.elementSize ?? 1;
  if (t.kind === "string") return 1;
  if (t.kind === "uuid") return 16;
  return undefined;
}

/** The integer type under an integer-like field type. */
export function intBase(t: FieldType): IntType | undefined {
  if (t.kind === "int") return t;
  if (t.kind === "enum" || t.kind === "flags" || t.kind === "bits") return t.base;
  return undefined;
}

/** True when a count makes the field an array of elements (not one byte run or string). */
export function isArray(field: Field): boolean {
  return field.count !== undefined && !(field.type.kind === "bytes" && field.type.elementSize === undefined) && field.type.kind !== "string";
}

function littleFor(field: Field, littleEndian: boolean): boolean {
  return field.endian === "context" ? littleEndian : field.endian === "little";
}

function pathOf(field: Field, index: number): string {
  return index < 0 ? field.name : `${field.name}[${index}]`;
}

// ---- decoding ----

function readInt(r: ByteReader, field: Field, base: IntType): number | bigint {
  return readIntAt(r, r.take(base.size), field, base);
}

function readIntAt(r: ByteReader, at: number, field: Field, base: IntType): number | bigint {
  const le = littleFor(field, r.littleEndian);
  switch (base.name) {
    case "u8":
      return r.u8At(at);
    case "i8":
      return r.i8At(at);
    case "u16":
      return r.u16At(at, le);
    case "i16":
      return r.i16At(at, le);
    case "u32":
      return r.u32At(at, le);
    case "i32":
      return r.i32At(at, le);
    case "u64":
      return field.repr === "number" ? r.u64nAt(at, le) : r.u64At(at, le);
    case "i64":
      return field.repr === "number" ? r.i64nAt(at, le) : r.i64At(at, le);
  }
}

function readWord(r: ByteReader, at: number, base: IntType, le: boolean): bigint {
  switch (base.size) {
    case 1:
      return BigInt(r.u8At(at));
    case 2:
      return BigInt(r.u16At(at, le));
    case 4:
      return BigInt(r.u32At(at, le));
    case 8:
      return r.u64At(at, le);
  }
}

/** The bits of a word that must be zero: reserved sub-fields and bits no sub-field covers. */
function mustBeZero(t: BitsType): bigint {
  let covered = 0n;
  let zero = 0n;
  for (const f of t.fields) {
    const mask = ((1n << BigInt(f.width)) - 1n) << BigInt(f.low);
    covered |= mask;
    if (f.reserved === "check") zero |= mask;
  }
  return zero | (((1n << BigInt(t.base.size * 8)) - 1n) & ~covered);
}

function unpackBits(r: ByteReader, t: BitsType, field: Field): Record<string, number | bigint> {
  const at = r.take(t.base.size);
  const word = readWord(r, at, t.base, littleFor(field, r.littleEndian));
  if ((word & mustBeZero(t)) !== 0n) r.fail(`reserved bits of ${t.name} are not zero`, at, undefined, "reserved");
  const out: Record<string, number | bigint> = {};
  for (const f of t.fields) {
    if (f.reserved !== undefined) continue;
    const v = (word >> BigInt(f.low)) & ((1n << BigInt(f.width)) - 1n);
    out[f.property] = f.repr === "bigint" ? v : Number(v);
  }
  return out;
}

function readElement(r: ByteReader, field: Field, trace: Trace): unknown {
  const t = field.type;
  switch (t.kind) {
    case "int":
    case "enum":
    case "flags":
      return readInt(r, field, intBase(t)!);
    case "bits":
      return unpackBits(r, t, field);
    case "float": {
      const at = r.take(t.size);
      const le = littleFor(field, r.littleEndian);
      return t.size === 4 ? r.f32At(at, le) : r.f64At(at, le);
    }
    case "struct":
      return decodeFields(r, t, undefined, trace);
    case "bytes":
      return r.bytesView(t.elementSize ?? 1);
    case "uuid":
      return readUuidAt(r, r.take(16));
    default:
      throw new DecodeError("internal", `no element reader for ${t.kind}`, { offset: r.offset });
  }
}

function countValue(r: ByteReader, field: Field, count: Count, values: Values, ctx: SectionContext<unknown> | undefined, elementBytes: number): number {
  switch (count.kind) {
    case "fixed":
      return count.value;
    case "field":
      return r.count(values.get(count.field.name) as number | bigint, elementBytes);
    case "entries":
      if (ctx === undefined) throw new DecodeError("invalid", `${field.name} counts the section's entries: decode it as a section body`, { offset: r.offset });
      return r.count(ctx.entryCount, elementBytes);
    case "rest":
      return r.remaining;
    case "count_of":
      return countOf(count, values.get(count.array.name) as readonly Record<string, unknown>[]);
  }
}

/** How many elements of `array` a `count_of` counts: those whose bit field is one of its values (`in`), or none of them (`not_in`). */
function countOf(count: Extract<Count, { kind: "count_of" }>, array: readonly Record<string, unknown>[]): number {
  const listed = count.values.map((v) => Number(v.value));
  return array.filter((x) => listed.includes(Number(x[count.bitField.property])) !== count.negated).length;
}

/** Whether a single integer or enum value is one its field allows (`valid:`, closed enums); always for other fields. */
function allowedValue(field: Field, v: unknown): boolean {
  const t = field.type;
  if (t.kind === "enum" && t.closed && field.count === undefined) return t.values.some((x) => BigInt(x.value) === BigInt(v as number | bigint));
  const valid = field.valid;
  if (valid === undefined) return true;
  const n = BigInt(v as number | bigint);
  return (
    (valid.min === undefined || n >= valid.min) &&
    (valid.max === undefined || n <= valid.max) &&
    (valid.values === undefined || valid.values.includes(n)) &&
    (valid.multipleOf === undefined || n % valid.multipleOf === 0n)
  );
}

/** The values a field allows, in words, as the generated checks say them. */
function describeAllowed(field: Field): string {
  const t = field.type;
  if (t.kind === "enum") return `one of ${t.values.map((x) => `${x.value} (${x.name})`).join(", ")}`;
  const { min, max, values, multipleOf } = field.valid ?? {};
  const parts: string[] = [];
  if (values !== undefined) parts.push(values.length === 1 ? `exactly ${values[0]}` : `one of ${values.join(", ")}`);
  if (min !== undefined && max !== undefined) parts.push(`${min} to ${max}`);
  else if (min !== undefined) parts.push(`at least ${min}`);
  else if (max !== undefined) parts.push(`at most ${max}`);
  if (multipleOf !== undefined) parts.push(`a multiple of ${multipleOf}`);
  return parts.join(", ");
}

function hasValueRule(field: Field): boolean {
  const t = field.type;
  return field.valid !== undefined || (t.kind === "enum" && t.closed && field.count === undefined);
}

function decodeSwitch(r: ByteReader, sw: SwitchType, values: Values, trace: Trace): unknown {
  const selector = values.get(sw.selector.name) as number | bigint;
  const reader = sw.size === undefined ? r : r.sub(r.count(values.get(sw.size.name) as number | bigint, 1));
  const unknown = () => ({ type: "unknown", selector, bytes: reader.rest() });
  const chosen = sw.cases.find((c) => c.value === selector);
  let value: unknown;
  if (chosen === undefined) {
    value = sw.fallback === "bytes" ? unknown() : reader.fail(`unknown ${sw.selector.name} ${selector}`, reader.pos - intBase(sw.selector.type)!.size, undefined, "field-value");
  } else {
    const expected = chosen.struct === undefined ? 0 : chosen.struct.size;
    if (sw.size !== undefined && sw.fallback === "bytes" && expected !== undefined && reader.remaining !== expected) value = unknown();
    else if (chosen.struct === undefined) value = { type: chosen.name };
    else {
      const inner: Trace = trace === undefined ? undefined : [];
      const start = reader.offset;
      value = { type: chosen.name, value: decodeFields(reader, chosen.struct, undefined, inner) };
      trace?.push({ field: undefined, name: chosen.name, offset: start, size: reader.offset - start, value, struct: chosen.struct, children: inner! });
    }
  }
  if (sw.size !== undefined) reader.expectEnd();
  return value;
}

function decodeField(r: ByteReader, field: Field, values: Values, ctx: SectionContext<unknown> | undefined, start: number, trace: Trace): unknown {
  const t = field.type;
  const check = field.reserved !== "ignore";
  if (t.kind === "pad") return r.zeros(t.size, check);
  if (t.kind === "align") return r.alignTo(t.alignment, start, check);
  if (t.kind === "switch") return decodeSwitch(r, t, values, trace);
  if (field.constValue !== undefined) {
    if (Array.isArray(field.constValue)) return r.expectBytes(Uint8Array.from(field.constValue as number[]));
    const base = intBase(t)!;
    const v = readInt(r, field, base);
    r.expect(v, field.constValue as number | bigint, base.size);
    return v;
  }
  if (field.reserved !== undefined && field.size !== undefined) {
    const at = r.pos;
    r.zeros(field.size, check);
    // Not part of the value; a walk shows what the bytes hold.
    const base = intBase(t);
    return base === undefined || field.count !== undefined ? r.bytes.subarray(at, r.pos) : readIntAt(r, at, { ...field, repr: "bigint" }, base);
  }
  const count = field.count;
  if (t.kind === "string") {
    const ascii = t.encoding === "ascii";
    // A text to the end of the body has no terminator: a NUL is no part of it.
    if (count?.kind === "rest") return r.text(r.remaining, ascii);
    const n = count === undefined ? 1 : countValue(r, field, count, values, ctx, 1);
    return r.string(n, ascii);
  }
  if (t.kind === "bytes" && t.elementSize === undefined) {
    if (count?.kind === "rest") return r.rest();
    return r.bytesView(countValue(r, field, count!, values, ctx, 1));
  }
  if (count === undefined) {
    const value = readElement(r, field, trace);
    if (hasValueRule(field) && !allowedValue(field, value)) {
      r.fail(`${field.name} ${String(value)} is not allowed: it must be ${describeAllowed(field)}`, r.pos - intBase(t)!.size, field.name, "field-value");
    }
    return value;
  }
  const size = elementSize(field);
  if (field.typedArray) {
    const type = (t as { name: NumericArrayType }).name;
    const le = littleFor(field, r.littleEndian);
    if (count.kind === "rest") {
      if (r.remaining % size! !== 0) r.fail(`${r.remaining} bytes left, not a multiple of ${size}`, r.pos, undefined, "length");
      return r.typedArray(type, r.remaining / size!, le);
    }
    return r.typedArray(type, countValue(r, field, count, values, ctx, size!), le);
  }
  const out: unknown[] = [];
  const element = (index: number) => {
    const at = r.offset;
    const inner: Trace = trace === undefined ? undefined : [];
    try {
      out.push(readElement(r, field, inner));
    } catch (e) {
      throw r.rethrow(e, `[${index}]`);
    }
    trace?.push({ field: undefined, name: `[${index}]`, offset: at, size: r.offset - at, value: out[index], ...(t.kind === "struct" ? { struct: t, children: inner! } : {}) });
  };
  if (count.kind === "rest") {
    if (size !== undefined && r.remaining % size !== 0) r.fail(`${r.remaining} bytes left, not a multiple of ${size}`, r.pos, undefined, "length");
    for (let i = 0; r.remaining > 0; i++) element(i);
    return out;
  }
  const n = countValue(r, field, count, values, ctx, size ?? 1);
  for (let i = 0; i < n; i++) element(i);
  return out;
}

/** True when a struct is fixed-size with no tagged union: generated code claims it whole, then reads it. */
function isFixed(struct: StructType): boolean {
  return struct.size !== undefined && !struct.fields.some((f) => f.type.kind === "switch");
}

function decodeFields(r: ByteReader, struct: StructType, ctx: SectionContext<unknown> | undefined, trace: Trace): Record<string, unknown> {
  // A fixed-size struct fails as a whole when truncated, as the generated decoder does.
  if (isFixed(struct)) r.ensure(struct.size!);
  const start = r.pos;
  const values: Values = new Map();
  const out: Record<string, unknown> = {};
  for (const field of struct.fields) {
    const at = r.offset;
    const inner: Trace = trace === undefined ? undefined : [];
    let value: unknown;
    try {
      value = decodeField(r, field, values, ctx, start, inner);
    } catch (e) {
      throw r.rethrow(e, field.name);
    }
    values.set(field.name, value);
    if (!field.hidden) out[field.property] = value;
    if (trace !== undefined) {
      const t = field.type;
      const node: WalkNode = { field, name: field.name, offset: at, size: r.offset - at, value, ...(t.kind === "struct" ? { struct: t } : {}), ...(inner!.length > 0 ? { children: inner! } : {}) };
      trace.push(t.kind === "switch" ? { ...node, caseName: (value as { type: string }).type } : node);
    }
  }
  return out;
}

/** Decodes one struct at the reader's position, as the generated `decodeX` does. */
export function decodeStruct(struct: StructType, r: ByteReader, ctx?: SectionContext<unknown>): Record<string, unknown> {
  return decodeFields(r, struct, ctx, undefined);
}

/** Decodes one struct and records every field's offset, size and value. */
export function walkStruct(struct: StructType, r: ByteReader, ctx?: SectionContext<unknown>): { value: Record<string, unknown>; nodes: WalkNode[] } {
  const nodes: WalkNode[] = [];
  return { value: decodeFields(r, struct, ctx, nodes), nodes };
}

/** The field of a struct body whose count is the table's entry count, if any. */
function entriesField(body: SectionBody): Field | undefined {
  return body.kind === "struct" ? body.struct.fields.find((f) => f.count?.kind === "entries") : undefined;
}

/** The entry size a body whose array counts entries reports: one element's size. */
function entriesElementSize(field: Field): number | undefined {
  const t = field.type;
  if (t.kind === "struct") return t.size;
  if (t.kind === "int" || t.kind === "float") return t.size;
  if (t.kind === "enum" || t.kind === "flags" || t.kind === "bits") return t.base.size;
  return undefined;
}

function describeContext(section: Section, header: object): string {
  const h = header as Record<string, unknown>;
  const fields = [...new Set(section.variants.flatMap((v) => v.when.map((c) => c.field)))];
  return `no layout of ${section.name} for ${fields.map((f) => `${f.name} ${String(h[f.property])}`).join(", ")}`;
}

/** The layout a header selects, or a failure naming the header fields that select. */
/**
 * Whether the section is an array section for this header, as the generated `isArray` says: its table
 * entry's count and size describe the body. A header no layout fits gives true, as there.
 */
export function isArraySection(section: Section, header: object): boolean {
  const v = section.variants.find((x) => matches(x.when, header));
  return v === undefined || v.body.kind === "entries" || entriesField(v.body) !== undefined;
}

/** The entry size an array section's layout for this header fixes, as the generated `arrayEntrySize` says. */
export function arrayEntrySize(section: Section, header: object): number | undefined {
  const v = section.variants.find((x) => matches(x.when, header));
  if (v === undefined) return undefined;
  if (v.body.kind === "entries") return v.body.entrySize;
  const counted = entriesField(v.body);
  return counted === undefined ? undefined : entriesElementSize(counted);
}

function variantOf(section: Section, header: object, fail: (reason: string) => never): SectionBody {
  const v = section.variants.find((x) => matches(x.when, header));
  return v === undefined ? fail(describeContext(section, header)) : v.body;
}

function decodeBodyWith(section: Section, r: ByteReader, ctx: SectionContext<unknown>, trace: Trace): unknown {
  const body = variantOf(section, ctx.header as object, (reason) => r.fail(reason, r.pos, undefined, "no-variant"));
  switch (body.kind) {
    case "empty":
      return null;
    case "struct": {
      const counted = entriesField(body);
      const size = counted === undefined ? undefined : entriesElementSize(counted);
      if (size !== undefined) expectEntrySize(r, ctx, size);
      return decodeFields(r, body.struct, ctx, trace);
    }
    case "entries":
      return decodeEntries(r, ctx, body.entrySize, (rr) => {
        const at = rr.offset;
        const inner: Trace = trace === undefined ? undefined : [];
        const value = decodeFields(rr, body.struct, undefined, inner);
        trace?.push({ field: undefined, name: `[${trace.length}]`, offset: at, size: rr.offset - at, value, struct: body.struct, children: inner! });
        return value;
      });
  }
}

/** Decodes a section body in the layout the header selects, as the generated section codec does. */
export function decodeSectionBody(section: Section, r: ByteReader, ctx: SectionContext<unknown>): unknown {
  return decodeBodyWith(section, r, ctx, undefined);
}

/** Decodes a section body and records every field (for an array section, every entry) with its offset, size and value. */
export function walkSectionBody(section: Section, r: ByteReader, ctx: SectionContext<unknown>): { value: unknown; nodes: WalkNode[] } {
  const nodes: WalkNode[] = [];
  return { value: decodeBodyWith(section, r, ctx, nodes), nodes };
}

// ---- encoding ----

function writeInt(w: ByteWriter, field: Field, base: IntType, v: unknown): void {
  const le = littleFor(field, w.littleEndian);
  const n = v as number;
  const b = v as bigint;
  switch (base.name) {
    case "u8":
      return w.u8(n);
    case "i8":
      return w.i8(n);
    case "u16":
      return w.u16(n, le);
    case "i16":
      return w.i16(n, le);
    case "u32":
      return w.u32(n, le);
    case "i32":
      return w.i32(n, le);
    case "u64":
      return field.repr === "number" ? w.u64n(n, le) : w.u64(b, le);
    case "i64":
      return field.repr === "number" ? w.i64n(n, le) : w.i64(b, le);
  }
}

function packBits(w: ByteWriter, t: BitsType, field: Field, v: Record<string, unknown>): void {
  const at = w.reserve(t.base.size);
  let word = 0n;
  for (const f of t.fields) {
    if (f.reserved !== undefined) continue;
    const x = v[f.property];
    const part = f.repr === "bigint" ? w.bits64(x as number | bigint, f.width, at) : BigInt(w.bits32(x as number, f.width, at));
    word |= part << BigInt(f.low);
  }
  const le = littleFor(field, w.littleEndian);
  if (t.base.size === 8) w.u64At(at, word, le);
  else if (t.base.size === 4) w.u32At(at, Number(word), le);
  else if (t.base.size === 2) w.u16At(at, Number(word), le);
  else w.u8At(at, Number(word));
}

function writeElement(w: ByteWriter, field: Field, v: unknown): void {
  const t = field.type;
  switch (t.kind) {
    case "int":
    case "enum":
    case "flags":
      return writeInt(w, field, intBase(t)!, v);
    case "bits":
      return packBits(w, t, field, v as Record<string, unknown>);
    case "float":
      return t.size === 4 ? w.f32(v as number, littleFor(field, w.littleEndian)) : w.f64(v as number, littleFor(field, w.littleEndian));
    case "struct":
      return encodeFields(w, t, v as Record<string, unknown>);
    case "bytes":
      return w.bytes(v as Uint8Array, t.elementSize ?? 1);
    case "uuid":
      return writeUuidAt(w, w.reserve(16), v as string);
    default:
      throw new EncodeError("internal", `no element writer for ${t.kind}`, { offset: w.pos });
  }
}

/** The switch (if any) whose selector or size `field` is. */
function switchUsing(struct: StructType, field: Field): Field | undefined {
  return struct.fields.find((f) => f.type.kind === "switch" && (f.type.selector === field || f.type.size === field));
}

interface SwitchState {
  sizeAt: Map<Field, number>;
}

function patch(w: ByteWriter, field: Field, at: number, length: number): void {
  const base = intBase(field.type)!;
  const le = field.endian === "little" ? true : field.endian === "big" ? false : undefined;
  switch (base.size) {
    case 1:
      return w.patchU8(at, length);
    case 2:
      return w.patchU16(at, length, le);
    case 4:
      return w.patchU32(at, length, le);
    case 8:
      return w.patchU64(at, BigInt(length), le);
  }
}

function encodeField(w: ByteWriter, struct: StructType, field: Field, v: Record<string, unknown>, start: number, state: SwitchState): void {
  const t = field.type;
  const value = v[field.property];
  if (t.kind === "pad") return w.zeros(t.size);
  if (t.kind === "align") return w.alignTo(t.alignment, start);
  if (field.constValue !== undefined) {
    if (Array.isArray(field.constValue)) return w.bytes(Uint8Array.from(field.constValue as number[]));
    return writeInt(w, field, intBase(t)!, field.constValue);
  }
  if (field.reserved !== undefined && field.size !== undefined) return w.zeros(field.size);
  if (t.kind === "switch") {
    const chosen = value as { type?: unknown; value?: unknown; bytes?: Uint8Array } | undefined;
    const begin = w.pos;
    const c = t.cases.find((x) => x.name === chosen?.type);
    if (c !== undefined) {
      if (c.struct !== undefined) encodeFields(w, c.struct, chosen!.value as Record<string, unknown>);
    } else if (t.fallback === "bytes" && chosen?.type === "unknown") w.bytes(chosen.bytes as Uint8Array);
    else w.fail(`unknown case "${String(chosen?.type)}"`);
    if (t.size !== undefined) patch(w, t.size, state.sizeAt.get(t.size)!, w.pos - begin);
    return;
  }
  const owner = field.computed ? switchUsing(struct, field) : undefined;
  if (owner !== undefined) {
    const sw = owner.type as SwitchType;
    const chosen = v[owner.property] as { type?: unknown; selector?: unknown } | undefined;
    if (field === sw.selector) {
      const selector = sw.fallback === "bytes" && chosen?.type === "unknown" ? chosen.selector : sw.cases.find((c) => c.name === chosen?.type)?.value;
      if (selector === undefined) w.fail(`unknown case "${String(chosen?.type)}"`);
      return writeInt(w, field, intBase(t)!, selector);
    }
    state.sizeAt.set(field, w.pos);
    return writeInt(w, field, intBase(t)!, field.repr === "bigint" ? 0n : 0);
  }
  if (field.computed) {
    const users = struct.fields.filter((f) => f.count?.kind === "field" && f.count.field === field);
    const lengths = users.map((u) => {
      const x = v[u.property];
      return u.type.kind === "string" ? utf8Length(x as string) : (x as { length: number }).length;
    });
    for (let i = 1; i < lengths.length; i++) {
      if (lengths[i] !== lengths[0]) w.fail(`${users[i]!.name} and ${users[0]!.name} share the count ${field.name} but differ in length`);
    }
    return writeInt(w, field, intBase(t)!, lengths[0]);
  }
  const count = field.count;
  if (t.kind === "string") return w.string(value as string, count?.kind === "fixed" ? count.value : undefined, t.encoding === "ascii");
  if (t.kind === "bytes" && t.elementSize === undefined) return w.bytes(value as Uint8Array, count?.kind === "fixed" ? count.value : undefined);
  if (count === undefined) {
    const at = w.pos;
    writeElement(w, field, value);
    if (hasValueRule(field) && !allowedValue(field, value)) w.fail(`${field.name} ${String(value)} is not allowed: it must be ${describeAllowed(field)}`, at);
    return;
  }
  if (field.typedArray) {
    const type = (t as { name: NumericArrayType }).name;
    return w.typedArray(type, value as never, count.kind === "fixed" ? count.value : undefined, littleFor(field, w.littleEndian));
  }
  if (!Array.isArray(value)) return w.fail("an array is expected");
  if (count.kind === "fixed" && value.length !== count.value) w.fail(`${value.length} elements given, exactly ${count.value} expected`);
  if (count.kind === "count_of") {
    const n = countOf(count, v[count.array.property] as readonly Record<string, unknown>[]);
    if (value.length !== n) w.fail(`${value.length} elements given, ${count.array.name} calls for ${n}`);
  }
  for (let i = 0; i < value.length; i++) {
    try {
      writeElement(w, field, value[i]);
    } catch (e) {
      throw w.rethrow(e, `[${i}]`);
    }
  }
}

function encodeFields(w: ByteWriter, struct: StructType, v: Record<string, unknown>): void {
  if (v === null || typeof v !== "object") w.fail(`an object is expected for ${struct.name}`);
  const start = w.pos;
  const state: SwitchState = { sizeAt: new Map() };
  for (const field of struct.fields) {
    try {
      encodeField(w, struct, field, v, start, state);
    } catch (e) {
      throw w.rethrow(e, field.name);
    }
  }
}

/** Encodes one struct at the writer's position, as the generated `encodeX` does. */
export function encodeStruct(struct: StructType, w: ByteWriter, value: object): void {
  encodeFields(w, struct, value as Record<string, unknown>);
}

/** Encodes a section body in the layout the header selects; returns the table's entry count and size. */
export function encodeSectionBody(section: Section, w: ByteWriter, body: unknown, header: object): EntryShape {
  const layout = variantOf(section, header, (reason) => w.fail(reason));
  switch (layout.kind) {
    case "empty":
      return NOT_AN_ARRAY;
    case "struct": {
      encodeFields(w, layout.struct, body as Record<string, unknown>);
      const counted = entriesField(layout);
      if (counted === undefined) return NOT_AN_ARRAY;
      return { entryCount: BigInt((body as Record<string, { length: number }>)[counted.property]!.length), entrySize: entriesElementSize(counted) ?? 0 };
    }
    case "entries":
      return encodeEntries(w, body as readonly Record<string, unknown>[], layout.entrySize, (ww, v) => encodeFields(ww, layout.struct, v));
  }
}
