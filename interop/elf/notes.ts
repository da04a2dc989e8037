/**
 * ELF notes: a run of records, each an Elf_Nhdr (`schema/elf/elf.yaml`), the owner's name (NUL included,
 * padded) and the descriptor (padded). Padding is to 4 bytes, or to 8 in note sections whose alignment is 8
 * (what readelf and the GNU tools do).
 */
import { decodeElf64Nhdr, ELF64_NHDR_SIZE, encodeElf64Nhdr } from "../../generated/elf/index.js";
import { ByteReader, type ByteWriter, DecodeError, hex } from "../../runtime/index.js";

/** One note. */
export interface ElfNote {
  /** The owner's name without its NUL ("Xen", "GNU", "CORE"). */
  readonly name: string;
  readonly type: number;
  /** The descriptor's bytes (a view), without padding. */
  readonly desc: Uint8Array;
  /** The absolute file offset of the note's header. */
  readonly offset: number;
  /** The absolute file offset of the descriptor. */
  readonly descOffset: number;
}

/** Options of {@link decodeNotes}. */
export interface DecodeNotesOptions {
  readonly littleEndian: boolean;
  /** Padding of name and descriptor: 4 (default) or 8. */
  readonly align?: 4 | 8;
  /** The absolute offset of `bytes[0]`, for messages. */
  readonly base?: number;
  /** The section's name, for messages. */
  readonly section?: string;
}

const pad = (n: number, align: number): number => (n + align - 1) & ~(align - 1);
const latin1 = new TextDecoder("latin1");

/** Decodes every note in `bytes` (a note section's or segment's contents). */
export function decodeNotes(bytes: Uint8Array, options: DecodeNotesOptions): ElfNote[] {
  const align = options.align ?? 4;
  const base = options.base ?? 0;
  const r = new ByteReader(bytes, { littleEndian: options.littleEndian, base });
  const out: ElfNote[] = [];
  const where = (at: number, path: string) => ({ offset: base + at, ...(options.section === undefined ? {} : { section: options.section }), path });
  while (r.remaining > 0) {
    const index = out.length;
    const at = r.pos;
    if (r.remaining < ELF64_NHDR_SIZE) {
      throw new DecodeError("truncated", `note ${index}: ${r.remaining} bytes left, a note header needs ${ELF64_NHDR_SIZE}`, where(at, `note[${index}]`));
    }
    const h = decodeElf64Nhdr(r, r.take(ELF64_NHDR_SIZE));
    const nameAt = r.pos;
    const descAt = nameAt + pad(h.nNamesz, align);
    const end = descAt + pad(h.nDescsz, align);
    if (descAt + h.nDescsz > bytes.length || nameAt + h.nNamesz > bytes.length) {
      throw new DecodeError(
        "truncated",
        `note ${index}: its name (${h.nNamesz} bytes) and descriptor (${h.nDescsz} bytes) run past the end of the notes (${hex(base + bytes.length)})`,
        where(at, `note[${index}]`),
      );
    }
    const rawName = bytes.subarray(nameAt, nameAt + h.nNamesz);
    const nul = rawName.indexOf(0);
    const name = latin1.decode(nul < 0 ? rawName : rawName.subarray(0, nul));
    out.push({ name, type: h.nType, desc: bytes.subarray(descAt, descAt + h.nDescsz), offset: base + at, descOffset: base + descAt });
    r.pos = Math.min(end, bytes.length);
  }
  return out;
}

/** The size of one note with a name of `nameLength` characters (NUL added) and `descSize` bytes of descriptor. */
export function noteSize(nameLength: number, descSize: number, align: 4 | 8 = 4): number {
  return ELF64_NHDR_SIZE + pad(nameLength + 1, align) + pad(descSize, align);
}

/**
 * Writes one note: its header, the owner's name with its NUL and zero padding, then the descriptor that
 * `writeDesc` writes (it must write exactly `descSize` bytes), then zero padding.
 */
export function encodeNote(w: ByteWriter, name: string, type: number, descSize: number, writeDesc: (w: ByteWriter) => void, align: 4 | 8 = 4): void {
  const nameBytes = new TextEncoder().encode(name);
  const at = w.reserve(ELF64_NHDR_SIZE);
  encodeElf64Nhdr(w, { nNamesz: nameBytes.length + 1, nDescsz: descSize, nType: type }, at);
  w.bytes(nameBytes);
  w.zeros(pad(nameBytes.length + 1, align) - nameBytes.length);
  const descAt = w.pos;
  writeDesc(w);
  if (w.pos - descAt !== descSize) w.fail(`note ${name} ${hex(type)}: the descriptor is ${w.pos - descAt} bytes, ${descSize} were announced`, descAt);
  w.zeros(pad(descSize, align) - descSize);
}
