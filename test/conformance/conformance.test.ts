import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { VALIDITY_RULES } from "../../generator/emit/docs/validity-rules.js";
import { compileSchemas } from "../../generator/pipeline.js";
import { camel } from "../../generator/emit/names.js";
import { decodeImage, decodeStreamToImage, imageFormat, type Image, type ImageHeader, type KnownSection } from "../../index.js";
import { crc32c, STREAMED } from "../../runtime/index.js";
import { validateImage } from "../../image/validate.js";
import { CONFORMANCE_DIR, conformanceFiles } from "../../scripts/conformance/write.js";

/**
 * The conformance suite published with the docs: regenerating it changes nothing, our reader gives
 * every verdict, code and offset its manifest gives, and it covers what the issue asks (every rule,
 * every image type and section variant, both layouts and byte orders, the future versions).
 */

interface ManifestFile {
  readonly file: string;
  readonly verdict: "valid" | "invalid";
  readonly layout: "seekable" | "streamed";
  readonly byte_order: "little" | "big";
  readonly size: number;
  readonly crc32c: string;
  readonly rule?: string;
  readonly code?: string;
  readonly offset?: number;
}
interface Manifest {
  readonly rules: readonly { readonly id: string; readonly code: string; readonly invalid_files: number }[];
  readonly files: readonly ManifestFile[];
}

const manifest = JSON.parse(readFileSync(join(CONFORMANCE_DIR, "manifest.json"), "utf8")) as Manifest;
const read = (f: ManifestFile) => new Uint8Array(readFileSync(join(CONFORMANCE_DIR, f.file)));

function committedFiles(dir: string, prefix = ""): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? committedFiles(join(dir, e.name), `${prefix}${e.name}/`) : [`${prefix}${e.name}`]));
}

/** An image decoded whole, in either layout. */
async function decodeAny(bytes: Uint8Array): Promise<Image> {
  const streamed = new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(imageFormat.header.offsets.sectionTableOffset, bytes[8] === 1) === STREAMED;
  return streamed ? ((await decodeStreamToImage(imageFormat, [bytes])) as Image) : decodeImage(bytes);
}

describe("the conformance suite", () => {
  let generated: Map<string, Uint8Array | string>;
  beforeAll(async () => {
    generated = await conformanceFiles();
  }, 120_000);

  it("is what npm run conformance makes: regenerating it changes nothing", () => {
    expect(committedFiles(CONFORMANCE_DIR).sort()).toEqual([...generated.keys()].sort());
    for (const [name, content] of generated) {
      const committed = readFileSync(join(CONFORMANCE_DIR, name));
      const expected = typeof content === "string" ? Buffer.from(content, "utf8") : Buffer.from(content);
      expect(committed.equals(expected), name).toBe(true);
    }
  });

  it("our reader gives every verdict, code and offset the manifest gives", async () => {
    const disagreements: string[] = [];
    for (const f of manifest.files) {
      const bytes = read(f);
      expect(bytes.length, f.file).toBe(f.size);
      expect(`0x${crc32c(bytes).toString(16)}`, f.file).toBe(f.crc32c);
      const verdict = await validateImage(bytes);
      const got = verdict.valid ? "valid" : `${verdict.error.code} at 0x${verdict.error.offset?.toString(16)} (${verdict.error.message})`;
      const wanted = f.verdict === "valid" ? "valid" : `${f.code} at 0x${f.offset!.toString(16)}`;
      if (!got.startsWith(wanted)) disagreements.push(`${f.file}: expected ${wanted}, got ${got}`);
    }
    expect(disagreements).toEqual([]);
  });

  it("has an invalid file for every validity rule, with the rule's code, and says how many", () => {
    const invalid = manifest.files.filter((f) => f.verdict === "invalid");
    for (const rule of VALIDITY_RULES) {
      const files = invalid.filter((f) => f.rule === rule.id);
      expect(files.length, rule.id).toBeGreaterThanOrEqual(1);
      for (const f of files) expect(f.code, f.file).toBe(rule.code);
      expect(manifest.rules.find((r) => r.id === rule.id)?.invalid_files, rule.id).toBe(files.length);
    }
    for (const f of invalid) expect(VALIDITY_RULES.map((r) => r.id), f.file).toContain(f.rule);
    // The rules reliability testing found, each rejected by a file of its own.
    for (const name of ["entry.end-crc", "entry.end-optional-bit", "entry.shape-count-5", "entry.placement-overlap", "header.vcpu_count-0", "header.page_shift-0", "header.page_shift-64", "header.image_type-99"]) {
      expect(invalid.some((f) => f.file.startsWith(`invalid/${name}`)), name).toBe(true);
    }
  });

  it("covers both layouts and byte orders, every image type and every section's every layout with a valid file", async () => {
    const valid = manifest.files.filter((f) => f.verdict === "valid");
    for (const files of [valid, manifest.files.filter((f) => f.verdict === "invalid")]) {
      expect(new Set(files.map((f) => f.layout))).toEqual(new Set(["seekable", "streamed"]));
      expect(new Set(files.map((f) => f.byte_order))).toEqual(new Set(["little", "big"]));
    }
    const { model } = compileSchemas("schema");
    const seen: { header: ImageHeader; types: Set<string> }[] = [];
    for (const f of valid) {
      const image = await decodeAny(read(f));
      seen.push({ header: image.header, types: new Set(image.sections.map((s) => s.type)) });
    }
    const imageTypes = new Set(seen.map((s) => s.header.imageType));
    expect(imageTypes).toEqual(new Set([1, 2, 3]));
    for (const section of model!.sections) {
      if (section === model!.container.end) continue;
      section.variants.forEach((variant, i) => {
        const covered = seen.some((s) => s.types.has(section.name) && variant.when.every((c) => c.values.some((v) => v.value === (s.header as unknown as Record<string, unknown>)[camel(c.field.name)])));
        expect(covered, `${section.name}, layout ${i + 1}`).toBe(true);
      });
    }
  });

  it("future images: a reader of this version reads what the versioning page says it reads", async () => {
    const future = (name: string) => manifest.files.find((f) => f.file === `future/${name}.img`)!;
    const longer = await decodeAny(read(future("longer-header-and-entries-little-seekable")));
    expect(longer.header.headerSize).toBe(imageFormat.header.size + 8);
    expect(longer.header.sectionEntrySize).toBe(imageFormat.entry.size + 8);
    const streamed = await decodeAny(read(future("longer-header-and-entries-big-streamed")));
    expect(streamed.header.sectionEntrySize).toBe(imageFormat.entry.size + 8);
    const pages = await decodeAny(read(future("page-type-5-little-seekable")));
    const pageData = pages.sections.find((s) => s.type === "page_data");
    expect(pageData?.type === "page_data" && pageData.body.pfns.map((w) => w.type)).toEqual([5]);
    expect(pageData?.type === "page_data" && pageData.body.pages.length).toBe(1);
    const tsc = (await decodeAny(read(future("open-enum-value-little-seekable")))).sections.find((s) => s.type === "tsc_info");
    expect(tsc?.type === "tsc_info" && tsc.body.mode).toBe(7);
    const notes = await decodeAny(read(future("optional-section-little-seekable")));
    expect(notes.sections[1]).toMatchObject({ type: "unknown", id: 0x7001, optional: true });
  });

  it("keeps every file small", () => {
    const sizes = manifest.files.map((f) => f.size);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(64 * 1024);
    expect(sizes.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(2 * 1024 * 1024);
  });
});

describe("xenimage verify", () => {
  it("gives every verdict of the manifest (the command's check: inspect's problems, or the error that stopped it)", async () => {
    const { inspectInput } = await import("../../cli/inspect-report.js");
    const { decodeStream, memorySource, openImage } = await import("../../runtime/index.js");
    const disagreements: string[] = [];
    for (const f of manifest.files) {
      const bytes = read(f);
      let problems: readonly string[];
      try {
        // What verify opens a file as (cli/open-input.ts), from memory.
        const input =
          f.layout === "streamed"
            ? { kind: "streamed" as const, stream: await decodeStream<ImageHeader, KnownSection>(imageFormat, [bytes]) }
            : { kind: "seekable" as const, image: await openImage<ImageHeader, KnownSection>(imageFormat, memorySource(bytes)) };
        problems = (await inspectInput(input)).problems.map((p) => p.message);
      } catch (e) {
        problems = [(e as Error).message];
      }
      if ((problems.length === 0) !== (f.verdict === "valid")) disagreements.push(`${f.file}: ${f.verdict}, verify says ${problems.join("; ") || "ok"}`);
    }
    expect(disagreements).toEqual([]);
  });
});
