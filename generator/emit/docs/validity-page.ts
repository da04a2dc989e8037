import { DECODE_ERROR_CODES, ENCODE_ERROR_CODES, type ErrorCodeDoc } from "xenimage/reflect";
import type { Model } from "../../model/model.js";
import { code, heading, link, list, para, type Block, type Page, type Text } from "./doc-tree.js";
import { VALIDITY_RULES } from "./validity-rules.js";

/**
 * The validity page: what makes an image invalid, in the order a reader checks it, where a reader
 * reports each broken rule (its error code and byte offset), and the meaning of every error code the
 * reference implementation can raise. The codes come from the runtime's own list, so the page and the
 * implementation cannot name different codes.
 */

/** Where a code's rules are stated, as a link, when a page states them. */
function where(doc: ErrorCodeDoc): Text {
  if (doc.rules === undefined) return ["—"];
  const [page, anchor] = doc.rules.split("#");
  return [link(page === "index" ? "overview" : page!, page, anchor)];
}

function codeRows(codes: Readonly<Record<string, ErrorCodeDoc>>): { cells: Text[]; id: string }[] {
  return Object.entries(codes).map(([name, doc]) => ({ id: `code-${name}`, cells: [[code(name)], [doc.meaning], where(doc)] }));
}

/** The validity page. */
export function validityPage(model: Model): Page {
  const { container } = model;
  const blocks: Block[] = [
    para(
      `An image is valid when it follows every rule of these pages; a conforming reader of version ${container.version} rejects any other image, and reports the first broken rule with an error code and a byte offset. The codes are stable: another implementation that reports the same code and offset for an image agrees with this one, which is what the conformance suite checks (`,
      code("docs/conformance/"),
      ", with its own README).",
    ),
    heading(2, "The order of the checks"),
    para("A reader checks an image in this order and stops at the first rule it breaks:"),
    list(
      [
        ["The ", link("header", "header"), ", in the order its page gives: magic, byte_order, format_version, header_size, the header CRC, then every other field's rule."],
        [
          "Seekable: the table's place, then every entry by the ",
          link("section table's rules", "section-table"),
          " (entry CRC first), then the gaps and what follows the table. Streamed: the padding after the header, then for each section its entry, then its body, then its padding, until the end entry; then that nothing follows it and that a non-zero section_count is right.",
        ],
        ["For each section in order: the body's CRC, its type (an unknown mandatory type stops here), its layout (lengths, padding, reserved fields, strings, the values its fields allow), then the rules that relate it to the header (vcpu ids and counts, the hypervisor version, the p2m frames) and, for an HVM context, its records' order."],
        ["The ", link("image-type rules", "rules"), " of the rule the header selects."],
        ["The rules between sections: a core image's pfn_map against its page_data."],
      ],
      true,
    ),
    heading(2, "The offset a reader reports"),
    list([
      ["A rule on a field: the field's first byte. For padding, reserved bytes and alignment gaps, the first non-zero byte; for a string, the first byte that breaks it (a non-zero byte after the NUL, a NUL in a text without terminator), or the string's first byte when it is not UTF-8."],
      ["A broken entry rule (", code("entry-crc"), ", ", code("end-entry"), ", ", code("alignment"), ", ", code("optional-bit"), ", ", code("entry-shape"), ", ", code("placement"), "): the entry's first byte, in the table or in the stream. A table placed wrong: the header's section_table_offset field."],
      ["A body's CRC, an unknown mandatory type, a count of vcpu_context or pfn_map entries: the body's first byte."],
      [code("truncated"), ": where the missing bytes would start: the image's length when the image or stream ends early, the field that does not fit when a body is too short."],
      [code("length"), ": the first byte the layout does not account for, or the first byte of the array whose count or length is wrong."],
      [code("trailing"), ": the first byte after the table or the end entry. ", code("section-count"), ": the header's section_count field."],
      [code("image-rule"), ": the entry of the section that breaks the rule (a section seen too often: its first occurrence past what the rule allows); a missing section: the end entry; a header no rule covers: its image_type field."],
      [code("hvm-record"), ": the first byte of the record out of place (the last record, when it is not the end record)."],
    ]),
    heading(2, "Every rule"),
    para("Each rule in one sentence, where it is stated in full, and the code a reader reports; the conformance suite has at least one invalid image for each, named by the rule's id."),
    {
      kind: "table",
      head: [["Rule"], ["What it says"], ["Stated on"], ["Code"]],
      rows: VALIDITY_RULES.map((r) => ({
        id: `rule-${r.id}`,
        cells: [[code(r.id)], [r.text], [link(r.page === "index" ? "overview" : r.page, r.page, r.anchor)], [link([code(r.code)], undefined, `code-${r.code}`)]],
      })),
    },
    heading(2, "Error codes of a reader"),
    para(
      "The codes of a DecodeError, each with its meaning. Those with a page state rules of this format; the others are about the reader (its limits, a layout it was not given) or about inputs in Xen's own formats, which the reference implementation also reads.",
    ),
    { kind: "table", className: "codes", head: [["Code"], ["Meaning"], ["Rules on"]], rows: codeRows(DECODE_ERROR_CODES) },
    heading(2, "Error codes of a writer"),
    para(
      "The codes of an EncodeError: a writer checks the rules a reader checks before it writes, so it never writes an image a reader rejects; a field whose value a reader would reject is ",
      code("invalid-value"),
      ".",
    ),
    { kind: "table", className: "codes", head: [["Code"], ["Meaning"]], rows: Object.entries(ENCODE_ERROR_CODES).map(([name, doc]) => ({ id: `encode-${name}`, cells: [[code(name)], [doc.meaning]] })) },
  ];
  return { id: "validity", title: "Validity and error codes", navLabel: "Validity", group: "format", blocks };
}
