import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodeImage } from "../../generated/index.js";
import { exportDumpCore } from "../../interop/dump-core/index.js";
import { exportXenStream } from "../../interop/xen-stream/index.js";
import { syntheticCoreImage, syntheticGuest } from "../../synthetic/guest.js";
import { legacyBatch, legacyHvmStream, legacyPvStream, legacyVcpuContext, legacyVcpuInfo } from "./legacy-stream.js";
import { concat, libxcHeaders, libxlHeader, pageData, record, recordsOf, u32le } from "./xen-stream-helpers.js";

// The built command (dist/, made by `npm run build`) on Xen's own formats, as an operator runs it.
const BIN = join(process.cwd(), "dist/cli/main.js");

function run(args: string[], input?: Uint8Array) {
  const r = spawnSync(process.execPath, [BIN, ...args], { input, encoding: "buffer", timeout: 120_000, maxBuffer: 1 << 28 });
  return { code: r.status, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

let dir: string;
const file = (name: string, bytes: Uint8Array): string => {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
};
beforeAll(() => {
  expect(existsSync(BIN), "build first: npm run build").toBe(true);
  dir = mkdtempSync(join(tmpdir(), "xenimage-xen-cli-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("inspect, verify, dump and pages read Xen's formats as convert does", () => {
  const hvm = syntheticGuest("hvm-x86_64", { memoryBytes: 64 * 4096 });
  const inputs = {
    "xl save file": () => file("hvm.xl", exportXenStream(hvm, { layer: "xl" })),
    "libxl stream": () => file("hvm.libxl", exportXenStream(hvm, { layer: "libxl" })),
    "libxc stream": () => file("hvm.libxc", exportXenStream(hvm, { layer: "libxc", version: 2 })),
  };
  for (const [what, make] of Object.entries(inputs)) {
    it(`a ${what}: its records, ok, the image it imports to, its pages`, () => {
      const path = make();
      const inspect = run(["inspect", path]);
      expect(inspect.code, inspect.stderr).toBe(0);
      expect(inspect.stderr).toBe("");
      expect(inspect.stdout).toMatch(/Records:/);
      expect(inspect.stdout).toMatch(/^ +\[\d+\] +libxc +HVM_CONTEXT +0x[0-9a-f]+ +\d+$/m);
      if (what !== "libxc stream") expect(inspect.stdout).toMatch(/libxl +EMULATOR_CONTEXT/);
      expect(inspect.stdout).toMatch(/Imports as a \w+ image of an x86_64 hvm guest .*every image-type rule holds/);
      const json = JSON.parse(run(["inspect", "--json", path]).stdout) as { records: { name: string }[]; problems: string[] };
      expect(json.records.map((r) => r.name)).toContain("PAGE_DATA");
      expect(json.problems).toEqual([]);
      expect(run(["verify", path])).toMatchObject({ code: 0, stderr: "" });
      const dump = run(["dump", path]);
      expect(dump.code, dump.stderr).toBe(0);
      const sections = (JSON.parse(dump.stdout) as { sections: { type: string }[] }).sections.map((s) => s.type);
      expect(sections).toContain("hvm_context");
      expect(sections.includes("device_model_state")).toBe(what !== "libxc stream");
      const pages = run(["pages", path, "--json"]);
      expect(pages.code, pages.stderr).toBe(0);
      expect((JSON.parse(pages.stdout) as unknown[]).length).toBe(64);
    });
  }

  it("from standard input too", () => {
    const bytes = exportXenStream(hvm, { layer: "xl" });
    expect(run(["verify", "-"], bytes)).toMatchObject({ code: 0, stdout: "<stdin>: ok (xen-xl)\n" });
    expect(run(["inspect", "-"], bytes).stdout).toMatch(/<stdin>: Xen xl save file/);
    // …and our own images still go their own way.
    expect(run(["verify", "-"], encodeImage(hvm))).toMatchObject({ code: 0, stdout: "<stdin>: ok\n" });
  });

  it("a dump-core file: its ELF sections, ok, the core image it imports to", () => {
    const core = syntheticCoreImage("pv-x86_64", { memoryBytes: 16 * 4096 });
    const path = file("core.elf", exportDumpCore(core));
    const inspect = run(["inspect", path]);
    expect(inspect.code, inspect.stderr).toBe(0);
    expect(inspect.stdout).toMatch(/Xen dump-core file \(ELF64/);
    expect(inspect.stdout).toMatch(/\.xen_pages/);
    expect(run(["verify", path])).toMatchObject({ code: 0, stderr: "" });
    // The pages with contents (dump-core files hold no others), as the core image itself lists them.
    const withData = (out: string) => (JSON.parse(out) as { pfn: number; hasData: boolean }[]).filter((p) => p.hasData).map((p) => p.pfn);
    const expected = withData(run(["pages", file("core.img", encodeImage(core)), "--json"]).stdout);
    expect(expected.length).toBeGreaterThan(10);
    expect(withData(run(["pages", path, "--json"]).stdout)).toEqual(expected);
  });
});

describe("a legacy (pre-4.6) stream gets a one-line hint to convert it with Xen's convert-legacy-stream", () => {
  const pv = legacyPvStream({
    p2mSize: 512,
    width: 8,
    frames: [7n],
    online: [0],
    contexts: [legacyVcpuContext(0)],
    chunks: [legacyVcpuInfo([0]), legacyBatch([{ pfn: 1 }])],
  });
  const hvm = legacyHvmStream({ p2mSize: 512, chunks: [legacyBatch([{ pfn: 1 }])], magic: [1n, 2n, 3n], hvmContext: new Uint8Array(8), qemu: new Uint8Array(4) });
  for (const [kind, bytes] of [["pv", pv], ["hvm", hvm]] as const) {
    for (const command of ["inspect", "verify", "dump", "pages", "convert"]) {
      it(`${kind}: ${command}`, () => {
        const path = file(`legacy-${kind}`, bytes);
        const r = run(command === "convert" ? ["convert", path, join(dir, "out.img")] : [command, path]);
        expect(r.code).toBe(1);
        expect(r.stdout).toBe("");
        expect(r.stderr.trimEnd().split("\n")).toHaveLength(1);
        expect(r.stderr).toMatch(new RegExp(`legacy ${kind.toUpperCase()} migration stream from a 64-bit toolstack.*convert-legacy-stream -i IN -o OUT -w 64 -g ${kind} -f libxl`));
      });
    }
  }
});

describe("what Xen's restorers refuse: one line, exit 1", () => {
  const hvm = concat(libxcHeaders({ domainType: 2 }), record(0x10), record(0x01, pageData([{ type: 0, pfn: 0 }])), record(0x09, concat(u32le(0, 0))), record(0));
  const cases: Record<string, () => Uint8Array> = {
    "domain type 3": () => {
      const s = hvm.slice();
      new DataView(s.buffer).setUint32(24, 3, true);
      return s;
    },
    "emulator id 3": () => concat(libxlHeader(), record(0x01), hvm, record(0x03, concat(u32le(3, 0), new TextEncoder().encode("QEVM"))), record(0)),
    "a guest width that contradicts the vcpu context size": () => {
      const s = exportXenStream(syntheticGuest("pv-x86_64", { memoryBytes: 512 * 4096 }), { layer: "libxc" });
      s.set([4, 3], recordsOf(s).find((r) => r.type === 2)!.offset + 8);
      return s;
    },
  };
  const messages: Record<string, RegExp> = {
    "domain type 3": /domain type 3: Xen's restorers take only x86 PV \(1\) and x86 HVM \(2\) streams/,
    "emulator id 3": /emulator id 3: libxl's stream format defines 0-2/,
    "a guest width that contradicts the vcpu context size": /5168-byte vcpu context contradicts X86_PV_INFO's guest width 4/,
  };
  for (const [name, make] of Object.entries(cases)) {
    it(name, () => {
      const path = file("refused", make());
      for (const args of [["convert", path, join(dir, "refused.img")], ["verify", path]]) {
        const r = run(args);
        expect(r.code, args[0]).toBe(1);
        expect(r.stderr.trimEnd().split("\n"), args[0]).toHaveLength(1);
        expect(r.stderr).toMatch(messages[name]!);
      }
      expect(existsSync(join(dir, "refused.img"))).toBe(false);
    });
  }
});

describe("convert to dump-core names every missing piece at once", () => {
  it("an HVM save image lacks the hypervisor's version and the vcpu contexts", () => {
    const path = file("save.img", encodeImage(syntheticGuest("hvm-x86_64", { memoryBytes: 8 * 4096 })));
    const r = run(["convert", path, join(dir, "save.elf"), "--to", "dump-core"]);
    expect(r.code).toBe(1);
    expect(r.stderr.trimEnd().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(/for 2 reasons: .*xen_version section; .*vcpu context/);
  });
});

describe("convert's Xen options", () => {
  it("--xen-version 2 and --xenimage-record, and their misuse", () => {
    const img = file("pv.img", encodeImage(syntheticGuest("pv-x86_32", { memoryBytes: 64 * 4096 })));
    const v2 = join(dir, "pv.v2");
    expect(run(["convert", img, v2, "--to", "xen-libxc", "--xen-version", "2"]).code).toBe(0);
    expect(new DataView(readFileSync(v2).buffer).getUint32(12, false)).toBe(2);
    const extra = join(dir, "pv.x");
    expect(run(["convert", img, extra, "--to", "xen-libxc", "--xenimage-record"]).code).toBe(0);
    expect(recordsOf(new Uint8Array(readFileSync(extra))).some((r) => r.type === 0x8058494d)).toBe(true);
    expect(run(["convert", img, extra, "--to", "xen-libxc", "--xen-version", "4"]).code).toBe(2);
    expect(run(["convert", img, extra, "--to", "streamed", "--xenimage-record"]).code).toBe(2);
  });
});
