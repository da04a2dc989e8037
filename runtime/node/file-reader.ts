/**
 * Node only. Opens a seekable image file for lazy random access: positional reads through a
 * `FileHandle`, so opening costs the header and the table, and each section costs its own bytes.
 */
import { open } from "node:fs/promises";
import type { ContainerFormat, ContainerHeader, KnownSectionBase } from "../container.js";
import { openImage, type ImageReader, type ImageReaderOptions, type RandomAccessSource } from "../image-reader.js";

/** The part of a Node `FileHandle` the reader uses (a test can wrap one to count the bytes read). */
export interface FileHandleLike {
  read(buffer: Uint8Array, offset: number, length: number, position: number): Promise<{ bytesRead: number }>;
  stat(): Promise<{ size: number | bigint }>;
  close(): Promise<void>;
}

/** A {@link RandomAccessSource} over a file handle; closing the source closes the handle. */
export function fileSource(handle: FileHandleLike): RandomAccessSource {
  return {
    read: (buffer, offset, length, position) => handle.read(buffer, offset, length, position),
    size: async () => Number((await handle.stat()).size),
    close: () => handle.close(),
  };
}

/**
 * Opens a seekable image file (a path, or a handle the reader then owns) and reads its header and
 * section table; sections are read when asked for. Close the reader when done.
 *
 * ```ts
 * const image = await openImageFile<ImageHeader, KnownSection>(imageFormat, "guest.img");
 * const vcpus = await image.section(image.indicesOf("vcpu_context")[0]!);
 * await image.close();
 * ```
 */
export async function openImageFile<H extends ContainerHeader, S extends KnownSectionBase = KnownSectionBase>(
  format: ContainerFormat<H>,
  file: string | FileHandleLike,
  options: ImageReaderOptions = {},
): Promise<ImageReader<H, S>> {
  const handle = typeof file === "string" ? await open(file, "r") : file;
  try {
    return await openImage<H, S>(format, fileSource(handle), options);
  } catch (e) {
    await handle.close().catch(() => undefined);
    throw e;
  }
}
