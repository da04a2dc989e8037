import { imageFormat, type ImageHeader, type KnownSection } from "../generated/index.js";
import {
  DEFAULT_MAX_SECTION_SIZE,
  endEntry,
  hex,
  OPTIONAL_BIT,
  STREAMED,
  type ImageReader,
  type RuleViolation,
  type StreamDecoder,
  type TableEntry,
  XenImageError,
} from "../runtime/index.js";
import { readFrameList } from "../image/page-index.js";
import { ConsistencyChecker } from "../image/consistency.js";
import type { OpenedInput } from "./open-input.js";
import { withReadSoFar } from "./read-so-far.js";
import { problemOf, ruleProblem, type Problem } from "./problem.js";
import { failed, ruleCheck, sectionStatus, type SectionToCheck, type SectionVerdict } from "./section-checks.js";

/** One row of the section table as `inspect` reports it. */
export interface SectionReport {
  readonly index: number;
  readonly name: string;
  readonly id: number;
  readonly optional: boolean;
  readonly flags: number;
  readonly offset: bigint;
  readonly size: bigint;
  readonly entryCount: bigint;
  readonly entrySize: number;
  readonly align: number;
  readonly crc: number;
  /** `ok`, or why the body does not check out (CRC mismatch, decode error). */
  readonly status: string;
}

/** What `inspect` finds in an image: the header, every table entry, the rule check, and every problem. */
export interface InspectReport {
  readonly header: ImageHeader;
  readonly sections: readonly SectionReport[];
  /** The image-type rule the header selects, if any. */
  readonly rule: string | undefined;
  readonly violations: readonly RuleViolation[];
  /** Every problem, each bad section's first in table order, then the rule's. */
  readonly problems: readonly Problem[];
}

/** Options of {@link inspectInput}. */
export interface InspectOptions {
  /** The read size of a seekable image's scan (`ScanOptions.chunkSize`). */
  readonly chunkSize?: number;
  /**
   * In a seekable image, check each page_data section's frame list but neither read its pages nor
   * check its CRC: a quick check of a big image (the CRCs are what catch damaged page contents).
   */
  readonly skipPages?: boolean;
}

/** The status of a page_data section whose frame list checks out and whose pages were not read (`skipPages`). */
export const PAGES_NOT_READ = "frame list ok, pages not read";

/**
 * Checks every section of an opened input without stopping at the first bad one, one section in
 * memory at a time. A seekable image is read front to back in large reads, its CRCs computed as the
 * bytes arrive; a stream as it arrives (a stream cannot go on past a broken section, so that one ends
 * the report with an error).
 */
export function inspectInput(input: OpenedInput, options: InspectOptions = {}): Promise<InspectReport> {
  return input.kind === "seekable" ? inspectSeekable(input.image, options) : inspectStream(input.stream);
}

async function inspectSeekable(image: ImageReader<ImageHeader, KnownSection>, options: InspectOptions): Promise<InspectReport> {
  const entries = image.entries;
  const rows: SectionReport[] = new Array<SectionReport>(entries.length);
  const errors: (XenImageError | undefined)[] = [];
  const maxSectionSize = image.maxSectionSize;
  const skipped = new Set(options.skipPages === true ? image.indicesOf("page_data") : []);
  for (const index of skipped) rows[index] = row(entries[index]!, index, entries[index]!.offset, await frameListStatus(image, index), errors);
  const sections = entries.map((_, i) => i).filter((i) => !skipped.has(i));
  const consistency = new ConsistencyChecker(image.header);
  for await (const s of image.scan({ ...(options.chunkSize === undefined ? {} : { chunkSize: options.chunkSize }), sections })) {
    const offset = Number(s.entry.offset);
    rows[s.index] = row(s.entry, s.index, s.entry.offset, sectionStatus(image, { ...s, offset, maxSectionSize }, consistency), errors);
  }
  // With pages skipped, the page-frame words pfn_map is checked against were not all read.
  return finish(image.header, rows, errors, skipped.size === 0 ? consistency : undefined);
}

/** A page_data section checked by its frame list alone (`skipPages`). */
async function frameListStatus(image: ImageReader<ImageHeader, KnownSection>, index: number): Promise<SectionVerdict> {
  try {
    await readFrameList(image, index);
    return { status: PAGES_NOT_READ };
  } catch (e) {
    if (!(e instanceof XenImageError)) throw e;
    return failed(e);
  }
}

/** The report of a streamed image, read as it arrives: each row's offset is where its body starts in the stream. */
async function inspectStream(stream: StreamDecoder<ImageHeader, KnownSection>): Promise<InspectReport> {
  const rows: SectionReport[] = [];
  const consistency = new ConsistencyChecker(stream.header);
  const errors: (XenImageError | undefined)[] = [];
  const check = (s: Omit<SectionToCheck, "maxSectionSize">) => row(s.entry, s.index, BigInt(s.offset), sectionStatus(stream, { ...s, maxSectionSize: DEFAULT_MAX_SECTION_SIZE }, consistency), errors);
  // The decoder has checked each body's CRC as it arrived.
  try {
    for await (const s of stream.rawSections()) rows.push(check({ index: s.index, entry: s.entry, offset: s.offset, body: s.body, crc: s.entry.crc }));
  } catch (e) {
    // A stream cannot go on past a broken section: what came before it is shown with the error.
    throw withReadSoFar(e, { header: stream.header, sections: rows });
  }
  const end: TableEntry = endEntry(imageFormat, STREAMED);
  rows.push(check({ index: rows.length, entry: end, offset: stream.offset, body: new Uint8Array(0), crc: 0 }));
  return finish(stream.header, rows, errors, consistency);
}

const names = new Map(imageFormat.sections.map((c) => [c.id, c.name]));

/** A table entry as `inspect` reports it, with the status of its body. */
export function sectionRow(entry: TableEntry, index: number, status: string): SectionReport {
  return row(entry, index, entry.offset, { status }, []);
}

/** The row of one section; the error behind a bad status goes to `errors[index]`, for the problem records. */
function row(entry: TableEntry, index: number, offset: bigint, { status, error }: SectionVerdict, errors: (XenImageError | undefined)[]): SectionReport {
  errors[index] = error;
  const id = (entry.type & ~OPTIONAL_BIT) >>> 0;
  return {
    index,
    name: names.get(id) ?? "unknown",
    id,
    optional: (entry.type & OPTIONAL_BIT) !== 0,
    flags: entry.flags,
    offset,
    size: entry.size,
    entryCount: entry.entryCount,
    entrySize: entry.entrySize,
    align: entry.align,
    crc: entry.crc,
    status,
  };
}

/**
 * The whole-image checks over the rows (the end section's last): the image-type rule, then the rules
 * between sections (when every section was read). Problems come in table order, each bad section's
 * first, then the rule's.
 */
function finish(header: ImageHeader, sections: SectionReport[], errors: readonly (XenImageError | undefined)[], consistency?: ConsistencyChecker): InspectReport {
  const problems: Problem[] = [];
  for (const s of sections) {
    const error = errors[s.index];
    if (error === undefined) continue;
    const label = `${names.get(s.id) ?? `type ${hex(s.id)}`} #${s.index}`;
    const problem = problemOf(error, `section ${label} at offset ${hex(s.offset)}: ${s.status}`);
    problems.push({ ...problem, section: problem.section ?? label, offset: problem.offset ?? Number(s.offset) });
  }
  const { rule, violations } = ruleCheck(header, sections.slice(0, -1).map((s) => s.name));
  for (const v of violations) problems.push(ruleProblem(v));
  if (consistency !== undefined && problems.length === 0) {
    try {
      consistency.finish();
    } catch (e) {
      if (!(e instanceof XenImageError)) throw e;
      problems.push(problemOf(e));
    }
  }
  return { header, sections, rule, violations, problems };
}
