/**
 * The format's shared vocabulary: the header and table-entry shapes the container reads, what a format
 * bundle is, and the section-type constants and labels. A leaf module (it imports only errors and codec
 * types), so the container, the layout, the section table and the entry rules can all use it without
 * importing each other in a circle. Everything here is re-exported where it was first exported.
 */
import type { ByteReader } from "./byte-reader.js";
import type { ByteWriter } from "./byte-writer.js";
import { hex } from "./errors.js";
import type { SectionCodec, SectionDecoder } from "./section-codec.js";

/**
 * Where the container's fields sit in one table entry (byte offsets, in the image's byte order) and
 * which reserved byte runs must be zero. Generated from the schema's entry struct.
 */
export interface EntryLayout {
  readonly type: number;
  readonly flags: number;
  readonly offset: number;
  readonly size: number;
  readonly entryCount: number;
  readonly entrySize: number;
  readonly align: number;
  readonly crc: number;
  readonly zeros: readonly (readonly [offset: number, size: number])[];
}

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
  /**
   * The CRC32C of the entry's bytes with this field taken as zero (from the version the format's
   * `entry.crcSince` names; zero before). Writers compute it; what a caller gives is ignored.
   */
  entryCrc: number;
}

/** Header fields the writer computes; callers leave them out. */
export type ManagedHeaderField = keyof ContainerHeader;
/** What a caller supplies as a header: everything but the fields the writer computes; the byte order is optional (default little-endian). */
export type HeaderInit<H> = Omit<H, ManagedHeaderField> & { byteOrder?: H extends { readonly byteOrder: infer B } ? B : never };

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

/** The decoding half of a struct codec the generator emitted. */
export interface StructDecoder<T> {
  readonly size: number;
  decode(r: ByteReader): T;
}

/** A struct codec the generator emitted. */
export interface StructCodec<T> extends StructDecoder<T> {
  encode(w: ByteWriter, v: T): void;
}

/** Where the header's byte order and CRC are. */
interface HeaderPlaces {
  /** Where the byte_order byte is, and which values mean little and big. */
  readonly byteOrderOffset: number;
  readonly littleEndian: number;
  readonly bigEndian: number;
  /** Where header_crc is, so the CRC can be computed with it taken as zero. */
  readonly crcOffset: number;
  /** The magic the header opens with, checked before anything else. */
  readonly magic: ArrayLike<number>;
  /** Where the fields the container reads before decoding the header are (and where errors about them point). */
  readonly offsets: { readonly [K in "formatVersion" | "headerSize" | "sectionTableOffset" | "sectionCount" | "sectionEntrySize"]: number };
}

/**
 * What decoding needs of a format: its decoders and nothing else, so that a bundle which only decodes
 * (`decodeImage`) carries no encoder. Every {@link ContainerFormat} is one.
 */
export interface DecodingFormat<H extends ContainerHeader> {
  readonly version: number;
  readonly header: StructDecoder<H> & HeaderPlaces;
  readonly entry: StructDecoder<TableEntry> & {
    /** Where entry_crc is, so the entry CRC can be computed with it taken as zero. */
    readonly crcOffset: number;
    /** The first format version whose entries carry entry_crc; in earlier ones the field is zero. */
    readonly crcSince: number;
    /** Where the entry's fields are, for checking a whole table without decoding it; absent, entries are decoded one by one. */
    readonly layout?: EntryLayout;
  };
  /** The end section's type id. */
  readonly endId: number;
  readonly sections: readonly SectionDecoder<any, H>[];
}

/** Everything the container needs to know about a format, emitted by the generator from the schemas. */
export interface ContainerFormat<H extends ContainerHeader> extends DecodingFormat<H> {
  readonly header: StructCodec<H> & HeaderPlaces;
  readonly entry: StructCodec<TableEntry> & { readonly crcOffset: number; readonly crcSince: number; readonly layout?: EntryLayout };
  readonly sections: readonly SectionCodec<any, H>[];
}

const codecMaps = new WeakMap<DecodingFormat<any>, Map<number, SectionDecoder<unknown, any>>>();

/** @internal A format's section codecs by type id (without the optional bit), built once per format. */
export function codecsById<H extends ContainerHeader, F extends DecodingFormat<H> = DecodingFormat<H>>(format: F): Map<number, F["sections"][number]> {
  let map = codecMaps.get(format);
  if (map === undefined) {
    map = new Map(format.sections.map((c) => [c.id, c]));
    codecMaps.set(format, map);
  }
  return map as Map<number, F["sections"][number]>;
}

/**
 * How errors and reports name a section: its schema name (or `type 0x…` when unknown) and its index
 * in the table (or in the stream).
 */
export function sectionLabel(name: string, index: number): string {
  return `${name} #${index}`;
}

/** The label of the section a table entry describes, as every error names it. */
export function entryLabel<H extends ContainerHeader>(format: DecodingFormat<H>, entry: TableEntry, index: number): string {
  const id = entry.type & ~OPTIONAL_BIT;
  return sectionLabel(codecsById(format).get(id)?.name ?? `type ${hex(id)}`, index);
}
