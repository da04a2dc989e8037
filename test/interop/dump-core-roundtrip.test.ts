import { describe, expect, it } from "vitest";
import {
  Arch,
  decodeImage,
  encodeImage,
  GuestType,
  PageType,
  verifyImage,
  type ImageInit,
  type ImageSection,
  type PfnWord,
} from "../../generated/index.js";
import { dumpCoreLosses, exportDumpCore, importDumpCore, planDumpCore } from "../../interop/dump-core/index.js";
import { EncodeError, NIL_UUID } from "../../runtime/index.js";
import { GUEST_KINDS, syntheticCoreImage } from "../../synthetic/guest.js";

// Our core image → dump-core → our core image. The header fields a dump-core file does not record
// (domain id, name, uuid, memory size) are handed to the importer; everything else must come back from
// the file. What the format has no place for is stated here, kind by kind, as the expected image.

const PAGES = 1500; // two page_data batches of at most 1024 pfns
const options = { seed: 3, vcpus: 3, memoryBytes: PAGES * 4096 };

/** Pages with contents (types 0-4, 9-12), as in page_data's schema. */
const WITH_CONTENTS = new Set<number>([0, 1, 2, 3, 4, 9, 10, 11, 12]);

/**
 * What a dump-core file keeps of a core image: no page types (every page is normal), only pfns with
 * contents (in ascending pfn order, batches of 1024), pfn_map entries only for those, and for a 32-bit PV
 * guest only the lower half of virt_start (its version note has the 32-bit layout).
 */
function whatDumpCoreKeeps(image: ImageInit): ImageInit {
  const pages: { pfn: number; data: Uint8Array }[] = [];
  for (const s of image.sections) {
    if (s.type !== "page_data") continue;
    let next = 0;
    for (const w of s.body.pfns) if (WITH_CONTENTS.has(w.type)) pages.push({ pfn: w.pfn, data: s.body.pages[next++]! });
  }
  pages.sort((a, b) => a.pfn - b.pfn);
  const kept = new Set(pages.map((p) => BigInt(p.pfn)));
  const sections: ImageSection[] = [];
  for (const s of image.sections) {
    if (s.type === "xen_version" && image.header.arch === Arch.x86_32) {
      sections.push({ type: "xen_version", body: { ...s.body, virtStart: s.body.virtStart & 0xffff_ffffn } });
    } else if (s.type === "page_data") {
      if (sections.some((x) => x.type === "page_data")) continue;
      for (let first = 0; first < pages.length; first += 1024) {
        const batch = pages.slice(first, first + 1024);
        sections.push({ type: "page_data", body: { pfns: batch.map((p): PfnWord => ({ type: PageType.normal, pfn: p.pfn })), pages: batch.map((p) => p.data) } });
      }
    } else if (s.type === "pfn_map") {
      sections.push({ type: "pfn_map", body: (s.body as { pfn: bigint }[]).filter((e) => kept.has(e.pfn)) } as ImageSection);
    } else sections.push(s);
  }
  return { header: image.header, sections };
}

const given = (image: ImageInit) => ({ domainId: image.header.domainId, name: image.header.name, uuid: image.header.uuid, memorySize: image.header.memorySize });

describe("core image → dump-core → core image", () => {
  for (const kind of GUEST_KINDS) {
    it(`${kind}: the sections come back${kind.startsWith("pv") ? " (less what dump-core cannot hold)" : " unchanged"}`, () => {
      const image = syntheticCoreImage(kind, options);
      const bytes = exportDumpCore(image);
      const back = importDumpCore(bytes, given(image));
      const expected = kind.startsWith("pv") ? whatDumpCoreKeeps(image) : image;

      expect(back.header).toEqual(expected.header);
      expect(back.sections.map((s) => s.type)).toEqual(expected.sections.map((s) => s.type));
      // Small sections compared field by field (readable diffs), then the whole image byte for byte.
      for (const type of ["xen_version", "vcpu_context", "shared_info", "pfn_map"]) {
        expect(back.sections.find((s) => s.type === type), type).toEqual(expected.sections.find((s) => s.type === type));
      }
      const ours = encodeImage(back);
      expect(Buffer.compare(ours, encodeImage(expected))).toBe(0);
      expect(verifyImage(decodeImage(ours))).toEqual([]);
      // And again: the file made from the imported image is the same file.
      expect(Buffer.compare(exportDumpCore(back), bytes)).toBe(0);
    });
  }

  it("HVM and ARM images lose nothing but the header fields dump-core does not record", () => {
    for (const kind of ["hvm-x86_64", "arm64"] as const) {
      const image = syntheticCoreImage(kind, options);
      expect(dumpCoreLosses(image)).toEqual([
        `header: domain_id ${image.header.domainId}: dump-core files do not record the domain id`,
        `header: name "synthetic-${kind}": dump-core files do not record the domain's name`,
        "header: uuid: dump-core files do not record the domain's handle",
      ]);
      const plain = { ...image, header: { ...image.header, domainId: 0, name: "", uuid: NIL_UUID } };
      expect(dumpCoreLosses(plain)).toEqual([]);
      // Strict export accepts an image it carries whole, and the import needs no help for it.
      const strict = importDumpCore(exportDumpCore(plain, { strict: true }));
      expect(strict.header).toEqual(plain.header);
      expect(Buffer.compare(encodeImage(strict), encodeImage(plain))).toBe(0);
    }
  });

  it("a PV image's losses are listed, and strict export refuses it", () => {
    const image = syntheticCoreImage("pv-x86_32", options);
    const losses = planDumpCore(image).losses;
    expect(losses).toEqual([
      "page_data: page types (3 l1_table, 6 l2_table, 1 l3_table_pinned): dump-core files keep no page types, so these pages come back as normal pages",
      "page_data: pfns without contents (1 allocate_only): dump-core files hold only pages with contents, so these pfns are left out",
      "pfn_map: 1 entries whose pfn has no page with contents are left out",
      `header: domain_id ${image.header.domainId}: dump-core files do not record the domain id`,
      'header: name "synthetic-pv-x86_32": dump-core files do not record the domain\'s name',
      "header: uuid: dump-core files do not record the domain's handle",
      `header: memory_size ${PAGES * 4096}: dump-core files record only the pages they hold (${PAGES - 1} × 4096 bytes)`,
      "xen_version: virt_start 0xffff800000000000: a 32-bit PV guest's version note keeps only its lower 32 bits",
    ]);
    expect(() => exportDumpCore(image, { strict: true })).toThrow(EncodeError);
    expect(() => exportDumpCore(image, { strict: true })).toThrow(/cannot carry the whole image: page_data: page types/);
  });

  it("sections dump-core has no place for are listed as lost", () => {
    const image = syntheticCoreImage("hvm-x86_64", { ...options, memoryBytes: 8 * 4096 });
    const withConfig: ImageInit = { ...image, sections: [image.sections[0]!, { type: "guest_config", body: { config: "{}" } }, ...image.sections.slice(1)] };
    expect(dumpCoreLosses(withConfig)).toContain("guest_config: dump-core files have no place for this section");
    expect(importDumpCore(exportDumpCore(withConfig)).sections.map((s) => s.type)).not.toContain("guest_config");
  });

  it("pages go to the file in ascending pfn order, whatever the image's order", () => {
    const image = syntheticCoreImage("hvm-x86_64", { ...options, memoryBytes: 64 * 4096, batchPages: 16 });
    const batches = image.sections.filter((s) => s.type === "page_data");
    const reversed: ImageInit = { ...image, sections: [...image.sections.filter((s) => s.type !== "page_data" && s.type !== "pfn_map"), ...batches.reverse(), image.sections.at(-1)!] };
    expect(Buffer.compare(exportDumpCore(reversed), exportDumpCore(image))).toBe(0);
  });

  it("an imported PV image keeps each page's machine frame in pfn_map", () => {
    const image = syntheticCoreImage("pv-x86_64", { ...options, memoryBytes: 16 * 4096 });
    const back = importDumpCore(exportDumpCore(image));
    expect(back.header.guestType).toBe(GuestType.pv);
    expect(back.sections.find((s) => s.type === "pfn_map")!.body).toEqual(Array.from({ length: 15 }, (_, pfn) => ({ pfn: BigInt(pfn), gmfn: 0x10_0000n + BigInt(pfn) })));
  });
});
