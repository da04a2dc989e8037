import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { build } from "esbuild";
import { CHROMIUM, launchChromium } from "../chromium.js";
import { describe, expect, it } from "vitest";
import { decodeImage, encodeImage, imageFormat, type ImageHeader, type KnownSection } from "../../generated/index.js";
import { blobSource, DecodeError, openImage, type BlobLike } from "../../runtime/index.js";
import { GUEST_KINDS, syntheticGuest } from "../../synthetic/guest.js";

/**
 * `openImage(blob)`: a `Blob` (a dropped `File` in a browser) is a random-access source read through
 * `Blob.slice`, lazily: opening reads the header and the table, each section its own bytes.
 */


function image(kind: (typeof GUEST_KINDS)[number]): Uint8Array<ArrayBuffer> {
  // A copy on an ArrayBuffer of its own: what a BlobPart must be.
  return new Uint8Array(encodeImage(syntheticGuest(kind, { seed: 7, vcpus: 1, memoryBytes: 32 * 4096, batchPages: 8 })));
}

/** A Blob that counts the bytes sliced out of it. */
function countingBlob(bytes: Uint8Array<ArrayBuffer>): { blob: BlobLike; read: () => number } {
  const blob = new Blob([bytes]);
  let read = 0;
  return {
    blob: {
      size: blob.size,
      slice(start?: number, end?: number) {
        const part = blob.slice(start, end);
        read += part.size;
        return part;
      },
    },
    read: () => read,
  };
}

describe("openImage on a Blob (Node's Blob)", () => {
  it.each(GUEST_KINDS)("%s: the same header and sections as decoding the bytes whole", async (kind) => {
    const bytes = image(kind);
    const whole = decodeImage(bytes);
    const reader = await openImage<ImageHeader, KnownSection>(imageFormat, new Blob([bytes]));
    expect(reader.header).toEqual(whole.header);
    const sections = [];
    for await (const s of reader.sections()) sections.push(s);
    expect(sections).toEqual(whole.sections);
  });

  it("reads lazily: opening reads only the header and the table, a section only its bytes and gap", async () => {
    const bytes = image("pv-x86_64");
    const { blob, read } = countingBlob(bytes);
    const reader = await openImage<ImageHeader, KnownSection>(imageFormat, blob);
    const h = reader.header;
    const table = h.sectionCount * h.sectionEntrySize;
    expect(read()).toBeGreaterThanOrEqual(h.headerSize + table);
    expect(read()).toBeLessThan(h.headerSize + table + 8 + 64 * 1024);
    const opened = read();
    const i = reader.indicesOf("cpuid")[0]!;
    await reader.section(i);
    expect(read() - opened).toBeGreaterThanOrEqual(Number(reader.entry(i).size));
    expect(read() - opened).toBeLessThan(Number(reader.entry(i).size) + Number(reader.entry(i).align));
    expect(read()).toBeLessThan(bytes.length / 4);
  });

  it("a truncated Blob fails with a DecodeError, as a truncated file does", async () => {
    const bytes = image("arm64");
    await expect(openImage(imageFormat, new Blob([bytes.subarray(0, bytes.length - 1)]))).rejects.toBeInstanceOf(DecodeError);
  });

  it("blobSource reads past the end as a short read, like a file", async () => {
    const source = blobSource(new Blob([new Uint8Array([1, 2, 3])]));
    const buffer = new Uint8Array(4);
    expect(await source.read(buffer, 1, 3, 1)).toEqual({ bytesRead: 2 });
    expect(Array.from(buffer)).toEqual([0, 2, 3, 0]);
    expect(await source.read(buffer, 0, 2, 3)).toEqual({ bytesRead: 0 });
    expect(await source.size()).toBe(3);
  });
});

describe("openImage on a Blob in headless Chromium", () => {
  it("opens every synthetic guest image from a Blob and reads what Node reads", async () => {
    expect(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install -y chromium`).toBe(true);
    const result = await build({ entryPoints: [resolve("index.ts")], bundle: true, platform: "browser", format: "iife", globalName: "xenimage", write: false, logLevel: "silent" });
    const code = result.outputFiles[0]!.text;
    const browser = await launchChromium();
    try {
      const page = await browser.context.newPage();
      const errors: string[] = [];
      page.on("pageerror", (e) => errors.push(e.message));
      await page.addScriptTag({ content: code });
      for (const kind of GUEST_KINDS) {
        const bytes = image(kind);
        const whole = decodeImage(bytes);
        const seen = await page.evaluate(async (data) => {
          type Reader = { header: { name: string; vcpuCount: number }; sectionCount: number; typeName(i: number): string | undefined; body(i: number): Promise<Uint8Array> };
          const x = (window as unknown as { xenimage: { imageFormat: unknown; openImage(f: unknown, s: unknown): Promise<Reader> } }).xenimage;
          const reader = await x.openImage(x.imageFormat, new Blob([new Uint8Array(data)]));
          const types: (string | undefined)[] = [];
          let bodyBytes = 0;
          for (let i = 0; i < reader.sectionCount; i++) {
            types.push(reader.typeName(i));
            bodyBytes += (await reader.body(i)).length;
          }
          return { name: reader.header.name, vcpus: reader.header.vcpuCount, types, bodyBytes };
        }, Array.from(bytes));
        expect(seen.name).toBe(whole.header.name);
        expect(seen.vcpus).toBe(whole.header.vcpuCount);
        expect(seen.types).toEqual(whole.sections.map((s) => s.type));
        expect(seen.bodyBytes).toBeGreaterThan(32 * 4096);
      }
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 120_000);
});
