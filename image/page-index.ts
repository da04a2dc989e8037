/**
 * Guest pages by frame number in a seekable image, without reading other pages. This is the one part
 * of the streams-and-files work that knows a particular section: page_data's layout (a u32 count, a
 * reserved u32, one pfn word per page, zeros to 4096, then one 4096-byte page per word whose type
 * carries data), as schema/guest.yaml declares it. The generic reader (`runtime/image-reader.ts`)
 * supplies positional reads; this reads each batch's frame list once (8 bytes per page) and then only
 * the pages asked for.
 */
import { PAGE_DATA_PAGES_COUNTED, unpackPfnWordAt, type ImageHeader } from "../generated/index.js";
import { ByteReader, DecodeError, type ImageReader, type KnownSectionBase } from "../runtime/index.js";

/** The size of one page in a page_data body (`bytes: 4096` in the schema). */
const PAGE_SIZE = 4096;
/**
 * The page types whose pages are in the body: the schema's `count_of: pfns, where: type in [...]`,
 * as the generator emits it.
 */
export const PAGE_TYPES_WITH_DATA: ReadonlySet<number> = PAGE_DATA_PAGES_COUNTED;

/** Where the latest copy of a page is. */
export interface PageLocation {
  readonly pfn: number;
  readonly type: number;
  /** The page_data section holding it. */
  readonly section: number;
  /** Where its contents start in that section's body; undefined for a type without contents. */
  readonly bodyOffset: number | undefined;
}

/** One page_data section's frame list, compactly: word `i` is page `pfns[i]` of type `types[i]`. */
export interface FrameList {
  /** The page_data section's index in the table. */
  readonly section: number;
  readonly pfns: Float64Array;
  readonly types: Uint8Array;
  /** The body offset of each word's page, or -1 when its type has no contents. */
  readonly offsets: Float64Array;
  readonly min: number;
  readonly max: number;
}

/**
 * An index of the pages of a seekable image. Building it reads every page_data section's frame list
 * (about 0.2 % of the page bytes) and no page; {@link page} then reads exactly one page. When a pfn is
 * in several batches (an iterative migration resends dirty pages), the last copy wins, as on restore.
 */
export class PageIndex {
  private constructor(
    private readonly image: ImageReader<ImageHeader, KnownSectionBase>,
    private readonly batches: readonly FrameList[],
  ) {}

  /** Reads the frame list of every page_data section of `image`. */
  static async build(image: ImageReader<ImageHeader, any>): Promise<PageIndex> {
    const batches: FrameList[] = [];
    for (const section of image.indicesOf("page_data")) batches.push(await readFrameList(image, section));
    return new PageIndex(image, batches);
  }

  /** The number of page-frame words in the image (a pfn sent twice counts twice). */
  get words(): number {
    return this.batches.reduce((n, b) => n + b.pfns.length, 0);
  }

  /** Where the latest copy of `pfn` is, or undefined when the image does not have it. */
  locate(pfn: number): PageLocation | undefined {
    for (let b = this.batches.length - 1; b >= 0; b--) {
      const batch = this.batches[b]!;
      if (pfn < batch.min || pfn > batch.max) continue;
      for (let i = batch.pfns.length - 1; i >= 0; i--) {
        if (batch.pfns[i] !== pfn) continue;
        const offset = batch.offsets[i]!;
        return { pfn, type: batch.types[i]!, section: batch.section, bodyOffset: offset < 0 ? undefined : offset };
      }
    }
    return undefined;
  }

  /**
   * The contents of page `pfn` (4096 bytes, read on demand), or undefined when the image does not have
   * it or its type carries no contents. The section's CRC is not checked: that needs the whole section.
   */
  async page(pfn: number): Promise<Uint8Array | undefined> {
    const where = this.locate(pfn);
    if (where?.bodyOffset === undefined) return undefined;
    return this.image.readRange(where.section, where.bodyOffset, PAGE_SIZE);
  }
}

/**
 * Reads the frame list of page_data section `section` (its first 8 + 8 × count bytes) and checks that
 * it accounts for the whole body; no page is read. A listing of the pages of an image of any size
 * reads these one section at a time; {@link PageIndex} keeps them all.
 */
export async function readFrameList(image: ImageReader<ImageHeader, any>, section: number): Promise<FrameList> {
  const entry = image.entry(section);
  const label = image.label(section);
  const base = Number(entry.offset);
  const fail = (reason: string, at: number): never => {
    throw new DecodeError("invalid", reason, { section: label, offset: base + at });
  };
  if (entry.size < 8n) fail(`a ${entry.size}-byte body is too short for a page_data header`, 0);
  const head = new ByteReader(await image.readRange(section, 0, 8), { littleEndian: image.littleEndian, base });
  const count = head.u32();
  head.zeros(4);
  const listEnd = 8 + count * 8;
  if (BigInt(listEnd) > entry.size) fail(`${count} pfn words do not fit the ${entry.size}-byte body`, 0);
  if (count * 8 > image.maxSectionSize) fail(`${count} pfn words are more than the ${image.maxSectionSize} bytes this reader reads at once`, 0);
  const r = new ByteReader(await image.readRange(section, 8, count * 8), { littleEndian: image.littleEndian, base: base + 8 });
  const pfns = new Float64Array(count);
  const types = new Uint8Array(count);
  const offsets = new Float64Array(count);
  let next = Math.ceil(listEnd / PAGE_SIZE) * PAGE_SIZE;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < count; i++) {
    const word = unpackPfnWordAt(r, r.take(8));
    pfns[i] = word.pfn;
    types[i] = word.type;
    min = Math.min(min, word.pfn);
    max = Math.max(max, word.pfn);
    if (PAGE_TYPES_WITH_DATA.has(word.type)) {
      offsets[i] = next;
      next += PAGE_SIZE;
    } else {
      offsets[i] = -1;
    }
  }
  if (BigInt(next) !== entry.size) fail(`the frame list calls for a ${next}-byte body, the table says ${entry.size}`, 0);
  return { section, pfns, types, offsets, min, max };
}
