/**
 * The docs' image inspector in the browser: wires the page's markup (markup.ts) to inspect-blob.ts.
 * Bundled by esbuild into docs/site/inspector.js (tool.ts), a classic script, so the page works from
 * file:// with nothing fetched. Everything shown is built with DOM calls and text nodes, never parsed
 * from the file's contents.
 */
import { hex, XenImageError } from "../../runtime/index.js";
import { renderLine, type DumpLine } from "../../runtime/reflect/index.js";
import type { AnnotatedRegion } from "../../cli/annotate-image.js";
import type { SectionReport } from "../../cli/inspect-report.js";
import { problemOf, type Problem } from "../../cli/problem.js";
import type { XenReport } from "../../cli/xen-report.js";
import {
  annotateHeader,
  annotateSection,
  checkAll,
  checkOne,
  countReads,
  headerMeaning,
  imageProblems,
  inspectBlob,
  jsonValue,
  NOT_CHECKED,
  problemsBySection,
  type CountedBlob,
  type Inspection,
} from "./inspect-blob.js";

/** The most bytes a selected field's hex shows. */
const FIELD_HEX_BYTES = 4096;

const byId = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;

type Child = Node | string;
function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  node.append(...children);
  return node;
}

function button(label: string, onClick: () => void, attrs: Record<string, string> = {}): HTMLButtonElement {
  const b = el("button", { type: "button", ...attrs }, label);
  b.addEventListener("click", onClick);
  return b;
}

/** A problem as one line: its code, where, and the message. */
function problemLine(p: Problem): HTMLElement {
  const where = [p.section === null ? "" : p.section, p.offset === null ? "" : `offset ${hex(p.offset)}`, p.field === null ? "" : `field ${p.field}`].filter((w) => w !== "").join(", ");
  return el("p", { class: "error", "data-code": p.code }, el("strong", {}, p.code), where === "" ? ": " : ` (${where}): `, p.message);
}

interface Current {
  readonly file: CountedBlob;
  readonly name: string;
  readonly inspection: Inspection;
}

let current: Current | undefined;
/** The file being read (the current one once it has opened). */
let reading: CountedBlob | undefined;

function setStatus(text: string, state: "busy" | "done" | "error"): void {
  const status = byId("status");
  status.textContent = text;
  status.dataset.state = state;
  if (reading !== undefined) byId("bytes-read").textContent = String(reading.bytesRead());
}

/**
 * Runs one piece of work with the status line saying what it is; `expectedBytes`, when the work
 * reads that much of the file, drives the progress bar (the status line, read out by screen readers,
 * is not updated as it goes).
 */
async function busy<T>(what: string, work: () => Promise<T>, expectedBytes?: number): Promise<T | undefined> {
  setStatus(what, "busy");
  const progress = byId<HTMLProgressElement>("progress");
  const from = reading?.bytesRead() ?? 0;
  progress.value = 0;
  progress.hidden = expectedBytes === undefined;
  const timer =
    expectedBytes === undefined
      ? undefined
      : setInterval(() => {
          const read = reading?.bytesRead() ?? 0;
          progress.value = Math.min(1, (read - from) / Math.max(1, expectedBytes));
          byId("bytes-read").textContent = String(read);
        }, 200);
  try {
    const result = await work();
    setStatus(current === undefined ? "No file opened." : `${current.name}: ${summaryOf(current.inspection)}`, "done");
    return result;
  } catch (e) {
    setStatus(`${what} failed: ${e instanceof Error ? e.message : String(e)}`, "error");
    return undefined;
  } finally {
    clearInterval(timer);
    progress.hidden = true;
  }
}

function summaryOf(i: Inspection): string {
  switch (i.kind) {
    case "seekable":
    case "streamed":
    case "partial": {
      const layout = i.kind === "streamed" ? "streamed" : "seekable";
      return `xenimage format ${i.header.formatVersion}, ${headerMeaning("imageType", i.header.imageType).meaning} image, ${layout} layout, ${i.rows.length} table entries`;
    }
    case "xen":
      return i.report.description;
    case "unreadable":
      return "not an image this page can read";
  }
}

/** Opens a file: what the page shows first (the header and the table; the records of a Xen file). */
export async function open(blob: Blob, name: string): Promise<void> {
  const file = countReads(blob);
  reading = file;
  current = undefined;
  byId("report").hidden = true;
  byId("detail").hidden = true;
  // At most the whole file is read: a stream, a Xen file or a small image; a large image reads its table only.
  await busy(
    `Reading ${name}…`,
    async () => {
      const inspection = await inspectBlob(file, name);
      current = { file, name, inspection };
      render(current);
    },
    file.size,
  );
}

function render(c: Current): void {
  const i = c.inspection;
  byId("report").hidden = false;
  byId("summary-heading").textContent = c.name;
  byId("summary").textContent = summaryOf(i);
  const isImage = i.kind === "seekable" || i.kind === "streamed" || i.kind === "partial";
  byId("header-part").hidden = !isImage;
  byId("sections-part").hidden = !isImage;
  byId("xen-part").hidden = i.kind !== "xen";
  if (isImage) {
    renderHeader(i.header as unknown as Record<string, unknown>);
    renderSections(c);
  }
  if (i.kind === "xen") renderXen(i.report);
  renderProblems(c);
}

function renderProblems(c: Current): void {
  const i = c.inspection;
  const box = byId("problems");
  box.replaceChildren();
  const problems: Problem[] = [];
  if (i.kind === "partial" || i.kind === "unreadable" || (i.kind === "streamed" && i.error !== undefined)) problems.push(i.error!);
  if (i.kind === "xen") problems.push(...i.report.problems);
  if ((i.kind === "seekable" || i.kind === "streamed") && i.report !== undefined) {
    problems.push(...imageProblems(i.report.problems));
    box.append(el("p", { id: "rule" }, `Image-type rule: ${i.report.rule ?? "none covers this image"}`));
  }
  if (problems.length > 0) box.append(el("h3", {}, "Problems"), ...problems.map(problemLine));
}

function renderHeader(header: Record<string, unknown>): void {
  const body = byId<HTMLTableElement>("header-fields").tBodies[0]!;
  body.replaceChildren(
    ...Object.entries(header).map(([key, value]) => {
      const { meaning, doc } = headerMeaning(key, value);
      return el("tr", { "data-field": key }, el("th", { scope: "row", title: doc }, key), el("td", {}, jsonValue(value)), el("td", {}, meaning));
    }),
  );
}

function renderSections(c: Current): void {
  const i = c.inspection as Extract<Inspection, { kind: "seekable" | "streamed" | "partial" }>;
  const checkButton = byId<HTMLButtonElement>("check-all");
  checkButton.hidden = i.kind !== "seekable" || i.report !== undefined;
  const problems = problemsBySection(i.kind === "partial" ? [] : (i.report?.problems ?? []));
  const body = byId<HTMLTableElement>("section-table").tBodies[0]!;
  body.replaceChildren(...i.rows.map((row) => sectionRow(c, row, problems.get(row.index) ?? [])));
}

function sectionRow(c: Current, row: SectionReport, problems: readonly Problem[]): HTMLTableRowElement {
  const status = el("td", { "data-col": "status" }, el("span", { class: row.status === "ok" ? "ok" : row.status === NOT_CHECKED ? "unchecked" : "bad" }, row.status));
  const i = c.inspection;
  if (row.status === NOT_CHECKED && i.kind === "seekable") {
    status.append(" ", button("Check", () => void busy(`Checking section #${row.index}…`, async () => {
      const checked = await checkOne(c.file, i, row.index);
      status.closest("tr")!.replaceWith(sectionRow(c, checked, []));
    }), { "aria-label": `Check section ${row.index}` }));
  }
  // A section's own errors stay with it: the rest of the table stays usable.
  status.append(...problems.map(problemLine));
  const cells = [
    String(row.index),
    button(row.name, () => void showSection(c, row), { "aria-label": `Show section ${row.index}, ${row.name}` }),
    `0x${row.id.toString(16)}${row.optional ? "*" : ""}`,
    hex(row.offset),
    String(row.size),
    String(row.entryCount),
    String(row.entrySize),
    String(row.align),
    hex(row.crc),
  ].map((v, n) => el("td", { "data-col": ["index", "name", "type", "offset", "size", "entries", "entsize", "align", "crc"][n]! }, v));
  return el("tr", { "data-index": String(row.index), class: row.status === "ok" || row.status === NOT_CHECKED ? "" : "bad" }, ...cells, status);
}

function renderXen(report: XenReport): void {
  byId("xen-headers").replaceChildren(...report.headers.map((h) => el("li", {}, h)));
  const table = byId<HTMLTableElement>("xen-table");
  const records = report.records.length > 0;
  byId("xen-heading").textContent = records ? "Records" : "ELF sections";
  const head = records ? ["Nr", "Layer", "Type", "Name", "Offset", "Length"] : ["Nr", "Name", "Type", "Offset", "Size", "EntSize"];
  table.tHead!.rows[0]!.replaceChildren(...head.map((h) => el("th", {}, h)));
  const rows = records
    ? report.records.map((r) => [r.index, r.layer, `0x${r.type.toString(16)}`, r.name, hex(r.offset), r.length])
    : report.sections.map((s) => [s.index, s.name, s.type, hex(s.offset), s.size, s.entrySize]);
  table.tBodies[0]!.replaceChildren(...rows.map((cells) => el("tr", {}, ...cells.map((v) => el("td", {}, String(v))))));
  if (report.image !== undefined) byId("summary").append(` It imports as a ${report.image.imageType} image of an ${report.image.arch} ${report.image.guestType} guest with ${report.image.sections} sections.`);
}

async function showSection(c: Current, row: SectionReport): Promise<void> {
  await showRegions(c, `Section #${row.index}: ${row.name}`, () => annotateSection(c.file, row));
}

async function showRegions(c: Current, title: string, annotate: () => Promise<AnnotatedRegion[]>): Promise<void> {
  const detail = byId("detail");
  detail.hidden = false;
  byId("detail-heading").textContent = title;
  byId("field-tree").replaceChildren();
  byId("hex").textContent = "";
  byId("detail-note").textContent = "Reading…";
  await busy(`Reading ${title}…`, async () => {
    try {
      const regions = await annotate();
      byId("detail-note").textContent = regions.map((r) => r.title).join("; ");
      renderTree(regions);
      byId("hex-heading").textContent = "Annotated hex";
      byId("hex").textContent = regions.flatMap((r) => r.lines.map((l) => lineText(r, l))).join("\n");
    } catch (e) {
      // The selected part does not decode: say where and why, here; the rest of the page is unchanged.
      if (!(e instanceof XenImageError)) throw e;
      byId("detail-note").replaceChildren(problemLine(problemOf(e)));
    }
  });
}

/** One annotated line, its bytes from the region or (lines the region does not hold) from its excerpt, as `xenimage annotate` prints it. */
function lineText(region: AnnotatedRegion, line: DumpLine): string {
  const excerpt = region.excerpts?.get(line.offset);
  return excerpt === undefined ? renderLine(region.bytes, line, region.base) : renderLine(excerpt, line, line.offset);
}

/** The lines as a tree: each line under the nearest line before it of smaller depth. */
function renderTree(regions: readonly AnnotatedRegion[]): void {
  const root = byId("field-tree");
  for (const region of regions) {
    const stack: { depth: number; label: string; list: HTMLElement }[] = [{ depth: -1, label: "", list: root }];
    for (const line of region.lines) {
      while (stack.length > 1 && stack[stack.length - 1]!.depth >= line.depth) stack.pop();
      const parent = stack[stack.length - 1]!;
      // Under its parent a field is named by the rest of its path: `user_regs.rip` → `rip`.
      const name = parent.label !== "" && line.label.startsWith(`${parent.label}.`) ? line.label.slice(parent.label.length + 1) : line.label;
      const item = el("li", {}, button(name, () => showField(region, line), { "data-offset": String(line.offset), title: line.label }), line.value === undefined ? "" : ` = ${line.value}`);
      const children = el("ul", {});
      item.append(children);
      parent.list.append(item);
      stack.push({ depth: line.depth, label: line.label, list: children });
    }
  }
  for (const empty of Array.from(root.querySelectorAll("ul:empty"))) empty.remove();
}

/** A field's bytes in full (up to {@link FIELD_HEX_BYTES}), 16 to a line, under its annotation. */
function showField(region: AnnotatedRegion, line: DumpLine): void {
  const shown = Math.min(line.length, FIELD_HEX_BYTES);
  const bytes = region.bytes.subarray(line.offset - region.base, line.offset - region.base + shown);
  const rows = [lineText(region, line), ""];
  for (let at = 0; at < bytes.length; at += 16) {
    const part = Array.from(bytes.subarray(at, at + 16), (b) => b.toString(16).padStart(2, "0")).join(" ");
    rows.push(`${(line.offset + at).toString(16).padStart(8, "0")}  ${part}`);
  }
  if (line.length > bytes.length) rows.push(`… ${line.length - bytes.length} more bytes`);
  byId("hex-heading").textContent = `Annotated hex of ${line.label}`;
  byId("hex").textContent = rows.join("\n");
}

function start(): void {
  const input = byId<HTMLInputElement>("file");
  input.addEventListener("change", () => {
    const f = input.files?.[0];
    if (f !== undefined) void open(f, f.name);
  });
  const zone = byId("dropzone");
  zone.addEventListener("dragover", (e) => {
    e.preventDefault();
    zone.classList.add("over");
  });
  zone.addEventListener("dragleave", () => zone.classList.remove("over"));
  zone.addEventListener("drop", (e) => {
    e.preventDefault();
    zone.classList.remove("over");
    const f = e.dataTransfer?.files[0];
    if (f !== undefined) void open(f, f.name);
  });
  byId("show-header").addEventListener("click", () => {
    const c = current;
    if (c === undefined || !("header" in c.inspection)) return;
    void showRegions(c, "Header", () => annotateHeader(c.file, c.inspection.kind === "xen" || c.inspection.kind === "unreadable" ? 0 : c.inspection.header.headerSize));
  });
  byId("check-all").addEventListener("click", () => {
    const c = current;
    if (c === undefined || c.inspection.kind !== "seekable") return;
    const i = c.inspection;
    const bodies = i.rows.reduce((n, r) => n + Number(r.size), 0);
    void busy(
      "Checking every section…",
      async () => {
        await checkAll(i);
        render(c);
      },
      bodies,
    );
  });
}

/** For scripts and tests: open a Blob built in the page, and the bytes read so far. */
(globalThis as { xenimageInspector?: unknown }).xenimageInspector = { open, bytesRead: () => reading?.bytesRead() ?? 0 };

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
else start();
