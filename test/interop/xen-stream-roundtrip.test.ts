import { describe, expect, it } from "vitest";
import {
  ByteOrder,
  decodeImage,
  encodeImage,
  imageFormat,
  type ImageHeader,
  type ImageInit,
  type ImageSection,
  ImageType,
  type KnownSection,
  verifyImage,
} from "../../generated/index.js";
import { decodeStreamToImage, encodeStream } from "../../runtime/index.js";
import { exportXenStream, headerInit, importXenStream, sameImage, sameSection, XEN_CARRIER_SECTIONS } from "../../interop/xen-stream/index.js";
import { syntheticGuest } from "../../synthetic/guest.js";
import { checkXenStream } from "./xen-stream-checker.js";
import { concat, recordsOf, sameBytes, typeSequence } from "./xen-stream-helpers.js";

const KINDS = ["pv-x86_64", "pv-x86_32", "hvm-x86_64"] as const;
const LAYERS = ["libxc", "libxl", "xl"] as const;

/**
 * The record types Xen's saver writes for a synthetic guest (xg_sr_save*.c, libxl_stream_write.c): version
 * 3 has the policies and STATIC_DATA_END, version 2 neither; an HVM guest's libxl stream ends with its
 * device model's xenstore data and context. XENIMAGE (only when asked for) comes first; in an xl save file
 * it is in the header's optional data instead.
 */
function expectedSequence(
  kind: (typeof KINDS)[number],
  layer: (typeof LAYERS)[number],
  o: { vcpus?: number; pageRecords?: number; xenimage?: boolean; version?: 2 | 3 } = {},
): string[] {
  const pv = kind.startsWith("pv");
  const v3 = (o.version ?? 3) === 3;
  const libxc = [
    ...(o.xenimage === true && layer !== "xl" ? ["8058494d"] : []),
    ...(pv ? ["2"] : []),
    ...(v3 ? ["11", "12", "10"] : []),
    ...(pv ? ["3"] : []),
    ...Array<string>(o.pageRecords ?? 1).fill("1"),
    "8",
    ...(pv ? ["7", ...Array.from({ length: o.vcpus ?? 2 }, () => ["4", "5", "c"]).flat()] : ["9", "a"]),
    "0",
  ];
  return layer === "libxc" ? libxc : ["l1", ...libxc, ...(pv ? [] : ["l2", "l3"]), "l0"];
}

function sectionNames(sections: readonly ImageSection[]): string[] {
  return sections.map((s) => (s.type === "unknown" ? `0x${s.id.toString(16)}` : s.type));
}

describe("synthetic guests as Xen streams", () => {
  for (const kind of KINDS) {
    for (const layer of LAYERS) {
      const image = syntheticGuest(kind);
      let exported: Uint8Array | undefined;
      // Exported inside the tests, so a failing exporter fails them rather than the file.
      const streamOf = (): Uint8Array => (exported ??= exportXenStream(image, { layer }));

      for (const version of [3, 2] as const) {
        it(`${kind} as ${layer}, version ${version}: by default exactly the records Xen's saver writes, in its order`, () => {
          const stream = version === 3 ? streamOf() : exportXenStream(image, { layer, version });
          const checked = checkXenStream(stream, { strictTypes: true });
          expect(checked.problems).toEqual([]);
          expect(checked.layer).toBe(layer);
          expect(checked.version).toBe(version);
          expect(checked.domainType).toBe(kind.startsWith("pv") ? 1 : 2);
          expect(typeSequence(stream)).toEqual(expectedSequence(kind, layer, { version }));
          // Imported and exported again (the version its layout recorded), the same bytes.
          expect(sameBytes(exportXenStream(importXenStream(stream), { layer }), stream)).toBe(true);
        });
      }

      it(`${kind} as ${layer}: our image → Xen (with XENIMAGE) → our image gives the same header and sections`, () => {
        const back = importXenStream(exportXenStream(image, { layer, xenimageRecord: "auto" }));
        expect(sectionNames(back.sections)).toEqual(sectionNames(image.sections));
        back.sections.forEach((s, i) => expect(sameSection(s, image.sections[i]!), `section ${i} ${s.type}`).toBe(true));
        expect(headerInit(back.header)).toEqual(headerInit(image.header));
        expect(sameImage(back, image)).toBe(true);
        expect(verifyImage(back)).toEqual([]);
      });

      it(`${kind} as ${layer}: Xen → our image → Xen gives the same bytes`, () => {
        const stream = streamOf();
        const again = exportXenStream(importXenStream(stream), { layer });
        expect(again.length).toBe(stream.length);
        expect(sameBytes(again, stream)).toBe(true);
      });
    }
  }

  it("an xl save file carries the guest configuration as xl writes it: JSON, its NUL, the JSON and STREAMv2 flags", () => {
    const image = syntheticGuest("pv-x86_64");
    const config = (image.sections[0] as KnownSection & { type: "guest_config" }).body.config;
    const bytes = new TextEncoder().encode(config);
    // By default the header is exactly what xl save writes: the configuration and nothing after it.
    const plain = exportXenStream(image, { layer: "xl" });
    const pdv = new DataView(plain.buffer, plain.byteOffset);
    expect(pdv.getUint32(36, true)).toBe(3); // JSON | STREAMv2
    expect(pdv.getUint32(40, true)).toBe(0);
    expect(pdv.getUint32(44, true)).toBe(4 + bytes.length + 1);
    expect(pdv.getUint32(48, true)).toBe(bytes.length + 1);
    expect(sameBytes(plain.subarray(52, 52 + bytes.length), bytes)).toBe(true);
    expect(plain[52 + bytes.length]).toBe(0);
    // Asked for, the XENIMAGE record goes after the configuration, where xl skips what it does not know.
    const stream = exportXenStream(image, { layer: "xl", xenimageRecord: "auto" });
    const dv = new DataView(stream.buffer, stream.byteOffset);
    expect(dv.getUint32(48, true)).toBe(bytes.length + 1);
    const tail = 52 + bytes.length + 1;
    const optionalEnd = 48 + dv.getUint32(44, true);
    expect(dv.getUint32(tail, true)).toBe(0x8058494d);
    expect(tail + 8 + dv.getUint32(tail + 4, true)).toBeLessThanOrEqual(optionalEnd);
    expect(optionalEnd - (tail + 8 + dv.getUint32(tail + 4, true))).toBeLessThan(8);
    expect(new TextDecoder().decode(stream.subarray(optionalEnd, optionalEnd + 8))).toBe("LibxlFmt");
  });

  it("an HVM guest's libxl stream and xl save file carry its device model's records: xenstore keys, then QEMU's save file", () => {
    for (const layer of ["libxl", "xl"] as const) {
      const stream = exportXenStream(syntheticGuest("hvm-x86_64"), { layer });
      const records = recordsOf(stream).filter((r) => r.layer === "libxl" && (r.type === 2 || r.type === 3));
      expect(records.map((r) => r.type)).toEqual([2, 3]);
      const dv = new DataView(stream.buffer, stream.byteOffset);
      const context = records[1]!.offset + 8;
      expect([dv.getUint32(context, true), dv.getUint32(context + 4, true)]).toEqual([2, 0]); // qemu-upstream, index 0
      // QEMU's file header, which its loadvm checks first: "QEVM", version 3, big-endian.
      expect(new TextDecoder().decode(stream.subarray(context + 8, context + 12))).toBe("QEVM");
      expect(dv.getUint32(context + 12, false)).toBe(3);
      expect(stream[context + records[1]!.length - 1]).toBe(0); // QEMU_VM_EOF
    }
  });

  it("splits a page_data section of more than 1024 pfns into PAGE_DATA records of 1024 and joins them again", () => {
    const image = syntheticGuest("hvm-x86_64", { memoryBytes: 12 * 1024 * 1024, batchPages: 2048 });
    expect(image.sections.filter((s) => s.type === "page_data").map((s) => (s as { body: { pfns: unknown[] } }).body.pfns.length)).toEqual([2048, 1024]);
    const stream = exportXenStream(image, { layer: "libxc" });
    const checked = checkXenStream(stream);
    expect(checked.problems).toEqual([]);
    const counts = checked.records.filter((r) => r.type === 1).map((r) => new DataView(stream.buffer, stream.byteOffset + r.offset + 8).getUint32(0, true));
    expect(counts).toEqual([1024, 1024, 1024]);
    expect(typeSequence(stream)).toEqual(expectedSequence("hvm-x86_64", "libxc", { pageRecords: 3 }));
    // The records alone give the pages back; with XENIMAGE, the sections as they were (2048, 1024) too.
    const pagesBack = importXenStream(stream).sections.filter((s) => s.type === "page_data") as (KnownSection & { type: "page_data" })[];
    expect(pagesBack.map((p) => p.body.pfns.length)).toEqual([1024, 1024, 1024]);
    expect(sameImage(importXenStream(exportXenStream(image, { layer: "libxc", xenimageRecord: "auto" })), image)).toBe(true);
  });

  it("more vcpus keep Xen's per-vcpu interleaving: BASIC, EXTENDED, MSRS for vcpu 0, then vcpu 1, …", () => {
    const image = syntheticGuest("pv-x86_64", { vcpus: 4 });
    const stream = exportXenStream(image, { layer: "libxl" });
    expect(checkXenStream(stream).problems).toEqual([]);
    expect(typeSequence(stream)).toEqual(expectedSequence("pv-x86_64", "libxl", { vcpus: 4 }));
    const vcpuIds = checkXenStream(stream)
      .records.filter((r) => r.type === 4 || r.type === 5 || r.type === 0xc)
      .map((r) => new DataView(stream.buffer, stream.byteOffset + r.offset + 8).getUint32(0, true));
    expect(vcpuIds).toEqual([0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3]);
    expect(sameImage(importXenStream(exportXenStream(image, { layer: "libxl", xenimageRecord: "auto" })), image)).toBe(true);
  });

  it("a migration image with checkpoints: each round ends with CHECKPOINT (libxl: then CHECKPOINT_END) and comes back", () => {
    const base = syntheticGuest("hvm-x86_64", {}, ImageType.migration);
    const pages = base.sections.filter((s) => s.type === "page_data") as (KnownSection & { type: "page_data" })[];
    const firstPage = pages[0]!.body;
    const dirty: ImageSection = { type: "page_data", body: { pfns: firstPage.pfns.slice(0, 3), pages: firstPage.pages.slice(0, 3) } };
    const tail = base.sections.filter((s) => s.type === "tsc_info" || s.type === "hvm_context" || s.type === "hvm_params");
    const image: ImageInit = { header: base.header, sections: [...base.sections, { type: "checkpoint", body: null }, dirty, ...tail] };
    expect(verifyImage(image)).toEqual([]);
    for (const layer of LAYERS) {
      const round1 = ["11", "12", "10", "1", "8", "9", "a", "e"];
      const round2 = ["1", "8", "9", "a"];
      // The device model's records of round 1 come between its CHECKPOINT and CHECKPOINT_END.
      const rounds = (x: string[]) => (layer === "libxc" ? [...x, ...round1, ...round2, "0"] : ["l1", ...x, ...round1, "l2", "l3", "l4", ...round2, "0", "l0"]);
      const plain = exportXenStream(image, { layer });
      expect(checkXenStream(plain, { strictTypes: true }).problems).toEqual([]);
      expect(typeSequence(plain)).toEqual(rounds([]));
      expect(sameBytes(exportXenStream(importXenStream(plain), { layer }), plain)).toBe(true);
      const stream = exportXenStream(image, { layer, xenimageRecord: "auto" });
      expect(checkXenStream(stream).problems).toEqual([]);
      expect(typeSequence(stream)).toEqual(rounds(layer === "xl" ? [] : ["8058494d"]));
      const back = importXenStream(stream);
      expect(sameImage(back, image)).toBe(true);
      expect(sameBytes(exportXenStream(back, { layer, xenimageRecord: "auto" }), stream)).toBe(true);
    }
  });

  it("a big-endian image gives the same (little-endian) Xen records and comes back big-endian", () => {
    for (const kind of KINDS) {
      const g = syntheticGuest(kind);
      const be = decodeImage(encodeImage({ ...g, header: { ...g.header, byteOrder: ByteOrder.big } }));
      expect(sameBytes(exportXenStream(be, { layer: "libxl", xenimageRecord: "never" }), exportXenStream(g, { layer: "libxl", xenimageRecord: "never" }))).toBe(true);
      const stream = exportXenStream(be, { layer: "xl", xenimageRecord: "auto" });
      expect(checkXenStream(stream).problems).toEqual([]);
      const back = importXenStream(stream);
      expect(back.header.byteOrder).toBe(ByteOrder.big);
      expect(sameImage(back, be)).toBe(true);
    }
  });

  it("an imported image encodes seekable and streamed, and both decode to it", async () => {
    for (const kind of KINDS) {
      const imported = importXenStream(exportXenStream(syntheticGuest(kind), { layer: "xl", xenimageRecord: "never" }));
      const seekable = decodeImage(encodeImage(imported));
      expect(sameImage(seekable, imported)).toBe(true);
      const chunks: Uint8Array[] = [];
      for await (const c of encodeStream(imageFormat, imported.header, imported.sections)) chunks.push(c);
      const streamed = await decodeStreamToImage<ImageHeader, KnownSection>(imageFormat, [concat(...chunks)]);
      expect(sameImage(streamed, imported)).toBe(true);
      // …and the decoded image exports to the same Xen stream as the one it was imported from.
      expect(sameBytes(exportXenStream(seekable, { layer: "xl" }), exportXenStream(imported, { layer: "xl" }))).toBe(true);
    }
  });
});

describe("xenimageRecord option", () => {
  it("in every mode, the stream re-exported from its import (same layer, same mode) is the same bytes", () => {
    const image = syntheticGuest("pv-x86_32", { vcpus: 3 });
    for (const layer of LAYERS) {
      for (const mode of ["auto", "always", "never"] as const) {
        const stream = exportXenStream(image, { layer, xenimageRecord: mode });
        expect(sameBytes(exportXenStream(importXenStream(stream), { layer, xenimageRecord: mode }), stream), `${layer} ${mode}`).toBe(true);
      }
    }
  });

  it("never: only Xen's record types, which the strict verifier accepts", () => {
    for (const kind of KINDS) {
      for (const layer of LAYERS) {
        const stream = exportXenStream(syntheticGuest(kind), { layer, xenimageRecord: "never" });
        expect(checkXenStream(stream, { strictTypes: true }).problems).toEqual([]);
        expect(typeSequence(stream)).toEqual(expectedSequence(kind, layer));
      }
    }
  });

  it("auto leaves XENIMAGE out when the records alone give the image back (an imported Xen stream)", () => {
    const plain = exportXenStream(syntheticGuest("hvm-x86_64"), { layer: "libxl", xenimageRecord: "never" });
    const imported = importXenStream(plain);
    const again = exportXenStream(imported, { layer: "libxl", xenimageRecord: "auto" });
    expect(typeSequence(again)).not.toContain("8058494d");
    expect(sameBytes(again, plain)).toBe(true);
    // Change what no record holds (the name) and the record comes back.
    const renamed = { ...imported, header: { ...imported.header, name: "renamed" } };
    const withRecord = exportXenStream(renamed, { layer: "libxl", xenimageRecord: "auto" });
    expect(typeSequence(withRecord)).toContain("8058494d");
    expect(sameImage(importXenStream(withRecord), renamed)).toBe(true);
  });

  it("always writes XENIMAGE even when it is not needed, and the image still comes back", () => {
    const imported = importXenStream(exportXenStream(syntheticGuest("pv-x86_32"), { layer: "libxc", xenimageRecord: "never" }));
    const stream = exportXenStream(imported, { layer: "libxc", xenimageRecord: "always" });
    expect(typeSequence(stream)[0]).toBe("8058494d");
    expect(checkXenStream(stream).problems).toEqual([]);
    expect(sameImage(importXenStream(stream), imported)).toBe(true);
  });

  it("never: exactly this is lost (the loss the README documents)", () => {
    for (const kind of KINDS) {
      for (const layer of ["libxc", "xl"] as const) {
        const image = syntheticGuest(kind);
        const back = importXenStream(exportXenStream(image, { layer, xenimageRecord: "never" }));
        const h0 = headerInit(image.header) as unknown as Record<string, unknown>;
        const h1 = headerInit(back.header) as unknown as Record<string, unknown>;
        const same = (a: unknown, b: unknown): boolean => (a instanceof Uint8Array && b instanceof Uint8Array ? sameBytes(a, b) : a === b);
        const changed = Object.keys(h0).filter((k) => !same(h0[k], h1[k]));
        // Header: the domain id always; without xl's JSON config the name and uuid; the image type of a libxc/libxl stream.
        expect(changed.sort()).toEqual(layer === "xl" ? ["domainId"] : ["domainId", "imageType", "name", "uuid"]);
        expect(h1["domainId"]).toBe(0);
        expect(h1["imageType"]).toBe(layer === "xl" ? ImageType.save : ImageType.migration);
        // vcpu count and memory size come from xl's config, or from the records (vcpu ids, highest pfn).
        expect([h1["vcpuCount"], h1["memorySize"]]).toEqual([h0["vcpuCount"], h0["memorySize"]]);
        // Sections: unwritten_pages has no record, nor (in a libxc stream) the device model's sections; a
        // layout section is added; guest_config is empty without xl.
        const lost = (n: string): boolean => n === "unwritten_pages" || (layer === "libxc" && n.startsWith("device_model_"));
        const expected = sectionNames(image.sections).filter((n) => !lost(n));
        expect(sectionNames(back.sections)).toEqual([`0x${XEN_CARRIER_SECTIONS.layout.toString(16)}`, ...expected]);
        const config = back.sections.find((s) => s.type === "guest_config") as KnownSection & { type: "guest_config" };
        const original = image.sections.find((s) => s.type === "guest_config") as KnownSection & { type: "guest_config" };
        expect(config.body.config).toBe(layer === "xl" ? original.body.config : "");
        // extended_info's legacy facts are derived: flags from the records (EXTENDED present, vm_assist bit 3, XSAVE).
        const ext = back.sections.find((s) => s.type === "extended_info") as (KnownSection & { type: "extended_info" }) | undefined;
        if (kind !== "hvm-x86_64") expect(ext?.body.flags).toBe(0x3);
        // Every other section is the same.
        for (const s of back.sections.slice(1)) {
          if (s.type === "guest_config" || s.type === "extended_info") continue;
          const i = back.sections.indexOf(s) - 1;
          const o = image.sections.filter((x) => !lost(x.type))[i]!;
          expect(sameSection(s, o), `${kind} ${layer} ${s.type}`).toBe(true);
        }
      }
    }
  });
});
