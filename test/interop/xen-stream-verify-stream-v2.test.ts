import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { exportXenStream } from "../../interop/xen-stream/index.js";
import { syntheticGuest } from "../../synthetic/guest.js";
import { concat, recordsOf } from "./xen-stream-helpers.js";

// Xen's own stream verifier, verify-stream-v2 (tools/python/xen/migration), as Debian ships it in
// xen-utils-4.17: it reads every record and checks what libxc.py and libxl.py check.

/** The newest installed Xen tools folder that has the verifier (e.g. /usr/lib/xen-4.17). */
function xenTools(): string {
  const dirs = existsSync("/usr/lib") ? readdirSync("/usr/lib").filter((d) => /^xen-\d+\.\d+$/.test(d)).sort() : [];
  for (const d of dirs.reverse()) if (existsSync(join("/usr/lib", d, "bin", "verify-stream-v2"))) return join("/usr/lib", d);
  throw new Error("Xen's verify-stream-v2 is not installed: apt-get install xen-utils-4.17 (Debian), as .ci/run must");
}

/** Runs the verifier on a file holding `bytes` (from a pipe it may read short and report truncation). */
function verify(bytes: Uint8Array, format: "libxc" | "libxl" | "xl"): { status: number | null; stderr: string } {
  const tools = xenTools();
  const dir = mkdtempSync(join(tmpdir(), "xenimage-verify-"));
  try {
    const file = join(dir, "stream");
    writeFileSync(file, bytes);
    const r = spawnSync("python3", [join(tools, "bin", "verify-stream-v2"), "-f", format, "-i", file], {
      env: { ...process.env, PYTHONPATH: join(tools, "lib", "python") },
      maxBuffer: 1 << 24,
    });
    return { status: r.status, stderr: r.stderr.toString() };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The stream without its XENIMAGE record. */
function withoutXenimage(bytes: Uint8Array): Uint8Array {
  const rec = recordsOf(bytes).find((r) => r.type === 0x8058494d)!;
  const end = rec.offset + 8 + rec.length + ((8 - (rec.length % 8)) % 8);
  return concat(bytes.subarray(0, rec.offset), bytes.subarray(end));
}

describe("Xen's verify-stream-v2 on our exports", () => {
  for (const kind of ["pv-x86_64", "pv-x86_32", "hvm-x86_64"] as const) {
    it(`${kind}: accepts the libxc, libxl and xl streams without XENIMAGE, and xl save files with it`, () => {
      const image = syntheticGuest(kind);
      for (const layer of ["libxc", "libxl", "xl"] as const) {
        const r = verify(exportXenStream(image, { layer, xenimageRecord: "never" }), layer);
        expect(r.stderr).toBe("");
        expect(r.status, `${layer}`).toBe(0);
      }
      const xl = verify(exportXenStream(image, { layer: "xl" }), "xl");
      expect(xl.stderr).toBe("");
      expect(xl.status).toBe(0);
    });

    it(`${kind}: in a libxc or libxl stream it refuses the optional XENIMAGE record, and only that`, () => {
      const image = syntheticGuest(kind);
      for (const layer of ["libxc", "libxl"] as const) {
        const stream = exportXenStream(image, { layer });
        const r = verify(stream, layer);
        expect(r.status).toBe(1);
        expect(r.stderr).toMatch(/Unrecognised record type 0x8058494d/);
        const stripped = verify(withoutXenimage(stream), layer);
        expect(stripped.stderr).toBe("");
        expect(stripped.status).toBe(0);
      }
    });
  }

  it("refuses a broken stream (so its passes above mean something)", () => {
    const stream = exportXenStream(syntheticGuest("hvm-x86_64"), { layer: "libxc", xenimageRecord: "never" });
    const tsc = recordsOf(stream).find((r) => r.type === 0x08)!;
    const bad = stream.slice();
    bad[tsc.offset + 8 + 20] = 1; // the reserved word of X86_TSC_INFO
    const r = verify(bad, "libxc");
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/Reserved bits set in X86_TSC_INFO/);
  });
});
