/**
 * Hand-built Xen streams for the tests: plain byte assembly following the specifications, none of the
 * converter's code, so a stream built here is an independent witness.
 */
import { checkXenStream } from "./xen-stream-checker.js";

export function concat(...parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export function u32le(...values: number[]): Uint8Array {
  const out = new Uint8Array(values.length * 4);
  const dv = new DataView(out.buffer);
  values.forEach((v, i) => dv.setUint32(i * 4, v >>> 0, true));
  return out;
}

export function u64le(...values: bigint[]): Uint8Array {
  const out = new Uint8Array(values.length * 8);
  const dv = new DataView(out.buffer);
  values.forEach((v, i) => dv.setBigUint64(i * 8, v, true));
  return out;
}

/** A record: type, length, body, zero padding to 8. */
export function record(type: number, body: Uint8Array = new Uint8Array(0)): Uint8Array {
  const pad = (8 - (body.length % 8)) % 8;
  return concat(u32le(type, body.length), body, new Uint8Array(pad));
}

/** The libxc image header (big-endian) and domain header. */
export function libxcHeaders(o: { version?: number; domainType: number; pageShift?: number; xenMajor?: number; xenMinor?: number; options?: number }): Uint8Array {
  const out = new Uint8Array(40);
  const dv = new DataView(out.buffer);
  out.fill(0xff, 0, 8);
  dv.setUint32(8, 0x58454e46, false);
  dv.setUint32(12, o.version ?? 3, false);
  dv.setUint16(16, o.options ?? 0, false);
  dv.setUint32(24, o.domainType, true);
  dv.setUint16(28, o.pageShift ?? 12, true);
  dv.setUint32(32, o.xenMajor ?? 4, true);
  dv.setUint32(36, o.xenMinor ?? 19, true);
  return out;
}

/** The libxl stream header. */
export function libxlHeader(options = 0, version = 2): Uint8Array {
  const out = new Uint8Array(16);
  const dv = new DataView(out.buffer);
  out.set(new TextEncoder().encode("LibxlFmt"));
  dv.setUint32(8, version, false);
  dv.setUint32(12, options, false);
  return out;
}

/** xl's save-file header and optional data. */
export function xlHeader(o: { mandatory?: number; optional?: number; optionalData: Uint8Array }): Uint8Array {
  return concat(new TextEncoder().encode("Xen saved domain, xl format\n \0 \r"), u32le(0x01020304, o.mandatory ?? 3, o.optional ?? 0, o.optionalData.length), o.optionalData);
}

/** xl's optional data for a configuration text: its length with the NUL, the text, the NUL. */
export function xlConfig(text: string, nul = true): Uint8Array {
  const bytes = new TextEncoder().encode(text);
  const config = nul ? concat(bytes, new Uint8Array(1)) : bytes;
  return concat(u32le(config.length), config);
}

/** A PAGE_DATA body: count, reserved, pfn words (type << 60 | pfn), the pages of the data-carrying types. */
export function pageData(pfns: readonly { type: number; pfn: number }[], fill = (pfn: number) => pfn & 0xff): Uint8Array {
  const words = u64le(...pfns.map((p) => (BigInt(p.type) << 60n) | BigInt(p.pfn)));
  const pages = pfns
    .filter((p) => [0, 1, 2, 3, 4, 9, 10, 11, 12].includes(p.type))
    .map((p) => new Uint8Array(4096).fill(fill(p.pfn)));
  return concat(u32le(pfns.length, 0), words, ...pages);
}

/** The records of a stream (layer, type, offset, length), as the independent checker sees them. */
export function recordsOf(bytes: Uint8Array) {
  return checkXenStream(bytes).records;
}

/** The bytes with `insert` put at `offset`. */
export function insertAt(bytes: Uint8Array, offset: number, insert: Uint8Array): Uint8Array {
  return concat(bytes.subarray(0, offset), insert, bytes.subarray(offset));
}

/** Byte equality (fast). */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

/** The libxc record types of a stream in order, as hex strings (libxl ones prefixed "l"). */
export function typeSequence(bytes: Uint8Array): string[] {
  return recordsOf(bytes).map((r) => (r.layer === "libxl" ? "l" : "") + r.type.toString(16));
}
