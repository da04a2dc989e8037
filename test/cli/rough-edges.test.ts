import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodeImage, imageFormat } from "../../generated/index.js";
import { decodeLayout } from "../../runtime/index.js";
import { syntheticGuest } from "../../synthetic/guest.js";

// The built command, as an operator runs it: exit codes, stdout and stderr.
const BIN = join(process.cwd(), "dist/cli/main.js");

function run(args: string[], input?: Uint8Array) {
  const r = spawnSync(process.execPath, [BIN, ...args], { input, encoding: "buffer", timeout: 60_000, maxBuffer: 1 << 28 });
  return { code: r.status, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

const COMMANDS = ["inspect", "annotate", "dump", "build", "verify", "convert", "pages", "receive", "demo", "breaking", "generate", "docs"];

let dir: string;
let image: string;
let bytes: Uint8Array;
beforeAll(() => {
  expect(existsSync(BIN), "build first: npm run build").toBe(true);
  dir = mkdtempSync(join(tmpdir(), "xenimage-rough-"));
  bytes = encodeImage(syntheticGuest("pv-x86_64", { seed: 3, vcpus: 1, memoryBytes: 16 * 4096, name: "rough" }));
  image = join(dir, "pv.img");
  writeFileSync(image, bytes);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("--section takes only the format's section names", () => {
  it("dump --section nosuch: exit 2, the valid names listed, nothing on standard output", () => {
    const r = run(["dump", image, "--section", "nosuch"]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/^xenimage: dump: no section type "nosuch"; --section takes one of: /);
    for (const c of imageFormat.sections) expect(r.stderr).toContain(c.name);
    expect(r.stderr).toContain("Run 'xenimage dump --help' for usage.");
  });

  it("a valid name next to a wrong one is still a usage error naming the wrong one only", () => {
    const r = run(["dump", image, "--section", "cpuid", "--section", "cpuidd"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no section type "cpuidd";/);
  });
});

describe("per-command --help", () => {
  const global = run(["--help"]).stdout;
  it.each(COMMANDS)("xenimage %s --help prints that command's usage, not the global help", (command) => {
    for (const flag of ["--help", "-h"]) {
      const r = run([command, flag]);
      expect(r.code).toBe(0);
      expect(r.stdout.startsWith(`usage: xenimage ${command}`)).toBe(true);
      expect(r.stdout).not.toBe(global);
      expect(r.stdout).not.toContain("Commands:");
      // Its usage lines are the ones the global help lists for it.
      const first = r.stdout.split("\n")[0]!.replace("usage: xenimage ", "");
      expect(global).toContain(`  ${first}`);
    }
  });
});

describe("option errors in our own words", () => {
  it.each([
    [["inspect", "--frob", "x.img"], "inspect: unknown option --frob", "inspect"],
    [["verify", "-z", "x.img"], "verify: unknown option -z", "verify"],
    [["dump", "x.img", "-o"], "dump: option -o needs a value", "dump"],
    [["pages", "x.img", "--pfn"], "pages: option --pfn needs a value", "pages"],
    [["inspect", "--json=yes", "x.img"], "inspect: option --json takes no value", "inspect"],
    [["demo", "extra"], 'demo: unexpected argument "extra"', "demo"],
    [["receive", "--nope"], "receive: unknown option --nope", "receive"],
    [["annotate", "x.img", "--offset", "-1"], 'annotate: option --offset needs a value; for one that starts with "-", write --offset=-1', "annotate"],
  ])("%j: exit 2, %s", (args, message, command) => {
    const r = run(args);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe(`xenimage: ${message}\nRun 'xenimage ${command} --help' for usage.\n`);
    expect(r.stderr).not.toMatch(/parseArgs|positional argument|ERR_PARSE/);
  });
});

describe("no temporary files left on failure", () => {
  it("dump --pages -o of an image with a damaged page: exit 1, neither the output nor a temporary", () => {
    const out = mkdtempSync(join(dir, "dump-"));
    const bad = new Uint8Array(bytes);
    const layout = decodeLayout(imageFormat, bytes);
    const pageData = layout.entries.find((e) => e.type === imageFormat.sections.find((c) => c.name === "page_data")!.id)!;
    bad[Number(pageData.offset + pageData.size) - 1]! ^= 0xff;
    const damaged = join(out, "..", "damaged.img");
    writeFileSync(damaged, bad);
    const r = run(["dump", "--pages", damaged, "-o", join(out, "out.json")]);
    expect(r.code).toBe(1);
    expect(readdirSync(out)).toEqual([]);
  });

  it("build -o from JSON that is no image: exit 1, neither the output nor a temporary", () => {
    const out = mkdtempSync(join(dir, "build-"));
    const json = join(dir, "bad.json");
    writeFileSync(json, JSON.stringify({ format: "xenimage-json", version: 1, header: {}, sections: [] }));
    const r = run(["build", json, "-o", join(out, "out.img")]);
    expect(r.code).toBe(1);
    expect(readdirSync(out)).toEqual([]);
  });
});

describe("inspect on a broken image shows what it could read, then the error", () => {
  it("a truncated seekable image: the header, then the error; exit 1", () => {
    const cut = join(dir, "cut.img");
    writeFileSync(cut, bytes.subarray(0, bytes.length - 10));
    const r = run(["inspect", cut]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/xenimage format \d+, save \(1\) image/);
    expect(r.stdout).toMatch(/domain: +id \d+, name "rough"/);
    expect(r.stdout).toContain("(the section table could not be read)");
    expect(r.stderr).toMatch(/runs past the end of the image/);
  });

  it("bytes after the table: the header, every section with its status, then the error", () => {
    const trailing = join(dir, "trailing.img");
    writeFileSync(trailing, Buffer.concat([bytes, new Uint8Array(8)]));
    const r = run(["inspect", trailing]);
    expect(r.code).toBe(1);
    const layout = decodeLayout(imageFormat, bytes);
    for (const name of ["guest_config", "page_data", "vcpu_context"]) expect(r.stdout).toMatch(new RegExp(`\\] +${name} .* ok$`, "m"));
    expect(r.stdout.match(/^ {2}\[\d+\]/gm)).toHaveLength(layout.entries.length);
    expect(r.stderr).toMatch(/8 bytes follow the section table/);
  });

  it("--json: the header, the sections read and the error", () => {
    const trailing = join(dir, "trailing.img");
    const r = run(["inspect", "--json", trailing]);
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout) as { header: { name: string }; sections: { status: string }[]; error: string };
    expect(out.header.name).toBe("rough");
    expect(out.sections.every((s) => s.status === "ok")).toBe(true);
    expect(out.error).toMatch(/follow the section table/);
  });

  it("a cut-off stream: the sections that arrived whole, then the error", () => {
    const streamed = join(dir, "pv.stream");
    expect(run(["convert", image, streamed, "--to", "streamed"]).code).toBe(0);
    const stream = readFileSync(streamed);
    const cut = join(dir, "cut.stream");
    // Into the last page_data body, well past the small sections before it.
    writeFileSync(cut, stream.subarray(0, stream.length - 4096));
    const r = run(["inspect", cut]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/layout: +streamed/);
    expect(r.stdout).toMatch(/\] +guest_config .* ok$/m);
    expect(r.stderr).toMatch(/the stream ends inside the body of/);
  });

  it("a damaged header: nothing but the error", () => {
    const bad = new Uint8Array(bytes);
    bad[0]! ^= 0xff;
    const file = join(dir, "badmagic.img");
    writeFileSync(file, bad);
    const r = run(["inspect", file]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).not.toBe("");
  });
});
