import { DecodeError, type RandomAccessSource } from "../runtime/index.js";
import { hex, zeros, type DumpLine, type ElementOptions } from "../runtime/reflect/index.js";

/**
 * What every `annotate` walker shares: the regions it yields, the selection it honours, and a reader
 * that reads only the parts asked for, checked against the file's size before anything is allocated.
 */

/** A run of the file read into memory, and the annotated lines over it. */
export interface AnnotatedRegion {
  /** What the region is: `header`, `section #3: cpuid`, `padding`, `section table`. */
  readonly title: string;
  /** The file's bytes from `base` on, as far as the lines' shown bytes reach (up to 16 per line). */
  readonly bytes: Uint8Array;
  readonly base: number;
  readonly lines: readonly DumpLine[];
  /**
   * The first bytes of lines that `bytes` does not hold, by line offset: a region over millions of pages
   * reads 16 bytes of each page it shows, never the pages.
   */
  readonly excerpts?: ReadonlyMap<number, Uint8Array>;
}

/** Which parts `annotate` shows: sections (or records) by name, and a byte range. */
export interface AnnotateSelection {
  readonly sections?: readonly string[];
  readonly offset?: number;
  readonly length?: number;
  /** At most this many elements of one array get lines of their own (default {@link ELEMENTS}). */
  readonly elements?: number;
}

/** How many elements of an array are spelled out by default; the rest are summarised as ranges. */
export const ELEMENTS = 256;

/** Bytes a line shows. */
export const SHOWN = 16;

/** Reads `length` bytes at `offset`, or fails with a DecodeError saying where. */
export type ReadAt = (offset: number, length: number) => Promise<Uint8Array>;

/** A reader of the file behind `handle` (of `size` bytes): a Node `FileHandle`, or any positional reader (the docs' inspector reads a dropped file through `blobSource`). */
export function fileReader(handle: Pick<RandomAccessSource, "read">, size: number): ReadAt {
  return async (offset, length) => {
    // Checked before allocating: a damaged size or count must not ask for more memory than the file has.
    if (offset + length > size) throw new DecodeError("truncated", `${hex(offset)}…${hex(offset + length)} lies outside the image (${hex(size)} bytes)`, { offset });
    const bytes = new Uint8Array(length);
    let filled = 0;
    while (filled < length) {
      const { bytesRead } = await handle.read(bytes, filled, length - filled, offset + filled);
      if (bytesRead === 0) throw new DecodeError("truncated", `the image ends at ${hex(offset + filled)}, inside what annotate was reading`, { offset: offset + filled });
      filled += bytesRead;
    }
    return bytes;
  };
}

/** The selection as the walkers test it. */
export interface Window {
  /** Whether [offset, offset + length) meets the byte range (an empty run counts as one byte). */
  readonly inRange: (offset: number, length: number) => boolean;
  /** Whether a section (record) of that name is selected. */
  readonly wanted: (name: string | undefined) => boolean;
  /** No `--section`: headers, padding and framing are shown too. */
  readonly whole: boolean;
  /** The lines over the byte range. */
  readonly keep: (lines: readonly DumpLine[]) => DumpLine[];
  /** How structLines annotates arrays for this selection. */
  readonly elements: ElementOptions;
  /** Where the byte range ends (Infinity: the whole file): a walker stops scanning there. */
  readonly end: number;
}

export function windowOf(selection: AnnotateSelection): Window {
  const from = selection.offset ?? 0;
  const to = selection.length === undefined ? Infinity : from + selection.length;
  const inRange = (offset: number, length: number) => offset < to && offset + Math.max(length, 1) > from;
  return {
    inRange,
    wanted: (name) => selection.sections === undefined || (name !== undefined && selection.sections.includes(name)),
    whole: selection.sections === undefined,
    keep: (lines) => lines.filter((l) => inRange(l.offset, l.length)),
    elements: { elements: selection.elements ?? ELEMENTS, from, ...(to === Infinity ? {} : { to }) },
    end: to,
  };
}

/** A depth-0 region of padding, its bytes checked: zero, or marked as not. */
export function paddingRegion(title: string, bytes: Uint8Array, base: number, length: number, why: string): AnnotatedRegion {
  const nonZero = bytes.some((b) => b !== 0);
  return { title, bytes, base, lines: [{ offset: base, length, depth: 0, label: "(padding)", value: nonZero ? "NOT ZERO: padding must be zero bytes" : `${zeros(length)} ${why}` }] };
}
