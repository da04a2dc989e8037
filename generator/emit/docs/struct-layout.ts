import type { Count, Field, FieldType, StructDecl } from "../../model/model.js";

/**
 * Where each field of a struct lies, in words a reader can follow: a fixed offset and size where the
 * model knows them, otherwise an expression over earlier fields (`0x8 + 8 × count`). The octet diagram,
 * the field table and the tests that check fields tile their struct all read this one computation.
 */

/** One field's place in its struct. */
export interface FieldExtent {
  readonly field: Field;
  /** The byte offset from the struct's start, when every earlier field has a fixed size. */
  readonly offset: number | undefined;
  /** The offset as shown: hex when fixed, else an expression over earlier fields. */
  readonly offsetText: string;
  /** The size in bytes, when fixed. */
  readonly size: number | undefined;
  /** The size as shown: decimal when fixed, else an expression. */
  readonly sizeText: string;
}

/** `0x1f` padded to the width of the largest offset of a struct of `size` bytes. */
export function hexOffset(offset: number, size?: number): string {
  const width = Math.max(2, (Math.max(size ?? 0, 1) - 1).toString(16).length);
  return `0x${offset.toString(16).padStart(width, "0")}`;
}

/** A field's name as the docs show it; padding and alignment have none in the schema. */
export function fieldLabel(field: Field): string {
  if (field.type.kind === "pad") return "(padding)";
  if (field.type.kind === "align") return `(align ${field.type.alignment})`;
  return field.name;
}

/** True for fields that only hold zero bytes the schema puts there for layout's sake. */
export function isPadding(field: Field): boolean {
  return field.type.kind === "pad" || field.type.kind === "align";
}

/** The size of one element of a field (an integer, a struct, a byte, a page), when fixed. */
export function elementSize(type: FieldType): number | undefined {
  switch (type.kind) {
    case "int":
    case "float":
      return type.size;
    case "enum":
    case "flags":
    case "bits":
      return type.base.size;
    case "struct":
      return type.size;
    case "bytes":
      return type.elementSize ?? 1;
    case "string":
      return 1;
    default:
      return undefined;
  }
}

/** The number of elements as a short expression: `16`, `count`, `entry_count`, `n` (to the end), `k` (counted). */
export function countText(count: Count): string {
  switch (count.kind) {
    case "fixed":
      return String(count.value);
    case "field":
      return count.field.name;
    case "entries":
      return "entry_count";
    case "rest":
      return "n";
    case "count_of":
      return "k";
  }
}

/** `0x8 + 8 × count` from a base expression and a constant. */
function offsetExpr(base: string | undefined, add: number): string {
  if (base === undefined) return `0x${add.toString(16)}`;
  return add === 0 ? base : `${base} + 0x${add.toString(16)}`;
}

/** Wraps a sum in parentheses before it is used as a function argument or factor. */
function isSum(expr: string): boolean {
  let depth = 0;
  for (const ch of expr) {
    if (ch === "(") depth++;
    else if (ch === ")") depth--;
    else if (ch === "+" && depth === 0) return true;
  }
  return false;
}

/** The size of a variable field as an expression. */
function variableSize(field: Field, offsetText: string): string {
  const t = field.type;
  if (t.kind === "align") return `0 … ${t.alignment - 1}, up to align_up(${offsetText}, ${t.alignment})`;
  if (t.kind === "switch") return t.size !== undefined ? t.size.name : "the selected case's size";
  const count = field.count;
  if (count === undefined) return "variable";
  if (count.kind === "rest") return "rest of the body";
  const element = elementSize(t);
  const n = countText(count);
  if (element === undefined) return `${n} × its element size`;
  return element === 1 ? n : `${element} × ${n}`;
}

/**
 * Lays out a struct: every field with its offset and size, in order. Fixed offsets and sizes come from
 * the model; after the first variable field, offsets become expressions that a reader can evaluate.
 */
export function layoutStruct(struct: StructDecl): FieldExtent[] {
  const out: FieldExtent[] = [];
  // Running offset: an expression for the variable part (undefined while fixed) plus a constant.
  let base: string | undefined;
  let add = 0;
  for (const field of struct.fields) {
    const fixedOffset = base === undefined ? add : undefined;
    const offsetText = fixedOffset !== undefined ? hexOffset(fixedOffset, struct.size) : offsetExpr(base, add);
    // An align field's size is fixed only where its offset is.
    const size = field.type.kind === "align" && fixedOffset === undefined ? undefined : field.size;
    if (size !== undefined) {
      out.push({ field, offset: fixedOffset, offsetText, size, sizeText: String(size) });
      add += size;
      continue;
    }
    const sizeText = variableSize(field, offsetText);
    out.push({ field, offset: fixedOffset, offsetText, size: undefined, sizeText });
    const current = offsetExpr(base, add);
    if (field.type.kind === "align") base = `align_up(${current}, ${field.type.alignment})`;
    else base = current === "0x0" ? sizeText : `${current} + ${isSum(sizeText) ? `(${sizeText})` : sizeText}`;
    add = 0;
  }
  return out;
}
