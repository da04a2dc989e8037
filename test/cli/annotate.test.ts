import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ByteOrder, encodeImage } from "../../generated/index.js";
import { syntheticGuest } from "../../synthetic/guest.js";
import { annotateJson, BIN, leavesUntiled, run, untiled } from "./annotate-helpers.js";

let dir: string;
beforeAll(() => {
  expect(existsSync(BIN), "build first: npm run build").toBe(true);
  dir = mkdtempSync(join(tmpdir(), "xenimage-annotate-"));
  const demo = run(["demo", "--out", join(dir, "demo")]);
  expect(demo.code, demo.stderr).toBe(0);
  const init = syntheticGuest("hvm-x86_64", { seed: 9, vcpus: 1, memoryBytes: 16 * 4096, name: "big-endian" });
  writeFileSync(join(dir, "big-endian.img"), encodeImage({ ...init, header: { ...init.header, byteOrder: ByteOrder.big } }));
}, 180_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("xenimage annotate", () => {
  it("accounts for every byte of every demo image: the annotated runs tile the file exactly", () => {
    const files = readdirSync(join(dir, "demo"));
    expect(files.length).toBe(5);
    for (const file of files) {
      const path = join(dir, "demo", file);
      const lines = annotateJson([path]);
      expect(untiled(lines, statSync(path).size), file).toEqual([]);
      expect(leavesUntiled(lines, statSync(path).size), file).toEqual([]);
      expect(lines.reduce((sum, l) => sum + (l.depth === 0 ? l.length : 0), 0)).toBe(statSync(path).size);
    }
  });

  it("and of every demo image in the streamed layout: padding, entries and bodies tile the stream", () => {
    for (const file of readdirSync(join(dir, "demo"))) {
      const path = join(dir, `${file}.stream`);
      const c = run(["convert", join(dir, "demo", file), path, "--to", "streamed"]);
      expect(c.code, c.stderr).toBe(0);
      const lines = annotateJson([path]);
      expect(untiled(lines, statSync(path).size), file).toEqual([]);
      expect(leavesUntiled(lines, statSync(path).size), file).toEqual([]);
      const entries = lines.filter((l) => /^table\[\d+\]$/.test(l.field));
      expect(entries.at(-1)?.value).toBe("end");
      for (const e of entries.slice(0, -1)) expect(lines.find((l) => l.field === `${e.field}.crc`)?.value).toMatch(/CRC32C of the body: checks out/);
    }
  });

  it("a big-endian image too, its values decoded in its byte order", () => {
    const path = join(dir, "big-endian.img");
    const lines = annotateJson([path]);
    expect(untiled(lines, statSync(path).size)).toEqual([]);
    expect(leavesUntiled(lines, statSync(path).size)).toEqual([]);
    // Page-frame words element by element, decoded in the image's byte order.
    expect(lines.find((l) => l.field === "page_data.pfns[3]")?.value).toMatch(/, pfn 3$/);
    expect(lines.find((l) => l.field === "header.byte_order")?.value).toMatch(/\(big\)/);
    expect(lines.find((l) => l.field === "header.header_size")?.value).toMatch(/^152 /);
  });

  it("marks the header CRC, every table entry's fields and each body's CRC as checked", () => {
    const path = join(dir, "demo", "pv-x86_64-save.img");
    const lines = annotateJson([path]);
    expect(lines.find((l) => l.field === "header.header_crc")?.value).toMatch(/checks out/);
    const entries = lines.filter((l) => /^table\[\d+\]$/.test(l.field));
    expect(entries.length).toBeGreaterThan(5);
    for (const e of entries) {
      const i = /\[(\d+)\]/.exec(e.field)![1];
      const fields = lines.filter((l) => l.field.startsWith(`table[${i}].`));
      // Every byte of the entry belongs to one of its fields.
      expect(fields.reduce((sum, f) => sum + f.length, 0)).toBe(e.length);
      expect(fields.find((f) => f.field === `table[${i}].crc`)?.value).toMatch(/CRC32C of the body: checks out/);
    }
    expect(lines.some((l) => l.field === "(padding)")).toBe(true);
  });

  it("--section reads only the sections named; --offset/--length only the lines over that range", () => {
    const path = join(dir, "demo", "pv-x86_64-save.img");
    const cpuid = annotateJson([path, "--section", "cpuid"]);
    expect(new Set(cpuid.filter((l) => !l.field.startsWith("table[")).map((l) => l.field.split(/[.[]/)[0]))).toEqual(new Set(["cpuid"]));
    // Entries element by element, each with its index in the path.
    expect(cpuid.find((l) => l.field === "cpuid[2].leaf")?.depth).toBe(1);
    const range = annotateJson([path, "--offset", "0x10", "--length", "8"]);
    expect(range.map((l) => l.field)).toEqual(["header.image_type", "header.guest_type", "header.arch", "header.page_shift"]);
    expect(range.every((l) => l.offset < 0x18 && l.offset + l.length > 0x10)).toBe(true);
    expect(range.length).toBeGreaterThan(0);
  });

  it("--elements N spells out at most N elements of each array, one summary range standing for the rest", () => {
    const path = join(dir, "demo", "pv-x86_64-save.img");
    const cpuid = annotateJson([path, "--section", "cpuid", "--elements", "2"]).filter((l) => l.depth === 0 && !l.field.startsWith("table["));
    expect(cpuid.map((l) => l.field)).toEqual(["cpuid[0]", "cpuid[1]", expect.stringMatching(/^cpuid\[2…\d+\]$/)]);
    expect(cpuid[2]!.value).toMatch(/^\d+ × cpuid_leaf, not annotated$/);
    expect(cpuid[2]!.offset).toBe(cpuid[1]!.offset + cpuid[1]!.length);
  });

  it("text output: one line per field with its offset, bytes, path and value", () => {
    const r = run(["annotate", join(dir, "demo", "pv-x86_64-save.img"), "--section", "extended_info"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^--- section #\d+: extended_info, body of \d+ bytes at 0x[0-9a-f]+, CRC32C checks out ---$/m);
    expect(r.stdout).toMatch(/^[0-9a-f]{8} {2}[0-9a-f]{2}.* extended_info\.\w+ = /m);
  });

  it("a truncated image, or a table count past the end: exit 1 with a typed error, never an internal one", () => {
    const bytes = readFileSync(join(dir, "demo", "arm64-save.img"));
    const cut = join(dir, "cut.img");
    writeFileSync(cut, bytes.subarray(0, bytes.length - 100));
    const r = run(["annotate", cut]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/lies outside the image/);
    expect(r.stderr).not.toMatch(/internal error/);
    const streamed = join(dir, "arm64-save.img.stream");
    const s = readFileSync(streamed);
    const cutStream = join(dir, "cut.stream");
    writeFileSync(cutStream, s.subarray(0, 5000));
    const c = run(["annotate", cutStream]);
    expect(c.code).toBe(1);
    expect(c.stderr).not.toMatch(/internal error/);
  });

  it("an unknown --section or a bad --offset is a usage error", () => {
    const path = join(dir, "demo", "arm64-save.img");
    expect(run(["annotate", path, "--section", "nosuch"]).code).toBe(2);
    expect(run(["annotate", path, "--offset", "ten"]).code).toBe(2);
  });
});
