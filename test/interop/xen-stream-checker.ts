/**
 * An independent checker of Xen streams, for the tests: plain DataView, none of the converter's code. It
 * follows the checks of Xen's verifier (tools/python/xen/migration/libxc.py and libxl.py, version 3 as
 * upstream has it) and the rules the brief names: marker, id, version, options, reserved fields, record
 * framing and zero padding, body lengths per type, count ≤ 1024 per PAGE_DATA, length ≤ 128 MiB,
 * STATIC_DATA_END exactly once and before any page data, END last with nothing after it, and the layers
 * (xl header, libxl stream, LIBXC_CONTEXT with the libxc stream inline), version 2 (no STATIC_DATA_END,
 * no policy records) or 3, and libxl's rules for emulator records (ids 0-2, xenstore key/value pairs as
 * libxl__restore_emulator_xenstore_data reads them). It returns every problem found.
 */

export interface CheckOptions {
  /** Reject every record type Xen's verifier does not know, optional ones included (libxc.py does). */
  readonly strictTypes?: boolean;
}

export interface CheckedRecord {
  readonly layer: "libxc" | "libxl";
  readonly type: number;
  readonly length: number;
  readonly offset: number;
}

export interface CheckResult {
  readonly problems: string[];
  readonly layer: "xl" | "libxl" | "libxc" | "none";
  readonly records: CheckedRecord[];
  readonly domainType: number;
  /** The libxc image header's version (0 when it was not reached). */
  readonly version: number;
}

const XL_MAGIC = "Xen saved domain, xl format\n \0 \r";
const REC_LENGTH_MAX = 128 * 1024 * 1024;
const LIBXC_TYPES = new Set(Array.from({ length: 0x13 }, (_, i) => i));
const PV_ONLY = new Set([0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x0c]);
const HVM_ONLY = new Set([0x09, 0x0a]);
const DATA_TYPES = new Set([0, 1, 2, 3, 4, 9, 10, 11, 12]);

export function checkXenStream(bytes: Uint8Array, options: CheckOptions = {}): CheckResult {
  const problems: string[] = [];
  const records: CheckedRecord[] = [];
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = 0;
  let layer: CheckResult["layer"] = "none";
  let domainType = 0;
  let version = 0;
  const need = (n: number, what: string): boolean => {
    if (bytes.length - pos < n) {
      problems.push(`truncated in ${what} at ${pos}`);
      return false;
    }
    return true;
  };
  const ascii = (at: number, n: number): string => String.fromCharCode(...bytes.subarray(at, at + n));

  // xl header
  if (ascii(0, 32) === XL_MAGIC) {
    layer = "xl";
    if (!need(48, "xl header")) return { problems, layer, records, domainType, version };
    if (dv.getUint32(32, true) !== 0x01020304) problems.push("xl: byteorder is not 0x01020304 little-endian");
    const mandatory = dv.getUint32(36, true);
    if ((mandatory & ~3) !== 0) problems.push(`xl: unknown mandatory flags ${mandatory.toString(16)}`);
    if ((mandatory & 2) === 0) problems.push("xl: STREAMv2 flag missing");
    const optLen = dv.getUint32(44, true);
    pos = 48;
    if (!need(optLen, "xl optional data")) return { problems, layer, records, domainType, version };
    if (optLen >= 4) {
      const configLen = dv.getUint32(48, true);
      if (configLen > optLen - 4) problems.push("xl: config_len runs past the optional data");
      else if ((mandatory & 1) !== 0 && (configLen === 0 || bytes[52 + configLen - 1] !== 0)) problems.push("xl: JSON config without its terminating NUL");
      else if ((mandatory & 1) === 0 && configLen > 0) problems.push("xl: a config without the JSON flag");
    }
    pos += optLen;
  }

  const libxlIdent = ascii(pos, 8) === "LibxlFmt";
  if (layer === "xl" && !libxlIdent) problems.push("xl: not followed by a libxl stream");
  let inLibxl = libxlIdent;
  if (libxlIdent) {
    if (layer === "none") layer = "libxl";
    if (!need(16, "libxl header")) return { problems, layer, records, domainType, version };
    if (dv.getUint32(pos + 8, false) !== 2) problems.push("libxl: version is not 2");
    const opts = dv.getUint32(pos + 12, false);
    if ((opts & ~2) !== 0) problems.push(`libxl: options ${opts.toString(16)} (big-endian or reserved bits)`);
    pos += 16;
  } else if (layer === "none") {
    layer = "libxc";
  }

  let libxcSeen = false;
  let libxcEnded = false;
  let inCheckpoint = false;
  let sde = 0;
  let pageDataSeen = false;
  let p2mSeen = false;
  let pvInfoSeen = false;
  let guestWidth = 0;
  let firstLibxcRecord = true;
  let ended = false;

  const libxcHeaders = (): boolean => {
    if (!need(40, "libxc headers")) return false;
    for (let i = 0; i < 8; i++) if (bytes[pos + i] !== 0xff) problems.push("libxc: marker is not all ones");
    if (dv.getUint32(pos + 8, false) !== 0x58454e46) problems.push("libxc: id is not XENF");
    version = dv.getUint32(pos + 12, false);
    if (version !== 2 && version !== 3) problems.push(`libxc: version ${version}, 2 or 3 expected`);
    if (dv.getUint16(pos + 16, false) !== 0) problems.push("libxc: options not 0 (little-endian, reserved bits clear)");
    if (dv.getUint16(pos + 18, false) !== 0 || dv.getUint32(pos + 20, false) !== 0) problems.push("libxc: reserved header fields not zero");
    domainType = dv.getUint32(pos + 24, true);
    if (domainType !== 1 && domainType !== 2) problems.push(`libxc: domain type ${domainType}`);
    if (dv.getUint16(pos + 28, true) !== 12) problems.push("libxc: page_shift is not 12");
    if (dv.getUint16(pos + 30, true) !== 0) problems.push("libxc: domain header reserved field not zero");
    pos += 40;
    libxcSeen = true;
    return true;
  };
  if (!inLibxl && !libxcHeaders()) return { problems, layer, records, domainType, version };

  for (;;) {
    if (pos === bytes.length) {
      problems.push("the stream ends without an END record");
      break;
    }
    if (!need(8, "record header")) break;
    const type = dv.getUint32(pos, true);
    const length = dv.getUint32(pos + 4, true);
    const rlayer = inLibxl ? "libxl" : "libxc";
    const name = `${rlayer} record ${records.length} (type ${type.toString(16)}) at ${pos}`;
    records.push({ layer: rlayer, type, length, offset: pos });
    if (length > REC_LENGTH_MAX) problems.push(`${name}: length ${length} over 128 MiB`);
    const padded = length + ((8 - (length % 8)) % 8);
    if (!need(8 + padded, name)) break;
    const body = bytes.subarray(pos + 8, pos + 8 + length);
    const bdv = new DataView(body.buffer, body.byteOffset, body.byteLength);
    for (let i = length; i < padded; i++) if (bytes[pos + 8 + i] !== 0) problems.push(`${name}: non-zero padding`);
    pos += 8 + padded;

    if (inLibxl) {
      if (type === 1) {
        if (libxcSeen) problems.push(`${name}: second LIBXC_CONTEXT`);
        if (length !== 0) problems.push(`${name}: LIBXC_CONTEXT not empty`);
        inLibxl = false;
        if (!libxcHeaders()) break;
      } else if (type === 0) {
        if (length !== 0) problems.push(`${name}: END not empty`);
        if (!libxcEnded) problems.push(`${name}: libxl END before the libxc END`);
        ended = true;
        break;
      } else if (type === 4) {
        if (!inCheckpoint) problems.push(`${name}: CHECKPOINT_END outside a checkpoint`);
        inCheckpoint = false;
        inLibxl = false;
      } else if (type === 2 || type === 3) {
        if (length < 8) problems.push(`${name}: emulator record shorter than its header`);
        else if (bdv.getUint32(0, true) > 2) problems.push(`${name}: emulator id ${bdv.getUint32(0, true)}`);
        if (domainType === 1) problems.push(`${name}: emulator record for a PV guest`);
        if (type === 2 && length > 8) {
          // key NUL value NUL …, keys non-empty and relative (libxl__restore_emulator_xenstore_data).
          const data = body.subarray(8);
          if (data[data.length - 1] !== 0) problems.push(`${name}: xenstore data not NUL-terminated`);
          const parts = Buffer.from(data.subarray(0, data.length - 1)).toString("latin1").split("\0");
          if (parts.length % 2 !== 0) problems.push(`${name}: xenstore data of ${parts.length} strings, not pairs`);
          for (let i = 0; i < parts.length; i += 2) if (parts[i] === "" || parts[i]!.startsWith("/")) problems.push(`${name}: xenstore key "${parts[i]}"`);
        }
      } else if (type === 5) {
        problems.push(`${name}: CHECKPOINT_STATE in a restore stream`);
      } else {
        problems.push(`${name}: unknown libxl record type`);
      }
      continue;
    }

    const known = LIBXC_TYPES.has(type);
    if (!known && (options.strictTypes || (type & 0x8000_0000) === 0)) problems.push(`${name}: unrecognised record type`);
    if (domainType === 1 && HVM_ONLY.has(type)) problems.push(`${name}: HVM record in a PV stream`);
    if (domainType !== 1 && PV_ONLY.has(type)) problems.push(`${name}: PV record in an HVM stream`);
    if (domainType === 1 && firstLibxcRecord && known && type !== 0x02) problems.push(`${name}: a PV stream starts with X86_PV_INFO`);
    if (known) firstLibxcRecord = false;
    const u32 = (at: number): number => bdv.getUint32(at, true);
    switch (type) {
      case 0x00:
        if (length !== 0) problems.push(`${name}: END not empty`);
        if (sde !== (version === 3 ? 1 : 0)) problems.push(`${name}: END with ${sde} STATIC_DATA_END records in a version ${version} stream`);
        libxcEnded = true;
        break;
      case 0x01: {
        if (version === 3 && sde !== 1) problems.push(`${name}: PAGE_DATA before STATIC_DATA_END`);
        pageDataSeen = true;
        if (length < 8) {
          problems.push(`${name}: PAGE_DATA too short`);
          break;
        }
        const count = u32(0);
        if (count === 0 || count > 1024) problems.push(`${name}: PAGE_DATA count ${count}`);
        if (u32(4) !== 0) problems.push(`${name}: PAGE_DATA reserved word`);
        if (length < 8 + count * 8) {
          problems.push(`${name}: PAGE_DATA shorter than its pfns`);
          break;
        }
        let pages = 0;
        for (let i = 0; i < count; i++) {
          const hi = u32(8 + i * 8 + 4);
          const t = hi >>> 28;
          if ((hi & 0x0ff0_0000) !== 0) problems.push(`${name}: reserved bits in pfn[${i}]`);
          if (t >= 5 && t <= 8) problems.push(`${name}: invalid page type in pfn[${i}]`);
          if (DATA_TYPES.has(t)) pages++;
        }
        if (length !== 8 + count * 8 + pages * 4096) problems.push(`${name}: PAGE_DATA length ${length}, expected ${8 + count * 8 + pages * 4096}`);
        break;
      }
      case 0x02:
        if (pvInfoSeen) problems.push(`${name}: second X86_PV_INFO`);
        pvInfoSeen = true;
        if (length !== 8) problems.push(`${name}: X86_PV_INFO length ${length}`);
        else {
          guestWidth = body[0]!;
          if (guestWidth !== 4 && guestWidth !== 8) problems.push(`${name}: guest width ${guestWidth}`);
          if (body[1] !== (guestWidth === 8 ? 4 : 3)) problems.push(`${name}: pt levels ${body[1]} with width ${guestWidth}`);
          if (bdv.getUint16(2, true) !== 0 || u32(4) !== 0) problems.push(`${name}: X86_PV_INFO reserved fields`);
        }
        break;
      case 0x03:
        if (version === 3 && sde !== 1) problems.push(`${name}: P2M_FRAMES before STATIC_DATA_END`);
        p2mSeen = true;
        if (length < 8 || length % 8 !== 0) problems.push(`${name}: P2M_FRAMES length ${length}`);
        break;
      case 0x04:
      case 0x05:
      case 0x06:
      case 0x0c:
        if (length < 8) problems.push(`${name}: vcpu record shorter than its header`);
        else if (u32(4) !== 0) problems.push(`${name}: vcpu record reserved word`);
        if (type === 0x04 && length !== 8 + (guestWidth === 8 ? 5168 : 2800)) problems.push(`${name}: BASIC context of ${length - 8} bytes`);
        if (type === 0x0c && (length - 8) % 16 !== 0) problems.push(`${name}: MSRS not a multiple of 16`);
        if (type === 0x06 && length !== 8 && length < 24) problems.push(`${name}: XSAVE shorter than xcr0 and xcr0_accum`);
        break;
      case 0x07:
        if (length !== 4096) problems.push(`${name}: SHARED_INFO length ${length}`);
        break;
      case 0x08:
        if (length !== 24) problems.push(`${name}: TSC_INFO length ${length}`);
        else if (u32(20) !== 0) problems.push(`${name}: TSC_INFO reserved word`);
        break;
      case 0x09:
        if (length === 0) problems.push(`${name}: empty HVM_CONTEXT`);
        break;
      case 0x0a:
        if (length < 8) problems.push(`${name}: HVM_PARAMS too short`);
        else {
          if (u32(4) !== 0) problems.push(`${name}: HVM_PARAMS reserved word`);
          if (length !== 8 + u32(0) * 16) problems.push(`${name}: HVM_PARAMS length ${length} for ${u32(0)} params`);
        }
        break;
      case 0x0b:
        problems.push(`${name}: deprecated TOOLSTACK record`);
        break;
      case 0x0d:
        if (length !== 0) problems.push(`${name}: VERIFY not empty`);
        break;
      case 0x0e:
        if (length !== 0) problems.push(`${name}: CHECKPOINT not empty`);
        if (layer !== "libxc") {
          inCheckpoint = true;
          inLibxl = true;
        }
        break;
      case 0x0f:
        problems.push(`${name}: CHECKPOINT_DIRTY_PFN_LIST in a stream`);
        break;
      case 0x10:
        if (version < 3) problems.push(`${name}: STATIC_DATA_END in a version 2 stream`);
        sde++;
        if (sde > 1) problems.push(`${name}: second STATIC_DATA_END`);
        if (pageDataSeen || p2mSeen) problems.push(`${name}: STATIC_DATA_END after page data`);
        if (length !== 0) problems.push(`${name}: STATIC_DATA_END not empty`);
        break;
      case 0x11:
        if (version < 3) problems.push(`${name}: CPUID_POLICY in a version 2 stream`);
        if (length === 0 || length % 24 !== 0) problems.push(`${name}: CPUID_POLICY length ${length}`);
        break;
      case 0x12:
        if (version < 3) problems.push(`${name}: MSR_POLICY in a version 2 stream`);
        if (length === 0 || length % 16 !== 0) problems.push(`${name}: MSR_POLICY length ${length}`);
        else for (let i = 0; i < length; i += 16) if (u32(i + 4) !== 0) problems.push(`${name}: MSR_POLICY flags not zero`);
        break;
      default:
        break;
    }
    if (type === 0x00) {
      if (layer === "libxc") {
        ended = true;
        break;
      }
      inLibxl = true;
    }
  }
  if (ended && pos !== bytes.length) problems.push(`${bytes.length - pos} bytes after END`);
  if (domainType === 1 && !pvInfoSeen) problems.push("a PV stream without X86_PV_INFO");
  return { problems, layer, records, domainType, version };
}
