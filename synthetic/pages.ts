import { PAGE_DATA_PAGES_COUNTED, PageType, type ImageSection, type PfnWord } from "../generated/index.js";
import type { SeededRandom } from "./random.js";

const PAGE = 4096;

/**
 * The page_data sections for `pages` pfns in batches (Xen batches at most 1024 pfns), with the type
 * `typeOf(pfn)` gives; pages with contents are filled from the PRNG.
 */
export function pageBatches(rng: SeededRandom, pages: number, batch: number, typeOf: (pfn: number) => number): ImageSection[] {
  const out: ImageSection[] = [];
  for (let first = 0; first < pages; first += batch) {
    const pfns: PfnWord[] = [];
    const data: Uint8Array[] = [];
    for (let pfn = first; pfn < Math.min(pages, first + batch); pfn++) {
      const type = typeOf(pfn);
      pfns.push({ type, pfn });
      if (!PAGE_DATA_PAGES_COUNTED.has(type)) continue;
      const page = new Uint8Array(PAGE);
      rng.fill(page);
      data.push(page);
    }
    out.push({ type: "page_data", body: { pfns, pages: data } });
  }
  return out;
}

/** Page types of a small PV address space: one pinned L4, a few L3/L2, enough L1 tables. */
export function pvPageType(pfn: number, pages: number, levels: 3 | 4): number {
  if (pfn === 1) return levels === 4 ? PageType.l4_table_pinned : PageType.l3_table_pinned;
  if (pfn >= 2 && pfn < 4) return levels === 4 ? PageType.l3_table : PageType.l2_table;
  if (pfn >= 4 && pfn < 8) return PageType.l2_table;
  if (pfn >= 8 && pfn < 8 + Math.ceil(pages / 512)) return PageType.l1_table;
  if (pfn === pages - 1) return PageType.allocate_only;
  return PageType.normal;
}

/** Page types of an HVM guest: ordinary pages, with the VGA hole (0xa0-0xbf) not backed. */
export function hvmPageType(pfn: number): number {
  return pfn >= 0xa0 && pfn < 0xc0 ? PageType.invalid : PageType.normal;
}
