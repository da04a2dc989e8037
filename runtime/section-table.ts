/**
 * A seekable image's section table, checked in one pass over its bytes and kept as those bytes plus a
 * column of entry types: opening an image costs a tight loop per entry instead of an object, BigInts
 * and a reader per entry. `TableEntry` objects are decoded, by the generated entry decoder, only when
 * asked for.
 */
import { ByteReader } from "./byte-reader.js";
import { OPTIONAL_BIT, sectionLabel, STREAMED, codecsById, type DecodingFormat, type ContainerHeader, type TableEntry } from "./container.js";
import { DecodeError, hex, XenImageError } from "./errors.js";

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

/** A u64 whose high word is this or more is 2^53 or more: past any offset a Number can hold exactly. */
const HI_UNSAFE = 0x20_0000;
const TWO_32 = 0x1_0000_0000;

/** The checked section table of a seekable image; entry `length - 1` is the end section. */
export class SectionTable {
  private readonly decoded: (TableEntry | undefined)[];
  private all: TableEntry[] | undefined;

  private constructor(
    private readonly format: DecodingFormat<ContainerHeader>,
    private readonly bytes: Uint8Array,
    private readonly littleEndian: boolean,
    private readonly entrySize: number,
    private readonly tableOffset: number,
    /** Each entry's type, the optional bit included. */
    private readonly types: Uint32Array,
    decoded: TableEntry[] = [],
  ) {
    this.decoded = decoded;
  }

  /**
   * Checks the entries of a table, given its bytes (as `tablePlacement` locates them): alignment,
   * bounds (every body between the header and the table), and the end section last and empty. Fails
   * with the {@link DecodeError} of the first bad entry.
   */
  static decode<H extends ContainerHeader>(format: DecodingFormat<H>, header: H, littleEndian: boolean, table: Uint8Array): SectionTable {
    const f = format as unknown as DecodingFormat<ContainerHeader>;
    const layout = format.entry.layout;
    if (layout !== undefined) {
      const types = checkTable(f, layout, header, littleEndian, table);
      if (types !== undefined) return new SectionTable(f, table, littleEndian, header.sectionEntrySize, Number(header.sectionTableOffset), types);
    }
    // No layout, or the one pass found a problem: decode and check entry by entry, which names it.
    const entries = decodeEntries(f, header, littleEndian, table);
    return new SectionTable(f, table, littleEndian, header.sectionEntrySize, Number(header.sectionTableOffset), Uint32Array.from(entries, (e) => e.type), entries);
  }

  /** The number of entries, the end section's included. */
  get length(): number {
    return this.types.length;
  }

  /** The type of entry `index` (optional bit included); `index` must be in range. */
  type(index: number): number {
    return this.types[index]!;
  }

  /** The indices of the entries below `end` whose type id (without the optional bit) is `id`, in order. */
  indicesOf(id: number, end = this.types.length): number[] {
    const out: number[] = [];
    const types = this.types;
    for (let i = 0; i < end; i++) if (((types[i]! & ~OPTIONAL_BIT) >>> 0) === id) out.push(i);
    return out;
  }

  /** Entry `index`, decoded the first time it is asked for; `index` must be in range. */
  entry(index: number): TableEntry {
    let entry = this.decoded[index];
    if (entry === undefined) {
      const start = index * this.entrySize;
      const r = new ByteReader(this.bytes.subarray(start, start + this.entrySize), { littleEndian: this.littleEndian, base: this.tableOffset + start });
      entry = this.format.entry.decode(r);
      this.decoded[index] = entry;
    }
    return entry;
  }

  /** Every entry, in table order. */
  entries(): TableEntry[] {
    this.all ??= Array.from({ length: this.types.length }, (_, i) => this.entry(i));
    return this.all;
  }
}

/**
 * The one pass: reads the fields at the layout's offsets straight from the bytes and applies the
 * checks of {@link checkEntry} with Numbers (exact: offsets and sizes it accepts are below the table
 * offset, itself below 2^53). Returns the type column, or undefined when any entry fails any check;
 * the caller then runs the entry-by-entry path, which finds the same entry and names the problem.
 */
function checkTable(format: DecodingFormat<ContainerHeader>, layout: EntryLayout, header: ContainerHeader, le: boolean, table: Uint8Array): Uint32Array | undefined {
  const count = header.sectionCount;
  const entrySize = header.sectionEntrySize;
  if (count === 0 || table.length < count * entrySize || entrySize < format.entry.size || header.sectionTableOffset > BigInt(Number.MAX_SAFE_INTEGER)) return undefined;
  const tableOffset = Number(header.sectionTableOffset);
  const headerSize = header.headerSize;
  const endId = format.endId;
  const view = new DataView(table.buffer, table.byteOffset, table.byteLength);
  const { type: typeAt, offset: offsetAt, size: sizeAt, align: alignAt } = layout;
  // Where the low and high words of a u64 are, in this byte order.
  const lo = le ? 0 : 4;
  const hi = le ? 4 : 0;
  const { words, bytes } = reservedBytes(layout);
  const types = new Uint32Array(count);
  for (let i = 0, at = 0; i < count; i++, at += entrySize) {
    let set = 0;
    for (let k = 0; k < words.length; k++) set |= view.getUint32(at + words[k]!);
    for (let k = 0; k < bytes.length; k++) set |= table[at + bytes[k]!]!;
    if (set !== 0) return undefined;
    const type = view.getUint32(at + typeAt, le);
    const align = view.getUint32(at + alignAt, le);
    const offsetHi = view.getUint32(at + offsetAt + hi, le);
    const sizeHi = view.getUint32(at + sizeAt + hi, le);
    if (align === 0 || (align & (align - 1)) !== 0 || offsetHi >= HI_UNSAFE || sizeHi >= HI_UNSAFE) return undefined;
    const offsetLo = view.getUint32(at + offsetAt + lo, le);
    const offset = offsetHi * TWO_32 + offsetLo;
    const size = sizeHi * TWO_32 + view.getUint32(at + sizeAt + lo, le);
    // align is a power of two dividing 2^32, so only the low word decides; a mask, not a float modulo.
    if ((offsetLo & (align - 1)) !== 0 || offset < headerSize || offset + size > tableOffset) return undefined;
    const isEnd = (type & ~OPTIONAL_BIT) === endId;
    if (isEnd !== (i === count - 1) || (isEnd && size !== 0)) return undefined;
    types[i] = type;
  }
  return types;
}

/** Where an entry's reserved bytes are: 4-byte words (one read each) and the bytes left over. */
interface ReservedBytes {
  readonly words: Int32Array;
  readonly bytes: Int32Array;
}

const reservedByLayout = new WeakMap<EntryLayout, ReservedBytes>();

/** The offsets of an entry's reserved words and bytes, computed once per layout. */
function reservedBytes(layout: EntryLayout): ReservedBytes {
  let reserved = reservedByLayout.get(layout);
  if (reserved === undefined) {
    const words: number[] = [];
    const bytes: number[] = [];
    for (const [start, size] of layout.zeros) {
      let at = start;
      for (; at + 4 <= start + size; at += 4) words.push(at);
      for (; at < start + size; at++) bytes.push(at);
    }
    reserved = { words: Int32Array.from(words), bytes: Int32Array.from(bytes) };
    reservedByLayout.set(layout, reserved);
  }
  return reserved;
}

/** Decodes every entry with the generated decoder, then checks each: the path that names problems. */
function decodeEntries(format: DecodingFormat<ContainerHeader>, header: ContainerHeader, littleEndian: boolean, table: Uint8Array): TableEntry[] {
  const entrySize = header.sectionEntrySize;
  const tableOffset = header.sectionTableOffset;
  const entries: TableEntry[] = [];
  for (let i = 0; i < header.sectionCount; i++) {
    const at = Number(tableOffset) + i * entrySize;
    const r = new ByteReader(table.subarray(i * entrySize, (i + 1) * entrySize), { littleEndian, base: at });
    try {
      entries.push(format.entry.decode(r));
    } catch (e) {
      throw e instanceof XenImageError ? e.within({ section: `table entry #${i}` }) : e;
    }
  }
  entries.forEach((entry, i) => checkEntry(format, header, entry, i, entries.length));
  if (entries.length === 0) throw new DecodeError("invalid", "the section table is empty (it needs at least the end section)", { section: "header", path: "section_count" });
  return entries;
}

/** Checks one decoded entry, `index` of `count`: the reference {@link checkTable} must agree with. */
function checkEntry(format: DecodingFormat<ContainerHeader>, header: ContainerHeader, entry: TableEntry, index: number, count: number): void {
  const tableOffset = header.sectionTableOffset;
  const id = entry.type & ~OPTIONAL_BIT;
  const label = sectionLabel(codecsById(format).get(id)?.name ?? `type ${hex(id)}`, index);
  const fail = (reason: string, path?: string) => {
    throw new DecodeError("invalid", reason, { section: label, offset: Number(tableOffset) + index * header.sectionEntrySize, path });
  };
  if (entry.align === 0 || (entry.align & (entry.align - 1)) !== 0) fail(`alignment ${entry.align} is not a power of two`, "align");
  if (entry.offset === STREAMED) fail("a seekable image has a streamed (sentinel) section offset", "offset");
  if (entry.offset % BigInt(entry.align) !== 0n) fail(`offset ${hex(entry.offset)} is not aligned to ${entry.align}`, "offset");
  if (entry.offset < BigInt(header.headerSize) || entry.offset + entry.size > tableOffset) {
    fail(`body ${hex(entry.offset)}…${hex(entry.offset + entry.size)} lies outside ${hex(header.headerSize)}…${hex(tableOffset)}`, "offset");
  }
  const isEnd = id === format.endId;
  if (isEnd !== (index === count - 1)) fail(isEnd ? "the end section is not last" : "the last section is not the end section", "type");
  if (isEnd && entry.size !== 0n) fail("the end section is not empty", "size");
}
