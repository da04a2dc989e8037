/**
 * The rules every section-table entry follows, written once. The seekable table reader (its one-pass
 * check and its entry-by-entry path), the stream decoder and the image reader check entries with
 * {@link EntryChecker}; every writer checks the entries it is about to write with the same rules
 * ({@link checkEntryToWrite}), so what a writer accepts a reader accepts.
 *
 * An entry is checked in this order: its CRC (from the version that has one), then its own fields (the
 * end section's exact values, the alignment, the registry's optional bit and array shape), then where
 * it puts its body (seekable: at the one place the layout allows; streamed: the sentinel). The CRC
 * comes first so that a flipped bit is reported as what it is, not as whatever rule it happens to break.
 */
import type { ByteWriter } from "./byte-writer.js";
import { codecsById, OPTIONAL_BIT, sectionLabel, STREAMED, type ContainerFormat, type ContainerHeader, type DecodingFormat, type TableEntry } from "./format.js";
import { crc32c } from "./crc32c.js";
import { DecodeError, EncodeError, hex, shown, type EncodeErrorCode, type EntryRuleCode, type Location } from "./errors.js";
import { TABLE_ALIGN } from "./layout.js";
import type { SectionDecoder } from "./section-codec.js";

/**
 * The largest alignment an entry may declare: 2 MiB, an x86 huge page (page_data needs 4096). A
 * reader rejects more, and a writer never pads a body further than this.
 */
export const MAX_ALIGN = 0x20_0000;

/** The end section's alignment: it sits where the table starts. */
export const END_ALIGN = TABLE_ALIGN;

/** A u64 the rules read: a Number when it is below 2^53 (exact), a bigint otherwise or always. */
export type U64 = number | bigint;

/**
 * The entry fields the rules read. A decoded `TableEntry` is one; the table's one-pass check fills a
 * scratch one with Numbers straight from the bytes (bigints only for values of 2^53 or more).
 */
export interface EntryFields {
  readonly type: number;
  readonly flags: number;
  readonly offset: U64;
  readonly size: U64;
  readonly entryCount: U64;
  readonly entrySize: number;
  readonly align: number;
  readonly crc: number;
}

/** A broken entry rule: the error's code and reason, and the entry field (schema name) it is about. */
export interface EntryProblem {
  readonly code: EntryRuleCode;
  readonly reason: string;
  readonly path: string;
}

export type { EntryRuleCode } from "./errors.js";

/** Whether `align` is an alignment an entry may declare: a power of two, at most {@link MAX_ALIGN}. */
export function isValidAlign(align: number): boolean {
  return Number.isInteger(align) && align >= 1 && align <= MAX_ALIGN && (align & (align - 1)) === 0;
}

/** Rounds `n` up to a multiple of `align` (a power of two). */
function roundUp(n: number, align: number): number {
  return Math.ceil(n / align) * align;
}

function isZero(v: U64): boolean {
  return v === 0 || v === 0n;
}

/** `v` as a Number when it is exact (below 2^53), else undefined. */
function safe(v: U64): number | undefined {
  if (typeof v === "number") return v;
  return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : undefined;
}

/** The CRC32C of a table entry's bytes (all `section_entry_size` of them) with entry_crc taken as zero. */
export function entryChecksum(bytes: Uint8Array, crcOffset: number): number {
  // A copy: `bytes` may be a Node Buffer, whose slice() is a view that fill would write through.
  const copy = new Uint8Array(bytes);
  copy.fill(0, crcOffset, crcOffset + 4);
  return crc32c(copy);
}

/**
 * {@link entryChecksum} of each of the `count` entries of a table, `entrySize` bytes apart: one copy of
 * the table with every entry_crc zeroed, then one CRC per entry (a copy and three CRC calls per entry
 * cost four times as much, which a 50,000-entry table notices).
 */
export function tableChecksums(table: Uint8Array, count: number, entrySize: number, crcOffset: number): Uint32Array {
  const copy = new Uint8Array(table.subarray(0, count * entrySize)); // a copy, even of a Buffer
  const out = new Uint32Array(count);
  for (let i = 0, at = crcOffset; i < count; i++, at += entrySize) copy[at] = copy[at + 1] = copy[at + 2] = copy[at + 3] = 0;
  for (let i = 0, at = 0; i < count; i++, at += entrySize) out[i] = crc32c(copy.subarray(at, at + entrySize));
  return out;
}

/** Whether the entries of an image of `version` carry an entry CRC. */
export function hasEntryCrc(format: DecodingFormat<any>, version: number): boolean {
  return version >= format.entry.crcSince;
}

/**
 * The entry CRC rule for one entry: in a version with entry CRCs, `stored` must be `computed`, the
 * {@link entryChecksum} of the entry's bytes; before it, the field is reserved and must be zero.
 */
export function entryCrcProblem(format: DecodingFormat<any>, version: number, computed: number, stored: number): EntryProblem | undefined {
  if (hasEntryCrc(format, version)) {
    if (computed !== stored) return { code: "entry-crc", reason: `entry CRC mismatch: stored ${hex(stored)}, computed ${hex(computed)}`, path: "entry_crc" };
  } else if (stored !== 0) {
    return { code: "reserved", reason: `entry_crc is ${hex(stored)} in a version ${version} image, where it is reserved and must be zero`, path: "entry_crc" };
  }
  return undefined;
}

/** Where the entries being checked put their bodies. */
export type EntryPlacement =
  /** A seekable table of `count` entries at `tableOffset`; bodies start after the header's header_size bytes. */
  | { readonly kind: "seekable"; readonly tableOffset: number; readonly count: number }
  /** A stream: every offset is the sentinel. */
  | { readonly kind: "streamed" };

/**
 * Checks the entries of one image, in order: call {@link check} for entry 0, 1, … as they come. It
 * remembers where the previous body ended, which is where the layout puts the next one.
 */
export class EntryChecker<H extends ContainerHeader> {
  private readonly known: Map<number, SectionDecoder<unknown, H>>;
  private readonly arrays = new Map<number, boolean>();
  private readonly entrySizes = new Map<number, number | undefined>();
  /** Seekable: where the previous body ended (the header's end before the first). */
  private previousEnd: number;

  constructor(
    private readonly format: DecodingFormat<H>,
    private readonly header: H,
    private readonly placement: EntryPlacement,
  ) {
    this.known = codecsById(format);
    this.previousEnd = header.headerSize;
  }

  /**
   * The first rule entry `index` breaks, or undefined. `crc` is the entry CRC as stored and as computed
   * from the entry's bytes ({@link entryChecksum}); writers, which compute it themselves, leave it out.
   */
  check(e: EntryFields, index: number, crc?: { readonly stored: number; readonly computed: number }): EntryProblem | undefined {
    if (crc !== undefined) {
      const problem = entryCrcProblem(this.format, this.header.formatVersion, crc.computed, crc.stored);
      if (problem !== undefined) return problem;
    }
    const problem = this.fieldProblem(e, index);
    if (problem !== undefined) return problem;
    return this.placement.kind === "seekable" ? this.seekableProblem(e, index, this.placement) : this.streamedProblem(e);
  }

  /** The rules on an entry's own fields, whatever the layout. */
  private fieldProblem(e: EntryFields, index: number): EntryProblem | undefined {
    const format = this.format;
    const id = (e.type & ~OPTIONAL_BIT) >>> 0;
    const isEnd = id === format.endId;
    if (this.placement.kind === "seekable" && isEnd !== (index === this.placement.count - 1)) {
      return { code: "end-entry", reason: isEnd ? "the end section is not last" : "the last section is not the end section", path: "type" };
    }
    if (isEnd) return endProblem(e);
    if (!isValidAlign(e.align)) {
      const reason = e.align > MAX_ALIGN && (e.align & (e.align - 1)) === 0 ? `alignment ${e.align} is above the maximum, ${MAX_ALIGN}` : `alignment ${e.align} is not a power of two`;
      return { code: "alignment", reason, path: "align" };
    }
    const codec = this.known.get(id);
    if (codec === undefined) return undefined;
    const optional = (e.type & OPTIONAL_BIT) !== 0;
    if (codec.optional !== optional) {
      return { code: "optional-bit", reason: `the optional bit is ${optional ? "set" : "clear"}, but ${codec.name} is ${codec.optional ? "optional" : "mandatory"}`, path: "type" };
    }
    if (e.align !== codec.align) return { code: "alignment", reason: `alignment ${e.align}, but ${codec.name} sections are aligned to ${codec.align}`, path: "align" };
    if (!this.isArray(codec)) {
      if (!isZero(e.entryCount)) return { code: "entry-shape", reason: `${codec.name} is not an array section: its entry count must be 0, not ${e.entryCount}`, path: "entry_count" };
      if (e.entrySize !== 0) return { code: "entry-shape", reason: `${codec.name} is not an array section: its entry size must be 0, not ${e.entrySize}`, path: "entry_size" };
      return undefined;
    }
    const expected = this.entrySizeOf(codec);
    if (expected === undefined) return undefined;
    if (e.entrySize !== expected) return { code: "entry-shape", reason: `${codec.name} entries are ${expected} bytes, not ${e.entrySize}`, path: "entry_size" };
    const fits = typeof e.size === "number" && typeof e.entryCount === "number" ? e.size === e.entryCount * e.entrySize : BigInt(e.size) === BigInt(e.entryCount) * BigInt(e.entrySize);
    if (!fits) return { code: "entry-shape", reason: `size ${e.size} is not entry_count ${e.entryCount} × entry_size ${e.entrySize}`, path: "size" };
    return undefined;
  }

  private entrySizeOf(codec: SectionDecoder<unknown, H>): number | undefined {
    if (!this.entrySizes.has(codec.id)) this.entrySizes.set(codec.id, codec.arrayEntrySize?.(this.header));
    return this.entrySizes.get(codec.id);
  }

  private isArray(codec: SectionDecoder<unknown, H>): boolean {
    let array = this.arrays.get(codec.id);
    if (array === undefined) {
      array = codec.isArray(this.header);
      this.arrays.set(codec.id, array);
    }
    return array;
  }

  private streamedProblem(e: EntryFields): EntryProblem | undefined {
    if (e.offset !== STREAMED) return { code: "placement", reason: `a streamed section has an offset (${hex(e.offset)}) instead of the sentinel`, path: "offset" };
    return undefined;
  }

  /**
   * Seekable: each body at the first multiple of its alignment after the previous one (the first after
   * the header), inside the image; the end entry where the table is, the table at the first multiple
   * of 8 after the last body. So bodies are in table order, never overlap, and leave only gaps that
   * the alignment explains (and that must be zero: {@link checkGap}).
   */
  private seekableProblem(e: EntryFields, index: number, placement: { readonly tableOffset: number; readonly count: number }): EntryProblem | undefined {
    const { tableOffset } = placement;
    const headerSize = this.header.headerSize;
    if (e.offset === STREAMED) return { code: "placement", reason: "a seekable image has a streamed (sentinel) section offset", path: "offset" };
    const offset = safe(e.offset);
    const size = safe(e.size);
    const end = offset === undefined || size === undefined ? undefined : offset + size;
    const isEnd = index === placement.count - 1;
    if (isEnd) {
      if (offset !== tableOffset) return { code: "end-entry", reason: `the end section's offset ${hex(e.offset)} is not the table's, ${hex(tableOffset)}`, path: "offset" };
      const expected = roundUp(this.previousEnd, END_ALIGN);
      if (tableOffset !== expected) {
        return { code: "placement", reason: `the section table is at ${hex(tableOffset)}, not at ${hex(expected)}, the first multiple of ${END_ALIGN} after the last body`, path: "offset" };
      }
      this.previousEnd = tableOffset;
      return undefined;
    }
    if (offset === undefined || end === undefined || offset < headerSize || end > tableOffset) {
      const last = typeof e.offset === "bigint" || typeof e.size === "bigint" ? BigInt(e.offset) + BigInt(e.size) : e.offset + e.size;
      return { code: "placement", reason: `body ${hex(e.offset)}…${hex(last)} lies outside ${hex(headerSize)}…${hex(tableOffset)}`, path: offset === undefined || offset < headerSize ? "offset" : "size" };
    }
    if (offset % e.align !== 0) return { code: "placement", reason: `offset ${hex(offset)} is not aligned to ${e.align}`, path: "offset" };
    if (offset < this.previousEnd) {
      const previous = index === 0 ? `the header, which ends at ${hex(headerSize)}` : `the previous body, which ends at ${hex(this.previousEnd)}`;
      return { code: "placement", reason: `body ${hex(offset)}…${hex(end)} overlaps ${previous}`, path: "offset" };
    }
    const expected = roundUp(this.previousEnd, e.align);
    if (offset !== expected) {
      return { code: "placement", reason: `body at ${hex(offset)}, not at ${hex(expected)}, the first multiple of ${e.align} after ${hex(this.previousEnd)}`, path: "offset" };
    }
    this.previousEnd = end;
    return undefined;
  }
}

/** The end entry: every field has exactly one value (the offset is checked with the placement). */
function endProblem(e: EntryFields): EntryProblem | undefined {
  const fail = (field: string, value: string, wanted: string): EntryProblem => ({ code: "end-entry", reason: `the end section's ${field} is ${value}, not ${wanted}`, path: field });
  if ((e.type & OPTIONAL_BIT) !== 0) return { code: "end-entry", reason: "the end section has the optional bit set", path: "type" };
  if (e.flags !== 0) return fail("flags", hex(e.flags), "0");
  if (!isZero(e.size)) return { code: "end-entry", reason: "the end section is not empty", path: "size" };
  if (!isZero(e.entryCount)) return fail("entry_count", String(e.entryCount), "0");
  if (e.entrySize !== 0) return fail("entry_size", String(e.entrySize), "0");
  if (e.align !== END_ALIGN) return fail("align", String(e.align), String(END_ALIGN));
  if (e.crc !== 0) return fail("crc", hex(e.crc), "0 (the CRC32C of an empty body)");
  return undefined;
}

/**
 * A reader's error for a broken entry rule, at the entry's offset. It names the section by the entry's
 * type, except for an entry CRC mismatch: then the type itself may be what is corrupt.
 */
export function entryError(format: DecodingFormat<any>, problem: EntryProblem, type: number, index: number, offset: number): DecodeError {
  const id = (type & ~OPTIONAL_BIT) >>> 0;
  const section = problem.code === "entry-crc" ? `table entry #${index}` : sectionLabel(codecsById(format).get(id)?.name ?? `type ${hex(id)}`, index);
  return new DecodeError(problem.code, problem.reason, { section, offset, path: problem.path });
}

/**
 * Checks that the bytes between two parts of an image are all zero (the alignment gap before a body,
 * before the table, or a stream's padding), or fails with a {@link DecodeError} naming the first
 * non-zero byte. `offset` is where `bytes` start in the image; `label` what follows them.
 */
export function checkGap(bytes: Uint8Array, offset: number, label: string, code: "gap" | "padding" = "gap"): void {
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] !== 0) {
      const reason = code === "gap" ? "the alignment gap before this part of the image is not zero" : "padding between sections is not zero";
      throw new DecodeError(code, reason, { section: label, offset: offset + i });
    }
  }
}

/**
 * Writers' side of the rules: fails with an {@link EncodeError} naming the field unless the entry a
 * writer is about to write is one the readers accept (field types and ranges included, so a value of
 * the wrong type is reported here rather than as a bare TypeError later). Placement is the writer's
 * own and not checked; offset and entry CRC are ignored.
 */
export function checkEntryToWrite<H extends ContainerHeader>(
  format: ContainerFormat<H>,
  header: H,
  entry: Omit<EntryFields, "offset">,
  where: Location,
): void {
  const fail = (path: string, reason: string, code: EncodeErrorCode = "invalid-value"): never => {
    throw new EncodeError(code, reason, { ...where, path });
  };
  const u32 = (v: unknown) => typeof v === "number" && v >>> 0 === v;
  const u64 = (v: unknown) => typeof v === "bigint" && BigInt.asUintN(64, v) === v;
  if (entry === null || typeof entry !== "object") fail("", "a table entry must be an object");
  let fields: Omit<EntryFields, "offset">;
  try {
    // One read of each field: a getter is not asked twice, and one that throws is reported here.
    const { type, flags, size, entryCount, entrySize, align, crc } = entry;
    fields = { type, flags, size, entryCount, entrySize, align, crc };
  } catch (e) {
    return fail("", `the table entry cannot be read: ${e instanceof Error ? e.message : shown(e)}`);
  }
  for (const field of ["type", "flags", "entrySize", "align", "crc"] as const) if (!u32(fields[field])) fail(snake(field), `${shown(fields[field])} is not a valid u32`);
  for (const field of ["size", "entryCount"] as const) if (!u64(fields[field])) fail(snake(field), `${shown(fields[field])} is not a valid u64 (a bigint is expected)`);
  if (((fields.type & ~OPTIONAL_BIT) >>> 0) === format.endId) fail("type", "the end section is written by the writer, not given as a section", "end-entry");
  const problem = new EntryChecker(format, header, { kind: "streamed" }).check({ ...fields, offset: STREAMED }, 0);
  if (problem !== undefined) fail(problem.path, problem.reason, writerCode(problem.code));
}

/** A broken entry rule's code on a writer's error; the CRC and placement rules never reach a writer (it computes them). */
function writerCode(code: EntryRuleCode): EncodeErrorCode {
  return code === "entry-crc" || code === "reserved" || code === "placement" ? "internal" : code;
}

function snake(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/**
 * Encodes a table entry at the writer's position with its entry CRC, computed over the bytes just
 * written with the field still zero (and left zero in an image of a version without entry CRCs). What
 * `entry.entryCrc` holds is ignored.
 */
export function encodeEntry<H extends ContainerHeader>(format: ContainerFormat<H>, w: ByteWriter, entry: Omit<TableEntry, "entryCrc">, version: number): void {
  const start = w.pos;
  format.entry.encode(w, { ...entry, entryCrc: 0 });
  if (hasEntryCrc(format, version)) w.u32At(start + format.entry.crcOffset, crc32c(w.finish().subarray(start)));
}
