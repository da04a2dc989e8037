import { describe, expect, it } from "vitest";
import { Arch, GuestType, ImageType, type ImageSection, type KnownSection, encodeImage, verifyImage } from "../../generated/index.js";
import { exportXenStream, importXenStream, readXenStream, sameImage, XEN_CARRIER_SECTIONS } from "../../interop/xen-stream/index.js";
import { syntheticGuest } from "../../synthetic/guest.js";
import { checkXenStream } from "./xen-stream-checker.js";
import {
  concat,
  libxcHeaders,
  libxlHeader,
  pageData,
  record,
  recordsOf,
  sameBytes,
  typeSequence,
  u32le,
  u64le,
  xlConfig,
  xlHeader,
} from "./xen-stream-helpers.js";

// Streams built by hand, byte by byte from the specifications, as another saver could write them: the
// converter must keep every record (known or not) and give the same bytes back.

const OPTIONAL = 0x8000_1234;
const optionalRecord = record(OPTIONAL, new TextEncoder().encode("hello"));

/** A small HVM context blob: a HEADER record and the END record (hvm_save_descriptor framing, packed). */
function hvmBlob(): Uint8Array {
  const header = concat(u32le(0x54381286, 1), u64le(0xffff_ffff_ffff_ffffn), u32le(0x000906ea, 2_400_000));
  return concat(u32le(1, 24), header, u32le(0, 0)); // {typecode 1, instance 0, length 24}, body, {0, 0, 0}
}

function hvmRecords(): Uint8Array[] {
  return [
    record(0x11, u32le(0, 0xffff_ffff, 0xd, 0x756e6547, 0x6c65746e, 0x49656e69)),
    record(0x12, concat(u32le(0xce, 0), u64le(0x80000000n))),
    record(0x10),
    record(0x01, pageData([{ type: 0, pfn: 0 }, { type: 0, pfn: 1 }, { type: 0xf, pfn: 0xa0 }])),
    record(0x08, concat(u32le(0, 2_400_000), u64le(123_456_789n), u32le(1, 0))),
    record(0x09, hvmBlob()),
    record(0x0a, concat(u32le(1, 0), u64le(1n, 0xfeffen))),
  ];
}

function hvmLibxc(...extra: { at: number; rec: Uint8Array }[]): Uint8Array {
  const recs = hvmRecords();
  for (const e of [...extra].sort((a, b) => b.at - a.at)) recs.splice(e.at, 0, e.rec);
  return concat(libxcHeaders({ domainType: 2 }), ...recs, record(0));
}

function unknownSections(sections: readonly ImageSection[], id: number): (ImageSection & { type: "unknown" })[] {
  return sections.filter((s): s is ImageSection & { type: "unknown" } => s.type === "unknown" && s.id === id);
}

describe("hand-built libxc streams", () => {
  it("the hand-built HVM stream is valid (by the independent checker)", () => {
    expect(checkXenStream(hvmLibxc()).problems).toEqual([]);
  });

  for (const at of [0, 3, 7]) {
    it(`keeps an unknown optional record (at position ${at}) verbatim and gives the same bytes back`, () => {
      const stream = hvmLibxc({ at, rec: optionalRecord });
      expect(checkXenStream(stream).problems).toEqual([]);
      const image = importXenStream(stream);
      const carried = unknownSections(image.sections, XEN_CARRIER_SECTIONS.libxcRecord);
      expect(carried).toHaveLength(1);
      expect(carried[0]!.optional).toBe(true);
      expect(Array.from(carried[0]!.bytes)).toEqual(Array.from(optionalRecord));
      expect(verifyImage(image)).toEqual([]);
      expect(image.header).toMatchObject({ guestType: GuestType.hvm, arch: Arch.x86_64, imageType: ImageType.migration, xenMajor: 4, xenMinor: 19, pageShift: 12 });
      const again = exportXenStream(image, { layer: "libxc" });
      expect(sameBytes(again, stream)).toBe(true);
    });
  }

  it("maps every known record to its section", () => {
    const image = importXenStream(hvmLibxc());
    expect(image.sections.map((s) => (s.type === "unknown" ? s.id : s.type))).toEqual([
      XEN_CARRIER_SECTIONS.layout,
      "guest_config",
      "cpuid",
      "msr_policy",
      "page_data",
      "tsc_info",
      "hvm_context",
      "hvm_params",
    ]);
    const get = <T extends KnownSection["type"]>(t: T) => image.sections.find((s) => s.type === t) as KnownSection & { type: T };
    expect(get("cpuid").body).toEqual([{ leaf: 0, subleaf: 0xffff_ffff, eax: 0xd, ebx: 0x756e6547, ecx: 0x6c65746e, edx: 0x49656e69 }]);
    expect(get("msr_policy").body).toEqual([{ index: 0xce, value: 0x80000000n }]);
    expect(get("page_data").body.pfns).toEqual([{ type: 0, pfn: 0 }, { type: 0, pfn: 1 }, { type: 0xf, pfn: 0xa0 }]);
    expect(get("page_data").body.pages.map((p) => p[0])).toEqual([0, 1]);
    expect(get("tsc_info").body).toEqual({ mode: 0, khz: 2_400_000, nsec: 123_456_789n, incarnation: 1 });
    expect(get("hvm_context").body.records.map((r) => r.body.type)).toEqual(["header", "end"]);
    expect(get("hvm_params").body).toEqual([{ index: 1n, value: 0xfeffen }]);
    expect(get("guest_config").body.config).toBe("");
    // Header facts the records give: vcpus from the HVM CPU records (none: 1), memory from the highest
    // backed pfn (0xa0 is XTAB, not backed).
    expect(image.header.vcpuCount).toBe(1);
    expect(image.header.memorySize).toBe(2n * 4096n);
  });

  it("takes the configuration and image type it is given (like xl restore CONFIG FILE)", () => {
    const image = importXenStream(hvmLibxc(), { config: '{"c_info":{"name":"given"}}', imageType: ImageType.save });
    expect((image.sections[1] as KnownSection & { type: "guest_config" }).body.config).toBe('{"c_info":{"name":"given"}}');
    expect(image.header.name).toBe("given");
    expect(image.header.imageType).toBe(ImageType.save);
  });

  it("a version 2 stream (no STATIC_DATA_END, no policies) comes back as version 2, the same bytes; as version 3 with STATIC_DATA_END where its restorer implied it", () => {
    const v2records = hvmRecords().filter((r) => ![0x10, 0x11, 0x12].includes(new DataView(r.buffer, r.byteOffset).getUint32(0, true)));
    const v2 = concat(libxcHeaders({ domainType: 2, version: 2 }), ...v2records, record(0));
    expect(checkXenStream(v2, { strictTypes: true }).problems).toEqual([]);
    const image = importXenStream(v2);
    expect(verifyImage(image)).toEqual([]);
    expect(sameBytes(exportXenStream(image, { layer: "libxc" }), v2)).toBe(true);
    const v3 = exportXenStream(image, { layer: "libxc", version: 3 });
    expect(checkXenStream(v3, { strictTypes: true }).problems).toEqual([]);
    expect(typeSequence(v3)).toEqual(["10", "1", "8", "9", "a", "0"]);
    // Apart from the version and the inserted record, the bytes are the same.
    expect(sameBytes(v3, concat(libxcHeaders({ domainType: 2, version: 3 }), record(0x10), ...v2records, record(0)))).toBe(true);
  });

  it("keeps a PAGE_DATA record of more than 1024 pfns as it was (Xen's restorer takes one; its saver never writes one)", () => {
    const pfns = Array.from({ length: 1500 }, (_, pfn) => ({ type: pfn % 7 === 0 ? 0xf : 0, pfn }));
    const stream = concat(libxcHeaders({ domainType: 2 }), record(0x10), record(0x01, pageData(pfns)), record(0x09, hvmBlob()), record(0));
    const image = importXenStream(stream);
    const pages = image.sections.filter((s) => s.type === "page_data") as (KnownSection & { type: "page_data" })[];
    expect(pages.map((p) => p.body.pfns.length)).toEqual([1500]);
    expect(sameBytes(exportXenStream(image, { layer: "libxc" }), stream)).toBe(true);
    // Without the record it came from (an image of ours), the section is written in batches of 1024.
    const own = { header: image.header, sections: image.sections.filter((s) => !(s.type === "unknown" && (s.id === XEN_CARRIER_SECTIONS.override || s.id === XEN_CARRIER_SECTIONS.layout))) };
    const out = exportXenStream(own, { layer: "libxc" });
    expect(checkXenStream(out).problems).toEqual([]);
    const counts = recordsOf(out).filter((r) => r.type === 1).map((r) => new DataView(out.buffer, out.byteOffset + r.offset + 8).getUint32(0, true));
    expect(counts).toEqual([1024, 476]);
  });

  it("keeps a record whose body Xen accepts but our section cannot hold (an empty XSAVE, a VERIFY)", () => {
    const pv = pvStream({ extra: [record(0x06, u32le(0, 0)), record(0x0d)] });
    const image = importXenStream(pv);
    const carried = unknownSections(image.sections, XEN_CARRIER_SECTIONS.libxcRecord).map((s) => new DataView(s.bytes.buffer, s.bytes.byteOffset).getUint32(0, true));
    expect(carried).toEqual([0x06, 0x0d]);
    expect(sameBytes(exportXenStream(image, { layer: "libxc" }), pv)).toBe(true);
  });

  it("a stream whose XENIMAGE record does not match it is imported as a foreign stream, the record kept", () => {
    const ours = exportXenStream(syntheticGuest("hvm-x86_64"), { layer: "libxc", xenimageRecord: "always" });
    const recs = recordsOf(ours);
    // Drop the HVM_PARAMS record: the XENIMAGE record now names a record the stream lacks.
    const params = recs.find((r) => r.type === 0x0a)!;
    const cut = concat(ours.subarray(0, params.offset), ours.subarray(params.offset + 8 + params.length + ((8 - (params.length % 8)) % 8)));
    const image = importXenStream(cut);
    expect(unknownSections(image.sections, XEN_CARRIER_SECTIONS.libxcRecord)).toHaveLength(1);
    expect(image.sections.some((s) => s.type === "hvm_params")).toBe(false);
    expect(sameBytes(exportXenStream(image, { layer: "libxc" }), cut)).toBe(true);
  });
});

/**
 * A 64-bit PV guest's stream: vcpus 0 and 2 online (1 offline, or with an all-zero context when
 * `zeroVcpu1`), shared info with a non-zero padding byte.
 */
function pvStream(o: { extra?: Uint8Array[]; sharedInfoPad?: number; zeroVcpu1?: boolean } = {}): Uint8Array {
  const context = (vcpu: number): Uint8Array => {
    const c = new Uint8Array(5168);
    const dv = new DataView(c.buffer);
    dv.setBigUint64(512, 0x20n | 0x1n, true); // flags: online, i387 valid
    dv.setBigUint64(520 + 16 * 8, 0xffff_8000_0000_1000n + BigInt(vcpu), true); // rip-ish register slot
    dv.setBigUint64(5136, 1n << 2n, true); // vm_assist: writable page tables
    return concat(u32le(vcpu, 0), c);
  };
  const shared = new Uint8Array(4096);
  shared[0] = 1;
  shared[2] = o.sharedInfoPad ?? 0; // padding after evtchn_upcall_mask (Xen does not look at it)
  shared[3072] = 7; // wc_version
  return concat(
    libxcHeaders({ domainType: 1, xenMajor: 4, xenMinor: 17 }),
    record(0x02, Uint8Array.of(8, 4, 0, 0, 0, 0, 0, 0)),
    record(0x11, u32le(0, 0xffff_ffff, 0xd, 1, 2, 3)),
    record(0x12, concat(u32le(0xce, 0), u64le(0x80000000n))),
    record(0x10),
    record(0x03, concat(u32le(0, 1023), u64le(1022n, 1021n))), // pfns 0-1023: two frames of 512 entries
    record(0x01, pageData([{ type: 0xc, pfn: 1 }, { type: 0, pfn: 2 }, { type: 0xe, pfn: 1023 }])),
    record(0x08, concat(u32le(1, 1_000_000), u64le(5n), u32le(0, 0))),
    record(0x07, shared),
    record(0x04, context(0)),
    record(0x05, concat(u32le(0, 0), new Uint8Array(64).fill(9))),
    record(0x0c, concat(u32le(0, 0), u32le(0xc0000103, 0), u64le(42n))),
    ...(o.extra ?? []),
    ...(o.zeroVcpu1 === true ? [record(0x04, concat(u32le(1, 0), new Uint8Array(5168)))] : []),
    record(0x04, context(2)),
    record(0),
  );
}

describe("hand-built PV streams", () => {
  it("is valid by the checker and maps to a PV image whose rules hold", () => {
    const stream = pvStream();
    expect(checkXenStream(stream).problems).toEqual([]);
    const image = importXenStream(stream);
    expect(verifyImage(image)).toEqual([]);
    expect(image.header).toMatchObject({ guestType: GuestType.pv, arch: Arch.x86_64, vcpuCount: 3, xenMinor: 17, memorySize: 1024n * 4096n });
    const ext = image.sections.find((s) => s.type === "extended_info") as KnownSection & { type: "extended_info" };
    expect(ext.body).toEqual({ guestWidth: 8, ptLevels: 4, flags: 0x2, vcpuContextSize: 5168, xsaveSize: 0 });
    // extended_info moves after the policies, where our rules want it; the stream order is kept in the layout.
    expect(image.sections.map((s) => s.type).slice(2, 6)).toEqual(["cpuid", "msr_policy", "extended_info", "p2m_frame_list"]);
    expect(sameBytes(exportXenStream(image, { layer: "libxc" }), stream)).toBe(true);
  });

  it("an offline vcpu (no BASIC record) holds its place with an all-zero entry, is listed offline, and gets no record on export", () => {
    const image = importXenStream(pvStream());
    const i = image.sections.findIndex((s) => s.type === "vcpu_context");
    const vcpus = image.sections[i] as KnownSection & { type: "vcpu_context" };
    expect(vcpus.body).toHaveLength(3);
    expect((vcpus.body[1] as { flags: bigint }).flags).toBe(0n);
    expect((vcpus.body[2] as { flags: bigint }).flags).toBe(0x21n);
    const offline = image.sections[i + 1] as ImageSection & { type: "unknown" };
    expect(offline).toMatchObject({ type: "unknown", id: XEN_CARRIER_SECTIONS.offline, optional: true });
    expect(Array.from(new Uint32Array(offline.bytes.slice().buffer))).toEqual([1]);
    const out = exportXenStream(image, { layer: "libxc" });
    expect(recordsOf(out).filter((r) => r.type === 4).map((r) => new DataView(out.buffer, out.byteOffset + r.offset + 8).getUint32(0, true))).toEqual([0, 2]);
  });

  it("a vcpu whose BASIC context is all zeros is a record like any other: kept, and written back", () => {
    const stream = pvStream({ zeroVcpu1: true });
    const image = importXenStream(stream);
    const carriers = image.sections.filter((s) => s.type === "unknown" && s.id !== XEN_CARRIER_SECTIONS.layout);
    expect(carriers).toEqual([]); // neither listed offline nor needing its records kept: the section says it all
    const out = exportXenStream(image, { layer: "libxc" });
    expect(recordsOf(out).filter((r) => r.type === 4)).toHaveLength(3);
    expect(sameBytes(out, stream)).toBe(true);
    // An image of ours with an all-zero context (no Xen stream behind it) gives that vcpu a record too.
    const own = { header: image.header, sections: image.sections.filter((s) => s.type !== "unknown") };
    const ids = recordsOf(exportXenStream(own, { layer: "libxc" })).filter((r) => r.type === 4);
    expect(ids).toHaveLength(3);
  });

  it("keeps the exact shared-info record when our decoding ignores a byte, while the section still matches it", () => {
    const stream = pvStream({ sharedInfoPad: 0xaa });
    const image = importXenStream(stream);
    const i = image.sections.findIndex((s) => s.type === "shared_info");
    const override = image.sections[i + 1]!;
    expect(override).toMatchObject({ type: "unknown", id: XEN_CARRIER_SECTIONS.override, optional: true });
    expect(sameBytes(exportXenStream(image, { layer: "libxc" }), stream)).toBe(true);
    // Without the ignored byte nothing is kept besides the section.
    expect(importXenStream(pvStream()).sections.some((s) => s.type === "unknown" && s.id === XEN_CARRIER_SECTIONS.override)).toBe(false);
    // Edit the section: the kept record no longer decodes to it, so the section is written (padding zero).
    const shared = image.sections[i] as KnownSection & { type: "shared_info" };
    const edited = structuredClone(shared.body) as { sharedInfo: { wcVersion: number } };
    edited.sharedInfo.wcVersion = 9;
    const sections = image.sections.map((s, k) => (k === i ? ({ type: "shared_info", body: edited } as KnownSection) : s));
    const out = exportXenStream({ header: image.header, sections }, { layer: "libxc" });
    const rec = recordsOf(out).find((r) => r.type === 7)!;
    const page = out.subarray(rec.offset + 8, rec.offset + 8 + 4096);
    expect([page[2], page[3072]]).toEqual([0, 9]);
    const withRecord = exportXenStream({ header: image.header, sections }, { layer: "libxc", xenimageRecord: "auto" });
    expect(sameImage(importXenStream(withRecord), { header: image.header, sections })).toBe(true);
  });
});

describe("hand-built libxl streams and xl save files", () => {
  const xenstore = record(0x02, concat(u32le(2, 0), new TextEncoder().encode("physmap/1/start_addr\0f0000000\0")));
  const qemu = record(0x03, concat(u32le(2, 0), new TextEncoder().encode("QEVM"), new Uint8Array(13).fill(5)));

  function libxl(...libxcExtra: { at: number; rec: Uint8Array }[]): Uint8Array {
    const inner = hvmLibxc(...libxcExtra).subarray(0); // headers + records + END
    return concat(libxlHeader(), record(0x01), inner, xenstore, qemu, record(0));
  }

  it("maps the emulator records to the device model's sections, keeps an unknown optional libxc record, and gives the same bytes back", () => {
    const stream = libxl({ at: 4, rec: optionalRecord });
    expect(checkXenStream(stream).problems).toEqual([]);
    const image = importXenStream(stream);
    expect(unknownSections(image.sections, XEN_CARRIER_SECTIONS.libxlRecord)).toEqual([]);
    const dm = image.sections.filter((s) => s.type === "device_model_xenstore" || s.type === "device_model_state");
    expect(dm.map((s) => s.type)).toEqual(["device_model_xenstore", "device_model_state"]);
    expect(dm[0]!.body).toEqual({ emulatorId: 2, index: 0, data: new TextEncoder().encode("physmap/1/start_addr\0f0000000\0") });
    expect((dm[1] as KnownSection & { type: "device_model_state" }).body.state).toEqual(concat(new TextEncoder().encode("QEVM"), new Uint8Array(13).fill(5)));
    expect(verifyImage(image)).toEqual([]);
    expect(sameBytes(exportXenStream(image, { layer: "libxl" }), stream)).toBe(true);
  });

  it("exported as a libxc stream, the device model's sections travel in the XENIMAGE record (when asked for) and come back", () => {
    const image = importXenStream(libxl());
    expect(typeSequence(exportXenStream(image, { layer: "libxc" }))).not.toContain("8058494d");
    const out = exportXenStream(image, { layer: "libxc", xenimageRecord: "auto" });
    expect(checkXenStream(out).problems).toEqual([]);
    expect(typeSequence(out)[0]).toBe("8058494d");
    expect(sameImage(importXenStream(out), image)).toBe(true);
  });

  it("keeps a converted-from-legacy libxl stream's LEGACY option", () => {
    const stream = concat(libxlHeader(2), record(0x01), hvmLibxc(), record(0));
    expect(readXenStream(stream).libxlOptions).toBe(2);
    expect(sameBytes(exportXenStream(importXenStream(stream), { layer: "libxl" }), stream)).toBe(true);
  });

  it("a checkpointed libxl stream (Remus): libxl records between CHECKPOINT and CHECKPOINT_END, then the next round", () => {
    const round2 = [record(0x01, pageData([{ type: 0, pfn: 1 }])), record(0x09, hvmBlob())];
    const inner = concat(libxcHeaders({ domainType: 2 }), ...hvmRecords(), record(0x0e));
    const stream = concat(libxlHeader(), record(0x01), inner, qemu, record(0x04), ...round2, record(0x0e), qemu, record(0x04), record(0), record(0));
    expect(checkXenStream(stream).problems).toEqual([]);
    const image = importXenStream(stream);
    expect(image.header.imageType).toBe(ImageType.migration);
    expect(image.sections.filter((s) => s.type === "checkpoint")).toHaveLength(2);
    expect(verifyImage(image)).toEqual([]);
    expect(sameBytes(exportXenStream(image, { layer: "libxl" }), stream)).toBe(true);
  });

  it("an xl save file: the JSON config becomes guest_config and names the guest; flags, tail and form are kept", () => {
    const json = JSON.stringify({ c_info: { type: "hvm", name: "web01", uuid: "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0" }, b_info: { max_vcpus: 4, max_memkb: 1048576 } });
    const optionalData = concat(xlConfig(json), Uint8Array.of(1, 2, 3)); // a tail xl skips
    const stream = concat(xlHeader({ optionalData, optional: 0x10 }), libxl());
    expect(checkXenStream(stream).problems).toEqual([]);
    const image = importXenStream(stream);
    expect((image.sections[1] as KnownSection & { type: "guest_config" }).body.config).toBe(json);
    expect(image.header).toMatchObject({ name: "web01", vcpuCount: 4, memorySize: 1n << 30n, imageType: ImageType.save });
    expect(image.header.uuid).toBe("0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0");
    // The header holds the 16 bytes in the order the text gives them.
    expect(Array.from(encodeImage(image).subarray(48, 64))).toEqual([0x0f, 0x1e, 0x2d, 0x3c, 0x4b, 0x5a, 0x69, 0x78, 0x87, 0x96, 0xa5, 0xb4, 0xc3, 0xd2, 0xe1, 0xf0]);
    expect(sameBytes(exportXenStream(image, { layer: "xl" }), stream)).toBe(true);
    // A config without its NUL (not what xl writes, but what it reads) is kept as it was too.
    const bare = concat(xlHeader({ optionalData: xlConfig(json, false) }), libxl());
    expect(sameBytes(exportXenStream(importXenStream(bare), { layer: "xl" }), bare)).toBe(true);
    // Optional data that is no configuration at all is kept verbatim.
    const odd = concat(xlHeader({ mandatory: 2, optionalData: Uint8Array.of(0xff, 0xff, 0xff, 0xff, 1) }), libxl());
    const oddImage = importXenStream(odd);
    expect((oddImage.sections[1] as KnownSection & { type: "guest_config" }).body.config).toBe("");
    expect(sameBytes(exportXenStream(oddImage, { layer: "xl" }), odd)).toBe(true);
  });
});
