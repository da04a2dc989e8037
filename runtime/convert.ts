/**
 * Seekable → streamed conversion without decoding any body: each section's table entry and bytes are
 * copied (offsets become the sentinel), its CRC checked on the way. The reader has checked each entry's
 * CRC; the writer computes it anew, as the offset it covers differs between the layouts. The header's
 * format version is kept, so a version-1 image stays version 1 (without entry CRCs): a conversion
 * changes the layout, never the version. Works on any random-access source; the stream → seekable
 * direction needs a file and lives in `node/convert.ts`.
 */
import { STREAMED, type ContainerFormat, type ContainerHeader, type RawEntry, type TableEntry } from "./container.js";
import { DecodeError } from "./errors.js";
import type { ImageReader } from "./image-reader.js";
import { StreamEncoder, type StreamEncoderOptions } from "./stream-encoder.js";
import type { ByteTarget } from "./stream-io.js";

/** A table entry without its offset and entry CRC: what the other layout needs to place the same body. */
export function rawEntry(entry: TableEntry): RawEntry {
  const { offset: _offset, entryCrc: _entryCrc, ...rest } = entry;
  return rest;
}

/**
 * Fails unless a header's table entries are exactly the size this version writes: a converter rewrites
 * the table, and would drop bytes a later version appended to each entry.
 */
export function checkConvertible<H extends ContainerHeader>(format: ContainerFormat<H>, header: H): void {
  if (header.sectionEntrySize !== format.entry.size) {
    throw new DecodeError("unsupported", `table entries of ${header.sectionEntrySize} bytes (this version writes ${format.entry.size}): converting would lose their extra bytes`, { section: "header", path: "section_entry_size" });
  }
}

/**
 * Writes a seekable image as a stream: the same header (table offset = the sentinel, count 0), then
 * every section's entry and body as they are in the image, one section in memory at a time. Bodies are
 * not decoded; a body whose CRC does not match fails before anything of it is sent.
 */
export async function imageToStream<H extends ContainerHeader>(
  format: ContainerFormat<H>,
  image: ImageReader<H>,
  target: ByteTarget,
  options: StreamEncoderOptions = {},
): Promise<void> {
  checkConvertible(format, image.header);
  const encoder = new StreamEncoder<H>(format, image.encodedHeader({ sectionTableOffset: STREAMED, sectionCount: 0 }), target, options);
  try {
    for await (const section of image.rawSections()) await encoder.writeRaw(rawEntry(section.entry), section.body);
    await encoder.end();
  } catch (e) {
    await encoder.abort(e);
    throw e;
  }
}
