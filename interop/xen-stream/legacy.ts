/**
 * Legacy (Xen 4.5 and older) migration streams, recognised so that a reader can say what they are and
 * which of Xen's tools converts them (convert-legacy-stream); nothing here reads them.
 */
const XEND_MAGIC = "LinuxGuestRecord";
const XL_MAGIC = "Xen saved domain, xl format\n \0 \r";
/** The legacy extended-info blocks (xc_domain_save.c): the first follows the ~0 signature and a length. */
const EXT_BLOCKS = ["vcpu", "extv", "xcnt"];
/** The smallest legacy chunk id (XC_SAVE_ID_HVM_NR_IOREQ_SERVER_PAGES) and the largest page batch. */
const MIN_CHUNK = -20;
const MAX_BATCH = 1024;

function ascii(bytes: Uint8Array, at: number, n: number): string {
  return String.fromCharCode(...bytes.subarray(at, at + n));
}

function allOnes(bytes: Uint8Array, at: number, n: number): boolean {
  if (bytes.length < at + n) return false;
  for (let i = 0; i < n; i++) if (bytes[at + i] !== 0xff) return false;
  return true;
}

/** A chunk marker of the legacy body (legacy.py): a page batch of 1-1024 pages, a chunk id, or the end. */
function chunkMarker(view: DataView, at: number): boolean {
  if (view.byteLength < at + 4) return false;
  const marker = view.getInt32(at, true);
  return marker >= MIN_CHUNK && marker <= MAX_BATCH;
}

function hint(what: string, width: 32 | 64, guest: "pv" | "hvm" | undefined, xl = false): string {
  const g = guest === undefined ? "pv|hvm" : guest;
  return (
    `this looks like ${what} (the format of Xen 4.5 and older), which only Xen's convert-legacy-stream reads: ` +
    `convert it first, e.g. convert-legacy-stream -i IN -o OUT -w ${width} -g ${g} -f libxl${xl ? " -x" : ""}`
  );
}

/**
 * A legacy stream's first bytes (tools/python/xen/migration/legacy.py): the p2m size as the toolstack's
 * unsigned long, then for PV guests the extended-info signature (~0) and a "vcpu", "extv" or "xcnt" block,
 * for HVM guests the first chunk marker. Returns a one-line hint naming the converter, or undefined.
 */
export function legacyHint(head: Uint8Array): string | undefined {
  if (ascii(head, 0, XEND_MAGIC.length) === XEND_MAGIC) return hint("a xend save file (a legacy stream after xend's header)", 64, undefined);
  if (ascii(head, 0, XL_MAGIC.length) === XL_MAGIC && head.length >= 40) {
    const flags = new DataView(head.buffer, head.byteOffset, head.byteLength).getUint32(36, true);
    return (flags & 2) === 0 ? hint("an xl save file with a legacy stream inside", 64, undefined, true) : undefined;
  }
  if (head.length < 16 || allOnes(head, 0, 8)) return undefined;
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  // 64-bit toolstack: p2m_size is a u64 with a sane value (at most 2^40 pages).
  const p2m64 = view.getBigUint64(0, true);
  if (p2m64 > 0n && p2m64 < 1n << 40n) {
    if (allOnes(head, 8, 8) && EXT_BLOCKS.includes(ascii(head, 20, 4))) return hint("a legacy PV migration stream from a 64-bit toolstack", 64, "pv");
    if (chunkMarker(view, 8) && view.getInt32(8, true) !== 0) return hint("a legacy HVM migration stream from a 64-bit toolstack", 64, "hvm");
  }
  // 32-bit toolstack: p2m_size is a u32.
  if (view.getUint32(0, true) > 0) {
    if (allOnes(head, 4, 4) && EXT_BLOCKS.includes(ascii(head, 12, 4))) return hint("a legacy PV migration stream from a 32-bit toolstack", 32, "pv");
    if (chunkMarker(view, 4) && view.getInt32(4, true) !== 0) return hint("a legacy HVM migration stream from a 32-bit toolstack", 32, "hvm");
  }
  return undefined;
}

