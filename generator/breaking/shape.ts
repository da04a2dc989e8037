import type { Count, Decl, Field, FieldType, Model, StructDecl } from "../model/model.js";

// Shapes: a declaration written out as a string of everything the wire and the generated API depend
// on except its own name and its docs. Two declarations of equal shape differ only in name, which is
// how a rename is told from a removal plus an addition.

const memo = new WeakMap<Decl, string>();

/** The shape of a declaration (its layout and member names, not its name or docs). */
export function shapeOf(decl: Decl): string {
  const known = memo.get(decl);
  if (known !== undefined) return known;
  let shape: string;
  switch (decl.kind) {
    case "enum":
      shape = `enum ${decl.base.name}${decl.closed ? " closed" : ""} {${decl.values.map((v) => `${v.name}=${v.value}`).join(",")}}`;
      break;
    case "flags":
      shape = `flags ${decl.base.name} {${decl.bits.map((b) => `${b.name}=${b.bit}`).join(",")}}`;
      break;
    case "bits":
      shape = `bits ${decl.base.name} {${decl.fields.map((f) => `${f.name}[${f.high}:${f.low}]${f.enumType === undefined ? "" : `(${shapeOf(f.enumType)})`}${f.reserved ?? ""}${f.repr}`).join(",")}}`;
      break;
    case "struct":
      shape = structShape(decl);
      break;
  }
  memo.set(decl, shape);
  return shape;
}

/** A struct's shape; also for the inline structs of section bodies, which are not declarations. */
export function structShape(s: StructDecl): string {
  return `struct ${s.size ?? "var"} {${s.fields.map(fieldShape).join(";")}}`;
}

function fieldShape(f: Field): string {
  const valid = f.valid === undefined ? "" : ` valid(${f.valid.min ?? ""}..${f.valid.max ?? ""}|${f.valid.values?.join(",") ?? ""}|${f.valid.multipleOf ?? ""})`;
  const constValue = f.constValue === undefined ? "" : ` =${String(f.constValue)}`;
  return `${f.name}:${typeShape(f.type)}${f.count === undefined ? "" : `[${countShape(f.count)}]`} ${f.endian}${constValue}${f.reserved === undefined ? "" : ` reserved:${f.reserved}`}${valid} ${f.repr}${f.typedArray ? " typed" : ""}`;
}

/** How many elements a count says, with the fields it reads by name. */
export function countShape(c: Count): string {
  switch (c.kind) {
    case "fixed":
      return String(c.value);
    case "field":
      return `field ${c.field.name}`;
    case "entries":
    case "rest":
      return c.kind;
    case "count_of":
      return `count_of ${c.array.name} ${c.bitField.name} ${c.negated ? "not_in" : "in"} ${c.values.map((v) => v.value).join(",")}`;
  }
}

function typeShape(t: FieldType): string {
  switch (t.kind) {
    case "int":
    case "float":
      return t.name;
    case "enum":
    case "flags":
    case "bits":
    case "struct":
      return `(${shapeOf(t)})`;
    case "bytes":
      return `bytes${t.elementSize ?? ""}`;
    case "string":
      return `string ${t.encoding}`;
    case "pad":
      return `pad ${t.size}`;
    case "align":
      return `align ${t.alignment}`;
    case "switch":
      return `switch ${t.selector.name} ${t.size?.name ?? ""} ${t.fallback} {${t.cases.map((c) => `${c.value}:${c.struct === undefined ? "empty" : structShape(c.struct)}`).join(",")}}`;
  }
}

/** Every named declaration of a model, by name. */
export function declsByName(model: Model): Map<string, Decl> {
  return new Map(model.modules.flatMap((m) => m.decls.map((d) => [d.name, d] as const)));
}

/**
 * Which old declaration is which new one: the same name, or else (a rename) the same kind and shape.
 * A declaration without a partner was removed (old) or added (new).
 */
export class DeclPairs {
  private readonly forward = new Map<Decl, Decl>();
  private readonly backward = new Map<Decl, Decl>();
  readonly renamed = new Set<Decl>();

  constructor(
    readonly old: ReadonlyMap<string, Decl>,
    readonly now: ReadonlyMap<string, Decl>,
  ) {
    for (const [name, o] of old) {
      const n = now.get(name);
      if (n !== undefined) this.pair(o, n);
    }
    const unpairedNew = [...now.values()].filter((n) => !this.backward.has(n));
    for (const o of old.values()) {
      if (this.forward.has(o)) continue;
      const n = unpairedNew.find((x) => !this.backward.has(x) && x.kind === o.kind && shapeOf(x) === shapeOf(o));
      if (n === undefined) continue;
      this.pair(o, n);
      this.renamed.add(o);
    }
  }

  private pair(o: Decl, n: Decl): void {
    this.forward.set(o, n);
    this.backward.set(n, o);
  }

  /** The new declaration an old one became, if any. */
  newOf(o: Decl): Decl | undefined {
    return this.forward.get(o);
  }

  /** The old declaration a new one was, if any. */
  oldOf(n: Decl): Decl | undefined {
    return this.backward.get(n);
  }

  /** True when `o` (old) and `n` (new) are the same declaration, compared on their own. */
  same(o: Decl, n: Decl): boolean {
    return this.forward.get(o) === n;
  }

  /** True when a struct is a named declaration (not a section's inline fields). */
  isDeclared(s: StructDecl, side: "old" | "new"): boolean {
    return (side === "old" ? this.old : this.now).get(s.name) === s;
  }
}
