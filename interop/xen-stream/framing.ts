/**
 * The layers of a Xen stream, read and written: xl's save-file header, the libxl stream header and its
 * records, the libxc image and domain headers and their records. Reading checks what Xen's own readers
 * check (xl_vmcontrol.c, libxl_stream_read.c, xg_sr_restore.c) and what the verifier adds (libxc.py):
 * magic numbers, versions, byte order, reserved bits, record limits, zero padding, the record order the
 * layers impose, STATIC_DATA_END, nothing after END. Bodies are views of the input; nothing is decoded
 * beyond the framing here.
 */
import { ByteReader, ByteWriter, DecodeError, EncodeError, hex, XenImageError, type DecodeErrorCode } from "../../runtime/index.js";
import {
  decodeDomainHeader,
  decodeLibxcImageHeader,
  type DomainHeader,
  DomainType,
  encodeDomainHeader,
  encodeLibxcImageHeader,
  LIBXC_IMAGE_HEADER_SIZE,
  RecordType,
  RecordTypeNames,
} from "../../generated/xen_libxc/index.js";
import {
  decodeLibxlStreamHeader,
  encodeLibxlStreamHeader,
  LIBXL_STREAM_HEADER_SIZE,
  LibxlRecordType,
} from "../../generated/xen_libxl/index.js";
import { decodeXlSaveHeader, encodeXlSaveHeader, XlMandatoryFlags } from "../../generated/xen_xl/index.js";
import { legacyHint } from "./legacy.js";
import {
  padding8,
  REC_LENGTH_MAX,
  REC_TYPE_OPTIONAL,
  recordLabel,
  type RecordLayerName,
  recordTypeName,
  XEN_PAGE_SHIFT,
} from "./constants.js";

/** One record of a Xen stream. */
export interface XenRecord {
  readonly layer: RecordLayerName;
  /** The record type (for libxc, bit 31 set on optional records). */
  readonly type: number;
  /** The body, without the padding (a view of the input when read). */
  readonly body: Uint8Array;
  /** Where the record header is in the input; -1 for a record an exporter made. */
  readonly offset: number;
  /** Its position in the stream, every record of both layers counted from 0; -1 for a made record. */
  readonly index: number;
}

/** The outermost layer of a Xen stream. */
export type XenLayerName = "libxc" | "libxl" | "xl";

/** What xl's save-file header said. */
export interface XlHeaderInfo {
  readonly mandatoryFlags: number;
  readonly optionalFlags: number;
  /** The optional data (normally the configuration's length and bytes). */
  readonly optionalData: Uint8Array;
}

/** A Xen stream split into its layers and records. */
export interface XenStream {
  readonly layer: XenLayerName;
  /** The xl header, when the stream is an xl save file. */
  readonly xl?: XlHeaderInfo;
  /** The libxl header's options word, when there is a libxl layer. */
  readonly libxlOptions?: number;
  /** The libxc image header's version (2 or 3). */
  readonly libxcVersion: number;
  readonly domain: DomainHeader;
  /** Every record of both layers in stream order, the structural ones included. */
  readonly records: readonly XenRecord[];
}

const XL_MAGIC = new TextEncoder().encode("Xen saved domain, xl format\n \0 \r");
const LIBXL_IDENT = new TextEncoder().encode("LibxlFmt");

function startsWith(bytes: Uint8Array, prefix: Uint8Array, at = 0): boolean {
  if (bytes.length < at + prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (bytes[at + i] !== prefix[i]) return false;
  return true;
}

function allOnes(bytes: Uint8Array, at: number, n: number): boolean {
  if (bytes.length < at + n) return false;
  for (let i = 0; i < n; i++) if (bytes[at + i] !== 0xff) return false;
  return true;
}

/**
 * Which layer a byte string starts with: an xl save file, a libxl stream, a libxc stream (the all-ones
 * marker), or none of them (undefined; a legacy pre-4.6 image has a zero bit in its first 8 bytes).
 */
export function detectXenStream(bytes: Uint8Array): XenLayerName | undefined {
  if (startsWith(bytes, XL_MAGIC)) return "xl";
  if (startsWith(bytes, LIBXL_IDENT)) return "libxl";
  if (allOnes(bytes, 0, 8)) return "libxc";
  return undefined;
}

function fail(reason: string, offset: number, section?: string, path?: string, code: DecodeErrorCode = "invalid"): never {
  throw new DecodeError(code, reason, { offset, ...(section === undefined ? {} : { section }), ...(path === undefined ? {} : { path }) });
}

/** Runs a generated decoder, naming the part of the stream it reads in any error. */
function decodePart<T>(section: string, run: () => T): T {
  try {
    return run();
  } catch (e) {
    if (e instanceof XenImageError) throw e.within({ section });
    throw e;
  }
}

/** Reads one framed record at the reader's position: header, limit, body, zero padding. */
function readRecord(r: ByteReader, layer: RecordLayerName, index: number): XenRecord {
  const at = r.pos;
  const offset = r.offset;
  if (r.remaining < 8) {
    fail(`the stream ends inside the header of ${layer} record #${index} (${r.remaining} of 8 bytes)`, offset, `${layer} record #${index}`, undefined, "truncated");
  }
  const type = r.u32At(at, true);
  const length = r.u32At(at + 4, true);
  const label = recordLabel(layer, index, type);
  // read_record (xg_sr_common.c): "length ... exceeds max".
  if (length > REC_LENGTH_MAX) {
    fail(`body length ${length} exceeds Xen's limit of ${REC_LENGTH_MAX} bytes (REC_LENGTH_MAX)`, offset + 4, label, "length");
  }
  const pad = padding8(length);
  if (r.remaining < 8 + length + pad) {
    fail(`the stream ends inside the record: ${length} + ${pad} padding bytes announced, ${r.remaining - 8} left`, offset + 8, label, "body", "truncated");
  }
  const body = r.bytes.subarray(at + 8, at + 8 + length);
  // The verifier (libxc.py, libxl.py): "Padding containing non0 bytes found".
  for (let i = 0; i < pad; i++) {
    if (r.bytes[at + 8 + length + i] !== 0) fail("non-zero byte in the padding after the body", offset + 8 + length + i, label, "padding");
  }
  r.pos = at + 8 + length + pad;
  return { layer, type, body, offset, index };
}

/** Reads and checks the libxc image and domain headers. */
function readLibxcHeaders(r: ByteReader): { version: number; domain: DomainHeader } {
  const at = r.offset;
  if (!allOnes(r.bytes, r.pos, 8)) {
    fail(legacyHint(r.bytes.subarray(r.pos, r.pos + 64)) ?? "no libxc image header (its marker is all ones)", at, "libxc image header", "marker", "unsupported");
  }
  // read_headers (xg_sr_restore.c): marker, id, version 2-3, little-endian only.
  const ihdr = decodePart("libxc image header", () => decodeLibxcImageHeader(r));
  if (ihdr.version !== 2 && ihdr.version !== 3) fail(`version ${ihdr.version}: Xen's restorer reads versions 2 and 3`, at + 12, "libxc image header", "version", "unsupported");
  if (ihdr.options.bigEndian !== 0) fail("a big-endian stream: Xen's restorer refuses it", at + 16, "libxc image header", "options", "unsupported");
  const dat = r.offset;
  const domain = decodePart("libxc domain header", () => decodeDomainHeader(r));
  // x86_pv_setup / x86_hvm_setup (xg_sr_restore_x86_{pv,hvm}.c) each restore only their own type: 1 or 2.
  if (domain.type !== DomainType.x86_pv && domain.type !== DomainType.x86_hvm) {
    fail(`domain type ${domain.type}: Xen's restorers take only x86 PV (1) and x86 HVM (2) streams`, dat, "libxc domain header", "type", "unsupported");
  }
  // x86_pv_setup / x86_hvm_setup: "Invalid page size".
  if (domain.pageShift !== XEN_PAGE_SHIFT) fail(`page_shift ${domain.pageShift}: Xen's x86 restorer needs 12`, dat + 4, "libxc domain header", "page_shift", "unsupported");
  return { version: ihdr.version, domain };
}

const KNOWN_LIBXC = new Set<number>(RecordTypeNames.keys());

/**
 * Splits a Xen stream (an xl save file, a libxl stream or a libxc stream) into its headers and records,
 * checking the framing as Xen's readers do. Throws a {@link DecodeError} naming the byte offset, the
 * record (layer, index, type) and the field.
 */
export function readXenStream(bytes: Uint8Array): XenStream {
  const layer = detectXenStream(bytes);
  if (layer === undefined) {
    const legacy = legacyHint(bytes.subarray(0, 64));
    fail(legacy ?? "not a Xen stream: no xl save-file magic, libxl ident or libxc marker", 0, "stream start", undefined, "unsupported");
  }
  const r = new ByteReader(bytes);
  let xl: XlHeaderInfo | undefined;
  let libxlOptions: number | undefined;
  // create_domain (xl_vmcontrol.c): magic, byte order, no unknown mandatory flag.
  if (layer === "xl") {
    if (bytes.length >= 36 && r.u32At(32, false) === 0x01020304) fail("a big-endian xl save file (byteorder 01 02 03 04) is not supported", 32, "xl header", "byteorder", "unsupported");
    const h = decodePart("xl header", () => decodeXlSaveHeader(r));
    const unknown = h.mandatoryFlags & ~(XlMandatoryFlags.json | XlMandatoryFlags.stream_v2);
    if (unknown !== 0) fail(`mandatory flags ${hex(unknown)} are unknown: xl refuses the file`, 36, "xl header", "mandatory_flags");
    if ((h.mandatoryFlags & XlMandatoryFlags.stream_v2) === 0) fail(legacyHint(bytes.subarray(0, 64))!, 36, "xl header", "mandatory_flags", "unsupported");
    xl = h;
    if (!startsWith(bytes, LIBXL_IDENT, r.pos)) fail("the xl header is not followed by a libxl stream header", r.offset, "libxl header", "ident");
  }
  if (layer !== "libxc") {
    // stream_header_done (libxl_stream_read.c): ident, version 2, little-endian only.
    const at = r.offset;
    const h = decodePart("libxl header", () => decodeLibxlStreamHeader(r));
    if (h.version !== 2) fail(`version ${h.version}: libxl reads version 2`, at + 8, "libxl header", "version", "unsupported");
    if (h.options.bigEndian !== 0) fail("a big-endian stream: libxl refuses it", at + 12, "libxl header", "options", "unsupported");
    libxlOptions = h.options.bigEndian | (h.options.legacy << 1);
  }

  const records: XenRecord[] = [];
  let libxc: { version: number; domain: DomainHeader } | undefined;
  let mode: RecordLayerName = layer === "libxc" ? "libxc" : "libxl";
  if (layer === "libxc") libxc = readLibxcHeaders(r);
  let libxcEnded = false;
  let awaitingCheckpointEnd = false;
  let seenStaticDataEnd = false;
  let seenPageData = false;
  for (;;) {
    const rec = readRecord(r, mode, records.length);
    records.push(rec);
    const label = recordLabel(rec.layer, rec.index, rec.type);
    if (mode === "libxl") {
      if (rec.type === LibxlRecordType.libxc_context) {
        if (libxc !== undefined) fail("a second LIBXC_CONTEXT record", rec.offset, label);
        if (rec.body.length !== 0) fail("LIBXC_CONTEXT must be empty", rec.offset + 4, label, "length");
        libxc = readLibxcHeaders(r);
        mode = "libxc";
      } else if (rec.type === LibxlRecordType.end) {
        if (rec.body.length !== 0) fail("END must be empty", rec.offset + 4, label, "length");
        if (libxc === undefined || !libxcEnded) fail("the libxl stream ends before its libxc stream did", rec.offset, label);
        if (awaitingCheckpointEnd) fail("END inside a checkpoint (CHECKPOINT_END expected)", rec.offset, label);
        break;
      } else if (rec.type === LibxlRecordType.checkpoint_end) {
        if (!awaitingCheckpointEnd) fail("CHECKPOINT_END outside a checkpoint", rec.offset, label);
        if (rec.body.length !== 0) fail("CHECKPOINT_END must be empty", rec.offset + 4, label, "length");
        awaitingCheckpointEnd = false;
        mode = "libxc";
      } else if (rec.type === LibxlRecordType.emulator_xenstore_data || rec.type === LibxlRecordType.emulator_context) {
        // process_record, write_emulator_blob (libxl_stream_read.c): "too short to contain header".
        if (rec.body.length < 8) fail("an emulator record needs its 8-byte emulator header", rec.offset + 4, label, "length");
      } else if (rec.type === LibxlRecordType.checkpoint_state) {
        // process_record (libxl_stream_read.c): "Unexpected CHECKPOINT_STATE record in stream" unless COLO
        // reads its back channel, which is never a saved or migrated stream.
        fail("CHECKPOINT_STATE belongs to COLO's back channel: libxl refuses it in a restore stream", rec.offset, label, "type", "unsupported");
      } else {
        // process_record (libxl_stream_read.c): "Unrecognised record".
        fail(`unknown libxl record type ${hex(rec.type)}: libxl refuses the stream`, rec.offset, label, "type");
      }
      continue;
    }
    // A libxc record.
    const type = rec.type;
    // restore() (xg_sr_restore.c): "Mandatory record ... not handled"; an unknown optional one is skipped.
    if (!KNOWN_LIBXC.has(type) && (type & REC_TYPE_OPTIONAL) === 0) {
      fail(`unknown mandatory record type ${hex(type)}: Xen's restorer refuses the stream`, rec.offset, label, "type");
    }
    if (type === RecordType.static_data_end) {
      // handle_static_data_end (xg_sr_restore.c): "Multiple STATIC_DATA_END records found".
      if (seenStaticDataEnd) fail(seenPageData && libxc!.version < 3 ? "STATIC_DATA_END after PAGE_DATA or X86_PV_P2M_FRAMES (a version 2 stream has it implied there)" : "a second STATIC_DATA_END record", rec.offset, label);
      if (rec.body.length !== 0) fail("STATIC_DATA_END must be empty", rec.offset + 4, label, "length");
      seenStaticDataEnd = true;
    } else if (type === RecordType.page_data || type === RecordType.x86_pv_p2m_frames) {
      // handle_page_data (xg_sr_restore.c), handle_x86_pv_p2m_frames (xg_sr_restore_x86_pv.c): "No
      // STATIC_DATA_END seen" in version 3; version 2 implies it before the first of them.
      if (!seenStaticDataEnd) {
        if (libxc!.version >= 3) fail(`${recordTypeName("libxc", type)} before STATIC_DATA_END in a version 3 stream`, rec.offset, label);
        seenStaticDataEnd = true;
      }
      seenPageData = true;
    } else if (type === RecordType.end) {
      if (rec.body.length !== 0) fail("END must be empty", rec.offset + 4, label, "length");
      libxcEnded = true;
      if (layer === "libxc") break;
      mode = "libxl";
    } else if (type === RecordType.checkpoint) {
      if (rec.body.length !== 0) fail("CHECKPOINT must be empty", rec.offset + 4, label, "length");
      if (layer !== "libxc") {
        awaitingCheckpointEnd = true;
        mode = "libxl";
      }
    }
  }
  if (r.remaining !== 0) {
    fail(`${r.remaining} bytes after the END record: nothing may follow it`, r.offset, `after ${recordLabel(records.at(-1)!.layer, records.length - 1, 0)}`, undefined);
  }
  return {
    layer,
    ...(xl === undefined ? {} : { xl }),
    ...(libxlOptions === undefined ? {} : { libxlOptions }),
    libxcVersion: libxc!.version,
    domain: libxc!.domain,
    records,
  };
}

/** The framing an exporter writes around the records. */
export interface FramingOptions {
  readonly layer: XenLayerName;
  /** The libxc image header's version: 2 or 3 (default 3). */
  readonly version?: number;
  readonly xl?: XlHeaderInfo;
  readonly libxlOptions?: number;
  readonly domain: DomainHeader;
}

/**
 * Writes a whole Xen stream: the headers of its layers and the records in the order given (structural
 * records included; the libxc headers go right after LIBXC_CONTEXT, or first in a libxc stream). The
 * libxc image header says version 3, little-endian.
 */
export function writeXenStream(framing: FramingOptions, records: readonly XenRecord[]): Uint8Array {
  let size = 24 + 16 + 16 + 48 + (framing.xl?.optionalData.length ?? 0);
  records.forEach((rec, index) => {
    if (rec.body.length > REC_LENGTH_MAX) {
      throw new EncodeError("invalid-value", `a body of ${rec.body.length} bytes exceeds Xen's limit of ${REC_LENGTH_MAX} (REC_LENGTH_MAX)`, {
        section: recordLabel(rec.layer, index, rec.type),
        path: "length",
      });
    }
    size += 8 + rec.body.length + padding8(rec.body.length);
  });
  const w = new ByteWriter({ littleEndian: true, initialCapacity: size });
  const libxcHeaders = (): void => {
    encodeLibxcImageHeader(w, { version: framing.version ?? 3, options: { bigEndian: 0 } });
    encodeDomainHeader(w, framing.domain);
  };
  if (framing.layer === "xl") encodeXlSaveHeader(w, framing.xl!);
  if (framing.layer !== "libxc") {
    const options = framing.libxlOptions ?? 0;
    encodeLibxlStreamHeader(w, { version: 2, options: { bigEndian: 0, legacy: (options >>> 1) & 1 } });
  } else {
    libxcHeaders();
  }
  for (const rec of records) {
    w.u32le(rec.type >>> 0);
    w.u32le(rec.body.length);
    w.bytes(rec.body);
    w.zeros(padding8(rec.body.length));
    if (rec.layer === "libxl" && rec.type === LibxlRecordType.libxc_context) libxcHeaders();
  }
  return w.finish();
}

/** The size of the headers before the first record of a libxc stream. */
export const LIBXC_HEADERS_SIZE = LIBXC_IMAGE_HEADER_SIZE + 16;
/** The size of the libxl stream header. */
export const LIBXL_HEADER_SIZE = LIBXL_STREAM_HEADER_SIZE;
