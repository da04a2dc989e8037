import { describe, expect, it } from "vitest";
import { type ImageInit, type KnownSection, verifyImage } from "../../generated/index.js";
import { exportXenStream, importXenStream, XEN_CARRIER_SECTIONS } from "../../interop/xen-stream/index.js";
import { DecodeError } from "../../runtime/index.js";
import { syntheticGuest } from "../../synthetic/guest.js";
import { checkXenStream } from "./xen-stream-checker.js";
import { concat, libxcHeaders, libxlHeader, pageData, record, recordsOf, sameBytes, u32le, u64le, xlConfig, xlHeader } from "./xen-stream-helpers.js";
import { libxlParsesUuids, verifyStreamV2 } from "./xen-tools.js";

// Hand-built streams of every guest kind Xen saves, in both stream versions: Xen's verifier accepts
// them, and each imports to an image our verify accepts and exports back to the same bytes. Then what
// Xen's restorers refuse, refused here too, and what they accept however odd, accepted.

function decodeError(run: () => unknown): DecodeError {
  try {
    run();
  } catch (e) {
    if (e instanceof DecodeError) return e;
    throw e;
  }
  throw new Error("no error");
}

/** A small HVM context blob: HEADER and END records, `extra` after END (hvm_load never reads it). */
function hvmBlob(extra = new Uint8Array(0)): Uint8Array {
  const header = concat(u32le(0x54381286, 1), u64le(0xffff_ffff_ffff_ffffn), u32le(0x000906ea, 2_400_000));
  return concat(u32le(1, 24), header, u32le(0, 0), extra);
}

function vcpuContext(width: 4 | 8, vcpu: number): Uint8Array {
  const c = new Uint8Array(width === 8 ? 5168 : 2800);
  new DataView(c.buffer).setUint32(512, 0x21, true); // flags: online, i387 valid (low word either way)
  c[600] = vcpu + 1;
  return c;
}

/** A PV guest's libxc stream, as Xen's saver of that version writes it (v2: no policies, no STATIC_DATA_END). */
function pvStream(width: 4 | 8, version: 2 | 3, o: { sharedInfo?: boolean } = {}): Uint8Array {
  const v3 = version === 3;
  return concat(
    libxcHeaders({ domainType: 1, version }),
    record(0x02, Uint8Array.of(width, width === 8 ? 4 : 3, 0, 0, 0, 0, 0, 0)),
    ...(v3 ? [record(0x11, u32le(0, 0xffff_ffff, 0xd, 1, 2, 3)), record(0x12, concat(u32le(0xce, 0), u64le(1n))), record(0x10)] : []),
    record(0x03, concat(u32le(0, 511), u64le(900n))), // pfns 0-511: one frame whatever the width
    record(0x01, pageData([{ type: 0, pfn: 0 }, { type: width === 8 ? 0xc : 0xb, pfn: 1 }, { type: 0xf, pfn: 511 }])),
    record(0x08, concat(u32le(0, 1_000_000), u64le(5n), u32le(1, 0))),
    ...(o.sharedInfo === false ? [] : [record(0x07, new Uint8Array(4096).fill(0))]),
    record(0x04, concat(u32le(0, 0), vcpuContext(width, 0))),
    record(0x05, concat(u32le(0, 0), new Uint8Array(64).fill(9))),
    record(0x04, concat(u32le(1, 0), vcpuContext(width, 1))),
    record(0),
  );
}

/** An HVM guest's libxc stream, as Xen's saver of that version writes it. */
function hvmStream(version: 2 | 3, blob = hvmBlob(), ...extra: Uint8Array[]): Uint8Array {
  const v3 = version === 3;
  return concat(
    libxcHeaders({ domainType: 2, version }),
    ...(v3 ? [record(0x11, u32le(0, 0xffff_ffff, 0xd, 1, 2, 3)), record(0x12, concat(u32le(0xce, 0), u64le(1n))), record(0x10)] : []),
    record(0x01, pageData([{ type: 0, pfn: 0 }, { type: 0, pfn: 1 }])),
    record(0x08, concat(u32le(0, 1_000_000), u64le(5n), u32le(1, 0))),
    record(0x09, blob),
    record(0x0a, concat(u32le(1, 0), u64le(1n, 0xfeffen))),
    ...extra,
    record(0),
  );
}

const STREAMS = {
  "PV 64-bit": (v: 2 | 3) => pvStream(8, v),
  "PV 32-bit": (v: 2 | 3) => pvStream(4, v),
  HVM: (v: 2 | 3) => hvmStream(v),
};

describe("hand-built streams of every kind and version: Xen's verifier accepts them, and they come back", () => {
  for (const [kind, make] of Object.entries(STREAMS)) {
    for (const version of [2, 3] as const) {
      it(`${kind}, version ${version}`, () => {
        const stream = make(version);
        expect(verifyStreamV2(stream, "libxc")).toEqual({ status: 0, stderr: "" });
        const image = importXenStream(stream);
        expect(verifyImage(image)).toEqual([]);
        expect(sameBytes(exportXenStream(image, { layer: "libxc" }), stream)).toBe(true);
        // Inside a libxl stream too.
        const libxl = concat(libxlHeader(), record(0x01), stream, record(0));
        expect(sameBytes(exportXenStream(importXenStream(libxl), { layer: "libxl" }), libxl)).toBe(true);
      });
    }
  }
});

describe("Xen's rejections are ours", () => {
  it("domain type 3 (reserved: PVH guests are saved as HVM)", () => {
    const stream = hvmStream(3);
    new DataView(stream.buffer).setUint32(24, 3, true);
    expect(decodeError(() => importXenStream(stream))).toMatchObject({ section: "libxc domain header", path: "type", offset: 24 });
  });

  it("an emulator id of 3 or more", () => {
    for (const type of [2, 3]) {
      const body = type === 2 ? new TextEncoder().encode("a\0b\0") : new TextEncoder().encode("QEVM");
      const stream = concat(libxlHeader(), record(0x01), hvmStream(3), record(type, concat(u32le(3, 0), body)), record(0));
      const e = decodeError(() => importXenStream(stream));
      expect(e.message).toMatch(/emulator id 3: libxl's stream format defines 0-2/);
      expect(e.path).toBe("body.emulator_id");
    }
  });

  it("a guest width that contradicts the vcpu context size", () => {
    const stream = pvStream(8, 3);
    const info = recordsOf(stream).find((r) => r.type === 2)!;
    stream.set([4, 3], info.offset + 8); // X86_PV_INFO says 32-bit; the BASIC records are 5168 bytes
    const e = decodeError(() => importXenStream(stream));
    expect(e.message).toMatch(/5168-byte vcpu context contradicts X86_PV_INFO's guest width 4/);
    expect(e.section).toMatch(/X86_PV_VCPU_BASIC/);
  });

  it("a guest width with the wrong page-table depth", () => {
    const stream = pvStream(8, 3);
    stream[recordsOf(stream).find((r) => r.type === 2)!.offset + 9] = 3;
    expect(decodeError(() => importXenStream(stream))).toMatchObject({ section: "libxc record #0 X86_PV_INFO", path: "body.pt_levels" });
  });

  it("X86_PV_INFO changed under a XENIMAGE record: the records Xen restores from win over our copy, so the width-4 stream is refused", () => {
    // 2 MiB: 512 pfns, one p2m frame at either width, so the vcpu records are what contradicts width 4.
    const stream = exportXenStream(syntheticGuest("pv-x86_64", { memoryBytes: 2 * 1024 * 1024 }), { layer: "libxc", xenimageRecord: "always" });
    expect(importXenStream(stream).header.arch).toBe(2);
    const info = recordsOf(stream).find((r) => r.type === 2)!;
    stream.set([4, 3], info.offset + 8);
    expect(decodeError(() => importXenStream(stream)).message).toMatch(/contradicts X86_PV_INFO's guest width 4/);
  });

  it("no BASIC record for vcpu 0, no HVM context", () => {
    const pv = pvStream(8, 3);
    const basic0 = recordsOf(pv).find((r) => r.type === 4)!;
    new DataView(pv.buffer).setUint32(basic0.offset + 8, 2, true); // vcpu 0's record now says vcpu 2
    expect(decodeError(() => importXenStream(pv)).message).toMatch(/vcpu 0's state/);
    const hvm = concat(libxcHeaders({ domainType: 2 }), record(0x10), record(0x01, pageData([{ type: 0, pfn: 0 }])), record(0));
    expect(decodeError(() => importXenStream(hvm)).message).toMatch(/no HVM_CONTEXT record/);
  });

  it("a reserved page type is named as such, not as the page its sender put after it", () => {
    const body = concat(u32le(1, 0), u64le(5n << 60n), new Uint8Array(4096));
    const stream = concat(libxcHeaders({ domainType: 2 }), record(0x10), record(0x01, body), record(0x09, hvmBlob()), record(0));
    expect(decodeError(() => importXenStream(stream))).toMatchObject({ section: "libxc record #1 PAGE_DATA", path: "body.pfns[0].type" });
  });

  it("an HVM context that does not end with END, or whose records before END do not decode", () => {
    expect(decodeError(() => importXenStream(hvmStream(3, hvmBlob().subarray(0, 32)))).message).toMatch(/does not end with an END record/);
    const garbage = hvmBlob();
    garbage.set(u32le(2, 7), 0); // a CPU record of 7 bytes where the header was
    expect(decodeError(() => importXenStream(hvmStream(3, garbage)))).toMatchObject({ section: "libxc record #5 HVM_CONTEXT", path: "body.blob" });
  });
});

describe("lenient where Xen is lenient", () => {
  it("bytes after an HVM context's END record (hvm_load never reads them) are kept and written back", () => {
    const stream = hvmStream(3, hvmBlob(Uint8Array.of(0xde, 0xad, 0xbe, 0xef)));
    const image = importXenStream(stream);
    expect(verifyImage(image)).toEqual([]);
    const context = image.sections.find((s) => s.type === "hvm_context") as KnownSection & { type: "hvm_context" };
    expect(context.body.records.map((r) => r.body.type)).toEqual(["header", "end"]);
    expect(sameBytes(exportXenStream(image, { layer: "libxc" }), stream)).toBe(true);
  });

  it("records Xen applies one after the other: the last TSC and HVM context win, HVM_PARAMS merge", () => {
    const tsc2 = record(0x08, concat(u32le(2, 3_000_000), u64le(6n), u32le(2, 0)));
    const params2 = record(0x0a, concat(u32le(2, 0), u64le(1n, 0x1234n, 17n, 0x5678n)));
    const stream = hvmStream(3, hvmBlob(), tsc2, params2);
    const image = importXenStream(stream);
    expect(verifyImage(image)).toEqual([]);
    const get = <T extends KnownSection["type"]>(t: T) => image.sections.filter((s) => s.type === t) as (KnownSection & { type: T })[];
    expect(get("tsc_info").map((s) => s.body.khz)).toEqual([3_000_000]);
    expect(get("hvm_params").map((s) => s.body)).toEqual([[{ index: 1n, value: 0x1234n }, { index: 17n, value: 0x5678n }]]);
    expect(sameBytes(exportXenStream(image, { layer: "libxc" }), stream)).toBe(true);
  });

  it("BASIC records out of vcpu order, and a vcpu sending BASIC twice (the last wins), come back as they were", () => {
    const stream = pvStream(8, 3);
    const basics = recordsOf(stream).filter((r) => r.type === 4);
    const [b0, b1] = basics.map((r) => stream.slice(r.offset, r.offset + 8 + r.length));
    const again = stream.slice(basics[0]!.offset, basics[0]!.offset + 8 + basics[0]!.length);
    again[8 + 8 + 600] = 0x55; // vcpu 0's second BASIC differs from its first
    const end = basics[1]!.offset + 8 + basics[1]!.length;
    const swapped = concat(stream.subarray(0, basics[0]!.offset), b1!, stream.subarray(basics[0]!.offset + b0!.length, basics[1]!.offset), b0!, again, stream.subarray(end));
    const image = importXenStream(swapped);
    const vcpus = image.sections.find((s) => s.type === "vcpu_context") as KnownSection & { type: "vcpu_context" };
    expect(vcpus.body).toHaveLength(2);
    expect(sameBytes(exportXenStream(image, { layer: "libxc" }), swapped)).toBe(true);
    const w = exportXenStream({ header: image.header, sections: image.sections.filter((s) => s.type !== "unknown") }, { layer: "libxc" });
    const own = recordsOf(w).filter((r) => r.type === 4);
    expect(w[own[0]!.offset + 8 + 8 + 600]).toBe(0x55); // the last BASIC of vcpu 0 is the one the section holds
  });

  it("where we are stricter (README), the import fails naming the rule instead of giving an image verify refuses", () => {
    const e = decodeError(() => importXenStream(pvStream(8, 3, { sharedInfo: false })));
    expect(e.message).toMatch(/do not make a valid pv_x86_migration image: .*shared_info/);
    // A policy record in a later checkpoint round: Xen stores it and never applies it; our rules place
    // policies before the memory.
    const late = hvmStream(3, hvmBlob(), record(0x0e), record(0x11, u32le(0, 0xffff_ffff, 0xd, 1, 2, 3)));
    expect(decodeError(() => importXenStream(late)).message).toMatch(/do not make a valid hvm_x86_migration image: .*cpuid/);
  });
});

describe("xl configurations and libxl's uuid parser", () => {
  it("every xl export's c_info.uuid parses with libxl_uuid_from_string, which refuses the undashed form", () => {
    const uuids: string[] = [];
    for (const kind of ["pv-x86_64", "pv-x86_32", "hvm-x86_64"] as const) {
      const image = syntheticGuest(kind, { seed: kind.length });
      const stream = exportXenStream(image, { layer: "xl" });
      const length = new DataView(stream.buffer, stream.byteOffset).getUint32(48, true);
      const config = JSON.parse(new TextDecoder().decode(stream.subarray(52, 52 + length - 1))) as { c_info: { uuid: string } };
      expect(config.c_info.uuid).toBe(image.header.uuid);
      uuids.push(config.c_info.uuid);
    }
    const undashed = uuids.map((u) => u.replace(/-/g, ""));
    expect(libxlParsesUuids([...uuids, ...undashed])).toEqual([true, true, true, false, false, false]);
  });

  it("an xl save file whose configuration has a uuid libxl cannot parse is refused, naming the field", () => {
    const image = syntheticGuest("hvm-x86_64");
    const plain = exportXenStream(image, { layer: "xl" });
    const length = new DataView(plain.buffer, plain.byteOffset).getUint32(48, true);
    const text = new TextDecoder().decode(plain.subarray(52, 52 + length - 1));
    const bad = text.replace(image.header.uuid, image.header.uuid.replace(/-/g, ""));
    const stream = concat(xlHeader({ optionalData: xlConfig(bad) }), plain.subarray(48 + 4 + length));
    expect(checkXenStream(stream).problems).toEqual([]);
    expect(decodeError(() => importXenStream(stream))).toMatchObject({ section: "xl header", path: "config.c_info.uuid" });
  });

  it("an image's own uuid survives an xl round trip (what libxl parses is what we read)", () => {
    const image: ImageInit = syntheticGuest("pv-x86_64", { seed: 77 });
    const back = importXenStream(exportXenStream(image, { layer: "xl" }));
    expect(back.header.uuid).toBe(image.header.uuid);
    expect(back.sections.some((s) => s.type === "unknown" && s.id === XEN_CARRIER_SECTIONS.offline)).toBe(false);
  });
});
