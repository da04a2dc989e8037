/**
 * A seekable image's section table, checked in one pass over its bytes and kept as those bytes plus a
 * column of entry types: opening an image costs a tight loop per entry instead of an object, BigInts
 * and a reader per entry. `TableEntry` objects are decoded, by the generated entry decoder, only when
 * asked for.
 */
import { ByteReader } from "./byte-reader.js";
import { codecsById, OPTIONAL_BIT, sectionLabel, type DecodingFormat, type ContainerHeader, type EntryLayout, type TableEntry } from "./format.js";
import { entryChecksum, EntryChecker, entryError, tableChecksums, type U64 } from "./entry-rules.js";
import { DecodeError, hex, XenImageError } from "./errors.js";

export type { EntryLayout } from "./format.js";


/** A u64 whose high word is this or more is 2^53 or more: past any offset a Number can hold exactly. */
const HI_UNSAFE = 0x20_0000;
const TWO_32 = 0x1_0000_0000;

/** The checked section table of a seekable image; entry `length - 1` is the end section. */
export class SectionTable {
  private readonly decoded: (TableEntry | undefined)[];
  private all: TableEntry[] | undefined;

  private constructor(
    private readonly format: DecodingFormat<ContainerHeader>,
    private readonly header: ContainerHeader,
    private readonly bytes: Uint8Array,
    private readonly littleEndian: boolean,
    /** Each entry's type, the optional bit included. */
    private readonly types: Uint32Array,
    /** Where each entry's body ends (offset + size; the table's offset for the end entry): where the gap before the next one starts. */
    private readonly ends: Float64Array,
    decoded: TableEntry[] = [],
  ) {
    this.decoded = decoded;
  }

  /**
   * Checks the entries of a table, given its bytes (as `tablePlacement` locates them) by the entry
   * rules (`entry-rules.ts`): entry CRCs, the end section last and exact, alignments, the registry's
   * optional bits and array shapes, every body at its place between the header and the table. Fails
   * with the {@link DecodeError} of the first bad entry.
   */
  static decode<H extends ContainerHeader>(format: DecodingFormat<H>, header: H, littleEndian: boolean, table: Uint8Array): SectionTable {
    const f = format as unknown as DecodingFormat<ContainerHeader>;
    const layout = format.entry.layout;
    if (layout !== undefined) {
      const checked = checkTable(f, layout, header, littleEndian, table);
      if (checked !== undefined) return new SectionTable(f, header, table, littleEndian, checked.types, checked.ends);
    }
    // No layout, or the one pass found a problem: decode and check entry by entry, which names it.
    const entries = decodeEntries(f, header, littleEndian, table);
    const ends = Float64Array.from(entries, (e) => Number(e.offset + e.size));
    return new SectionTable(f, header, table, littleEndian, Uint32Array.from(entries, (e) => e.type), ends, entries);
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
      const entrySize = this.header.sectionEntrySize;
      const start = index * entrySize;
      const r = new ByteReader(this.bytes.subarray(start, start + entrySize), { littleEndian: this.littleEndian, base: Number(this.header.sectionTableOffset) + start });
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

  /**
   * The alignment gap before entry `index`'s body: from where the previous body ends (the header, for
   * the first) to where this one starts; for the end entry, the gap before the table. Its bytes must be
   * zero (`checkGap`); the table check has made sure it is shorter than the body's alignment.
   */
  gapBefore(index: number): { readonly start: number; readonly end: number } {
    const start = index === 0 ? this.header.headerSize : this.ends[index - 1]!;
    // The end entry's body is empty and at the table's offset, so its end is where the table starts.
    return { start, end: index === this.types.length - 1 ? this.ends[index]! : Number(this.entry(index).offset) };
  }

  /** How errors name what follows the gap before entry `index`: the section, or the table for the end entry. */
  gapLabel(index: number): string {
    if (index === this.types.length - 1) return "section table";
    const id = (this.types[index]! & ~OPTIONAL_BIT) >>> 0;
    return sectionLabel(codecsById(this.format).get(id)?.name ?? `type ${hex(id)}`, index);
  }
}

/**
 * The one pass: reads the fields at the layout's offsets straight from the bytes, as Numbers where they
 * are exact, and checks each entry with the shared {@link EntryChecker}, as the entry-by-entry path does.
 * Returns the type column, or undefined when any entry breaks any rule; the caller then runs the
 * entry-by-entry path, which finds the same entry and names the problem.
 */
function checkTable(format: DecodingFormat<ContainerHeader>, layout: EntryLayout, header: ContainerHeader, le: boolean, table: Uint8Array): { types: Uint32Array; ends: Float64Array } | undefined {
  const count = header.sectionCount;
  const entrySize = header.sectionEntrySize;
  if (count === 0 || table.length < count * entrySize || entrySize < format.entry.size || header.sectionTableOffset > BigInt(Number.MAX_SAFE_INTEGER)) return undefined;
  const tableOffset = Number(header.sectionTableOffset);
  const checker = new EntryChecker(format, header, { kind: "seekable", tableOffset, count });
  const view = new DataView(table.buffer, table.byteOffset, table.byteLength);
  const { type: typeAt, flags: flagsAt, offset: offsetAt, size: sizeAt, entryCount: countAt, entrySize: entrySizeAt, align: alignAt, crc: crcAt } = layout;
  const entryCrcAt = format.entry.crcOffset;
  // Where the low and high words of a u64 are, in this byte order.
  const lo = le ? 0 : 4;
  const hi = le ? 4 : 0;
  const u64 = (at: number): U64 => {
    const high = view.getUint32(at + hi, le);
    return high < HI_UNSAFE ? high * TWO_32 + view.getUint32(at + lo, le) : view.getBigUint64(at, le);
  };
  const { words, bytes } = reservedBytes(layout);
  const checksums = tableChecksums(table, count, entrySize, entryCrcAt);
  const crc = { stored: 0, computed: 0 };
  const types = new Uint32Array(count);
  const ends = new Float64Array(count);
  const e = { type: 0, flags: 0, offset: 0 as U64, size: 0 as U64, entryCount: 0 as U64, entrySize: 0, align: 0, crc: 0 };
  for (let i = 0, at = 0; i < count; i++, at += entrySize) {
    let set = 0;
    for (let k = 0; k < words.length; k++) set |= view.getUint32(at + words[k]!);
    for (let k = 0; k < bytes.length; k++) set |= table[at + bytes[k]!]!;
    if (set !== 0) return undefined;
    e.type = view.getUint32(at + typeAt, le);
    e.flags = view.getUint32(at + flagsAt, le);
    e.offset = u64(at + offsetAt);
    e.size = u64(at + sizeAt);
    e.entryCount = u64(at + countAt);
    e.entrySize = view.getUint32(at + entrySizeAt, le);
    e.align = view.getUint32(at + alignAt, le);
    e.crc = view.getUint32(at + crcAt, le);
    crc.stored = view.getUint32(at + entryCrcAt, le);
    crc.computed = checksums[i]!;
    if (checker.check(e, i, crc) !== undefined) return undefined;
    types[i] = e.type;
    // The checks passed, so offset and size are Numbers and their sum at most the table's offset.
    ends[i] = (e.offset as number) + (e.size as number);
  }
  return { types, ends };
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
  const tableOffset = Number(header.sectionTableOffset);
  const entries: TableEntry[] = [];
  for (let i = 0; i < header.sectionCount; i++) {
    const at = tableOffset + i * entrySize;
    const r = new ByteReader(table.subarray(i * entrySize, (i + 1) * entrySize), { littleEndian, base: at });
    try {
      entries.push(format.entry.decode(r));
    } catch (e) {
      throw e instanceof XenImageError ? e.within({ section: `table entry #${i}` }) : e;
    }
  }
  if (entries.length === 0) throw new DecodeError("section-count", "the section table is empty (it needs at least the end section)", { section: "header", path: "section_count", offset: format.header.offsets.sectionCount });
  const checker = new EntryChecker(format, header, { kind: "seekable", tableOffset, count: entries.length });
  entries.forEach((entry, i) => {
    const computed = entryChecksum(table.subarray(i * entrySize, (i + 1) * entrySize), format.entry.crcOffset);
    const problem = checker.check(entry, i, { stored: entry.entryCrc, computed });
    if (problem !== undefined) throw entryError(format, problem, entry.type, i, tableOffset + i * entrySize);
  });
  return entries;
}
