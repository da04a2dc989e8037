import { posix } from "node:path";
import type { Decl, LibraryModel, ModuleDecl, StructDecl } from "../../model/model.js";
import { pascal } from "../names.js";
import { code, heading, joinText, link, list, para, strong, type Block, type Page, type Text } from "./doc-tree.js";
import { byteOrderText, declBlocks, typeAnchor, type RenderContext } from "./type-blocks.js";

/**
 * The pages of the other formats: each subfolder of the schema folder (`schema/NAME/`) is a library of
 * another format's types (ELF, Xen's migration streams, …), written in the same schema language and
 * compiled by the same generator, without an image container. Each library gets an overview (what each
 * schema file describes, and its types) and one page per schema file that describes every type of the
 * file in full, with the same diagrams and tables as the format's own pages.
 */

/** A compiled library and the name of its folder under `schema/`. */
export interface DocsLibrary {
  readonly name: string;
  readonly library: LibraryModel;
}

/** What the byte-order column says for a field whose order the decoder's caller decides. */
export const LIBRARY_CONTEXT_BYTE_ORDER = "context";

/** The page id of a library's overview (`formats/elf/index`: the folder's README.md and index.html). */
export function libraryPageId(name: string): string {
  return `formats/${name}/index`;
}

/** The page id of one schema file of a library. */
export function modulePageId(name: string, module: ModuleDecl): string {
  return `formats/${name}/${module.name}`;
}

/** `elf.yaml`: the schema file's name alone, so the docs do not depend on where the schemas were compiled from. */
export function schemaFileName(module: ModuleDecl): string {
  return posix.basename(module.file.replace(/\\/g, "/"));
}

function kindText(decl: Decl): string {
  return decl.kind === "struct" ? "struct" : `${decl.kind} ${decl.base.name}`;
}

function sizeText(decl: Decl): string {
  if (decl.kind === "struct") return decl.size === undefined ? "variable" : String(decl.size);
  return String(decl.base.size);
}

/** The first sentence of a doc text. */
export function summary(doc: string): string {
  return doc.split(/(?<=\.)\s/)[0] ?? doc;
}

/** Every struct a library declares. */
function structsOf(library: LibraryModel): StructDecl[] {
  return library.modules.flatMap((m) => m.decls.filter((d): d is StructDecl => d.kind === "struct"));
}

/** True when some field of the library follows the caller's byte order rather than a pinned one. */
function hasContextFields(library: LibraryModel): boolean {
  return structsOf(library).some((s) => s.fields.some((f) => byteOrderText(f, LIBRARY_CONTEXT_BYTE_ORDER) === LIBRARY_CONTEXT_BYTE_ORDER));
}

/** True when some field of the library runs to the end of the bytes its decoder is given. */
function hasRestFields(library: LibraryModel): boolean {
  return structsOf(library).some((s) => s.fields.some((f) => f.count?.kind === "rest"));
}

/** The title of a library's overview. */
export function libraryTitle(name: string): string {
  return `The ${name} schemas`;
}

/** The overview of a library: its schema files' descriptions and their types, each linked to its page. */
function libraryOverview(lib: DocsLibrary): Page {
  const { name, library } = lib;
  const typeCount = library.modules.reduce((n, m) => n + m.decls.length, 0);
  const blocks: Block[] = [
    para(
      "The types declared in ",
      code(`schema/${name}/`),
      `: ${library.modules.length} schema ${library.modules.length === 1 ? "file" : "files"}, ${typeCount} ${typeCount === 1 ? "type" : "types"}. They describe another format's layouts in the same schema language as the xenimage format, and the same generator makes their encoders and decoders (`,
      code(`generated/${name}/`),
      ") and these pages. A library has no image container, sections or image-type rules: each type stands on its own, and a caller decodes it where the other format puts it.",
    ),
    heading(2, "Conventions"),
    list([
      [
        strong("Byte order."),
        " ",
        code("little"),
        " or ",
        code("big"),
        " is fixed by the schema; ",
        ...(hasContextFields(library)
          ? [
              code(LIBRARY_CONTEXT_BYTE_ORDER),
              " means the byte order the caller's reader or writer is set to (little-endian unless it says otherwise), which the format records somewhere of its own (the file descriptions below say where); ",
            ]
          : []),
        code("—"),
        " is a single byte or a byte run.",
      ],
      ["Offsets are hex, from the start of the struct; sizes are decimal bytes. Structs have no implicit padding: every byte is a listed field."],
      ...(hasRestFields(library)
        ? [
            [
              "A field that takes ",
              strong("the rest of the body"),
              " runs to the end of the bytes the decoder is given: the other format bounds them (a record's length, a note's size, a section's size).",
            ] satisfies Text,
          ]
        : []),
      ["Enums are open (a reader keeps a value it does not know); flags name single bits, bit 0 the least significant; bit fields give each sub-field's bits."],
      [
        "The ",
        link("overview", "index", "conventions"),
        " states the rest (padding, reserved fields, strings) once for every page.",
      ],
    ]),
  ];
  for (const module of library.modules) {
    const page = modulePageId(name, module);
    blocks.push(
      heading(2, [code(schemaFileName(module))], `file-${module.name}`),
      para(module.doc),
      {
        kind: "table",
        className: "types",
        head: [["Type"], ["Kind"], ["Size"], ["TypeScript"], ["Summary"]],
        rows: module.decls.map((decl) => ({
          cells: [[link([code(decl.name)], page, typeAnchor(decl))], [kindText(decl)], [sizeText(decl)], [code(pascal(decl.name))], [summary(decl.doc)]],
        })),
      },
      para("Every type of this file in full, with its diagram and field table or its values: ", link(schemaFileName(module), page), "."),
    );
  }
  return { id: libraryPageId(name), title: libraryTitle(name), navLabel: name, group: "formats", blocks };
}

/** The page of one schema file: every type it declares, in schema order, described in full. */
function modulePage(lib: DocsLibrary, module: ModuleDecl, home: (decl: Decl) => string | undefined): Page {
  const { name, library } = lib;
  const ctx: RenderContext = { model: library, local: new Set(module.decls), home, contextByteOrder: LIBRARY_CONTEXT_BYTE_ORDER };
  const blocks: Block[] = [
    para(
      "Schema file ",
      code(`schema/${name}/${schemaFileName(module)}`),
      " of ",
      link(libraryTitle(name), libraryPageId(name)),
      "; its codecs are in ",
      code(`generated/${name}/${module.name}.ts`),
      ".",
    ),
    para(module.doc),
  ];
  if (module.decls.length > 0) {
    blocks.push(para("Types, in schema order: ", ...joinText(module.decls.map((d): Text => [link([code(d.name)], undefined, typeAnchor(d))]), ", "), "."));
  }
  for (const decl of module.decls) blocks.push(...declBlocks(decl, ctx, 2));
  return { id: modulePageId(name, module), title: `${name}: ${schemaFileName(module)}`, navLabel: schemaFileName(module), group: "formats", parent: libraryPageId(name), blocks };
}

/** Every page of every library, in navigation order: each library's overview, then its files' pages. */
export function libraryPages(libraries: readonly DocsLibrary[]): Page[] {
  const pages: Page[] = [];
  for (const lib of libraries) {
    // A type's home is its own schema file's page; a file may use the types of another file of its library.
    const homes = new Map<Decl, string>();
    for (const module of lib.library.modules) for (const decl of module.decls) homes.set(decl, modulePageId(lib.name, module));
    const home = (decl: Decl) => homes.get(decl);
    pages.push(libraryOverview(lib), ...lib.library.modules.map((m) => modulePage(lib, m, home)));
  }
  return pages;
}
