/**
 * How a stream decoder checks section bodies: the CRC32C of a body that arrived in pieces. The default
 * computes it at once on the calling thread; an implementation may instead compute it elsewhere (a
 * worker thread: `workerChecksum` in `runtime/node`) and resolve later, and the decoder then reads the
 * next sections while it waits, so checksumming overlaps reading.
 */
import { crc32c } from "./crc32c.js";

/** Computes the CRC32C of section bodies, now or later. */
export interface BodyChecksum {
  /**
   * The CRC32C of the `size` bytes in `parts` (in order). A promise means the checksum works elsewhere
   * meanwhile; the parts must then stay unchanged until it settles (the decoder's parts are views of
   * chunks nobody writes to again).
   */
  checksum(parts: readonly Uint8Array[], size: number): number | Promise<number>;
}

/** The default: CRC32C on the calling thread, piece by piece, without joining anything. */
export const inlineChecksum: BodyChecksum = {
  checksum(parts) {
    let crc = 0;
    for (const part of parts) crc = crc32c(part, crc);
    return crc;
  },
};
