import { describe, expect, it } from "vitest";
import { encodePageData, imageFormat, pageDataSection, PageType, type ImageHeader, type PfnWord } from "../../generated/index.js";
import { checkPageDataRecord, decodePageDataRecord, encodePageDataRecord } from "../../generated/xen_libxc/records.js";
import { ByteReader, ByteWriter, checkSectionBody, decodeSectionBody, XenImageError, type TableEntry } from "../../runtime/index.js";
import { syntheticGuest } from "../../synthetic/guest.js";
import { prng } from "./prng.js";

// A structure check (`checkX`, `SectionDecoder.check`, `checkSectionBody`) is what `xenimage verify`
// runs instead of a decode: it must reach the decoder's verdict on every body, the same error (code,
// offset, section, field, message) or the same fields, while claiming the pages by their length.

/** What reading a body came to: the error's every part, or the fields both readers return. */
function outcome(read: () => unknown): unknown {
  try {
    const value = read() as { type?: string; body?: { pfns?: PfnWord[] }; pfns?: PfnWord[] };
    return { ok: value.body?.pfns ?? value.pfns };
  } catch (e) {
    if (!(e instanceof XenImageError)) throw e;
    return { code: e.code, offset: e.offset, section: e.section, path: e.path, message: e.message };
  }
}

const TYPES = [PageType.normal, PageType.l1_table, PageType.l4_table_pinned, PageType.broken, PageType.allocate_only, PageType.invalid, 5];

function randomPfns(rand: () => number, n: number): PfnWord[] {
  return Array.from({ length: n }, () => ({ type: TYPES[Math.floor(rand() * TYPES.length)]!, pfn: Math.floor(rand() * 2 ** 40) }));
}

const pageCount = (pfns: readonly PfnWord[], without: readonly number[]) => pfns.filter((w) => !without.includes(w.type)).length;
const page = new Uint8Array(4096).fill(0xa5);
const NO_CONTENTS = [PageType.broken, PageType.allocate_only, PageType.invalid];

/**
 * A body mutated the ways a broken writer or a damaged file would: bytes of the count, the reserved
 * field, the words or the padding overwritten, pages cut off or added, bytes appended.
 */
function mutate(rand: () => number, body: Uint8Array, head: number): Uint8Array {
  let m = body.slice();
  const kind = Math.floor(rand() * 4);
  if (kind === 0 || kind === 3) {
    for (let k = 1 + Math.floor(rand() * 3); k > 0; k--) m[Math.floor(rand() * Math.min(head, m.length))] = rand() < 0.3 ? 0xff : Math.floor(rand() * 256);
  }
  if (kind === 1 || kind === 3) m = m.subarray(0, Math.floor(rand() * m.length));
  if (kind === 2) {
    const longer = new Uint8Array(m.length + 1 + Math.floor(rand() * 2 * 4096));
    longer.set(m);
    m = longer;
  }
  return m;
}

describe("the structure check of page_data", () => {
  const header = syntheticGuest("pv-x86_64").header as ImageHeader;
  const entry = (body: Uint8Array): TableEntry => ({ type: pageDataSection.id, flags: 0, offset: 0x40000n, size: BigInt(body.length), entryCount: 0n, entrySize: 0, align: 4096, crc: 0, entryCrc: 0 });

  it("is the codec's, kept by withEncoder", () => {
    expect(typeof pageDataSection.check).toBe("function");
    expect(imageFormat.sections.find((c) => c.name === "page_data")?.check).toBe(pageDataSection.check);
  });

  it("gives the decoder's error or frame words on every mutated body, and never a view per page", () => {
    const rand = prng(1515);
    const codes = new Set<string>();
    let agreed = 0;
    for (let trial = 0; trial < 1500; trial++) {
      const pfns = randomPfns(rand, 1 + Math.floor(rand() * 40));
      const w = new ByteWriter();
      encodePageData(w, { pfns, pages: Array.from({ length: pageCount(pfns, NO_CONTENTS) }, () => page) });
      const valid = w.finish();
      const head = 8 + 8 * pfns.length + 64; // the count, the reserved word, the words and some padding
      const body = trial % 10 === 0 ? valid : mutate(rand, valid, head);
      const read = (check: boolean) => () =>
        (check ? checkSectionBody : decodeSectionBody)<ImageHeader>(imageFormat, { header, littleEndian: true }, entry(body), 7, body, 0x40000, undefined, true);
      const decoded = outcome(read(false));
      const checked = outcome(read(true));
      expect(checked, `trial ${trial}`).toEqual(decoded);
      if ("code" in (decoded as object)) codes.add((decoded as { code: string }).code);
      else agreed++;
      if (trial % 10 === 0) expect(Object.keys((read(true)() as { body: object }).body)).toEqual(["pfns"]);
    }
    // The mutations reach every kind of check the body has: sizes, reserved bits and padding, lengths.
    expect([...codes].sort()).toEqual(expect.arrayContaining(["length", "reserved", "truncated"]));
    expect(agreed).toBeGreaterThan(150);
  });

  it("names the first page that is missing, as the decoder does", () => {
    const pfns: PfnWord[] = [
      { type: PageType.normal, pfn: 1 },
      { type: PageType.invalid, pfn: 2 },
      { type: PageType.normal, pfn: 3 },
    ];
    const w = new ByteWriter();
    encodePageData(w, { pfns, pages: [page, page] });
    const body = w.finish().subarray(0, 4096 + 4096 + 100); // the second page cut short
    const r = () => new ByteReader(body, { base: 0x1000, section: "page_data #3" });
    const check = outcome(() => checkSectionBody(imageFormat, { header, littleEndian: true }, entry(body), 3, r(), 0x1000, undefined, true));
    expect(check).toMatchObject({ code: "truncated", offset: 0x1000 + 2 * 4096, path: "pages[1]" });
    expect(check).toEqual(outcome(() => decodeSectionBody(imageFormat, { header, littleEndian: true }, entry(body), 3, r(), 0x1000, undefined, true)));
  });
});

describe("the structure check of libxc's PAGE_DATA record", () => {
  it("gives the decoder's error or frame words on every mutated record", () => {
    const rand = prng(2626);
    const codes = new Set<string>();
    for (let trial = 0; trial < 800; trial++) {
      const pfns = randomPfns(rand, 1 + Math.floor(rand() * 20)).map((p) => (p.type === 5 ? { ...p, type: PageType.normal } : p));
      const w = new ByteWriter({ littleEndian: true });
      encodePageDataRecord(w, { pfns, pages: Array.from({ length: pageCount(pfns, NO_CONTENTS) }, () => page) });
      const body = mutate(rand, w.finish(), 8 + 8 * pfns.length);
      const reader = () => new ByteReader(body, { base: 24, section: "PAGE_DATA" });
      const decoded = outcome(() => decodePageDataRecord(reader()));
      expect(outcome(() => checkPageDataRecord(reader())), `trial ${trial}`).toEqual(decoded);
      if ("code" in (decoded as object)) codes.add((decoded as { code: string }).code);
    }
    expect([...codes].sort()).toEqual(expect.arrayContaining(["length", "reserved", "truncated"]));
  });
});
