/**
 * Seekable image files of a synthetic 64-bit PV guest of any memory size, written with the streaming
 * file writer (`runtime/node/file-writer.ts`): sections are produced one at a time, so a 2 GiB image
 * never sits in memory. The sections and their order are those of `syntheticGuest("pv-x86_64")`, with
 * the page batches, the p2m frame list and the unwritten pfn generated for the full memory size; page
 * contents come from a small seeded pool, which is all a reader's timing can depend on.
 */
import { stat } from "node:fs/promises";
import { ImageType, imageFormat, PageType, type ImageSection, type KnownSection, type PfnWord } from "../generated/index.js";
import { writeImageFile } from "../runtime/node/index.js";
import { syntheticGuest } from "../synthetic/guest.js";
import { pvPageType } from "../synthetic/pages.js";
import { SeededRandom } from "../synthetic/random.js";

const PAGE = 4096;
/** Xen batches at most 1024 pages per page_data section (4 MiB). */
const BATCH = 1024;
const POOL_PAGES = 257;
/** The page types whose contents are in the body (schema/guest.yaml, page_data's `count_of … where`). */
const HAS_DATA: ReadonlySet<number> = new Set([
  PageType.normal,
  PageType.l1_table,
  PageType.l2_table,
  PageType.l3_table,
  PageType.l4_table,
  PageType.l1_table_pinned,
  PageType.l2_table_pinned,
  PageType.l3_table_pinned,
  PageType.l4_table_pinned,
]);

/** The sections of a PV guest with `memoryBytes` of memory, produced lazily. */
async function* pvGuestSections(memoryBytes: number, template: readonly ImageSection[]): AsyncGenerator<ImageSection> {
  const pages = memoryBytes / PAGE;
  const pool = new Uint8Array(POOL_PAGES * PAGE);
  new SeededRandom(7).fill(pool);
  let next = 0;
  let pagesDone = false;
  for (const section of template) {
    if (section.type === "page_data") {
      if (pagesDone) continue;
      pagesDone = true;
      for (let first = 0; first < pages; first += BATCH) {
        const pfns: PfnWord[] = [];
        const data: Uint8Array[] = [];
        for (let pfn = first; pfn < Math.min(pages, first + BATCH); pfn++) {
          const type = pvPageType(pfn, pages, 4);
          pfns.push({ type, pfn });
          if (!HAS_DATA.has(type)) continue;
          const at = (next++ % POOL_PAGES) * PAGE;
          data.push(pool.subarray(at, at + PAGE));
        }
        yield { type: "page_data", body: { pfns, pages: data } };
      }
    } else if (section.type === "p2m_frame_list") {
      const frames = BigUint64Array.from({ length: Math.ceil(pages / 512) }, (_, i) => BigInt(Math.max(0, pages - 2 - i)));
      yield { type: "p2m_frame_list", body: { startPfn: 0n, endPfn: BigInt(pages - 1), frames } } satisfies KnownSection;
    } else if (section.type === "unwritten_pages") {
      yield { type: "unwritten_pages", body: { pfns: BigUint64Array.of(BigInt(pages - 1)) } } satisfies KnownSection;
    } else {
      yield section;
    }
  }
}

/** Writes the image of a PV guest with `memoryBytes` of memory (and `vcpus` vcpus) to `path`; returns its size. */
export async function writePvGuestImage(path: string, memoryBytes: number, vcpus = 4): Promise<number> {
  // The template: a small guest of the same shape, whose page-related sections are regenerated above.
  const template = syntheticGuest("pv-x86_64", { memoryBytes: 64 * PAGE, vcpus, name: "bench" }, ImageType.save);
  await writeImageFile(imageFormat, path, { header: { ...template.header, memorySize: BigInt(memoryBytes) }, sections: pvGuestSections(memoryBytes, template.sections) }, { sync: false });
  return (await stat(path)).size;
}
