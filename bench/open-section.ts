/**
 * Opening a seekable image file and reading one section, for a 64 MiB and a 2 GiB guest: the lazy
 * reader reads the header and the section table, then only the section asked for, so the two should
 * take the same time. The images are written to the OS temporary directory with the streaming file
 * writer and removed afterwards. Times are with the files in the page cache (written just before), the
 * usual case right after a save; a cold cache adds the disk's seek time to both alike.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { imageFormat, type ImageHeader, type KnownSection } from "../generated/index.js";
import { openImageFile } from "../runtime/node/index.js";
import type { CaseSpec, Impl } from "./harness.js";
import { writePvGuestImage } from "./image-files.js";

const MiB = 1024 * 1024;

/** One image to measure. */
export interface ImageSize {
  /** Its implementation id in the cases, e.g. `64MiB`. */
  readonly id: string;
  readonly label: string;
  readonly memoryBytes: number;
}

/** The sizes of a normal run; `--skip-2g` drops the second. */
export const IMAGE_SIZES: readonly ImageSize[] = [
  { id: "64MiB", label: "64 MiB guest", memoryBytes: 64 * MiB },
  { id: "2GiB", label: "2 GiB guest", memoryBytes: 2048 * MiB },
];

/** An image written for the cases. */
export interface WrittenImage {
  readonly id: string;
  readonly label: string;
  readonly path: string;
  readonly bytes: number;
  readonly sections: number;
  /** How long writing it took. */
  readonly ms: number;
}

/** The images on disk, and how to remove them. */
export interface WrittenImages {
  readonly images: WrittenImage[];
  cleanup(): Promise<void>;
}

async function openRead(path: string, pick: (sections: { indicesOf(name: string): number[] }) => number | undefined): Promise<unknown> {
  const image = await openImageFile<ImageHeader, KnownSection>(imageFormat, path);
  try {
    const index = pick(image);
    return index === undefined ? image.sectionCount : await image.section(index);
  } finally {
    await image.close();
  }
}

/** Writes one image per size into a new temporary directory (removed by `cleanup`, or on Ctrl-C). */
export async function writeImages(sizes: readonly ImageSize[], log: (line: string) => void): Promise<WrittenImages> {
  const dir = await mkdtemp(join(tmpdir(), "xenimage-bench-open-"));
  const remove = () => rm(dir, { recursive: true, force: true });
  const onSignal = () => {
    void remove().finally(() => process.exit(130));
  };
  process.once("SIGINT", onSignal);
  const cleanup = async () => {
    process.off("SIGINT", onSignal);
    await remove();
  };
  const images: WrittenImage[] = [];
  try {
    for (const size of sizes) {
      const path = join(dir, `${size.id}.img`);
      const start = performance.now();
      const bytes = await writePvGuestImage(path, size.memoryBytes);
      const ms = performance.now() - start;
      const image = await openImageFile<ImageHeader, KnownSection>(imageFormat, path);
      const sections = image.sectionCount;
      await image.close();
      images.push({ id: size.id, label: size.label, path, bytes, sections, ms });
      log(`  wrote ${size.label}: ${(bytes / MiB).toFixed(0)} MiB, ${sections} sections, in ${(ms / 1000).toFixed(1)} s`);
    }
  } catch (e) {
    await cleanup();
    throw e;
  }
  return { images, cleanup };
}

/** The case with this id over the images (the first image is the reference). */
export function openCase(id: string, images: readonly WrittenImage[]): CaseSpec {
  const impls = (pick: (s: { indicesOf(name: string): number[] }) => number | undefined): Impl[] =>
    images.map((image) => ({ id: image.id, label: image.label, run: () => openRead(image.path, pick) }));
  const reference = images[0]!.id;
  if (id === "open/header-and-table") {
    return { id, title: "Open a seekable image file (header + section table), close", reference, impls: impls(() => undefined) };
  }
  if (id === "open/vcpu_context") {
    return {
      id,
      title: "Open, find and read the vcpu_context section (4 vcpus, 20 KiB: read, CRC, decode), close",
      reference,
      impls: impls((s) => s.indicesOf("vcpu_context")[0]),
    };
  }
  if (id === "open/page_data") {
    return {
      id,
      title: "Open, find and read the middle page_data section (1024 pages, 4 MiB: read, CRC, decode), close",
      reference,
      impls: impls((s) => {
        const batches = s.indicesOf("page_data");
        return batches[batches.length >> 1];
      }),
    };
  }
  throw new Error(`no open case ${id}`);
}
