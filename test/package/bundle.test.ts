import { build, type Metafile } from "esbuild";
import { existsSync, readFileSync } from "node:fs";
import { CHROMIUM, launchChromium } from "../chromium.js";
import { beforeAll, describe, expect, it } from "vitest";
import { decodeImage, encodeImage, ImageType } from "../../generated/index.js";
import { syntheticGuest } from "../../synthetic/guest.js";

// What a browser application pays for the package: minified esbuild bundles of the built package
// (dist/, as npm would install it, "sideEffects": false and all), imported by name through its exports
// map. One struct codec from its schema module's entry point, and decodeImage from the main one; then
// a demo image decoded in headless Chromium through such a bundle.

const KB = 1024;

interface Bundle {
  readonly code: string;
  readonly bytes: number;
  /** The modules that put code into the bundle (after tree shaking). */
  readonly inputs: readonly string[];
  /** Every module the entry reaches through imports (before tree shaking). */
  readonly graph: readonly string[];
}

/** Bundles `source` (an entry module's text) for the browser, minified; returns the code and what went in. */
async function bundle(source: string, format: "esm" | "iife" = "esm", platform: "browser" | "node" = "browser"): Promise<Bundle> {
  const result = await build({
    stdin: { contents: source, resolveDir: process.cwd(), loader: "js" },
    bundle: true,
    minify: true,
    format,
    platform,
    target: "es2022",
    write: false,
    metafile: true,
    logLevel: "silent",
  });
  const code = result.outputFiles[0]!.text;
  const output = Object.values((result.metafile as Metafile).outputs)[0]!;
  const inputs = Object.entries(output.inputs).filter(([, v]) => v.bytesInOutput > 0).map(([k]) => k);
  return { code, bytes: Buffer.byteLength(code), inputs, graph: Object.keys((result.metafile as Metafile).inputs) };
}

const STRUCT_CODEC = `
import { ByteReader } from "xenimage";
import { decodeCpuidLeaf, encodeCpuidLeaf } from "xenimage/x86";
export { ByteReader, decodeCpuidLeaf, encodeCpuidLeaf };
`;
const DECODE_IMAGE = `
import { decodeImage } from "xenimage";
globalThis.xenimage = { decodeImage };
`;

describe("browser bundles of the package", () => {
  beforeAll(() => {
    expect(existsSync("dist/index.js"), "dist/ is missing: npm run build").toBe(true);
  });

  it("one struct codec from its subpath is at most 10 KB, and pulls in no other schema module", async () => {
    const b = await bundle(STRUCT_CODEC);
    expect(b.bytes).toBeLessThanOrEqual(10 * KB);
    expect(b.inputs.filter((i) => i.includes("dist/generated/"))).toEqual(["dist/generated/x86.js"]);
    expect(b.code).not.toMatch(/cli-progress|node:/);
  });

  it("decodeImage is at most 60 KB, and carries no encoder and no schema model", async () => {
    const b = await bundle(DECODE_IMAGE);
    expect(b.bytes).toBeLessThanOrEqual(60 * KB);
    // Generated encoders are named encodeX…; minified names change, the error texts they throw do not.
    expect(b.code).not.toContain("elements given, exactly");
    expect(b.inputs).not.toContain("dist/generated/schema.js");
    expect(b.code).not.toMatch(/cli-progress|node:/);
  });
});

describe("the progress bar", () => {
  it("is reached from no entry point of the package, only from the command", async () => {
    const pkg = JSON.parse(readFileSync("package.json", "utf8")) as { exports: Record<string, unknown> };
    const entries = Object.keys(pkg.exports).filter((e) => e !== "./package.json");
    expect(entries.length).toBeGreaterThan(10);
    for (const entry of entries) {
      const name = entry === "." ? "xenimage" : `xenimage/${entry.slice(2)}`;
      const b = await bundle(`import * as m from "${name}"; globalThis.m = m;`, "esm", "node");
      expect(b.graph.filter((i) => i.includes("cli-progress")), name).toEqual([]);
    }
    // The check can fail: the command itself does import it.
    const cli = await bundle(`import { main } from "./dist/cli/main.js"; globalThis.m = main;`, "esm", "node");
    expect(cli.graph.some((i) => i.includes("cli-progress"))).toBe(true);
  });
});

describe("decodeImage in a browser", () => {

  it("decodes a demo image in headless Chromium through the minified decodeImage bundle, as Node does", async () => {
    expect(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install -y chromium`).toBe(true);
    const { code } = await bundle(DECODE_IMAGE, "iife");
    const bytes = encodeImage(syntheticGuest("hvm-x86_64", { seed: 1, vcpus: 2, name: "demo-hvm64" }, ImageType.save));
    const expected = summary(decodeImage(bytes));
    const browser = await launchChromium();
    try {
      const page = await browser.context.newPage();
      const problems: string[] = [];
      page.on("pageerror", (e) => problems.push(e.message));
      await page.setContent("<!doctype html><title>xenimage</title>");
      await page.addScriptTag({ content: code });
      // The same summary function as Node's, as a script of the page.
      await page.addScriptTag({ content: `globalThis.summary = ${summary.toString()};` });
      const got = await page.evaluate((base64) => {
        const raw = atob(base64);
        const input = new Uint8Array(raw.length);
        for (let i = 0; i < raw.length; i++) input[i] = raw.charCodeAt(i);
        const g = globalThis as unknown as { xenimage: { decodeImage(b: Uint8Array): unknown }; summary(image: unknown): unknown };
        return g.summary(g.xenimage.decodeImage(input));
      }, Buffer.from(bytes).toString("base64"));
      expect(problems).toEqual([]);
      expect(got).toEqual(expected);
    } finally {
      await browser.close();
    }
  });
});

/** What both sides report of a decoded image: the header's name and type, each section's type and a digest of its body. */
function summary(image: unknown): unknown {
  const img = image as { header: { name: string; imageType: number; arch: number }; sections: { type: string; body: unknown }[] };
  const digest = (v: unknown): number => {
    if (v instanceof Uint8Array) return v.reduce((a, b) => (a * 31 + b) >>> 0, v.length);
    if (typeof v === "bigint") return Number(v % 1000003n);
    if (typeof v === "number") return v >>> 0;
    if (typeof v === "string") return v.length;
    if (Array.isArray(v)) return v.reduce((a: number, x) => (a * 7 + digest(x)) >>> 0, v.length);
    if (v !== null && typeof v === "object") return Object.values(v).reduce((a: number, x) => (a * 13 + digest(x)) >>> 0, 1);
    return 0;
  };
  return { name: img.header.name, imageType: img.header.imageType, arch: img.header.arch, sections: img.sections.map((s) => [s.type, digest(s.body)]) };
}
