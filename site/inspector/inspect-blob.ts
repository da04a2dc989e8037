/**
 * What the docs' image inspector knows of a dropped file, with no DOM: the same modules `xenimage
 * inspect` and `xenimage annotate` run (the generated codecs, the runtime, the CLI's section checks and
 * reports), over a `Blob` read through `slice`. A seekable image opens with its header and table
 * read and nothing else; its sections are checked when asked (at once when the file is small). A
 * streamed image and Xen's formats are read front to back, as they can only be.
 */
import { imageFormat, type ImageHeader, type KnownSection } from "../../generated/index.js";
import { schema } from "../../generated/schema.js";
import { DETECT_BYTES, detectXenFormat } from "../../interop/detect.js";
import { blobSource, crc32c, decodeHeader, decodeStream, DEFAULT_MAX_SECTION_SIZE, DecodeError, openImage, STREAMED, XenImageError, type BlobLike, type ImageReader } from "../../runtime/index.js";
import { enumName } from "../../runtime/reflect/index.js";
import { annotateImageFile, type AnnotatedRegion } from "../../cli/annotate-image.js";
import { inspectInput, sectionRow, type InspectReport, type SectionReport } from "../../cli/inspect-report.js";
import { problemOf, type Problem } from "../../cli/problem.js";
import { readSoFarOf, readWhatChecksOutOf } from "../../cli/read-so-far.js";
import { sectionStatus } from "../../cli/section-checks.js";
import { xenReport, type XenReport } from "../../cli/xen-report.js";

/** A seekable image no larger than this has every section checked as it opens; a larger one on request. */
export const AUTO_CHECK_BYTES = 64 * 1024 * 1024;
/** The largest section the page annotates (its body is read whole); `xenimage annotate` does any size. */
export const MAX_ANNOTATED_BYTES = 64 * 1024 * 1024;
/** The largest Xen file the page reads: Xen's formats are decoded whole, in memory. */
export const MAX_XEN_BYTES = 512 * 1024 * 1024;
/** The status of a section whose body has not been read yet. */
export const NOT_CHECKED = "not checked";
/** How much of a stream one read takes. */
const STREAM_READ = 1024 * 1024;

/** A Blob whose slices are counted: the page shows (and its test checks) how many bytes it read. */
export interface CountedBlob {
  readonly blob: BlobLike;
  readonly size: number;
  bytesRead(): number;
}

/** Wraps `blob` so every byte read through `slice(…).arrayBuffer()` is counted. */
export function countReads(blob: BlobLike): CountedBlob {
  let read = 0;
  const counted: BlobLike = {
    size: blob.size,
    slice(start?: number, end?: number) {
      const part = blob.slice(start, end);
      return {
        async arrayBuffer() {
          const bytes = await part.arrayBuffer();
          read += bytes.byteLength;
          return bytes;
        },
      };
    },
  };
  return { blob: counted, size: blob.size, bytesRead: () => read };
}

/** What the page found in a file. */
export type Inspection =
  /** A seekable image: its header and table (each row `not checked` until a check runs), and the reader. */
  | { readonly kind: "seekable"; readonly header: ImageHeader; readonly littleEndian: boolean; readonly rows: SectionReport[]; readonly reader: ImageReader<ImageHeader, KnownSection>; report?: InspectReport }
  /** A streamed image, read to its end or to the first section that breaks it (`error`). */
  | { readonly kind: "streamed"; readonly header: ImageHeader; readonly littleEndian: boolean; readonly rows: readonly SectionReport[]; readonly report?: InspectReport; readonly error?: Problem }
  /** A seekable image that does not open (truncated, a damaged table): what could be read, and why. */
  | { readonly kind: "partial"; readonly header: ImageHeader; readonly rows: readonly SectionReport[]; readonly error: Problem }
  /** One of Xen's formats: its records or ELF sections, and whether it imports. */
  | { readonly kind: "xen"; readonly report: XenReport }
  /** Nothing could be read: not even a header. */
  | { readonly kind: "unreadable"; readonly error: Problem };

async function readAt(file: CountedBlob, offset: number, length: number): Promise<Uint8Array> {
  return new Uint8Array(await file.blob.slice(offset, Math.min(offset + length, file.size)).arrayBuffer());
}

/** The file in pieces of {@link STREAM_READ}, for the stream decoder. */
async function* pieces(file: CountedBlob): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < file.size; at += STREAM_READ) yield await readAt(file, at, STREAM_READ);
}

function problemOrThrow(e: unknown): Problem {
  if (e instanceof XenImageError) return problemOf(e);
  throw e;
}

/**
 * Looks at a file and reads what the page shows first: decides its format from its first bytes as
 * the CLI does (ours by the magic, else Xen's, else ours to have the header check say why), then opens
 * a seekable image lazily or reads a stream or a Xen file through.
 */
export async function inspectBlob(file: CountedBlob, name: string): Promise<Inspection> {
  const head = await readAt(file, 0, Math.max(schema.container!.header.size!, DETECT_BYTES));
  const ours = Array.from(imageFormat.header.magic).every((b, i) => head[i] === b);
  const xen = ours ? undefined : detectXenFormat(head);
  if (xen !== undefined) {
    if (xen.kind === "legacy") return { kind: "unreadable", error: problemOf(new DecodeError("unsupported", xen.hint, { offset: 0 })) };
    if (file.size > MAX_XEN_BYTES) return { kind: "unreadable", error: problemOf(new DecodeError("too-large", `Xen's formats are read whole; this page reads at most ${MAX_XEN_BYTES} bytes: run xenimage inspect`, { offset: 0 })) };
    return { kind: "xen", report: xenReport({ name, format: xen, bytes: await readAt(file, 0, file.size) }) };
  }
  let decoded: { header: ImageHeader; littleEndian: boolean };
  try {
    decoded = decodeHeader(imageFormat, head);
  } catch (e) {
    return { kind: "unreadable", error: problemOrThrow(e) };
  }
  if (decoded.header.sectionTableOffset === STREAMED) return inspectStreamed(file, decoded);
  let reader: ImageReader<ImageHeader, KnownSection>;
  try {
    reader = await openImage<ImageHeader, KnownSection>(imageFormat, file.blob);
  } catch (e) {
    const error = problemOrThrow(e);
    const read = await readWhatChecksOutOf(blobSource(file.blob), sectionRow);
    return read === undefined ? { kind: "unreadable", error } : { kind: "partial", header: read.header, rows: [...read.sections], error };
  }
  const rows = reader.entries.map((entry, index) => sectionRow(entry, index, NOT_CHECKED));
  const opened: Inspection = { kind: "seekable", header: reader.header, littleEndian: decoded.littleEndian, rows, reader };
  if (file.size <= AUTO_CHECK_BYTES) await checkAll(opened);
  return opened;
}

async function inspectStreamed(file: CountedBlob, { header, littleEndian }: { header: ImageHeader; littleEndian: boolean }): Promise<Inspection> {
  let stream;
  try {
    stream = await decodeStream<ImageHeader, KnownSection>(imageFormat, pieces(file));
  } catch (e) {
    return { kind: "streamed", header, littleEndian, rows: [], error: problemOrThrow(e) };
  }
  try {
    const report = await inspectInput({ kind: "streamed", stream });
    return { kind: "streamed", header, littleEndian, rows: report.sections, report };
  } catch (e) {
    // A stream cannot go on past a broken section: the rows before it, then the error.
    const error = problemOrThrow(e);
    return { kind: "streamed", header, littleEndian, rows: readSoFarOf(e)?.sections ?? [], error };
  }
}

/** Checks every section of a seekable image as `xenimage inspect` does (CRCs, decoding, the rules); the rows take the statuses. */
export async function checkAll(inspection: Extract<Inspection, { kind: "seekable" }>): Promise<InspectReport> {
  const report = await inspectInput({ kind: "seekable", image: inspection.reader });
  inspection.report = report;
  for (const row of report.sections) inspection.rows[row.index] = row;
  return report;
}

/** Checks one section of a seekable image (its CRC, then decoding it) and updates its row. */
export async function checkOne(file: CountedBlob, inspection: Extract<Inspection, { kind: "seekable" }>, index: number): Promise<SectionReport> {
  const entry = inspection.reader.entries[index]!;
  const offset = Number(entry.offset);
  const tooLarge = entry.size > BigInt(DEFAULT_MAX_SECTION_SIZE);
  let body: Uint8Array | undefined;
  let crc = 0;
  if (tooLarge) {
    // Past the decode limit the CRC is still computed, a piece at a time.
    for (let at = 0; at < Number(entry.size); at += STREAM_READ) crc = crc32c(await readAt(file, offset + at, Math.min(STREAM_READ, Number(entry.size) - at)), crc);
  } else {
    body = await readAt(file, offset, Number(entry.size));
    crc = crc32c(body);
  }
  const verdict = sectionStatus(inspection, { index, entry, offset, body, crc, maxSectionSize: DEFAULT_MAX_SECTION_SIZE });
  const row = sectionRow(entry, index, verdict.status);
  inspection.rows[index] = row;
  return row;
}

/** The problems that belong to one section, by table index (their section label ends `#index`). */
export function problemsBySection(problems: readonly Problem[]): Map<number, Problem[]> {
  const by = new Map<number, Problem[]>();
  for (const p of problems) {
    const index = /#(\d+)$/.exec(p.section ?? "")?.[1];
    if (index === undefined) continue;
    by.set(Number(index), [...(by.get(Number(index)) ?? []), p]);
  }
  return by;
}

/** The problems that belong to no one section (the image-type rule, the rules between sections). */
export function imageProblems(problems: readonly Problem[]): Problem[] {
  return problems.filter((p) => !/#\d+$/.test(p.section ?? ""));
}

/**
 * The annotated regions of one section's body, as `xenimage annotate --offset O --length N` prints
 * them (the body read whole, its CRC checked, every field from the schema model).
 */
export async function annotateSection(file: CountedBlob, row: SectionReport): Promise<AnnotatedRegion[]> {
  if (row.size > BigInt(MAX_ANNOTATED_BYTES)) {
    throw new DecodeError("too-large", `the body is ${row.size} bytes; this page annotates at most ${MAX_ANNOTATED_BYTES}: run xenimage annotate --offset ${row.offset} --length ${row.size}`, { offset: Number(row.offset) });
  }
  const regions: AnnotatedRegion[] = [];
  for await (const region of annotateImageFile(blobSource(file.blob), file.size, { offset: Number(row.offset), length: Math.max(1, Number(row.size)) })) {
    if (region.lines.length > 0) regions.push(region);
  }
  return regions;
}

/** The annotated regions of the header. */
export async function annotateHeader(file: CountedBlob, headerSize: number): Promise<AnnotatedRegion[]> {
  const regions: AnnotatedRegion[] = [];
  for await (const region of annotateImageFile(blobSource(file.blob), file.size, { offset: 0, length: headerSize })) if (region.lines.length > 0) regions.push(region);
  return regions;
}

/** A header field's value as `inspect --json` writes it: 64-bit integers as decimal strings, bytes as hex. */
export function jsonValue(value: unknown): string {
  if (value instanceof Uint8Array) return Array.from(value, (b) => b.toString(16).padStart(2, "0")).join("");
  return String(value);
}

/** What a header field's value means, from the schema model: an enum value's name, the field's units. */
export function headerMeaning(property: string, value: unknown): { meaning: string; doc: string } {
  const field = schema.container!.header.fields.find((f) => f.property === property);
  if (field === undefined) return { meaning: "", doc: "" };
  const t = field.type;
  const meaning = t.kind === "enum" && (typeof value === "number" || typeof value === "bigint") ? enumName(t, value) : (field.units ?? "");
  return { meaning, doc: field.doc ?? "" };
}
