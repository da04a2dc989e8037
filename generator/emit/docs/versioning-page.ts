import type { Model } from "../../model/model.js";
import { code, heading, joinText, link, list, para, type Block, type Page, type Text } from "./doc-tree.js";
import { breakingBlocks } from "./breaking-section.js";
import { sectionPageId } from "./rules-page.js";

/**
 * How the format grows without breaking readers: new sections, the optional bit, appended header and
 * entry fields, open enums, reserved fields, and which version introduced what.
 */

/** The versioning and extensibility page. */
export function versioningPage(model: Model): Page {
  const { container } = model;
  const versions = [...new Set(model.sections.map((s) => s.since))].sort((a, b) => a - b);
  return {
    id: "versioning",
    title: "Extensibility and versioning",
    navLabel: "Versioning",
    group: "format",
    blocks: [
      para(
        `This is format version ${container.version}. The header's format_version names the version an image follows; a reader accepts versions 1 to the highest it knows and rejects later ones. A new format_version is needed exactly when an older reader could misread an image of the new one: a field that changes meaning (as version 2's entry_crc did), a value added to a closed enum, a page size other than 4096. Everything an older reader can live with keeps the version, so that older readers go on reading the images of newer writers:`,
      ),
      list([
        [
          "New section types take new ids. A section type is ",
          code("optional"),
          " when a reader that does not know it may skip it (its data is an extra), and mandatory when an image cannot be understood without it. The optional bit (bit 31 of the table's type field) lets a reader decide without knowing the type.",
        ],
        ["The header grows only by appending fields. header_size says how long it is; a reader uses the fields it knows and skips the rest (the header CRC still covers every byte)."],
        ["Section-table entries grow the same way: section_entry_size (a multiple of 8) says how long every entry is, in a seekable table and in a stream; a reader ignores bytes past the fields it knows (the entry CRC still covers them)."],
        ["Entry flags are reserved for later versions; version ", String(container.version), " defines none, and readers keep what they find."],
        ["Open enums gain values: a reader keeps values it does not know. Flag bits without a name are kept too. Closed enums (the header's byte_order, image_type, guest_type and arch) gain values only with a new format_version."],
        ["Page types gain values: every page type but broken, allocate_only and invalid carries one page of contents, named or not, so a reader sizes a page_data body whatever types its words have."],
        ["Reserved fields are written as zero; a later version may give them a meaning, with zero keeping today's, or, when zero cannot keep it (a checksum), together with a new format_version, so a reader knows which meaning the field has."],
        ["A section whose layout depends on the guest (architecture, guest type) gains layouts for new guests without changing existing ones."],
        ["Existing fields never change meaning, size or position; a changed layout is a new section type."],
      ]),
      heading(2, "What a reader does with what it does not know", "unknown"),
      para(
        `A reader of version ${container.version} meets these in the images of later writers; each has an image in the conformance suite made by a schema of such a later writer (`,
        code("docs/conformance/future-*"),
        "):",
      ),
      {
        kind: "table",
        head: [["It finds"], ["It does"]],
        rows: [
          [["A format_version above the highest it knows"], ["Rejects the image (", code("unsupported"), ", at the format_version field) after checking only the magic and byte_order: it cannot know what the version changed."]],
          [["format_version 0"], ["Rejects the image (", code("unsupported"), "): no version 0 exists."]],
          [["A header_size above its header's size"], ["Reads the fields it knows, checks the header CRC over all header_size bytes, and skips the rest; a converter keeps those bytes."]],
          [["A section_entry_size above its entry's size"], ["Reads the entries that far apart, in both layouts, checks each entry CRC over the whole entry, and ignores the bytes past the fields it knows (a converter keeps the image in the same entry size, or refuses)."]],
          [["A section type it does not know"], ["Skips and keeps the section when its optional bit is set; rejects the image when it is clear (", code("unknown-mandatory"), ")."]],
          [["A page type it does not name"], ["Keeps the type, and counts the page among those with contents (only broken, allocate_only and invalid have none)."]],
          [["A value of an open enum it does not name"], ["Keeps the value and passes it on unchanged."]],
          [["A value of a closed enum it does not name"], ["Rejects the image (", code("field-value"), "): a closed enum gains values only with a new format_version."]],
          [["Entry flags, flag bits it does not name"], ["Keeps them."]],
        ].map((cells) => ({ cells: cells as Text[] })),
      },
      ...historyBlocks(model),
      heading(2, "Sections by version"),
      {
        kind: "table",
        head: [["Since version"], ["Sections"]],
        rows: versions.map((v) => ({
          cells: [
            [String(v)],
            joinText(
              model.sections.filter((s) => s.since === v).map((s): Text => [link([code(s.name)], sectionPageId(s))]),
              ", ",
            ),
          ],
        })),
      },
      heading(2, "Changing the format"),
      para(
        "The schemas in ",
        code("schema/"),
        " are the single source of truth: a maintainer edits them and runs ",
        code("npm run generate"),
        ", which rewrites the codecs and these pages together. The schema language is described by a JSON Schema, ",
        { kind: "asset", text: [code("schema-language.json")], file: "schema-language.json" },
        ", that editors use through the ",
        code("# yaml-language-server: $schema=../docs/schema-language.json"),
        " line at the top of each schema file.",
      ),
      para("See also the ", link("section registry", "registry"), " and the ", link("image-type rules", "rules"), "."),
      ...breakingBlocks(container.version),
    ],
  };
}

/** What each version changed in the container, and why (from the model: the version that added entry CRCs). */
function historyBlocks(model: Model): Block[] {
  const since = model.container.entryCrcSince;
  if (since <= 1) return [];
  return [
    heading(2, `Version ${since}: a CRC for every table entry`),
    para(
      `Up to version ${since - 1} nothing covered the section-table entries: the header and every body had a CRC32C, the entries had none, and a reader checked only some of their rules. About 28 % of single-bit flips in an entry went unnoticed, and some changed what the image says while it still read as valid: a flipped type bit turned one known section type into another (vcpu_msrs into vcpu_extended), or a known optional section into an unknown one that readers silently skip. Version ${since} turns the entry's last field, reserved and zero until then, into entry_crc: the CRC32C of the entry's section_entry_size bytes with that field taken as zero.`,
    ),
    list([
      ["One CRC for both layouts: the same field protects a seekable table's entries and each entry of a stream. A converter checks the incoming entry's CRC and computes it anew, as the offset it covers differs between the layouts; it keeps the image's format_version, so converting never changes an image's version."],
      ["It covers the whole entry, section_entry_size bytes, so fields a later version appends to an entry are protected as well."],
      [
        `A version-${since} reader always checks it: no value means "no CRC", so no flipped bit can switch the check off. That is why the change needs a new version rather than a reserved field's "zero keeps today's meaning": a version-${since - 1} image has zero here, and a reader tells the two apart by format_version. Readers accept version ${since - 1} images (with zero in entry_crc, and every other rule checked); writers write version ${since}.`,
      ],
      [`With the CRC, the rules every entry follows (see the section table) are checked by every reader, and every byte outside the header, the entries and the bodies must be zero, so a single flipped bit anywhere in an image is detected.`],
    ]),
  ];
}
