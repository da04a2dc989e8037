import { describe, expect, it } from "vitest";
import { Arch, GuestType, type ImageInit, type ImageSection, type VcpuGuestContextX8664 } from "../../generated/index.js";
import { exportDumpCore, importDumpCore } from "../../interop/dump-core/index.js";
import { decodeElf, decodeNotes } from "../../interop/elf/index.js";
import { DecodeError, EncodeError } from "../../runtime/index.js";
import { syntheticCoreImage, syntheticGuest } from "../../synthetic/guest.js";
import { compareSections } from "./readelf.js";

// Bad input gets a typed error that says where: the section header (index and name), the byte offset,
// the field.

const image = syntheticCoreImage("pv-x86_64", { seed: 9, vcpus: 2, memoryBytes: 32 * 4096 });
const good = exportDumpCore(image);

/** A copy of the export with `edit` applied through a DataView. */
function edited(edit: (v: DataView, b: Uint8Array) => void): Uint8Array {
  const b = Uint8Array.from(good);
  edit(new DataView(b.buffer), b);
  return b;
}
const shdr = (index: number) => 64 + index * 64;

function thrown(f: () => unknown): Error {
  try {
    f();
  } catch (e) {
    return e as Error;
  }
  throw new Error("nothing was thrown");
}

describe("the ELF decoder rejects bad files with typed errors", () => {
  it("a wrong magic", () => {
    const e = thrown(() => decodeElf(edited((_, b) => (b[1] = 0x46))));
    expect(e).toBeInstanceOf(DecodeError);
    expect(e.message).toMatch(/bad magic: expected 7f 45 4c 46, found 7f 46 4c 46/);
  });

  it("an unknown class or byte order", () => {
    const c = thrown(() => decodeElf(edited((_, b) => (b[4] = 3)))) as DecodeError;
    expect(c).toBeInstanceOf(DecodeError);
    expect([c.code, c.offset, c.path]).toEqual(["unsupported", 4, "e_ident.class"]);
    const d = thrown(() => decodeElf(edited((_, b) => (b[5] = 0)))) as DecodeError;
    expect([d.code, d.offset, d.path]).toEqual(["unsupported", 5, "e_ident.data"]);
  });

  it("a file shorter than its header", () => {
    const e = thrown(() => decodeElf(good.subarray(0, 40))) as DecodeError;
    expect(e).toBeInstanceOf(DecodeError);
    expect(e.message).toMatch(/an ELF64 file header is 64 bytes, the file has 40/);
  });

  it("a section header table past the end of the file", () => {
    const e = thrown(() => decodeElf(edited((v) => v.setBigUint64(0x28, BigInt(good.length - 100), true)))) as DecodeError;
    expect(e).toBeInstanceOf(DecodeError);
    expect(e.message).toMatch(/the section header table \(7 × 64 bytes at 0x[0-9a-f]+\) runs past the end of the file/);
    expect(e.offset).toBe(good.length - 100);
  });

  it("section headers smaller than the class's", () => {
    const e = thrown(() => decodeElf(edited((v) => v.setUint16(0x3a, 40, true)))) as DecodeError;
    expect(e.message).toMatch(/e_shentsize 40 is smaller than an ELF64 section header \(64 bytes\)/);
    expect(e.path).toBe("e_shentsize");
  });

  it("a name table index that names no section", () => {
    const e = thrown(() => decodeElf(edited((v) => v.setUint16(0x3e, 9, true)))) as DecodeError;
    expect(e.message).toMatch(/e_shstrndx 9 names no section \(the file has 7\)/);
  });

  it("a name past the end of the name table", () => {
    const e = thrown(() => decodeElf(edited((v) => v.setUint32(shdr(3), 0x1000, true)))) as DecodeError;
    expect(e.message).toMatch(/^section header 3: sh_name 0x1000 is past the end of the section-name table \(0x48 bytes\)/);
  });

  it("a section whose bytes lie past the end of the file", () => {
    const bytes = edited((v) => v.setBigUint64(shdr(5) + 24, BigInt(good.length + 4096), true));
    const elf = decodeElf(bytes);
    const e = thrown(() => elf.data(elf.section(".xen_pages")!)) as DecodeError;
    expect(e).toBeInstanceOf(DecodeError);
    expect(e.message).toMatch(/^section header 5 \(\.xen_pages\): offset 0x[0-9a-f]+ is past the end of the file \(0x[0-9a-f]+ bytes\)/);
    expect([e.section, e.offset, e.path]).toEqual([".xen_pages", shdr(5), "sh_offset"]);
    // The importer passes it on.
    const i = thrown(() => importDumpCore(bytes)) as DecodeError;
    expect(i).toBeInstanceOf(DecodeError);
    expect(i.message).toMatch(/^section header 5 \(\.xen_pages\): offset/);
  });

  it("a truncated note", () => {
    const e = thrown(() => decodeNotes(good.subarray(512, 512 + 40), { littleEndian: true, base: 512, section: ".note.Xen" })) as DecodeError;
    expect(e).toBeInstanceOf(DecodeError);
    expect(e.message).toMatch(/note 1: its name \(4 bytes\) and descriptor \(32 bytes\) run past the end of the notes/);
    expect(e.section).toBe(".note.Xen");
  });

  it("the readelf comparison notices a difference", () => {
    const elf = decodeElf(good);
    const wrong = elf.sections.map((s) => (s.index === 3 ? { ...s, header: { ...s.header, shAddralign: 16n } } : s));
    const stdout = [
      "There are 7 section headers, starting at offset 0x40:",
      "  [ 3] .xen_prstatus     PROGBITS        0000000000000000 000768 002860 1430      0   0  8",
    ].join("\n");
    expect(compareSections(stdout, wrong, 64n)).toEqual(["readelf printed 1 rows, our decoder has 7 sections", "[3] .xen_prstatus: align readelf 8 vs ours 10"]);
  });
});

describe("the dump-core importer rejects what Xen does not write", () => {
  const cases: [string, Uint8Array, RegExp, string | undefined][] = [
    ["a file that is not ET_CORE", edited((v) => v.setUint16(16, 2, true)), /e_type 2 is not ET_CORE \(4\)/, undefined],
    ["a machine Xen does not dump", edited((v) => v.setUint16(18, 8, true)), /e_machine 8: Xen writes dump-core files for EM_X86_64 \(62\), EM_386 \(3\) and EM_ARM \(40\)/, undefined],
    ["an ELF32 file", edited((_, b) => (b[4] = 1)), /a Xen dump-core file is ELFCLASS64; this one is ELFCLASS32/, undefined],
    ["a big-endian file", edited((_, b) => (b[5] = 2)), /a big-endian dump-core file/, undefined],
    ["no .note.Xen", edited((_, b) => b.set(new TextEncoder().encode(".note.Xyz"), good.length - 0x48 + 11)), /a Xen dump-core file has a \.note\.Xen section; this file has none/, ".note.Xen"],
    ["an unknown xch_magic", edited((v) => v.setUint32(512 + 16 + 16, 0xdeadbeef, true)), /xch_magic 0xdeadbeef is neither 0xf00febed \(PV\) nor 0xf00febee \(HVM\)/, ".note.Xen"],
    ["format version 1.1", edited((v) => v.setUint32(512 + 16 + 48 + 1296 + 16 + 4, 1, true)), /dump-core format version 1\.1: only major version 0 is known/, ".note.Xen"],
    ["a vcpu count that does not match .xen_prstatus", edited((v) => v.setBigUint64(512 + 16 + 16 + 8, 3n, true)), /\.xen_prstatus: 10336 bytes, but xch_nr_vcpus 3 × sh_entsize 5168 expected/, ".xen_prstatus"],
    ["a page count that does not match .xen_pages", edited((v) => v.setBigUint64(512 + 16 + 16 + 16, 30n, true)), /\.xen_pages: 126976 bytes, but xch_nr_pages 30 × 4096 expected/, ".xen_pages"],
    ["a missing DUMPCORE_NONE note", edited((v) => v.setUint32(512 + 8, 0x2000009, true)), /\.note\.Xen has no dumpcore_none note/, ".note.Xen"],
    ["a cut-off file", good.subarray(0, good.length - 1), /^section header 1 \(the section-name table\): its 0x48 bytes at 0x[0-9a-f]+ run past the end of the file/, undefined],
  ];
  for (const [what, bytes, message, section] of cases) {
    it(what, () => {
      const e = thrown(() => importDumpCore(bytes)) as DecodeError;
      expect(e).toBeInstanceOf(DecodeError);
      expect(e.message).toMatch(message);
      if (section !== undefined) expect(e.section).toBe(section);
    });
  }

  it("duplicate pfns in .xen_p2m", () => {
    // Entry 1 of .xen_p2m gets entry 0's pfn.
    const elf = decodeElf(good);
    const at = Number(elf.section(".xen_p2m")!.header.shOffset);
    const e = thrown(() => importDumpCore(edited((v) => v.setBigUint64(at + 16, 0n, true)))) as DecodeError;
    expect(e.message).toMatch(/entry 1: pfn 0x0 appears twice/);
    expect([e.section, e.offset]).toEqual([".xen_p2m", at + 16]);
  });
});

describe("the dump-core exporter refuses images Xen's format cannot hold", () => {
  const pv = syntheticCoreImage("pv-x86_64", { seed: 9, vcpus: 2, memoryBytes: 8 * 4096 });
  const without = (img: ImageInit, type: string): ImageInit => ({ ...img, sections: img.sections.filter((s) => s.type !== type) });
  it("an HVM guest whose arch is x86_32", () => {
    const hvm = syntheticCoreImage("hvm-x86_64", { memoryBytes: 8 * 4096 });
    const e = thrown(() => exportDumpCore({ ...hvm, header: { ...hvm.header, arch: Arch.x86_32 } }));
    expect(e).toBeInstanceOf(EncodeError);
    expect(e.message).toMatch(/an x86_32 HVM guest has no dump-core form/);
  });
  it("an ARM PV guest", () => {
    const arm = syntheticCoreImage("arm64", { memoryBytes: 8 * 4096 });
    expect(() => exportDumpCore({ ...arm, header: { ...arm.header, guestType: GuestType.pv } })).toThrow(/arch 4 with guest_type 1 has no dump-core form/);
  });
  it("a PV guest without machine frames", () => {
    const e = thrown(() => exportDumpCore(without(pv, "pfn_map"))) as EncodeError;
    expect(e).toBeInstanceOf(EncodeError);
    expect(e.section).toBe("pfn_map");
  });
  it("no hypervisor version, no vcpus", () => {
    expect(() => exportDumpCore(without(pv, "xen_version"))).toThrow(/needs the hypervisor's version/);
    expect(() => exportDumpCore(without(pv, "vcpu_context"))).toThrow(/needs at least one vcpu context/);
  });
  it("a save image: every missing piece at once, not only the first", () => {
    const hvm = thrown(() => exportDumpCore(syntheticGuest("hvm-x86_64", { memoryBytes: 8 * 4096 }))) as EncodeError;
    expect(hvm).toBeInstanceOf(EncodeError);
    expect(hvm.message).toMatch(/for 2 reasons: .*needs the hypervisor's version.*; .*needs at least one vcpu context/);
    expect(hvm.section).toBe("xen_version, vcpu_context");
    const save = syntheticGuest("pv-x86_64", { memoryBytes: 8 * 4096 });
    const pvSave = thrown(() => exportDumpCore({ ...save, header: { ...save.header, pageShift: 16 } })) as EncodeError;
    expect(pvSave.message).toMatch(/for 3 reasons: page_shift 16.*; .*hypervisor's version.*; .*machine frame/);
    expect(pvSave.section).toBe("xen_version, pfn_map");
  });
  it("two pages for one pfn", () => {
    const batch = pv.sections.find((s) => s.type === "page_data")!;
    expect(() => exportDumpCore({ ...pv, sections: [...pv.sections, batch] })).toThrow(/pfn 0x0 has two pages/);
  });
  it("a bad vcpu register value names the vcpu and the field", () => {
    const sections = pv.sections.map((s): ImageSection => {
      if (s.type !== "vcpu_context") return s;
      const [first, ...rest] = s.body as VcpuGuestContextX8664[];
      return { type: "vcpu_context", body: [first!, { ...rest[0]!, userRegs: { ...rest[0]!.userRegs, rip: -1n } }] };
    });
    const e = thrown(() => exportDumpCore({ ...pv, sections })) as EncodeError;
    expect(e).toBeInstanceOf(EncodeError);
    expect([e.section, e.path]).toEqual(["vcpu_context", "[1].user_regs.rip"]);
  });
  it("a body of the wrong shape is an EncodeError naming its section (and field), not a TypeError", () => {
    const withBody = (type: string, body: (old: unknown) => unknown) =>
      ({ ...pv, sections: pv.sections.map((s) => (s.type === type ? { ...s, body: body((s as { body: unknown }).body) } : s)) }) as ImageInit;
    const cases: [string, (old: unknown) => unknown, string | undefined][] = [
      ["vcpu_context", (old) => [(old as unknown[])[0], null], "[1]"],
      ["vcpu_context", () => 7, undefined],
      ["shared_info", () => null, undefined],
      ["xen_version", () => 7, undefined],
      ["pfn_map", () => [null], "[0]"],
      ["page_data", () => null, undefined],
      ["page_data", (old) => ({ ...(old as object), pfns: [{ pfn: -1, type: 0 }] }), "pfns[0]"],
    ];
    for (const [type, body, path] of cases) {
      const e = thrown(() => exportDumpCore(withBody(type, body))) as EncodeError;
      expect(e, `${type}: ${e.message}`).toBeInstanceOf(EncodeError);
      expect(e.section).toBe(type);
      if (path !== undefined) expect(e.path).toBe(path);
    }
  });
  it("an image, header or section list of the wrong shape is an EncodeError", () => {
    for (const image of [null, { ...pv, header: null }, { ...pv, sections: 7 }, { ...pv, sections: [...pv.sections, null] }]) {
      expect(() => exportDumpCore(image as unknown as ImageInit)).toThrow(EncodeError);
    }
  });
});
