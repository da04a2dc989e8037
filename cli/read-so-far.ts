import { imageFormat, type ImageHeader } from "../generated/index.js";
import { crc32c, decodeHeader, decodeTable, DEFAULT_MAX_SECTION_SIZE, STREAMED, XenImageError, type RandomAccessSource, type TableEntry } from "../runtime/index.js";
import { sectionStatus } from "./section-checks.js";
import type { SectionReport } from "./inspect-report.js";

/** What could be read of an image that does not check out as a whole: the header if it does, and the table rows that could be read. */
export interface ReadSoFar {
  readonly header: ImageHeader;
  readonly sections: readonly SectionReport[];
}

/** Attaches what was read before an error to it, so `inspect` can show it before the error's message. */
export function withReadSoFar<E>(error: E, read: ReadSoFar): E {
  if (error !== null && typeof error === "object") Object.assign(error, { readSoFar: read });
  return error;
}

/** What was read before an error, if anything was. */
export function readSoFarOf(error: unknown): ReadSoFar | undefined {
  return (error as { readSoFar?: ReadSoFar } | null)?.readSoFar;
}

/**
 * Reads what it can of a seekable image that did not open (a truncated file, a damaged table):
 * the header if it checks out; the table if it is inside the file and checks out; and each section
 * whose body lies inside the file, judged as `inspect` judges it. Undefined when not even the header
 * reads. Bodies are read one at a time, none larger than the reader's section limit.
 */
export async function readWhatChecksOutOf(source: RandomAccessSource, rowOf: (entry: TableEntry, index: number, status: string) => SectionReport): Promise<ReadSoFar | undefined> {
  const size = await source.size();
  const read = async (offset: number, length: number) => {
    const buffer = new Uint8Array(length);
    const { bytesRead } = await source.read(buffer, 0, length, offset);
    return buffer.subarray(0, bytesRead);
  };
  let header: ImageHeader;
  let littleEndian: boolean;
  try {
    ({ header, littleEndian } = decodeHeader(imageFormat, await read(0, Math.min(size, 64 * 1024))));
  } catch (e) {
    if (e instanceof XenImageError) return undefined;
    throw e;
  }
  const tableStart = header.sectionTableOffset;
  const tableEnd = tableStart + BigInt(header.sectionCount) * BigInt(header.sectionEntrySize);
  if (tableStart === STREAMED || tableEnd > BigInt(size) || header.sectionEntrySize < imageFormat.entry.size) return { header, sections: [] };
  let entries: TableEntry[];
  try {
    entries = decodeTable(imageFormat, header, littleEndian, await read(Number(tableStart), Number(tableEnd - tableStart)));
  } catch (e) {
    if (e instanceof XenImageError) return { header, sections: [] };
    throw e;
  }
  const sections: SectionReport[] = [];
  for (const [index, entry] of entries.entries()) {
    const end = entry.offset + entry.size;
    let status: string;
    if (end > BigInt(size)) status = `the body (${entry.offset}…${end}) lies outside the file (${size} bytes)`;
    else if (entry.size > BigInt(DEFAULT_MAX_SECTION_SIZE)) status = "not read: larger than the section limit";
    else {
      const body = await read(Number(entry.offset), Number(entry.size));
      status = sectionStatus({ header, littleEndian }, { index, entry, offset: Number(entry.offset), body, crc: crc32c(body), maxSectionSize: DEFAULT_MAX_SECTION_SIZE }).status;
    }
    sections.push(rowOf(entry, index, status));
  }
  return { header, sections };
}
