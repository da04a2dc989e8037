import { beforeAll, describe, expect, it } from "vitest";
import { annotateImage, SampleMismatchError } from "../../generator/emit/docs/hex-dump.js";
import { buildSampleImages } from "../../generator/emit/docs/sample-image.js";
import { buildDocs, type BuiltDocs } from "./build.js";

let docs: BuiltDocs;
beforeAll(async () => {
  docs = await buildDocs();
});

/** Reads a header field of the sample straight from the bytes, at the offset the model gives. */
function headerU64(bytes: Uint8Array, name: string): number {
  const f = docs.model.container.header.fields.find((x) => x.name === name)!;
  return Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(f.offset!, true));
}

describe("the annotated hex dump of the sample image", () => {
  it("accounts for every byte: its top-level lines tile the image from 0 to the end", () => {
    const { lines } = annotateImage(docs.model, docs.sample.bytes);
    let at = 0;
    for (const line of lines.filter((l) => l.depth === 0)) {
      expect(line.offset, line.label).toBe(at);
      at += line.length;
    }
    expect(at).toBe(docs.sample.bytes.length);
  });

  it("names every section of the image and annotates every field of the header", () => {
    const { dump, sections } = annotateImage(docs.model, docs.sample.bytes);
    expect(sections.length).toBeGreaterThan(1);
    for (const s of sections) {
      expect(s.section, `type 0x${s.type.toString(16)}`).toBeDefined();
      expect(dump).toContain(`section #${s.index}: ${s.section!.name}`);
    }
    for (const f of docs.model.container.header.fields) if (f.type.kind !== "pad") expect(dump).toContain(` ${f.name} = `);
    expect(docs.files.get("hex-dump.md")).toContain(dump);
  });

  it("is the same image every time (the docs stay deterministic)", async () => {
    expect((await buildSampleImages(docs.model)).map((s) => s.bytes)).toEqual(docs.samples.map((s) => s.bytes));
  });

  it("is made from the model, and follows the image-type rule it names", async () => {
    const { decodeImage, verifyImage } = await import("../../generated/index.js");
    const image = decodeImage(docs.sample.bytes);
    expect(verifyImage(image)).toEqual([]);
    expect(docs.sample.recipe).toContain(`rule ${docs.model.rules[0]!.name}`);
    const allowed = docs.model.rules[0]!.sections.filter((p) => p.presence !== "forbidden").map((p) => p.section.name);
    expect(image.sections.map((s) => s.type).sort()).toEqual([...allowed].sort());
  });

  it("refuses bytes the schemas do not account for", () => {
    const bytes = docs.sample.bytes.slice();
    // Grow the first table entry's body size by 8: the body's layout no longer fills it exactly.
    const entry = docs.model.container.entry;
    const sizeAt = headerU64(bytes, "section_table_offset") + entry.fields.find((f) => f.name === "size")!.offset!;
    const view = new DataView(bytes.buffer);
    view.setBigUint64(sizeAt, view.getBigUint64(sizeAt, true) + 8n, true);
    expect(() => annotateImage(docs.model, bytes)).toThrow(SampleMismatchError);
    expect(() => annotateImage(docs.model, docs.sample.bytes.subarray(0, docs.sample.bytes.length - 1))).toThrow(SampleMismatchError);
  });
});

describe("the annotated hex dumps of every layout", () => {
  it("has a streamed image, a big-endian one, an HVM save file and a core file, each made from the model and accounted for byte by byte", async () => {
    const { ByteOrder, GuestType, ImageType } = await import("../../generated/index.js");
    const { validateImage } = await import("../../image/validate.js");
    const headers = [];
    for (const sample of docs.samples) {
      // Read by the reference reader (either layout), the same image the walk annotates.
      const verdict = await validateImage(sample.bytes);
      if (!verdict.valid && verdict.error.code !== "vcpu-count" && verdict.error.code !== "hvm-record" && verdict.error.code !== "pfn-map" && verdict.error.code !== "xen-version") throw verdict.error;
      const v = new DataView(sample.bytes.buffer, sample.bytes.byteOffset, sample.bytes.byteLength);
      const le = sample.bytes[8] === ByteOrder.little;
      headers.push({ order: sample.bytes[8], imageType: v.getUint16(0x10, le), guestType: v.getUint16(0x12, le), streamed: v.getBigUint64(0x80, le) === (1n << 64n) - 1n });
      const { dump, lines } = annotateImage(docs.model, sample.bytes);
      let at = 0;
      for (const line of lines.filter((l) => l.depth === 0)) {
        expect(line.offset, `${sample.id}: ${line.label}`).toBe(at);
        at += line.length;
      }
      expect(at, sample.id).toBe(sample.bytes.length);
      expect(docs.files.get("hex-dump.md"), sample.id).toContain(dump);
    }
    expect(headers.some((h) => h.streamed)).toBe(true);
    expect(headers.some((h) => h.order === ByteOrder.big)).toBe(true);
    expect(headers.some((h) => h.imageType === ImageType.save && h.guestType === GuestType.hvm)).toBe(true);
    expect(headers.some((h) => h.imageType === ImageType.core)).toBe(true);
  });

  it("refuses a stream with a byte the specification does not place", () => {
    const stream = docs.samples.find((s) => s.layout === "streamed")!.bytes;
    const longer = new Uint8Array(stream.length + 8);
    longer.set(stream);
    expect(() => annotateImage(docs.model, longer)).toThrow(SampleMismatchError);
    expect(() => annotateImage(docs.model, stream.subarray(0, stream.length - 8))).toThrow(SampleMismatchError);
  });
});

describe("the demo images, walked with nothing but what the docs say", () => {
  it("accounts for every byte of each image `xenimage demo` writes", async () => {
    // The same images as the CLI's demo command (seed 1, 2 vcpus, 4 MiB each).
    const { encodeImage, ImageType } = await import("../../generated/index.js");
    const { syntheticCoreImage, syntheticGuest } = await import("../../synthetic/guest.js");
    const options = { seed: 1, vcpus: 2 };
    const images = [
      encodeImage(syntheticGuest("pv-x86_64", { ...options, name: "demo-pv64" }, ImageType.save)),
      encodeImage(syntheticGuest("pv-x86_32", { ...options, name: "demo-pv32" }, ImageType.save)),
      encodeImage(syntheticGuest("hvm-x86_64", { ...options, name: "demo-hvm64" }, ImageType.save)),
      encodeImage(syntheticGuest("arm64", { ...options, name: "demo-arm64" }, ImageType.save)),
      encodeImage(syntheticCoreImage("pv-x86_64", { ...options, name: "demo-pv64" })),
    ];
    for (const bytes of images) {
      const { lines, sections } = annotateImage(docs.model, bytes);
      expect(sections.every((s) => s.section !== undefined)).toBe(true);
      let at = 0;
      for (const line of lines.filter((l) => l.depth === 0)) {
        expect(line.offset).toBe(at);
        at += line.length;
      }
      expect(at).toBe(bytes.length);
    }
  });
});
