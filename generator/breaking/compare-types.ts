import type { BitsDecl, Decl, EnumDecl, Field, FieldType, FlagsDecl, Source, StructDecl, SwitchType } from "../model/model.js";
import type { FindingSink } from "./findings.js";
import type { BreakingRuleId } from "./rules.js";
import { countShape, type DeclPairs, shapeOf, structShape } from "./shape.js";
import { describeValid, validDelta } from "./valid-sets.js";

// Declarations, structs and their fields: the part of a schema every section body is made of.

/** What every comparison step needs: where findings go, and which old declaration is which new one. */
export interface Comparison {
  readonly sink: FindingSink;
  readonly decls: DeclPairs;
}

/** Where something that exists in one version only is placed in the other: the file it was (or would be) in. */
export interface Places {
  inOld(module: string): Source;
  inNew(module: string): Source;
}

/** Compares two declarations that are the same one (same name, or renamed with the same shape). */
export function compareDecl(c: Comparison, o: Decl, n: Decl): void {
  const { sink } = c;
  if (o.name !== n.name) sink.add("type-renamed", `type ${o.name} is now ${n.name}`, o.source, n.source);
  if (o.module !== n.module) sink.add("type-moved", `type ${n.name} moved from ${o.module}.yaml to ${n.module}.yaml`, o.source, n.source);
  if (o.doc !== n.doc) sink.add("doc-changed", `type ${n.name}: doc changed`, o.source, n.source);
  if (o.kind !== n.kind) {
    sink.add("type-kind-changed", `type ${n.name} was ${article(o.kind)}, is now ${article(n.kind)}`, o.source, n.source);
    return;
  }
  if (o.kind === "struct") return compareStruct(c, o, n as StructDecl);
  const base = (n as EnumDecl | FlagsDecl | BitsDecl).base;
  if (o.base.name !== base.name) sink.add("type-base-changed", `type ${n.name} was over ${o.base.name}, is now over ${base.name}`, o.source, n.source);
  if (o.kind === "enum") compareEnum(c, o, n as EnumDecl);
  else if (o.kind === "flags") compareFlags(c, o, n as FlagsDecl);
  else compareBits(c, o, n as BitsDecl);
}

const article = (kind: string) => (kind === "enum" ? "an enum" : kind === "flags" ? "flags" : kind === "bits" ? "bit fields" : "a struct");

/**
 * Pairs members by name; an unpaired old member and an unpaired new one that `rename` accepts are the
 * same member renamed. Returns the pairs in old order and what stayed unpaired on each side.
 */
function pairMembers<T extends { readonly name: string }>(old: readonly T[], now: readonly T[], rename: (o: T, n: T) => boolean): { pairs: [T, T][]; removed: T[]; added: T[] } {
  const byName = new Map(now.map((n) => [n.name, n]));
  const taken = new Set<T>();
  const pairs: [T, T][] = [];
  const unpaired: T[] = [];
  for (const o of old) {
    const n = byName.get(o.name);
    if (n === undefined) unpaired.push(o);
    else {
      pairs.push([o, n]);
      taken.add(n);
    }
  }
  const removed: T[] = [];
  for (const o of unpaired) {
    const n = now.find((x) => !taken.has(x) && !old.some((y) => y.name === x.name) && rename(o, x));
    if (n === undefined) removed.push(o);
    else {
      pairs.push([o, n]);
      taken.add(n);
    }
  }
  return { pairs, removed, added: now.filter((n) => !taken.has(n)) };
}

function compareEnum(c: Comparison, o: EnumDecl, n: EnumDecl): void {
  const { sink } = c;
  if (!o.closed && n.closed) sink.add("enum-closed", `enum ${n.name} is now closed`, o.source, n.source);
  if (o.closed && !n.closed) sink.add("enum-opened", `enum ${n.name} is no longer closed`, o.source, n.source);
  const { pairs, removed, added } = pairMembers(o.values, n.values, (a, b) => a.value === b.value);
  for (const [a, b] of pairs) {
    if (a.name !== b.name) sink.add("enum-value-renamed", `${n.name}.${a.name} (${a.value}) is now ${n.name}.${b.name}`, a.source, b.source);
    else if (a.value !== b.value) sink.add("enum-value-renumbered", `${n.name}.${b.name} was ${a.value}, is now ${b.value}`, a.source, b.source);
    if (a.doc !== b.doc) sink.add("doc-changed", `${n.name}.${b.name}: doc changed`, a.source, b.source);
  }
  for (const a of removed) sink.add("enum-value-removed", `${n.name}.${a.name} (${a.value}) was removed`, a.source, n.source);
  for (const b of added) {
    if (n.closed && o.closed) sink.add("closed-enum-value-added", `closed enum ${n.name} gained ${b.name} (${b.value})`, o.source, b.source);
    else sink.add("enum-value-added", `${n.name} gained ${b.name} (${b.value})`, o.source, b.source);
  }
}

function compareFlags(c: Comparison, o: FlagsDecl, n: FlagsDecl): void {
  const { sink } = c;
  const { pairs, removed, added } = pairMembers(o.bits, n.bits, (a, b) => a.bit === b.bit);
  for (const [a, b] of pairs) {
    if (a.name !== b.name) sink.add("flag-renamed", `flag ${n.name}.${a.name} (bit ${a.bit}) is now ${b.name}`, a.source, b.source);
    else if (a.bit !== b.bit) sink.add("flag-moved", `flag ${n.name}.${b.name} was bit ${a.bit}, is now bit ${b.bit}`, a.source, b.source);
    if (a.doc !== b.doc) sink.add("doc-changed", `${n.name}.${b.name}: doc changed`, a.source, b.source);
  }
  for (const a of removed) sink.add("flag-removed", `flag ${n.name}.${a.name} (bit ${a.bit}) was removed`, a.source, n.source);
  for (const b of added) sink.add("flag-added", `flag ${n.name}.${b.name} (bit ${b.bit}) was added`, o.source, b.source);
}

function compareBits(c: Comparison, o: BitsDecl, n: BitsDecl): void {
  const { sink } = c;
  const { pairs, removed, added } = pairMembers(o.fields, n.fields, (a, b) => a.high === b.high && a.low === b.low);
  for (const [a, b] of pairs) {
    const label = `bit field ${n.name}.${b.name}`;
    if (a.name !== b.name) sink.add("bit-field-renamed", `bit field ${n.name}.${a.name} is now ${b.name}`, a.source, b.source);
    if (a.high !== b.high || a.low !== b.low) sink.add("bit-field-moved", `${label} was bits [${a.high}, ${a.low}], is now [${b.high}, ${b.low}]`, a.source, b.source);
    const enumChanged = (a.enumType === undefined) !== (b.enumType === undefined) || (a.enumType !== undefined && b.enumType !== undefined && !c.decls.same(a.enumType, b.enumType) && shapeOf(a.enumType) !== shapeOf(b.enumType));
    if (enumChanged) sink.add("bit-field-type-changed", `${label} was ${a.enumType?.name ?? "a plain number"}, is now ${b.enumType?.name ?? "a plain number"}`, a.source, b.source);
    compareReserved(c, a.reserved, b.reserved, label, a.source, b.source);
    if (a.repr !== b.repr) sink.add("repr-changed", `${label} was a ${a.repr}, is now a ${b.repr}`, a.source, b.source);
    if (a.doc !== b.doc) sink.add("doc-changed", `${label}: doc changed`, a.source, b.source);
  }
  // Bits no sub-field covers must be zero, as those of a reserved (checked) sub-field must: between the
  // two only reserved: ignore and named sub-fields change what a reader accepts.
  for (const a of removed) {
    const bitsOf = `bits [${a.high}, ${a.low}]`;
    if (a.reserved === "ignore") sink.add("reserved-tightened", `bit field ${n.name}.${a.name} (${bitsOf}, reserved: ignore) was removed: its bits must now be zero`, a.source, n.source);
    else if (a.reserved === undefined) sink.add("bit-field-removed", `bit field ${n.name}.${a.name} (${bitsOf}) was removed`, a.source, n.source);
  }
  for (const b of added) {
    const bitsOf = `bits [${b.high}, ${b.low}]`;
    if (b.reserved === "ignore") sink.add("reserved-loosened", `bit field ${n.name}.${b.name} (${bitsOf}) was added as reserved: ignore where the bits had to be zero`, o.source, b.source);
    else if (b.reserved === undefined) sink.add("bit-field-added", `bit field ${n.name}.${b.name} (${bitsOf}) was added`, o.source, b.source);
  }
}

/** reserved: undefined (a value), true (checked zero) or ignore, on a field or bit field that kept its name. */
function compareReserved(c: Comparison, a: "check" | "ignore" | undefined, b: "check" | "ignore" | undefined, label: string, oldAt: Source, newAt: Source): void {
  if (a === b) return;
  const rule: BreakingRuleId =
    a === undefined ? (b === "check" ? "field-made-reserved" : "field-hidden") : b === undefined ? (a === "check" ? "reserved-field-used" : "ignored-field-used") : b === "check" ? "reserved-tightened" : "reserved-loosened";
  const words = (r: typeof a) => (r === undefined ? "a value" : r === "check" ? "reserved" : "reserved: ignore");
  c.sink.add(rule, `${label} was ${words(a)}, is now ${words(b)}`, oldAt, newAt);
}

const isPadding = (f: Field) => f.type.kind === "pad" || f.type.kind === "align";

/**
 * Where each field sits: its offset when fixed, else the byte distance from the end of the last
 * variable-size field before it (named by its old name, so places compare across versions).
 */
function places(s: StructDecl, oldName: (f: Field) => string): Map<Field, string> {
  const out = new Map<Field, string>();
  let anchor = "";
  let delta = 0;
  for (const f of s.fields) {
    out.set(f, f.offset !== undefined ? String(f.offset) : `${anchor}+${delta}`);
    if (f.size === undefined) {
      anchor = `after ${oldName(f)}`;
      delta = 0;
    } else delta += f.size;
  }
  return out;
}

const describePlace = (p: string) => (/^\d+$/.test(p) ? `offset ${p}` : p.replace(/^after (.*)\+(\d+)$/, "$2 bytes after $1").replace(/^\+(\d+)$/, "offset $1"));

/** Compares two structs that are the same one: a declaration's two versions, or a section body's. */
export function compareStruct(c: Comparison, o: StructDecl, n: StructDecl, label = n.name): void {
  const { sink } = c;
  if (o.size !== n.size) sink.add("struct-size-changed", `${label} was ${o.size === undefined ? "variable-size" : `${o.size} bytes`}, is now ${n.size === undefined ? "variable-size" : `${n.size} bytes`}`, o.source, n.source);
  const oldNamed = o.fields.filter((f) => !isPadding(f));
  const newNamed = n.fields.filter((f) => !isPadding(f));
  // A renamed field stays where it was: the same offset, or (in a variable struct) the same index.
  const { pairs, removed, added } = pairMembers(oldNamed, newNamed, (a, b) =>
    (a.offset !== undefined && b.offset !== undefined ? a.offset === b.offset : oldNamed.indexOf(a) === newNamed.indexOf(b)) && a.size === b.size && fieldTypeChanges(c, a.type, b.type).every((x) => x.rule !== "field-type-changed"),
  );
  const toOld = new Map(pairs.map(([a, b]) => [b, a.name]));
  const oldPlaces = places(o, (f) => f.name);
  // Padding has no name of its own (its generated name counts fields): an anchor there keeps its name.
  const newPlaces = places(n, (f) => toOld.get(f) ?? (isPadding(f) ? f.name : `new ${f.name}`));
  const moved = pairs.filter(([a, b]) => oldPlaces.get(a) !== newPlaces.get(b));
  if (moved.length > 0) {
    const [a, b] = moved[0]!;
    const more = moved.length > 1 ? ` (and ${moved.length - 1} more field${moved.length > 2 ? "s" : ""})` : "";
    sink.add("field-offset-changed", `${label}.${b.name} moved from ${describePlace(oldPlaces.get(a)!)} to ${describePlace(newPlaces.get(b)!)}${more}`, a.source, b.source);
  }
  for (const [a, b] of pairs) compareField(c, a, b, label);
  for (const a of removed) sink.add("field-removed", `${label}.${a.name} (at ${describePlace(oldPlaces.get(a)!)}) was removed`, a.source, n.source);
  for (const b of added) sink.add("field-added", `${label}.${b.name} was added at ${describePlace(newPlaces.get(b)!)}`, o.source, b.source);
  comparePadding(c, o, n, oldPlaces, newPlaces, label);
}

/** Padding and alignment have no names: they pair by place, and any change is a layout change. */
function comparePadding(c: Comparison, o: StructDecl, n: StructDecl, oldPlaces: Map<Field, string>, newPlaces: Map<Field, string>, label: string): void {
  const describe = (f: Field) => (f.type.kind === "pad" ? `${f.type.size} bytes of padding` : f.type.kind === "align" ? `alignment to ${f.type.alignment}` : "");
  const newPads = new Map(n.fields.filter(isPadding).map((f) => [newPlaces.get(f)!, f]));
  const seen = new Set<Field>();
  for (const a of o.fields.filter(isPadding)) {
    const b = newPads.get(oldPlaces.get(a)!);
    if (b !== undefined) seen.add(b);
    if (b !== undefined && describe(a) === describe(b)) continue;
    report(a, b, n, `${label}: ${describe(a)} at ${describePlace(oldPlaces.get(a)!)} ${b === undefined ? "is gone" : `is now ${describe(b)}`}`);
  }
  for (const b of n.fields.filter(isPadding)) {
    if (!seen.has(b)) report(undefined, b, o, `${label}: ${describe(b)} added at ${describePlace(newPlaces.get(b)!)}`);
  }
  function report(a: Field | undefined, b: Field | undefined, other: StructDecl, message: string): void {
    c.sink.add("padding-changed", message, a?.source ?? other.source, b?.source ?? other.source);
  }
}

/** Compares a field with the same field in the new version (the same name, or renamed in place). */
function compareField(c: Comparison, a: Field, b: Field, owner: string): void {
  const { sink } = c;
  const label = `${owner}.${b.name}`;
  const add = (rule: BreakingRuleId, message: string) => sink.add(rule, message, a.source, b.source);
  const reservedUsed = a.name !== b.name && a.reserved !== undefined && b.reserved === undefined && !b.hidden;
  if (a.name !== b.name && !reservedUsed) add(a.hidden && b.hidden ? "hidden-field-renamed" : "field-renamed", `${owner}.${a.name} is now ${label}`);
  if (reservedUsed) add(a.reserved === "check" ? "reserved-field-used" : "ignored-field-used", `${owner}.${a.name} (${a.reserved === "check" ? "reserved" : "reserved: ignore"}) is now ${label}, a value`);
  else compareReserved(c, a.reserved, b.reserved, label, a.source, b.source);
  for (const change of fieldTypeChanges(c, a.type, b.type)) sink.add(change.rule, `${label}: ${change.message}`, change.old ?? a.source, change.new ?? b.source);
  const oldCount = a.count === undefined ? "one" : countShape(a.count);
  const newCount = b.count === undefined ? "one" : countShape(b.count);
  if (oldCount !== newCount && !countFieldRenamed(a, b)) add("field-count-changed", `${label}: count was ${oldCount}, is now ${newCount}`);
  if (a.endian !== b.endian) add("field-endian-changed", `${label}: byte order was ${a.endian}, is now ${b.endian}`);
  if (String(a.constValue) !== String(b.constValue)) add("field-const-changed", `${label}: constant was ${a.constValue === undefined ? "none" : String(a.constValue)}, is now ${b.constValue === undefined ? "none" : String(b.constValue)}`);
  if (a.type.kind === "int" && b.type.kind === "int") {
    const { tightened, loosened } = validDelta(a.valid, b.valid, b.type);
    const words = `valid: was ${describeValid(a.valid)}, is now ${describeValid(b.valid)}`;
    if (tightened) add("valid-tightened", `${label}: ${words}`);
    if (loosened) add("valid-loosened", `${label}: ${words}`);
  }
  if (a.repr !== b.repr) add(b.repr === "number" ? "repr-number" : "repr-changed", `${label}: was a ${a.repr}, is now a ${b.repr}`);
  if (a.typedArray !== b.typedArray) add("repr-changed", `${label}: ${b.typedArray ? "now decodes to a typed array" : "no longer decodes to a typed array"}`);
  if (a.computed !== b.computed) add(b.computed ? "field-hidden" : "field-shown", `${label}: ${b.computed ? "is now filled in by the encoder (a count, selector or size another field reads)" : "is no longer computed: code that builds values sets it"}`);
  if (a.doc !== b.doc || a.units !== b.units || exampleText(a.example) !== exampleText(b.example)) add("doc-changed", `${label}: doc changed`);
}

/** An `example:` as text (bigints included), to compare. */
const exampleText = (x: unknown) => JSON.stringify(x, (_, v: unknown) => (typeof v === "bigint" ? `${v}n` : v));

/** A count that reads a field which was only renamed is the same count. */
function countFieldRenamed(a: Field, b: Field): boolean {
  const ac = a.count;
  const bc = b.count;
  if (ac?.kind === "field" && bc?.kind === "field") return ac.field.offset === bc.field.offset && ac.field.size === bc.field.size && ac.field.type.kind === bc.field.type.kind;
  return false;
}

interface TypeChange {
  readonly rule: BreakingRuleId;
  readonly message: string;
  readonly old?: Source;
  readonly new?: Source;
}

const declOf = (t: FieldType): Decl | undefined => (t.kind === "enum" || t.kind === "flags" || t.kind === "bits" || t.kind === "struct" ? t : undefined);
const intOf = (t: FieldType) => (t.kind === "int" ? t : t.kind === "enum" || t.kind === "flags" ? t.base : undefined);
const wordOf = (t: FieldType) => (t.kind === "bits" ? t.base : intOf(t));

/** Whether bit-fields read every value of their word: each bit in a sub-field that is neither checked reserved nor a closed enum. */
function acceptsEveryValue(bits: BitsDecl): boolean {
  let covered = 0n;
  for (const f of bits.fields) {
    if (f.reserved === "check" || f.enumType?.closed === true) return false;
    covered |= ((1n << BigInt(f.width)) - 1n) << BigInt(f.low);
  }
  return covered === (1n << BigInt(bits.base.size * 8)) - 1n;
}

const typeName = (t: FieldType): string =>
  t.kind === "int" || t.kind === "float" ? t.name : t.kind === "enum" || t.kind === "flags" || t.kind === "bits" || t.kind === "struct" ? `${t.kind} ${t.name}` : t.kind === "string" ? `string (${t.encoding})` : t.kind;

/** What changed between two field types: nothing, a new name for the same layout, or a wire change. */
function fieldTypeChanges(c: Comparison, a: FieldType, b: FieldType): TypeChange[] {
  const changed = (message = `type was ${typeName(a)}, is now ${typeName(b)}`): TypeChange[] => [{ rule: "field-type-changed", message }];
  const renamed: TypeChange[] = [{ rule: "field-type-renamed", message: `type was ${typeName(a)}, is now ${typeName(b)} (the same layout)` }];
  // A word (integer, open enum or flags) split into bit-fields, or bit-fields joined into one, reads the same
  // bytes: a wire change only when the bit-fields reject a value the word takes.
  const aWord = wordOf(a);
  const bWord = wordOf(b);
  if (aWord !== undefined && bWord !== undefined && (a.kind === "bits") !== (b.kind === "bits")) {
    if (aWord.name !== bWord.name) return changed();
    if ((a.kind === "enum" && a.closed) || (b.kind === "enum" && b.closed)) return changed(`type was ${typeName(a)}, is now ${typeName(b)} (a closed enum accepts only its values)`);
    const bits = (a.kind === "bits" ? a : b) as BitsDecl;
    if (!acceptsEveryValue(bits)) return changed(`type was ${typeName(a)}, is now ${typeName(b)} (bits ${bits.name} does not accept every ${aWord.name})`);
    return [{ rule: "field-bits-reshaped", message: `type was ${typeName(a)}, is now ${typeName(b)} (the same ${aWord.name}, every value still valid)` }];
  }
  const aDecl = declOf(a);
  const bDecl = declOf(b);
  if (aDecl !== undefined && bDecl !== undefined) {
    if (c.decls.same(aDecl, bDecl)) return [];
    if (a.kind !== b.kind) return changed();
    return shapeOf(aDecl) === shapeOf(bDecl) ? renamed : changed();
  }
  // An integer and an open enum or flags over the same integer read the same bytes the same way.
  const ai = intOf(a);
  const bi = intOf(b);
  if (ai !== undefined && bi !== undefined) {
    if (ai.name !== bi.name) return changed();
    if (a.kind === b.kind) return [];
    if ((a.kind === "enum" && a.closed) || (b.kind === "enum" && b.closed)) return changed(`type was ${typeName(a)}, is now ${typeName(b)} (a closed enum accepts only its values)`);
    return renamed;
  }
  if (a.kind !== b.kind) return changed();
  switch (a.kind) {
    case "float":
      return a.name === (b as typeof a).name ? [] : changed();
    case "bytes":
      return a.elementSize === (b as typeof a).elementSize ? [] : changed(`element size was ${a.elementSize ?? 1}, is now ${(b as typeof a).elementSize ?? 1}`);
    case "string":
      return a.encoding === (b as typeof a).encoding ? [] : [{ rule: "field-encoding-changed", message: `encoding was ${a.encoding}, is now ${(b as typeof a).encoding}` }];
    case "switch":
      return switchChanges(c, a, b as SwitchType);
    default:
      return [];
  }
}

function switchChanges(c: Comparison, a: SwitchType, b: SwitchType): TypeChange[] {
  const out: TypeChange[] = [];
  // The selector and size fields are compared by name: a renamed one is reported where it is declared.
  if (a.selector.name !== b.selector.name && a.selector.offset !== b.selector.offset) out.push({ rule: "switch-selector-changed", message: `selector was ${a.selector.name}, is now ${b.selector.name}` });
  if ((a.size === undefined) !== (b.size === undefined) || (a.size !== undefined && b.size !== undefined && a.size.name !== b.size.name && a.size.offset !== b.size.offset)) {
    out.push({ rule: "switch-size-changed", message: `size field was ${a.size?.name ?? "none"}, is now ${b.size?.name ?? "none"}` });
  }
  if (a.fallback !== b.fallback) out.push({ rule: "switch-fallback-changed", message: `an unknown selector ${a.fallback === "bytes" ? "kept its bytes" : "was an error"}, now ${b.fallback === "bytes" ? "keeps its bytes" : "is an error"}` });
  const newCases = new Map(b.cases.map((x) => [x.value, x]));
  for (const oc of a.cases) {
    const nc = newCases.get(oc.value);
    newCases.delete(oc.value);
    if (nc === undefined) {
      out.push({ rule: "switch-case-removed", message: `case ${oc.name} (${oc.value}) was removed`, old: oc.source });
      continue;
    }
    const os = oc.struct;
    const ns = nc.struct;
    if (os === undefined || ns === undefined) {
      if (os !== ns) out.push({ rule: "switch-case-changed", message: `case ${nc.name} (${nc.value}) was ${os?.name ?? "empty"}, is now ${ns?.name ?? "empty"}`, old: oc.source, new: nc.source });
      continue;
    }
    if (c.decls.same(os, ns)) continue;
    const declared = c.decls.isDeclared(os, "old") && c.decls.isDeclared(ns, "new");
    if (structShape(os) === structShape(ns)) {
      if (declared && os.name !== ns.name) out.push({ rule: "field-type-renamed", message: `case ${nc.name} was ${os.name}, is now ${ns.name} (the same layout)`, old: oc.source, new: nc.source });
    } else out.push({ rule: "switch-case-changed", message: `case ${nc.name} (${nc.value}) was ${os.name}, is now ${ns.name}, of another layout`, old: oc.source, new: nc.source });
  }
  for (const nc of newCases.values()) {
    out.push({ rule: a.size !== undefined && a.fallback === "bytes" ? "switch-case-added" : "switch-case-added-closed", message: `case ${nc.name} (${nc.value}) was added`, new: nc.source });
  }
  return out;
}
