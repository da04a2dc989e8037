import { ByteReader } from "./byte-reader.js";
import { ByteWriter } from "./byte-writer.js";
import { crc32c } from "./crc32c.js";
import { DecodeError, EncodeError, hex, XenImageError } from "./errors.js";
import type { EntryShape, SectionCodec } from "./section-codec.js";

/** The header fields the container reads and fills in; the generator checks the schema declares them. */
export interface ContainerHeader {
  byteOrder: number;
  formatVersion: number;
  headerSize: number;
  sectionTableOffset: bigint;
  sectionCount: number;
  sectionEntrySize: number;
  headerCrc: number;
}

/** One section-table entry, as the schema's entry struct declares it. */
export interface TableEntry {
  type: number;
  flags: number;
  offset: bigint;
  size: bigint;
  entryCount: bigint;
  entrySize: number;
  align: number;
  crc: number;
}

/** Header fields the writer computes; callers leave them out. */
export type ManagedHeaderField = keyof ContainerHeader;
/** What a caller supplies as a header: everything but the fields the writer computes. */
export type HeaderInit<H> = Omit<H, Exclude<ManagedHeaderField, "byteOrder">> & { byteOrder?: number };

/** Bit 31 of a section type: a reader may skip the section if it does not know the type. */
export const OPTIONAL_BIT = 0x8000_0000;
/** The offset a streamed image puts where a seekable one has the table offset (and entry offsets). */
export const STREAMED = 0xffff_ffff_ffff_ffffn;

/** A section of a type this version does not know, kept byte for byte. */
export interface UnknownSection {
  readonly type: "unknown";
  /** The type id without the optional bit. */
  readonly id: number;
  readonly optional: boolean;
  readonly flags: number;
  readonly entryCount: bigint;
  readonly entrySize: number;
  readonly align: number;
  readonly bytes: Uint8Array;
}

/** A section of a known type: its name and decoded body. */
export interface KnownSectionBase {
  readonly type: string;
  readonly body: unknown;
  /** Table flags; 0 when absent. */
  readonly flags?: number;
}

/** An image in memory. */
export interface ContainerImage<H, S extends KnownSectionBase> {
  readonly header: H;
  /** The sections in file order, without the end section (the writer adds it). */
  readonly sections: readonly (S | UnknownSection)[];
}

/** A struct codec the generator emitted. */
export interface StructCodec<T> {
  readonly size: number;
  decode(r: ByteReader): T;
  encode(w: ByteWriter, v: T): void;
}

/** Everything the container needs to know about a format, emitted by the generator from the schemas. */
export interface ContainerFormat<H extends ContainerHeader> {
  readonly version: number;
  readonly header: StructCodec<H> & {
    /** Where the byte_order byte is, and which values mean little and big. */
    readonly byteOrderOffset: number;
    readonly littleEndian: number;
    readonly bigEndian: number;
    /** Where header_crc is, so the CRC can be computed with it taken as zero. */
    readonly crcOffset: number;
  };
  readonly entry: StructCodec<TableEntry>;
  /** The end section's type id. */
  readonly endId: number;
  readonly sections: readonly SectionCodec<any, H>[];
}

function codecById<H extends ContainerHeader>(format: ContainerFormat<H>): Map<number, SectionCodec<unknown, H>> {
  return new Map(format.sections.map((c) => [c.id, c]));
}

function sectionLabel(name: string, index: number): string {
  return `${name} #${index}`;
}

/** The CRC32C of a header: its bytes with the CRC field taken as zero. */
function headerCrc(bytes: Uint8Array, crcOffset: number): number {
  const copy = bytes.slice();
  copy.fill(0, crcOffset, crcOffset + 4);
  return crc32c(copy);
}

/** Rounds `n` up to a multiple of `alignment` (a power of two). */
export function alignUp(n: number, alignment: number): number {
  return Math.ceil(n / alignment) * alignment;
}

/**
 * Encodes an image in the seekable layout: header, section bodies (each at its alignment), the end
 * section, then the table, whose offset is patched into the header with every size, count and CRC.
 */
export function encodeContainer<H extends ContainerHeader, S extends KnownSectionBase>(
  format: ContainerFormat<H>,
  image: { readonly header: HeaderInit<H>; readonly sections: readonly (S | UnknownSection)[] },
): Uint8Array {
  const littleEndian = (image.header.byteOrder ?? format.header.littleEndian) !== format.header.bigEndian;
  const byteOrder = littleEndian ? format.header.littleEndian : format.header.bigEndian;
  const draft = { ...image.header, byteOrder, formatVersion: format.version, headerSize: format.header.size } as H;
  const w = new ByteWriter({ littleEndian, initialCapacity: 1 << 16 });
  w.zeros(format.header.size);
  const byName = new Map(format.sections.map((c) => [c.name, c]));
  const knownIds = codecById(format);
  const entries: TableEntry[] = [];
  image.sections.forEach((section, index) => {
    const label = sectionLabel(section.type === "unknown" ? `type ${hex((section as UnknownSection).id)}` : section.type, index);
    try {
      if (section.type === "unknown") {
        const raw = section as UnknownSection;
        if (knownIds.has(raw.id)) {
          w.fail(`section type ${hex(raw.id)} is known; give it as a decoded section`);
        }
        w.alignTo(raw.align);
        const start = w.pos;
        w.bytes(raw.bytes);
        entries.push(entryFor(raw.id | (raw.optional ? OPTIONAL_BIT : 0), raw.flags, start, w, raw, raw.align));
        return;
      }
      const known = section as S;
      const codec = byName.get(known.type);
      if (codec === undefined || codec.id === format.endId) {
        throw new EncodeError("unknown-section", `unknown section type "${known.type}"`, { offset: w.pos });
      }
      w.alignTo(codec.align);
      const start = w.pos;
      const shape = codec.encode(w, known.body, draft);
      entries.push(entryFor(codec.id | (codec.optional ? OPTIONAL_BIT : 0), known.flags ?? 0, start, w, shape, codec.align));
    } catch (e) {
      throw e instanceof XenImageError ? e.within({ section: label }) : e;
    }
  });
  w.alignTo(8);
  entries.push({ type: format.endId, flags: 0, offset: BigInt(w.pos), size: 0n, entryCount: 0n, entrySize: 0, align: 8, crc: crc32c(new Uint8Array(0)) });
  const tableOffset = w.pos;
  for (const entry of entries) format.entry.encode(w, entry);
  const header = { ...draft, sectionTableOffset: BigInt(tableOffset), sectionCount: entries.length, sectionEntrySize: format.entry.size, headerCrc: 0 } as H;
  const hw = new ByteWriter({ littleEndian, initialCapacity: format.header.size });
  try {
    format.header.encode(hw, header);
  } catch (e) {
    throw e instanceof XenImageError ? e.within({ section: "header" }) : e;
  }
  const out = w.finish();
  const headerBytes = hw.finish();
  out.set(headerBytes, 0);
  new DataView(out.buffer, out.byteOffset).setUint32(format.header.crcOffset, headerCrc(headerBytes, format.header.crcOffset), littleEndian);
  return out;
}

function entryFor(type: number, flags: number, start: number, w: ByteWriter, shape: EntryShape, align: number): TableEntry {
  const body = w.finish().subarray(start);
  return { type: type >>> 0, flags, offset: BigInt(start), size: BigInt(body.length), entryCount: shape.entryCount, entrySize: shape.entrySize, align, crc: crc32c(body) };
}

/** The parts of an image a reader finds before decoding any section body. */
export interface ImageLayout<H> {
  readonly header: H;
  readonly littleEndian: boolean;
  readonly entries: readonly TableEntry[];
}

/** Reads and checks the header (magic, byte order, version, size, CRC). */
export function decodeHeader<H extends ContainerHeader>(format: ContainerFormat<H>, bytes: Uint8Array): { header: H; littleEndian: boolean } {
  const h = format.header;
  if (bytes.length < h.size) {
    throw new DecodeError("truncated", `an image header needs ${h.size} bytes, the input has ${bytes.length}`, { offset: 0, section: "header" });
  }
  const order = bytes[h.byteOrderOffset];
  if (order !== h.littleEndian && order !== h.bigEndian) {
    // A wrong magic explains a wrong byte-order byte better; the header decoder checks it first.
    try {
      h.decode(new ByteReader(bytes.subarray(0, h.size)));
    } catch (e) {
      throw e instanceof XenImageError ? e.within({ section: "header" }) : e;
    }
    throw new DecodeError("invalid", `unknown byte order ${order}`, { offset: h.byteOrderOffset, section: "header", path: "byte_order" });
  }
  const littleEndian = order === h.littleEndian;
  let header: H;
  try {
    header = h.decode(new ByteReader(bytes.subarray(0, h.size), { littleEndian }));
  } catch (e) {
    throw e instanceof XenImageError ? e.within({ section: "header" }) : e;
  }
  const where = { section: "header" };
  if (header.formatVersion === 0 || header.formatVersion > format.version) {
    throw new DecodeError("unsupported", `format version ${header.formatVersion}; this reader knows versions 1 to ${format.version}`, { ...where, path: "format_version" });
  }
  if (header.headerSize < h.size || header.headerSize > bytes.length) {
    throw new DecodeError("invalid", `header size ${header.headerSize} is outside ${h.size}…${bytes.length}`, { ...where, path: "header_size" });
  }
  const crc = headerCrc(bytes.subarray(0, header.headerSize), h.crcOffset);
  if (crc !== header.headerCrc) {
    throw new DecodeError("crc", `header CRC mismatch: stored ${hex(header.headerCrc)}, computed ${hex(crc)}`, { ...where, path: "header_crc", offset: h.crcOffset });
  }
  return { header, littleEndian };
}

/** Reads the header and the section table of a seekable image and checks every entry's bounds. */
export function decodeLayout<H extends ContainerHeader>(format: ContainerFormat<H>, bytes: Uint8Array): ImageLayout<H> {
  const { header, littleEndian } = decodeHeader(format, bytes);
  if (header.sectionTableOffset === STREAMED) {
    throw new DecodeError("streamed", "this is a streamed image (its table offset is the sentinel); read it with the stream decoder", { section: "header", path: "section_table_offset" });
  }
  const entrySize = header.sectionEntrySize;
  const tableOffset = header.sectionTableOffset;
  const tableEnd = tableOffset + BigInt(header.sectionCount) * BigInt(entrySize);
  if (entrySize < format.entry.size) {
    throw new DecodeError("invalid", `section entry size ${entrySize} is smaller than ${format.entry.size}`, { section: "header", path: "section_entry_size" });
  }
  if (tableOffset < BigInt(header.headerSize) || tableEnd > BigInt(bytes.length)) {
    throw new DecodeError("invalid", `the section table (${hex(tableOffset)}…${hex(tableEnd)}) lies outside the image (${hex(bytes.length)} bytes)`, { section: "header", path: "section_table_offset" });
  }
  const entries: TableEntry[] = [];
  for (let i = 0; i < header.sectionCount; i++) {
    const at = Number(tableOffset) + i * entrySize;
    const r = new ByteReader(bytes.subarray(at, at + entrySize), { littleEndian, base: at });
    try {
      entries.push(format.entry.decode(r));
    } catch (e) {
      throw e instanceof XenImageError ? e.within({ section: `table entry #${i}` }) : e;
    }
  }
  const known = codecById(format);
  entries.forEach((entry, i) => {
    const id = entry.type & ~OPTIONAL_BIT;
    const label = sectionLabel(known.get(id)?.name ?? `type ${hex(id)}`, i);
    const fail = (reason: string, path?: string) => {
      throw new DecodeError("invalid", reason, { section: label, offset: Number(tableOffset) + i * entrySize, path });
    };
    if (entry.align === 0 || (entry.align & (entry.align - 1)) !== 0) fail(`alignment ${entry.align} is not a power of two`, "align");
    if (entry.offset === STREAMED) fail("a seekable image has a streamed (sentinel) section offset", "offset");
    if (entry.offset % BigInt(entry.align) !== 0n) fail(`offset ${hex(entry.offset)} is not aligned to ${entry.align}`, "offset");
    if (entry.offset < BigInt(header.headerSize) || entry.offset + entry.size > tableOffset) {
      fail(`body ${hex(entry.offset)}…${hex(entry.offset + entry.size)} lies outside ${hex(header.headerSize)}…${hex(tableOffset)}`, "offset");
    }
    const isEnd = id === format.endId;
    if (isEnd !== (i === entries.length - 1)) fail(isEnd ? "the end section is not last" : "the last section is not the end section", "type");
    if (isEnd && entry.size !== 0n) fail("the end section is not empty", "size");
  });
  if (entries.length === 0) throw new DecodeError("invalid", "the section table is empty (it needs at least the end section)", { section: "header", path: "section_count" });
  return { header, littleEndian, entries };
}

/** Checks a body's CRC and decodes it with its codec, or keeps it raw when the type is unknown and optional. */
export function decodeSection<H extends ContainerHeader, S extends KnownSectionBase>(
  format: ContainerFormat<H>,
  layout: ImageLayout<H>,
  index: number,
  body: Uint8Array,
  known: Map<number, SectionCodec<unknown, H>> = codecById(format),
): S | UnknownSection {
  const entry = layout.entries[index]!;
  const id = entry.type & ~OPTIONAL_BIT;
  const optional = (entry.type & OPTIONAL_BIT) !== 0;
  const codec = known.get(id);
  const label = sectionLabel(codec?.name ?? `type ${hex(id)}`, index);
  const offset = Number(entry.offset);
  const crc = crc32c(body);
  if (crc !== entry.crc) {
    throw new DecodeError("crc", `body CRC mismatch: stored ${hex(entry.crc)}, computed ${hex(crc)}`, { section: label, offset });
  }
  if (codec === undefined) {
    if (!optional) {
      throw new DecodeError("unknown-mandatory", `unknown mandatory section type ${hex(id)}: this reader cannot skip it`, { section: label, offset });
    }
    return { type: "unknown", id, optional, flags: entry.flags, entryCount: entry.entryCount, entrySize: entry.entrySize, align: entry.align, bytes: body };
  }
  if (codec.optional !== optional) {
    throw new DecodeError("invalid", `the optional bit is ${optional ? "set" : "clear"}, but ${codec.name} is ${codec.optional ? "optional" : "mandatory"}`, { section: label, offset, path: "type" });
  }
  const r = new ByteReader(body, { littleEndian: layout.littleEndian, base: offset });
  try {
    const value = codec.decode(r, { header: layout.header, entryCount: entry.entryCount, entrySize: entry.entrySize });
    r.expectEnd();
    const section = { type: codec.name, body: value } as { type: string; body: unknown; flags?: number };
    if (entry.flags !== 0) section.flags = entry.flags;
    return section as S;
  } catch (e) {
    if (e instanceof XenImageError) throw e.within({ section: label });
    throw new DecodeError("internal", `decoder failed: ${String(e)}`, { section: label, offset });
  }
}

/**
 * Decodes a whole seekable image held in memory: header, table, and every section (known ones decoded,
 * unknown optional ones kept raw). Section bodies that are byte runs stay views of `bytes`.
 */
export function decodeContainer<H extends ContainerHeader, S extends KnownSectionBase>(
  format: ContainerFormat<H>,
  bytes: Uint8Array,
): ContainerImage<H, S> {
  const layout = decodeLayout(format, bytes);
  const known = codecById(format);
  const sections: (S | UnknownSection)[] = [];
  for (let i = 0; i < layout.entries.length - 1; i++) {
    const e = layout.entries[i]!;
    const start = Number(e.offset);
    sections.push(decodeSection<H, S>(format, layout, i, bytes.subarray(start, start + Number(e.size)), known));
  }
  return { header: layout.header, sections };
}
