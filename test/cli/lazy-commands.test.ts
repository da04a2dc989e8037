import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { encodeImage, imageFormat, type ImageHeader, type KnownSection } from "../../generated/index.js";
import { openImage, memorySource } from "../../runtime/index.js";
import { syntheticGuest } from "../../synthetic/guest.js";

// The built command, as test/cli/cli.test.ts runs it: what reads inputs lazily, seen from outside.
const BIN = join(process.cwd(), "dist/cli/main.js");

function run(args: string[], input?: Uint8Array) {
  const r = spawnSync(process.execPath, [BIN, ...args], { input, encoding: "buffer", timeout: 120_000, maxBuffer: 1 << 28 });
  return { code: r.status, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

const dir = mkdtempSync(join(tmpdir(), "xenimage-lazy-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Three page batches, so a damaged one sits between good ones.
const bytes = encodeImage(syntheticGuest("pv-x86_64", { vcpus: 2, memoryBytes: 3 * 1024 * 4096, name: "lazy" }));
const image = join(dir, "guest.img");
writeFileSync(image, bytes);
const stream = join(dir, "guest.stream");
expect(run(["convert", image, stream]).code).toBe(0);
const layout = await openImage<ImageHeader, KnownSection>(imageFormat, memorySource(bytes));
const batches = layout.indicesOf("page_data");
const batchOffset = (k: number) => Number(layout.entry(batches[k]!).offset);

/** A copy of the image with the byte at `at` flipped. */
function flipped(name: string, ...at: number[]): string {
  const copy = bytes.slice();
  for (const a of at) copy[a]! ^= 0x01;
  const path = join(dir, name);
  writeFileSync(path, copy);
  return path;
}

describe("inputs read lazily", () => {
  it("dumps a stream, from a file or standard input, as the seekable image it converts to", () => {
    for (const options of [[], ["--pages"], ["--section", "page_data", "--section", "cpuid"]]) {
      const expected = run(["dump", ...options, image]);
      expect(expected.code, expected.stderr).toBe(0);
      expect(run(["dump", ...options, "-"], bytes).stdout).toBe(expected.stdout);
      const streamed = run(["dump", ...options, stream]).stdout;
      expect(run(["dump", ...options, "-"], readFileSync(stream)).stdout).toBe(streamed);
      // The same text but for the header's table fields, which a stream has as the sentinel and 0.
      const doc = JSON.parse(streamed) as { header: Record<string, unknown> };
      expect(doc.header.sectionTableOffset).toBe(String(2n ** 64n - 1n));
      const seekable = JSON.parse(expected.stdout) as { header: Record<string, unknown> };
      for (const field of ["sectionTableOffset", "sectionCount", "headerCrc"]) doc.header[field] = seekable.header[field];
      expect(JSON.stringify(doc, null, 2) + "\n").toBe(expected.stdout);
    }
  });

  it("dumps a stream without page data with no note of left-out pages (known only at its end)", () => {
    const init = syntheticGuest("pv-x86_64", { vcpus: 1, memoryBytes: 16 * 4096 });
    const noPages = join(dir, "no-pages.img");
    writeFileSync(noPages, encodeImage({ ...init, sections: init.sections.filter((s) => s.type !== "page_data") }));
    const noPagesStream = join(dir, "no-pages.stream");
    expect(run(["convert", noPages, noPagesStream]).code).toBe(0);
    const doc = JSON.parse(run(["dump", noPagesStream]).stdout) as { partial?: string; sections: { type: string }[] };
    expect(doc.partial).toBeUndefined();
    expect(doc.sections.map((s) => s.type)).toEqual(init.sections.filter((s) => s.type !== "page_data").map((s) => s.type));
    expect((JSON.parse(run(["dump", stream]).stdout) as { partial?: string }).partial).toMatch(/page contents left out/);
  });

  it("lists the pages of a stream as those of the seekable image", () => {
    const expected = run(["pages", "--json", image]);
    expect(JSON.parse(expected.stdout)).toHaveLength(3 * 1024);
    expect(run(["pages", "--json", stream]).stdout).toBe(expected.stdout);
    expect(run(["pages", image]).stdout).toBe(run(["pages", stream]).stdout);
  });

  it("verifies a seekable image on standard input, reporting every problem", () => {
    expect(run(["verify", "-"], bytes).stdout.trim()).toBe("<stdin>: ok");
    const bad = readFileSync(flipped("two.img", batchOffset(0) + 8192 + 5, batchOffset(2) + 100_000));
    const r = run(["verify", "--json", "-"], bad);
    expect(r.code).toBe(1);
    const problems = (JSON.parse(r.stdout) as { problems: unknown[] }).problems;
    expect(problems).toEqual([0, 2].map((b) => ({
      code: "crc",
      section: `page_data #${batches[b]}`,
      offset: batchOffset(b),
      field: null,
      message: `section page_data #${batches[b]} at offset 0x${batchOffset(b).toString(16)}: CRC mismatch`,
    })));
    // The text output is each record's message.
    expect(run(["verify", "-"], bad).stderr.trim().split("\n")).toEqual(problems.map((p) => `xenimage: <stdin>: ${(p as { message: string }).message}`));
    expect(run(["verify", "--json", flipped("two-file.img", batchOffset(0) + 8192 + 5, batchOffset(2) + 100_000)]).stdout).toBe(r.stdout.replace('"<stdin>"', JSON.stringify(join(dir, "two-file.img"))));
  });

  it("--skip-pages checks the frame lists only: damaged page contents pass, a damaged frame list does not", () => {
    const contents = flipped("contents.img", batchOffset(1) + 3 * 4096 + 17);
    expect(run(["verify", contents]).code).toBe(1);
    const quick = run(["verify", "--skip-pages", contents]);
    expect(quick.code, quick.stderr).toBe(0);
    const table = run(["inspect", "--skip-pages", contents]);
    expect(table.code).toBe(0);
    expect(table.stdout.match(/ page_data .* frame list ok, pages not read$/gm)).toHaveLength(3);
    // A pfn word's reserved bits (51…59) set: the frame list itself is wrong.
    const list = flipped("list.img", batchOffset(1) + 8 + 8 * 10 + 7);
    const r = run(["verify", "--skip-pages", list]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`section page_data #${batches[1]} at offset 0x${batchOffset(1).toString(16)}: .*reserved`));
  });

  it("pages lists from the frame lists but extracts only from a section whose CRC checks out", () => {
    const damaged = flipped("damaged.img", batchOffset(1) + 3 * 4096 + 17);
    expect(run(["pages", damaged]).stdout).toBe(run(["pages", image]).stdout);
    const out = join(dir, "extracted");
    const good = run(["pages", damaged, "--pfn", "5", "-o", out]);
    expect(good.code, good.stderr).toBe(0);
    expect(readdirSync(out)).toEqual(["pfn-00000005.page"]);
    const bad = run(["pages", damaged, "--pfn", String(1024 + 7), "-o", out]);
    expect(bad.code).toBe(1);
    expect(bad.stderr.trim()).toMatch(new RegExp(`^xenimage: ${damaged}: body CRC mismatch: .*page_data #${batches[1]}`));
    expect(readdirSync(out)).toEqual(["pfn-00000005.page"]);
  });

  it("dump -o FILE of a damaged image leaves neither the file nor a temporary", () => {
    const damaged = flipped("damaged-dump.img", batchOffset(2) + 9000);
    const target = join(dir, "out", "dump.json");
    mkdirSync(join(dir, "out"));
    const r = run(["dump", "--pages", damaged, "-o", target]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/CRC mismatch/);
    expect(existsSync(target)).toBe(false);
    expect(readdirSync(join(dir, "out"))).toEqual([]);
  });
});
