import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { build } from "esbuild";
import { CHROMIUM, launchChromium } from "../chromium.js";
import { describe, expect, it } from "vitest";
import { crc32cJs } from "../../runtime/crc32c.js";
import { prng, randomBytes } from "./prng.js";

/**
 * The main entry (`xenimage`) must run in a browser: bundled for one (esbuild, browser platform: no
 * `node` condition, no Node built-ins), `#crc32c-native` resolves to the stub, and in headless
 * Chromium (Debian's package, as the docs test uses) the JavaScript kernel runs and agrees with Node's.
 */


async function bundle(platform: "browser" | "node") {
  // An IIFE that leaves the library on `xenimage`, as a script tag loads it.
  const result = await build({ entryPoints: [resolve("index.ts")], bundle: true, platform, format: "iife", globalName: "xenimage", write: false, metafile: true, logLevel: "silent" });
  return { code: result.outputFiles[0]!.text, inputs: Object.keys(result.metafile.inputs) };
}

describe("the main entry in a browser", () => {
  it("bundles for a browser with the CRC32C stub and no Node built-in, and for Node with the native loader", async () => {
    const browser = await bundle("browser");
    expect(browser.inputs).toContain("runtime/native/crc32c.browser.js");
    expect(browser.inputs.filter((i) => i.includes("crc32c.node") || i.startsWith("node:") || i.includes("node_modules/@node-rs"))).toEqual([]);
    const node = await bundle("node");
    expect(node.inputs).toContain("runtime/native/crc32c.node.js");
  });

  it("runs in headless Chromium on the JavaScript kernel, with Node's results", async () => {
    expect(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install -y chromium`).toBe(true);
    const { code } = await bundle("browser");
    const data = randomBytes(prng(5), 100_000);
    const browser = await launchChromium();
    try {
      const page = await browser.context.newPage();
      const errors: string[] = [];
      page.on("pageerror", (e) => errors.push(e.message));
      await page.addScriptTag({ content: code });
      const seen = await page.evaluate((bytes) => {
        const { crc32c, crc32cKernel } = (window as unknown as { xenimage: { crc32c: (b: Uint8Array, c?: number) => number; crc32cKernel: unknown } }).xenimage;
        const b = new Uint8Array(bytes);
        return { kernel: crc32cKernel, check: crc32c(new TextEncoder().encode("123456789")), data: crc32c(b), halves: crc32c(b.subarray(5000), crc32c(b.subarray(0, 5000))) };
      }, Array.from(data));
      expect(errors).toEqual([]);
      expect(seen.kernel).toEqual({ kernel: "js", reason: "no native kernel outside Node" });
      expect(seen.check).toBe(0xe3069283);
      expect(seen.data).toBe(crc32cJs(data));
      expect(seen.halves).toBe(seen.data);
    } finally {
      await browser.close();
    }
  });
});
