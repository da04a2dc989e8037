/**
 * Node only. An ELF file on disk, read with positional reads: the file header, then the section header
 * table at e_shoff, then the section-name table; a section's bytes only when asked for. A multi-gigabyte
 * core file costs a few kilobytes to open.
 */
import { open, type FileHandle } from "node:fs/promises";
import type { Elf64Ehdr } from "../../generated/elf/index.js";
import { DecodeError, hex } from "../../runtime/index.js";
import { ElfPlan, type ElfFile, type ElfSection } from "./reader.js";

/** Reads exactly `length` bytes at `position` (a short read is retried; the end of the file is a DecodeError). */
async function readExactly(handle: FileHandle, position: number, length: number, what: string): Promise<Uint8Array> {
  const buffer = new Uint8Array(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await handle.read(buffer, done, length - done, position + done);
    if (bytesRead === 0) throw new DecodeError("truncated", `${what}: the file ends after ${done} of ${length} bytes`, { offset: position + done });
    done += bytesRead;
  }
  return buffer;
}

/** An ELF file opened for positional reads. Close it when done. */
export class ElfFileReader implements ElfFile {
  readonly path: string;
  readonly plan: ElfPlan;
  readonly elfClass: 32 | 64;
  readonly littleEndian: boolean;
  readonly header: Elf64Ehdr;
  readonly fileSize: number;
  readonly shstrndx: number;
  readonly sections: readonly ElfSection[];
  private readonly handle: FileHandle;

  private constructor(path: string, handle: FileHandle, plan: ElfPlan, shstrndx: number, sections: ElfSection[]) {
    this.path = path;
    this.handle = handle;
    this.plan = plan;
    this.elfClass = plan.info.elfClass;
    this.littleEndian = plan.info.littleEndian;
    this.header = plan.header;
    this.fileSize = plan.fileSize;
    this.shstrndx = shstrndx;
    this.sections = sections;
  }

  /** Opens `path` and reads its headers, section table and section names (and nothing else). */
  static async open(path: string): Promise<ElfFileReader> {
    const handle = await open(path, "r");
    try {
      const { size } = await handle.stat();
      const first = await readExactly(handle, 0, Math.min(64, size), "the ELF file header");
      const plan = ElfPlan.start(first, size);
      const firstHeader = plan.needsFirstHeader
        ? await readExactly(handle, plan.firstHeaderRange.offset, Math.min(plan.firstHeaderRange.length, Math.max(0, size - plan.firstHeaderRange.offset)), "section header 0")
        : undefined;
      const extent = plan.extent(firstHeader);
      const table = extent.count === 0 ? new Uint8Array(0) : await readExactly(handle, extent.offset, extent.count * extent.entrySize, "the section header table");
      const headers = plan.sectionHeaders(table, extent);
      const range = plan.strtabRange(headers, extent.shstrndx);
      const strtab = range === undefined ? undefined : await readExactly(handle, range.offset, range.length, "the section-name table");
      const sections = plan.nameSections(headers, extent.shstrndx, strtab);
      return new ElfFileReader(path, handle, plan, extent.shstrndx, sections);
    } catch (e) {
      await handle.close();
      throw e;
    }
  }

  section(name: string): ElfSection | undefined {
    return this.sections.find((s) => s.name === name);
  }

  /** A section's bytes (empty for SHT_NOBITS), read from the file; a DecodeError when they lie outside it. */
  async data(section: ElfSection): Promise<Uint8Array> {
    const { offset, length } = this.plan.dataRange(section.header, section.index, section.name);
    return readExactly(this.handle, offset, length, `${section.name} at ${hex(offset)}`);
  }

  /** `length` bytes at `offset` (for reading a big section in pieces). */
  async read(offset: number, length: number): Promise<Uint8Array> {
    return readExactly(this.handle, offset, length, `bytes at ${hex(offset)}`);
  }

  async close(): Promise<void> {
    await this.handle.close();
  }
}

/** Opens an ELF file, reads its headers and section names, and closes it. */
export async function readElfFile(path: string): Promise<ElfFile> {
  const reader = await ElfFileReader.open(path);
  await reader.close();
  return reader;
}
