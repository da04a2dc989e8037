/**
 * `npm run bench:inspector`: how long the docs' image inspector (docs/site/inspect.html, opened from
 * disk in headless Chromium) takes to open a large seekable image, and how many bytes it reads doing
 * so. The images are sparse (test/cli/sparse-image.ts: all-zero pages left as holes), of 1, 2 and
 * 4 GiB of guest memory; each is handed to the page's file input as a user would pick it, and the time
 * runs from that call until the page's status line says it is done (header and table shown). Median
 * of several runs per image, printed as Markdown. A benchmark, not a test: nothing is asserted.
 */
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { launchChromium } from "../test/chromium.js";
import { writeSparseGuestImage } from "../test/cli/sparse-image.js";

const GIB = 1024 * 1024 * 1024;
const SIZES = [1, 2, 4];
const RUNS = 7;

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

const dir = mkdtempSync(join(tmpdir(), "xenimage-bench-inspector-"));
const browser = await launchChromium();
try {
  const page = await browser.context.newPage();
  await page.goto(pathToFileURL(resolve("docs/site/inspect.html")).href);
  const rows: string[] = [];
  for (const gib of SIZES) {
    const file = join(dir, `sparse-${gib}g.img`);
    await writeSparseGuestImage(file, gib * GIB);
    const times: number[] = [];
    let bytesRead = 0;
    for (let run = 0; run < RUNS; run++) {
      // Cleared first: picking the file the input already holds changes nothing, so the page would not reopen it.
      await page.setInputFiles("#file", []);
      await page.evaluate(() => document.getElementById("status")!.removeAttribute("data-state"));
      const start = performance.now();
      await page.setInputFiles("#file", file);
      await page.waitForSelector('#status[data-state="done"]', { timeout: 120_000 });
      times.push(performance.now() - start);
      bytesRead = await page.evaluate(() => (window as unknown as { xenimageInspector: { bytesRead(): number } }).xenimageInspector.bytesRead());
    }
    const sections = await page.locator("#section-table tbody tr").count();
    rows.push(`| ${gib} GiB (${statSync(file).size} bytes) | ${sections} | ${median(times).toFixed(0)} ms | ${Math.min(...times).toFixed(0)}–${Math.max(...times).toFixed(0)} ms | ${bytesRead} |`);
    rmSync(file);
    process.stderr.write(`${gib} GiB done\n`);
  }
  console.log(["| image | table entries | open (median) | min–max | bytes read |", "| --- | ---: | ---: | ---: | ---: |", ...rows].join("\n"));
  console.log(`\n${RUNS} runs each; wall time from handing the file to the page's input until its status line says done.`);
} finally {
  await browser.close();
  rmSync(dir, { recursive: true, force: true });
}
