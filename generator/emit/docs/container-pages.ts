import type { Decl, Field, Model } from "../../model/model.js";
import { code, heading, link, list, para, type Block, type Page, type Text } from "./doc-tree.js";
import { MAX_ALIGNMENT, SENTINEL, STREAM_PADDING, TABLE_ALIGNMENT } from "./container-constants.js";
import { sectionPageId } from "./rules-page.js";
import { collectTypes, declBlocks, structBlocks, typeAnchor, type RenderContext } from "./type-blocks.js";

/**
 * The two structs every image shares: the header and the section-table entry. Their fields' docs come
 * from the schema; what the container does with the fields it manages (sizes, offsets, CRCs) is the
 * runtime's contract, stated here next to the numbers the schema gives.
 */

export { SENTINEL } from "./container-constants.js";

/** The types the header page describes. */
export function headerTypes(model: Model): Set<Decl> {
  const out = new Set<Decl>([model.container.header]);
  collectTypes(model.container.header, out);
  return out;
}

/** The types the section-table page describes. */
export function entryTypes(model: Model): Set<Decl> {
  const out = new Set<Decl>([model.container.entry]);
  collectTypes(model.container.entry, out);
  return out;
}

function headerNotes(model: Model): (field: Field) => Text | undefined {
  const { header, entry, version } = model.container;
  const notes: Record<string, Text> = {
    byte_order: ["decides the byte order of every field marked “header” in this specification"],
    format_version: [
      `written as ${version}; readers reject 0 and versions above the highest they know (`,
      code("unsupported"),
      "), and read every earlier one; see ",
      link("versioning", "versioning"),
    ],
    header_size: [
      `at least ${header.size}; readers reject a smaller value or one past the end of the image (`,
      code("field-value"),
      "), and skip header bytes past the fields they know (the header CRC covers them)",
    ],
    section_table_offset: [
      `seekable: a multiple of ${TABLE_ALIGNMENT}, at least header_size, with the whole table inside the image (`,
      code("placement"),
      "; a table past the end: ",
      code("truncated"),
      "); streamed: ",
      code(SENTINEL),
    ],
    section_count: [
      "seekable: at least 1, the end section counted (",
      code("section-count"),
      "); streamed: 0, as a writer that streams cannot know it, or the number of sections the stream holds, the end section counted too; readers reject another value once the end section has arrived (",
      code("section-count"),
      ")",
    ],
    section_entry_size: [
      `at least ${entry.size} and a multiple of ${TABLE_ALIGNMENT} (`,
      code("field-value"),
      "), in both layouts: a streamed entry is section_entry_size bytes too. Readers read entries this far apart and ignore bytes past the fields they know (the entry CRC covers them)",
    ],
    header_crc: ["CRC32C (see the overview) of the first header_size bytes with these 4 bytes taken as zero (", code("crc"), ")"],
  };
  return (field) => notes[field.name];
}

function entryNotes(model: Model): (field: Field) => Text | undefined {
  const since = model.container.entryCrcSince;
  const notes: Record<string, Text> = {
    type: ["bits 30–0: the section type id (see the ", link("registry", "registry"), "); bit 31: set for an optional section, and for a known type exactly when the registry says it is optional"],
    offset: [
      "seekable: the first multiple of align at or after the end of the previous body (of the header, for the first section); the end section: the table's offset; streamed: ",
      code(SENTINEL),
    ],
    size: ["0 for the end section"],
    entry_count: ["array sections: the number of entries, and size = entry_count × entry_size; other sections: 0"],
    entry_size: ["array sections: the entry size the section's page gives; other sections: 0"],
    align: [`a power of two, at most ${MAX_ALIGNMENT} (2 MiB): the section type's alignment (its page says which); the end section: ${TABLE_ALIGNMENT}`],
    crc: ["CRC32C of the size body bytes; 0 for an empty body"],
    entry_crc: [
      since > 1 ? `version ${since} and later: ` : "",
      "CRC32C of the entry's section_entry_size bytes with these 4 bytes taken as zero; always checked",
      since > 1 ? `; versions before ${since}: zero` : "",
    ],
  };
  return (field) => notes[field.name];
}

/** The header page. */
export function headerPage(model: Model, ctx: RenderContext): Page {
  const { header } = model.container;
  const nested = [...headerTypes(model)].filter((d) => d !== header);
  const blocks: Block[] = [
    para(header.doc),
    para(
      `Every image starts with this header at offset 0. Fields marked “header” in the byte-order column follow the byte_order field; byte_order itself is one byte, so a reader reads it first. Fields that the writer fills in (sizes, counts, offsets, the CRC) are listed with the rule a reader checks.`,
    ),
    heading(2, [code(header.name)], typeAnchor(header)),
    ...structBlocks(header, ctx, headerNotes(model)),
    heading(2, "Reading a header"),
    list(
      [
        ["Check the magic (the first field): ", code("magic"), ". Fewer bytes than this version's header: ", code("truncated"), "."],
        ["Read byte_order and take the byte order it names for every multi-byte field marked “header”; another value: ", code("field-value"), "."],
        ["Check format_version (", code("unsupported"), ") and header_size (", code("field-value"), ") as the table says; a longer header comes from a writer that knows more fields, which this reader skips."],
        ["Compute the CRC32C of the first header_size bytes with header_crc taken as zero, and compare (", code("crc"), "). The CRC comes before the fields' own rules, so that a corrupt header is reported as such."],
        ["Check every other field by its rule in the table above, in field order: padding and reserved fields zero (", code("reserved"), "), the closed enums and the values the table allows (", code("field-value"), "), the name (", code("string"), "), then section_entry_size (", code("field-value"), ")."],
        ["If section_table_offset is ", code(SENTINEL), " the image is streamed; otherwise read the table (see ", link("Section table", "section-table"), ")."],
      ],
      true,
    ),
  ];
  if (nested.length > 0) {
    blocks.push(heading(2, "Types used"));
    for (const decl of nested) blocks.push(...declBlocks(decl, ctx));
  }
  return { id: "header", title: "The image header", navLabel: "Header", group: "format", blocks };
}

/** The section-table page. */
export function sectionTablePage(model: Model, ctx: RenderContext): Page {
  const { entry, end } = model.container;
  const nested = [...entryTypes(model)].filter((d) => d !== entry);
  const blocks: Block[] = [
    para(entry.doc),
    para(
      "A seekable image has a table of these entries, one per section in the order the bodies appear, the end section last; the header's section_table_offset, section_count and section_entry_size say where it is, how many entries it has and how far apart they are. A streamed image has no table: each entry comes right before its body.",
    ),
    heading(2, [code(entry.name)], typeAnchor(entry)),
    ...structBlocks(entry, ctx, entryNotes(model)),
    heading(2, "Rules a reader checks"),
    para(
      "Every byte of an image is covered by a CRC or checked by one of these rules, so that a flipped bit anywhere is found. A writer checks the same rules before it writes an entry. A reader checks each entry in this order:",
    ),
    list(
      [
        [
          model.container.entryCrcSince > 1 ? `From version ${model.container.entryCrcSince}, e` : "E",
          "ntry_crc equals the CRC32C of the entry's section_entry_size bytes with entry_crc taken as zero (",
          code("entry-crc"),
          ")",
          model.container.entryCrcSince > 1 ? `; before, entry_crc is zero (` : "",
          ...(model.container.entryCrcSince > 1 ? [code("reserved"), ")"] : []),
          ". It is checked first, so that a corrupt entry is reported as such and not as whichever rule the corruption breaks.",
        ],
        [
          "The last entry, and only the last, is the end section (",
          link([code(end.name)], sectionPageId(end)),
          `, type 0x${end.id.toString(16)}), and each of its fields has one value: the type without the optional bit, flags 0, size 0, entry_count 0, entry_size 0, align ${TABLE_ALIGNMENT}, crc 0 (the CRC32C of nothing), offset the table's offset (streamed: the sentinel). Any other value, and an end section before the last entry: `,
          code("end-entry"),
          ".",
        ],
        [`align is a power of two, at most ${MAX_ALIGNMENT} (2 MiB). A type the reader knows has the alignment its registry entry gives (`, code("alignment"), ")."],
        [
          "A type the reader knows carries the optional bit its registry entry gives (",
          code("optional-bit"),
          "); a type it does not know is skipped when the bit is set, and makes the image invalid when it is clear (",
          code("unknown-mandatory"),
          ", reported when the reader reaches the body).",
        ],
        [
          "A section that is not an array section has entry_count and entry_size 0 (any other value, such as entry_count 5 on a section with one struct as its body: ",
          code("entry-shape"),
          "). For an array section, entry_size equals the entry size its page gives, and size = entry_count × entry_size (",
          code("entry-shape"),
          ").",
        ],
        [
          "Seekable: the bodies follow the table's order, each at the first multiple of its align at or after the end of the previous body (of the header's header_size bytes, for the first); the table starts at the first multiple of ",
          String(TABLE_ALIGNMENT),
          " after the last body and ends the image. So bodies never overlap and never come out of table order, a gap is never longer than the alignment needs (all ",
          code("placement"),
          "), the only bytes outside the header, the bodies and the table are the alignment gaps, which are zero (",
          code("gap"),
          "), and nothing follows the table (",
          code("trailing"),
          ").",
        ],
        [
          "Streamed: the entry's offset is the sentinel (",
          code("placement"),
          "); the header, and each body, is followed by zeros up to a multiple of ",
          String(STREAM_PADDING),
          " (",
          code("padding"),
          "); nothing follows the end entry (",
          code("trailing"),
          "); a non-zero section_count in the header equals the number of sections, the end section included (",
          code("section-count"),
          ").",
        ],
        ["The body's CRC32C equals crc (", code("crc"), "). Then the body is decoded by its section's layout, and checked by the rules its page gives."],
      ],
      true,
    ),
  ];
  if (nested.length > 0) {
    blocks.push(heading(2, "Types used"));
    for (const decl of nested) blocks.push(...declBlocks(decl, ctx));
  }
  return { id: "section-table", title: "The section table", navLabel: "Section table", group: "format", blocks };
}
