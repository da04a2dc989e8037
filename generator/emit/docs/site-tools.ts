import type { Block, Page } from "./doc-tree.js";

/**
 * Tools: interactive pages of the site (the image inspector) that the project that runs the compiler
 * hands to the docs. The compiler never imports the codecs it makes, so it cannot build a page that
 * runs them; the project builds the tool (its markup and a bundled script) and the docs place it: a
 * page with the site's navigation and stylesheet, its script published beside it. Tools are site
 * only: they have no Markdown page.
 */

/** One tool page, as the project hands it to {@link emitDocs}. */
export interface SiteTool {
  /** The page's id: `inspect` is published as site/inspect.html. */
  readonly id: string;
  readonly title: string;
  readonly navLabel: string;
  /** What the page says before the tool, rendered as any page's blocks are. */
  readonly intro: readonly Block[];
  /** The tool's own HTML, placed after the intro inside `<main>`. */
  readonly markup: string;
  /**
   * Files published beside the page (relative to docs/site/) and loaded by it as classic scripts, in
   * this order. Each must contain the docs marker near its start, so the writer may remove it later.
   */
  readonly scripts: ReadonlyMap<string, string>;
}

/** The page of a tool. */
export function toolPage(tool: SiteTool): Page {
  return { id: tool.id, title: tool.title, navLabel: tool.navLabel, group: "tools", blocks: tool.intro, tool: { markup: tool.markup, scripts: [...tool.scripts.keys()] } };
}
