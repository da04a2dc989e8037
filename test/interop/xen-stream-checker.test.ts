import { describe, expect, it } from "vitest";
import { ByteReader, ByteWriter } from "../../runtime/index.js";
import {
  decodeLibxcImageHeader,
  decodeLibxcRecord,
  decodeXenStreamLayout,
  encodeLibxcImageHeader,
  encodeLibxcRecord,
  encodeXenStreamLayout,
} from "../../generated/xen_libxc/index.js";
import { decodeLibxlRecord, decodeLibxlStreamHeader, encodeLibxlStreamHeader } from "../../generated/xen_libxl/index.js";
import { decodeXlConfigData, decodeXlSaveHeader, encodeXlSaveHeader } from "../../generated/xen_xl/index.js";
import { exportXenStream } from "../../interop/xen-stream/index.js";
import { syntheticGuest } from "../../synthetic/guest.js";
import { checkXenStream } from "./xen-stream-checker.js";
import { concat, insertAt, libxcHeaders, libxlHeader, pageData, record, recordsOf, u32le, xlConfig, xlHeader } from "./xen-stream-helpers.js";

// The checker that judges the exported streams must itself catch every fault it claims to check.

describe("the Xen stream checker catches what it checks", () => {
  const good = exportXenStream(syntheticGuest("pv-x86_64"), { layer: "libxl" });
  const recs = recordsOf(good);
  const at = (type: number) => recs.find((r) => r.type === type && r.layer === "libxc")!;

  it("passes a good stream", () => {
    expect(checkXenStream(good).problems).toEqual([]);
  });

  it("flags non-zero padding, a reserved word, bytes after END, a missing END", () => {
    const pad = good.slice();
    const r = at(0x02); // X86_PV_INFO: 8 bytes, no padding; use the TSC record's reserved word instead
    pad[at(0x08).offset + 8 + 20] = 1;
    expect(checkXenStream(pad).problems.join()).toMatch(/TSC_INFO reserved word/);
    const info = good.slice();
    info[r.offset + 8 + 3] = 1;
    expect(checkXenStream(info).problems.join()).toMatch(/X86_PV_INFO reserved fields/);
    const odd = concat(libxcHeaders({ domainType: 2 }), record(0x10), record(0x80000001, Uint8Array.of(1, 2, 3)), record(0));
    odd[40 + 8 + 8 + 3] = 9;
    expect(checkXenStream(odd).problems.join()).toMatch(/non-zero padding/);
    expect(checkXenStream(concat(good, new Uint8Array(8))).problems.join()).toMatch(/8 bytes after END/);
    expect(checkXenStream(good.subarray(0, good.length - 8)).problems.join()).toMatch(/without an END/);
  });

  it("flags PAGE_DATA over 1024 pfns, before STATIC_DATA_END, of a reserved type, of the wrong length", () => {
    const pfns = Array.from({ length: 1025 }, (_, pfn) => ({ type: 0xf, pfn }));
    const big = concat(libxcHeaders({ domainType: 2 }), record(0x10), record(0x01, pageData(pfns)), record(0));
    expect(checkXenStream(big).problems.join()).toMatch(/count 1025/);
    const early = concat(libxcHeaders({ domainType: 2 }), record(0x01, pageData([{ type: 0, pfn: 1 }])), record(0x10), record(0));
    expect(checkXenStream(early).problems.join()).toMatch(/PAGE_DATA before STATIC_DATA_END/);
    const twice = concat(libxcHeaders({ domainType: 2 }), record(0x10), record(0x10), record(0));
    expect(checkXenStream(twice).problems.join()).toMatch(/second STATIC_DATA_END/);
    const none = concat(libxcHeaders({ domainType: 2 }), record(0));
    expect(checkXenStream(none).problems.join()).toMatch(/0 STATIC_DATA_END/);
    const reserved = concat(libxcHeaders({ domainType: 2 }), record(0x10), record(0x01, pageData([{ type: 6, pfn: 1 }])), record(0));
    expect(checkXenStream(reserved).problems.join()).toMatch(/invalid page type/);
    const short = concat(libxcHeaders({ domainType: 2 }), record(0x10), record(0x01, pageData([{ type: 0, pfn: 1 }]).subarray(0, 100)), record(0));
    expect(checkXenStream(short).problems.join()).toMatch(/PAGE_DATA length/);
  });

  it("flags a length over 128 MiB, a wrong version, big-endian options, unknown types (optional ones only when strict)", () => {
    const huge = concat(libxcHeaders({ domainType: 2 }), record(0x10), u32le(0x09, 128 * 1024 * 1024 + 8));
    expect(checkXenStream(huge).problems.join()).toMatch(/over 128 MiB/);
    expect(checkXenStream(concat(libxcHeaders({ domainType: 2, version: 4 }), record(0x10), record(0))).problems.join()).toMatch(/version 4, 2 or 3 expected/);
    expect(checkXenStream(concat(libxcHeaders({ domainType: 2, version: 2 }), record(0x10), record(0))).problems.join()).toMatch(/STATIC_DATA_END in a version 2 stream/);
    expect(checkXenStream(concat(libxcHeaders({ domainType: 2, version: 2 }), record(0x11, new Uint8Array(24)), record(0))).problems.join()).toMatch(/CPUID_POLICY in a version 2 stream/);
    expect(checkXenStream(concat(libxcHeaders({ domainType: 2, version: 2 }), record(0))).problems).toEqual([]);
    expect(checkXenStream(concat(libxcHeaders({ domainType: 3 }), record(0x10), record(0))).problems.join()).toMatch(/domain type 3/);
    expect(checkXenStream(concat(libxcHeaders({ domainType: 2, options: 1 }), record(0x10), record(0))).problems.join()).toMatch(/options/);
    const optional = insertAt(good, at(0x11).offset, record(0x80000005, Uint8Array.of(1)));
    expect(checkXenStream(optional).problems).toEqual([]);
    expect(checkXenStream(optional, { strictTypes: true }).problems.join()).toMatch(/unrecognised record type/);
    expect(checkXenStream(insertAt(good, at(0x11).offset, record(0x13))).problems.join()).toMatch(/unrecognised record type/);
  });

  it("flags the layers: xl flags and config, libxl options, emulator records of a PV guest", () => {
    const body = concat(libxlHeader(), record(1), libxcHeaders({ domainType: 2 }), record(0x10), record(0), record(0));
    expect(checkXenStream(concat(xlHeader({ mandatory: 1, optionalData: xlConfig("{}") }), body)).problems.join()).toMatch(/STREAMv2/);
    expect(checkXenStream(concat(xlHeader({ optionalData: xlConfig("{}", false) }), body)).problems.join()).toMatch(/terminating NUL/);
    expect(checkXenStream(concat(libxlHeader(1), record(1), libxcHeaders({ domainType: 2 }), record(0x10), record(0), record(0))).problems.join()).toMatch(/libxl: options/);
    const pvEmu = concat(libxlHeader(), record(1), libxcHeaders({ domainType: 1 }), record(0x02, Uint8Array.of(8, 4, 0, 0, 0, 0, 0, 0)), record(0x10), record(0), record(3, new Uint8Array(8)), record(0));
    expect(checkXenStream(pvEmu).problems.join()).toMatch(/emulator record for a PV guest/);
    const hvm = (...libxl: Uint8Array[]) => concat(libxlHeader(), record(1), libxcHeaders({ domainType: 2 }), record(0x10), record(0), ...libxl, record(0));
    expect(checkXenStream(hvm(record(3, u32le(3, 0)))).problems.join()).toMatch(/emulator id 3/);
    const kv = (text: string) => record(2, concat(u32le(2, 0), new TextEncoder().encode(text)));
    expect(checkXenStream(hvm(kv("a\0b\0"))).problems).toEqual([]);
    expect(checkXenStream(hvm(kv("/a\0b\0"))).problems.join()).toMatch(/xenstore key "\/a"/);
    expect(checkXenStream(hvm(kv("a\0b"))).problems.join()).toMatch(/not NUL-terminated/);
    expect(checkXenStream(hvm(kv("a\0"))).problems.join()).toMatch(/not pairs/);
    expect(checkXenStream(hvm(record(5, u32le(0, 0)))).problems.join()).toMatch(/CHECKPOINT_STATE/);
  });

  it("flags what Xen's restorer refuses inside records: a width with the wrong levels, an empty policy", () => {
    const pv = (info: Uint8Array) => concat(libxcHeaders({ domainType: 1 }), record(0x02, info), record(0x10), record(0));
    expect(checkXenStream(pv(Uint8Array.of(8, 4, 0, 0, 0, 0, 0, 0))).problems).toEqual([]);
    expect(checkXenStream(pv(Uint8Array.of(4, 3, 0, 0, 0, 0, 0, 0))).problems).toEqual([]);
    expect(checkXenStream(pv(Uint8Array.of(8, 3, 0, 0, 0, 0, 0, 0))).problems.join()).toMatch(/pt levels 3 with width 8/);
    expect(checkXenStream(concat(libxcHeaders({ domainType: 2 }), record(0x12), record(0x10), record(0))).problems.join()).toMatch(/MSR_POLICY length 0/);
  });
});

describe("the schemas' codecs (generated/xen_libxc, xen_libxl, xen_xl)", () => {
  it("the libxc image header is big-endian whatever the stream's byte order", () => {
    const w = new ByteWriter({ littleEndian: true });
    encodeLibxcImageHeader(w, { version: 3, options: { bigEndian: 0 } });
    const bytes = w.finish();
    expect(Array.from(bytes)).toEqual([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x58, 0x45, 0x4e, 0x46, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect(decodeLibxcImageHeader(new ByteReader(bytes))).toEqual({ version: 3, options: { bigEndian: 0 } });
    const reserved = bytes.slice();
    reserved[16] = 0x80; // options bit 15
    expect(() => decodeLibxcImageHeader(new ByteReader(reserved))).toThrowError(/reserved bits of libxc_image_options/);
  });

  it("a record keeps an unknown optional type's body, computes the length and pads with zeros", () => {
    const w = new ByteWriter({ littleEndian: true });
    encodeLibxcRecord(w, { body: { type: "unknown", selector: 0x8000_0042, bytes: Uint8Array.of(1, 2, 3) } });
    const bytes = w.finish();
    expect(Array.from(bytes)).toEqual([0x42, 0, 0, 0x80, 3, 0, 0, 0, 1, 2, 3, 0, 0, 0, 0, 0]);
    expect(decodeLibxcRecord(new ByteReader(bytes))).toEqual({ body: { type: "unknown", selector: 0x8000_0042, bytes: Uint8Array.of(1, 2, 3) } });
    const tsc = new ByteWriter({ littleEndian: true });
    encodeLibxcRecord(tsc, { body: { type: "x86_tsc_info", value: { mode: 1, khz: 2, nsec: 3n, incarnation: 4 } } });
    expect(Array.from(tsc.finish().subarray(0, 8))).toEqual([8, 0, 0, 0, 24, 0, 0, 0]);
    const bad = bytes.slice();
    bad[12] = 1;
    expect(() => decodeLibxcRecord(new ByteReader(bad))).toThrowError(/not zero|non-zero/);
  });

  it("libxl's header and records, xl's header and config data", () => {
    const w = new ByteWriter();
    encodeLibxlStreamHeader(w, { version: 2, options: { bigEndian: 0, legacy: 1 } });
    expect(Array.from(w.finish())).toEqual(Array.from(libxlHeader(2)));
    expect(decodeLibxlStreamHeader(new ByteReader(libxlHeader(2)))).toEqual({ version: 2, options: { bigEndian: 0, legacy: 1 } });
    const emu = record(3, concat(u32le(2, 0), Uint8Array.of(0x51, 0x45, 0x56, 0x4d)));
    expect(decodeLibxlRecord(new ByteReader(emu))).toEqual({ body: { type: "emulator_context", value: { emulatorId: 2, index: 0, blob: Uint8Array.of(0x51, 0x45, 0x56, 0x4d) } } });
    const xl = xlHeader({ optionalData: xlConfig("{}") });
    const h = decodeXlSaveHeader(new ByteReader(xl));
    expect(h.mandatoryFlags).toBe(3);
    expect(decodeXlConfigData(new ByteReader(h.optionalData))).toEqual({ config: Uint8Array.of(0x7b, 0x7d, 0), tail: new Uint8Array(0) });
    const again = new ByteWriter();
    encodeXlSaveHeader(again, h);
    expect(Array.from(again.finish())).toEqual(Array.from(xl));
  });

  it("the xen_stream_layout bridge body round-trips", () => {
    const layout = { layer: 3, libxcVersion: 2, xlConfigForm: 1, domainType: 2, libxlOptions: 2, xlMandatoryFlags: 3, xlOptionalFlags: 0, xlTail: Uint8Array.of(9), tokens: [{ layer: 2, type: 1, section: 0xffff_ffff }, { layer: 1, type: 0x10, section: 0xffff_ffff }] };
    const w = new ByteWriter();
    encodeXenStreamLayout(w, layout);
    const bytes = w.finish();
    expect(bytes.length).toBe(28 + 1 + 3 + 2 * 12); // fixed fields, the tail, padding to 8, two tokens
    expect(decodeXenStreamLayout(new ByteReader(bytes))).toEqual(layout);
  });
});
