import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { Page } from "playwright-core";
import { CHROMIUM, launchChromium, watchProblems, type Chromium } from "../chromium.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeSparseGuestImage } from "../cli/sparse-image.js";

/**
 * The docs' image inspector (docs/site/inspect.html) in headless Chromium (Debian's package, as the
 * docs' site test drives it), opened from disk. Every file is handed to the page's file input, and
 * what the page shows (header fields, section rows with their statuses, errors) is compared with
 * `xenimage inspect --json` of the same file, run from dist/ (`npm test` builds it first). Never
 * skipped: without a browser the tests fail and say how to install one.
 */

const BIN = join(process.cwd(), "dist/cli/main.js");
const PAGE = pathToFileURL(resolve("docs/site/inspect.html")).href;
const DEMO_FILES = ["arm64-save.img", "hvm-x86_64-save.img", "pv-x86_32-save.img", "pv-x86_64-core.img", "pv-x86_64-save.img"];
const GIB = 1024 * 1024 * 1024;

function cli(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8", timeout: 120_000, maxBuffer: 1 << 28 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

interface JsonRow {
  index: number;
  name: string;
  id: number;
  optional: boolean;
  offset: string;
  size: string;
  entryCount: string;
  entrySize: number;
  align: number;
  crc: number;
  status: string;
}
interface JsonProblem {
  code: string;
  section: string | null;
  offset: number | null;
  message: string;
}
interface InspectJson {
  header: Record<string, string | number>;
  sections: JsonRow[];
  rule?: string | null;
  problems?: JsonProblem[];
  error?: string;
}

/** `xenimage inspect --json FILE` (extra options allowed): the report, whatever the exit code. */
function inspectJson(file: string, ...options: string[]): { code: number | null; report: InspectJson; stderr: string } {
  const r = cli(["inspect", "--json", ...options, file]);
  return { code: r.code, report: JSON.parse(r.stdout) as InspectJson, stderr: r.stderr };
}

/** A table row as the page must show it: the CLI's formats (hex offsets and CRCs, `*` marking optional types). */
function expectedRow(s: JsonRow, status = s.status): Record<string, string> {
  return {
    index: String(s.index),
    name: s.name,
    type: `0x${s.id.toString(16)}${s.optional ? "*" : ""}`,
    offset: `0x${BigInt(s.offset).toString(16)}`,
    size: s.size,
    entries: s.entryCount,
    entsize: String(s.entrySize),
    align: String(s.align),
    crc: `0x${s.crc.toString(16)}`,
    status,
  };
}

function expectedHeader(report: InspectJson): Record<string, string> {
  return Object.fromEntries(Object.entries(report.header).map(([k, v]) => [k, String(v)]));
}

interface Shown {
  status: string;
  header: Record<string, string>;
  rows: Record<string, string>[];
  rowErrors: { index: string; codes: string[]; text: string[] }[];
  problems: string[];
  rule: string | undefined;
  bytesRead: number;
  bytesShown: string;
}

/** What the page shows, read from its DOM (and the read counter it exposes). */
function shown(page: Page): Promise<Shown> {
  return page.evaluate(() => {
    const rows = Array.from(document.querySelectorAll<HTMLTableRowElement>("#section-table tbody tr"));
    return {
      status: document.getElementById("status")!.textContent!,
      header: Object.fromEntries(Array.from(document.querySelectorAll<HTMLTableRowElement>("#header-fields tbody tr"), (tr) => [tr.dataset.field!, tr.querySelector("td")!.textContent!])),
      rows: rows.map((tr) => Object.fromEntries(Array.from(tr.querySelectorAll<HTMLTableCellElement>("td"), (td) => [td.dataset.col!, td.dataset.col === "status" ? td.querySelector("span")!.textContent! : td.textContent!]))),
      rowErrors: rows
        .map((tr) => ({ index: tr.dataset.index!, codes: Array.from(tr.querySelectorAll<HTMLElement>("p.error"), (p) => p.dataset.code!), text: Array.from(tr.querySelectorAll("p.error"), (p) => p.textContent!) }))
        .filter((r) => r.codes.length > 0),
      problems: Array.from(document.querySelectorAll("#problems p.error"), (p) => p.textContent!),
      rule: document.getElementById("rule")?.textContent ?? undefined,
      bytesRead: (window as unknown as { xenimageInspector: { bytesRead(): number } }).xenimageInspector.bytesRead(),
      bytesShown: document.getElementById("bytes-read")!.textContent!,
    };
  });
}

/** Waits until the page's last piece of work ends (its status line says done or error). */
async function settled(page: Page): Promise<string> {
  const status = page.locator("#status");
  await page.waitForSelector('#status[data-state="done"], #status[data-state="error"]', { timeout: 60_000 });
  return (await status.getAttribute("data-state"))!;
}

/** Hands a file to the page's file input and waits until the page has read what it shows first. */
async function openFile(page: Page, file: string): Promise<Shown> {
  await page.evaluate(() => document.getElementById("status")!.removeAttribute("data-state"));
  await page.setInputFiles("#file", file);
  expect(await settled(page)).toBe("done");
  return shown(page);
}

/** Clicks a section's name and waits for its fields and annotated hex. */
async function showSection(page: Page, index: number): Promise<{ note: string; tree: number; hex: string }> {
  await page.evaluate(() => document.getElementById("status")!.removeAttribute("data-state"));
  await page.locator(`#section-table tbody tr[data-index="${index}"] td[data-col="name"] button`).click();
  await settled(page);
  return page.evaluate(() => ({
    note: document.getElementById("detail-note")!.textContent!,
    tree: document.querySelectorAll("#field-tree button").length,
    hex: document.getElementById("hex")!.textContent!,
  }));
}

let dir: string;
let browser: Chromium | undefined;
let page: Page;
const problems: string[] = [];

beforeAll(async () => {
  expect(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install -y chromium`).toBe(true);
  expect(existsSync(BIN), "build first: npm run build").toBe(true);
  dir = mkdtempSync(join(tmpdir(), "xenimage-inspector-"));
  const demo = cli(["demo", "--out", dir]);
  expect(demo.code, demo.stderr).toBe(0);
  browser = await launchChromium({ width: 1280, height: 900 });
  page = await browser.context.newPage();
  watchProblems(page, problems);
}, 180_000);

afterAll(async () => {
  await browser?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("the image inspector in a browser", () => {
  it("is linked from the site's navigation and opens from disk with its script, fetching nothing", async () => {
    await page.goto(pathToFileURL(resolve("docs/site/index.html")).href);
    await page.locator("nav.sidebar a", { hasText: /^Image inspector$/ }).click();
    await page.waitForURL(/\/inspect\.html$/);
    expect(await page.locator("h1").textContent()).toBe("Image inspector");
    expect(await page.locator('nav.sidebar a[aria-current="page"]').textContent()).toBe("Image inspector");
    // The file input has a label, and the status line is announced.
    expect(await page.locator('label[for="file"]').textContent()).toBe("Image file");
    expect(await page.locator("#status").getAttribute("role")).toBe("status");
    expect(await page.evaluate(() => typeof (window as unknown as { xenimageInspector?: unknown }).xenimageInspector)).toBe("object");
    expect(problems).toEqual([]);
  });

  it.each(DEMO_FILES)("%s: the header, every section with its status and the rule, as inspect --json reports them", async (name) => {
    const file = join(dir, name);
    const { code, report } = inspectJson(file);
    expect(code).toBe(0);
    await page.goto(PAGE);
    const seen = await openFile(page, file);
    expect(seen.header).toEqual(expectedHeader(report));
    expect(seen.rows).toEqual(report.sections.map((s) => expectedRow(s)));
    expect(seen.rows.every((r) => r.status === "ok")).toBe(true);
    expect(seen.rule).toBe(`Image-type rule: ${report.rule}`);
    expect(seen.rowErrors).toEqual([]);
    expect(seen.problems).toEqual([]);
    // A small image is checked whole as it opens: every byte read once, about.
    expect(seen.bytesRead).toBeGreaterThanOrEqual(statSync(file).size);
    expect(seen.bytesShown).toBe(String(seen.bytesRead));

    // A section's fields as a tree and its annotated hex, its CRC checked: the largest after the pages.
    const chosen = report.sections.filter((s) => s.name !== "page_data").sort((a, b) => Number(BigInt(b.size) - BigInt(a.size)))[0]!;
    const detail = await showSection(page, chosen.index);
    expect(detail.note).toContain(`section #${chosen.index}: ${chosen.name}`);
    expect(detail.note).toContain("CRC32C checks out");
    expect(detail.tree).toBeGreaterThan(3);
    expect(detail.hex.split("\n")[0]).toMatch(new RegExp(`^${BigInt(chosen.offset).toString(16).padStart(8, "0")}  [0-9a-f]{2} `));
    // A field of the tree: its bytes in full under its annotation.
    await page.locator("#field-tree button").nth(1).click();
    expect(await page.locator("#hex-heading").textContent()).toMatch(new RegExp(`^Annotated hex of ${chosen.name}[.[]`));
    // The header's annotated hex: its fields from offset 0, the CRC marked as checked.
    await page.evaluate(() => document.getElementById("status")!.removeAttribute("data-state"));
    await page.getByRole("button", { name: "Show the header's annotated hex" }).click();
    expect(await settled(page)).toBe("done");
    const headerHex = (await page.locator("#hex").textContent())!;
    expect(headerHex.split("\n")[0]).toMatch(/^00000000  [0-9a-f]{2} .* header\./);
    expect(headerHex).toContain("header.header_crc");
    expect(headerHex).toContain("checks out");
    expect(problems).toEqual([]);
  });

  it("a streamed image: scanned section by section, as inspect --json reports it", async () => {
    const streamed = join(dir, "pv-x86_64-save.stream");
    const conv = cli(["convert", join(dir, "pv-x86_64-save.img"), streamed, "--to", "streamed"]);
    expect(conv.code, conv.stderr).toBe(0);
    const { code, report } = inspectJson(streamed);
    expect(code).toBe(0);
    await page.goto(PAGE);
    const seen = await openFile(page, streamed);
    expect(seen.status).toContain("streamed layout");
    expect(seen.header).toEqual(expectedHeader(report));
    expect(seen.header.sectionTableOffset).toBe("18446744073709551615");
    expect(seen.rows).toEqual(report.sections.map((s) => expectedRow(s)));
    expect(seen.rule).toBe(`Image-type rule: ${report.rule}`);
    // From the keyboard: a section's name is a button; Enter shows it (annotating a streamed section
    // walks the entries before it).
    await page.evaluate(() => document.getElementById("status")!.removeAttribute("data-state"));
    await page.locator('#section-table tbody tr[data-index="1"] td[data-col="name"] button').focus();
    await page.keyboard.press("Enter");
    expect(await settled(page)).toBe("done");
    expect(await page.locator("#detail-heading").textContent()).toBe(`Section #1: ${report.sections[1]!.name}`);
    expect(await page.locator("#detail-note").textContent()).toContain("CRC32C checks out");
    expect(problems).toEqual([]);
  });

  it("a corrupted image: the bad section shows its error (code, offset, message), and the others stay usable", async () => {
    const good = join(dir, "pv-x86_64-save.img");
    const { report: clean } = inspectJson(good);
    const victim = clean.sections.find((s) => s.name === "vcpu_context")!;
    const bytes = readFileSync(good);
    bytes[Number(victim.offset) + 20]! ^= 0x40;
    const bad = join(dir, "corrupt.img");
    writeFileSync(bad, bytes);
    const { code, report } = inspectJson(bad);
    expect(code).toBe(1);
    const problem = report.problems!.find((p) => p.section === `vcpu_context #${victim.index}`)!;
    expect(problem.code).toBe("crc");

    await page.goto(PAGE);
    const seen = await openFile(page, bad);
    expect(seen.header).toEqual(expectedHeader(report));
    expect(seen.rows).toEqual(report.sections.map((s) => expectedRow(s)));
    expect(seen.rows[victim.index]!.status).toBe("CRC mismatch");
    expect(seen.rows.filter((r) => r.status !== "ok").map((r) => r.index)).toEqual([String(victim.index)]);
    expect(seen.rowErrors).toEqual([{ index: String(victim.index), codes: ["crc"], text: [`crc (vcpu_context #${victim.index}, offset 0x${problem.offset!.toString(16)}): ${problem.message}`] }]);
    expect(await page.locator(`#section-table tr[data-index="${victim.index}"]`).getAttribute("class")).toBe("bad");

    // The bad section still shows its fields, its CRC marked; another section shows as before.
    const detail = await showSection(page, victim.index);
    expect(detail.note).toContain("CRC32C MISMATCH");
    const other = clean.sections.find((s) => s.name === "shared_info")!;
    expect((await showSection(page, other.index)).note).toContain("CRC32C checks out");
    expect(problems).toEqual([]);
  });

  it("a truncated image: what could be read, then the error, as inspect --json prints them", async () => {
    const bytes = readFileSync(join(dir, "arm64-save.img"));
    const truncated = join(dir, "truncated.img");
    writeFileSync(truncated, bytes.subarray(0, bytes.length - 100));
    const { code, report } = inspectJson(truncated);
    expect(code).not.toBe(0);
    await page.goto(PAGE);
    const seen = await openFile(page, truncated);
    expect(seen.header).toEqual(expectedHeader(report));
    expect(seen.rows).toEqual(report.sections.map((s) => expectedRow(s)));
    expect(seen.problems).toHaveLength(1);
    expect(seen.problems[0]).toMatch(/^truncated/);
    expect(report.error).toContain(seen.problems[0]!.replace(/^truncated \([^)]*\): /, ""));
    expect(problems).toEqual([]);
  });

  it("a Xen xl save file: its records, as inspect --json lists them", async () => {
    const xl = join(dir, "pv-x86_64.xl");
    const conv = cli(["convert", join(dir, "pv-x86_64-save.img"), xl, "--to", "xen-xl"]);
    expect(conv.code, conv.stderr).toBe(0);
    const r = cli(["inspect", "--json", xl]);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as { description: string; records: { index: number; layer: string; type: number; name: string; offset: number; length: number }[] };
    await page.goto(PAGE);
    await openFile(page, xl);
    expect(await page.locator("#summary").textContent()).toContain(report.description);
    const rows = await page.locator("#xen-table tbody tr").evaluateAll((trs) => trs.map((tr) => Array.from(tr.querySelectorAll("td"), (td) => td.textContent)));
    expect(rows).toEqual(report.records.map((rec) => [String(rec.index), rec.layer, `0x${rec.type.toString(16)}`, rec.name, `0x${rec.offset.toString(16)}`, String(rec.length)]));
    expect(await page.locator("#section-table").isVisible()).toBe(false);
    expect(problems).toEqual([]);
  });

  it("an image too large to check as it opens: every section checked on request, as inspect --json judges them", async () => {
    const medium = join(dir, "sparse-96m.img");
    await writeSparseGuestImage(medium, 96 * 1024 * 1024);
    const { code, report } = inspectJson(medium);
    expect(code).toBe(0);
    await page.goto(PAGE);
    const seen = await openFile(page, medium);
    expect(seen.rows).toEqual(report.sections.map((s) => expectedRow(s, "not checked")));
    expect(seen.rule).toBeUndefined();
    // The progress bar shows while the bodies are read, and goes when they are.
    await page.evaluate(() => {
      document.getElementById("status")!.removeAttribute("data-state");
      const bar = document.getElementById("progress")!;
      new MutationObserver(() => {
        if (!bar.hidden) bar.dataset.seen = "yes";
      }).observe(bar, { attributeFilter: ["hidden"] });
    });
    await page.getByRole("button", { name: "Check every section" }).click();
    expect(await settled(page)).toBe("done");
    expect(await page.locator("#progress").getAttribute("data-seen")).toBe("yes");
    expect(await page.locator("#progress").isVisible()).toBe(false);
    const checked = await shown(page);
    expect(checked.rows).toEqual(report.sections.map((s) => expectedRow(s)));
    expect(checked.rule).toBe(`Image-type rule: ${report.rule}`);
    expect(checked.bytesRead).toBeGreaterThan(statSync(medium).size - 1024 * 1024);
    expect(await page.locator("#check-all").isVisible()).toBe(false);
    expect(problems).toEqual([]);
  });

  it("a 2 GiB sparse image opens reading under 1 MiB (header and table), and checks a section on request", async () => {
    const sparse = join(dir, "sparse-2g.img");
    await writeSparseGuestImage(sparse, 2 * GIB);
    expect(statSync(sparse).size).toBeGreaterThan(2 * GIB);
    // --skip-pages: the header and table are what is compared; the page has read no body yet.
    const { code, report } = inspectJson(sparse, "--skip-pages");
    expect(code).toBe(0);
    await page.goto(PAGE);
    // setInputFiles hands Chromium the path (a local browser): the page reads it through Blob.slice.
    const seen = await openFile(page, sparse);
    expect(seen.bytesRead).toBeLessThan(1024 * 1024);
    expect(seen.bytesRead).toBeGreaterThan(Number(report.header.sectionCount) * Number(report.header.sectionEntrySize));
    expect(seen.header).toEqual(expectedHeader(report));
    expect(seen.rows).toEqual(report.sections.map((s) => expectedRow(s, "not checked")));
    expect(await page.locator("#check-all").isVisible()).toBe(true);

    // One section checked on request: the verdict inspect gives, and only that body read.
    const cpuid = report.sections.find((s) => s.name === "cpuid")!;
    const before = seen.bytesRead;
    await page.evaluate(() => document.getElementById("status")!.removeAttribute("data-state"));
    await page.getByRole("button", { name: `Check section ${cpuid.index}`, exact: true }).click();
    expect(await settled(page)).toBe("done");
    const after = await shown(page);
    expect(after.rows[cpuid.index]).toEqual(expectedRow(cpuid));
    expect(after.bytesRead - before).toBe(Number(cpuid.size));
    expect(problems).toEqual([]);
  }, 120_000);
});
