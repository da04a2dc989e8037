import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { GuestType, type ImageInit, type PfnGmfn, type VcpuGuestContextX8664 } from "../../generated/index.js";
import { writeDumpCoreFile } from "../../interop/dump-core/file.js";
import { TYPES_WITH_CONTENTS } from "../../interop/dump-core/index.js";
import { syntheticCoreImage, type GuestKind } from "../../synthetic/guest.js";
import { tempDir } from "../node/tmp.js";

// Debian's libkdumpfile (python3-libkdumpfile, installed by .ci/run) opens our dump-core exports and reads
// every page frame from 0 to its max_pfn; each page it finds must be the source image's page at that pfn,
// and it must find no page the image does not have. The reading is done by a small Python script
// (fixtures/kdumpfile-pages.py) run with Debian's Python, which is where that package installs.

const PYTHON = "/usr/bin/python3";
const SCRIPT = fileURLToPath(new URL("fixtures/kdumpfile-pages.py", import.meta.url));
const dir = tempDir("kdumpfile");

interface Report {
  api: string;
  format: string;
  xen_type: number;
  xen_xlat: number;
  max_pfn: number;
  xen_version: { major: number; minor: number; extra: string };
  cpus: Record<string, Record<string, string>>;
  pages: Record<string, string>;
  machine: Record<string, string>;
}

function run(path: string, machineFrames: readonly bigint[], arch?: string): Promise<Report> {
  return new Promise((resolve, reject) => {
    const child = execFile(PYTHON, [SCRIPT, path, ...(arch === undefined ? [] : ["--arch", arch])], { maxBuffer: 64 << 20 }, (error, stdout, stderr) => {
      if (error !== null) reject(new Error(`${SCRIPT} failed (${error.message}): ${stderr}`));
      else resolve(JSON.parse(stdout) as Report);
    });
    child.stdin!.end(JSON.stringify(machineFrames.map(Number)));
  });
}

const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

/** The image's pages with contents by pfn, as digests, and (PV) the machine frame of each pfn. */
function sourcePages(image: ImageInit): { pages: Map<number, string>; gmfns: Map<number, bigint> } {
  const pages = new Map<number, string>();
  for (const s of image.sections) {
    if (s.type !== "page_data") continue;
    let next = 0;
    for (const word of s.body.pfns) if (TYPES_WITH_CONTENTS.has(word.type)) pages.set(word.pfn, sha256(s.body.pages[next++]!));
  }
  const gmfns = new Map<number, bigint>();
  const map = image.sections.find((s) => s.type === "pfn_map");
  if (image.header.guestType === GuestType.pv && map !== undefined) for (const e of map.body as PfnGmfn[]) gmfns.set(Number(e.pfn), e.gmfn);
  return { pages, gmfns };
}

const cases: { kind: GuestKind; arch?: string; pages: number }[] = [
  { kind: "pv-x86_64", pages: 300 },
  { kind: "hvm-x86_64", pages: 300 },
  // libkdumpfile 0.5.1 crashes (a call through a null pointer) on every EM_386 and EM_ARM Xen dump-core
  // file: its ia32 and arm code has no .xen_prstatus handler. The script presets arch.name through the C
  // API so the (architecture-independent) page reader can be checked on these files too.
  { kind: "pv-x86_32", arch: "x86_64", pages: 300 },
  { kind: "arm64", arch: "x86_64", pages: 300 },
];

describe("libkdumpfile reads our dump-core exports", () => {
  for (const c of cases) {
    it(`${c.kind}: every page at its pfn${c.arch === undefined ? ", the registers and the hypervisor version" : ` (opened as ${c.arch})`}`, async () => {
      const image = syntheticCoreImage(c.kind, { seed: 5, vcpus: 2, memoryBytes: c.pages * 4096, batchPages: 128 });
      const path = join(dir, `${c.kind}.core`);
      await writeDumpCoreFile(image, path);
      const { pages, gmfns } = sourcePages(image);
      const pv = image.header.guestType === GuestType.pv;
      const report = await run(path, [...gmfns.entries()].filter(([pfn]) => pages.has(pfn)).map(([, gmfn]) => gmfn), c.arch);
      console.log(`libkdumpfile (${report.api}) on ${c.kind}: format ${report.format}, max_pfn ${report.max_pfn}, ${Object.keys(report.pages).length} pages read by pfn, ${Object.keys(report.machine).length} by machine frame`);

      expect(report.format).toBe("xc_core_elf");
      expect(report.xen_type).toBe(2); // KDUMP_XEN_DOMAIN
      expect(report.xen_xlat).toBe(pv ? 1 : 0); // KDUMP_XEN_NONAUTO for .xen_p2m, KDUMP_XEN_AUTO for .xen_pfn
      expect(report.xen_version).toEqual({ major: 4, minor: 19, extra: ".1" });
      expect(report.max_pfn).toBe(Math.max(...pages.keys()) + 1);
      // Every page of the source, and nothing else, with the same bytes.
      expect(new Map(Object.entries(report.pages).map(([pfn, d]) => [Number(pfn), d]))).toEqual(pages);
      if (pv) {
        // The machine address space, through .xen_p2m: the page at each pfn's machine frame.
        const expected = new Map([...pages].map(([pfn, d]) => [Number(gmfns.get(pfn)), d]));
        expect(new Map(Object.entries(report.machine).map(([mfn, d]) => [Number(mfn), d]))).toEqual(expected);
      }
      if (c.arch === undefined) {
        // The vcpu registers libkdumpfile takes from .xen_prstatus.
        const vcpus = image.sections.find((s) => s.type === "vcpu_context")!.body as VcpuGuestContextX8664[];
        expect(report.cpus).toEqual(
          Object.fromEntries(
            vcpus.map((v, i) => [String(i), { rip: String(v.userRegs.rip), rsp: String(v.userRegs.rsp), cr3: String(v.ctrlreg[3]), cs: String(v.userRegs.cs), rflags: String(v.userRegs.rflags) }]),
          ),
        );
      }
    });
  }
});
