/**
 * Checks an image by the writers' rules before an exporter reads it: an exporter walks the sections'
 * values itself (page words, vcpu contexts, records), so a value of the wrong shape would otherwise
 * surface as a TypeError from deep inside it. With these checks it is the EncodeError `encodeImage`
 * would give, naming the section and the field.
 */
import { imageFormat, type ImageInit } from "../generated/index.js";
import { prepareSection, type PreparedSection } from "../runtime/container.js";
import { asEncodeError, ByteWriter, EncodeError, XenImageError } from "../runtime/index.js";
import { prepareHeader } from "../runtime/layout.js";

/** An image whose shape passed {@link checkImageShape}: its byte order and each section prepared for encoding. */
export interface CheckedImage {
  readonly littleEndian: boolean;
  readonly sections: readonly PreparedSection[];
}

/** Anything but an XenImageError, as an EncodeError. */
function typedError(e: unknown): XenImageError {
  return e instanceof XenImageError ? e : asEncodeError(e, "", 0);
}

/**
 * Checks what an image is made of, cheaply (no body is encoded): an object, a header `encodeImage`
 * takes, an array of sections, each of a known type or an optional unknown one, with valid flags.
 */
export function checkImageShape(image: ImageInit): CheckedImage {
  try {
    if (image === null || typeof image !== "object") throw new EncodeError("invalid-value", "an image must be an object with a header and sections");
    const { header, littleEndian } = prepareHeader(imageFormat, image.header);
    if (!Array.isArray(image.sections)) throw new EncodeError("invalid-value", "the sections must be an array", { path: "sections" });
    return { littleEndian, sections: image.sections.map((section, index) => prepareSection(imageFormat, section, index, header)) };
  } catch (e) {
    throw typedError(e);
  }
}

/** How {@link checkSectionBodies} names a section: `page_data #3` (as `encodeImage` does), or by its type alone. */
export type SectionNaming = "indexed" | "type";

/**
 * Checks the body of each section `checks` selects (default: all) by encoding it into one scratch
 * writer, rewound for each: a value a writer would refuse is an EncodeError naming the section (as the
 * exporter's other errors do, `naming`), the field and the offset in the body. The cost is one more
 * copy of the bodies, pages included, into a buffer the size of the largest.
 */
export function checkSectionBodies(image: ImageInit, checked: CheckedImage, naming: SectionNaming, checks: (type: string) => boolean = () => true): void {
  const scratch = new ByteWriter({ littleEndian: checked.littleEndian });
  image.sections.forEach((section, index) => {
    if (!checks(section.type)) return;
    const prepared = checked.sections[index]!;
    try {
      scratch.pos = 0;
      prepared.write(scratch);
    } catch (e) {
      throw typedError(e).within({ section: naming === "type" ? section.type : prepared.label });
    }
  });
}
