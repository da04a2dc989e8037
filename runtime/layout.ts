/**
 * The two layouts of an image, as arithmetic and header bytes. Every writer and reader places bytes
 * through these functions (the in-memory encoder, the file writer, the stream encoder and decoder, the
 * converters), so an image written by any of them is laid out identically, which is what makes
 * streamed ↔ seekable conversion lossless.
 *
 * Seekable (save and core files):
 *
 *     header | body 0 (at a multiple of its align) | body 1 | … | end (8-aligned) = section table
 *
 * Streamed (migration), where no offset is known in advance:
 *
 *     header (section_table_offset = all ones, section_count = 0) | zeros to 8
 *     entry 0 (offset = all ones) | body 0 | zeros to 8 | entry 1 | body 1 | zeros to 8 | … | end entry
 *
 * A stream carries the same table entries as the seekable image (type, flags, size, entry count and
 * size, align, CRC); only the offsets are the sentinel. A stream's bodies are NOT aligned to their
 * `align` relative to the stream (a page_data body starts 8-aligned, right after its entry): a stream
 * cannot be mapped anyway, and padding every 4 MiB batch to 4096 would waste up to 4 KiB per batch on
 * the wire. Alignment inside a body (page_data's pages at 4096) is relative to the body's start, so a
 * body is the same bytes in both layouts; the decoder hands out pages as views of the body, which are
 * 4096-aligned in memory whenever the body is in a buffer of its own. The `align` field is kept so the
 * seekable image rebuilt from a stream puts each body where the original did.
 *
 * `section_count` is 0 in a stream because its producer does not know how many sections will come; a
 * reader that finds a non-zero count checks it against the sections it read.
 */
import { ByteWriter } from "./byte-writer.js";
import type { ContainerFormat, ContainerHeader, DecodingFormat, HeaderInit } from "./format.js";
import { crc32c } from "./crc32c.js";
import { asEncodeError, DecodeError, EncodeError, shown, XenImageError } from "./errors.js";

/** Entries in a stream start at multiples of this, counted from the stream's first byte. */
export const STREAM_ALIGN = 8;
/** The section table (and the end section's empty body) starts at a multiple of this. */
export const TABLE_ALIGN = 8;
/**
 * The largest section body a reader accepts unless told otherwise (256 MiB): a table entry declaring
 * more is an error before anything is allocated. Xen batches at most 1024 pages (4 MiB) per section.
 */
export const DEFAULT_MAX_SECTION_SIZE = 256 * 1024 * 1024;

/** Rounds `n` up to a multiple of `alignment` (a power of two). */
function roundUp(n: number, alignment: number): number {
  return Math.ceil(n / alignment) * alignment;
}

/** Where a seekable image puts the next body, of alignment `align`, when `pos` bytes are written. */
export function seekableBodyOffset(pos: number, align: number): number {
  return roundUp(pos, align);
}

/** Where a seekable image puts its section table (and the end section) when `pos` bytes are written. */
export function seekableTableOffset(pos: number): number {
  return roundUp(pos, TABLE_ALIGN);
}

/** How many zero bytes a stream puts after byte `pos` (the header or a body) before the next entry. */
export function streamPadding(pos: number): number {
  return roundUp(pos, STREAM_ALIGN) - pos;
}

/** The CRC32C of a header: its bytes with the CRC field taken as zero. */
export function headerChecksum(bytes: Uint8Array, crcOffset: number): number {
  // A copy: `bytes` may be a Node Buffer, whose slice() is a view that fill would write through.
  const copy = new Uint8Array(bytes);
  copy.fill(0, crcOffset, crcOffset + 4);
  return crc32c(copy);
}

/** The byte order a header's byte_order byte names: true little-endian, false big-endian; undefined when unknown. */
export function headerByteOrder<H extends ContainerHeader>(format: DecodingFormat<H>, bytes: Uint8Array): boolean | undefined {
  const order = bytes[format.header.byteOrderOffset];
  return order === format.header.littleEndian ? true : order === format.header.bigEndian ? false : undefined;
}

/** Fails unless `bytes` open with the format's magic (at least as many bytes as the magic are given). */
export function checkMagic<H extends ContainerHeader>(format: DecodingFormat<H>, bytes: Uint8Array): void {
  const magic = format.header.magic;
  for (let i = 0; i < magic.length; i++) {
    if (bytes[i] !== magic[i]) {
      const shown = (b: readonly number[]) => b.map((x) => x.toString(16).padStart(2, "0")).join(" ");
      throw new DecodeError("magic", `bad magic: expected ${shown(Array.from(magic))}, found ${shown(Array.from(bytes.subarray(0, magic.length)))}`, { offset: 0, section: "header", path: "magic" });
    }
  }
}

/**
 * The header size a header claims (a later version's header may be longer than the struct this version
 * knows), read from its bytes after checking the magic and the byte order; 0 when they do not check
 * out or the bytes are too short to say, and `decodeHeader` then reports why.
 */
export function claimedHeaderSize<H extends ContainerHeader>(format: DecodingFormat<H>, bytes: Uint8Array): number {
  const h = format.header;
  if (bytes.length < h.size) return 0;
  try {
    checkMagic(format, bytes);
  } catch {
    return 0;
  }
  const littleEndian = headerByteOrder(format, bytes);
  if (littleEndian === undefined) return 0;
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(h.offsets.headerSize, littleEndian);
}

/** A header the writer completed from a caller's {@link HeaderInit}, and its byte order. */
export interface PreparedHeader<H> {
  /** The header with format version, header size and byte order filled in; table fields still zero. */
  readonly header: H;
  readonly littleEndian: boolean;
}

/**
 * Fills in the fields a writer owns (byte order default, format version, header size). Fails with an
 * {@link EncodeError} for what is not a header object (null, a getter that throws) and for a byte
 * order other than little, big or none; the other fields are checked when the header is encoded.
 */
export function prepareHeader<H extends ContainerHeader>(format: ContainerFormat<H>, init: HeaderInit<H>): PreparedHeader<H> {
  const where = { section: "header" };
  if (init === null || typeof init !== "object") throw new EncodeError("invalid-value", `the header must be an object, not ${init === null ? "null" : typeof init}`, where);
  let copy: HeaderInit<H>;
  try {
    copy = { ...init };
  } catch (e) {
    throw new EncodeError("invalid-value", `reading the header failed: ${e instanceof Error ? e.message : shown(e)}`, where, e);
  }
  const { littleEndian: little, bigEndian: big } = format.header;
  const order: unknown = copy.byteOrder ?? little;
  if (order !== little && order !== big) {
    throw new EncodeError("invalid-value", `byte order ${shown(order)} is neither little (${little}) nor big (${big})`, { ...where, path: "byte_order" });
  }
  const header = {
    ...copy,
    byteOrder: order,
    formatVersion: format.version,
    headerSize: format.header.size,
    sectionTableOffset: 0n,
    sectionCount: 0,
    sectionEntrySize: format.entry.size,
    headerCrc: 0,
  } as H;
  return { header, littleEndian: order === little };
}

/**
 * Encodes a header with its CRC. `tail` holds header bytes past the struct this version knows (a later
 * version's appended fields, kept by converters); `header.headerSize` must then cover them.
 */
export function encodeHeaderBytes<H extends ContainerHeader>(
  format: ContainerFormat<H>,
  header: H,
  littleEndian: boolean,
  tail: Uint8Array = new Uint8Array(0),
): Uint8Array {
  const w = new ByteWriter({ littleEndian, initialCapacity: format.header.size + tail.length });
  try {
    format.header.encode(w, { ...header, headerCrc: 0 });
  } catch (e) {
    throw (e instanceof XenImageError ? e : asEncodeError(e, "", 0)).within({ section: "header" });
  }
  w.bytes(tail);
  const bytes = w.finish();
  new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).setUint32(format.header.crcOffset, headerChecksum(bytes, format.header.crcOffset), littleEndian);
  return bytes;
}

/** The table fields of a header: where the table is and how many entries it has. */
export interface HeaderTable {
  readonly sectionTableOffset: bigint;
  readonly sectionCount: number;
}

/**
 * A header as a writer holds it: the values, the byte order, and the encoded bytes with their CRC. Made
 * from a caller's {@link HeaderInit} or from the checked header of another image (a converter's input,
 * whose bytes, appended fields included, are kept except for the table fields).
 */
export class EncodedHeader<H extends ContainerHeader> {
  private constructor(
    private readonly format: ContainerFormat<H>,
    readonly header: H,
    readonly littleEndian: boolean,
    /** The encoded header, `header.headerSize` bytes, CRC included. */
    readonly bytes: Uint8Array,
  ) {}

  /** A new image's header: the writer's fields filled in, the table fields as given. */
  static fromInit<H extends ContainerHeader>(format: ContainerFormat<H>, init: HeaderInit<H>, table: HeaderTable): EncodedHeader<H> {
    const prepared = prepareHeader(format, init);
    const header = { ...prepared.header, ...table } as H;
    return new EncodedHeader(format, header, prepared.littleEndian, encodeHeaderBytes(format, header, prepared.littleEndian));
  }

  /**
   * Another image's header, already checked by `decodeHeader` (`bytes` covers its `headerSize`), with
   * the table fields as given.
   */
  static fromImage<H extends ContainerHeader>(format: ContainerFormat<H>, header: H, littleEndian: boolean, bytes: Uint8Array, table: HeaderTable): EncodedHeader<H> {
    const tail = bytes.subarray(format.header.size, header.headerSize);
    const next = { ...header, ...table } as H;
    return new EncodedHeader(format, next, littleEndian, encodeHeaderBytes(format, next, littleEndian, tail));
  }

  /** The same header with other table fields (same length: the CRC is recomputed). */
  withTable(table: HeaderTable): EncodedHeader<H> {
    return EncodedHeader.fromImage(this.format, this.header, this.littleEndian, this.bytes, table);
  }
}
