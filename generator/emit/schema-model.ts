import type { SchemaJson } from "xenimage/reflect";
import { constructOf } from "../constructs/registry.js";
import { compact } from "./compact.js";
import type { BitsDecl, Count, Decl, EnumDecl, Field, FlagsDecl, LibraryModel, Model, SectionBody, SectionDecl } from "../model/model.js";

/**
 * The embedded schema model: the typed model serialized as compact, deterministic JSON (the format of
 * `SchemaJson` in the runtime), like protobuf-es's embedded descriptors. Generated code carries it in
 * `schema.ts`; the runtime's reflection (`xenimage/reflect`) resolves it, and the docs walk their
 * sample image with exactly this, never with the generated codecs.
 */

type Json = Record<string, unknown>;

function int(v: number | bigint): number | string {
  return typeof v === "bigint" ? `${v}n` : v;
}

function count(c: Count | undefined): unknown {
  if (c === undefined) return undefined;
  switch (c.kind) {
    case "fixed":
      return c.value;
    case "entries":
    case "rest":
      return c.kind;
    case "field":
      return { field: c.field.name };
    case "count_of":
      return compact([
        ["countOf", c.array.name],
        ["bitField", c.bitField.name],
        ["values", c.values.map((v) => v.name)],
        ["negated", c.negated ? true : undefined],
      ]);
  }
}

function field(f: Field): Json {
  const c = f.constValue;
  return compact([
    ["name", f.name],
    ["doc", f.doc],
    ["units", f.units],
    ["example", f.example],
    ["type", constructOf(f.type).schemaJson(f.type)],
    ["count", count(f.count)],
    ["endian", f.endian === "context" ? undefined : f.endian],
    ["const", c === undefined ? undefined : Array.isArray(c) ? c : int(c as number | bigint)],
    ["reserved", f.reserved],
    [
      "valid",
      f.valid === undefined
        ? undefined
        : compact([
            ["min", f.valid.min === undefined ? undefined : int(f.valid.min)],
            ["max", f.valid.max === undefined ? undefined : int(f.valid.max)],
            ["values", f.valid.values?.map((v) => int(v))],
            ["multipleOf", f.valid.multipleOf === undefined ? undefined : int(f.valid.multipleOf)],
          ]),
    ],
    ["repr", f.repr === "number" ? "number" : undefined],
    ["typedArray", f.typedArray],
    ["offset", f.offset],
    ["size", f.size],
    ["computed", f.computed],
    ["hidden", f.hidden],
  ]);
}

function decl(d: Decl): Json {
  const base = [
    ["kind", d.kind],
    ["name", d.name],
    ["module", d.module],
    ["doc", d.doc],
  ] as const;
  switch (d.kind) {
    case "struct":
      return compact([...base, ["size", d.size], ["fields", d.fields.map(field)]]);
    case "enum":
      return compact([
        ...base,
        ["base", d.base.name],
        ["values", (d as EnumDecl).values.map((v) => compact([["name", v.name], ["value", int(v.value)], ["doc", v.doc]]))],
        ["closed", (d as EnumDecl).closed ? true : undefined],
      ]);
    case "flags":
      return compact([...base, ["base", d.base.name], ["bits", (d as FlagsDecl).bits.map((b) => compact([["name", b.name], ["bit", b.bit], ["doc", b.doc]]))]]);
    case "bits":
      return compact([
        ...base,
        ["base", d.base.name],
        [
          "fields",
          (d as BitsDecl).fields.map((b) =>
            compact([["name", b.name], ["doc", b.doc], ["high", b.high], ["low", b.low], ["enum", b.enumType?.name], ["reserved", b.reserved], ["repr", b.repr]]),
          ),
        ],
      ]);
  }
}

function body(b: SectionBody): Json {
  switch (b.kind) {
    case "empty":
      return { kind: "empty" };
    case "struct":
      return { kind: "struct", struct: b.struct.name };
    case "entries":
      return { kind: "entries", struct: b.struct.name, entrySize: b.entrySize };
  }
}

function section(s: SectionDecl): Json {
  return {
    name: s.name,
    module: s.module,
    doc: s.doc,
    id: s.id,
    optional: s.optional,
    align: s.align,
    since: s.since,
    variants: s.variants.map((v) =>
      compact([
        ["when", v.when.map((c) => ({ field: c.field.name, values: c.values.map((x) => x.name) }))],
        ["doc", v.doc],
        ["body", body(v.body)],
      ]),
    ),
  };
}

/** Every declaration in schema order, the structs declared inline in sections after their module's types. */
function declarations(model: LibraryModel): Decl[] {
  const out: Decl[] = [];
  const seen = new Map<string, Decl>();
  const add = (d: Decl) => {
    const other = seen.get(d.name);
    if (other === d) return;
    if (other !== undefined) throw new Error(`schema model: two declarations named ${d.name}`);
    seen.set(d.name, d);
    out.push(d);
  };
  for (const module of model.modules) {
    for (const d of module.decls) add(d);
    for (const s of module.sections) for (const v of s.variants) if (v.body.kind !== "empty") add(v.body.struct);
  }
  // Structs reached only through fields (switch cases of inline structs): after everything declared.
  for (let i = 0; i < out.length; i++) {
    const d = out[i]!;
    if (d.kind !== "struct") continue;
    for (const f of d.fields) {
      if (f.type.kind === "struct") add(f.type);
      if (f.type.kind === "switch") for (const c of f.type.cases) if (c.struct !== undefined) add(c.struct);
    }
  }
  return out;
}

/** The model as {@link SchemaJson}. */
export function describeModel(model: LibraryModel | Model): SchemaJson {
  const full = "container" in model ? model : undefined;
  const c = full?.container;
  return {
    version: 3,
    modules: model.modules.map((m) => ({ name: m.name, file: m.file, doc: m.doc, imports: [...m.imports] })),
    types: declarations(model).map(decl),
    ...(c === undefined ? {} : { container: { doc: c.doc, version: c.version, entryCrcSince: c.entryCrcSince, module: c.module, header: c.header.name, entry: c.entry.name, end: c.end.name } }),
    sections: (full?.sections ?? []).map(section),
    rules: (full?.rules ?? []).map((r) =>
      compact([
        ["name", r.name],
        ["module", r.module],
        ["doc", r.doc],
        ["when", r.when.map((w) => ({ field: w.field.name, values: w.values.map((x) => x.name) }))],
        ["sections", r.sections.map((p) => ({ section: p.section.name, presence: p.presence }))],
        ["order", r.order.map((g) => g.map((s) => s.name))],
        ["phases", r.phases === undefined ? undefined : { marker: r.phases.marker.name, sections: r.phases.sections.map((s) => s.name) }],
      ]),
    ),
  } as unknown as SchemaJson;
}

/**
 * The text of `schema.ts`: the model as an object literal, one declaration, section or rule per line (a
 * schema change shows in a diff as the lines of what changed), and the resolved {@link Schema}. It is
 * written already formatted, so prettier never sees it.
 */
export function emitSchemaModule(json: SchemaJson, preamble: string, runtimeModule: string, what: string): string {
  const list = (items: readonly unknown[]) => (items.length === 0 ? "[]" : `[\n${items.map((x) => `    ${JSON.stringify(x)},`).join("\n")}\n  ]`);
  const { version, modules, types, container, sections, rules } = json;
  return [
    preamble,
    `import { Schema, type SchemaJson } from ${JSON.stringify(runtimeModule)};`,
    "",
    `/** The schema model of ${what}, serialized: every declaration, section and rule with its layout and doc text. */`,
    "export const schemaJson: SchemaJson = {",
    `  version: ${version},`,
    `  modules: ${list(modules)},`,
    `  types: ${list(types)},`,
    ...(container === undefined ? [] : [`  container: ${JSON.stringify(container)},`]),
    `  sections: ${list(sections)},`,
    `  rules: ${list(rules)},`,
    "};",
    "",
    `/** The schema model of ${what}, resolved for reflection (\`xenimage/reflect\`). */`,
    "export const schema: Schema = /* @__PURE__ */ Schema.fromJson(schemaJson);",
    "",
  ].join("\n");
}
