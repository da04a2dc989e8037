import { beforeAll, describe, expect, it } from "vitest";
import { annotateImage, SampleMismatchError } from "../../generator/emit/docs/hex-dump.js";
import { buildSampleImage } from "../../generator/emit/docs/sample-image.js";
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

  it("is the same image every time (the docs stay deterministic)", () => {
    expect(buildSampleImage(docs.model).bytes).toEqual(docs.sample.bytes);
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
