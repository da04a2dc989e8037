import {
  ByteReader,
  enumName,
  hex,
  renderLine,
  restOf,
  Schema,
  structLines,
  walkSectionBody,
  walkStruct,
  XenImageError,
  zeros,
  type DumpLine,
  type EnumType,
  type Section,
  type WalkNode,
} from "xenimage/reflect";
import type { Model, SectionDecl } from "../../model/model.js";
import { describeModel } from "../schema-model.js";
import { code, heading, joinText, link, para, type Block, type Page, type Text } from "./doc-tree.js";
import { sectionPageId } from "./rules-page.js";

/**
 * The annotated hex dump of a small image. The bytes are walked with the schema model alone, through
 * the runtime's reflection (the model as generated code embeds it, never the generated codecs), the
 * way a reader with only this specification would: header, each body in file order (with the padding
 * between them), then the table. A byte the walk cannot place is an error, so the dump is also a
 * check that the specification accounts for every byte of the image.
 */

/** A sample image and how it was made (shown on the page). */
export interface SampleImage {
  /** Its anchor on the page. */
  readonly id: string;
  readonly title: string;
  readonly layout: "seekable" | "streamed";
  readonly bytes: Uint8Array;
  /** How it was made, in a sentence or two. */
  readonly recipe: string;
}

// The annotated-hex helpers are the runtime's (`xenimage annotate` renders with the same ones).
export type { DumpLine } from "xenimage/reflect";

/** Raised when the bytes do not follow the schemas. */
export class SampleMismatchError extends Error {
  constructor(message: string) {
    super(`the sample image does not follow the schemas: ${message}`);
    this.name = "SampleMismatchError";
  }
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

/** Walks a struct at `at` with the reflective decoder; a failure is a {@link SampleMismatchError} naming what. */
function walk(what: string, run: () => { value: unknown; nodes: WalkNode[] }): { value: Record<string, unknown>; nodes: WalkNode[] } {
  try {
    const { value, nodes } = run();
    return { value: value as Record<string, unknown>, nodes };
  } catch (e) {
    if (e instanceof XenImageError) throw new SampleMismatchError(`${what}: ${e.message}`);
    throw e;
  }
}

/** Walks an image with the schema model and returns its annotated dump and a summary of its sections. */
export function annotateImage(model: Model, bytes: Uint8Array): Annotation {
  return annotateWith(Schema.fromJson(describeModel(model)), model, bytes);
}

/** {@link annotateImage} with the model already resolved for reflection. */
export function annotateWith(schema: Schema, model: Model, bytes: Uint8Array): Annotation {
  const container = schema.container!;
  const header = container.header;
  const entryStruct = container.entry;
  const byteOrder = header.fields.find((f) => f.name === "byte_order")!;
  const orderType = byteOrder.type as EnumType;
  const order = enumName(orderType, bytes[byteOrder.offset!] ?? 0);
  if (order !== "little" && order !== "big") throw new SampleMismatchError(`byte_order ${bytes[byteOrder.offset!]} is neither little nor big`);
  const littleEndian = order === "little";
  const reader = (from: number, to: number) => {
    if (from > to || to > bytes.length) throw new SampleMismatchError(`${hex(from)}…${hex(to)} runs past the end of the image (${hex(bytes.length)})`);
    return new ByteReader(bytes.subarray(from, to), { littleEndian, base: from });
  };
  const out: string[] = [];
  const all: DumpLine[] = [];
  const emit = (lines: readonly DumpLine[]) => {
    for (const l of lines) {
      all.push(l);
      out.push(renderLine(bytes, l));
    }
  };

  out.push(`--- header: ${header.size} bytes at 0x0 ---`);
  const h = walk("header", () => walkStruct(header, reader(0, header.size!)));
  const headerLines: DumpLine[] = [];
  structLines(h.nodes, 0, "", headerLines);
  emit(headerLines);
  const headerSize = Number(h.value.headerSize);
  const count = Number(h.value.sectionCount);
  const stride = Number(h.value.sectionEntrySize);
  if (headerSize !== header.size) throw new SampleMismatchError(`header_size is ${headerSize}, the schema's header is ${header.size} bytes`);
  const decl = (s: Section | undefined) => (s === undefined ? undefined : model.sections.find((x) => x.name === s.name));
  const summary = (e: WalkedEntry): SampleSection => ({ index: e.index, section: decl(e.section), type: e.type, offset: e.offset, size: e.size, entryCount: e.entryCount, entrySize: e.entrySize, crc: e.crc });

  /** Walks the table entry at `at`. */
  const walkEntry = (at: number, index: number): WalkedEntry => {
    const e = walk(`table entry #${index}`, () => walkStruct(entryStruct, reader(at, at + stride)));
    const type = BigInt(e.value.type as number);
    return {
      index,
      at,
      nodes: e.nodes,
      type,
      section: schema.sectionById(Number(type & 0x7fff_ffffn)),
      offset: e.value.offset === STREAMED ? -1 : Number(e.value.offset),
      size: Number(e.value.size),
      entryCount: e.value.entryCount as bigint,
      entrySize: Number(e.value.entrySize),
      crc: BigInt(e.value.crc as number),
    };
  };
  const entryLines = (e: WalkedEntry) => {
    const lines: DumpLine[] = [{ offset: e.at, length: stride, depth: 0, label: `entry #${e.index}`, value: e.section?.name ?? "unknown type" }];
    structLines(e.nodes, 1, "", lines);
    emit(lines);
  };
  /** Walks entry `e`'s body at `start` with the layout the header selects. */
  const bodyLines = (e: WalkedEntry, start: number) => {
    const name = e.section?.name ?? `unknown type ${hex(e.type)}`;
    if (e.size === 0) {
      out.push(`--- section #${e.index}: ${name} (type ${hex(e.type)}): empty body at ${hex(start)} ---`);
      return;
    }
    out.push(`--- section #${e.index}: ${name} (type ${hex(e.type)}): body of ${e.size} bytes at ${hex(start)} ---`);
    const section = e.section;
    if (section === undefined) {
      emit([{ offset: start, length: e.size, depth: 0, label: "(unknown body)", value: `${e.size} bytes` }]);
      return;
    }
    const variant = schema.variantFor(section, h.value);
    if (variant === undefined) throw new SampleMismatchError(`no layout of ${name} matches the header`);
    const r = reader(start, start + e.size);
    const body = walk(name, () => {
      const result = walkSectionBody(section, r, { header: h.value, entryCount: e.entryCount, entrySize: e.entrySize });
      r.expectEnd();
      return result;
    });
    const lines: DumpLine[] = [];
    if (variant.body.kind === "entries") {
      const s = variant.body.struct;
      const n = body.nodes.length;
      if (n > 0) {
        lines.push({ offset: start, length: variant.body.entrySize, depth: 0, label: "[0]", value: n === 1 ? `${s.name}, the only entry` : `${s.name}, the first of ${n} entries` });
        structLines(body.nodes[0]!.children ?? [], 1, "[0].", lines);
        if (n > 1) lines.push({ offset: body.nodes[1]!.offset, length: start + e.size - body.nodes[1]!.offset, depth: 0, label: restOf(n), value: `${n - 1} more ${s.name}, not annotated` });
      }
    } else structLines(body.nodes, 0, "", lines);
    emit(lines);
  };
  const padding = (from: number, to: number, why: string) => {
    if (to > from) emit([{ offset: from, length: to - from, depth: 0, label: "(padding)", value: `${zeros(to - from)} ${why}` }]);
  };

  if (h.value.sectionTableOffset === STREAMED) {
    // Streamed: zeros to 8 after the header; then each section's entry, its body and zeros to 8; the end entry last.
    const walked: WalkedEntry[] = [];
    let pos = headerSize;
    for (let index = 0; ; index++) {
      const next = Math.ceil(pos / 8) * 8;
      padding(pos, next, "up to a multiple of 8");
      pos = next;
      const e = walkEntry(pos, index);
      walked.push(e);
      out.push(`--- entry #${index}: ${e.section?.name ?? "unknown type"} ---`);
      entryLines(e);
      pos += stride;
      if (e.section === container.end) break;
      bodyLines(e, pos);
      pos += e.size;
    }
    if (pos !== bytes.length) throw new SampleMismatchError(`the end entry ends at ${hex(pos)}, the stream at ${hex(bytes.length)}`);
    out.push(`--- end of stream: ${bytes.length} bytes ---`);
    return { dump: out.join("\n"), lines: all, sections: walked.map(summary) };
  }

  const tableOffset = Number(h.value.sectionTableOffset);
  const entries = Array.from({ length: count }, (_, index) => walkEntry(tableOffset + index * stride, index));
  let pos = headerSize;
  for (const e of [...entries].sort((a, b) => a.offset - b.offset || a.index - b.index)) {
    const name = e.section?.name ?? `unknown type ${hex(e.type)}`;
    if (e.offset > pos) {
      padding(pos, e.offset, "up to the next body's alignment");
      pos = e.offset;
    }
    if (e.offset !== pos) throw new SampleMismatchError(`${name} starts at ${hex(e.offset)}, inside what came before (${hex(pos)})`);
    bodyLines(e, e.offset);
    pos = e.offset + e.size;
  }
  if (tableOffset > pos) {
    padding(pos, tableOffset, "up to the table's 8-byte alignment");
    pos = tableOffset;
  }
  if (tableOffset !== pos) throw new SampleMismatchError(`the table starts at ${hex(tableOffset)}, inside the last body (which ends at ${hex(pos)})`);
  out.push(`--- section table: ${count} entries of ${stride} bytes at ${hex(tableOffset)} ---`);
  for (const e of entries) entryLines(e);
  const end = tableOffset + count * stride;
  if (end !== bytes.length) throw new SampleMismatchError(`the table ends at ${hex(end)}, the image at ${hex(bytes.length)}`);
  out.push(`--- end of image: ${bytes.length} bytes ---`);
  return { dump: out.join("\n"), lines: all, sections: entries.map(summary) };
}

/** A table entry as the walk read it. */
interface WalkedEntry {
  readonly index: number;
  /** Where the entry is. */
  readonly at: number;
  readonly nodes: WalkNode[];
  readonly type: bigint;
  readonly section: Section | undefined;
  /** Where its body is (-1 in a stream, where the body follows the entry). */
  readonly offset: number;
  readonly size: number;
  readonly entryCount: bigint;
  readonly entrySize: number;
  readonly crc: bigint;
}

/** The all-ones table offset of a streamed image. */
const STREAMED = (1n << 64n) - 1n;

/** One sample's part of the page: what it is, how it was made, its sections and its annotated bytes. */
function sampleBlocks(model: Model, sample: SampleImage, number: number): Block[] {
  const { dump, sections } = annotateImage(model, sample.bytes);
  const streamed = sample.layout === "streamed";
  return [
    heading(2, `${number}. ${sample.title}`, sample.id),
    para(`${sample.bytes.length} bytes. ${sample.recipe}`),
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
      "Small images made from these schemas when these pages were generated, each walked byte by byte with nothing but this specification: the header, then, in a seekable image, each section body in file order with the zero padding between them and the section table, or, in a stream, each entry followed by its body and the zero padding to 8. A byte the walk cannot place stops the generation, so every byte of these images is accounted for. The samples: ",
      ...joinText(samples.map((s, i): Text => [link(`${i + 1}. ${s.title}`, undefined, s.id)]), ", "),
      ".",
    ),
    para(
      "Each line is one field: its offset in the file (hex), up to 16 of its bytes (a field longer than that shows its first 16 and its size), its name, and its value as a reader decodes it. Nested structs are indented; of an array of structs only the first element is spelled out. In a big-endian image the fields marked “header” in the field tables show their most significant byte first, and the hypervisor's structures stay little-endian.",
    ),
    ...samples.flatMap((s, i) => sampleBlocks(model, s, i + 1)),
  ];
  return { id: "hex-dump", title: "Annotated hex dumps of sample images", navLabel: "Sample images", group: "format", blocks };
}
