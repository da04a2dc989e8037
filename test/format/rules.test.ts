import { describe, expect, it } from "vitest";
import { decodeImage, encodeImage, GuestType, ImageType, verifyImage, type ImageInit, type ImageSection } from "../../generated/index.js";
import { GUEST_KINDS, syntheticCoreImage, syntheticGuest } from "../../synthetic/guest.js";

const small = { vcpus: 2, memoryBytes: 64 * 4096, batchPages: 32 };

describe("synthetic guests follow their image-type rules", () => {
  it.each(GUEST_KINDS)("%s: save and core images verify clean and round-trip byte for byte", (kind) => {
    for (const image of [syntheticGuest(kind, small), syntheticCoreImage(kind, small)]) {
      expect(verifyImage(image)).toEqual([]);
      const bytes = encodeImage(image);
      const decoded = decodeImage(bytes);
      expect(verifyImage(decoded)).toEqual([]);
      expect(Buffer.from(encodeImage(decoded)).equals(Buffer.from(bytes))).toBe(true);
    }
  });

  it("are deterministic: the same seed gives the same bytes, another seed other bytes", () => {
    const a = encodeImage(syntheticGuest("hvm-x86_64", { ...small, seed: 5 }));
    const b = encodeImage(syntheticGuest("hvm-x86_64", { ...small, seed: 5 }));
    const c = encodeImage(syntheticGuest("hvm-x86_64", { ...small, seed: 6 }));
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
    expect(Buffer.from(a).equals(Buffer.from(c))).toBe(false);
  });

  it("scale with memory and vcpus", () => {
    const image = syntheticGuest("pv-x86_32", { vcpus: 5, memoryBytes: 300 * 4096, batchPages: 128 });
    const pageData = image.sections.filter((s) => s.type === "page_data");
    expect(pageData).toHaveLength(3);
    const vcpus = image.sections.find((s) => s.type === "vcpu_context")!.body as unknown[];
    expect(vcpus).toHaveLength(5);
  });
});

describe("a broken rule is reported with the rule that failed", () => {
  const pv = syntheticGuest("pv-x86_64", small);
  const without = (image: ImageInit, type: string): ImageInit => ({ ...image, sections: image.sections.filter((s) => s.type !== type) });

  it("a missing required section", () => {
    expect(verifyImage(without(pv, "shared_info"))).toEqual([
      { rule: "pv_x86_save", section: "shared_info", message: "shared_info is missing; pv_x86_save requires it exactly once" },
    ]);
  });

  it("a forbidden section", () => {
    const hvm = syntheticGuest("hvm-x86_64", small);
    const extra = pv.sections.find((s) => s.type === "extended_info")!;
    const violations = verifyImage({ ...hvm, sections: [...hvm.sections.slice(0, 1), extra, ...hvm.sections.slice(1)] });
    expect(violations).toEqual([{ rule: "hvm_x86_save", section: "extended_info", index: 1, message: "extended_info is not allowed in hvm_x86_save images" }]);
  });

  it("sections out of order", () => {
    const sections = [...pv.sections];
    const vcpuAt = sections.findIndex((s) => s.type === "vcpu_context");
    const [vcpu] = sections.splice(vcpuAt, 1);
    sections.splice(1, 0, vcpu!);
    const violations = verifyImage({ ...pv, sections });
    expect(violations.length).toBeGreaterThan(0);
    expect(violations[0]).toMatchObject({ rule: "pv_x86_save", section: "cpuid", index: 2 });
    expect(violations[0]!.message).toBe("cpuid (#2) comes after vcpu_context (#1); pv_x86_save puts cpuid first");
  });

  it("a required section twice", () => {
    const twice = [...pv.sections, pv.sections.find((s) => s.type === "extended_info")!];
    const messages = verifyImage({ ...pv, sections: twice }).map((v) => v.message);
    expect(messages).toContain("extended_info appears 2 times; pv_x86_save allows it exactly once");
  });

  it("every violation, not only the first", () => {
    const broken = without(without(pv, "shared_info"), "p2m_frame_list");
    const messages = verifyImage({ ...broken, sections: [...broken.sections, { type: "hvm_params", body: [] } as ImageSection] }).map((v) => v.message);
    expect(messages).toEqual(
      expect.arrayContaining([
        "hvm_params is not allowed in pv_x86_save images",
        "p2m_frame_list is missing; pv_x86_save requires it exactly once",
        "shared_info is missing; pv_x86_save requires it exactly once",
      ]),
    );
    expect(messages).toHaveLength(3);
  });

  it("an image no rule covers", () => {
    expect(verifyImage({ header: { ...pv.header, imageType: 9 }, sections: [] })).toEqual([
      { rule: "(none)", message: "no image-type rule covers image_type 9, guest_type 1, arch 2" },
    ]);
  });

  it("unknown optional sections are always allowed", () => {
    const unknown = { type: "unknown", id: 0x7777, optional: true, flags: 0, entryCount: 0n, entrySize: 0, align: 8, bytes: new Uint8Array(0) } as const;
    expect(verifyImage({ ...pv, sections: [unknown, ...pv.sections] })).toEqual([]);
  });
});

describe("checkpointed migration streams", () => {
  const migration = syntheticGuest("pv-x86_64", small, ImageType.migration);
  const phase = (types: string[]): ImageSection[] => types.map((type) => migration.sections.find((s) => s.type === type)!);

  it("repeat pages and vcpu state after each checkpoint, in order", () => {
    const sections = [...migration.sections, { type: "checkpoint", body: null }, ...phase(["page_data", "shared_info", "vcpu_context"]), { type: "checkpoint", body: null }, ...phase(["page_data", "vcpu_context"])] as ImageSection[];
    expect(verifyImage({ ...migration, sections })).toEqual([]);
  });

  it("may not send static data after a checkpoint, nor break the order within a phase", () => {
    const sections = [...migration.sections, { type: "checkpoint", body: null }, ...phase(["vcpu_context", "page_data", "extended_info"])] as ImageSection[];
    const violations = verifyImage({ ...migration, sections });
    const at = migration.sections.length + 1;
    expect(violations).toEqual([
      { rule: "pv_x86_migration", section: "page_data", index: at + 1, message: `page_data (#${at + 1}) comes after vcpu_context (#${at}); pv_x86_migration puts page_data first` },
      { rule: "pv_x86_migration", section: "extended_info", index: at + 2, message: "extended_info is not allowed after the first checkpoint" },
      { rule: "pv_x86_migration", section: "extended_info", index: at + 2, message: `extended_info (#${at + 2}) comes after vcpu_context (#${at}); pv_x86_migration puts extended_info first` },
    ]);
  });

  it("save files may not hold checkpoints", () => {
    const save = syntheticGuest("pv-x86_64", small);
    expect(verifyImage({ ...save, sections: [...save.sections, { type: "checkpoint", body: null } as ImageSection] })[0]?.message).toBe("checkpoint is not allowed in pv_x86_save images");
    expect(GuestType.pv).toBe(save.header.guestType);
  });
});
