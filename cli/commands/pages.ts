import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { PAGE_DATA_PAGES_COUNTED, PageTypeNames } from "../../generated/index.js";
import { EXIT, UsageError } from "../errors.js";
import { removeStaleTemporariesIn, syncDirectory, writeFileAtomic } from "../../runtime/node/index.js";
import { displayName, onePositional, type Io } from "../io.js";
import { loadImage } from "../load-image.js";
import { progress } from "../progress.js";
import { routeInput, xenInputImage } from "../xen-input.js";

function parsePfn(text: string): number {
  const n = /^0x[0-9a-f]+$/i.test(text) ? parseInt(text, 16) : /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(n)) throw new UsageError(`--pfn takes a number (decimal or 0x-hex), not "${text}"`);
  return n;
}

/** `xenimage pages FILE [--pfn N…] [-o DIR] [--json]`: list the guest's pages, or extract them. */
export async function pages(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: { pfn: { type: "string", multiple: true }, output: { type: "string", short: "o" }, json: { type: "boolean" } },
    allowPositionals: true,
  });
  const file = onePositional(positionals, "pages");
  const wanted = values.pfn === undefined ? undefined : new Set(values.pfn.map(parsePfn));
  const routed = await routeInput(file, io); // Xen's formats: the pages of the image they import to
  const image = "xen" in routed ? xenInputImage(routed.xen) : await loadImage(file, routed.io);
  const rows: { pfn: number; type: string; section: number; data?: Uint8Array }[] = [];
  image.sections.forEach((s, index) => {
    if (s.type !== "page_data") return;
    let next = 0;
    for (const word of s.body.pfns) {
      const data = PAGE_DATA_PAGES_COUNTED.has(word.type) ? s.body.pages[next++] : undefined;
      if (wanted !== undefined && !wanted.has(word.pfn)) continue;
      rows.push({ pfn: word.pfn, type: PageTypeNames.get(word.type) ?? `type ${word.type}`, section: index, ...(data ? { data } : {}) });
    }
  });
  const missing = wanted === undefined ? [] : [...wanted].filter((p) => !rows.some((r) => r.pfn === p));
  if (values.output !== undefined) {
    await mkdir(values.output, { recursive: true });
    // One look for temporaries left by a killed run, not one per page (a directory listing each).
    await removeStaleTemporariesIn(values.output);
    const bar = progress(io.interactive, "extracting", rows.length);
    let done = 0;
    for (const row of rows) {
      const path = join(values.output, `pfn-${row.pfn.toString(16).padStart(8, "0")}.page`);
      if (row.data !== undefined) await writeFileAtomic(path, row.data, { removeStale: false, syncDirectory: false });
      bar.update(++done);
    }
    await syncDirectory(values.output);
    bar.stop();
  }
  if (values.json) {
    io.out(JSON.stringify(rows.map(({ pfn, type, section, data }) => ({ pfn, type, section, hasData: data !== undefined })), null, 2));
  } else {
    for (const r of rows) io.out(`0x${r.pfn.toString(16).padStart(8, "0")}  ${r.type.padEnd(16)} section #${r.section}${r.data ? "" : "  (no contents)"}`);
  }
  for (const p of missing) io.err(`xenimage: ${displayName(file)}: no page with pfn 0x${p.toString(16)}`);
  return missing.length === 0 ? EXIT.ok : EXIT.invalid;
}
