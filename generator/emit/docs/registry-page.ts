import type { Model, SectionBody, SectionDecl } from "../../model/model.js";
import { entriesField } from "../section.js";
import { code, joinText, link, para, type Page, type Text } from "./doc-tree.js";
import { sectionPageId } from "./rules-page.js";

/**
 * The section registry: every section type's id, name, optional bit, alignment, body shape and the
 * format version that introduced it, in id order: what a reader looks a table entry's type up in.
 */

/** A struct body that is nothing but an array counting the table's entries reads as an array section. */
function onlyEntries(body: SectionBody): number | undefined {
  const counted = entriesField(body);
  return counted !== undefined && body.kind === "struct" && body.struct.fields.length === 1 ? counted.elementSize : undefined;
}

function bodySummary(section: SectionDecl): Text {
  const kinds = section.variants.map((v): Text =>
    v.body.kind === "empty"
      ? ["empty"]
      : v.body.kind === "entries"
        ? [`entries of ${v.body.entrySize} bytes`]
        : onlyEntries(v.body) !== undefined
          ? [`entries of ${onlyEntries(v.body)} bytes`]
          : [v.body.struct.size === undefined ? "struct, variable size" : `struct, ${v.body.struct.size} bytes`],
  );
  const unique = kinds.filter((k, i) => kinds.findIndex((o) => JSON.stringify(o) === JSON.stringify(k)) === i);
  const text = joinText(unique, " / ");
  return section.variants.length > 1 ? [...text, ` (${section.variants.length} layouts)`] : text;
}

/** The registry page. */
export function registryPage(model: Model): Page {
  return {
    id: "registry",
    title: "Section registry",
    navLabel: "Section registry",
    group: "format",
    blocks: [
      para(
        "Every section type of format version ",
        String(model.container.version),
        ". A table entry's type field holds the id in bits 30–0 and sets bit 31 when the section is optional: a reader that does not know an optional type skips the section, and one that does not know a mandatory type rejects the image. Ids are never reused; a new section type takes a new id.",
      ),
      {
        kind: "table",
        className: "registry",
        head: [["Id"], ["Type field"], ["Name"], ["Optional"], ["Align"], ["Since"], ["Body"], ["Meaning"]],
        rows: model.sections.map((s) => ({
          id: `section-${s.name}`,
          cells: [
            [code(`0x${s.id.toString(16)}`)],
            [code(`0x${((s.id | (s.optional ? 0x8000_0000 : 0)) >>> 0).toString(16).padStart(8, "0")}`)],
            [link([code(s.name)], sectionPageId(s))],
            [s.optional ? "yes" : "no"],
            [String(s.align)],
            [String(s.since)],
            bodySummary(s),
            [s.doc.split(/(?<=\.)\s/)[0] ?? s.doc],
          ],
        })),
      },
    ],
  };
}
