import type { BitsDecl, Decl, EnumDecl, Field, FlagsDecl, LibraryModel, StructDecl } from "../../model/model.js";
import type { DocsKit } from "../../constructs/construct.js";
import { constructOf } from "../../constructs/registry.js";
import { code, heading, joinText, link, para, type Block, type Inline, type Text } from "./doc-tree.js";
import { describeValueRule } from "../valid.js";
import { buildOctetDiagram } from "./octet-diagram.js";
import { countText, fieldLabel, isPadding, layoutStruct } from "./struct-layout.js";

/**
 * Everything the docs say about declared types: their one-line type names in field tables, the field
 * table of a struct, the value tables of enums and flags, the bit table of a bit-field word, and which
 * types a page must describe so that it stands on its own.
 */

/** What a page builder knows while it renders: the model (or library), and where each type is described. */
export interface RenderContext {
  readonly model: LibraryModel;
  /** Types described in full on the page being built; links to them stay on the page. */
  readonly local: ReadonlySet<Decl>;
  /** The page that describes a type, for types not on this page (undefined: none does). */
  readonly home: (decl: Decl) => string | undefined;
  /**
   * What the byte-order column says for a field that follows the context rather than a pinned order:
   * `header` (the default) in the image, where the header's byte_order decides; a library's pages name it
   * otherwise, since no image header is there.
   */
  readonly contextByteOrder?: string;
}

/** The anchor of a type's description. */
export function typeAnchor(decl: Decl): string {
  return `type-${decl.name}`;
}

/** The anchor of a field's row in its struct's field table. */
export function fieldAnchor(struct: StructDecl, field: Field): string {
  return `f-${struct.name}-${field.name}`;
}

/** A link to a type's description (on this page when it is there). */
export function typeRef(decl: Decl, ctx: RenderContext): Inline {
  if (ctx.local.has(decl)) return link([code(decl.name)], undefined, typeAnchor(decl));
  const home = ctx.home(decl);
  return home === undefined ? code(decl.name) : link([code(decl.name)], home, typeAnchor(decl));
}

/** Adds to `out` every declared type a struct uses, depth first, each once, in the order first met. */
export function collectTypes(struct: StructDecl, out: Set<Decl>): void {
  const visit = (decl: Decl) => {
    if (out.has(decl)) return;
    out.add(decl);
    if (decl.kind === "struct") collectTypes(decl, out);
  };
  for (const field of struct.fields) for (const decl of constructOf(field.type).uses?.(field.type) ?? []) visit(decl);
}

/** The byte order of a field as the field table shows it; `context` names the order a `context` field follows. */
export function byteOrderText(field: Field, context = "header"): string {
  if (!field.byteOrdered) return "—";
  return field.endian === "context" ? context : field.endian;
}

/** What a construct's docs need from this back end: links to declared types, the ` × count` suffix. */
function docsKit(field: Field, ctx: RenderContext): DocsKit {
  return {
    typeRef: (decl) => typeRef(decl, ctx),
    times: (name) => (field.count === undefined ? name : [...name, ` × ${countText(field.count)}`]),
  };
}

/** A field's type, with links to declared types: `u32`, `trap_info_x86_64 × 256`, `bytes[512]`. */
export function typeText(field: Field, ctx: RenderContext): Text {
  return constructOf(field.type).docType(field, field.type, docsKit(field, ctx));
}

/** What values a field may hold, and who fills it in. */
export function allowedValues(struct: StructDecl, field: Field, ctx: RenderContext): Text {
  const t = field.type;
  const out: Inline[] = [];
  const add = (...parts: Inline[]) => {
    if (out.length > 0) out.push("; ");
    out.push(...parts);
  };
  if (field.constValue !== undefined) {
    const v = field.constValue;
    add(
      "always ",
      code(
        Array.isArray(v)
          ? v.map((b: number) => b.toString(16).padStart(2, "0").toUpperCase()).join(" ")
          : `0x${(v as number | bigint).toString(16)}`,
      ),
      " (readers reject anything else)",
    );
  }
  if (isPadding(field)) add(field.reserved === "ignore" ? "written as zero, ignored when read" : "zero (readers reject non-zero)");
  else if (field.reserved === "check") add("zero (readers reject non-zero)");
  else if (field.reserved === "ignore") add("written as zero, ignored when read");
  for (const user of struct.fields) {
    const c = constructOf(user.type);
    if (c.fills?.(user.type, field) === true) add(...c.docFills!(user.type, field, user));
    else if (user.count?.kind === "field" && user.count.field === field) {
      add(`the number of ${user.isArray ? "elements" : "bytes"} of `, code(user.name), " (written by the writer)");
    }
  }
  constructOf(t).docValues?.(field, t, docsKit(field, ctx), add);
  if (field.count?.kind === "count_of") {
    const c = field.count;
    const names = joinText(c.values.map((v) => [code(v.name)]), ", ");
    if (c.negated) add("k = the number of ", code(c.array.name), " elements whose ", code(c.bitField.name), " is none of ", ...names, " (values this version does not name are counted too)");
    else add("k = the number of ", code(c.array.name), " elements whose ", code(c.bitField.name), " is ", ...names);
  }
  if (field.count?.kind === "entries") add("entry_count is the section table entry's entry_count");
  if (field.count?.kind === "rest" && t.kind !== "string" && t.kind !== "bytes") add("n: as many as fill the rest of the body");
  if (field.repr === "number" && (t.kind === "int" || t.kind === "enum") && (t.kind === "int" ? t.size : t.base.size) === 8) add("at most 2^53 − 1");
  const rule = field.valid === undefined ? undefined : describeValueRule(field);
  if (rule !== undefined) add(rule, " (readers reject any other value: ", code("field-value"), ")");
  if (field.example !== undefined) add("e.g. ", code(String(field.example)));
  return out;
}

/** The field table of a struct: offset, size, name, type, byte order, units, values, meaning. */
export function fieldTable(struct: StructDecl, ctx: RenderContext, notes?: (field: Field) => Text | undefined): Block {
  const rows = layoutStruct(struct).map((extent) => {
    const { field } = extent;
    const values = [...allowedValues(struct, field, ctx)];
    const note = notes?.(field);
    if (note !== undefined && note.length > 0) values.push(...(values.length > 0 ? ["; "] : []), ...note);
    return {
      id: fieldAnchor(struct, field),
      cells: [
        [extent.offsetText],
        [extent.sizeText],
        isPadding(field) ? [fieldLabel(field)] : [code(field.name)],
        typeText(field, ctx),
        [byteOrderText(field, ctx.contextByteOrder)],
        field.units === undefined ? [] : [field.units],
        values,
        [field.doc ?? ""],
      ] as Text[],
    };
  });
  return {
    kind: "table",
    className: "fields",
    head: [["Offset"], ["Size"], ["Field"], ["Type"], ["Byte order"], ["Units"], ["Values"], ["Meaning"]],
    rows,
  };
}

/** The diagram, field table and notes of a struct (without a heading). */
export function structBlocks(struct: StructDecl, ctx: RenderContext, notes?: (field: Field) => Text | undefined): Block[] {
  const blocks: Block[] = [];
  const size = struct.size === undefined ? "variable size" : `${struct.size} bytes`;
  blocks.push(para(`Layout of `, code(struct.name), ` (${size}); offsets are in hex from the start of the struct, sizes in bytes:`));
  blocks.push({ kind: "diagram", diagram: buildOctetDiagram(struct, (f) => fieldAnchor(struct, f), (d) => (ctx.local.has(d) ? typeAnchor(d) : undefined)) });
  const nested = [...new Set(struct.fields.flatMap((f) => (f.type.kind === "struct" ? [f.type] : [])))];
  if (nested.length > 0) blocks.push(para("Nested structs, each with its own diagram: ", ...joinText(nested.map((d): Text => [typeRef(d, ctx)]), ", "), "."));
  blocks.push(fieldTable(struct, ctx, notes));
  return blocks;
}

function enumBlocks(decl: EnumDecl): Block[] {
  const hex = (v: number | bigint) => `0x${v.toString(16)}`;
  return [
    {
      kind: "table",
      className: "values",
      head: [["Value"], ["Hex"], ["Name"], ["Meaning"]],
      rows: decl.values.map((v) => ({ cells: [[String(v.value)], [hex(v.value)], [code(v.name)], [v.doc ?? ""]] })),
    },
    para(
      decl.closed
        ? `A closed enum over a ${decl.base.name}${decl.base.size > 1 ? " (in the field's byte order)" : ""}: a value that is not listed makes the image invalid, and readers reject it (error code field-value). Values are added to it only together with a new format_version, so a reader never meets an unlisted value in an image whose version it knows.`
        : `An open enum over a ${decl.base.name}${decl.base.size > 1 ? " (in the field's byte order)" : ""}: a reader keeps a value that is not listed and passes it on unchanged; only the values above have a meaning in this version, and a later writer may use new ones without a new format_version.`,
    ),
  ];
}

function flagsBlocks(decl: FlagsDecl): Block[] {
  const mask = (bit: number) => `0x${(1n << BigInt(bit)).toString(16)}`;
  return [
    {
      kind: "table",
      className: "values",
      head: [["Bit"], ["Mask"], ["Name"], ["Meaning"]],
      rows: decl.bits.map((b) => ({ cells: [[String(b.bit)], [mask(b.bit)], [code(b.name)], [b.doc ?? ""]] })),
    },
    para(
      `A ${decl.base.name} of single-bit flags, bit 0 the least significant. Bits not listed have no meaning in this version; writers leave them clear, and readers keep whatever they find.`,
    ),
  ];
}

function bitsBlocks(decl: BitsDecl, ctx: RenderContext): Block[] {
  const width = decl.base.size * 8;
  const mask = (high: number, low: number) => `0x${(((1n << BigInt(high - low + 1)) - 1n) << BigInt(low)).toString(16).padStart(width / 4, "0")}`;
  interface Row {
    readonly high: number;
    readonly low: number;
    readonly name: Text;
    readonly holds: Text;
    readonly doc: string;
  }
  const rows: Row[] = decl.fields.map((f) => ({
    high: f.high,
    low: f.low,
    name: [code(f.name)],
    holds:
      f.reserved === "check"
        ? ["zero (readers reject non-zero)"]
        : f.reserved === "ignore"
          ? ["written as zero, ignored when read"]
          : f.enumType !== undefined
            ? [typeRef(f.enumType, ctx)]
            : [`unsigned, ${f.width} ${f.width === 1 ? "bit" : "bits"}`],
    doc: f.doc ?? "",
  }));
  // Bits no sub-field covers must be zero (the codec rejects them); list them so every bit is accounted for.
  const covered = new Array<boolean>(width).fill(false);
  for (const f of decl.fields) for (let b = f.low; b <= f.high; b++) covered[b] = true;
  for (let high = width - 1; high >= 0; high--) {
    if (covered[high]) continue;
    let low = high;
    while (low > 0 && !covered[low - 1]) low--;
    rows.push({ high, low, name: ["(unused)"], holds: ["zero (readers reject non-zero)"], doc: "Not used in this version." });
    high = low;
  }
  rows.sort((a, b) => b.high - a.high);
  return [
    {
      kind: "table",
      className: "values",
      head: [["Bits"], ["Width"], ["Mask"], ["Name"], ["Holds"], ["Meaning"]],
      rows: rows.map((r) => ({
        cells: [[r.high === r.low ? String(r.high) : `${r.high}–${r.low}`], [String(r.high - r.low + 1)], [code(mask(r.high, r.low))], r.name, r.holds, [r.doc]],
      })),
    },
    para(
      `One ${decl.base.name} (in the field's byte order), bit 0 the least significant; a sub-field's value is (word >> low) & (2^width − 1).`,
    ),
  ];
}

/** A declared type's full description: heading, doc, then its diagram and fields or its values. */
export function declBlocks(decl: Decl, ctx: RenderContext, level: 2 | 3 | 4 = 3): Block[] {
  const what =
    decl.kind === "struct"
      ? `struct, ${decl.size === undefined ? "variable size" : `${decl.size} bytes`}`
      : `${decl.kind} ${decl.base.name}`;
  const blocks: Block[] = [heading(level, [code(decl.name), ` (${what})`], typeAnchor(decl)), para(decl.doc)];
  if (decl.kind === "struct") blocks.push(...structBlocks(decl, ctx));
  else if (decl.kind === "enum") blocks.push(...enumBlocks(decl));
  else if (decl.kind === "flags") blocks.push(...flagsBlocks(decl));
  else blocks.push(...bitsBlocks(decl, ctx));
  return blocks;
}
