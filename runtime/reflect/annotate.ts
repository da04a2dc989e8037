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
  if (t.kind === "uuid") return v as string;
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

/** Lines for the nodes of one struct (a walk's output), `prefix` naming where they are. */
export function structLines(nodes: readonly WalkNode[], depth: number, prefix: string, out: DumpLine[]): void {
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
        structLines(inner.children ?? [], depth + 1, `${label}.`, out);
      }
      continue;
    }
    if (t.kind === "struct" && field.count === undefined) {
      line(node.offset, t.size ?? 0, `${t.name}${t.size === undefined ? "" : `, ${t.size} bytes`}`);
      structLines(node.children ?? [], depth + 1, `${label}.`, out);
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
      else if (t.elementSize !== undefined && count > 1) {
        line(node.offset, t.elementSize, `${t.elementSize} bytes`, depth, `${label}[0]`);
        line(node.offset + t.elementSize, node.size - t.elementSize, `${count - 1} more of ${t.elementSize} bytes`, depth, `${label}${restOf(count)}`);
      } else if (node.size > 0) line(node.offset, node.size, `${node.size} bytes`);
      continue;
    }
    // Integers, floats, enums, flags, bits: one element or an array of them.
    if (field.count === undefined) {
      line(node.offset, node.size, field.constValue !== undefined ? `${hex(node.value as Scalar)}, the constant` : formatScalar(field, node.value));
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

