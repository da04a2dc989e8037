/**
 * The whole verdict on an image, as the specification defines validity: every rule a conforming reader
 * checks, in the order the specification gives, stopping at the first broken one. That is the header,
 * then each entry with its body (its CRC, its layout, the rules on its own fields and those relating it
 * to the header), then the image-type rules, then the rules relating sections to each other. The
 * conformance suite (`docs/conformance/`) states its verdicts in these terms, and the tests hold this
 * reader to them.
 */
import { imageFormat, imageRules, type ImageHeader, type ImageSection, type KnownSection } from "../generated/index.js";
import {
  decodeLayout,
  decodeSection,
  decodeSectionBody,
  decodeStream,
  DecodeError,
  sectionLabel,
  STREAMED,
  verifySections,
  XenImageError,
} from "../runtime/index.js";
import { ConsistencyChecker, type SectionPlace } from "./consistency.js";

/** What {@link validateImage} finds: valid, or the first broken rule as a typed error. */
export type ImageVerdict =
  | { readonly valid: true; readonly layout: "seekable" | "streamed"; readonly header: ImageHeader }
  | { readonly valid: false; readonly error: XenImageError };

/** One section as the checks see it: decoded, with where its entry and its body are. */
interface Placed extends SectionPlace {
  readonly section: ImageSection;
  readonly entryOffset: number;
}

/**
 * Checks an image held in memory, seekable or streamed (told apart by the header's table offset), by
 * every rule of the specification. Errors other than {@link XenImageError} are bugs and are thrown.
 */
export async function validateImage(bytes: Uint8Array): Promise<ImageVerdict> {
  try {
    return await check(bytes);
  } catch (e) {
    if (e instanceof XenImageError) return { valid: false, error: e };
    throw e;
  }
}

/** The table offset field says which layout an image has; too short or broken headers go the seekable way, which reports why. */
function isStreamed(bytes: Uint8Array): boolean {
  const { offsets, byteOrderOffset, littleEndian, size } = imageFormat.header;
  if (bytes.length < size) return false;
  const order = bytes[byteOrderOffset];
  if (order !== littleEndian && order !== imageFormat.header.bigEndian) return false;
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(offsets.sectionTableOffset, order === littleEndian) === STREAMED;
}

async function check(bytes: Uint8Array): Promise<ImageVerdict> {
  if (isStreamed(bytes)) return checkStreamed(bytes);
  const layout = decodeLayout(imageFormat, bytes);
  const placed: Placed[] = [];
  const consistency = new ConsistencyChecker(layout.header);
  const tableOffset = Number(layout.header.sectionTableOffset);
  for (let i = 0; i < layout.entries.length - 1; i++) {
    const entry = layout.entries[i]!;
    const offset = Number(entry.offset);
    const body = bytes.subarray(offset, offset + Number(entry.size));
    const section = decodeSection<ImageHeader, KnownSection>(imageFormat, layout, i, body);
    const place = { index: i, body, offset, section, entryOffset: tableOffset + i * layout.header.sectionEntrySize };
    consistency.section(section, place);
    placed.push(place);
  }
  const endOffset = tableOffset + (layout.entries.length - 1) * layout.header.sectionEntrySize;
  finish(layout.header, placed, endOffset, consistency);
  return { valid: true, layout: "seekable", header: layout.header };
}

async function checkStreamed(bytes: Uint8Array): Promise<ImageVerdict> {
  const stream = await decodeStream<ImageHeader, KnownSection>(imageFormat, [bytes]);
  const placed: Placed[] = [];
  const consistency = new ConsistencyChecker(stream.header);
  const entrySize = stream.header.sectionEntrySize;
  for await (const s of stream.rawSections()) {
    const section = decodeSectionBody<ImageHeader, KnownSection>(imageFormat, stream, s.entry, s.index, s.body, s.offset, undefined, true);
    const place = { index: s.index, body: s.body, offset: s.offset, section, entryOffset: s.offset - entrySize };
    consistency.section(section, place);
    placed.push(place);
  }
  finish(stream.header, placed, stream.offset - entrySize, consistency);
  return { valid: true, layout: "streamed", header: stream.header };
}

/** The checks that need every section: the image-type rules, then the rules across sections. */
function finish(header: ImageHeader, placed: readonly Placed[], endOffset: number, consistency: ConsistencyChecker): void {
  const violations = verifySections(imageRules, header, placed.map((p) => ({ type: p.section.type })));
  const first = violations[0];
  if (first !== undefined) {
    throw new DecodeError("image-rule", `rule ${first.rule}: ${first.message}`, ruleLocation(placed, endOffset, first));
  }
  consistency.finish();
}

/**
 * Where an image-type rule is broken: the section that breaks it (for a section seen too often, its
 * first occurrence past what the rule allows), the end entry for a section that is missing, the
 * header's image_type for a header no rule covers.
 */
function ruleLocation(placed: readonly Placed[], endOffset: number, v: { rule: string; section?: string; index?: number }): { section: string; offset: number; path?: string } {
  if (v.rule === "(none)") {
    // The first header field the rules select by (image_type): the header as a whole is what no rule covers.
    const field = imageRules[0]?.when[0];
    return { section: "header", offset: field?.offset ?? 0, ...(field === undefined ? {} : { path: field.schemaField }) };
  }
  if (v.index !== undefined) {
    const p = placed.find((x) => x.index === v.index)!;
    return { section: sectionLabel(v.section ?? p.section.type, p.index), offset: p.entryOffset };
  }
  const rule = imageRules.find((r) => r.name === v.rule);
  const allowed = rule?.sections[v.section ?? ""] === "required" || rule?.sections[v.section ?? ""] === "optional" ? 1 : Infinity;
  const seen = placed.filter((p) => p.section.type === v.section);
  const extra = seen[allowed];
  if (extra !== undefined) return { section: sectionLabel(extra.section.type, extra.index), offset: extra.entryOffset };
  return { section: sectionLabel("end", placed.length), offset: endOffset };
}
