import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { encodeImage, ImageType, imageFormat } from "../../generated/index.js";
import { crc32c, crc32cJs, crc32cKernel } from "../../runtime/crc32c.js";
import { decodeLayout } from "../../runtime/container.js";
import { selectNativeCrc32c } from "../../runtime/native/crc32c.node.js";
import { GUEST_KINDS, syntheticCoreImage, syntheticGuest } from "../../synthetic/guest.js";
import { prng, randomBytes } from "./prng.js";

const require = createRequire(import.meta.url);

/** Whether @node-rs/crc32 loads in this install (a fresh clone on an unsupported platform: no). */
function nativeLoads(): boolean {
  try {
    return typeof (require("@node-rs/crc32") as { crc32c?: unknown }).crc32c === "function";
  } catch {
    return false;
  }
}

/** The native kernel whatever XENIMAGE_CRC says, so both kernels are compared even in a forced-js run. */
const native = selectNativeCrc32c({}, require).kernel;

/** The kernels under comparison: the JavaScript one, the native one where it loads, and the one selected. */
const kernels: [string, (b: Uint8Array, c: number) => number][] = [
  ["js", crc32cJs],
  ["selected", (b, c) => crc32c(b, c)],
  ...(native === undefined ? [] : ([["native", native]] as [string, (b: Uint8Array, c: number) => number][])),
];

/** CRC of `bytes` fed in pieces at the given cut points, continuing the CRC across each boundary. */
function chunked(kernel: (b: Uint8Array, c: number) => number, bytes: Uint8Array, cuts: readonly number[]): number {
  let crc = 0;
  let from = 0;
  for (const cut of [...cuts, bytes.length]) {
    crc = kernel(bytes.subarray(from, cut), crc);
    from = cut;
  }
  return crc;
}

function randomCuts(rand: () => number, length: number, count: number): number[] {
  return Array.from({ length: count }, () => Math.floor(rand() * (length + 1))).sort((a, b) => a - b);
}

describe("crc32c kernel selection", () => {
  it("uses the native kernel exactly when it loads and XENIMAGE_CRC does not force JavaScript", () => {
    const forced = process.env.XENIMAGE_CRC === "js";
    expect(crc32cKernel.kernel).toBe(nativeLoads() && !forced ? "native" : "js");
    if (crc32cKernel.kernel === "native") expect(crc32cKernel.package).toMatch(/^@node-rs\/crc32@\d+\.\d+\.\d+$/);
    else expect(crc32cKernel.reason).toMatch(forced ? /^XENIMAGE_CRC=js$/ : /did not load|check value|no crc32c/);
  });

  it("XENIMAGE_CRC=js forces JavaScript without loading the package", () => {
    const loaded: string[] = [];
    const choice = selectNativeCrc32c({ XENIMAGE_CRC: "js" }, (id) => (loaded.push(id), require(id)));
    expect(choice).toEqual({ kernel: undefined, reason: "XENIMAGE_CRC=js" });
    expect(loaded).toEqual([]);
  });

  it("falls back to JavaScript when the package is missing, broken, or computes another checksum", () => {
    const missing = selectNativeCrc32c({}, (id) => {
      throw Object.assign(new Error(`Cannot find module '${id}'`), { code: "MODULE_NOT_FOUND" });
    });
    expect(missing).toEqual({ kernel: undefined, reason: "@node-rs/crc32 did not load (MODULE_NOT_FOUND)" });
    expect(selectNativeCrc32c({}, () => ({})).reason).toBe("@node-rs/crc32 has no crc32c function");
    // Plain CRC32 (another polynomial) instead of CRC32C: caught by the check value.
    const wrong = selectNativeCrc32c({}, () => ({ crc32c: () => 0xcbf43926 }));
    expect(wrong).toEqual({ kernel: undefined, reason: "@node-rs/crc32 failed the CRC32C check value" });
    const throwing = selectNativeCrc32c({}, () => ({
      crc32c: () => {
        throw new Error("illegal instruction");
      },
    }));
    expect(throwing.reason).toBe("@node-rs/crc32 failed the CRC32C check value (illegal instruction)");
  });

  it("loads the native kernel on this install where the package is present", () => {
    // On the project's machines (Linux x64 with the optional dependency installed) it must load;
    // where it cannot, the fallback tests above and the hidden-module CLI test cover the other path.
    if (nativeLoads()) expect(native?.(new TextEncoder().encode("123456789"), 0)).toBe(0xe3069283);
    else expect(native).toBeUndefined();
  });
});

describe("crc32c: the native and JavaScript kernels agree", () => {
  const rand = prng(2024);

  it("on random buffers of many lengths, at every alignment", () => {
    const data = randomBytes(rand, 70_000);
    for (const length of [0, 1, 7, 255, 256, 257, 1000, 4096, 65_536]) {
      for (let start = 0; start < 8; start++) {
        const view = data.subarray(start, start + length);
        const expected = crc32cJs(view);
        for (const [name, kernel] of kernels) expect(kernel(view, 0), `${name}, start ${start}, length ${length}`).toBe(expected);
      }
    }
  });

  it("across random chunkings, continuing the CRC over every chunk boundary", () => {
    const data = randomBytes(rand, 300_000);
    const whole = crc32cJs(data);
    for (let trial = 0; trial < 40; trial++) {
      const cuts = randomCuts(rand, data.length, 1 + Math.floor(rand() * 30));
      for (const [name, kernel] of kernels) expect(chunked(kernel, data, cuts), `${name}, cuts ${cuts.join(",")}`).toBe(whole);
    }
    // Mixed: chunks alternately through each kernel, as a stream whose chunks straddle the size threshold would.
    for (let trial = 0; trial < 20; trial++) {
      const cuts = randomCuts(rand, data.length, 50);
      let crc = 0;
      let from = 0;
      [...cuts, data.length].forEach((cut, i) => {
        crc = kernels[i % kernels.length]![1](data.subarray(from, cut), crc);
        from = cut;
      });
      expect(crc).toBe(whole);
    }
  });

  it("on every section body of every demo image, as one piece and in chunks", () => {
    const images = [...GUEST_KINDS.map((kind) => syntheticGuest(kind, { seed: 1, vcpus: 2 }, ImageType.save)), syntheticCoreImage("pv-x86_64", { seed: 1, vcpus: 2 })];
    let bodies = 0;
    for (const image of images) {
      const bytes = encodeImage(image);
      const layout = decodeLayout(imageFormat, bytes);
      for (const entry of layout.entries) {
        const body = bytes.subarray(Number(entry.offset), Number(entry.offset + entry.size));
        const cuts = randomCuts(rand, body.length, 5);
        for (const [name, kernel] of kernels) {
          expect(kernel(body, 0), `${name}, image ${images.indexOf(image)} type ${entry.type}`).toBe(entry.crc);
          expect(chunked(kernel, body, cuts), `${name} in chunks`).toBe(entry.crc);
        }
        bodies++;
      }
    }
    expect(bodies).toBeGreaterThan(40);
  });
});
