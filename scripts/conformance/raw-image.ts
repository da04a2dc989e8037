/**
 * Images taken apart into header bytes, raw entries and bodies, and put back together byte by byte,
 * with every CRC recomputed unless a case says otherwise. The conformance cases break one rule each by
 * changing one thing here (a header field, an entry field, a body byte, where a body goes), so the rest
 * of the image stays valid and the one broken rule is the one a reader must report. Where the broken
 * rule is (the byte offset a reader reports) is computed from the layout written, never from a reader.
 */
import { crc32c, decodeLayout, OPTIONAL_BIT, STREAMED } from "../../runtime/index.js";
import { imageFormat } from "../../generated/index.js";

/** The fields of a table entry, as the format lays them out (offsets in the entry). */
const { zeros: _zeros, ...entryFields } = imageFormat.entry.layout!;
export const ENTRY = { ...entryFields, entryCrc: imageFormat.entry.crcOffset } as const;
/** Where the header's CRC is. */
export const HEADER_CRC = imageFormat.header.crcOffset;

/** One section of an image, raw: its entry's fields (the offset and CRCs are the writer's) and its body. */
export interface RawSection {
  type: number;
  flags: number;
  entryCount: bigint;
  entrySize: number;
  align: number;
  body: Uint8Array;
  /** A body CRC to write instead of the body's (a case that breaks it). */
  crc?: number;
}

/** An image taken apart: the header's bytes (its table fields are the writer's) and the sections but the end section. */
export interface RawImage {
  header: Uint8Array;
  littleEndian: boolean;
  sections: RawSection[];
}

/** What a writer may be told to do differently, each for one case. */
export interface WriteOptions {
  /** The entry size (default the format's); entries are padded with `entryTail` bytes to it. */
  readonly entrySize?: number;
  readonly entryTail?: (index: number) => Uint8Array;
  /** Seekable: extra bytes after the previous body before body `i` (a gap larger than the alignment needs). */
  readonly extraGap?: ReadonlyMap<number, number>;
  /** Seekable: where each body goes, overriding the layout (bodies may then overlap or be out of order). */
  readonly offsets?: ReadonlyMap<number, bigint>;
  /** Fields of entry `i` to write as given, after the writer's values (the end entry is index sections.length). */
  readonly entryFields?: ReadonlyMap<number, Partial<Record<keyof typeof ENTRY, number | bigint>>>;
  /** Entries whose entry CRC is left as written (a case that breaks it), by index. */
  readonly badEntryCrc?: ReadonlySet<number>;
  /** Header fields to write after the writer's (by offset and size). */
  readonly headerFields?: readonly { readonly at: number; readonly size: 1 | 2 | 4 | 8; readonly value: number | bigint }[];
  /** Keep the header CRC as computed before these changes (a case that breaks it). */
  readonly badHeaderCrc?: boolean;
  /** Bytes after the image. */
  readonly trailing?: Uint8Array;
  /** Streamed: the section_count the header gives (default 0). */
  readonly sectionCount?: number;
  /** Streamed: bytes to put in the padding after body `i` (-1: after the header), at its first byte. */
  readonly padding?: ReadonlyMap<number, number>;
  /** Seekable: a byte to put at the first byte of the gap before body `i` (the end section: the table). */
  readonly gapByte?: ReadonlyMap<number, number>;
}

/** Where the writer put things, for a case's expected offset. */
export interface Written {
  readonly bytes: Uint8Array;
  /** Each entry's first byte (the end entry last). */
  readonly entryAt: readonly number[];
  /** Each body's first byte (the end section's: where the table, or the end entry's end, is). */
  readonly bodyAt: readonly number[];
  /** Where each gap or padding before body `i` starts (index sections.length: before the table). */
  readonly gapAt: readonly number[];
  readonly tableOffset: number;
}

function put(view: DataView, at: number, size: 1 | 2 | 4 | 8, value: number | bigint, le: boolean): void {
  if (size === 8) view.setBigUint64(at, BigInt(value), le);
  else if (size === 4) view.setUint32(at, Number(value), le);
  else if (size === 2) view.setUint16(at, Number(value), le);
  else view.setUint8(at, Number(value));
}

const ENTRY_SIZES: Record<keyof typeof ENTRY, 4 | 8> = { type: 4, flags: 4, offset: 8, size: 8, entryCount: 8, entrySize: 4, align: 4, crc: 4, entryCrc: 4 };

/** Takes a seekable image (as the reference encoder writes it) apart. */
export function takeApart(bytes: Uint8Array): RawImage {
  const layout = decodeLayout(imageFormat, bytes);
  const sections = layout.entries.slice(0, -1).map((e) => ({
    type: e.type,
    flags: e.flags,
    entryCount: e.entryCount,
    entrySize: e.entrySize,
    align: e.align,
    body: bytes.slice(Number(e.offset), Number(e.offset + e.size)),
  }));
  return { header: bytes.slice(0, layout.header.headerSize), littleEndian: layout.littleEndian, sections };
}

/** The header with the table fields and any case fields written, and its CRC. */
function headerBytes(raw: RawImage, table: { offset: bigint; count: number; entrySize: number }, options: WriteOptions): Uint8Array {
  const h = raw.header.slice();
  const view = new DataView(h.buffer);
  const le = raw.littleEndian;
  const at = imageFormat.header.offsets;
  put(view, at.sectionTableOffset, 8, table.offset, le);
  put(view, at.sectionCount, 4, table.count, le);
  put(view, at.sectionEntrySize, 4, table.entrySize, le);
  put(view, HEADER_CRC, 4, 0, le);
  const crcBefore = crc32c(h);
  for (const f of options.headerFields ?? []) put(view, f.at, f.size, f.value, le);
  const crcAfter = (() => {
    const copy = h.slice();
    new DataView(copy.buffer).setUint32(HEADER_CRC, 0, le);
    return crc32c(copy);
  })();
  view.setUint32(HEADER_CRC, options.badHeaderCrc ? crcBefore ^ 0x1 : crcAfter, le);
  return h;
}

/** One entry's bytes, its entry CRC included (unless the case breaks it). */
function entryBytes(raw: RawImage, index: number, fields: Record<keyof typeof ENTRY, number | bigint>, options: WriteOptions): Uint8Array {
  const size = options.entrySize ?? imageFormat.entry.size;
  const e = new Uint8Array(size);
  const view = new DataView(e.buffer);
  const merged = { ...fields, ...(options.entryFields?.get(index) ?? {}) };
  for (const key of Object.keys(ENTRY) as (keyof typeof ENTRY)[]) if (key !== "entryCrc") put(view, ENTRY[key], ENTRY_SIZES[key], merged[key], raw.littleEndian);
  if (size > imageFormat.entry.size) e.set(options.entryTail?.(index) ?? new Uint8Array(size - imageFormat.entry.size), imageFormat.entry.size);
  const crc = crc32c(e);
  view.setUint32(ENTRY.entryCrc, options.badEntryCrc?.has(index) ? crc ^ 0x1 : "entryCrc" in (options.entryFields?.get(index) ?? {}) ? Number(merged.entryCrc) : crc, raw.littleEndian);
  return e;
}

function entryFieldsOf(s: RawSection, offset: bigint): Record<keyof typeof ENTRY, number | bigint> {
  return { type: s.type, flags: s.flags, offset, size: BigInt(s.body.length), entryCount: s.entryCount, entrySize: s.entrySize, align: s.align, crc: s.crc ?? crc32c(s.body), entryCrc: 0 };
}

function endFields(offset: bigint): Record<keyof typeof ENTRY, number | bigint> {
  return { type: imageFormat.endId, flags: 0, offset, size: 0n, entryCount: 0n, entrySize: 0, align: 8, crc: 0, entryCrc: 0 };
}

const roundUp = (n: number, a: number) => Math.ceil(n / a) * a;

/** Writes a seekable image: header, bodies each at its alignment (unless told otherwise), the table last. */
export function writeSeekable(raw: RawImage, options: WriteOptions = {}): Written {
  const entrySize = options.entrySize ?? imageFormat.entry.size;
  const parts: { at: number; bytes: Uint8Array }[] = [];
  const bodyAt: number[] = [];
  const gapAt: number[] = [];
  let pos = raw.header.length;
  raw.sections.forEach((s, i) => {
    gapAt.push(pos);
    const at = options.offsets?.get(i) !== undefined ? Number(options.offsets.get(i)) : roundUp(pos + (options.extraGap?.get(i) ?? 0), s.align);
    bodyAt.push(at);
    parts.push({ at, bytes: s.body });
    pos = Math.max(pos, at + s.body.length);
  });
  gapAt.push(pos);
  const tableOffset = roundUp(pos + (options.extraGap?.get(raw.sections.length) ?? 0), 8);
  bodyAt.push(tableOffset);
  const count = raw.sections.length + 1;
  const entries = raw.sections.map((s, i) => entryBytes(raw, i, entryFieldsOf(s, BigInt(bodyAt[i]!)), options));
  entries.push(entryBytes(raw, raw.sections.length, endFields(BigInt(tableOffset)), options));
  const end = tableOffset + count * entrySize;
  const out = new Uint8Array(end + (options.trailing?.length ?? 0));
  out.set(headerBytes(raw, { offset: BigInt(tableOffset), count, entrySize }, options), 0);
  for (const p of parts) out.set(p.bytes, p.at);
  entries.forEach((e, i) => out.set(e, tableOffset + i * entrySize));
  if (options.trailing !== undefined) out.set(options.trailing, end);
  for (const [i, byte] of options.gapByte ?? []) out[gapAt[i]!] = byte;
  return { bytes: out, entryAt: entries.map((_, i) => tableOffset + i * entrySize), bodyAt, gapAt, tableOffset };
}

/** Writes a streamed image: header and zeros to 8, then entry, body and zeros to 8 per section, the end entry last. */
export function writeStreamed(raw: RawImage, options: WriteOptions = {}): Written {
  const entrySize = options.entrySize ?? imageFormat.entry.size;
  const chunks: Uint8Array[] = [];
  const entryAt: number[] = [];
  const bodyAt: number[] = [];
  const gapAt: number[] = [];
  let pos = 0;
  const push = (b: Uint8Array) => {
    chunks.push(b);
    pos += b.length;
  };
  const pad = (after: number) => {
    const n = roundUp(pos, 8) - pos;
    gapAt.push(pos);
    const zeros = new Uint8Array(n);
    const byte = options.padding?.get(after);
    if (byte !== undefined && n > 0) zeros[0] = byte;
    push(zeros);
  };
  push(headerBytes(raw, { offset: STREAMED, count: options.sectionCount ?? 0, entrySize }, options));
  pad(-1);
  raw.sections.forEach((s, i) => {
    entryAt.push(pos);
    push(entryBytes(raw, i, entryFieldsOf(s, STREAMED), options));
    bodyAt.push(pos);
    push(s.body);
    pad(i);
  });
  entryAt.push(pos);
  push(entryBytes(raw, raw.sections.length, endFields(STREAMED), options));
  bodyAt.push(pos);
  if (options.trailing !== undefined) push(options.trailing);
  const out = new Uint8Array(pos);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return { bytes: out, entryAt, bodyAt, gapAt, tableOffset: -1 };
}

/** A copy of `raw` with section `i`'s body changed by `edit` (on a copy). */
export function withBody(raw: RawImage, i: number, edit: (body: Uint8Array, view: DataView) => Uint8Array | void): RawImage {
  const sections = raw.sections.map((s) => ({ ...s }));
  const body = sections[i]!.body.slice();
  const result = edit(body, new DataView(body.buffer));
  sections[i]!.body = result ?? body;
  return { ...raw, sections };
}

/** The index of the first section whose type id (without the optional bit) is `id`. */
export function indexOf(raw: RawImage, id: number, from = 0): number {
  const i = raw.sections.findIndex((s, k) => k >= from && ((s.type & ~OPTIONAL_BIT) >>> 0) === id);
  if (i < 0) throw new Error(`no section of type 0x${id.toString(16)}`);
  return i;
}
