import type { EnumType, Field } from "./schema.js";
import type { WalkNode } from "./codec.js";

/**
 * Annotated hex: a walk's nodes ({@link walkStruct}, {@link walkSectionBody}) as lines of
 * offset, length, field path and decoded value, as `readelf -x` and Kaitai's ksdump show bytes. The
 * docs' sample dump and `xenimage annotate` both print these lines.
 */

/** One annotated run of bytes; depth-0 runs tile the whole image, deeper ones annotate inside them. */
export interface DumpLine {
  readonly offset: number;
  readonly length: number;
  readonly depth: number;
  readonly label: string;
  readonly value: string | undefined;
}

/** Bytes shown per line; longer fields show their first bytes and their size. */
const SHOWN = 16;

/** A decoded integer. */
export type Scalar = number | bigint;

/** `0x…`. */
export const hex = (v: Scalar) => `0x${v.toString(16)}`;
/** `n zero bytes`. */
export const zeros = (n: number) => `${n} zero byte${n === 1 ? "" : "s"}`;
/** The label of the elements after the first: `[1]` or `[1…n-1]`. */
export const restOf = (count: number) => (count === 2 ? "[1]" : `[1…${count - 1}]`);

/** The name of an enum value, or that it has none. */
export function enumName(t: EnumType, v: Scalar): string {
  return t.values.find((x) => BigInt(x.value) === BigInt(v))?.name ?? "not a named value";
}

/** A scalar value as the dump shows it. */
function formatScalar(field: Field, v: unknown): string {
  const t = field.type;
  if (t.kind === "bits") {
    const word = v as Record<string, Scalar>;
    const parts = t.fields
      .filter((f) => f.reserved === undefined)
      .map((f) => {
        const sub = word[f.property]!;
        return `${f.name} ${sub}${f.enumType !== undefined ? ` (${enumName(f.enumType, sub)})` : ""}`;
      });
    let raw = 0n;
    for (const f of t.fields) if (f.reserved === undefined) raw |= BigInt(word[f.property]!) << BigInt(f.low);
    return `${hex(raw)}: ${parts.join(", ")}`;
  }
  if (t.kind === "float") return String(v);
  const n = v as Scalar;
  switch (t.kind) {
    case "enum":
      return `${n} (${enumName(t, n)})`;
    case "flags": {
      const names = t.bits.filter((b) => (BigInt(n) >> BigInt(b.bit)) & 1n).map((b) => b.name);
      return `${hex(n)}${names.length > 0 ? ` = ${names.join(" | ")}` : ""}`;
    }
    default:
      return n <= 9 && n >= -9 ? n.toString() : `${n} (${hex(n)})`;
  }
}

function typeName(field: Field): string {
  const t = field.type;
  return "name" in t ? t.name : t.kind;
}

/**
 * How {@link structLines} annotates arrays element by element. Without it, an array of structs shows its
 * first element and summarises the rest, and an array of integers is one line (the docs' compact dump).
 */
export interface ElementOptions {
  /** At most this many elements of one array get lines of their own (from the window's first on). */
  readonly elements: number;
  /** The byte window asked for, [from, to): only elements over it get lines; the others are summarised. */
  readonly from?: number;
  readonly to?: number;
}

/** `[3]`, or `[3…9]` for elements 3 to 9. */
export const indexRange = (first: number, end: number) => (end - first === 1 ? `[${first}]` : `[${first}…${end - 1}]`);

/**
 * Which elements of an array get lines of their own: [first, end), those over the window, at most
 * `options.elements`. `start(i)` and `end(i)` are element i's bytes, ascending; only those looked at are
 * asked for, so a table of millions of entries costs a binary search.
 */
export function shownElements(count: number, start: (i: number) => number, end: (i: number) => number, options: ElementOptions): { first: number; end: number } {
  const from = options.from ?? 0;
  const to = options.to ?? Infinity;
  let lo = 0;
  let hi = count;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (end(mid) > from) hi = mid;
    else lo = mid + 1;
  }
  let last = lo;
  while (last < count && last - lo < options.elements && start(last) < to) last++;
  return { first: lo, end: last };
}

/** The line that stands for elements [first, end) of an array that get no lines of their own. */
export function summaryLine(label: string, first: number, end: number, offset: number, length: number, what: string, depth: number): DumpLine {
  return { offset, length, depth, label: `${label}${indexRange(first, end)}`, value: `${end - first} × ${what}, not annotated` };
}

/**
 * An array's lines, element by element: the elements {@link shownElements} picks, each through
 * `element(i)`, and one summary line for the elements before them and one for those after, so that the
 * array's bytes are still covered exactly once.
 */
export function elementLines(
  count: number,
  at: { start: (i: number) => number; end: (i: number) => number },
  element: (i: number) => void,
  summary: { label: string; what: string; depth: number },
  out: DumpLine[],
  options: ElementOptions,
): void {
  const shown = shownElements(count, at.start, at.end, options);
  const run = (first: number, end: number) => {
    if (end > first) out.push(summaryLine(summary.label, first, end, at.start(first), at.end(end - 1) - at.start(first), summary.what, summary.depth));
  };
  run(0, shown.first);
  for (let i = shown.first; i < shown.end; i++) element(i);
  run(shown.end, count);
}

/** The element nodes of an array field, or of an entries body, as {@link elementLines} reads them. */
const nodeBounds = (elements: readonly WalkNode[]) => ({ start: (i: number) => elements[i]!.offset, end: (i: number) => elements[i]!.offset + elements[i]!.size });

/** The lines of an array of structs (a field's elements, or an entries body's entries), element by element. */
export function structElementLines(elements: readonly WalkNode[], struct: string, depth: number, label: string, out: DumpLine[], options: ElementOptions): void {
  lazyStructLines(elements.length, nodeBounds(elements), (i) => elements[i]!.children ?? [], struct, depth, label, out, options);
}

/**
 * {@link structElementLines} for an array whose elements are walked only when spelled out:
 * `fields(i)` walks element i (a table of millions of entries then walks a few hundred).
 */
export function lazyStructLines(
  count: number,
  at: { start: (i: number) => number; end: (i: number) => number },
  fields: (i: number) => readonly WalkNode[],
  struct: string,
  depth: number,
  label: string,
  out: DumpLine[],
  options: ElementOptions,
): void {
  elementLines(
    count,
    at,
    (i) => {
      out.push({ offset: at.start(i), length: at.end(i) - at.start(i), depth, label: `${label}[${i}]`, value: `${struct}, ${i + 1} of ${count}` });
      structLines(fields(i), depth + 1, `${label}[${i}].`, out, options);
    },
    { label, what: struct, depth },
    out,
    options,
  );
}

/** Lines for the nodes of one struct (a walk's output), `prefix` naming where they are; arrays element by element with `options`. */
export function structLines(nodes: readonly WalkNode[], depth: number, prefix: string, out: DumpLine[], options?: ElementOptions): void {
  for (const node of nodes) {
    const field = node.field!;
    const t = field.type;
    const label = `${prefix}${t.kind === "pad" ? "(padding)" : t.kind === "align" ? `(align ${t.alignment})` : field.name}`;
    const line = (offset: number, length: number, value: string | undefined, at = depth, text = label) => out.push({ offset, length, depth: at, label: text, value });
    if (t.kind === "pad" || t.kind === "align") {
      if (node.size > 0) line(node.offset, node.size, zeros(node.size));
      continue;
    }
    if (t.kind === "switch") {
      const inner = node.children?.[0];
      if (inner === undefined) {
        const v = node.value as { type: string; selector?: Scalar };
        if (node.size > 0) line(node.offset, node.size, `${node.size} bytes (selector ${String(v.selector ?? v.type)})`);
      } else {
        line(node.offset, 0, `case ${node.caseName}: ${inner.struct!.name}`);
        structLines(inner.children ?? [], depth + 1, `${label}.`, out, options);
      }
      continue;
    }
    if (t.kind === "struct" && field.count === undefined) {
      line(node.offset, t.size ?? 0, `${t.name}${t.size === undefined ? "" : `, ${t.size} bytes`}`);
      structLines(node.children ?? [], depth + 1, `${label}.`, out, options);
      continue;
    }
    if (t.kind === "struct" && options !== undefined) {
      structElementLines(node.children ?? [], t.name, depth, label, out, options);
      continue;
    }
    if (t.kind === "struct") {
      const elements = node.children ?? [];
      const n = elements.length;
      if (n === 0) continue;
      const first = elements[0]!;
      line(first.offset, first.size, n === 1 ? `${t.name}, the only element` : `${t.name}, the first of ${n}`, depth, `${label}[0]`);
      structLines(first.children ?? [], depth + 1, `${label}[0].`, out);
      if (n > 1) line(elements[1]!.offset, node.offset + node.size - elements[1]!.offset, `${n - 1} more ${t.name}, not annotated`, depth, `${label}${restOf(n)}`);
      continue;
    }
    if (t.kind === "string") {
      const text = node.value as string;
      const shown = text.length > 60 ? `${JSON.stringify(text.slice(0, 60))}…` : JSON.stringify(text);
      const padded = new TextEncoder().encode(text).length < node.size;
      line(node.offset, node.size, `${shown}${padded ? `, NUL-padded to ${node.size} bytes` : ""}`);
      continue;
    }
    if (t.kind === "bytes") {
      const count = Array.isArray(node.value) ? node.value.length : 1;
      if (field.constValue !== undefined) line(node.offset, node.size, "the constant, as required");
      else if (t.elementSize !== undefined && options !== undefined && Array.isArray(node.value)) {
        // Pages and other fixed-size runs: one line per element, never their contents decoded.
        const size = t.elementSize;
        const what = `${size} bytes`;
        elementLines(count, { start: (i) => node.offset + i * size, end: (i) => node.offset + (i + 1) * size }, (i) => line(node.offset + i * size, size, what, depth, `${label}[${i}]`), { label, what, depth }, out, options);
      } else if (t.elementSize !== undefined && count > 1) {
        line(node.offset, t.elementSize, `${t.elementSize} bytes`, depth, `${label}[0]`);
        line(node.offset + t.elementSize, node.size - t.elementSize, `${count - 1} more of ${t.elementSize} bytes`, depth, `${label}${restOf(count)}`);
      } else if (node.size > 0) line(node.offset, node.size, `${node.size} bytes`);
      continue;
    }
    // Integers, floats, enums, flags, bits: one element or an array of them.
    if (field.count === undefined) {
      line(node.offset, node.size, field.constValue !== undefined ? `${hex(node.value as Scalar)}, the constant` : formatScalar(field, node.value));
    } else if (options !== undefined) {
      // Typed arrays have no element nodes: element i is at offset + i × its size.
      const values = node.value as ArrayLike<unknown>;
      const size = values.length === 0 ? 0 : node.size / values.length;
      const what = typeName(field);
      elementLines(values.length, { start: (i) => node.offset + i * size, end: (i) => node.offset + (i + 1) * size }, (i) => line(node.offset + i * size, size, formatScalar(field, values[i]), depth, `${label}[${i}]`), { label, what, depth }, out, options);
    } else {
      const all = Array.from(node.value as ArrayLike<unknown>);
      if (all.length === 0) continue;
      const shown = all.slice(0, 3).map((v) => formatScalar(field, v));
      line(node.offset, node.size, `${all.length} × ${typeName(field)}: ${shown.join("; ")}${all.length > 3 ? "; …" : ""}`);
    }
  }
}

/** `bytes` hold the file from offset `base` on (a reader that reads a part at a time).
 * `00000098  04 00 00 00 … 16 bytes   header_size = 152`. */
export function renderLine(bytes: Uint8Array, line: DumpLine, base = 0): string {
  const shown = Math.min(line.length, SHOWN);
  const hexBytes = Array.from(bytes.subarray(line.offset - base, line.offset - base + shown), (b) => b.toString(16).padStart(2, "0")).join(" ");
  const more = line.length > SHOWN ? " …" : "";
  const column = `${hexBytes}${more}`.padEnd(SHOWN * 3 + 1);
  const label = `${"  ".repeat(line.depth)}${line.label}`;
  const value = line.value === undefined ? "" : ` = ${line.value}`;
  const size = line.length > SHOWN ? ` [${line.length} bytes]` : "";
  return `${line.offset.toString(16).padStart(8, "0")}  ${column} ${label}${value}${size}`.trimEnd();
}

