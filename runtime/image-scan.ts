/**
 * Reading every section of a seekable image front to back in large reads, checksumming the bytes as
 * they arrive: what checking a whole image needs. Sections that fit are read several at a time into
 * one of two reused chunk buffers (the next read runs while the caller checks the sections of the
 * previous one); a section larger than a chunk is read into a buffer of its own in chunk-sized pieces,
 * its CRC continued over each piece. Memory is two chunks plus the largest section body, whatever the
 * image's size.
 */
import type { TableEntry } from "./container.js";
import { crc32c } from "./crc32c.js";
import { checkGap } from "./entry-rules.js";
import { DecodeError } from "./errors.js";

/** Options of a scan ({@link ImageReader.scan}). */
export interface ScanOptions {
  /**
   * The most bytes one read covers, default {@link DEFAULT_SCAN_CHUNK}. Sections that fit are read
   * together; larger ones in pieces of this size.
   */
  readonly chunkSize?: number;
  /** The table indices of the sections to read (default: every one, the end section's included). */
  readonly sections?: readonly number[];
}

/**
 * The default read size of a scan: 8 MiB, which holds a Xen batch (4 MiB of pages and its frame list)
 * whole. `bench/verify-speed.ts` measured 1 to 32 MiB against a plain loop of 1 MiB reads and CRCs
 * (bench/RESULTS.md): below a batch each section needs a buffer of its own (slower, more memory);
 * 16 MiB was within the noise of 8 at 16 MiB more memory; 32 MiB was slower.
 */
export const DEFAULT_SCAN_CHUNK = 8 * 1024 * 1024;

/** A section as a scan delivers it: its entry, its body (not decoded) and the CRC of the bytes read. */
export interface ScannedSection {
  /** Its index in the table. */
  readonly index: number;
  readonly label: string;
  readonly entry: TableEntry;
  /**
   * The body, or undefined when it is larger than the reader's `maxSectionSize` (its CRC is computed
   * all the same). It may be a view of a buffer the scan reuses: valid until the loop asks for the
   * next section; copy what must outlive that.
   */
  readonly body: Uint8Array | undefined;
  /** The CRC32C of the body as read; the caller compares it with `entry.crc`. */
  readonly crc: number;
  /**
   * What is wrong with the alignment gap before the section (before the table, for the end section):
   * the error naming its first non-zero byte, or undefined when the gap is all zeros.
   */
  readonly gap: DecodeError | undefined;
}

/** What a scan needs from a reader. @internal */
export interface ScanSource {
  /** Fills `into` with the image's bytes from `position` on, or fails naming `what` was being read. */
  readFully(into: Uint8Array, position: number, what: string): Promise<void>;
  readonly entries: readonly TableEntry[];
  label(index: number): string;
  /** The alignment gap before section `index` (before the table, for the end section), and how errors name it. */
  gapBefore(index: number): { readonly start: number; readonly end: number };
  gapLabel(index: number): string;
  readonly maxSectionSize: number;
}

/** The gap's check as a value: the scan reports it with its section rather than stopping there. */
function gapProblem(source: ScanSource, index: number, bytes: Uint8Array, start: number): DecodeError | undefined {
  try {
    checkGap(bytes, start, source.gapLabel(index));
    return undefined;
  } catch (e) {
    if (e instanceof DecodeError) return e;
    throw e;
  }
}

/**
 * The largest run of unwanted bytes a chunk reads through to take in the next section: more, and the
 * next section starts a read of its own (a scan of some sections skips the others).
 */
const MAX_GAP = 64 * 1024;

/** One read: several whole sections (a chunk), or one large section. */
type Item = { kind: "chunk"; start: number; end: number; sections: number[] } | { kind: "large"; section: number };

/**
 * The reads of a scan, in file order: consecutive sections grouped into chunks of at most `chunkSize`
 * bytes (and gaps of at most {@link MAX_GAP}), each section in exactly one. A section overlapping one before it (a table no writer makes)
 * gets a read of its own at the end, so no chunk is ever read for two sections' sake.
 */
function planReads(source: ScanSource, sections: readonly number[], chunkSize: number): Item[] {
  const entries = source.entries;
  // A section's read starts at the gap before it, so the gap's bytes are read (and checked) with it.
  const start = (i: number) => source.gapBefore(i).start;
  const size = (i: number) => Number(entries[i]!.size);
  const order = [...new Set(sections)].sort((a, b) => start(a) - start(b) || a - b);
  const items: Item[] = [];
  const overlapping: number[] = [];
  let reached = 0;
  let chunk: Extract<Item, { kind: "chunk" }> | undefined;
  for (const i of order) {
    if (start(i) < reached) {
      overlapping.push(i);
      continue;
    }
    const end = Number(entries[i]!.offset) + size(i);
    reached = end;
    if (size(i) > chunkSize) {
      chunk = undefined;
      items.push({ kind: "large", section: i });
    } else if (chunk !== undefined && end - chunk.start <= chunkSize && start(i) - chunk.end <= MAX_GAP) {
      chunk.sections.push(i);
      chunk.end = end;
    } else {
      chunk = { kind: "chunk", start: start(i), end, sections: [i] };
      items.push(chunk);
    }
  }
  for (const i of overlapping) items.push(size(i) > chunkSize ? { kind: "large", section: i } : { kind: "chunk", start: start(i), end: Number(entries[i]!.offset) + size(i), sections: [i] });
  return items;
}

/** One read of a plan and what to do with its bytes. */
interface Piece {
  readonly position: number;
  readonly length: number;
  /** Where to read into; undefined: one of the two chunk buffers. */
  readonly into: Uint8Array | undefined;
  readonly what: string;
  /** The sections the bytes complete (CRCs computed now, while the next read runs). */
  finish(bytes: Uint8Array): ScannedSection[];
}

/** The plan's reads, made one at a time (a large section's buffer is allocated when its first read starts). */
function* pieces(source: ScanSource, items: readonly Item[], chunkSize: number): Generator<Piece> {
  const entries = source.entries;
  for (const item of items) {
    if (item.kind === "chunk") {
      yield {
        position: item.start,
        length: item.end - item.start,
        into: undefined,
        what: source.label(item.sections[0]!),
        finish: (bytes) =>
          item.sections.map((index) => {
            const entry = entries[index]!;
            const at = Number(entry.offset) - item.start;
            const body = bytes.subarray(at, at + Number(entry.size));
            const gap = source.gapBefore(index);
            const gapBytes = bytes.subarray(gap.start - item.start, gap.end - item.start);
            return { index, label: source.label(index), entry, body, crc: crc32c(body), gap: gapProblem(source, index, gapBytes, gap.start) };
          }),
      };
      continue;
    }
    const index = item.section;
    const entry = entries[index]!;
    const label = source.label(index);
    const size = Number(entry.size);
    const body = size <= source.maxSectionSize ? new Uint8Array(size) : undefined;
    let crc = 0;
    // The gap before a large section (at most the largest alignment) is a small read of its own.
    const gapAt = source.gapBefore(index);
    let gap: DecodeError | undefined;
    if (gapAt.end > gapAt.start) {
      yield {
        position: gapAt.start,
        length: gapAt.end - gapAt.start,
        into: new Uint8Array(gapAt.end - gapAt.start),
        what: source.gapLabel(index),
        finish: (bytes) => {
          gap = gapProblem(source, index, bytes, gapAt.start);
          return [];
        },
      };
    }
    for (let at = 0; at < size; at += chunkSize) {
      const length = Math.min(chunkSize, size - at);
      yield {
        position: Number(entry.offset) + at,
        length,
        into: body?.subarray(at, at + length),
        what: label,
        finish: (bytes) => {
          crc = crc32c(bytes, crc);
          return at + length < size ? [] : [{ index, label, entry, body, crc, gap }];
        },
      };
    }
  }
}

/**
 * Every section of the image (the end section included), or those of `options.sections`, with its
 * body and the CRC of its bytes, in file order. One read is in flight while the caller handles the
 * sections of the previous one. {@link ImageReader.scan} is the way in.
 * @internal
 */
export async function* scanSections(source: ScanSource, options: ScanOptions = {}): AsyncGenerator<ScannedSection, void, undefined> {
  const chunkSize = options.chunkSize ?? DEFAULT_SCAN_CHUNK;
  if (!Number.isSafeInteger(chunkSize) || chunkSize < 1) throw new RangeError(`chunkSize must be a positive integer, not ${chunkSize}`);
  const sections = options.sections ?? source.entries.map((_, i) => i);
  const bad = sections.find((i) => !Number.isInteger(i) || i < 0 || i >= source.entries.length);
  if (bad !== undefined) throw new RangeError(`section index ${bad} is outside 0…${source.entries.length - 1}`);
  const items = planReads(source, sections, chunkSize);
  // Chunk buffers no larger than the largest read that uses them.
  const ringSize = items.reduce((n, it) => Math.max(n, it.kind === "chunk" ? it.end - it.start : Number(source.entries[it.section]!.size) > source.maxSectionSize ? chunkSize : 0), 0);
  const ring: Uint8Array[] = [];
  let turn = 0;
  const start = (piece: Piece) => {
    let into = piece.into;
    if (into === undefined) {
      const slot = turn++ % 2;
      ring[slot] ??= new Uint8Array(ringSize);
      into = ring[slot].subarray(0, piece.length);
    }
    const done = source.readFully(into, piece.position, piece.what);
    // A read that fails is reported when its turn comes, not as an unhandled rejection now.
    done.catch(() => undefined);
    return { piece, into, done };
  };
  const plan = pieces(source, items, chunkSize);
  let next = plan.next();
  let current = next.done ? undefined : start(next.value);
  while (current !== undefined) {
    await current.done;
    next = plan.next();
    const following = next.done ? undefined : start(next.value);
    yield* current.piece.finish(current.into);
    current = following;
  }
}
