import { BREAKING_RULES } from "../../breaking/rules.js";
import { code, heading, list, para, type Block, type Text } from "./doc-tree.js";

/**
 * The versioning page's section on `xenimage breaking`: what each class means and every rule with its
 * class, from the checker's own table (generator/breaking/rules.ts), so the page cannot drift from it.
 */
export function breakingBlocks(version: number): Block[] {
  return [
    heading(2, "Checking a schema edit", "breaking"),
    para(
      code("xenimage breaking --against REF"),
      " compares the schemas with those of a released version (REF: a folder such as ",
      code("schema-releases/v0.1.0"),
      ", or a git revision) and reports every change at its file:line:col in both versions, in one of three classes:",
    ),
    list([
      [
        "wire-breaking: a reader of one version could misread or reject an image of the other. Today's readers read every earlier version, and older readers go on reading newer writers' images, so a change that breaks either direction needs a new format_version (this is format version ",
        String(version),
        "). CI fails on a wire-breaking change that does not raise it.",
      ],
      ["source-breaking: the bytes read the same both ways, but the generated TypeScript changes under its users (a renamed field, enum member, type or section; a type moved to another module)."],
      ["compatible: neither (a new optional section, a new value of an open enum, documentation)."],
    ]),
    para(
      "Loosening is wire-breaking too: a valid: rule that accepts more values, or a closed enum that gains one, lets newer writers write images older readers reject, which is why page sizes and closed enums change only with a new format_version. Appending a field to the header or to the table entry is wire-breaking as well: older readers skip the new bytes, but a reader requires its whole header and entry in images of every version. It compares the image format, schema/*.yaml; the schema subfolders describe Xen's and ELF's formats, which format_version does not version, and are not compared. The exit codes: 0 compatible changes only, 1 a wire-breaking change without a new format_version, 4 source-breaking only, 5 wire-breaking changes all under a raised format_version, 6 schema problems (2 and 3 as for every command).",
    ),
    {
      kind: "table",
      head: [["Rule"], ["Class"], ["The change"]],
      rows: Object.entries(BREAKING_RULES).map(([rule, { class: cls, summary }]) => ({ cells: [[code(rule)], [cls], [summary]] as Text[] })),
    },
  ];
}
