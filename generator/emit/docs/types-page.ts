import { posix } from "node:path";
import type { Decl, Model } from "../../model/model.js";
import { code, heading, link, para, type Block, type Page, type Text } from "./doc-tree.js";
import { declBlocks, typeAnchor, type RenderContext } from "./type-blocks.js";

/**
 * The index of every declared type: its kind, size and schema file, and the page that describes it in
 * full. Types that no section, header or table uses are described here, so every type is documented.
 */

function sizeOf(decl: Decl): string {
  if (decl.kind === "struct") return decl.size === undefined ? "variable" : String(decl.size);
  return String(decl.base.size);
}

/** `sections/cpuid` → `the cpuid section`, `section-table` → `the section table`. */
function pageLabel(id: string): string {
  return id.startsWith("sections/") ? `the ${id.slice("sections/".length)} section` : `the ${id.replace(/-/g, " ")}`;
}

/**
 * The types page; `home` says where each type is described (undefined: on this page). With
 * `otherFormats`, it says where the libraries' types are listed instead.
 */
export function typesPage(model: Model, ctx: RenderContext, home: (decl: Decl) => string | undefined, otherFormats = false): Page {
  // The file's name only: the docs must not depend on where the schemas were compiled from.
  const decls = model.modules.flatMap((m) => m.decls.map((d) => ({ decl: d, file: posix.basename(m.file.replace(/\\/g, "/")) })));
  const blocks: Block[] = [
    para(
      "Every type the format's schemas declare, by schema file. Each is described in full on the page named, next to what uses it.",
      ...(otherFormats ? [" The types of the other formats (the subfolders of ", code("schema/"), ") are listed on ", link("their own pages", "index", "other-formats"), "."] : []),
    ),
    {
      kind: "table",
      head: [["Type"], ["Kind"], ["Size"], ["Schema"], ["Described on"], ["Summary"]],
      rows: decls.map(({ decl, file }) => {
        const page = home(decl);
        const where: Text = page === undefined ? [link("below", undefined, typeAnchor(decl))] : [link(pageLabel(page), page, typeAnchor(decl))];
        return {
          cells: [[code(decl.name)], [decl.kind === "struct" ? "struct" : `${decl.kind} ${decl.base.name}`], [sizeOf(decl)], [code(file)], where, [decl.doc.split(/(?<=\.)\s/)[0] ?? decl.doc]],
        };
      }),
    },
  ];
  const here = decls.filter(({ decl }) => home(decl) === undefined);
  if (here.length > 0) {
    blocks.push(heading(2, "Types no section uses yet"));
    for (const { decl } of here) blocks.push(...declBlocks(decl, ctx));
  }
  return { id: "types", title: "Types", navLabel: "Types", group: "format", blocks };
}
