import { describe, expect, it } from "vitest";
import { exportXenStream, importXenStream } from "../../interop/xen-stream/index.js";
import { syntheticGuest } from "../../synthetic/guest.js";
import { checkXenStream } from "./xen-stream-checker.js";
import { concat, recordsOf, typeSequence } from "./xen-stream-helpers.js";
import { verifyStreamV2 } from "./xen-tools.js";

// Xen's own stream verifier, verify-stream-v2 (tools/python/xen/migration), as Debian ships it in
// xen-utils-4.17: it reads every record and checks what libxc.py and libxl.py check.

const KINDS = ["pv-x86_64", "pv-x86_32", "hvm-x86_64"] as const;
const LAYERS = ["libxc", "libxl", "xl"] as const;

/** The stream without its XENIMAGE record. */
function withoutXenimage(bytes: Uint8Array): Uint8Array {
  const rec = recordsOf(bytes).find((r) => r.type === 0x8058494d)!;
  const end = rec.offset + 8 + rec.length + ((8 - (rec.length % 8)) % 8);
  return concat(bytes.subarray(0, rec.offset), bytes.subarray(end));
}

describe("Xen's verify-stream-v2 on our default exports", () => {
  for (const kind of KINDS) {
    for (const version of [3, 2] as const) {
      it(`${kind}, version ${version}: accepts the libxc stream, the libxl stream and the xl save file`, () => {
        const image = syntheticGuest(kind);
        for (const layer of LAYERS) {
          const stream = exportXenStream(image, { layer, version });
          const r = verifyStreamV2(stream, layer);
          expect(r.stderr, `${layer}`).toBe("");
          expect(r.status, `${layer}`).toBe(0);
          // The verifier saw every record: the ones Xen's saver writes, the device model's included.
          const types = typeSequence(stream);
          if (kind.startsWith("hvm") && layer !== "libxc") expect(types.slice(-3)).toEqual(["l2", "l3", "l0"]);
          expect(types).not.toContain("8058494d");
        }
      });
    }
  }

  it("accepts the exports of imported streams", () => {
    for (const kind of KINDS) {
      const again = exportXenStream(importXenStream(exportXenStream(syntheticGuest(kind, { vcpus: 3 }), { layer: "xl" })), { layer: "xl" });
      expect(verifyStreamV2(again, "xl")).toEqual({ status: 0, stderr: "" });
    }
  });
});

describe("Xen's verify-stream-v2 on what we add only when asked", () => {
  for (const kind of KINDS) {
    it(`${kind}: in a libxc or libxl stream it refuses the optional XENIMAGE record, and only that; in an xl save file it skips it`, () => {
      const image = syntheticGuest(kind);
      for (const layer of ["libxc", "libxl"] as const) {
        const stream = exportXenStream(image, { layer, xenimageRecord: "always" });
        const r = verifyStreamV2(stream, layer);
        expect(r.status).toBe(1);
        expect(r.stderr).toMatch(/Unrecognised record type 0x8058494d/);
        const stripped = verifyStreamV2(withoutXenimage(stream), layer);
        expect(stripped.stderr).toBe("");
        expect(stripped.status).toBe(0);
      }
      expect(verifyStreamV2(exportXenStream(image, { layer: "xl", xenimageRecord: "always" }), "xl")).toEqual({ status: 0, stderr: "" });
    });
  }
});

describe("the verifier itself", () => {
  it("refuses a broken stream (so its passes above mean something)", () => {
    const stream = exportXenStream(syntheticGuest("hvm-x86_64"), { layer: "libxc" });
    const tsc = recordsOf(stream).find((r) => r.type === 0x08)!;
    const bad = stream.slice();
    bad[tsc.offset + 8 + 20] = 1; // the reserved word of X86_TSC_INFO
    const r = verifyStreamV2(bad, "libxc");
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/Reserved bits set in X86_TSC_INFO/);
  });

  it("under Python 3 refuses every non-empty EMULATOR_XENSTORE_DATA, well-formed ones included (its bug, not the data's)", () => {
    // libxl.py compares the data's last byte, an int under Python 3, with the string '\x00': never equal.
    // That is why the synthetic HVM guest's device model publishes no xenstore keys by default.
    const stream = exportXenStream(syntheticGuest("hvm-x86_64", { physmap: true }), { layer: "libxl" });
    expect(checkXenStream(stream, { strictTypes: true }).problems).toEqual([]);
    const rec = recordsOf(stream).find((r) => r.layer === "libxl" && r.type === 2)!;
    expect(rec.length).toBeGreaterThan(8);
    expect(stream[rec.offset + 8 + rec.length - 1]).toBe(0); // NUL-terminated, as libxl writes it
    const r = verifyStreamV2(stream, "libxl");
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/Data not NUL terminated/);
  });
});
