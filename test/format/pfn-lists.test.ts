import { describe, expect, it } from "vitest";
import {
  ByteOrder,
  decodeImage,
  encodeImage,
  encodePfnEntry,
  ImageType,
  p2mFrameListSection,
  unwrittenPagesSection,
  type ImageHeader,
  type ImageSection,
  type KnownSection,
} from "../../generated/index.js";
import { ByteReader, ByteWriter, DecodeError, EncodeError, encodeEntries, type SectionContext } from "../../runtime/index.js";
import { syntheticGuest } from "../../synthetic/guest.js";

// The pfn lists that decode zero-copy (`repr: typed_array`): p2m_frame_list's frames and
// unwritten_pages' pfns. Their bytes on disk and their table entries are those of the layouts before.

const PFNS = [0n, 7n, 0x000f_ffff_ffff_ffffn, 0xffff_ffff_ffff_ffffn];

function pvImage(): { bytes: Uint8Array; header: ImageHeader } {
  const bytes = encodeImage(syntheticGuest("pv-x86_64", { memoryBytes: 4096 * 64 }, ImageType.save));
  return { bytes, header: decodeImage(bytes).header };
}

/** The body type of the known section named `T`. */
type BodyOf<T> = KnownSection extends infer S ? (S extends { type: T; body: infer B } ? B : never) : never;

function only<T extends KnownSection["type"]>(sections: readonly ImageSection[], type: T): BodyOf<T> {
  const s = sections.find((x) => x.type === type);
  if (s === undefined) throw new Error(`no ${type} section`);
  return (s as { body: unknown }).body as BodyOf<T>;
}

describe("unwritten_pages: a pfn list with the table entries of an array of pfn_entry", () => {
  const { header } = pvImage();

  it("writes the same bytes and the same entry count and size as the pfn_entry array did", () => {
    const ours = new ByteWriter();
    const entry = unwrittenPagesSection.encode(ours, { pfns: BigUint64Array.from(PFNS) }, header);
    const before = new ByteWriter();
    const legacy = encodeEntries(
      before,
      PFNS.map((pfn) => ({ pfn })),
      8,
      encodePfnEntry,
    );
    expect(Buffer.from(ours.finish()).equals(Buffer.from(before.finish()))).toBe(true);
    expect(entry).toEqual(legacy);
    expect(entry).toEqual({ entryCount: 4n, entrySize: 8 });
  });

  it("decodes to a BigUint64Array viewing the body, and holds the table to entry size 8", () => {
    const w = new ByteWriter();
    unwrittenPagesSection.encode(w, { pfns: BigUint64Array.from(PFNS) }, header);
    const body = new Uint8Array(w.finish());
    const ctx: SectionContext<ImageHeader> = { header, entryCount: 4n, entrySize: 8 };
    const { pfns } = unwrittenPagesSection.decode(new ByteReader(body), ctx);
    expect(pfns).toBeInstanceOf(BigUint64Array);
    expect(Array.from(pfns)).toEqual(PFNS);
    expect(pfns.buffer).toBe(body.buffer);
    expect(() => unwrittenPagesSection.decode(new ByteReader(body), { ...ctx, entrySize: 16 })).toThrowError(/entry size 16 in the table, 8 expected/);
    expect(() => unwrittenPagesSection.decode(new ByteReader(body), { ...ctx, entryCount: 5n })).toThrowError(DecodeError);
  });

  it("rejects a plain bigint[] with an EncodeError naming the field", () => {
    expect(() => unwrittenPagesSection.encode(new ByteWriter(), { pfns: PFNS as never }, header)).toThrowError(/a BigUint64Array is expected.*field pfns/);
    expect(() => unwrittenPagesSection.encode(new ByteWriter(), { pfns: PFNS as never }, header)).toThrowError(EncodeError);
  });
});

describe("p2m_frame_list frames through a whole image", () => {
  it("are views of the image's bytes in a seekable little-endian image (bodies are 8-aligned)", () => {
    const { bytes } = pvImage();
    const image = decodeImage(bytes);
    const { frames } = only(image.sections, "p2m_frame_list");
    const { pfns } = only(image.sections, "unwritten_pages");
    expect(frames.length).toBeGreaterThan(0);
    expect(frames.buffer).toBe(bytes.buffer);
    expect(pfns.buffer).toBe(bytes.buffer);
    // Aliasing, as for bytes fields: the decoded frames change with the input.
    const at = frames.byteOffset - bytes.byteOffset;
    const before = frames[0]!;
    bytes[at] = bytes[at]! ^ 0xff;
    expect(frames[0]).toBe(before ^ 0xffn);
  });

  it("are an exact copy when the image is big-endian, and encode back to the same bytes", () => {
    const init = syntheticGuest("pv-x86_64", { memoryBytes: 4096 * 64 }, ImageType.save);
    const big = { ...init, header: { ...init.header, byteOrder: ByteOrder.big } };
    const bytes = encodeImage(big);
    const image = decodeImage(bytes);
    const { frames } = only(image.sections, "p2m_frame_list");
    expect(frames.buffer).not.toBe(bytes.buffer);
    expect(frames).toEqual(only(big.sections, "p2m_frame_list").frames);
    expect(Buffer.from(encodeImage(image)).equals(Buffer.from(bytes))).toBe(true);
  });
});
