/**
 * The small, valid images the conformance suite starts from: the synthetic guests of `synthetic/`,
 * cut down to one page of memory in one page_data section so each file is a few KiB, in either byte
 * order. Deterministic: fixed seeds, no dates.
 */
import {
  Arch,
  ByteOrder,
  GuestType,
  ImageType,
  PAGE_DATA_PAGES_COUNTED,
  PageType,
  type ImageInit,
  type ImageSection,
  type PfnWord,
} from "../../generated/index.js";
import { syntheticCoreImage, syntheticGuest, type GuestKind } from "../../synthetic/guest.js";
import { deviceModelSections } from "../../synthetic/device-model.js";
import { SeededRandom } from "../../synthetic/random.js";

/** The seed of every image of the suite. */
const SEED = 19;

type PageDataSection = Extract<ImageSection, { type: "page_data" }>;

/** Keeps the first page_data section only, with its first `words` words and their pages. */
function onePageData(sections: readonly ImageSection[], words = 1): ImageSection[] {
  const first = sections.find((s): s is PageDataSection => s.type === "page_data")!;
  const pfns = first.body.pfns.slice(0, words);
  const withData = pfns.filter((w) => PAGE_DATA_PAGES_COUNTED.has(w.type)).length;
  const kept: PageDataSection = { type: "page_data", body: { pfns, pages: first.body.pages.slice(0, withData) } };
  let placed = false;
  return sections.flatMap((s): ImageSection[] => {
    if (s.type !== "page_data") return [s];
    if (placed) return [];
    placed = true;
    return [kept];
  });
}

/** The page-frame words of an image's page_data sections, in order. */
export function pageWords(sections: readonly ImageSection[]): PfnWord[] {
  return sections.flatMap((s) => (s.type === "page_data" ? s.body.pfns : []));
}

/** A core image's pfn_map for its (cut down) page_data: one entry per word. */
function withPfnMap(sections: ImageSection[], pv: boolean): ImageSection[] {
  const words = pageWords(sections);
  return sections.map((s) =>
    s.type === "pfn_map"
      ? ({ type: "pfn_map", body: pv ? words.map((w) => ({ pfn: BigInt(w.pfn), gmfn: 0x10_0000n + BigInt(w.pfn) })) : words.map((w) => ({ pfn: BigInt(w.pfn) })) } as ImageSection)
      : s,
  );
}

/** Memory each synthetic guest needs at least (the HVM guest's parameters name pages up to 8 below its top). */
function memoryOf(kind: GuestKind): number {
  return kind === "hvm-x86_64" ? 8 * 4096 : 4096;
}

/** Options shared by the bases. */
export interface BaseOptions {
  readonly bigEndian?: boolean;
  readonly vcpus?: number;
  readonly imageType?: number;
  /** Keep this many page-frame words of the first batch (default 1). */
  readonly words?: number;
}

function finish(init: ImageInit, options: BaseOptions): ImageInit {
  return { header: { ...init.header, byteOrder: options.bigEndian ? ByteOrder.big : ByteOrder.little, name: "conformance", domainId: 7 }, sections: init.sections };
}

/** A save or migration image of a synthetic guest, cut down to one page. */
export function guestImage(kind: GuestKind, options: BaseOptions = {}): ImageInit {
  const init = syntheticGuest(kind, { seed: SEED, vcpus: options.vcpus ?? 1, memoryBytes: memoryOf(kind), batchPages: 4 }, options.imageType ?? ImageType.save);
  return finish({ header: init.header, sections: onePageData(init.sections, options.words) }, options);
}

/** A core image of a synthetic guest, cut down to one page, its pfn_map to match. */
export function coreImage(kind: GuestKind, options: BaseOptions = {}): ImageInit {
  const init = syntheticCoreImage(kind, { seed: SEED, vcpus: options.vcpus ?? 1, memoryBytes: memoryOf(kind), batchPages: 4 });
  const sections = withPfnMap(onePageData(init.sections, options.words), init.header.guestType === GuestType.pv);
  return finish({ header: init.header, sections }, options);
}

/**
 * The smallest valid image the invalid cases start from: an ARM64 guest's save image with its
 * configuration, one allocate_only page-frame word (no page) and one vcpu, nothing optional.
 */
export function tinyImage(options: BaseOptions = {}): ImageInit {
  const init = guestImage("arm64", options);
  const sections = init.sections.flatMap((s): ImageSection[] => {
    if (s.type === "shared_info") return [];
    if (s.type === "page_data") return [{ type: "page_data", body: { pfns: [{ type: PageType.allocate_only, pfn: 0 }], pages: [] } }];
    return [s];
  });
  return { header: init.header, sections };
}

/** An ARM guest's save image with arch arm32 (the same layouts as arm64's). */
export function arm32Image(options: BaseOptions = {}): ImageInit {
  const init = guestImage("arm64", options);
  return { header: { ...init.header, arch: Arch.arm32 }, sections: init.sections };
}

/** The device model sections an HVM guest with QEMU carries. */
export function deviceModel(): ImageSection[] {
  return deviceModelSections(new SeededRandom(SEED), true);
}

/** A migration stream with one checkpoint: the first phase, the marker, then the page and vcpu sections again. */
export function withCheckpoint(init: ImageInit, repeated: readonly string[]): ImageInit {
  const again = init.sections.filter((s) => repeated.includes(s.type));
  return { header: { ...init.header, imageType: ImageType.migration }, sections: [...init.sections, { type: "checkpoint", body: null }, ...again] };
}
