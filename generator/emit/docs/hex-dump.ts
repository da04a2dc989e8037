import type { EnumDecl, Field, Model, SectionDecl, StructDecl } from "../../model/model.js";
import { code, heading, joinText, link, para, type Block, type Page, type Text } from "./doc-tree.js";
import { sectionPageId } from "./rules-page.js";
import { elementSize, fieldLabel } from "./struct-layout.js";

/**
 * The annotated hex dump of a small image made by our own encoder. The bytes are walked with the model
 * alone, the way a reader with only this specification would: header, each body in file order (with
 * the padding between them), then the table. A byte the walk cannot place is an error, so the dump is
 * also a check that the specification accounts for every byte the encoder writes.
 */

/** A sample image and how it was made (shown on the page). */
export interface SampleImage {
  /** Its anchor on the page. */
  readonly id: string;
  readonly title: string;
  /** A sentence or two: what the sample shows. */
  readonly about: string;
  readonly layout: "seekable" | "streamed";
  readonly bytes: Uint8Array;
  /** The code that made it, e.g. `encodeImage(syntheticPvGuest({ … }))`. */
  readonly recipe: string;
}

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

/** Raised when the sample's bytes do not follow the schemas (e.g. generated/ is stale). */
export class SampleMismatchError extends Error {
  constructor(message: string) {
    super(`the sample image does not follow the schemas: ${message} (are the codecs in generated/ stale? run npm run generate)`);
    this.name = "SampleMismatchError";
  }
}

type Scalar = number | bigint;
/** Values of the fields read so far in a struct, for counts, switches and conditions. */
type Values = Map<string, Scalar | Scalar[]>;

interface Walk {
  readonly bytes: Uint8Array;
  readonly view: DataView;
  readonly little: boolean;
  readonly lines: DumpLine[];
  readonly entryCount: bigint;
}

const hex = (v: Scalar) => `0x${v.toString(16)}`;
const zeros = (n: number) => `${n} zero byte${n === 1 ? "" : "s"}`;
/** The label of the elements after the first: `[1]` or `[1…n-1]`. */
const restOf = (count: number) => (count === 2 ? "[1]" : `[1…${count - 1}]`);

function readInt(w: Walk, at: number, size: number, signed: boolean, field: Field): bigint {
  if (at + size > w.bytes.length) throw new SampleMismatchError(`${field.name} at ${hex(at)} runs past the end of the image`);
  const little = field.endian === "context" ? w.little : field.endian === "little";
  let v = 0n;
  for (let i = 0; i < size; i++) v |= BigInt(w.bytes[at + (little ? i : size - 1 - i)]!) << BigInt(8 * i);
  if (signed && v >= 1n << BigInt(size * 8 - 1)) v -= 1n << BigInt(size * 8);
  return v;
}

function enumName(t: EnumDecl, v: bigint): string {
  return t.values.find((x) => BigInt(x.value) === v)?.name ?? "not a named value";
}

/** A scalar field's value as the dump shows it. */
function formatScalar(field: Field, v: bigint, at: number, w: Walk): string {
  const t = field.type;
  const num = v <= 9n && v >= -9n ? v.toString() : `${v} (${hex(v)})`;
  switch (t.kind) {
    case "enum":
      return `${v} (${enumName(t, v)})`;
    case "flags": {
      const names = t.bits.filter((b) => (v >> BigInt(b.bit)) & 1n).map((b) => b.name);
      return `${hex(v)}${names.length > 0 ? ` = ${names.join(" | ")}` : ""}`;
    }
    case "bits": {
      const parts = t.fields
        .filter((f) => f.reserved === undefined)
        .map((f) => {
          const sub = (v >> BigInt(f.low)) & ((1n << BigInt(f.width)) - 1n);
          return `${f.name} ${sub}${f.enumType !== undefined ? ` (${enumName(f.enumType, sub)})` : ""}`;
        });
      return `${hex(v)}: ${parts.join(", ")}`;
    }
    case "float": {
      const little = field.endian === "context" ? w.little : field.endian === "little";
      return String(t.size === 4 ? w.view.getFloat32(at, little) : w.view.getFloat64(at, little));
    }
    default:
      return num;
  }
}

function push(w: Walk, offset: number, length: number, depth: number, label: string, value?: string): void {
  w.lines.push({ offset, length, depth, label, value });
}

/** The number of elements of a field, from the values read so far. */
function countOf(field: Field, values: Values, w: Walk, pos: number, limit: number, element: number | undefined): number {
  const c = field.count;
  if (c === undefined) return 1;
  switch (c.kind) {
    case "fixed":
      return c.value;
    case "field": {
      const v = values.get(c.field.name);
      if (v === undefined || Array.isArray(v)) throw new SampleMismatchError(`${field.name} counts by ${c.field.name}, which was not read`);
      return Number(v);
    }
    case "entries":
      return Number(w.entryCount);
    case "rest":
      return Math.floor((limit - pos) / (element ?? 1));
    case "count_of": {
      const words = values.get(c.array.name);
      if (!Array.isArray(words)) throw new SampleMismatchError(`${field.name} counts ${c.array.name}, which was not read`);
      const wanted = new Set(c.values.map((v) => BigInt(v.value)));
      const mask = (1n << BigInt(c.bitField.width)) - 1n;
      return words.filter((x) => wanted.has((BigInt(x) >> BigInt(c.bitField.low)) & mask) !== c.negated).length;
    }
  }
}

/** Walks a struct at `start`, no further than `limit`; returns where it ends. `quiet` records no lines. */
function walkStruct(w: Walk, struct: StructDecl, start: number, limit: number, depth: number, prefix: string, quiet: boolean, values: Values = new Map()): number {
  let pos = start;
  for (const field of struct.fields) {
    const t = field.type;
    const label = `${prefix}${fieldLabel(field)}`;
    const note = (length: number, value?: string) => {
      if (!quiet) push(w, pos, length, depth, label, value);
    };
    if (t.kind === "pad" || t.kind === "align") {
      const n = t.kind === "pad" ? t.size : (t.alignment - ((pos - start) % t.alignment)) % t.alignment;
      if (n > 0) note(n, zeros(n));
      pos += n;
      continue;
    }
    if (t.kind === "switch") {
      const selector = values.get(t.selector.name);
      const chosen = t.cases.find((c) => BigInt(c.value) === BigInt(selector as Scalar));
      const sizeValue = t.size === undefined ? undefined : Number(values.get(t.size.name) as Scalar);
      const end = sizeValue === undefined ? limit : pos + sizeValue;
      if (chosen?.struct === undefined) {
        const n = sizeValue ?? 0;
        if (n > 0) note(n, `${n} bytes (selector ${String(selector)})`);
        pos += n;
      } else {
        note(0, `case ${chosen.name}: ${chosen.struct.name}`);
        const after = walkStruct(w, chosen.struct, pos, end, depth + 1, `${label}.`, quiet);
        pos = sizeValue === undefined ? after : end;
      }
      continue;
    }
    const element = elementSize(t);
    const count = countOf(field, values, w, pos, limit, element);
    if (t.kind === "struct") {
      if (field.count === undefined) {
        note(t.size ?? 0, `${t.name}${t.size === undefined ? "" : `, ${t.size} bytes`}`);
        pos = walkStruct(w, t, pos, limit, depth + 1, `${label}.`, quiet);
        continue;
      }
      // Elements of a variable-size struct "to the rest of the body" are walked until the body ends.
      const toEnd = field.count.kind === "rest" && t.size === undefined;
      const first = pos;
      const firstLine = w.lines.length;
      let second = pos;
      let n = 0;
      for (; toEnd ? pos < limit : n < count; n++) {
        if (n === 1) second = pos;
        pos = walkStruct(w, t, pos, limit, depth + 1, `${label}[${n}].`, quiet || n > 0);
      }
      if (!quiet && n > 0) {
        w.lines.splice(firstLine, 0, { offset: first, length: second === first ? pos - first : second - first, depth, label: `${label}[0]`, value: n === 1 ? `${t.name}, the only element` : `${t.name}, the first of ${n}` });
        if (n > 1) push(w, second, pos - second, depth, `${label}${restOf(n)}`, `${n - 1} more ${t.name}, not annotated`);
      }
      continue;
    }
    if (element === undefined) throw new SampleMismatchError(`cannot size ${label}`);
    const length = count * element;
    if (pos + length > limit) throw new SampleMismatchError(`${label} (${length} bytes at ${hex(pos)}) runs past ${hex(limit)}`);
    if (t.kind === "bytes" || t.kind === "string") {
      if (t.kind === "string") {
        const raw = w.bytes.subarray(pos, pos + length);
        const end = raw.indexOf(0);
        const text = new TextDecoder().decode(raw.subarray(0, end < 0 ? raw.length : end));
        const shown = text.length > 60 ? `${JSON.stringify(text.slice(0, 60))}…` : JSON.stringify(text);
        note(length, `${shown}${end >= 0 ? `, NUL-padded to ${length} bytes` : ""}`);
      } else if (field.constValue !== undefined) {
        note(length, "the constant, as required");
      } else if (t.elementSize !== undefined && count > 1) {
        if (!quiet) {
          push(w, pos, t.elementSize, depth, `${label}[0]`, `${t.elementSize} bytes`);
          push(w, pos + t.elementSize, length - t.elementSize, depth, `${label}${restOf(count)}`, `${count - 1} more of ${t.elementSize} bytes`);
        }
      } else note(length, `${length} bytes`);
      pos += length;
      continue;
    }
    // Integers, floats, enums, flags, bits: one element or an array of them.
    const base = t.kind === "int" ? t : t.kind === "enum" || t.kind === "flags" || t.kind === "bits" ? t.base : undefined;
    const read = (at: number) => (base === undefined ? 0n : readInt(w, at, element, base.signed, field));
    if (field.count === undefined) {
      const v = read(pos);
      values.set(field.name, v);
      if (field.constValue !== undefined) note(length, `${hex(v)}, the constant`);
      else note(length, formatScalar(field, v, pos, w));
    } else {
      const all = Array.from({ length: count }, (_, i) => read(pos + i * element));
      values.set(field.name, all);
      const shown = all.slice(0, 3).map((v, i) => formatScalar(field, v, pos + i * element, w));
      note(length, `${count} × ${t.kind === "int" ? t.name : t.kind === "float" ? t.name : (t as { name: string }).name}: ${shown.join("; ")}${count > 3 ? "; …" : ""}`);
    }
    pos += length;
  }
  return pos;
}

/** Reads a fixed struct's integer field straight from the bytes (for the header and the table). */
function intField(w: Walk, struct: StructDecl, name: string, at: number): bigint {
  const f = struct.fields.find((x) => x.name === name);
  const t = f?.type;
  const base = t?.kind === "int" ? t : t?.kind === "enum" || t?.kind === "flags" ? t.base : undefined;
  if (f === undefined || f.offset === undefined || base === undefined) throw new SampleMismatchError(`${struct.name} has no integer field ${name}`);
  return readInt(w, at + f.offset, base.size, base.signed, f);
}

/** One table entry of the sample, as the hex-dump page lists it. */
export interface SampleSection {
  readonly index: number;
  readonly section: SectionDecl | undefined;
  readonly type: bigint;
  readonly offset: number;
  readonly size: number;
  readonly entryCount: bigint;
  readonly entrySize: number;
  readonly crc: bigint;
}

/** What the walk of an image found: the dump's text, its lines, and the table's entries. */
export interface Annotation {
  readonly dump: string;
  readonly lines: readonly DumpLine[];
  readonly sections: readonly SampleSection[];
}

/** The section a table entry's type names, if known. */
function sectionOf(model: Model, type: bigint): SectionDecl | undefined {
  const id = Number(type & 0x7fff_ffffn);
  return model.sections.find((s) => s.id === id);
}

/** A table entry's fields, read straight from the bytes at `at`. */
function readEntry(w: Walk, model: Model, at: number, index: number): SampleSection & { readonly at: number } {
  const { entry } = model.container;
  const type = intField(w, entry, "type", at);
  return {
    index,
    at,
    type,
    section: sectionOf(model, type),
    offset: Number(intField(w, entry, "offset", at)),
    size: Number(intField(w, entry, "size", at)),
    entryCount: intField(w, entry, "entry_count", at),
    entrySize: Number(intField(w, entry, "entry_size", at)),
    crc: intField(w, entry, "crc", at),
  };
}

/** Walks one section's body at `start` with the layout the header selects; returns the lines it made. */
function walkBody(w: Walk, model: Model, headerValues: Values, e: SampleSection, start: number, emit: (l: DumpLine) => void, out: string[]): void {
  const name = e.section?.name ?? `unknown type ${hex(e.type)}`;
  if (e.size === 0) {
    out.push(`--- section #${e.index}: ${name} (type ${hex(e.type)}): empty body at ${hex(start)} ---`);
    return;
  }
  out.push(`--- section #${e.index}: ${name} (type ${hex(e.type)}): body of ${e.size} bytes at ${hex(start)} ---`);
  const section = e.section;
  if (section === undefined) {
    emit({ offset: start, length: e.size, depth: 0, label: "(unknown body)", value: `${e.size} bytes` });
    return;
  }
  const variant = section.variants.find((v) => v.when.every((c) => c.values.some((x) => BigInt(x.value) === (headerValues.get(c.field.name) as bigint | undefined))));
  if (variant === undefined) throw new SampleMismatchError(`no layout of ${name} matches the header`);
  const end = start + e.size;
  const walk: Walk = { ...w, entryCount: e.entryCount };
  let after = start;
  if (variant.body.kind === "struct") after = walkStruct(walk, variant.body.struct, start, end, 0, "", false);
  else if (variant.body.kind === "entries") {
    const s = variant.body.struct;
    const n = Number(e.entryCount);
    for (let i = 0; i < n; i++) {
      const from = after;
      if (i === 0) push(walk, after, variant.body.entrySize, 0, "[0]", n === 1 ? `${s.name}, the only entry` : `${s.name}, the first of ${n} entries`);
      after = walkStruct(walk, s, after, end, 1, `[${i}].`, i > 0);
      if (i === 1) push(walk, from, (after - from) * (n - 1), 0, restOf(n), `${n - 1} more ${s.name}, not annotated`);
    }
  }
  if (after !== end) throw new SampleMismatchError(`the ${name} body is ${e.size} bytes, its layout accounts for ${after - start}`);
  for (const l of w.lines.splice(0)) emit(l);
}

/** The all-ones table offset of a streamed image. */
const STREAMED_OFFSET = (1n << 64n) - 1n;

/**
 * Walks an image (seekable or streamed, either byte order) and returns its annotated dump and a
 * summary of its sections. Every byte must be placed by the specification: the header, the bodies
 * and the zero padding between them, and the table (seekable) or the entry before each body (streamed).
 */
export function annotateImage(model: Model, bytes: Uint8Array): Annotation {
  const { header, entry } = model.container;
  const byteOrder = header.fields.find((f) => f.name === "byte_order");
  if (byteOrder === undefined || byteOrder.offset === undefined || byteOrder.type.kind !== "enum") throw new SampleMismatchError("the header has no byte_order enum");
  const order = enumName(byteOrder.type, BigInt(bytes[byteOrder.offset] ?? 0));
  if (order !== "little" && order !== "big") throw new SampleMismatchError(`byte_order ${bytes[byteOrder.offset]} is neither little nor big`);
  const lines: DumpLine[] = [];
  const w: Walk = { bytes, view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), little: order === "little", lines, entryCount: 0n };
  const out: string[] = [];
  const all: DumpLine[] = [];
  const emit = (l: DumpLine) => {
    all.push(l);
    out.push(renderLine(bytes, l));
  };
  const flushLines = () => {
    for (const l of lines.splice(0)) emit(l);
  };
  const padding = (from: number, to: number, why: string) => {
    if (to > from) emit({ offset: from, length: to - from, depth: 0, label: "(padding)", value: `${zeros(to - from)} ${why}` });
  };

  out.push(`--- header: ${header.size} bytes at 0x0 ---`);
  const headerValues: Values = new Map();
  walkStruct(w, header, 0, header.size ?? bytes.length, 0, "", false, headerValues);
  flushLines();
  const headerSize = Number(intField(w, header, "header_size", 0));
  const tableOffset = intField(w, header, "section_table_offset", 0);
  const count = Number(intField(w, header, "section_count", 0));
  const stride = Number(intField(w, header, "section_entry_size", 0));
  if (headerSize !== header.size) throw new SampleMismatchError(`header_size is ${headerSize}, the schema's header is ${header.size} bytes`);

  if (tableOffset === STREAMED_OFFSET) {
    // Streamed: zeros to 8 after the header, then entry, body and zeros to 8 per section, the end entry last.
    const sections: SampleSection[] = [];
    let pos = headerSize;
    for (let index = 0; ; index++) {
      const next = Math.ceil(pos / 8) * 8;
      padding(pos, next, "up to a multiple of 8");
      pos = next;
      if (pos + stride > bytes.length) throw new SampleMismatchError(`the stream ends at ${hex(bytes.length)}, before entry #${index}`);
      const e = readEntry(w, model, pos, index);
      sections.push(e);
      out.push(`--- entry #${index}: ${e.section?.name ?? "unknown type"} ---`);
      w.lines.push({ offset: pos, length: stride, depth: 0, label: `entry #${index}`, value: e.section?.name ?? "unknown type" });
      walkStruct(w, entry, pos, pos + stride, 1, "", false);
      flushLines();
      pos += stride;
      if (e.section === model.container.end) break;
      walkBody(w, model, headerValues, e, pos, emit, out);
      pos += e.size;
    }
    if (pos !== bytes.length) throw new SampleMismatchError(`the end entry ends at ${hex(pos)}, the stream at ${hex(bytes.length)}`);
    out.push(`--- end of stream: ${bytes.length} bytes ---`);
    return { dump: out.join("\n"), lines: all, sections };
  }

  const table = Number(tableOffset);
  const entries = Array.from({ length: count }, (_, index) => readEntry(w, model, table + index * stride, index));
  let pos = headerSize;
  for (const e of [...entries].sort((a, b) => a.offset - b.offset || a.index - b.index)) {
    const name = e.section?.name ?? `unknown type ${hex(e.type)}`;
    if (e.offset > pos) {
      padding(pos, e.offset, "up to the next body's alignment");
      pos = e.offset;
    }
    if (e.offset !== pos) throw new SampleMismatchError(`${name} starts at ${hex(e.offset)}, inside what came before (${hex(pos)})`);
    walkBody(w, model, headerValues, e, e.offset, emit, out);
    pos = e.offset + e.size;
  }
  if (table > pos) {
    padding(pos, table, "up to the table's 8-byte alignment");
    pos = table;
  }
  if (table !== pos) throw new SampleMismatchError(`the table starts at ${hex(table)}, inside the last body (which ends at ${hex(pos)})`);
  out.push(`--- section table: ${count} entries of ${stride} bytes at ${hex(table)} ---`);
  for (const e of entries) {
    w.lines.push({ offset: e.at, length: stride, depth: 0, label: `entry #${e.index}`, value: e.section?.name ?? "unknown type" });
    walkStruct(w, entry, e.at, e.at + stride, 1, "", false);
    flushLines();
  }
  const end = table + count * stride;
  if (end !== bytes.length) throw new SampleMismatchError(`the table ends at ${hex(end)}, the image at ${hex(bytes.length)}`);
  out.push(`--- end of image: ${bytes.length} bytes ---`);
  return { dump: out.join("\n"), lines: all, sections: entries };
}

/** `00000098  04 00 00 00 … 16 bytes   header_size = 152`. */
function renderLine(bytes: Uint8Array, line: DumpLine): string {
  const shown = Math.min(line.length, SHOWN);
  const hexBytes = Array.from(bytes.subarray(line.offset, line.offset + shown), (b) => b.toString(16).padStart(2, "0")).join(" ");
  const more = line.length > SHOWN ? " …" : "";
  const column = `${hexBytes}${more}`.padEnd(SHOWN * 3 + 1);
  const label = `${"  ".repeat(line.depth)}${line.label}`;
  const value = line.value === undefined ? "" : ` = ${line.value}`;
  const size = line.length > SHOWN ? ` [${line.length} bytes]` : "";
  return `${line.offset.toString(16).padStart(8, "0")}  ${column} ${label}${value}${size}`.trimEnd();
}

/** One sample's part of the page: what it is, how it was made, its sections and its annotated bytes. */
function sampleBlocks(model: Model, sample: SampleImage, number: number): Block[] {
  const { dump, sections } = annotateImage(model, sample.bytes);
  const streamed = sample.layout === "streamed";
  return [
    heading(2, `${number}. ${sample.title}`, sample.id),
    para(`${sample.about} ${sample.bytes.length} bytes in all, made by:`),
    { kind: "pre", className: "code", text: sample.recipe },
    para(streamed ? "Its sections, in the order of the stream (a streamed entry's offset is the all-ones sentinel):" : "Its sections, as the table lists them:"),
    {
      kind: "table",
      head: [["#"], ["Section"], ["Type field"], ["Offset"], ["Size"], ["entry_count × entry_size"], ["CRC32C"]],
      rows: sections.map((s) => ({
        cells: [
          [String(s.index)],
          s.section === undefined ? ["unknown"] : [link([code(s.section.name)], sectionPageId(s.section))],
          [code(`0x${s.type.toString(16).padStart(8, "0")}`)],
          [streamed ? "all ones" : `0x${s.offset.toString(16)}`],
          [String(s.size)],
          [s.entrySize === 0 ? "—" : `${s.entryCount} × ${s.entrySize}`],
          [code(`0x${s.crc.toString(16).padStart(8, "0")}`)],
        ] as Text[],
      })),
    },
    { kind: "pre", className: "hexdump", text: dump },
  ];
}

/** The hex-dump page: one part per sample image. */
export function hexDumpPage(model: Model, samples: readonly SampleImage[]): Page {
  const blocks: Block[] = [
    para(
      `Small images made by the reference encoder when these pages were generated, each walked byte by byte with nothing but this specification: the header, then (seekable) each section body in file order with the zero padding between them and the section table, or (streamed) each entry followed by its body and the zero padding to 8. A byte the walk cannot place stops the generation, so every byte of these images is accounted for. The samples: `,
      ...joinText(samples.map((s, i): Text => [link(`${i + 1}. ${s.title}`, undefined, s.id)]), ", "),
      ".",
    ),
    para(
      "Each line is one field: its offset in the file (hex), up to 16 of its bytes (a field longer than that shows its first 16 and its size), its name, and its value as a reader decodes it. Nested structs are indented; of an array of structs only the first element is spelled out. In a big-endian image the fields marked “header” in the field tables show their bytes most significant first, and the hypervisor's structures stay little-endian.",
    ),
    ...samples.flatMap((s, i) => sampleBlocks(model, s, i + 1)),
  ];
  return { id: "hex-dump", title: "Annotated hex dumps of sample images", navLabel: "Sample images", group: "format", blocks };
}
