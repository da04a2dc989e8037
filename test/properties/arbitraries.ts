import fc from "fast-check";
import type { ArbitraryKit } from "../../generator/constructs/construct.js";
import { constructOf } from "../../generator/constructs/registry.js";
import type { Field, IntType, Model, SectionBody, StructDecl, ValidValues } from "../../generator/model/model.js";
import type { ImageInit, ImageSection } from "../../generated/index.js";
import { camel } from "../../generator/emit/names.js";
import { NUMERIC_ARRAYS } from "../../runtime/typed-arrays.js";

/**
 * fast-check arbitraries derived from the schema model, so every section is property-tested the day
 * it is added: no arbitrary here names a particular section or struct. What values a type takes is
 * its construct's (generator/constructs/); this file walks structs, counts and arrays.
 */

const utf8 = new TextEncoder();

function intArbitrary(t: IntType, asNumber: boolean): fc.Arbitrary<number | bigint> {
  const bits = t.size * 8;
  if (bits === 64) {
    if (asNumber) return t.signed ? fc.integer({ min: -Number.MAX_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }) : fc.maxSafeNat();
    return t.signed ? fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n }) : fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
  }
  return t.signed ? fc.integer({ min: -(2 ** (bits - 1)), max: 2 ** (bits - 1) - 1 }) : fc.integer({ min: 0, max: 2 ** bits - 1 });
}

/** Strings that fit `maxBytes` UTF-8 bytes and hold no NUL (the terminator of fixed strings). */
function stringArbitrary(maxBytes: number, ascii: boolean): fc.Arbitrary<string> {
  const chars = ascii ? fc.string({ unit: "binary-ascii", maxLength: maxBytes }) : fc.string({ unit: "grapheme", maxLength: maxBytes });
  return chars.map((s) => s.replace(/\0/g, "")).filter((s) => utf8.encode(s).length <= maxBytes);
}

const MAX_VARIABLE = 4;

/** The values a field's `valid:` allows, as the field holds them (a number, or a bigint for a u64). */
function validArbitrary(t: IntType, valid: ValidValues, asNumber: boolean): fc.Arbitrary<number | bigint> {
  const big = t.size === 8 && !asNumber;
  const out = (v: bigint) => (big ? v : Number(v));
  if (valid.values !== undefined) return fc.constantFrom(...valid.values.map(out));
  const [lo, hi] = [valid.min ?? (t.signed ? -(1n << BigInt(t.size * 8 - 1)) : 0n), valid.max ?? (t.signed ? (1n << BigInt(t.size * 8 - 1)) - 1n : (1n << BigInt(t.size * 8)) - 1n)];
  const step = valid.multipleOf ?? 1n;
  // Multiples of the step within the range: k × step for k from ⌈lo/step⌉ to ⌊hi/step⌋.
  const first = lo <= 0n ? -((-lo) / step) : (lo + step - 1n) / step;
  return fc.bigInt({ min: first, max: hi / step }).map((k) => out(k * step));
}

type Arb = fc.Arbitrary<unknown>;

/** The generators each construct's arbitrary (generator/constructs/) is written in, from fast-check. */
const kit: ArbitraryKit<Arb> = {
  integer: (min, max) => fc.integer({ min, max }),
  bigInt: (min, max) => fc.bigInt({ min, max }),
  float: (size) => (size === 4 ? fc.float() : fc.double()),
  constantFrom: (values) => fc.constantFrom(...values),
  oneof: (arbitraries) => fc.oneof(...arbitraries),
  record: (shape) => fc.record(shape),
  bytes: (minLength, maxLength) => fc.uint8Array({ minLength, maxLength }),
  text: stringArbitrary,
  map: (arbitrary, f) => arbitrary.map((v) => f(v as never)),
  filter: (arbitrary, f) => arbitrary.filter((v) => f(v as never)),
  struct: (decl) => structArbitrary(decl),
  integerOf: (base, asNumber, valid) => (valid === undefined ? intArbitrary(base, asNumber) : validArbitrary(base, valid, asNumber)),
};

/** One element of a field (the whole field when it is not an array), from its construct. */
function elementArbitrary(field: Field): Arb {
  return constructOf(field.type).arbitrary(field, field.type, kit);
}

function fieldArbitrary(field: Field): Arb {
  if (!field.isArray) return elementArbitrary(field);
  const count = field.count!;
  if (count.kind === "count_of") throw new Error("count_of arrays are built with their counted array");
  const array = count.kind === "fixed" ? fc.array(elementArbitrary(field), { minLength: count.value, maxLength: count.value }) : fc.array(elementArbitrary(field), { maxLength: MAX_VARIABLE });
  return field.typedArray ? array.map((values) => typedArrayOf(field, values)) : array;
}

/** `values` as the typed array a `repr: typed_array` field decodes to (int and float fields only). */
function typedArrayOf(field: Field, values: unknown[]): unknown {
  const t = field.type;
  if (t.kind !== "int" && t.kind !== "float") throw new Error(`typed_array on ${t.kind}`);
  const out = new NUMERIC_ARRAYS[t.name](values.length) as { [i: number]: unknown };
  values.forEach((v, i) => (out[i] = v));
  return out;
}

/** Values of a struct: every visible field; arrays counted by another array are sized to match. */
export function structArbitrary(struct: StructDecl): fc.Arbitrary<Record<string, unknown>> {
  const visible = struct.fields.filter((f) => !f.hidden);
  const dependent = visible.filter((f) => f.count?.kind === "count_of");
  const independent: Record<string, fc.Arbitrary<unknown>> = {};
  for (const f of visible) if (!dependent.includes(f)) independent[camel(f.name)] = fieldArbitrary(f);
  const base = fc.record(independent);
  if (dependent.length === 0) return base;
  return base.chain((value) => {
    const extra: Record<string, fc.Arbitrary<unknown>> = {};
    for (const f of dependent) {
      const count = f.count as Extract<NonNullable<Field["count"]>, { kind: "count_of" }>;
      const listed = new Set(count.values.map((v) => Number(v.value)));
      const array = value[camel(count.array.name)] as Record<string, unknown>[];
      // `in` counts the listed values, `not_in` every other one.
      const n = array.filter((x) => listed.has(Number(x[camel(count.bitField.name)])) !== count.negated).length;
      extra[camel(f.name)] = fc.array(elementArbitrary(f), { minLength: n, maxLength: n });
    }
    return fc.record(extra).map((more) => ({ ...value, ...more }));
  });
}

/** Values of a section body in one of its layouts. */
export function bodyArbitrary(body: SectionBody): fc.Arbitrary<unknown> {
  switch (body.kind) {
    case "empty":
      return fc.constant(null);
    case "struct":
      return structArbitrary(body.struct);
    case "entries":
      return fc.array(structArbitrary(body.struct), { maxLength: MAX_VARIABLE });
  }
}

/** The header fields a writer computes: an image to encode leaves them out. */
const MANAGED = new Set(["formatVersion", "headerSize", "sectionTableOffset", "sectionCount", "sectionEntrySize", "headerCrc"]);

/**
 * Whole images to encode: a header (either byte order, any architecture) and up to `maxSections`
 * sections of the types whose layout that header selects, bodies from the model.
 */
export function imageInitArbitrary(model: Model, maxSections = 6): fc.Arbitrary<ImageInit> {
  const headerArbitrary = structArbitrary(model.container.header).map((h) => {
    const header: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(h)) if (!MANAGED.has(k)) header[k] = v;
    return header;
  });
  /** Sections whose layout the header selects (or that have one layout). */
  function sectionsFor(header: Record<string, unknown>): fc.Arbitrary<ImageSection[]> {
    const choices = model.sections
      .filter((s) => s !== model.container.end)
      .flatMap((s) => {
        const variant = s.variants.find((v) => v.when.every((c) => c.values.some((x) => x.value === header[camel(c.field.name)])));
        return variant === undefined ? [] : [bodyArbitrary(variant.body).map((body) => ({ type: s.name, body }) as ImageSection)];
      });
    return fc.array(fc.oneof(...choices), { maxLength: maxSections });
  }
  return fc
    .tuple(headerArbitrary, fc.constantFrom(1, 2), fc.constantFrom(1, 2, 3, 4))
    .map(([h, byteOrder, arch]) => ({ ...h, byteOrder, arch }))
    .chain((header) => sectionsFor(header).map((sections) => ({ header, sections }) as unknown as ImageInit));
}
