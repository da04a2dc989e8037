/**
 * Seekable images of many GiB that cost a few MiB of disk and a fraction of a second to write: a PV
 * guest whose memory is all zero pages, written by the project's file writer with each page_data body
 * as its frame list followed by a zero run (`ImageWriter.writeRaw` leaves a hole there; the entry's
 * CRC comes from `crc32cZeros`). Everything but the page contents is what `syntheticGuest` makes, so
 * the image follows its image-type rule and every section decodes.
 */
import {
  ImageType,
  imageFormat,
  packPfnWordAt,
  PageType,
  pageDataSection,
  type ImageHeader,
  type KnownSection,
} from "../../generated/index.js";
import { ByteWriter, crc32c, crc32cZeros } from "../../runtime/index.js";
import { ImageWriter } from "../../runtime/node/index.js";
import { syntheticGuest } from "../../synthetic/guest.js";

const PAGE = 4096;
/** Xen's batch: 1024 pages (4 MiB) per page_data section. */
const BATCH = 1024;

/** A page_data body's frame list (count, reserved, one word per page, zeros to a page boundary). */
function frameList(firstPfn: number, count: number): Uint8Array {
  const w = new ByteWriter({ littleEndian: true, initialCapacity: 8 + 8 * count + PAGE });
  w.u32(count);
  w.zeros(4);
  for (let i = 0; i < count; i++) packPfnWordAt(w, w.reserve(8), { type: PageType.normal, pfn: firstPfn + i });
  w.alignTo(PAGE, 0);
  return w.finish();
}

/** Writes the sparse image of a PV guest with `memoryBytes` (a multiple of 4096) of zero pages to `path`. */
export async function writeSparseGuestImage(path: string, memoryBytes: number): Promise<void> {
  const pages = memoryBytes / PAGE;
  const template = syntheticGuest("pv-x86_64", { memoryBytes: 64 * PAGE, vcpus: 2, name: "sparse" }, ImageType.save);
  const writer = await ImageWriter.create<ImageHeader, KnownSection>(imageFormat, path, { ...template.header, memorySize: BigInt(memoryBytes) }, { sync: false });
  try {
    let pagesDone = false;
    for (const section of template.sections as KnownSection[]) {
      if (section.type === "page_data") {
        if (pagesDone) continue;
        pagesDone = true;
        for (let first = 0; first < pages; first += BATCH) {
          const count = Math.min(BATCH, pages - first);
          const list = frameList(first, count);
          const zeros = count * PAGE;
          const entry = { type: pageDataSection.id, flags: 0, size: BigInt(list.length + zeros), entryCount: 0n, entrySize: 0, align: pageDataSection.align, crc: crc32cZeros(zeros, crc32c(list)) };
          await writer.writeRaw(entry, [list, { zeros }]);
        }
      } else if (section.type === "p2m_frame_list") {
        const frames = BigUint64Array.from({ length: Math.ceil(pages / 512) }, (_, i) => BigInt(i));
        await writer.write({ type: "p2m_frame_list", body: { startPfn: 0n, endPfn: BigInt(pages - 1), frames } });
      } else if (section.type === "unwritten_pages") {
        await writer.write({ type: "unwritten_pages", body: { pfns: BigUint64Array.of(BigInt(pages - 1)) } });
      } else {
        await writer.write(section);
      }
    }
    await writer.finish();
  } catch (e) {
    await writer.abort();
    throw e;
  }
}
