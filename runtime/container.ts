import { ByteReader } from "./byte-reader.js";
import { ByteWriter } from "./byte-writer.js";
import { crc32c } from "./crc32c.js";
import { checkEntryToWrite, checkGap, encodeEntry, END_ALIGN, isValidAlign, MAX_ALIGN } from "./entry-rules.js";
import { asEncodeError, DecodeError, EncodeError, hex, shown, XenImageError, type EncodeErrorCode } from "./errors.js";
import { codecsById, OPTIONAL_BIT, sectionLabel, STREAMED, type ContainerFormat, type ContainerHeader, type ContainerImage, type DecodingFormat, type HeaderInit, type KnownSectionBase, type TableEntry, type UnknownSection } from "./format.js";
import { checkMagic, encodeHeaderBytes, headerByteOrder, headerChecksum, prepareHeader, seekableBodyOffset, seekableTableOffset, TABLE_ALIGN } from "./layout.js";
import type { EntryShape, SectionCodec, SectionDecoder } from "./section-codec.js";
import { SectionTable } from "./section-table.js";

/** @internal */
export { codecsById } from "./format.js";
export {
  entryLabel,
  OPTIONAL_BIT,
  sectionLabel,
  STREAMED,
  type ContainerFormat,
  type ContainerHeader,
  type ContainerImage,
  type DecodingFormat,
  type HeaderInit,
  type KnownSectionBase,
  type ManagedHeaderField,
  type StructCodec,
  type StructDecoder,
  type TableEntry,
  type UnknownSection,
} from "./format.js";

/** A section's table entry without its offset and entry CRC: what the other layout needs to place the same body, and what writers are given to copy. */
export type RawEntry = Omit<TableEntry, "offset" | "entryCrc">;

/** A section ready to be encoded: its table type (optional bit included), flags, alignment and label. */
export interface PreparedSection {
  readonly type: number;
  readonly flags: number;
  readonly align: number;
  readonly label: string;
  /** Writes the body at the writer's position and reports the table's entry count and size. */
  write(w: ByteWriter): EntryShape;
}

/** Reads a property of a caller's object; a getter that throws is an {@link EncodeError} naming it. */
function property(object: object, key: string, where: { offset: number; section: string }): unknown {
  try {
    return (object as Record<string, unknown>)[key];
  } catch (e) {
    throw new EncodeError("invalid-value", `reading ${key} failed: ${e instanceof Error ? e.message : shown(e)}`, { ...where, path: key }, e);
  }
}

/**
 * Looks up how to encode one section of an image: the codec for a known section, the bytes for an
 * unknown one. Fails with an {@link EncodeError} naming the field for anything a reader would reject:
 * a value that is not a section object, a type the format does not have (or the end section, which
 * writers add themselves), raw bytes given for a known type, an unknown type id that collides with
 * the optional bit, an unknown type that is not optional (readers reject it; converters copy such
 * sections with `writeRaw`), an alignment that is not a power of two or is above {@link MAX_ALIGN},
 * flags that are not a u32. What the body turns into is checked by {@link checkEntryToWrite} once it
 * is written.
 */
export function prepareSection<H extends ContainerHeader, S extends KnownSectionBase>(
  format: ContainerFormat<H>,
  section: S | UnknownSection,
  index: number,
  header: H,
  offset = 0,
): PreparedSection {
  let where = { offset, section: `#${index}` };
  const fail = (path: string, reason: string, code: EncodeErrorCode = "invalid-value"): never => {
    throw new EncodeError(code, reason, { ...where, path });
  };
  if (section === null || typeof section !== "object") return fail("", `a section must be an object with a type, not ${section === null ? "null" : typeof section}`);
  const type = property(section, "type", where);
  if (type === "unknown") {
    const get = (key: string) => property(section, key, where);
    const id = get("id");
    if (typeof id !== "number" || !Number.isInteger(id) || id < 0 || id >= OPTIONAL_BIT) {
      return fail("id", `type id ${shown(id)} is not an integer in 0…${hex(OPTIONAL_BIT - 1)} (bit 31 of a type is the optional bit)`, "optional-bit");
    }
    where = { offset, section: sectionLabel(`type ${hex(id)}`, index) };
    if (id === format.endId) fail("id", `type id ${hex(id)} is the end section's; writers add it themselves`, "end-entry");
    if (codecsById(format).has(id)) fail("id", `section type ${hex(id)} is known; give it as a decoded section`);
    const optional = get("optional");
    if (typeof optional !== "boolean") fail("optional", `optional must be true or false, not ${shown(optional)}`);
    // Readers of this version reject such an image; a converter copies one it reads with writeRaw.
    if (!optional) fail("optional", `section type ${hex(id)} is unknown and mandatory: readers of this format reject an image with it`, "unknown-mandatory");
    const align = checkedAlign(get("align"), fail);
    const flags = checkedU32(get("flags"), "flags", fail);
    const entryCount = get("entryCount") as bigint;
    const entrySize = get("entrySize") as number;
    const bytes = get("bytes");
    if (!(bytes instanceof Uint8Array)) fail("bytes", "a Uint8Array is expected");
    return {
      type: (id | (optional ? OPTIONAL_BIT : 0)) >>> 0,
      flags,
      align,
      label: where.section,
      write(w) {
        w.bytes(bytes as Uint8Array);
        return { entryCount, entrySize };
      },
    };
  }
  if (typeof type !== "string") return fail("type", `a section's type must be a section name or "unknown", not ${shown(type)}`);
  where = { offset, section: sectionLabel(type, index) };
  const codec = format.sections.find((c) => c.name === type);
  if (codec === undefined || codec.id === format.endId) {
    throw new EncodeError("unknown-section", `unknown section type "${type}"`, { offset, section: where.section });
  }
  const flags = property(section, "flags", where);
  const body = property(section, "body", where);
  return {
    type: (codec.id | (codec.optional ? OPTIONAL_BIT : 0)) >>> 0,
    flags: flags === undefined || flags === null ? 0 : checkedU32(flags, "flags", fail),
    align: codec.align,
    label: where.section,
    write: (w) => codec.encode(w, body, header),
  };
}

function checkedU32(v: unknown, path: string, fail: (path: string, reason: string) => never): number {
  return typeof v === "number" && v >>> 0 === v ? v : fail(path, `${shown(v)} is not a valid u32`);
}

/** An unknown section's alignment, checked before any padding is written for it (2^31 must not allocate 2 GiB). */
function checkedAlign(v: unknown, fail: (path: string, reason: string, code?: EncodeErrorCode) => never): number {
  if (typeof v === "number" && isValidAlign(v)) return v;
  const power = typeof v === "number" && Number.isInteger(v) && v > 0 && (v & (v - 1)) === 0;
  return fail("align", power ? `alignment ${shown(v)} is above the maximum, ${MAX_ALIGN}` : `alignment ${shown(v)} is not a power of two`, "alignment");
}

/**
 * The table entry of a section whose body a writer has just encoded, checked by the entry rules as a
 * reader will check it: an {@link EncodeError} naming the field otherwise.
 */
export function preparedEntry<H extends ContainerHeader>(format: ContainerFormat<H>, header: H, prepared: PreparedSection, body: Uint8Array, shape: EntryShape, offset: number): RawEntry {
  const entry = { type: prepared.type, flags: prepared.flags, size: BigInt(body.length), entryCount: shape.entryCount, entrySize: shape.entrySize, align: prepared.align, crc: crc32c(body) };
  checkEntryToWrite(format, header, entry, { offset, section: prepared.label });
  return entry;
}

/** The end section's table entry, at `offset` (the table's offset, or the sentinel in a stream). */
export function endEntry<H extends ContainerHeader>(format: ContainerFormat<H>, offset: bigint): TableEntry {
  return { type: format.endId, flags: 0, offset, size: 0n, entryCount: 0n, entrySize: 0, align: END_ALIGN, crc: crc32c(new Uint8Array(0)), entryCrc: 0 };
}

/** Rounds `n` up to a multiple of `alignment` (a power of two). */
export function alignUp(n: number, alignment: number): number {
  return Math.ceil(n / alignment) * alignment;
}

/**
 * Encodes an image in the seekable layout: header, section bodies (each at its alignment), the end
 * section, then the table, whose offset is patched into the header with every size, count and CRC.
 * Anything a reader would reject is an {@link EncodeError} naming the section and field, before any
 * large allocation; nothing else escapes (a getter that throws, say, is wrapped in one too).
 */
export function encodeContainer<H extends ContainerHeader, S extends KnownSectionBase>(
  format: ContainerFormat<H>,
  image: { readonly header: HeaderInit<H>; readonly sections: readonly (S | UnknownSection)[] },
): Uint8Array {
  try {
    return encodeSeekable(format, image);
  } catch (e) {
    throw e instanceof XenImageError ? e : asEncodeError(e, "", 0);
  }
}

function encodeSeekable<H extends ContainerHeader, S extends KnownSectionBase>(
  format: ContainerFormat<H>,
  image: { readonly header: HeaderInit<H>; readonly sections: readonly (S | UnknownSection)[] },
): Uint8Array {
  if (image === null || typeof image !== "object") throw new EncodeError("invalid-value", "an image must be an object with a header and sections");
  const { header: init, sections } = image;
  const { header: draft, littleEndian } = prepareHeader(format, init);
  // The header is written last, with the table's place; encoding it now reports a bad field before any body is.
  encodeHeaderBytes(format, draft, littleEndian);
  if (!Array.isArray(sections)) throw new EncodeError("invalid-value", "the sections must be an array", { path: "sections" });
  const w = new ByteWriter({ littleEndian, initialCapacity: 1 << 16 });
  w.zeros(format.header.size);
  const entries: TableEntry[] = [];
  for (let index = 0; index < sections.length; index++) {
    const section = sections[index] as S | UnknownSection;
    const prepared = prepareSection(format, section, index, draft, w.pos);
    try {
      w.zeros(seekableBodyOffset(w.pos, prepared.align) - w.pos);
      const start = w.pos;
      const shape = prepared.write(w);
      const entry = preparedEntry(format, draft, prepared, w.finish().subarray(start), shape, start);
      entries.push({ ...entry, offset: BigInt(start), entryCrc: 0 });
    } catch (e) {
      throw e instanceof XenImageError ? e.within({ section: prepared.label }) : asEncodeError(e, "", w.pos).within({ section: prepared.label });
    }
  }
  w.zeros(seekableTableOffset(w.pos) - w.pos);
  entries.push(endEntry(format, BigInt(w.pos)));
  const tableOffset = w.pos;
  for (const entry of entries) encodeEntry(format, w, entry, draft.formatVersion);
  const header = { ...draft, sectionTableOffset: BigInt(tableOffset), sectionCount: entries.length, sectionEntrySize: format.entry.size, headerCrc: 0 } as H;
  const out = w.finish();
  out.set(encodeHeaderBytes(format, header, littleEndian), 0);
  return out;
}

/** The parts of an image a reader finds before decoding any section body. */
export interface ImageLayout<H> {
  readonly header: H;
  readonly littleEndian: boolean;
  readonly entries: readonly TableEntry[];
}

/**
 * Reads and checks the header, in the order the specification gives: the magic, byte_order,
 * format_version, header_size, the header CRC, then every field's own rule (padding and reserved
 * bytes, closed enums, `valid:` values, the name) and section_entry_size. The CRC comes before the
 * fields' rules so that a corrupt header is reported as such, not as whichever rule the corruption breaks.
 */
export function decodeHeader<H extends ContainerHeader>(format: DecodingFormat<H>, bytes: Uint8Array): { header: H; littleEndian: boolean } {
  const h = format.header;
  const at = (name: keyof ContainerFormat<H>["header"]["offsets"], path: string) => ({ section: "header", path, offset: h.offsets[name] });
  if (bytes.length < h.size) {
    if (bytes.length >= h.magic.length) checkMagic(format, bytes);
    throw new DecodeError("truncated", `an image header needs ${h.size} bytes, the input has ${bytes.length}`, { offset: bytes.length, section: "header" });
  }
  checkMagic(format, bytes);
  const littleEndian = headerByteOrder(format, bytes);
  if (littleEndian === undefined) {
    throw new DecodeError("field-value", `byte_order ${bytes[h.byteOrderOffset]} is neither little (${h.littleEndian}) nor big (${h.bigEndian})`, { offset: h.byteOrderOffset, section: "header", path: "byte_order" });
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint16(h.offsets.formatVersion, littleEndian);
  if (version === 0 || version > format.version) {
    throw new DecodeError("unsupported", `format version ${version}; this reader knows versions 1 to ${format.version}`, at("formatVersion", "format_version"));
  }
  const headerSize = view.getUint32(h.offsets.headerSize, littleEndian);
  if (headerSize < h.size || headerSize > bytes.length) {
    throw new DecodeError("field-value", `header size ${headerSize} is outside ${h.size}…${bytes.length}`, at("headerSize", "header_size"));
  }
  const stored = view.getUint32(h.crcOffset, littleEndian);
  const crc = headerChecksum(bytes.subarray(0, headerSize), h.crcOffset);
  if (crc !== stored) {
    throw new DecodeError("crc", `header CRC mismatch: stored ${hex(stored)}, computed ${hex(crc)}`, { section: "header", path: "header_crc", offset: h.crcOffset });
  }
  let header: H;
  try {
    header = h.decode(new ByteReader(bytes.subarray(0, h.size), { littleEndian }));
  } catch (e) {
    throw e instanceof XenImageError ? e.within({ section: "header" }) : e;
  }
  const entrySize = header.sectionEntrySize;
  if (entrySize < format.entry.size || entrySize % TABLE_ALIGN !== 0) {
    const reason = entrySize < format.entry.size ? `is smaller than ${format.entry.size}` : `is not a multiple of ${TABLE_ALIGN}`;
    throw new DecodeError("field-value", `section entry size ${entrySize} ${reason}`, at("sectionEntrySize", "section_entry_size"));
  }
  return { header, littleEndian };
}


/**
 * Reads the header and the section table of a seekable image held in memory and checks every entry
 * (the entry rules) and every byte between the parts: the alignment gaps before the bodies and before
 * the table must be zero, and nothing may follow the table.
 */
export function decodeLayout<H extends ContainerHeader>(format: DecodingFormat<H>, bytes: Uint8Array): ImageLayout<H> {
  const { header, littleEndian } = decodeHeader(format, bytes);
  const { offset, size } = tablePlacement(format, header, bytes.length);
  const table = SectionTable.decode(format, header, littleEndian, bytes.subarray(offset, offset + size));
  for (let i = 0; i < table.length; i++) {
    const gap = table.gapBefore(i);
    checkGap(bytes.subarray(gap.start, gap.end), gap.start, table.gapLabel(i));
  }
  return { header, littleEndian, entries: table.entries() };
}

/**
 * Where a seekable image's section table is (offset and size in bytes), checked against the header and
 * the image size (the table ends the image: nothing may follow it); fails for a streamed image. Readers that fetch bytes on demand call this before
 * reading the table, so they never allocate more than the image holds.
 */
export function tablePlacement<H extends ContainerHeader>(format: DecodingFormat<H>, header: H, imageSize: number): { offset: number; size: number } {
  if (header.sectionTableOffset === STREAMED) {
    throw new DecodeError("streamed", "this is a streamed image (its table offset is the sentinel); read it with the stream decoder", { section: "header", path: "section_table_offset" });
  }
  const offsets = format.header.offsets;
  const entrySize = header.sectionEntrySize;
  const tableOffset = header.sectionTableOffset;
  const tableEnd = tableOffset + BigInt(header.sectionCount) * BigInt(entrySize);
  if (header.sectionCount === 0) {
    throw new DecodeError("section-count", "the section table is empty (it needs at least the end section)", { section: "header", path: "section_count", offset: offsets.sectionCount });
  }
  if (tableOffset < BigInt(header.headerSize) || tableOffset % BigInt(TABLE_ALIGN) !== 0n) {
    const reason = tableOffset < BigInt(header.headerSize) ? `inside the header (${header.headerSize} bytes)` : `not a multiple of ${TABLE_ALIGN}`;
    throw new DecodeError("placement", `the section table's offset ${hex(tableOffset)} is ${reason}`, { section: "header", path: "section_table_offset", offset: offsets.sectionTableOffset });
  }
  if (tableEnd > BigInt(imageSize)) {
    throw new DecodeError("truncated", `the section table (${hex(tableOffset)}…${hex(tableEnd)}) runs past the end of the image (${hex(imageSize)} bytes)`, { section: "section table", offset: imageSize });
  }
  if (tableEnd < BigInt(imageSize)) {
    throw new DecodeError("trailing", `${BigInt(imageSize) - tableEnd} bytes follow the section table, which ends the image`, { section: "section table", offset: Number(tableEnd) });
  }
  return { offset: Number(tableOffset), size: Number(tableEnd - tableOffset) };
}

/**
 * Decodes and checks the entries of a seekable image's section table, given the table's bytes (as
 * {@link tablePlacement} locates them), by the entry rules (`entry-rules.ts`).
 * {@link SectionTable.decode}, every entry decoded.
 */
export function decodeTable<H extends ContainerHeader>(format: DecodingFormat<H>, header: H, littleEndian: boolean, table: Uint8Array): TableEntry[] {
  return SectionTable.decode(format, header, littleEndian, table).entries();
}

/** Checks a body's CRC and decodes it with its codec, or keeps it raw when the type is unknown and optional. */
export function decodeSection<H extends ContainerHeader, S extends KnownSectionBase>(
  format: DecodingFormat<H>,
  layout: ImageLayout<H>,
  index: number,
  body: Uint8Array,
  known: Map<number, SectionDecoder<unknown, H>> = codecsById(format),
): S | UnknownSection {
  const entry = layout.entries[index]!;
  return decodeSectionBody<H, S>(format, layout, entry, index, body, Number(entry.offset), known);
}

/**
 * {@link decodeSection} for a body wherever it came from (a seekable image, a stream, a file read on
 * demand): `offset` is where the body starts in the image or stream, so errors name real offsets.
 * `crcChecked` skips the CRC when the caller has just checked it (a stream decoder checks it as the
 * body arrives), so no body is checksummed twice. The body may also come as a reader at its start
 * (a stream decoder passes a `PartsReader` over a body that arrived in several chunks, with its
 * `base` at `offset`).
 */
export function decodeSectionBody<H extends ContainerHeader, S extends KnownSectionBase>(
  format: DecodingFormat<H>,
  image: { readonly header: H; readonly littleEndian: boolean },
  entry: TableEntry,
  index: number,
  body: Uint8Array | ByteReader,
  offset: number,
  known: Map<number, SectionDecoder<unknown, H>> = codecsById(format),
  crcChecked = false,
): S | UnknownSection {
  return readSectionBody<H, S>(format, image, entry, index, body, offset, known, crcChecked, false);
}

/**
 * A section as {@link checkSectionBody} returns it: its type and what the codec's structure check
 * returns of the body (the whole body where the codec has no such check).
 */
export type CheckedSection = { readonly type: string; readonly body: unknown; readonly flags?: number } | UnknownSection;

/**
 * {@link decodeSectionBody}'s checks, with the same errors at the same offsets, for a caller that only
 * wants to know whether a section is sound: a codec with a structure check (`SectionDecoder.check`,
 * page_data's) checks its byte runs by length instead of handing out a view of each, and the body
 * returned lacks them.
 */
export function checkSectionBody<H extends ContainerHeader>(
  format: DecodingFormat<H>,
  image: { readonly header: H; readonly littleEndian: boolean },
  entry: TableEntry,
  index: number,
  body: Uint8Array | ByteReader,
  offset: number,
  known: Map<number, SectionDecoder<unknown, H>> = codecsById(format),
  crcChecked = false,
): CheckedSection {
  return readSectionBody<H, KnownSectionBase>(format, image, entry, index, body, offset, known, crcChecked, true);
}

function readSectionBody<H extends ContainerHeader, S extends KnownSectionBase>(
  format: DecodingFormat<H>,
  image: { readonly header: H; readonly littleEndian: boolean },
  entry: TableEntry,
  index: number,
  body: Uint8Array | ByteReader,
  offset: number,
  known: Map<number, SectionDecoder<unknown, H>>,
  crcChecked: boolean,
  structureOnly: boolean,
): S | UnknownSection {
  const r = body instanceof ByteReader ? body : new ByteReader(body, { littleEndian: image.littleEndian, base: offset });
  const id = entry.type & ~OPTIONAL_BIT;
  const optional = (entry.type & OPTIONAL_BIT) !== 0;
  const codec = known.get(id);
  const label = sectionLabel(codec?.name ?? `type ${hex(id)}`, index);
  const crc = crcChecked ? entry.crc : crc32c(r.bytesAt(0, r.remaining));
  if (crc !== entry.crc) {
    throw new DecodeError("crc", `body CRC mismatch: stored ${hex(entry.crc)}, computed ${hex(crc)}`, { section: label, offset });
  }
  if (codec === undefined) {
    if (!optional) {
      throw new DecodeError("unknown-mandatory", `unknown mandatory section type ${hex(id)}: this reader cannot skip it`, { section: label, offset });
    }
    return { type: "unknown", id, optional, flags: entry.flags, entryCount: entry.entryCount, entrySize: entry.entrySize, align: entry.align, bytes: r.bytesAt(0, r.remaining) };
  }
  try {
    const ctx = { header: image.header, entryCount: entry.entryCount, entrySize: entry.entrySize };
    const value = structureOnly && codec.check !== undefined ? codec.check(r, ctx) : codec.decode(r, ctx);
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
  format: DecodingFormat<H>,
  bytes: Uint8Array,
): ContainerImage<H, S> {
  const layout = decodeLayout(format, bytes);
  const known = codecsById(format);
  const sections: (S | UnknownSection)[] = [];
  for (let i = 0; i < layout.entries.length - 1; i++) {
    const e = layout.entries[i]!;
    const start = Number(e.offset);
    sections.push(decodeSection<H, S>(format, layout, i, bytes.subarray(start, start + Number(e.size)), known));
  }
  return { header: layout.header, sections };
}
