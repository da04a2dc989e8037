/**
 * A synthetic PV guest produced batch by batch, for streams and files of any size: page_data sections
 * are generated one at a time as the consumer pulls them, so a 2 GiB guest never exists in memory at
 * once. Every page's contents are a function of (seed, pfn), so a test can recompute any single page.
 *
 * The other sections (config, CPUID, vcpu contexts, …) come from `syntheticPvGuest` with the same seed,
 * run for a one-page guest so that it stays small; the sections that depend on the memory size (the
 * config, the p2m frame list, the unwritten-pages list, the shared info's max_pfn) are then made for
 * the whole guest, as `syntheticPvGuest` makes them.
 */
import { ImageType, PageType, type ImageHeader, type ImageSection, type PfnWord, type SharedInfoPageX8664 } from "../generated/index.js";
import type { HeaderInit } from "../runtime/index.js";
import { p2mFrameList, syntheticPvGuest, unwrittenPages } from "./guest.js";
import { SeededRandom } from "./random.js";

const PAGE = 4096;
/** The fast fill's pool: 1024 random pages, handed out as views. */
const POOL_PAGES = 1024;

/** How page contents are made. */
export type PageFill =
  /** Each page from a PRNG seeded by (seed, pfn): realistic, ~1 GB/s to produce. */
  | "random"
  /** Views of one 4 MiB random pool (page = pool[pfn mod 1024]): free to produce, for benchmarks. */
  | "fast";

/** What synthetic guest to stream. Every option has a default; the same options give the same stream. */
export interface SyntheticStreamOptions {
  /** The PRNG seed. Default 1. */
  readonly seed?: number;
  /** Number of vcpus. Default 2. */
  readonly vcpus?: number;
  /** Guest memory in bytes (a positive multiple of 4096). Default 4 MiB. */
  readonly memoryBytes?: number;
  /** Pages per page_data section (Xen batches at most 1024). Default 1024. */
  readonly batchPages?: number;
  /** The domain's name. Default "synthetic-pv". */
  readonly name?: string;
  /** The header's image type. Default migration. */
  readonly imageType?: number;
  /** How page contents are made. Default "random". */
  readonly fill?: PageFill;
  /**
   * Checkpointed phases after the first full pass (Remus/COLO): each is a `phaseMarker` section, then
   * the first batch again with new contents (its pages got dirty), then the vcpu contexts. Default 0.
   */
  readonly checkpoints?: number;
  /** The section that separates phases. Default "checkpoint". */
  readonly phaseMarker?: string;
}

/** A guest as a stream producer: the header, and the sections as an async generator. */
export interface SyntheticStream {
  readonly header: HeaderInit<ImageHeader>;
  /** The sections in order, page batches generated as they are pulled. Iterate once. */
  readonly sections: AsyncGenerator<ImageSection, void, undefined>;
  /** The number of sections the generator yields. */
  readonly sectionCount: number;
}

const pools = new Map<number, Uint8Array>();

function pool(seed: number): Uint8Array {
  let p = pools.get(seed);
  if (p === undefined) {
    p = new Uint8Array(POOL_PAGES * PAGE);
    new SeededRandom(seed ^ 0x5bd1e995).fill(p);
    pools.set(seed, p);
  }
  return p;
}

/**
 * The contents of page `pfn` of the synthetic guest with `seed` in phase `phase` (0 for the first
 * pass): the same bytes every time, so tests can check any page alone.
 */
export function syntheticPage(seed: number, pfn: number, fill: PageFill = "random", phase = 0): Uint8Array {
  if (fill === "fast") {
    const at = ((pfn + phase * 7) % POOL_PAGES) * PAGE;
    return pool(seed).subarray(at, at + PAGE);
  }
  const page = new Uint8Array(PAGE);
  // Mix seed, pfn and phase into one 32-bit PRNG seed (Knuth's multiplicative constant spreads pfns apart).
  new SeededRandom((Math.imul(seed, 0x9e3779b1) ^ Math.imul(pfn + 1, 0x85ebca6b) ^ Math.imul(phase, 0xc2b2ae35)) >>> 0).fill(page);
  return page;
}

/** Page types of a small PV address space: one pinned L4, a few L3/L2, enough L1s; the last page unbacked. */
export function syntheticPageType(pfn: number, pages: number): number {
  if (pfn === 1) return PageType.l4_table_pinned;
  if (pfn >= 2 && pfn < 4) return PageType.l3_table;
  if (pfn >= 4 && pfn < 8) return PageType.l2_table;
  if (pfn >= 8 && pfn < 8 + Math.ceil(pages / 512)) return PageType.l1_table;
  if (pfn === pages - 1) return PageType.allocate_only;
  return PageType.normal;
}

/** The page_data section of pages `first … first+count-1`. */
function batch(seed: number, first: number, count: number, pages: number, fill: PageFill, phase: number): ImageSection {
  const pfns: PfnWord[] = [];
  const data: Uint8Array[] = [];
  for (let pfn = first; pfn < first + count; pfn++) {
    const type = syntheticPageType(pfn, pages);
    pfns.push({ type, pfn });
    if (type !== PageType.allocate_only) data.push(syntheticPage(seed, pfn, fill, phase));
  }
  return { type: "page_data", body: { pfns, pages: data } };
}

/**
 * A synthetic PV guest as a header and a lazy section generator: the sections `syntheticPvGuest` puts
 * before its pages, the page batches, the sections it puts after them, then any checkpointed phases.
 */
export function syntheticGuestStream(options: SyntheticStreamOptions = {}): SyntheticStream {
  const seed = options.seed ?? 1;
  const memory = options.memoryBytes ?? 4 * 1024 * 1024;
  const batchPages = options.batchPages ?? 1024;
  const fill = options.fill ?? "random";
  const checkpoints = options.checkpoints ?? 0;
  const marker = options.phaseMarker ?? "checkpoint";
  if (memory % PAGE !== 0 || memory <= 0) throw new RangeError(`memoryBytes must be a positive multiple of ${PAGE}`);
  if (!Number.isInteger(batchPages) || batchPages < 1) throw new RangeError(`batchPages must be a positive integer`);
  const pages = memory / PAGE;
  // Everything but the pages, from the in-memory generator (a one-page guest, so it stays small).
  const small = syntheticPvGuest({ seed, vcpus: options.vcpus ?? 2, name: options.name ?? "synthetic-pv", memoryBytes: PAGE, batchPages: 1 });
  const firstPages = small.sections.findIndex((s) => s.type === "page_data");
  const before = small.sections.slice(0, firstPages < 0 ? small.sections.length : firstPages).map((s) => forWholeGuest(s, pages));
  const after = small.sections.filter((s, i) => s.type !== "page_data" && i > firstPages && firstPages >= 0).map((s) => forWholeGuest(s, pages));
  const vcpus = small.sections.filter((s) => s.type === "vcpu_context");
  const batches = Math.ceil(pages / batchPages);

  async function* sections(): AsyncGenerator<ImageSection, void, undefined> {
    yield* before;
    for (let first = 0; first < pages; first += batchPages) yield batch(seed, first, Math.min(batchPages, pages - first), pages, fill, 0);
    yield* after;
    for (let phase = 1; phase <= checkpoints; phase++) {
      yield { type: marker, body: null } as ImageSection;
      yield batch(seed, 0, Math.min(batchPages, pages), pages, fill, phase);
      yield* vcpus;
    }
  }

  return {
    header: { ...small.header, memorySize: BigInt(memory), imageType: options.imageType ?? ImageType.migration },
    sections: sections(),
    sectionCount: before.length + batches + after.length + checkpoints * (2 + vcpus.length),
  };
}

/**
 * A section of the one-page guest as the whole guest of `pages` pages has it: those that depend on the
 * memory size remade (syntheticPvGuest is a 64-bit guest), the others unchanged.
 */
function forWholeGuest(section: ImageSection, pages: number): ImageSection {
  switch (section.type) {
    case "guest_config":
      return withMemory(section, pages * PAGE);
    case "p2m_frame_list":
      return p2mFrameList(pages, true);
    case "unwritten_pages":
      return unwrittenPages(pages);
    case "shared_info": {
      // Its p2m bookkeeping names the last pfn; the rest (clocks, events) is the one-page guest's.
      const body = structuredClone(section.body) as SharedInfoPageX8664;
      body.sharedInfo.arch.maxPfn = BigInt(pages - 1);
      return { ...section, body };
    }
    default:
      return section;
  }
}

/** The guest config with the memory size of the whole guest, not of the one-page guest it came from. */
function withMemory(section: Extract<ImageSection, { type: "guest_config" }>, memory: number): ImageSection {
  try {
    const config = JSON.parse(section.body.config) as { b_info?: { max_memkb?: number } };
    if (config.b_info?.max_memkb === undefined) return section;
    config.b_info.max_memkb = memory / 1024;
    return { ...section, body: { config: JSON.stringify(config) } };
  } catch {
    return section;
  }
}
