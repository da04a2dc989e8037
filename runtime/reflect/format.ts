import { decodeContainer, encodeContainer, type ContainerFormat, type ContainerHeader, type ContainerImage, type KnownSectionBase } from "../container.js";
import { EncodeError } from "../errors.js";
import type { ImageRuleData } from "../rules.js";
import type { EntryLayout } from "../section-table.js";
import type { SectionCodec } from "../section-codec.js";
import { encodeStream } from "../stream-encoder.js";
import { arrayEntrySize, decodeSectionBody, decodeStruct, encodeSectionBody, encodeStruct, isArraySection } from "./codec.js";
import type { Schema, Section, StructType } from "./schema.js";

/**
 * The image container of a schema, driven by reflection: the same {@link ContainerFormat} the generator
 * emits as `imageFormat`, with reflective codecs in place of generated ones. The runtime's container,
 * stream and file code takes it as it takes the generated one, so an image can be encoded, decoded,
 * streamed and checked with nothing but the schema model.
 */

const ENTRY_ROLES = ["type", "flags", "offset", "size", "entry_count", "entry_size", "align", "crc", "entry_crc"];

/** A section codec that reflects over the model. */
export function reflectSectionCodec(section: Section): SectionCodec<unknown, object> {
  return {
    name: section.name,
    id: section.id,
    optional: section.optional,
    align: section.align,
    since: section.since,
    decode: (r, ctx) => decodeSectionBody(section, r, ctx),
    encode: (w, body, header) => encodeSectionBody(section, w, body, header),
    isArray: (header) => isArraySection(section, header),
    arrayEntrySize: (header) => arrayEntrySize(section, header),
  };
}

/** The magic a container's header opens with: its first field, a byte-list constant. */
function magicOf(header: StructType): Uint8Array {
  const first = header.fields[0];
  if (first === undefined || !Array.isArray(first.constValue)) throw new EncodeError("invalid-schema", `schema model: ${header.name} does not start with a magic`);
  return Uint8Array.from(first.constValue as number[]);
}

function fieldOffset(struct: StructType, name: string): number {
  const f = struct.fields.find((x) => x.name === name);
  if (f?.offset === undefined) throw new EncodeError("invalid-schema", `schema model: ${struct.name} has no field ${name} at a fixed offset`);
  return f.offset;
}

/** Where the entry's role fields are, when a byte-offset check can stand in for decoding (as the generator decides). */
function entryLayout(entry: StructType): EntryLayout | undefined {
  const offsets: Record<string, number> = {};
  const zeros: [number, number][] = [];
  for (const f of entry.fields) {
    const t = f.type;
    if (ENTRY_ROLES.includes(f.name)) {
      if (f.endian !== "context" || f.constValue !== undefined || f.offset === undefined) return undefined;
      // The entry CRC's place is the format's crcOffset, as in the generated descriptor.
      if (f.name !== "entry_crc") offsets[f.property] = f.offset;
    } else if (t.kind === "pad" || t.kind === "align" || (f.reserved !== undefined && f.constValue === undefined)) {
      if (f.reserved === "check" && f.size! > 0) zeros.push([f.offset!, f.size!]);
    } else return undefined;
  }
  return { ...offsets, zeros } as unknown as EntryLayout;
}

/** The container format of a schema that describes an image container. */
export function reflectFormat<H extends ContainerHeader = ContainerHeader>(schema: Schema): ContainerFormat<H> {
  const c = schema.container;
  if (c === undefined) throw new EncodeError("invalid-schema", "schema model: these schemas describe no image container");
  const byteOrder = c.header.fields.find((f) => f.name === "byte_order");
  const order = byteOrder?.type.kind === "enum" ? byteOrder.type.values : [];
  const value = (name: string) => {
    const v = order.find((x) => x.name === name)?.value;
    if (typeof v !== "number") throw new EncodeError("invalid-schema", `schema model: byte_order has no value ${name}`);
    return v;
  };
  const layout = entryLayout(c.entry);
  return {
    version: c.version,
    header: {
      size: c.header.size!,
      decode: (r) => decodeStruct(c.header, r) as unknown as H,
      encode: (w, v) => encodeStruct(c.header, w, v),
      byteOrderOffset: fieldOffset(c.header, "byte_order"),
      littleEndian: value("little"),
      bigEndian: value("big"),
      crcOffset: fieldOffset(c.header, "header_crc"),
      magic: magicOf(c.header),
      offsets: {
        formatVersion: fieldOffset(c.header, "format_version"),
        headerSize: fieldOffset(c.header, "header_size"),
        sectionTableOffset: fieldOffset(c.header, "section_table_offset"),
        sectionCount: fieldOffset(c.header, "section_count"),
        sectionEntrySize: fieldOffset(c.header, "section_entry_size"),
      },
    },
    entry: {
      size: c.entry.size!,
      decode: (r) => decodeStruct(c.entry, r) as never,
      encode: (w, v) => encodeStruct(c.entry, w, v),
      crcOffset: fieldOffset(c.entry, "entry_crc"),
      crcSince: c.entryCrcSince,
      ...(layout === undefined ? {} : { layout }),
    },
    endId: c.end.id,
    sections: schema.sections.map(reflectSectionCodec) as SectionCodec<unknown, H>[],
  };
}

/** The image-type rules of a schema, as the runtime's verifier takes them. */
export function reflectRules(schema: Schema): ImageRuleData[] {
  return schema.rules.map((rule) => ({
    name: rule.name,
    when: rule.when.map((c) => ({ field: c.field.property, schemaField: c.field.name, values: c.values.map((v) => v.value), ...(c.field.offset === undefined ? {} : { offset: c.field.offset }) })),
    sections: Object.fromEntries(rule.sections.map((p) => [p.section.name, p.presence])),
    order: rule.order.map((g) => g.map((s) => s.name)),
    ...(rule.phases === undefined ? {} : { phases: { marker: rule.phases.marker.name, sections: rule.phases.sections.map((s) => s.name) } }),
  }));
}

const formats = new WeakMap<Schema, ContainerFormat<ContainerHeader>>();

/** The schema's container format, built once per schema. */
function formatOf(schema: Schema): ContainerFormat<ContainerHeader> {
  let f = formats.get(schema);
  if (f === undefined) formats.set(schema, (f = reflectFormat(schema)));
  return f;
}

/** Encodes an image (header and sections, as `encodeImage` takes them) with nothing but the schema model. */
export function encodeReflectedImage(schema: Schema, image: { readonly header: object; readonly sections: readonly { readonly type: string }[] }): Uint8Array {
  return encodeContainer(formatOf(schema), image as never);
}

/** Encodes an image in the streamed layout with nothing but the schema model, as `encodeStream` writes it, into one buffer. */
export async function encodeReflectedStream(schema: Schema, image: { readonly header: object; readonly sections: readonly { readonly type: string }[] }): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of encodeStream(formatOf(schema), image.header as never, image.sections as never)) chunks.push(chunk.slice());
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** Decodes a seekable image held in memory with nothing but the schema model, as `decodeImage` does. */
export function decodeReflectedImage(schema: Schema, bytes: Uint8Array): ContainerImage<Record<string, unknown>, KnownSectionBase> {
  return decodeContainer(formatOf(schema), bytes) as unknown as ContainerImage<Record<string, unknown>, KnownSectionBase>;
}
