import type { Condition, Model, SectionBody, SectionDecl, SectionVariant, StructDecl } from "../model/model.js";
import { compareStruct, type Comparison, type Places } from "./compare-types.js";
import { structShape } from "./shape.js";

// Sections: ids, the optional bit, alignment, and the body of each layout (variant).

/** Which old section is which new one: the same name, or the same id with the same layout (a rename). */
export function pairSections(old: Model, now: Model): Map<SectionDecl, SectionDecl> {
  const pairs = new Map<SectionDecl, SectionDecl>();
  const byName = new Map(now.sections.map((s) => [s.name, s]));
  for (const o of old.sections) {
    const n = byName.get(o.name);
    if (n !== undefined) pairs.set(o, n);
  }
  const taken = new Set(pairs.values());
  for (const o of old.sections) {
    if (pairs.has(o)) continue;
    const n = now.sections.find((x) => x.id === o.id && !taken.has(x) && !old.sections.some((y) => y.name === x.name));
    if (n !== undefined && bodiesShape(o) === bodiesShape(n)) {
      pairs.set(o, n);
      taken.add(n);
    }
  }
  return pairs;
}

function bodyShape(b: SectionBody): string {
  return b.kind === "empty" ? "empty" : `${b.kind} ${structShape(b.struct)}`;
}

function bodiesShape(s: SectionDecl): string {
  return s.variants.map((v) => `${conditionKey(v.when)} ${bodyShape(v.body)}`).join("|");
}

/** A `when:` as a key: header fields and the numbers of their values, sorted. */
export function conditionKey(when: readonly Condition[]): string {
  return when
    .map((c) => `${c.field.name}=${c.values.map((v) => String(v.value)).sort().join(",")}`)
    .sort()
    .join(" ");
}

/** True when some header could satisfy both conditions. */
function overlaps(a: readonly Condition[], b: readonly Condition[]): boolean {
  return a.every((ca) => {
    const cb = b.find((x) => x.field.name === ca.field.name);
    return cb === undefined || ca.values.some((v) => cb.values.some((w) => w.value === v.value));
  });
}

const hex = (id: number) => `0x${id.toString(16)}`;

/** Compares every section of the old model with its new version; reports those removed and added. */
export function compareSections(c: Comparison, old: Model, now: Model, pairs: ReadonlyMap<SectionDecl, SectionDecl>, place: Places): void {
  const { sink } = c;
  const paired = new Set(pairs.values());
  for (const o of old.sections) {
    const n = pairs.get(o);
    if (n === undefined) {
      const reuser = now.sections.find((x) => x.id === o.id && !paired.has(x));
      if (reuser !== undefined) {
        sink.add("section-id-reused", `section id ${hex(o.id)} was ${o.name}, is now ${reuser.name}, of another layout`, o.source, reuser.source);
        paired.add(reuser);
      } else if (o.optional) sink.add("optional-section-removed", `optional section ${o.name} (${hex(o.id)}) was removed`, o.source, place.inNew(o.module));
      else sink.add("section-removed", `mandatory section ${o.name} (${hex(o.id)}) was removed`, o.source, place.inNew(o.module));
      continue;
    }
    compareSection(c, o, n);
  }
  for (const n of now.sections) {
    if (paired.has(n)) continue;
    const where = place.inOld(n.module);
    if (n.optional) sink.add("optional-section-added", `optional section ${n.name} (${hex(n.id)}) was added`, where, n.source);
    else sink.add("mandatory-section-added", `mandatory section ${n.name} (${hex(n.id)}) was added`, where, n.source);
  }
}

function compareSection(c: Comparison, o: SectionDecl, n: SectionDecl): void {
  const { sink } = c;
  const add = (rule: Parameters<typeof sink.add>[0], message: string) => sink.add(rule, message, o.source, n.source);
  if (o.name !== n.name) add("section-renamed", `section ${o.name} (${hex(o.id)}) is now ${n.name}`);
  if (o.id !== n.id) add("section-id-changed", `section ${n.name} was id ${hex(o.id)}, is now ${hex(n.id)}`);
  if (o.module !== n.module) add("section-moved", `section ${n.name} moved from ${o.module}.yaml to ${n.module}.yaml`);
  if (o.optional && !n.optional) add("section-made-mandatory", `section ${n.name} is now mandatory`);
  if (!o.optional && n.optional) add("section-made-optional", `section ${n.name} is now optional`);
  if (o.align !== n.align) add("section-align-changed", `section ${n.name}: body alignment was ${o.align}, is now ${n.align}`);
  if (o.since !== n.since) add("section-since-changed", `section ${n.name}: since was ${o.since}, is now ${n.since}`);
  if (o.doc !== n.doc) add("doc-changed", `section ${n.name}: doc changed`);
  compareVariants(c, o, n);
}

/** Variants pair by their exact `when`; an old one whose values another new one overlaps changed its condition. */
function compareVariants(c: Comparison, o: SectionDecl, n: SectionDecl): void {
  const { sink } = c;
  const byKey = new Map(n.variants.map((v) => [conditionKey(v.when), v]));
  const taken = new Set<SectionVariant>();
  const pairs: [SectionVariant, SectionVariant][] = [];
  const unpaired: SectionVariant[] = [];
  for (const ov of o.variants) {
    const nv = byKey.get(conditionKey(ov.when));
    if (nv === undefined) unpaired.push(ov);
    else {
      pairs.push([ov, nv]);
      taken.add(nv);
    }
  }
  for (const ov of unpaired) {
    const nv = n.variants.find((x) => !taken.has(x) && overlaps(ov.when, x.when));
    if (nv === undefined) {
      sink.add("variant-removed", `section ${n.name}: the layout for ${describeWhen(ov.when)} was removed`, ov.source, n.source);
      continue;
    }
    sink.add("variant-when-changed", `section ${n.name}: the layout for ${describeWhen(ov.when)} is now chosen for ${describeWhen(nv.when)}`, ov.source, nv.source);
    pairs.push([ov, nv]);
    taken.add(nv);
  }
  for (const nv of n.variants) {
    if (taken.has(nv)) continue;
    const clash = o.variants.some((ov) => overlaps(ov.when, nv.when));
    if (clash) sink.add("variant-when-changed", `section ${n.name}: a new layout for ${describeWhen(nv.when)} takes over images an earlier layout read`, o.source, nv.source);
    else sink.add("variant-added", `section ${n.name}: a layout for ${describeWhen(nv.when)} was added`, o.source, nv.source);
  }
  for (const [ov, nv] of pairs) {
    if (ov.doc !== nv.doc) sink.add("doc-changed", `section ${n.name} (${describeWhen(nv.when)}): doc changed`, ov.source, nv.source);
    compareBody(c, n.name, ov, nv);
  }
}

/** The element an array body repeats, as bytes: a one-field struct is its field. */
function elementKey(s: StructDecl): string {
  const only = s.fields.length === 1 ? s.fields[0]! : undefined;
  if (only !== undefined && only.count === undefined && (only.type.kind === "int" || only.type.kind === "float")) return `${only.type.name} ${only.endian}`;
  return structShape(s);
}

/**
 * An array of entries and a struct whose one field is an array counted by the table's entries (the
 * table's entry size is then the element's size) are the same bytes when their elements are.
 */
function sameEntries(a: SectionBody, b: SectionBody): boolean {
  const arrayOf = (x: SectionBody): string | undefined => {
    if (x.kind === "entries") return elementKey(x.struct);
    if (x.kind !== "struct" || x.struct.fields.length !== 1) return undefined;
    const f = x.struct.fields[0]!;
    if (f.count?.kind !== "entries") return undefined;
    if (f.type.kind === "int" || f.type.kind === "float") return `${f.type.name} ${f.endian}`;
    return f.type.kind === "struct" ? elementKey(f.type) : undefined;
  };
  const ka = arrayOf(a);
  return a.kind !== b.kind && ka !== undefined && ka === arrayOf(b);
}

export const describeWhen = (when: readonly Condition[]) => (when.length === 0 ? "every image" : when.map((x) => `${x.field.name} ${x.values.map((v) => v.name).join("/")}`).join(", "));

function compareBody(c: Comparison, section: string, ov: SectionVariant, nv: SectionVariant): void {
  const a = ov.body;
  const b = nv.body;
  const what = (x: SectionBody) => (x.kind === "empty" ? "empty" : x.kind === "entries" ? `an array of ${x.struct.name} (${x.entrySize} bytes each)` : `the fields of ${x.struct.name}`);
  if (sameEntries(a, b)) {
    c.sink.add("section-body-reshaped", `section ${section}: body was ${what(a)}, is now ${what(b)}, the same bytes`, ov.source, nv.source);
    return;
  }
  if (a.kind !== b.kind || (a.kind === "entries" && b.kind === "entries" && a.entrySize !== b.entrySize)) {
    c.sink.add("section-body-changed", `section ${section}: body was ${what(a)}, is now ${what(b)}`, ov.source, nv.source);
    if (a.kind !== b.kind) return;
  }
  if (a.kind === "empty" || b.kind === "empty") return;
  // A declared struct is compared once, as a declaration; inline fields (or a switch to another type) here.
  if (c.decls.same(a.struct, b.struct)) return;
  // A declared type on either side names the body's generated type: another name is a source change.
  const declaredOld = c.decls.isDeclared(a.struct, "old");
  const declaredNew = c.decls.isDeclared(b.struct, "new");
  if (structShape(a.struct) === structShape(b.struct)) {
    if ((declaredOld || declaredNew) && a.struct.name !== b.struct.name) {
      const words = (x: StructDecl, declared: boolean) => (declared ? x.name : `the fields of ${section}`);
      c.sink.add("field-type-renamed", `section ${section}: body was ${words(a.struct, declaredOld)}, is now ${words(b.struct, declaredNew)} (the same layout)`, ov.source, nv.source);
    }
    return;
  }
  compareStruct(c, a.struct, b.struct, declaredOld ? `${section} (was ${a.struct.name})` : section);
}
