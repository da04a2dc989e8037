import { describe, expect, it } from "vitest";
import { schema } from "../../generated/xen_libxc/schema.js";
import { ByteReader, shownElements, structLines, walkStruct, type DumpLine, type ElementOptions } from "../../runtime/reflect/index.js";

// Arrays annotated element by element: each element's index in the path, at most `elements` of them
// from the window's first on, the others as one summary range before and one after, so that the
// innermost lines still cover every byte exactly once.

function u32(...v: number[]): number[] {
  return v.flatMap((x) => [x & 0xff, (x >>> 8) & 0xff, (x >>> 16) & 0xff, x >>> 24]);
}

/** An X86_CPUID_POLICY body of `n` leaves, leaf i = i. */
function cpuidPolicy(n: number): Uint8Array {
  return Uint8Array.from(Array.from({ length: n }, (_, i) => u32(i, 0xffffffff, 10 + i, 20 + i, 30 + i, 40 + i)).flat());
}

function linesOf(struct: string, bytes: Uint8Array, options?: ElementOptions, base = 0x1000): DumpLine[] {
  const out: DumpLine[] = [];
  structLines(walkStruct(schema.struct(struct), new ByteReader(bytes, { littleEndian: true, base })).nodes, 0, "", out, options);
  return out;
}

/** The innermost lines (no deeper line follows them), which must tile [from, to) in order. */
function leafGaps(lines: readonly DumpLine[], from: number, to: number): string[] {
  const leaves = lines.filter((l, i) => l.length > 0 && !((lines[i + 1]?.depth ?? -1) > l.depth));
  const problems: string[] = [];
  let pos = from;
  for (const l of leaves) {
    if (l.offset !== pos) problems.push(`${l.label} at ${l.offset}, expected ${pos}`);
    pos = l.offset + l.length;
  }
  if (pos !== to) problems.push(`the leaves end at ${pos}, not ${to}`);
  return problems;
}

describe("per-element array annotation", () => {
  it("without options, the compact dump is unchanged: the first struct spelled out, the rest one line", () => {
    const lines = linesOf("x86_cpuid_policy_record", cpuidPolicy(5));
    expect(lines.filter((l) => l.depth === 0).map((l) => l.label)).toEqual(["leaves[0]", "leaves[1…4]"]);
    expect(lines.at(-1)!.value).toMatch(/4 more cpuid_leaf, not annotated/);
  });

  it("every element of an array of structs, with its index in the path, the leaves tiling the body", () => {
    const bytes = cpuidPolicy(5);
    const lines = linesOf("x86_cpuid_policy_record", bytes, { elements: 256 });
    expect(lines.filter((l) => l.depth === 0).map((l) => l.label)).toEqual(["leaves[0]", "leaves[1]", "leaves[2]", "leaves[3]", "leaves[4]"]);
    const leaf3 = lines.find((l) => l.label === "leaves[3].eax")!;
    expect([leaf3.offset, leaf3.length, leaf3.value]).toEqual([0x1000 + 3 * 24 + 8, 4, "13 (0xd)"]);
    expect(leafGaps(lines, 0x1000, 0x1000 + bytes.length)).toEqual([]);
  });

  it("at most `elements` of them; the rest is one summary range, and every byte is still covered once", () => {
    const bytes = cpuidPolicy(5);
    const lines = linesOf("x86_cpuid_policy_record", bytes, { elements: 2 });
    expect(lines.filter((l) => l.depth === 0).map((l) => [l.label, l.offset, l.length])).toEqual([
      ["leaves[0]", 0x1000, 24],
      ["leaves[1]", 0x1000 + 24, 24],
      ["leaves[2…4]", 0x1000 + 48, 72],
    ]);
    expect(lines.at(-1)!.value).toBe("3 × cpuid_leaf, not annotated");
    expect(leafGaps(lines, 0x1000, 0x1000 + bytes.length)).toEqual([]);
  });

  it("with a window, only the elements over it, the ones before and after summarised", () => {
    const bytes = cpuidPolicy(6);
    const lines = linesOf("x86_cpuid_policy_record", bytes, { elements: 256, from: 0x1000 + 3 * 24 + 1, to: 0x1000 + 3 * 24 + 2 });
    expect(lines.filter((l) => l.depth === 0).map((l) => l.label)).toEqual(["leaves[0…2]", "leaves[3]", "leaves[4…5]"]);
    expect(lines.find((l) => l.label === "leaves[3].leaf")?.value).toBe("3");
    expect(leafGaps(lines, 0x1000, 0x1000 + bytes.length)).toEqual([]);
  });

  it("typed arrays of integers too (the p2m frame list), element i at offset + i × 8", () => {
    const frames = [0x10n, 0x20n, 0x30n, 0x123456789n];
    const bytes = new Uint8Array(8 + frames.length * 8);
    const dv = new DataView(bytes.buffer);
    dv.setUint32(0, 0, true);
    dv.setUint32(4, 3, true);
    frames.forEach((f, i) => dv.setBigUint64(8 + i * 8, f, true));
    const lines = linesOf("x86_pv_p2m_frames_record", bytes, { elements: 2, from: 0x1000 + 8 + 2 * 8 });
    expect(lines.map((l) => [l.label, l.offset, l.length])).toEqual([
      ["start_pfn", 0x1000, 4],
      ["end_pfn", 0x1004, 4],
      ["p2m_pfns[0…1]", 0x1008, 16],
      ["p2m_pfns[2]", 0x1018, 8],
      ["p2m_pfns[3]", 0x1020, 8],
    ]);
    expect(lines.at(-1)!.value).toBe("4886718345 (0x123456789)");
  });

  it("pages one line each, never decoded; pfn words with their type and pfn", () => {
    const words = [0n, (1n << 60n) | 7n, (0xfn << 60n) | 9n];
    const bytes = new Uint8Array(8 + 24 + 2 * 4096);
    const dv = new DataView(bytes.buffer);
    dv.setUint32(0, words.length, true);
    words.forEach((w, i) => dv.setBigUint64(8 + i * 8, w, true));
    const lines = linesOf("page_data_record", bytes, { elements: 256 });
    expect(lines.filter((l) => l.label.startsWith("pages")).map((l) => [l.label, l.offset, l.length, l.value])).toEqual([
      ["pages[0]", 0x1000 + 32, 4096, "4096 bytes"],
      ["pages[1]", 0x1000 + 32 + 4096, 4096, "4096 bytes"],
    ]);
    expect(lines.find((l) => l.label === "pfns[1]")?.value).toMatch(/type 1 \(l1tab\), pfn 7/);
    expect(lines.find((l) => l.label === "pfns[2]")?.value).toMatch(/type 15 \(xtab\), pfn 9/);
    expect(leafGaps(lines, 0x1000, 0x1000 + bytes.length)).toEqual([]);
  });

  it("finds the window in an array of ten million elements by asking for a few dozen element bounds", () => {
    let asked = 0;
    const start = (i: number) => (asked++, 64 + i * 16);
    const end = (i: number) => (asked++, 64 + (i + 1) * 16);
    const from = 64 + 7_654_321 * 16 + 5;
    expect(shownElements(10_000_000, start, end, { elements: 3, from, to: from + 40 })).toEqual({ first: 7_654_321, end: 7_654_324 });
    expect(asked).toBeLessThan(64);
  });
});
