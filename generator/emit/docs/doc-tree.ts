/**
 * The documents the docs emitter builds, before they become Markdown or HTML. Page builders describe
 * content once (headings, paragraphs, tables, diagrams) and the two renderers turn it into each format,
 * so the Markdown and the site can never say different things.
 */

import type { OctetDiagram } from "./octet-diagram.js";

/** A link to another page of the docs (or to a place on the same page when `page` is omitted). */
export interface PageLink {
  readonly kind: "link";
  readonly text: Text;
  /** A page id such as `sections/cpuid`; undefined for the current page. */
  readonly page?: string | undefined;
  readonly anchor?: string | undefined;
}

/** A piece of running text. */
export type Inline =
  | string
  | { readonly kind: "code"; readonly text: string }
  | { readonly kind: "strong"; readonly text: Text }
  | PageLink
  /** A file published with the docs (e.g. the JSON Schema), relative to the docs' root. */
  | { readonly kind: "asset"; readonly text: Text; readonly file: string };

/** A run of inline pieces. */
export type Text = readonly Inline[];

/** One row of a table; `id` makes the row a link target. */
export interface TableRow {
  readonly cells: readonly Text[];
  readonly id?: string | undefined;
}

/** A block of a page. */
export type Block =
  | { readonly kind: "heading"; readonly level: 2 | 3 | 4; readonly text: Text; readonly id?: string | undefined }
  | { readonly kind: "para"; readonly text: Text }
  | { readonly kind: "list"; readonly items: readonly Text[]; readonly ordered?: boolean }
  | { readonly kind: "table"; readonly head: readonly Text[]; readonly rows: readonly TableRow[]; readonly className?: string }
  /** Preformatted text (layout pictures, hex dumps): monospace, never reflowed. */
  | { readonly kind: "pre"; readonly text: string; readonly className?: string }
  | { readonly kind: "diagram"; readonly diagram: OctetDiagram };

/**
 * The groups of the navigation, in the order they are listed; `formats` holds the libraries' pages,
 * `tools` the site's interactive pages (site only, no Markdown).
 */
export type NavGroup = "format" | "sections" | "types" | "formats" | "tools";

/** One page of the docs: one Markdown file and one HTML file. */
export interface Page {
  /** Path without extension, `/`-separated: `header`, `sections/cpuid`. `index` is the overview. */
  readonly id: string;
  readonly title: string;
  /** Short label in the navigation. */
  readonly navLabel: string;
  readonly group: NavGroup;
  /**
   * The page this one belongs under (a library's overview for the pages of its schema files): the
   * navigation indents it there, and its Markdown links the parent and its siblings at the top.
   */
  readonly parent?: string | undefined;
  readonly blocks: readonly Block[];
  /** A tool page's own markup after the blocks, and the scripts it loads (site only; see site-tools.ts). */
  readonly tool?: { readonly markup: string; readonly scripts: readonly string[] } | undefined;
}

/** Inline code. */
export function code(text: string): Inline {
  return { kind: "code", text };
}

/** Bold text. */
export function strong(...text: Inline[]): Inline {
  return { kind: "strong", text };
}

/** A link to a page (and anchor) of the docs. */
export function link(text: Text | string, page: string | undefined, anchor?: string): PageLink {
  return { kind: "link", text: typeof text === "string" ? [text] : text, page, anchor };
}

/** A paragraph. */
export function para(...text: Inline[]): Block {
  return { kind: "para", text };
}

/** A heading. */
export function heading(level: 2 | 3 | 4, text: Text | string, id?: string): Block {
  return { kind: "heading", level, text: typeof text === "string" ? [text] : text, id };
}

/** A bulleted (or numbered) list. */
export function list(items: readonly Text[], ordered = false): Block {
  return { kind: "list", items, ordered };
}

/** Joins texts with a separator: `[a], [b]` → `a, b`. */
export function joinText(parts: readonly Text[], separator: string): Inline[] {
  return parts.flatMap((p, i) => (i === 0 ? [...p] : [separator, ...p]));
}
