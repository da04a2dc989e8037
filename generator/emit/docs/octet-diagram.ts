import type { Field, StructDecl } from "../../model/model.js";
import { escapeHtml } from "./escape.js";
import { countText, fieldLabel, hexOffset, isPadding, layoutStruct, type FieldExtent } from "./struct-layout.js";

/**
 * Octet diagrams in the style of Xen's docs/specs: eight octets per row, each field's name in a cell
 * that spans its bytes. A field that covers two or more whole rows (a byte run, an array, a nested
 * struct) collapses into one block row naming its size, so a 5168-byte vcpu context stays readable
 * while every byte still belongs to a drawn cell. Fields after a variable-size one have no fixed
 * offset; they are drawn as blocks in order, with their size expression.
 */

/** Octets per row, as in Xen's specs. */
export const OCTETS_PER_ROW = 8;

/** A cell of an octet row: part or all of one field. */
export interface DiagramCell {
  readonly label: string;
  /** Octets this cell spans in its row. */
  readonly span: number;
  /** The id of the field's row in the field table, for links. */
  readonly anchor: string | undefined;
  /** True for padding (drawn greyed in HTML). */
  readonly padding: boolean;
  /** True when the field started in an earlier row. */
  readonly continued: boolean;
}

/** One row of a diagram: eight octets (fewer in a struct's last row), or a collapsed block. */
export type DiagramRow =
  | { readonly kind: "octets"; readonly offset: number; readonly cells: readonly DiagramCell[] }
  | {
      readonly kind: "block";
      /** Undefined after a variable-size field. */
      readonly offset: number | undefined;
      readonly label: string;
      /** Rows the block stands for, when fixed. */
      readonly rows: number | undefined;
      readonly anchor: string | undefined;
      readonly padding: boolean;
      /** For a struct (or array of structs), the struct's name and the anchor of its own diagram. */
      readonly element: { readonly name: string; readonly anchor: string } | undefined;
    };

/** A struct's octet diagram, ready to render as ASCII art or as an HTML table. */
export interface OctetDiagram {
  readonly struct: string;
  /** The struct's size, when fixed (sets the width of the offset labels). */
  readonly size: number | undefined;
  readonly rows: readonly DiagramRow[];
}

/** How a field is described in a block row: `trap_ctxt: trap_info_x86_64 × 256 (4096 bytes)`. */
export function blockLabel(extent: FieldExtent, continued: boolean): string {
  const { field } = extent;
  const name = fieldLabel(field);
  if (continued) return `${name} (cont.)`;
  const what = typeSummary(field);
  const size =
    extent.size !== undefined
      ? `${extent.size} bytes`
      : field.type.kind === "align"
        ? `zeros to a multiple of ${field.type.alignment}`
        : field.count?.kind === "rest"
          ? "the rest of the body"
          : `${extent.sizeText} bytes`;
  return what === undefined ? `${name} (${size})` : `${name}: ${what} (${size})`;
}

/** A compact type for block labels, or undefined when the size says it all (byte runs, strings, padding). */
function typeSummary(field: Field): string | undefined {
  const t = field.type;
  const times = (name: string) => (field.count === undefined ? name : `${name} × ${countText(field.count)}`);
  switch (t.kind) {
    case "int":
    case "float":
      return field.count === undefined ? undefined : times(t.name);
    case "enum":
    case "flags":
    case "bits":
    case "struct":
      return times(t.name);
    case "bytes":
      return t.elementSize !== undefined ? times(`bytes[${t.elementSize}]`) : undefined;
    case "switch":
      return `switch on ${t.selector.name}`;
    default:
      return undefined;
  }
}

/**
 * Builds the diagram of a struct. `anchor` names the field-table row each cell links to (HTML only).
 */
export function buildOctetDiagram(
  struct: StructDecl,
  anchor: (field: Field) => string | undefined = () => undefined,
  elementAnchor: (decl: StructDecl) => string | undefined = () => undefined,
): OctetDiagram {
  const rows: DiagramRow[] = [];
  let pending: { offset: number; cells: DiagramCell[]; filled: number } | undefined;
  const flush = () => {
    if (pending !== undefined && pending.cells.length > 0) rows.push({ kind: "octets", offset: pending.offset, cells: pending.cells });
    pending = undefined;
  };
  for (const extent of layoutStruct(struct)) {
    const { field } = extent;
    const padding = isPadding(field);
    const id = anchor(field);
    const elementId = field.type.kind === "struct" ? elementAnchor(field.type) : undefined;
    const element = field.type.kind === "struct" && elementId !== undefined ? { name: field.type.name, anchor: elementId } : undefined;
    if (extent.offset === undefined || extent.size === undefined) {
      // Variable size or offset: one block, in order, with the size as an expression.
      flush();
      rows.push({ kind: "block", offset: extent.offset, label: blockLabel(extent, false), rows: undefined, anchor: id, padding, element });
      continue;
    }
    const end = extent.offset + extent.size;
    let pos = extent.offset;
    while (pos < end) {
      const column = pos % OCTETS_PER_ROW;
      const fullRows = Math.floor((end - pos) / OCTETS_PER_ROW);
      if (column === 0 && fullRows >= 2) {
        flush();
        rows.push({ kind: "block", offset: pos, label: blockLabel(extent, pos !== extent.offset), rows: fullRows, anchor: id, padding, element });
        pos += fullRows * OCTETS_PER_ROW;
        continue;
      }
      if (pending === undefined) pending = { offset: pos - column, cells: [], filled: column };
      const span = Math.min(end, pos - column + OCTETS_PER_ROW) - pos;
      const continued = pos !== extent.offset;
      pending.cells.push({ label: continued ? `${fieldLabel(field)} (cont.)` : fieldLabel(field), span, anchor: id, padding, continued });
      pending.filled += span;
      pos += span;
      if (pending.filled === OCTETS_PER_ROW) flush();
    }
  }
  flush();
  return { struct: struct.name, size: struct.size, rows };
}

// ASCII rendering. Each octet is 8 characters wide ("+-------"), so a one-octet cell holds a
// 6-character name; longer names in narrow cells become numbered keys listed under the diagram.
const CELL = 8;

/** The octet boundaries (0 … 8) a row draws, for the border lines around it. */
function boundaries(row: DiagramRow): Set<number> {
  if (row.kind === "block") return new Set([0, OCTETS_PER_ROW]);
  const out = new Set<number>();
  let at = 0;
  out.add(at);
  for (const c of row.cells) out.add((at += c.span));
  return out;
}

function rowWidth(row: DiagramRow | undefined): number {
  if (row === undefined) return 0;
  return row.kind === "block" ? OCTETS_PER_ROW : row.cells.reduce((n, c) => n + c.span, 0);
}

function border(above: DiagramRow | undefined, below: DiagramRow | undefined, indent: string): string {
  const marks = new Set([...(above === undefined ? [] : boundaries(above)), ...(below === undefined ? [] : boundaries(below))]);
  const width = Math.max(rowWidth(above), rowWidth(below));
  let line = "";
  for (let i = 0; i <= width * CELL; i++) line += i % CELL === 0 && marks.has(i / CELL) ? "+" : "-";
  return indent + line;
}

/** Renders a diagram as ASCII art for a Markdown code block, with a key for names too long for their cells. */
export function renderDiagramAscii(diagram: OctetDiagram): string {
  const labelWidth = Math.max(
    4,
    ...diagram.rows.map((r) => (r.offset === undefined ? 3 : hexOffset(r.offset, diagram.size).length)),
  );
  const indent = " ".repeat(labelWidth + 1);
  const keys: string[] = [];
  const fit = (label: string, width: number) => {
    if (label.length <= width) return label;
    const base = label.replace(/ \(cont\.\)$/, "");
    let n = keys.indexOf(base) + 1;
    if (n === 0) n = keys.push(base);
    const key = `[${n}]`;
    return key.length <= width ? key : key.slice(0, width);
  };
  const octets = Array.from({ length: OCTETS_PER_ROW }, (_, i) => String(i).padStart(CELL / 2 + 1).padEnd(CELL)).join("");
  const lines = [`${indent}${octets.trimEnd()}   octet`];
  diagram.rows.forEach((row, i) => {
    lines.push(border(diagram.rows[i - 1], row, indent));
    const label = (row.offset === undefined ? "..." : hexOffset(row.offset, diagram.size)).padStart(labelWidth);
    if (row.kind === "block") {
      const inner = OCTETS_PER_ROW * CELL - 1;
      lines.push(`${label} | ${fit(row.label, inner - 2).padEnd(inner - 1)}|`);
      lines.push(`${indent}~${" ".repeat(inner)}~`);
      return;
    }
    let line = `${label} `;
    for (const cell of row.cells) {
      const inner = cell.span * CELL - 1;
      line += `| ${fit(cell.label, inner - 2).padEnd(inner - 1)}`;
    }
    lines.push(`${line}|`);
  });
  lines.push(border(diagram.rows[diagram.rows.length - 1], undefined, indent));
  if (keys.length > 0) {
    lines.push("");
    keys.forEach((k, i) => lines.push(`${indent}[${i + 1}] ${k}`));
  }
  return lines.join("\n");
}

/** Renders a diagram as an HTML table: a header of octet numbers, then one row per diagram row. */
export function renderDiagramHtml(diagram: OctetDiagram): string {
  const cell = (label: string, span: number, anchor: string | undefined, padding: boolean, extra = "") => {
    const cls = padding ? ' class="pad"' : "";
    const text = anchor === undefined ? escapeHtml(label) : `<a href="#${escapeHtml(anchor)}">${escapeHtml(label)}</a>`;
    return `<td colspan="${span}"${cls}>${text}${extra}</td>`;
  };
  const out = [
    `<table class="octets" data-struct="${escapeHtml(diagram.struct)}">`,
    `<caption>${escapeHtml(diagram.struct)}: ${diagram.size === undefined ? "variable size" : `${diagram.size} bytes`}, ${OCTETS_PER_ROW} octets per row</caption>`,
    `<thead><tr><th class="off">offset</th>${Array.from({ length: OCTETS_PER_ROW }, (_, i) => `<th>${i}</th>`).join("")}</tr></thead>`,
    "<tbody>",
  ];
  for (const row of diagram.rows) {
    const off = `<th class="off">${row.offset === undefined ? "…" : hexOffset(row.offset, diagram.size)}</th>`;
    if (row.kind === "block") {
      const notes = [
        ...(row.rows === undefined ? [] : [`${row.rows} rows`]),
        ...(row.element === undefined ? [] : [`<a href="#${escapeHtml(row.element.anchor)}">layout of ${escapeHtml(row.element.name)}</a>`]),
      ];
      const rows = notes.length === 0 ? "" : `<span class="rows">${notes.join(" · ")}</span>`;
      out.push(`<tr class="block">${off}${cell(row.label, OCTETS_PER_ROW, row.anchor, row.padding, rows)}</tr>`);
      continue;
    }
    const used = row.cells.reduce((n, c) => n + c.span, 0);
    const rest = used < OCTETS_PER_ROW ? `<td colspan="${OCTETS_PER_ROW - used}" class="beyond"></td>` : "";
    out.push(`<tr>${off}${row.cells.map((c) => cell(c.label, c.span, c.anchor, c.padding)).join("")}${rest}</tr>`);
  }
  out.push("</tbody>", "</table>");
  return out.join("\n");
}
