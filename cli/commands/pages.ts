import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { checkedArgs } from "../args.js";
import { PAGE_DATA_PAGES_COUNTED, PageTypeNames, type ImageSection } from "../../generated/index.js";
import { readFrameList } from "../../image/page-index.js";
import { removeStaleTemporariesIn, syncDirectory, writeFileAtomic } from "../../runtime/node/index.js";
import { EXIT, UsageError } from "../errors.js";
import { displayName, onePositional, type Io } from "../io.js";
import { JsonArrayText } from "../json-array.js";
import { withInput, type OpenedInput } from "../open-input.js";
import { outputSink } from "../output-target.js";
import { progress } from "../progress.js";
import { TextOutput } from "../text-output.js";
import { routeInput, xenInputImage } from "../xen-input.js";

function parsePfn(text: string): number {
  const n = /^0x[0-9a-f]+$/i.test(text) ? parseInt(text, 16) : /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(n)) throw new UsageError(`--pfn takes a number (decimal or 0x-hex), not "${text}"`);
  return n;
}

/** The page-frame words of one page_data section, and its pages on demand. */
interface PageBatch {
  readonly section: number;
  readonly pfns: ArrayLike<number>;
  readonly types: ArrayLike<number>;
  /** The contents of word `i`'s page (its type carries data). */
  page(i: number): Promise<Uint8Array>;
}

/**
 * The page_data sections of an input, one at a time. A seekable image yields each section's frame
 * list (8 bytes a page) and reads the body, CRC checked, only when a page of it is asked for; a stream
 * yields its sections as they arrive.
 */
async function* pageBatches(input: OpenedInput): AsyncGenerator<PageBatch> {
  if (input.kind === "seekable") {
    const { image } = input;
    for (const section of image.indicesOf("page_data")) {
      const list = await readFrameList(image, section);
      let body: Promise<Uint8Array> | undefined;
      yield {
        section,
        pfns: list.pfns,
        types: list.types,
        page: async (i) => {
          body ??= image.body(section);
          const at = list.offsets[i]!;
          return (await body).subarray(at, at + 4096);
        },
      };
    }
    return;
  }
  yield* sectionBatches(input.stream.sections());
}

/** The page_data sections among decoded sections, as they come (a stream's, or an imported image's). */
async function* sectionBatches(sections: AsyncIterable<ImageSection> | Iterable<ImageSection>): AsyncGenerator<PageBatch> {
  let index = 0;
  for await (const s of sections) {
    const section = index++;
    if (s.type !== "page_data") continue;
    const words = s.body.pfns;
    const pageOf = new Int32Array(words.length);
    let next = 0;
    for (let i = 0; i < words.length; i++) pageOf[i] = PAGE_DATA_PAGES_COUNTED.has(words[i]!.type) ? next++ : -1;
    yield { section, pfns: words.map((w) => w.pfn), types: words.map((w) => w.type), page: async (i) => s.body.pages[pageOf[i]!]! };
  }
}

/**
 * `xenimage pages FILE [--pfn N…] [-o DIR] [--json]`: list the guest's pages, or extract them. Reads
 * one page_data section's frame list at a time and writes the listing as it goes, so memory does not
 * grow with the image.
 */
export async function pages(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs(checkedArgs("pages", {
    args,
    options: { pfn: { type: "string", multiple: true }, output: { type: "string", short: "o" }, json: { type: "boolean" } },
    allowPositionals: true,
  }));
  const file = onePositional(positionals, "pages");
  const wanted = values.pfn === undefined ? undefined : new Set(values.pfn.map(parsePfn));
  const found = new Set<number>();
  const dir = values.output;
  const json = values.json ? JsonArrayText.topLevel() : undefined;
  const list = async (batches: AsyncIterable<PageBatch>, sectionCount: number) => {
    if (dir !== undefined) {
      await mkdir(dir, { recursive: true });
      // One look for temporaries left by a killed run, not one per page (a directory listing each).
      await removeStaleTemporariesIn(dir);
    }
    const out = new TextOutput(await outputSink("-", io));
    const bar = progress(io.interactive && dir !== undefined, "extracting", sectionCount);
    try {
      if (json !== undefined) await out.write(json.opening);
      let sections = 0;
      for await (const batch of batches) {
        for (let i = 0; i < batch.pfns.length; i++) {
          const pfn = batch.pfns[i]!;
          if (wanted !== undefined) {
            if (!wanted.has(pfn)) continue;
            found.add(pfn);
          }
          const type = PageTypeNames.get(batch.types[i]!) ?? `type ${batch.types[i]}`;
          const hasData = PAGE_DATA_PAGES_COUNTED.has(batch.types[i]!);
          if (dir !== undefined && hasData) {
            await writeFileAtomic(join(dir, `pfn-${pfn.toString(16).padStart(8, "0")}.page`), await batch.page(i), { removeStale: false, syncDirectory: false });
          }
          if (json !== undefined) await out.write(json.element({ pfn, type, section: batch.section, hasData }));
          else await out.write(`0x${pfn.toString(16).padStart(8, "0")}  ${type.padEnd(16)} section #${batch.section}${hasData ? "" : "  (no contents)"}\n`);
        }
        bar.update(++sections);
      }
      if (json !== undefined) await out.write(json.end() + "\n");
      if (dir !== undefined) await syncDirectory(dir);
      await out.close();
    } catch (e) {
      await out.abort(e);
      throw e;
    } finally {
      bar.stop();
    }
  };
  const routed = await routeInput(file, io);
  if ("xen" in routed) {
    // Xen's formats: the pages of the image they import to (read whole, as the importers work in memory).
    const image = xenInputImage(routed.xen);
    await list(sectionBatches(image.sections), image.sections.filter((s) => s.type === "page_data").length);
  } else {
    await withInput(file, routed.io, (input) => list(pageBatches(input), input.kind === "seekable" ? input.image.indicesOf("page_data").length : 0));
  }
  const missing = wanted === undefined ? [] : [...wanted].filter((p) => !found.has(p));
  for (const p of missing) io.err(`xenimage: ${displayName(file)}: no page with pfn 0x${p.toString(16)}`);
  return missing.length === 0 ? EXIT.ok : EXIT.invalid;
}
