import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodeImage } from "../../generated/index.js";
import { syntheticGuest } from "../../synthetic/guest.js";

// These tests run the built command (dist/, made by `npm run build`, which `npm test` runs first),
// as an operator would: separate process, real files, exit codes and stderr.
const BIN = join(process.cwd(), "dist/cli/main.js");

function run(args: string[], input?: Uint8Array) {
  const r = spawnSync(process.execPath, [BIN, ...args], { input, encoding: "buffer", timeout: 120_000, maxBuffer: 1 << 28 });
  return { code: r.status, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

let dir: string;
let image: string;
beforeAll(() => {
  expect(existsSync(BIN), "build first: npm run build").toBe(true);
  dir = mkdtempSync(join(tmpdir(), "xenimage-cli-"));
  const demo = run(["demo", "--out", dir]);
  expect(demo.code, demo.stderr).toBe(0);
  image = join(dir, "pv-x86_64-save.img");
}, 180_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const DEMO_FILES = ["arm64-save.img", "hvm-x86_64-save.img", "pv-x86_32-save.img", "pv-x86_64-core.img", "pv-x86_64-save.img"];

describe("xenimage demo", () => {
  it("writes save images of four guest kinds and a core image, and nothing else", () => {
    expect(readdirSync(dir).sort()).toEqual(DEMO_FILES);
  });

  it.each(DEMO_FILES)("%s follows its image-type rule", (file) => {
    const r = run(["inspect", join(dir, file)]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Image-type rule: \w+\n  every section is where the rule wants it/);
  });
});

describe("xenimage inspect", () => {
  it("lists the header and every section with its CRC status", () => {
    const r = run(["inspect", image]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("");
    expect(r.stdout).toMatch(/save \(1\) image/);
    expect(r.stdout).toMatch(/guest:\s+pv \(1\), x86_64 \(2\)/);
    expect(r.stdout).toMatch(/vcpus:\s+2/);
    for (const name of ["guest_config", "cpuid", "extended_info", "p2m_frame_list", "page_data", "shared_info", "vcpu_context", "end"]) {
      expect(r.stdout).toMatch(new RegExp(`\\] +${name} .* ok$`, "m"));
    }
    expect(r.stdout).toMatch(/vcpu_context +0x20 +0x[0-9a-f]+ +10336 +2 +5168 +8 /);
  });

  it("--json gives 64-bit values as decimal strings", () => {
    const r = run(["inspect", "--json", image]);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as { header: Record<string, unknown>; sections: Record<string, unknown>[]; rule: string; violations: unknown[] };
    expect(report.header.memorySize).toBe(String(4 * 1024 * 1024));
    expect(typeof report.header.sectionTableOffset).toBe("string");
    expect(report.sections.map((s) => s.name)).toEqual([
      "guest_config", "cpuid", "msr_policy", "extended_info", "p2m_frame_list", "page_data", "unwritten_pages", "tsc_info",
      "shared_info", "vcpu_context", "vcpu_extended", "vcpu_msrs", "vcpu_extended", "vcpu_msrs", "end",
    ]);
    expect(report.rule).toBe("pv_x86_save");
    expect(report.violations).toEqual([]);
    expect(report.sections.every((s) => s.status === "ok")).toBe(true);
  });

  it("a flipped byte in a section body: exit 1, one line naming the section and the CRC mismatch", () => {
    const bytes = new Uint8Array(readFileSync(image));
    const report = JSON.parse(run(["inspect", "--json", image]).stdout) as { sections: { name: string; offset: string }[] };
    const cpuid = report.sections.find((s) => s.name === "cpuid")!;
    bytes[Number(cpuid.offset) + 5]! ^= 0x20;
    const bad = join(dir, "flipped.img");
    writeFileSync(bad, bytes);
    try {
      const r = run(["inspect", bad]);
      expect(r.code).toBe(1);
      expect(r.stderr.trim().split("\n")).toEqual([`xenimage: ${bad}: section cpuid #1 at offset 0x${Number(cpuid.offset).toString(16)}: CRC mismatch`]);
      expect(r.stdout).toMatch(/cpuid .* CRC mismatch$/m);
    } finally {
      rmSync(bad);
    }
  });

  it("an image that breaks its rule: exit 1, the violation named", () => {
    const image = syntheticGuest("pv-x86_64", { vcpus: 1, memoryBytes: 16 * 4096 });
    const path = writeTemp("no-shared-info.img", encodeImage({ ...image, sections: image.sections.filter((s) => s.type !== "shared_info") }));
    const r = run(["inspect", path]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe(`xenimage: ${path}: rule pv_x86_save: shared_info is missing; pv_x86_save requires it exactly once`);
    expect(r.stdout).toMatch(/violation: shared_info is missing/);
  });

  const failures: [string, () => string, number, RegExp][] = [
    ["a missing file", () => join(dir, "nope.img"), 3, /nope\.img: no such file$/],
    ["a directory", () => dir, 3, /is a directory$/],
    ["a truncated file", () => writeTemp("trunc.img", readFileSync(image).subarray(0, 64)), 1, /needs 152 bytes, the input has 64/],
    ["a wrong magic", () => writeTemp("magic.img", Buffer.from("#!/bin/sh\n".repeat(40))), 1, /bad magic: expected 7f 58 45 4e 49 4d 47 00.*field magic/],
  ];
  function writeTemp(name: string, bytes: Uint8Array): string {
    const path = join(dir, name);
    writeFileSync(path, bytes);
    return path;
  }
  it.each(failures)("%s: documented exit code and one line, no stack trace", (_, file, code, message) => {
    const r = run(["inspect", file()]);
    expect(r.code).toBe(code);
    expect(r.stdout).toBe("");
    const lines = r.stderr.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^xenimage: /);
    expect(lines[0]).toMatch(message);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});

describe("usage", () => {
  it("--help documents the commands and exit codes", () => {
    const r = run(["--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/inspect FILE/);
    expect(r.stdout).toMatch(/2 +usage error/);
  });
  it("an unknown command or option is a usage error (exit 2)", () => {
    expect(run(["frobnicate"]).code).toBe(2);
    const r = run(["inspect", "--nope", image]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^xenimage: .*--nope/);
  });
  it("--version prints the package version", () => {
    const r = run(["--version"]);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe((JSON.parse(readFileSync("package.json", "utf8")) as { version: string }).version);
  });
});

describe("dump and build", () => {
  it.each(DEMO_FILES)("dump --pages then build reproduces %s byte for byte", (file) => {
    const source = join(dir, file);
    const json = join(dir, `${file}.json`);
    const rebuilt = join(dir, `${file}.rebuilt`);
    try {
      const d = run(["dump", "--pages", source, "-o", json]);
      expect(d.code, d.stderr).toBe(0);
      const b = run(["build", json, "-o", rebuilt]);
      expect(b.code, b.stderr).toBe(0);
      expect(readFileSync(rebuilt).equals(readFileSync(source))).toBe(true);
    } finally {
      rmSync(json, { force: true });
      rmSync(rebuilt, { force: true });
    }
  });

  it("dump gives 64-bit integers as decimal strings and says how bytes are encoded", () => {
    const r = run(["dump", image, "--section", "vcpu_context"]);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as { encoding: unknown; partial: string; sections: { type: string; body: { userRegs: { rip: unknown; cs: unknown } }[] }[] };
    expect(doc.encoding).toEqual({ u64: "decimal-string", bytes: "base64" });
    expect(doc.sections.map((s) => s.type)).toEqual(["vcpu_context"]);
    expect(doc.sections[0]!.body[0]!.userRegs.rip).toMatch(/^\d+$/);
    expect(doc.sections[0]!.body[0]!.userRegs.cs).toBe(0xe033);
    expect(doc.partial).toMatch(/only the sections vcpu_context/);
  });

  it("build refuses a partial dump, and names the JSON path of a bad value", () => {
    const partial = join(dir, "partial.json");
    writeFileSync(partial, run(["dump", image]).stdout);
    const r = run(["build", partial, "-o", join(dir, "never.img")]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/partial \(page contents left out.*cannot be built back/);
    expect(existsSync(join(dir, "never.img"))).toBe(false);
    const full = JSON.parse(run(["dump", "--pages", image]).stdout) as { sections: { type: string; body: { userRegs: { rip: unknown } }[] }[] };
    const vcpu = full.sections.findIndex((s) => s.type === "vcpu_context");
    full.sections[vcpu]!.body[1]!.userRegs.rip = 12;
    writeFileSync(partial, JSON.stringify(full));
    const bad = run(["build", partial, "-o", join(dir, "never.img")]);
    expect(bad.code).toBe(1);
    expect(bad.stderr.trim()).toBe(`xenimage: ${partial}: expected a decimal string (a 64-bit integer), found number (field sections[${vcpu}].body[1].userRegs.rip)`);
    expect(existsSync(join(dir, "never.img"))).toBe(false);
    rmSync(partial);
  });

  it("reads standard input and writes standard output with -", () => {
    const json = run(["dump", "--pages", "-"], readFileSync(image)).stdout;
    const r = spawnSync(process.execPath, [BIN, "build", "-", "-o", "-"], { input: json, timeout: 120_000, maxBuffer: 1 << 28 });
    expect(r.status).toBe(0);
    expect(Buffer.from(r.stdout).equals(readFileSync(image))).toBe(true);
  });
});

describe("verify", () => {
  it("a clean image: exit 0", () => {
    const r = run(["verify", image]);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(`${image}: ok`);
  });

  it("prints every problem, not only the first: exit 1", () => {
    const bytes = new Uint8Array(readFileSync(image));
    const report = JSON.parse(run(["inspect", "--json", image]).stdout) as { sections: { name: string; offset: string; size: string }[] };
    for (const name of ["cpuid", "shared_info"]) {
      const s = report.sections.find((x) => x.name === name)!;
      bytes[Number(s.offset) + 3]! ^= 1;
    }
    const bad = join(dir, "two-bad.img");
    writeFileSync(bad, bytes);
    const r = run(["verify", "--json", bad]);
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout) as { valid: boolean; problems: { code: string; section: string; offset: number; field: string | null; message: string }[] };
    expect(out.valid).toBe(false);
    expect(out.problems).toHaveLength(2);
    expect(out.problems[0]!.message).toMatch(/section cpuid #1 .*CRC mismatch/);
    expect(out.problems[1]!.message).toMatch(/section shared_info #\d+ .*CRC mismatch/);
    expect(out.problems.map((p) => [p.code, p.section, p.offset, p.field])).toEqual(
      ["cpuid", "shared_info"].map((name) => {
        const s = report.sections.find((x) => x.name === name)!;
        return ["crc", `${name} #${report.sections.indexOf(s)}`, Number(s.offset), null];
      }),
    );
    rmSync(bad);
  });
});

describe("verify --json problem records", () => {
  it("names the code, section, offset and field of an error that stops the check", () => {
    const bytes = new Uint8Array(readFileSync(image));
    bytes[0]! ^= 1;
    const bad = join(dir, "bad-magic.img");
    writeFileSync(bad, bytes);
    const r = run(["verify", "--json", bad]);
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout) as { problems: { message: string }[] };
    expect(out.problems).toEqual([{ code: "magic", section: "header", offset: 0, field: "magic", message: expect.stringMatching(/^bad magic: .*\(section header, field magic, offset 0x0\)$/) }]);
    // The text output is unchanged: the message, after the file's name.
    expect(run(["verify", bad]).stderr.trim()).toBe(`xenimage: ${bad}: ${out.problems[0]!.message}`);
    rmSync(bad);
  });
});

describe("pages", () => {
  it("lists every page with its type and extracts chosen ones", () => {
    const list = JSON.parse(run(["pages", "--json", image]).stdout) as { pfn: number; type: string; hasData: boolean }[];
    expect(list).toHaveLength(1024);
    expect(list[1]).toEqual({ pfn: 1, type: "l4_table_pinned", section: 5, hasData: true });
    const out = join(dir, "pages-out");
    const r = run(["pages", image, "--pfn", "0x10", "--pfn", "17", "-o", out]);
    expect(r.code).toBe(0);
    expect(readdirSync(out).sort()).toEqual(["pfn-00000010.page", "pfn-00000011.page"]);
    expect(readFileSync(join(out, "pfn-00000010.page")).length).toBe(4096);
    rmSync(out, { recursive: true });
  });

  it("a pfn the image does not hold: exit 1, named", () => {
    const r = run(["pages", image, "--pfn", "0x999999"]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe(`xenimage: ${image}: no page with pfn 0x999999`);
  });
});

describe("convert", () => {
  it("seekable → streamed → seekable gives the same bytes, and the stream inspects and verifies", () => {
    const stream = join(dir, "pv.stream");
    const back = join(dir, "pv.back.img");
    try {
      expect(run(["convert", image, stream]).code).toBe(0);
      const r = run(["inspect", stream]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/layout: +streamed/);
      expect(r.stdout).toMatch(/Image-type rule: pv_x86_save\n  every section is where the rule wants it/);
      expect(run(["convert", stream, back]).code).toBe(0);
      expect(readFileSync(back).equals(readFileSync(image))).toBe(true);
    } finally {
      rmSync(stream, { force: true });
      rmSync(back, { force: true });
    }
  });

  it("a migration stream piped in becomes a save file that verifies", () => {
    const stream = spawnSync(process.execPath, [BIN, "convert", image, "-", "--to", "streamed"], { timeout: 120_000, maxBuffer: 1 << 28 });
    expect(stream.status).toBe(0);
    const out = join(dir, "piped.img");
    const r = spawnSync(process.execPath, [BIN, "convert", "-", out], { input: stream.stdout, timeout: 120_000, maxBuffer: 1 << 28 });
    expect(r.status, r.stderr.toString()).toBe(0);
    expect(run(["verify", out]).code).toBe(0);
    expect(readFileSync(out).equals(readFileSync(image))).toBe(true);
    rmSync(out);
  });

  it("a cut-off stream: exit 1, the last complete section named, no output file", () => {
    const stream = join(dir, "cut.stream");
    expect(run(["convert", image, stream]).code).toBe(0);
    const bytes = readFileSync(stream);
    writeFileSync(stream, bytes.subarray(0, Math.floor(bytes.length / 2)));
    const out = join(dir, "cut.img");
    const r = run(["convert", stream, out]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(/the stream ends inside the body of page_data #5 .*the last complete section is p2m_frame_list #4/);
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(dir).filter((f) => f.startsWith("cut.img"))).toEqual([]);
    rmSync(stream);
  });

  it.each(["xen-libxc", "xen-libxl", "xen-xl"])("to a Xen stream (%s) and back gives a clean image", (to) => {
    const xen = join(dir, `pv.${to}`);
    const back = join(dir, `pv.${to}.img`);
    try {
      const r = run(["convert", image, xen, "--to", to]);
      expect(r.code, r.stderr).toBe(0);
      expect(run(["convert", xen, back]).code).toBe(0);
      expect(run(["verify", back]).code).toBe(0);
      // The vcpu state comes back; the header fields no Xen record holds (domain id) need --xenimage-record.
      const sections = (file: string) => (JSON.parse(run(["dump", file, "--section", "vcpu_context"]).stdout) as { sections: unknown }).sections;
      expect(sections(back)).toEqual(sections(image));
    } finally {
      rmSync(xen, { force: true });
      rmSync(back, { force: true });
    }
  });

  it("a core image to a Xen dump-core ELF file and back", () => {
    const core = join(dir, "pv-x86_64-core.img");
    const elf = join(dir, "core.elf");
    const back = join(dir, "core.back.img");
    try {
      expect(run(["convert", core, elf, "--to", "dump-core"]).code).toBe(0);
      expect(readFileSync(elf).subarray(0, 4).toString("latin1")).toBe("\x7fELF");
      expect(run(["convert", elf, back]).code).toBe(0);
      expect(run(["verify", back]).code).toBe(0);
    } finally {
      rmSync(elf, { force: true });
      rmSync(back, { force: true });
    }
  });

  it("something that is no image: exit 1", () => {
    const junk = join(dir, "junk.bin");
    writeFileSync(junk, Buffer.from("hello, this is not an image at all".repeat(10)));
    const r = run(["convert", junk, join(dir, "junk.img")]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe(`xenimage: ${junk}: not a xenimage image, a Xen migration stream, an xl save file or a Xen dump-core file (offset 0x0)`);
    rmSync(junk);
  });
});
