/**
 * The benchmark's implementations agree with the generated codecs: the hand-written DataView code,
 * binary-parser, restructure and Kaitai Struct decode every field of our structs to the same values
 * (number-mode ones to the nearest number), and encoders produce the same bytes. Small inputs; nothing
 * here is timed (the benchmark itself is `npm run bench`).
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { structBenches, verifyStruct } from "../../bench/codecs.js";
import { compileAll } from "../../bench/peers/kaitai/compile.js";
import { u64Cases } from "../../bench/u64-arrays.js";

describe("benchmark implementations", () => {
  for (const bench of structBenches({ vcpu: 3, cpuid: 64, hvm: 3 })) {
    it(`agree with the generated codec on ${bench.key}`, () => {
      expect(() => verifyStruct(bench)).not.toThrow();
    });
  }

  it("agree on u64 arrays, and the hand-written aligned view is zero-copy", () => {
    const cases = u64Cases([8, 64]); // building a case checks every implementation's values
    for (const c of cases) if (c.aligned) expect(c.zeroCopy.get("hw-view")).toBe(true);
  });

  it("catch a decoder that gets a field wrong", () => {
    const [vcpu] = structBenches({ vcpu: 2, cpuid: 1, hvm: 1 });
    const wrong = { ...vcpu!, impls: vcpu!.impls.map((i) => (i.id === "hw-bigint" ? { ...i, decode: () => { const out = i.decode!() as { userRegs: { rip: bigint } }[]; out[1]!.userRegs.rip += 1n; return out; } } : i)) };
    expect(() => verifyStruct(wrong)).toThrow(/userRegs\.rip/);
  });

  it("run the Kaitai Struct code compiled from the .ksy files as they are", async () => {
    for (const [path, code] of await compileAll()) expect(readFileSync(path, "utf8"), path).toBe(code);
  });
});
