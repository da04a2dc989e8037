import { imageFormat, imageRules, verifyImage, type ImageHeader, type KnownSection } from "../generated/index.js";
import type { ConsistencyChecker } from "../image/consistency.js";
import { codecsById, decodeSectionBody, hex, OPTIONAL_BIT, ruleFor, XenImageError, type RuleViolation, type TableEntry } from "../runtime/index.js";

const known = codecsById(imageFormat);

/** What a section check knows of the image: its header and byte order. */
export interface CheckedImage {
  readonly header: ImageHeader;
  readonly littleEndian: boolean;
}

/** One section as it was read, to be checked. */
export interface SectionToCheck {
  readonly index: number;
  readonly entry: TableEntry;
  /** Where its body starts in the file or stream. */
  readonly offset: number;
  /** The body; undefined when it was too large to hold (its CRC was computed as it streamed past). */
  readonly body: Uint8Array | undefined;
  /** The CRC32C of the bytes read. */
  readonly crc: number;
  /** The most bytes a body may have to be decoded. */
  readonly maxSectionSize: number;
  /** A non-zero byte in the alignment gap before the section (seekable images), if the read found one. */
  readonly gap?: XenImageError | undefined;
}

/**
 * Whether one section checks out: "ok", or the reason it does not (a CRC mismatch, then what decoding
 * its body found). The one place where `inspect` and `verify` judge a section, of a seekable or a
 * streamed image, so every check of a section belongs here.
 */
export function sectionStatus(image: CheckedImage, s: SectionToCheck, consistency?: ConsistencyChecker): string {
  const { entry } = s;
  if (s.gap !== undefined) return `${s.gap.reason} (offset ${hex(s.gap.offset ?? s.offset)})`;
  if (s.crc !== entry.crc) return "CRC mismatch";
  if ((entry.type & ~OPTIONAL_BIT) === imageFormat.endId) return "ok";
  if (s.body === undefined) return `the body is ${entry.size} bytes, more than the ${s.maxSectionSize} bytes this reader decodes`;
  try {
    const section = decodeSectionBody<ImageHeader, KnownSection>(imageFormat, image, entry, s.index, s.body, s.offset, known, true);
    // The rules relating the section to the header (vcpu ids, the HVM records' order, …), as validateImage checks them.
    consistency?.section(section, { index: s.index, body: s.body, offset: s.offset });
    return "ok";
  } catch (e) {
    if (!(e instanceof XenImageError)) throw e;
    return e.reason;
  }
}

/** The image-type rule check of a whole image: which rule covers it, and every violation. */
export function ruleCheck(header: ImageHeader, sectionNames: readonly string[]): { rule: string | undefined; violations: RuleViolation[] } {
  const violations = verifyImage({ header, sections: sectionNames.map((type) => ({ type })) });
  return { rule: ruleFor(imageRules, header)?.name, violations };
}
