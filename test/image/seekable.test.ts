import { describe, expect, it } from "vitest";
import {
  Arch,
  ByteOrder,
  decodeImage,
  encodeImage,
  GuestType,
  IMAGE_HEADER_SIZE,
  ImageType,
  SECTION_ENTRY_SIZE,
  type ImageInit,
  type ImageSection,
  type VcpuGuestContextX8664,
} from "../../generated/index.js";
import { crc32c, DecodeError, EncodeError, OPTIONAL_BIT, type UnknownSection } from "../../runtime/index.js";
import { syntheticPvGuest } from "../../synthetic/guest.js";
import { resealEntry } from "../runtime/entry-crc.js";

const image = syntheticPvGuest({ seed: 7, vcpus: 2, memoryBytes: 64 * 4096, batchPages: 40 });
const bytes = encodeImage(image);
const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);

/** The table entries, read straight from the bytes with DataView (independent of our decoder). */
function rawEntries(b: Uint8Array) {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const tableOffset = Number(v.getBigUint64(128, true));
  const count = v.getUint32(136, true);
  return Array.from({ length: count }, (_, i) => {
    const at = tableOffset + i * 48;
    return {
      at,
      type: v.getUint32(at, true),
      flags: v.getUint32(at + 4, true),
      offset: Number(v.getBigUint64(at + 8, true)),
      size: Number(v.getBigUint64(at + 16, true)),
      entryCount: Number(v.getBigUint64(at + 24, true)),
      entrySize: v.getUint32(at + 32, true),
      align: v.getUint32(at + 36, true),
      crc: v.getUint32(at + 40, true),
    };
  });
}

describe("seekable image layout, byte for byte", () => {
  it("starts with the magic, byte order and version at the documented offsets", () => {
    expect(Array.from(bytes.subarray(0, 8))).toEqual([0x7f, 0x58, 0x45, 0x4e, 0x49, 0x4d, 0x47, 0x00]);
    expect(bytes[8]).toBe(ByteOrder.little);
    expect(view.getUint16(10, true)).toBe(2); // format version 2: entries carry a CRC
    expect(view.getUint32(12, true)).toBe(IMAGE_HEADER_SIZE);
    expect(IMAGE_HEADER_SIZE).toBe(152);
    expect(view.getUint16(16, true)).toBe(ImageType.save);
    expect(view.getUint16(18, true)).toBe(GuestType.pv);
    expect(view.getUint16(20, true)).toBe(Arch.x86_64);
    expect(view.getUint32(36, true)).toBe(2);
    expect(view.getBigUint64(40, true)).toBe(64n * 4096n);
    expect(new TextDecoder().decode(bytes.subarray(64, 64 + image.header.name.length))).toBe(image.header.name);
  });

  it("puts the table last, its offset and size in the header, and the end section last in it", () => {
    const tableOffset = Number(view.getBigUint64(128, true));
    const count = view.getUint32(136, true);
    expect(view.getUint32(140, true)).toBe(SECTION_ENTRY_SIZE);
    expect(tableOffset % 8).toBe(0);
    expect(tableOffset + count * SECTION_ENTRY_SIZE).toBe(bytes.length);
    const entries = rawEntries(bytes);
    expect(entries).toHaveLength(image.sections.length + 1);
    const end = entries[entries.length - 1]!;
    expect(end).toMatchObject({ type: 0, size: 0, offset: tableOffset });
  });

  it("checksums the header with its CRC field taken as zero", () => {
    const copy = bytes.slice(0, IMAGE_HEADER_SIZE);
    const stored = view.getUint32(148, true);
    copy.fill(0, 148, 152);
    expect(crc32c(copy)).toBe(stored);
  });

  it("records each section's offset, size, entry count/size, alignment and body CRC", () => {
    const entries = rawEntries(bytes);
    const pageData = entries.filter((e) => e.type === 0x40);
    expect(pageData.length).toBe(Math.ceil(64 / 40));
    for (const e of entries) {
      expect(e.offset % e.align).toBe(0);
      expect(e.crc).toBe(crc32c(bytes.subarray(e.offset, e.offset + e.size)));
    }
    for (const e of pageData) expect(e.align).toBe(4096);
    const vcpu = entries.find((e) => e.type === 0x20)!;
    expect(vcpu).toMatchObject({ entryCount: 2, entrySize: 5168, size: 2 * 5168 });
    const cpuid = entries.find((e) => e.type === 0x10)!;
    expect(cpuid.entrySize).toBe(24);
    expect(cpuid.size).toBe(cpuid.entryCount * 24);
  });

  it("page-aligns every page so it can be mapped in place", () => {
    const decoded = decodeImage(bytes);
    for (const s of decoded.sections) {
      if (s.type !== "page_data") continue;
      for (const page of s.body.pages) {
        expect(page.byteOffset % 4096).toBe(0);
        expect(page.length).toBe(4096);
      }
    }
  });

  it("lays out the vcpu context at Xen's offsets (user_regs.rip at 520+128, ctrlreg[3] at 4984+24)", () => {
    const vcpu = rawEntries(bytes).find((e) => e.type === 0x20)!;
    const ctx = (image.sections.find((s) => s.type === "vcpu_context") as Extract<ImageSection, { type: "vcpu_context" }>).body[1] as VcpuGuestContextX8664;
    const base = vcpu.offset + 5168;
    expect(view.getBigUint64(base + 520 + 128, true)).toBe(ctx.userRegs.rip);
    expect(view.getUint16(base + 520 + 136, true)).toBe(ctx.userRegs.cs);
    expect(view.getBigUint64(base + 4984 + 3 * 8, true)).toBe(ctx.ctrlreg[3]);
    expect(view.getBigUint64(base + 5160, true)).toBe(ctx.gsBaseUser);
    expect(view.getBigUint64(base + 720 + 14 * 16 + 8, true)).toBe(ctx.trapCtxt[14]!.address);
  });
});

describe("round trip", () => {
  it("decodes to the values that were encoded", () => {
    const decoded = decodeImage(bytes);
    expect(decoded.header).toMatchObject(image.header);
    expect(decoded.sections).toEqual(image.sections);
  });

  it("re-encodes decoded bytes to the same bytes", () => {
    const decoded = decodeImage(bytes);
    expect(Buffer.from(encodeImage(decoded)).equals(Buffer.from(bytes))).toBe(true);
  });

  it("round-trips a big-endian image, whose integers really are big-endian", () => {
    const be: ImageInit = { ...image, header: { ...image.header, byteOrder: ByteOrder.big } };
    const out = encodeImage(be);
    const v = new DataView(out.buffer, out.byteOffset);
    expect(out[8]).toBe(ByteOrder.big);
    expect(v.getUint32(36, false)).toBe(2);
    const decoded = decodeImage(out);
    expect(decoded.sections).toEqual(image.sections);
    expect(Buffer.from(encodeImage(decoded)).equals(Buffer.from(out))).toBe(true);
  });

  it("writes a header whose init leaves the byte order out as little-endian", () => {
    const { byteOrder: _, ...rest } = image.header;
    const init: ImageInit = { ...image, header: rest };
    const out = encodeImage(init);
    expect(out[8]).toBe(ByteOrder.little);
    expect(Buffer.from(out).equals(Buffer.from(bytes))).toBe(true);
  });
});

describe("extensibility: sections of unknown type", () => {
  const unknown = (id: number, optional: boolean): UnknownSection => ({
    type: "unknown",
    id,
    optional,
    flags: 0,
    entryCount: 0n,
    entrySize: 0,
    align: 8,
    bytes: Uint8Array.of(1, 2, 3, 4, 5),
  });

  it("keeps an unknown optional section as raw bytes and writes it back unchanged", () => {
    const withExtra: ImageInit = { ...image, sections: [...image.sections.slice(0, 2), unknown(0x7777, true), ...image.sections.slice(2)] };
    const out = encodeImage(withExtra);
    const entry = rawEntries(out)[2]!;
    expect(entry.type).toBe((0x7777 | OPTIONAL_BIT) >>> 0);
    const decoded = decodeImage(out);
    expect(decoded.sections[2]).toEqual(unknown(0x7777, true));
    expect(Buffer.from(encodeImage(decoded)).equals(Buffer.from(out))).toBe(true);
  });

  // A writer of this version refuses to write one (its readers would reject the image); an image from a
  // writer that knows the type is made here by clearing the optional bit of an optional one.
  it("rejects an unknown mandatory section, naming its type", () => {
    const out = encodeImage({ ...image, sections: [unknown(0x7777, true), ...image.sections] });
    const entry = Number(new DataView(out.buffer).getBigUint64(128, true));
    out[entry + 3]! &= 0x7f; // the type's bit 31, little-endian
    resealEntry(out, entry);
    expect(() => decodeImage(out)).toThrowError(/unknown mandatory section type 0x7777.*section type 0x7777 #0/);
    expect(() => encodeImage({ ...image, sections: [unknown(0x7777, false), ...image.sections] })).toThrowError(
      /section type 0x7777 is unknown and mandatory: readers of this format reject an image with it \(section type 0x7777 #0, field optional/,
    );
  });

  it("refuses to write a known type as raw bytes", () => {
    expect(() => encodeImage({ ...image, sections: [unknown(0x10, false)] })).toThrowError(EncodeError);
  });
});

describe("corruption is caught and located", () => {
  const entries = rawEntries(bytes);

  it("a flipped byte in a section body fails with that section and the CRC mismatch", () => {
    for (const [index, entry] of entries.entries()) {
      if (entry.size === 0) continue;
      const bad = bytes.slice();
      bad[entry.offset + Math.floor(entry.size / 2)]! ^= 0x01;
      let error: unknown;
      try {
        decodeImage(bad);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(DecodeError);
      const e = error as DecodeError;
      expect(e.code).toBe("crc");
      expect(e.section).toMatch(new RegExp(`#${index}$`));
      expect(e.message).toMatch(/CRC mismatch/);
      expect(e.offset).toBe(entry.offset);
    }
  });

  it("a flipped header byte fails the header CRC", () => {
    const bad = bytes.slice();
    bad[33]! ^= 0x80; // domain_id
    expect(() => decodeImage(bad)).toThrowError(/section header.*header_crc|header CRC mismatch/);
  });

  it("a truncated image is reported, not read past", () => {
    expect(() => decodeImage(bytes.subarray(0, 100))).toThrowError(/needs 152 bytes/);
    expect(() => decodeImage(bytes.subarray(0, bytes.length - 10))).toThrowError(/section table .* runs past the end of the image/);
  });

  it("a wrong magic names the field", () => {
    const bad = bytes.slice();
    bad[1] = 0;
    expect(() => decodeImage(bad)).toThrowError(/bad magic.*field magic, offset 0x0/);
  });

  it("a table entry pointing past the table is rejected with the section named", () => {
    const bad = bytes.slice();
    // A section that is not an array: an array's size would break entry_count × entry_size first.
    const index = entries.findIndex((x, i) => i > 0 && x.entrySize === 0);
    const e = entries[index]!;
    new DataView(bad.buffer).setBigUint64(e.at + 16, BigInt(bytes.length), true);
    expect(() => decodeImage(bad)).toThrowError(new RegExp(`entry CRC mismatch.*section table entry #${index}, field entry_crc`));
    resealEntry(bad, e.at); // as a writer that got the size wrong would
    expect(() => decodeImage(bad)).toThrowError(new RegExp(`lies outside.*section [a-z_]+ #${index}`));
  });
});

describe("bad values to encode", () => {
  it("names the section and field of an out-of-range value", () => {
    const sections = structuredClone(image.sections) as ImageSection[];
    const cpuid = sections[1] as Extract<ImageSection, { type: "cpuid" }>;
    (cpuid.body[3] as { eax: number }).eax = 2 ** 32;
    expect(() => encodeImage({ ...image, sections })).toThrowError(/section cpuid #1, field \[3\]\.eax/);
  });

  it("types a value of the wrong shape as an EncodeError", () => {
    const sections = [{ type: "page_data", body: { pfns: undefined } }] as unknown as ImageSection[];
    expect(() => encodeImage({ ...image, sections })).toThrowError(EncodeError);
  });
});
