import { SECTION_ENTRY_SIZE } from "../../generated/index.js";
import { crc32c } from "../../runtime/crc32c.js";

/** Where entry_crc is in a section_entry (after crc, the last field of version 2's 48 bytes). */
export const ENTRY_CRC_AT = 44;

/**
 * Recomputes the entry CRC of the entry at `at` in `bytes`, as a writer would: what a test does after
 * changing an entry on purpose, so that the rule it targets is what fails rather than the entry CRC.
 * Computed here from its definition (CRC32C of the entry with the field taken as zero), not with the
 * runtime's function.
 */
export function resealEntry(bytes: Uint8Array, at: number, littleEndian = true, entrySize = SECTION_ENTRY_SIZE): void {
  const copy = new Uint8Array(bytes.subarray(at, at + entrySize)); // a copy even of a Buffer
  copy.fill(0, ENTRY_CRC_AT, ENTRY_CRC_AT + 4);
  new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).setUint32(at + ENTRY_CRC_AT, crc32c(copy), littleEndian);
}
