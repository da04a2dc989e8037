import { ByteReader, enumName, hex, renderLine, restOf, Schema, structLines, walkSectionBody, walkStruct, XenImageError, zeros, type DumpLine, type EnumType, type Section, type WalkNode } from "xenimage/reflect";
import type { Model, SectionDecl } from "../../model/model.js";
import { describeModel } from "../schema-model.js";
import { code, link, para, type Block, type Page, type Text } from "./doc-tree.js";
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
  readonly bytes: Uint8Array;
  /** How it was made, in a sentence or two. */
  readonly recipe: string;
}

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
  const tableOffset = Number(h.value.sectionTableOffset);
  const count = Number(h.value.sectionCount);
  const stride = Number(h.value.sectionEntrySize);
  if (headerSize !== header.size) throw new SampleMismatchError(`header_size is ${headerSize}, the schema's header is ${header.size} bytes`);

  const entries = Array.from({ length: count }, (_, index) => {
    const at = tableOffset + index * stride;
    const e = walk(`table entry #${index}`, () => walkStruct(entryStruct, reader(at, at + stride)));
    const type = BigInt(e.value.type as number);
    const section: Section | undefined = schema.sectionById(Number(type & 0x7fff_ffffn));
    return {
      index,
      at,
      nodes: e.nodes,
      type,
      section,
      offset: Number(e.value.offset),
      size: Number(e.value.size),
      entryCount: e.value.entryCount as bigint,
      entrySize: Number(e.value.entrySize),
      crc: BigInt(e.value.crc as number),
    };
  });

  let pos = headerSize;
  for (const e of [...entries].sort((a, b) => a.offset - b.offset || a.index - b.index)) {
    const name = e.section?.name ?? `unknown type ${hex(e.type)}`;
    if (e.offset > pos) {
      emit([{ offset: pos, length: e.offset - pos, depth: 0, label: "(padding)", value: `${zeros(e.offset - pos)} up to the next body's alignment` }]);
      pos = e.offset;
    }
    if (e.offset !== pos) throw new SampleMismatchError(`${name} starts at ${hex(e.offset)}, inside what came before (${hex(pos)})`);
    if (e.size === 0) {
      out.push(`--- section #${e.index}: ${name} (type ${hex(e.type)}): empty body at ${hex(e.offset)} ---`);
      continue;
    }
    out.push(`--- section #${e.index}: ${name} (type ${hex(e.type)}): body of ${e.size} bytes at ${hex(e.offset)} ---`);
    const section = e.section;
    if (section === undefined) {
      emit([{ offset: pos, length: e.size, depth: 0, label: "(unknown body)", value: `${e.size} bytes` }]);
    } else {
      if (schema.variantFor(section, h.value) === undefined) throw new SampleMismatchError(`no layout of ${name} matches the header`);
      const r = reader(e.offset, e.offset + e.size);
      const body = walk(name, () => {
        const result = walkSectionBody(section, r, { header: h.value, entryCount: e.entryCount, entrySize: e.entrySize });
        r.expectEnd();
        return result;
      });
      const lines: DumpLine[] = [];
      const variant = schema.variantFor(section, h.value)!;
      if (variant.body.kind === "entries") {
        const s = variant.body.struct;
        const n = body.nodes.length;
        if (n > 0) {
          lines.push({ offset: e.offset, length: variant.body.entrySize, depth: 0, label: "[0]", value: n === 1 ? `${s.name}, the only entry` : `${s.name}, the first of ${n} entries` });
          structLines(body.nodes[0]!.children ?? [], 1, "[0].", lines);
          if (n > 1) lines.push({ offset: body.nodes[1]!.offset, length: e.offset + e.size - body.nodes[1]!.offset, depth: 0, label: restOf(n), value: `${n - 1} more ${s.name}, not annotated` });
        }
      } else structLines(body.nodes, 0, "", lines);
      emit(lines);
    }
    pos = e.offset + e.size;
  }
  if (tableOffset > pos) {
    emit([{ offset: pos, length: tableOffset - pos, depth: 0, label: "(padding)", value: `${zeros(tableOffset - pos)} up to the table's 8-byte alignment` }]);
    pos = tableOffset;
  }
  if (tableOffset !== pos) throw new SampleMismatchError(`the table starts at ${hex(tableOffset)}, inside the last body (which ends at ${hex(pos)})`);
  out.push(`--- section table: ${count} entries of ${stride} bytes at ${hex(tableOffset)} ---`);
  for (const e of entries) {
    const lines: DumpLine[] = [{ offset: e.at, length: stride, depth: 0, label: `entry #${e.index}`, value: e.section?.name ?? "unknown type" }];
    structLines(e.nodes, 1, "", lines);
    emit(lines);
  }
  const end = tableOffset + count * stride;
  if (end !== bytes.length) throw new SampleMismatchError(`the table ends at ${hex(end)}, the image at ${hex(bytes.length)}`);
  out.push(`--- end of image: ${bytes.length} bytes ---`);
  const decl = (s: Section | undefined) => (s === undefined ? undefined : model.sections.find((x) => x.name === s.name));
  return {
    dump: out.join("\n"),
    lines: all,
    sections: entries.map((e) => ({ index: e.index, section: decl(e.section), type: e.type, offset: e.offset, size: e.size, entryCount: e.entryCount, entrySize: e.entrySize, crc: e.crc })),
  };
}

/** The hex-dump page. */
export function hexDumpPage(model: Model, sample: SampleImage): Page {
  const { dump, sections } = annotateImage(model, sample.bytes);
  const blocks: Block[] = [
    para(
      `A small image made from these schemas when these pages were generated, ${sample.bytes.length} bytes in all, walked byte by byte with nothing but this specification: the header, each section body in file order with the zero padding between them, then the section table. ${sample.recipe}`,
    ),
    para("Its sections, as the table lists them:"),
    {
      kind: "table",
      head: [["#"], ["Section"], ["Type field"], ["Offset"], ["Size"], ["entry_count × entry_size"], ["CRC32C"]],
      rows: sections.map((s) => ({
        cells: [
          [String(s.index)],
          s.section === undefined ? ["unknown"] : [link([code(s.section.name)], sectionPageId(s.section))],
          [code(`0x${s.type.toString(16).padStart(8, "0")}`)],
          [`0x${s.offset.toString(16)}`],
          [String(s.size)],
          [s.entrySize === 0 ? "—" : `${s.entryCount} × ${s.entrySize}`],
          [code(`0x${s.crc.toString(16).padStart(8, "0")}`)],
        ] as Text[],
      })),
    },
    para(
      "Each line is one field: its offset in the file (hex), up to 16 of its bytes (a field longer than that shows its first 16 and its size), its name, and its value as a reader decodes it. Nested structs are indented; of an array of structs only the first element is spelled out.",
    ),
    { kind: "pre", className: "hexdump", text: dump },
  ];
  return { id: "hex-dump", title: "Annotated hex dump of a sample image", navLabel: "Sample image", group: "format", blocks };
}
