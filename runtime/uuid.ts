import type { ByteReader } from "./byte-reader.js";
import type { ByteWriter } from "./byte-writer.js";

/**
 * UUIDs (a Xen domain's handle, xen_domain_handle_t): 16 bytes kept in the order Xen keeps them, held
 * in TypeScript as the form xl and libxl print, 32 lower-case hex digits of the bytes in that order in
 * groups of 8, 4, 4, 4 and 12 joined by hyphens (00112233-4455-6677-8899-aabbccddeeff). A decoder
 * always gives that form; an encoder takes only that form (no upper case, no braces, no undashed
 * digits), so a value survives a round trip exactly.
 */

/** The nil uuid: 16 zero bytes. */
export const NIL_UUID = "00000000-0000-0000-0000-000000000000";

const UUID_FORM = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

/** The dashed form of 16 bytes. */
export function uuidText(bytes: Uint8Array): string {
  let out = "";
  for (let i = 0; i < 16; i++) out += (i === 4 || i === 6 || i === 8 || i === 10 ? "-" : "") + HEX[bytes[i]!]!;
  return out;
}

/** The 16 bytes of a uuid in the dashed lower-case form; undefined for anything else. */
export function uuidBytes(text: unknown): Uint8Array | undefined {
  if (typeof text !== "string" || !UUID_FORM.test(text)) return undefined;
  const digits = text.replace(/-/g, "");
  return Uint8Array.from({ length: 16 }, (_, i) => parseInt(digits.slice(2 * i, 2 * i + 2), 16));
}

/** Reads a uuid at a claimed position. */
export function readUuidAt(r: ByteReader, at: number): string {
  return uuidText(r.bytesAt(at, 16));
}

/** Writes a uuid at a reserved position; a value not in the dashed lower-case form is an EncodeError (`invalid-value`). */
export function writeUuidAt(w: ByteWriter, at: number, v: string, name?: string, index?: number): void {
  const bytes = uuidBytes(v);
  if (bytes === undefined) {
    const shown = typeof v === "string" ? JSON.stringify(v) : v === null ? "null" : `${/^[aeiou]/.test(typeof v) ? "an" : "a"} ${typeof v}`;
    w.fail(`${shown} is not a uuid in the lower-case 8-4-4-4-12 form (00112233-4455-6677-8899-aabbccddeeff)`, at, name, index);
  }
  w.bytesAt(at, bytes, 16);
}
