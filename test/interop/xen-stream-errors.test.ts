import { describe, expect, it } from "vitest";
import { Arch, ImageType, type ImageInit } from "../../generated/index.js";
import { DecodeError, EncodeError } from "../../runtime/index.js";
import { exportXenStream, importXenStream } from "../../interop/xen-stream/index.js";
import { writeXenStream } from "../../interop/xen-stream/framing.js";
import { syntheticCoreImage, syntheticGuest } from "../../synthetic/guest.js";
import { concat, libxcHeaders, libxlHeader, pageData, record, u32le, u64le, xlConfig, xlHeader } from "./xen-stream-helpers.js";

/** The DecodeError importing `bytes` throws. */
function decodeError(bytes: Uint8Array): DecodeError {
  try {
    importXenStream(bytes);
  } catch (e) {
    if (e instanceof DecodeError) return e;
    throw new Error(`not a DecodeError: ${String(e)}`);
  }
  throw new Error("no error");
}

const HDR = libxcHeaders({ domainType: 2 }); // 40 bytes: records start at 0x28
const SDE = record(0x10);
const END = record(0);
const PAGE = record(0x01, pageData([{ type: 0, pfn: 5 }]));
const HVM_CTX = record(0x09, concat(u32le(0, 0))); // an END descriptor alone

describe("importing bad streams: typed errors naming the offset, the record and the field", () => {
  it("not a Xen stream at all", () => {
    const e = decodeError(new Uint8Array(64).fill(7));
    expect(e.code).toBe("unsupported");
    expect(e.offset).toBe(0);
    expect(e.message).toMatch(/not a Xen stream/);
  });

  it("a bad libxc id", () => {
    const bad = concat(HDR, SDE, END);
    bad[8] = 0x59;
    const e = decodeError(bad);
    expect(e.section).toBe("libxc image header");
    expect(e.path).toBe("id");
    expect(e.offset).toBe(8);
  });

  it("an unknown version, a big-endian stream, a page size Xen's restorer refuses, reserved domain-header bits", () => {
    expect(decodeError(concat(libxcHeaders({ domainType: 2, version: 4 }), SDE, END))).toMatchObject({ section: "libxc image header", path: "version", offset: 12 });
    expect(decodeError(concat(libxcHeaders({ domainType: 2, options: 1 }), SDE, END))).toMatchObject({ section: "libxc image header", path: "options", offset: 16 });
    expect(decodeError(concat(libxcHeaders({ domainType: 2, options: 2 }), SDE, END))).toMatchObject({ section: "libxc image header", path: "options" });
    expect(decodeError(concat(libxcHeaders({ domainType: 2, pageShift: 16 }), SDE, END))).toMatchObject({ section: "libxc domain header", path: "page_shift", offset: 28 });
    expect(decodeError(concat(libxcHeaders({ domainType: 4 }), SDE, END))).toMatchObject({ section: "libxc domain header", path: "type", offset: 24 });
    // Type 3 is reserved (PVH guests are saved as HVM): x86_hvm_setup and x86_pv_setup both refuse it.
    expect(decodeError(concat(libxcHeaders({ domainType: 3 }), SDE, END))).toMatchObject({ code: "unsupported", section: "libxc domain header", path: "type", offset: 24 });
    const reserved = concat(HDR, SDE, END);
    reserved[30] = 1;
    expect(decodeError(reserved)).toMatchObject({ section: "libxc domain header", path: "reserved" });
  });

  it("a stream cut inside a record", () => {
    const whole = concat(HDR, SDE, PAGE, HVM_CTX, END);
    const e = decodeError(whole.subarray(0, 0x28 + 8 + 8 + 100));
    expect(e.code).toBe("truncated");
    expect(e.section).toBe("libxc record #1 PAGE_DATA");
    expect(e.path).toBe("body");
    expect(e.offset).toBe(0x28 + 8 + 8);
    const e2 = decodeError(whole.subarray(0, 0x28 + 8 + 3));
    expect(e2).toMatchObject({ code: "truncated", section: "libxc record #1", offset: 0x30 });
  });

  it("a non-zero padding byte", () => {
    const bad = concat(HDR, SDE, record(0x11, u32le(0, 0, 0, 0, 0, 0)), record(0x80000001, Uint8Array.of(1, 2, 3)), END);
    const at = 0x28 + 8 + 32 + 8 + 3 + 2;
    bad[at] = 0xee;
    const e = decodeError(bad);
    expect(e).toMatchObject({ section: "libxc record #2 type 0x80000001 (optional)", path: "padding", offset: at });
  });

  it("a record longer than 128 MiB, before anything is allocated", () => {
    const bad = concat(HDR, SDE, u32le(0x09, 128 * 1024 * 1024 + 1), new Uint8Array(16));
    const e = decodeError(bad);
    expect(e).toMatchObject({ section: "libxc record #1 HVM_CONTEXT", path: "length", offset: 0x28 + 8 + 4 });
    expect(e.message).toMatch(/REC_LENGTH_MAX/);
  });

  it("an unknown mandatory record (the restorer must fail) while an unknown optional one is kept", () => {
    const e = decodeError(concat(HDR, SDE, record(0x13, Uint8Array.of(1)), END));
    expect(e).toMatchObject({ section: "libxc record #1 type 0x13", path: "type", offset: 0x30 });
    expect(() => importXenStream(concat(HDR, SDE, record(0x80000013, Uint8Array.of(1)), PAGE, HVM_CTX, END))).not.toThrow();
  });

  it("bytes after END", () => {
    const e = decodeError(concat(HDR, SDE, PAGE, HVM_CTX, END, new Uint8Array(8)));
    expect(e.message).toMatch(/8 bytes after the END record/);
    expect(e.offset).toBe(0x28 + 8 + PAGE.length + HVM_CTX.length + 8);
  });

  it("STATIC_DATA_END missing before PAGE_DATA (version 3), twice, or not empty", () => {
    expect(decodeError(concat(HDR, PAGE, SDE, END))).toMatchObject({ section: "libxc record #0 PAGE_DATA", offset: 0x28 });
    expect(decodeError(concat(HDR, SDE, SDE, END))).toMatchObject({ section: "libxc record #1 STATIC_DATA_END" });
    expect(decodeError(concat(HDR, record(0x10, Uint8Array.of(0)), END))).toMatchObject({ section: "libxc record #0 STATIC_DATA_END", path: "length" });
    // Version 2: implied before the first PAGE_DATA, so an explicit one after it is a second one.
    expect(decodeError(concat(libxcHeaders({ domainType: 2, version: 2 }), PAGE, SDE, END)).message).toMatch(/after PAGE_DATA/);
  });

  it("PAGE_DATA with no pfn, a reserved page type, reserved pfn bits or pages missing", () => {
    expect(decodeError(concat(HDR, SDE, record(0x01, u32le(0, 0)), END))).toMatchObject({ section: "libxc record #1 PAGE_DATA", path: "body.count", offset: 0x38 });
    const type5 = decodeError(concat(HDR, SDE, record(0x01, pageData([{ type: 0, pfn: 1 }, { type: 5, pfn: 2 }])), END));
    expect(type5).toMatchObject({ section: "libxc record #1 PAGE_DATA", path: "body.pfns[1].type", offset: 0x38 + 8 + 8 + 7 });
    const reservedBits = concat(u32le(1, 0), u64le(1n << 55n | 3n), new Uint8Array(4096));
    expect(decodeError(concat(HDR, SDE, record(0x01, reservedBits), END))).toMatchObject({ section: "libxc record #1 PAGE_DATA", path: "body.pfns[0]" });
    const short = concat(u32le(2, 0), u64le(1n, 2n), new Uint8Array(4096));
    expect(decodeError(concat(HDR, SDE, record(0x01, short), END))).toMatchObject({ section: "libxc record #1 PAGE_DATA", path: "body.pages[1]" });
  });

  it("records of the wrong size, records of the other guest type, deprecated and back-channel records", () => {
    expect(decodeError(concat(HDR, SDE, record(0x08, new Uint8Array(16)), END))).toMatchObject({ section: "libxc record #1 X86_TSC_INFO", path: "length" });
    expect(decodeError(concat(HDR, SDE, record(0x08, concat(new Uint8Array(20), u32le(1))), END))).toMatchObject({ section: "libxc record #1 X86_TSC_INFO", path: "body.reserved" });
    expect(decodeError(concat(HDR, SDE, record(0x07, new Uint8Array(4096)), END))).toMatchObject({ section: "libxc record #1 SHARED_INFO", path: "type" });
    expect(decodeError(concat(HDR, SDE, record(0x0b, Uint8Array.of(1)), END))).toMatchObject({ code: "unsupported", section: "libxc record #1 TOOLSTACK" });
    expect(decodeError(concat(HDR, SDE, record(0x0f, new Uint8Array(8)), END))).toMatchObject({ code: "unsupported", section: "libxc record #1 CHECKPOINT_DIRTY_PFN_LIST" });
    expect(decodeError(concat(HDR, SDE, record(0x09), END))).toMatchObject({ section: "libxc record #1 HVM_CONTEXT", path: "body.blob" });
    const pv = libxcHeaders({ domainType: 1 });
    const info = record(0x02, Uint8Array.of(8, 4, 0, 0, 0, 0, 0, 0));
    expect(decodeError(concat(pv, info, SDE, record(0x0a, u32le(0, 0)), END))).toMatchObject({ section: "libxc record #2 HVM_PARAMS", path: "type" });
    expect(decodeError(concat(pv, record(0x02, Uint8Array.of(2, 4, 0, 0, 0, 0, 0, 0)), SDE, END))).toMatchObject({ section: "libxc record #0 X86_PV_INFO", path: "body.guest_width" });
    expect(decodeError(concat(pv, SDE, record(0x03, concat(u32le(0, 511), u64le(5n))), END))).toMatchObject({ section: "libxc record #1 X86_PV_P2M_FRAMES" });
    expect(decodeError(concat(pv, SDE, END)).message).toMatch(/without an X86_PV_INFO/);
    expect(decodeError(concat(pv, info, SDE, record(0x04, concat(u32le(0, 0), new Uint8Array(100))), END))).toMatchObject({ section: "libxc record #2 X86_PV_VCPU_BASIC", path: "body.context" });
    // A vcpu id that would make a huge vcpu_context array from a few bytes.
    expect(decodeError(concat(pv, info, SDE, record(0x04, concat(u32le(100_000, 0), new Uint8Array(5168))), END))).toMatchObject({ section: "libxc record #2 X86_PV_VCPU_BASIC", path: "body.vcpu_id", offset: 0x28 + 16 + 8 + 8 });
  });

  it("the libxl layer: version, ident, unknown record types, LIBXC_CONTEXT with a body, END before the libxc END", () => {
    const inner = concat(HDR, SDE, PAGE, HVM_CTX, END);
    expect(decodeError(concat(libxlHeader(0, 3), record(1), inner, END))).toMatchObject({ section: "libxl header", path: "version", offset: 8 });
    expect(decodeError(concat(libxlHeader(1), record(1), inner, END))).toMatchObject({ section: "libxl header", path: "options" });
    expect(decodeError(concat(libxlHeader(), record(1), inner, record(9), END))).toMatchObject({ section: `libxl record #${5} type 0x9`, path: "type" });
    expect(decodeError(concat(libxlHeader(), record(1, Uint8Array.of(1)), inner, END))).toMatchObject({ section: "libxl record #0 LIBXC_CONTEXT", path: "length" });
    expect(decodeError(concat(libxlHeader(), END))).toMatchObject({ section: "libxl record #0 END" });
    expect(decodeError(concat(libxlHeader(), record(1), inner, record(4), END))).toMatchObject({ section: "libxl record #5 CHECKPOINT_END" });
    expect(decodeError(concat(libxlHeader(), record(1), inner, record(2, Uint8Array.of(1)), END))).toMatchObject({ section: "libxl record #5 EMULATOR_XENSTORE_DATA", path: "length" });
  });

  it("the xl header: unknown mandatory flags, a legacy body, a bad byte order, a truncated config", () => {
    const body = concat(libxlHeader(), record(1), concat(HDR, SDE, PAGE, HVM_CTX, END), END);
    expect(decodeError(concat(xlHeader({ mandatory: 7, optionalData: xlConfig("{}") }), body))).toMatchObject({ section: "xl header", path: "mandatory_flags", offset: 36 });
    expect(decodeError(concat(xlHeader({ mandatory: 1, optionalData: xlConfig("{}") }), body))).toMatchObject({ code: "unsupported", section: "xl header", path: "mandatory_flags" });
    const be = concat(xlHeader({ optionalData: xlConfig("{}") }), body);
    new DataView(be.buffer).setUint32(32, 0x01020304, false);
    expect(decodeError(be)).toMatchObject({ section: "xl header", path: "byteorder", offset: 32 });
    const cut = concat(xlHeader({ optionalData: xlConfig("{}") })).subarray(0, 50);
    expect(decodeError(cut)).toMatchObject({ section: "xl header", path: "optional_data" });
  });
});

describe("exporting images Xen streams cannot hold: typed errors", () => {
  function encodeError(image: ImageInit, layer: "libxc" | "libxl" | "xl" = "libxc"): EncodeError {
    try {
      exportXenStream(image, { layer });
    } catch (e) {
      if (e instanceof EncodeError) return e;
      throw new Error(`not an EncodeError: ${String(e)}`);
    }
    throw new Error("no error");
  }

  it("a core image, an ARM guest, another page size", () => {
    expect(encodeError(syntheticCoreImage("pv-x86_64"))).toMatchObject({ section: "header", path: "image_type" });
    expect(encodeError(syntheticGuest("arm64"))).toMatchObject({ section: "header", path: "arch" });
    const g = syntheticGuest("hvm-x86_64");
    expect(encodeError({ ...g, header: { ...g.header, pageShift: 16 } })).toMatchObject({ section: "header", path: "page_shift" });
    expect(encodeError({ ...g, header: { ...g.header, arch: Arch.arm64 } }, "xl")).toMatchObject({ path: "arch" });
  });

  it("a p2m frame list beyond the 32-bit start and end of X86_PV_P2M_FRAMES", () => {
    const g = syntheticGuest("pv-x86_64");
    const i = g.sections.findIndex((s) => s.type === "p2m_frame_list");
    const sections = g.sections.map((s, k) => (k === i ? { type: "p2m_frame_list" as const, body: { startPfn: 1n << 32n, endPfn: (1n << 32n) + 10n, frames: BigUint64Array.of(1n) } } : s));
    const e = encodeError({ header: g.header, sections });
    expect(e.section).toBe(`p2m_frame_list #${i}`);
    expect(e.path).toBe("start_pfn");
  });

  it("a record over 128 MiB is refused before the stream is assembled", () => {
    const huge = new Uint8Array(128 * 1024 * 1024 + 1); // never written to: the check comes first
    const records = [
      { layer: "libxc" as const, type: 0x10, body: new Uint8Array(0), offset: -1, index: -1 },
      { layer: "libxc" as const, type: 0x09, body: huge, offset: -1, index: -1 },
    ];
    let error: unknown;
    try {
      writeXenStream({ layer: "libxc", domain: { type: 2, pageShift: 12, xenMajor: 4, xenMinor: 19 } }, records);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(EncodeError);
    expect(error).toMatchObject({ section: "libxc record #1 HVM_CONTEXT", path: "length" });
    expect((error as Error).message).toMatch(/REC_LENGTH_MAX/);
  });

  it("a page_data section whose pages do not match its pfn words", () => {
    const g = syntheticGuest("hvm-x86_64", { imageType: ImageType.save } as never);
    const i = g.sections.findIndex((s) => s.type === "page_data");
    const page = g.sections[i] as { type: "page_data"; body: { pfns: { type: number; pfn: number }[]; pages: Uint8Array[] } };
    const sections = g.sections.map((s, k) => (k === i ? { type: "page_data" as const, body: { pfns: page.body.pfns, pages: page.body.pages.slice(1) } } : s));
    const e = encodeError({ header: g.header, sections });
    expect(e.section).toBe(`page_data #${i}`);
    expect(e.path).toMatch(/pages/);
  });
  it("a body of the wrong shape (null, a number, a null element, an empty object) names its section, at every layer", () => {
    for (const guest of ["pv-x86_64", "hvm-x86_64"] as const) {
      const g = syntheticGuest(guest, { seed: 1, vcpus: 2 }, ImageType.save);
      g.sections.forEach((section, index) => {
        if (section.type === "unknown") return;
        for (const bad of [null, 7, [null], {}]) {
          const sections = g.sections.map((s, k) => (k === index ? { ...s, body: bad } : s)) as ImageInit["sections"];
          for (const layer of ["libxc", "libxl", "xl"] as const) {
            let e: unknown;
            try {
              exportXenStream({ header: g.header, sections }, { layer });
            } catch (thrown) {
              e = thrown;
            }
            expect(e, `${guest} ${section.type} ${JSON.stringify(bad)} ${layer}: ${String(e)}`).toBeInstanceOf(EncodeError);
            expect((e as EncodeError).section).toBe(`${section.type} #${index}`);
          }
        }
      });
    }
  });
});
