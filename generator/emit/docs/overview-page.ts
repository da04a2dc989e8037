import type { EnumDecl, Model } from "../../model/model.js";
import { SENTINEL, STREAM_PADDING, TABLE_ALIGNMENT } from "./container-constants.js";
import { code, heading, joinText, link, list, para, strong, type Block, type Page, type Text } from "./doc-tree.js";
import { libraryPageId, libraryTitle, modulePageId, schemaFileName, summary, type DocsLibrary } from "./format-pages.js";
import { sectionPageId } from "./rules-page.js";
import { typeAnchor } from "./type-blocks.js";

/**
 * The overview (the site's front page): what the format is for, the image types, the seekable and the
 * streamed layout with a picture of each, the conventions every page relies on (byte order, offsets,
 * CRC32C, padding), and how to read and write an image step by step.
 */

export { MAX_ALIGNMENT, STREAM_PADDING, TABLE_ALIGNMENT } from "./container-constants.js";

/** The seekable layout, drawn with the model's sizes. */
function seekablePicture(model: Model): string {
  const { header, entry } = model.container;
  const w = 44;
  const box = (s: string) => `| ${s.padEnd(w - 4)} |`;
  const rule = `+${"-".repeat(w - 2)}+`;
  const rows: [string, string, string][] = [
    ["0x0", rule, ""],
    ["", box(`header (${header.size} bytes)`), "section_table_offset ---+"],
    ["", rule, "                        |"],
    ["", box("zero padding up to the body's alignment"), "                        |"],
    ["entry 0 offset", rule, "                        |"],
    ["", box("body of section 0"), "                        |"],
    ["", rule, "                        |"],
    ["", box("... more bodies, each aligned ..."), "                        |"],
    ["", rule, "                        |"],
    ["", box(`zero padding up to a multiple of ${TABLE_ALIGNMENT}`), "                        |"],
    ["table offset", rule, "<-----------------------+"],
    ["", box(`entry 0 (${entry.size} bytes)`), ""],
    ["", box("entry 1 ..."), ""],
    ["", box("entry n-1: the end section, size 0"), ""],
    ["end of file", rule, ""],
  ];
  return rows.map(([l, m, r]) => `${l.padStart(15)}  ${m}  ${r}`.trimEnd()).join("\n");
}

/** The streamed layout. */
function streamedPicture(model: Model): string {
  const { header, entry, end } = model.container;
  const w = 60;
  const box = (s: string) => `| ${s.padEnd(w - 4)} |`;
  const rule = `+${"-".repeat(w - 2)}+`;
  return [
    rule,
    box(`header (${header.size} bytes), section_table_offset = all ones,`),
    box(`section_count = 0; zero padding up to a multiple of ${STREAM_PADDING}`),
    rule,
    box(`entry of section 0 (${entry.size} bytes), offset = all ones`),
    box("body of section 0 (the entry's size bytes)"),
    box(`zero padding up to a multiple of ${STREAM_PADDING}`),
    rule,
    box("entry, body, padding of section 1"),
    box("..."),
    rule,
    box(`entry of the end section (type 0x${end.id.toString(16)}, size 0)`),
    rule,
  ].join("\n");
}

/** ` (page_data at 4096, so pages can be mapped in place)`: the sections aligned beyond 8 bytes. */
function alignedNote(model: Model): Text {
  const wide = model.sections.filter((s) => s.align > 8);
  if (wide.length === 0) return [];
  const named = joinText(wide.map((s): Text => [link([code(s.name)], sectionPageId(s)), ` at ${s.align}`]), ", ");
  return [" (", ...named, ", so pages can be mapped in place)"];
}

/**
 * The schema files whose integers are pinned to one byte order, and how many integer fields they pin:
 * the overview says which integers do not follow byte_order.
 */
function pinnedOrders(model: Model): { readonly files: string[]; readonly fields: number } {
  const files = new Set<string>();
  let fields = 0;
  for (const m of model.modules) {
    for (const d of m.decls) {
      if (d.kind !== "struct") continue;
      for (const f of d.fields) {
        if (f.byteOrdered && f.endian !== "context") {
          files.add(schemaFileName(m));
          fields++;
        }
      }
    }
  }
  return { files: [...files].sort(), fields };
}

/** The enum of a header field, if the header has that field and it is an enum. */
function headerEnum(model: Model, name: string): EnumDecl | undefined {
  const t = model.container.header.fields.find((f) => f.name === name)?.type;
  return t?.kind === "enum" ? t : undefined;
}

/** The "Other formats" part of the overview: one row per library, linking its overview and its files' pages. */
function otherFormats(libraries: readonly DocsLibrary[]): Block[] {
  if (libraries.length === 0) return [];
  return [
    heading(2, "Other formats", "other-formats"),
    para(
      "The subfolders of ",
      code("schema/"),
      " declare the layouts of other formats in the same schema language: Xen's own files and streams, and what they are built on. The same generator makes their encoders and decoders (",
      code("generated/NAME/"),
      ") and describes them on these pages, with the same diagrams and tables as the format's own:",
    ),
    {
      kind: "table",
      className: "formats",
      head: [["Schemas"], ["Files"], ["Types"], ["What they describe"]],
      rows: libraries.map(({ name, library }) => {
        const first = library.modules[0];
        return {
          cells: [
            [link(libraryTitle(name), libraryPageId(name))],
            joinText(library.modules.map((m): Text => [link([code(schemaFileName(m))], modulePageId(name, m))]), ", "),
            [String(library.modules.reduce((n, m) => n + m.decls.length, 0))],
            first === undefined ? [] : [summary(first.doc)],
          ],
        };
      }),
    },
  ];
}

/**
 * The overview page (`index`). `pages` lists every other page of the format for the contents;
 * `libraries` are the other formats the docs describe too.
 */
export function overviewPage(model: Model, pages: readonly { id: string; title: string }[], libraries: readonly DocsLibrary[] = []): Page {
  const { container } = model;
  const module = model.modules.find((m) => m.name === container.module);
  const blocks: Block[] = [];
  if (module !== undefined) blocks.push(para(module.doc));
  blocks.push(
    para(container.doc),
    para(
      "This specification is generated from the schemas (",
      code("schema/*.yaml"),
      ") that also generate the reference encoder and decoder, so the two cannot disagree. It is enough to write a conforming reader and writer: every byte of the header, the section table and each section is described on these pages, and the ",
      link("annotated hex dumps", "hex-dump"),
      " walk through images made from the schema model, byte by byte, in both layouts and both byte orders.",
    ),
  );

  const imageType = headerEnum(model, "image_type");
  if (imageType !== undefined) {
    blocks.push(heading(2, "Image types"), para(imageType.doc));
    blocks.push({
      kind: "table",
      head: [["image_type"], ["Name"], ["What it is"]],
      rows: imageType.values.map((v) => ({ cells: [[String(v.value)], [code(v.name)], [v.doc ?? ""]] })),
    });
  }
  const others = container.header.fields.filter((f) => f.type.kind === "enum" && f.name !== "image_type" && !f.hidden);
  if (others.length > 0) {
    blocks.push(
      para(
        "The header also says ",
        ...joinText(
          others.map((f): Text => [link([code(f.name)], "header", typeAnchor(f.type as EnumDecl))]),
          ", ",
        ),
        "; sections whose layout differs between guests (the vcpu context, for instance) pick their layout from these fields, and the ",
        link("image-type rules", "rules"),
        " say which sections each kind of image holds.",
      ),
    );
  }

  blocks.push(
    heading(2, "Two layouts: seekable and streamed"),
    para(
      strong("Seekable"),
      " (save and core files): the header, then the section bodies, each starting at its section's alignment",
      ...alignedNote(model),
      ", then the ",
      link("section table", "section-table"),
      ", whose offset the header gives. A writer streams the bodies to disk, writes the table last and then patches the header, so it never holds a whole image in memory.",
    ),
    { kind: "pre", className: "picture", text: seekablePicture(model) },
    para(
      strong("Streamed"),
      " (migration, and any image piped between processes): offsets are not known in advance, so the header's section_table_offset is the sentinel ",
      code(SENTINEL),
      ` (all ones) and section_count is 0. Each section is sent as its table entry (offset also all ones), then its body, then zeros up to a multiple of ${STREAM_PADDING} bytes counted from the start of the stream; the end section's entry ends the stream, and nothing follows it. The entries carry everything a seekable table would (type, size, entry count and size, alignment, CRC) except the offsets; a header that gives a non-zero section_count counts the sections the end section included, as a seekable table does.`,
    ),
    para(
      `A streamed body is not aligned to its section's alignment (it starts ${STREAM_PADDING}-aligned, right after its entry). Alignment inside a body (page_data's pages) counts from the body's start, so a body is the same bytes in both layouts, and converting between them needs no decoding of any body: a converter copies entries and bodies, and recomputes only offsets, padding and the header.`,
    ),
    { kind: "pre", className: "picture", text: streamedPicture(model) },
    para(
      "The layout is how an image travels, not what it is: an image of any type may have either layout (a save file piped to another host is streamed, a migration stream stored on disk is seekable), and converting between them keeps every header field but the table's. Every streamed entry, like every table entry, is section_entry_size bytes long, and section_entry_size is a multiple of ",
      String(STREAM_PADDING),
      ", so every body of a stream starts ",
      String(STREAM_PADDING),
      "-aligned.",
    ),
  );
  const pinned = pinnedOrders(model);

  blocks.push(
    heading(2, "Conventions", "conventions"),
    list([
      [
        strong("Byte order."),
        " A field's byte order is given in its table: ",
        code("header"),
        " means the order the header's byte_order names (little or big endian, for the whole image); ",
        code("little"),
        " or ",
        code("big"),
        " is fixed by the schema; ",
        code("—"),
        " is a single byte or a byte run. The header, the section table and the image's own section fields follow byte_order. The hypervisor's structures inside sections are fixed little-endian, whatever byte_order says: the files ",
        ...joinText(pinned.files.map((f): Text => [code(f)]), ", "),
        ` pin their ${pinned.fields} multi-byte fields (vcpu contexts, shared info, HVM context records, the core-file structures). They are the bytes Xen's hypercalls hand out and take back, in the order of the CPU they describe (little-endian on x86 and ARM, every architecture Xen runs on), so an image carries them unconverted and a restorer passes them back as they are; a big-endian image changes only what the image itself adds around them.`,
      ],
      [strong("Offsets and sizes."), " Offsets are hex, from the start of the struct the table describes; sizes are decimal bytes. Structs have no implicit padding: every byte is a listed field."],
      [strong("Bits."), " Bit 0 is the least significant bit of an integer, whatever the byte order."],
      [strong("Padding and reserved fields."), " Written as zero; the field table says whether a reader rejects non-zero values (", code("reserved"), ") or ignores them."],
      [
        strong("Enums"),
        " are open unless their table says closed: a reader keeps a value of an open enum that it does not know, and passes it on. A closed enum (byte_order, image_type, guest_type, arch: the values that say how to read the image) has no other values in this version: a reader rejects an image with one (",
        code("field-value"),
        "), and a later version adds values only with a new format_version. ",
        strong("Flags"),
        " name single bits of an integer; unknown bits are kept.",
      ],
      [
        strong("Values."),
        " Where a field's table gives the values a reader accepts (",
        code("readers reject"),
        "), any other value makes the image invalid. Every such rule, and the error code a reader reports, is listed on the ",
        link("validity page", "validity"),
        ".",
      ],
      [
        strong("CRC32C."),
        " The Castagnoli CRC used for every body, every table entry (from version 2) and the header: reflected polynomial ",
        code("0x82F63B78"),
        ", initial value ",
        code("0xFFFFFFFF"),
        ", final XOR ",
        code("0xFFFFFFFF"),
        " (as in iSCSI and ext4); the CRC32C of the ASCII bytes ",
        code("123456789"),
        " is ",
        code("0xE3069283"),
        ", of no bytes 0.",
      ],
      [
        strong("Strings"),
        " are UTF-8 unless a field says ASCII. A fixed-size string is NUL-padded: its text is the bytes before the first NUL (or all of them, when it fills its field), and every byte after that NUL is zero. A string that fills the rest of a body has no terminator, and a NUL is no part of it. Readers reject bytes that are not UTF-8 (or not ASCII), a non-zero byte after a NUL, and a NUL in a text without terminator (",
        code("string"),
        ").",
      ],
      [strong("UUIDs"), " are 16 bytes kept in the order Xen keeps them, printed as 32 lower-case hex digits of the bytes in that order, in groups of 8-4-4-4-12 (see the header's uuid)."],
    ]),
  );

  blocks.push(
    heading(2, "Reading a seekable image"),
    list(
      [
        ["Read and check the ", link("header", "header"), "."],
        ["Read section_count entries of the ", link("section table", "section-table"), ", section_entry_size bytes apart, from section_table_offset."],
        ["Check every entry by the ", link("rules of the section table", "section-table"), ": its entry CRC first, then its fields and where it puts its body. Check that the gaps between the header, the bodies and the table are zero and that the table ends the image."],
        ["For each entry but the last (the end section): check the body's CRC, look its type up in the ", link("registry", "registry"), ", and decode the body with the layout its page gives (or skip it if the type is unknown and optional)."],
        ["Check each section against the rules that relate it to the header (vcpu ids, the hypervisor version, a PV guest's p2m frames), given on its page."],
        ["Check the sections against the ", link("image-type rules", "rules"), ", then the rules between sections (a core image's pfn_map against its page_data)."],
      ],
      true,
    ),
    para(
      "The ",
      link("validity page", "validity"),
      " lists every rule in the order a reader checks it, with the error code it reports, and the conformance suite (",
      code("docs/conformance/"),
      ") has an image that breaks each one, for checking another implementation.",
    ),
    heading(2, "Writing a seekable image"),
    list(
      [
        ["Reserve the header's bytes (zeros) at offset 0."],
        ["For each section: write zeros up to its alignment, then its body; remember offset, size, entry_count, entry_size, alignment and the body's CRC32C."],
        [`Write zeros up to a multiple of ${TABLE_ALIGNMENT}; that is where the table starts. Add the end section's entry there (size 0, CRC 0, alignment ${TABLE_ALIGNMENT}).`],
        ["Write the table, each entry with its entry CRC, then the header with the table's offset, the entry count and size, and its CRC. Nothing follows the table."],
      ],
      true,
    ),
    heading(2, "Reading a streamed image"),
    list(
      [
        ["Read and check the header; skip the zeros up to a multiple of ", String(STREAM_PADDING), "."],
        ["Read an entry and check it as a seekable table's (its offset is the sentinel). If it is the end section's, the stream is complete, and nothing may follow."],
        ["Read the entry's size bytes of body, check the CRC and decode it as for a seekable image; skip the zeros up to the next multiple of ", String(STREAM_PADDING), " (counted from the start of the stream); go back to the previous step."],
      ],
      true,
    ),
    heading(2, "Contents"),
    list(pages.map((p): Text => [link(p.title, p.id)])),
    para(
      "The schema language itself is described by a JSON Schema, ",
      { kind: "asset", text: [code("schema-language.json")], file: "schema-language.json" },
      "; every schema file names it in a ",
      code("# yaml-language-server: $schema=…"),
      " line so that editors complete and check keys as a maintainer types.",
    ),
  );
  const end = container.end;
  blocks.push(
    para(
      `Format version ${container.version}. ${model.sections.length} section types are defined, from `,
      link([code(model.sections[0]!.name)], sectionPageId(model.sections[0]!)),
      " to ",
      link([code(model.sections[model.sections.length - 1]!.name)], sectionPageId(model.sections[model.sections.length - 1]!)),
      `; the end section is `,
      link([code(end.name)], sectionPageId(end)),
      ".",
    ),
    ...otherFormats(libraries),
  );
  return { id: "index", title: `The xenimage format, version ${container.version}`, navLabel: "Overview", group: "format", blocks };
}
