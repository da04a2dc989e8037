import type { Decl, Model, SectionBody, SectionDecl, SectionVariant, StructDecl } from "../../model/model.js";
import { code, heading, joinText, para, type Block, type Page, type Text } from "./doc-tree.js";
import { conditionsText, sectionPageId, sectionUsage } from "./rules-page.js";
import { isPadding, layoutStruct } from "./struct-layout.js";
import { collectTypes, declBlocks, structBlocks, typeAnchor, typeRef, typeText, type RenderContext } from "./type-blocks.js";
import { entriesField } from "../section.js";

/**
 * One page per section type: its registry facts, which images use it, each layout (per architecture or
 * guest type when the header selects one) with its octet diagram and field table, the layouts side by
 * side, and every type the section uses spelled out, so the page stands on its own.
 */

/** The structs a section's bodies are made of (inline or declared). */
function bodyStruct(body: SectionBody): StructDecl | undefined {
  return body.kind === "empty" ? undefined : body.struct;
}

/** True when a body struct is a declared type (it then keeps the type's anchor). */
function isDeclared(model: Model, struct: StructDecl): boolean {
  return model.modules.some((m) => m.decls.includes(struct));
}

/** Every declared type a section page describes: declared body structs first, then what they use. */
export function sectionTypes(model: Model, section: SectionDecl): { readonly roots: Set<Decl>; readonly nested: Set<Decl> } {
  const roots = new Set<Decl>();
  const nested = new Set<Decl>();
  for (const v of section.variants) {
    const s = bodyStruct(v.body);
    if (s !== undefined && isDeclared(model, s)) roots.add(s);
  }
  for (const v of section.variants) {
    const s = bodyStruct(v.body);
    if (s !== undefined) collectTypes(s, nested);
  }
  for (const r of roots) nested.delete(r);
  return { roots, nested };
}

/** The value of the section table's type field for this section. */
function tableType(section: SectionDecl): string {
  return `0x${((section.id | (section.optional ? 0x8000_0000 : 0)) >>> 0).toString(16).padStart(8, "0")}`;
}

function bodyKind(body: SectionBody): string {
  return body.kind === "empty" ? "empty" : body.kind === "entries" ? "an array of fixed-size entries" : "one struct";
}

function factsTable(model: Model, section: SectionDecl): Block {
  const row = (name: string, value: Text) => ({ cells: [[name], value] });
  const kinds = [...new Set(section.variants.map((v) => bodyKind(v.body)))];
  const selectors = [...new Set(section.variants.flatMap((v) => v.when.map((c) => c.field.name)))];
  const rows = [
    row("Type id", [code(`0x${section.id.toString(16)}`), ` (${section.id})`]),
    row("Type field in the table", [code(tableType(section)), section.optional ? " (bit 31 set: optional)" : " (bit 31 clear: mandatory)"]),
    row(
      "Optional",
      section.optional
        ? ["yes: a reader that does not know this type skips the section"]
        : ["no: a reader that does not know this type must reject the image"],
    ),
    row("Body alignment", [`${section.align} bytes: in a seekable image the body starts at a multiple of ${section.align}`]),
    row("Since format version", [String(section.since)]),
    row("Body", [kinds.join(" or ")]),
    row(
      "Layouts",
      selectors.length === 0
        ? ["one, the same in every image"]
        : [`${section.variants.length}, chosen by the header's `, ...joinText(selectors.map((s) => [code(s)]), ", ")],
    ),
  ];
  if (section === model.container.end) rows.push(row("Role", ["ends every image; its body is empty"]));
  return { kind: "table", className: "facts", head: [["Property"], ["Value"]], rows };
}

function bodyBlocks(model: Model, body: SectionBody, ctx: RenderContext): Block[] {
  if (body.kind === "empty") return [para("The body is empty: the entry's size, entry_count and entry_size are 0 and no body bytes follow.")];
  const s = body.struct;
  const named = isDeclared(model, s);
  const title: Block[] = named ? [heading(4, [code(s.name), ` (struct, ${s.size ?? "variable"}${s.size === undefined ? " size" : " bytes"})`], typeAnchor(s)), para(s.doc)] : [];
  if (body.kind === "entries") {
    return [
      para(
        "The body is an array: the table entry's entry_count entries of ",
        typeRef(s, ctx),
        `, each exactly ${body.entrySize} bytes, back to back with no padding. The entry's entry_size must be ${body.entrySize}, and its size is entry_count × ${body.entrySize}.`,
      ),
      ...title,
      ...structBlocks(s, ctx),
    ];
  }
  const counted = entriesField(body);
  const entrySize = counted?.elementSize;
  const size =
    s.size !== undefined
      ? `The body is one ${s.name}, always ${s.size} bytes; the table entry's entry_count and entry_size are 0.`
      : counted !== undefined && entrySize !== undefined
        ? `The body is one ${s.name}; its size, given by the table entry, decides where variable fields end. The entry's entry_count is the number of ${counted.name} elements and its entry_size must be ${entrySize}.`
        : `The body is one ${s.name}; its size, given by the table entry, decides where variable fields end. The entry's entry_count and entry_size are 0 unless a field counts entries.`;
  return [para(size), ...title, ...structBlocks(s, ctx)];
}

function variantTitle(v: SectionVariant): Text {
  return v.when.length === 0 ? ["Every image"] : ["When ", ...conditionsText(v.when)];
}

/** The layouts side by side: one column per variant, one row per top-level field name. */
function sideBySide(section: SectionDecl, ctx: RenderContext): Block {
  const structs = section.variants.map((v) => bodyStruct(v.body));
  const names: string[] = [];
  // Merge the field lists keeping each layout's order: a field only one layout has goes after the
  // field that precedes it there, so rows stay in offset order for every column.
  for (const s of structs) {
    let after = -1;
    for (const f of s?.fields ?? []) {
      if (isPadding(f)) continue;
      const at = names.indexOf(f.name);
      if (at >= 0) after = at;
      else names.splice(++after, 0, f.name);
    }
  }
  const rows = [
    { cells: [["Body"], ...section.variants.map((v): Text => (v.body.kind === "empty" ? ["empty"] : [v.body.kind === "entries" ? "entries of " : "", code(v.body.struct.name)]))] },
    {
      cells: [
        ["Size"],
        ...section.variants.map((v): Text =>
          v.body.kind === "empty" ? ["0"] : v.body.kind === "entries" ? [`${v.body.entrySize} bytes per entry`] : [v.body.struct.size === undefined ? "variable" : `${v.body.struct.size} bytes`],
        ),
      ],
    },
    ...names.map((name) => ({
      cells: [
        [code(name)],
        ...structs.map((s): Text => {
          const extent = s === undefined ? undefined : layoutStruct(s).find((e) => e.field.name === name);
          if (extent === undefined) return ["—"];
          return [`${extent.offsetText}, ${extent.sizeText} B, `, ...typeText(extent.field, ctx)];
        }),
      ],
    })),
  ];
  return {
    kind: "table",
    className: "variants",
    head: [["Field"], ...section.variants.map((v, i): Text => [`Layout ${i + 1}: `, ...variantTitle(v)])],
    rows,
  };
}

/** Builds a section's page. `ctx.local` must hold the types `sectionTypes` lists. */
export function sectionPage(model: Model, section: SectionDecl, ctx: RenderContext): Page {
  const blocks: Block[] = [para(section.doc), factsTable(model, section), heading(2, "Which images use it"), ...sectionUsage(model, section)];
  const conditional = section.variants.length > 1 || section.variants.some((v) => v.when.length > 0);
  if (!conditional) {
    blocks.push(heading(2, "Body"), ...bodyBlocks(model, section.variants[0]!.body, ctx));
  } else {
    const fields = [...new Set(section.variants.flatMap((v) => v.when.map((c) => c.field.name)))];
    blocks.push(
      heading(2, "Layouts"),
      para(
        "The body's layout depends on the image header (",
        ...joinText(fields.map((f) => [code(f)]), ", "),
        "). A reader picks the first layout whose conditions the header meets; a section whose header meets none is invalid, and readers reject the image.",
      ),
    );
    if (section.variants.length > 1) blocks.push(para("The layouts side by side (offset, size in bytes, type):"), sideBySide(section, ctx));
    section.variants.forEach((v, i) => {
      blocks.push(heading(3, [`Layout ${i + 1}: `, ...variantTitle(v)], `layout-${i + 1}`));
      if (v.doc !== undefined) blocks.push(para(v.doc));
      blocks.push(...bodyBlocks(model, v.body, ctx));
    });
  }
  const { nested } = sectionTypes(model, section);
  if (nested.size > 0) {
    blocks.push(heading(2, "Types used"), para("Every type the layouts above use, in full:"));
    for (const decl of nested) blocks.push(...declBlocks(decl, ctx));
  }
  return {
    id: sectionPageId(section),
    title: `Section ${section.name} (0x${section.id.toString(16)})`,
    navLabel: section.name,
    group: "sections",
    blocks,
  };
}
