import { describe, expect, it } from "vitest";
import { ImageType, type ImageSection, type SharedInfoPageX8664 } from "../../generated/index.js";
import { syntheticPvGuest } from "../../synthetic/guest.js";
import { syntheticGuestStream, syntheticPage } from "../../synthetic/stream.js";
import { canonical } from "./helpers.js";

async function all(options: Parameters<typeof syntheticGuestStream>[0]): Promise<ImageSection[]> {
  const out: ImageSection[] = [];
  for await (const s of syntheticGuestStream(options).sections) out.push(s);
  return out;
}

describe("synthetic guest stream", () => {
  it("yields as many sections as it announces, the same ones for the same options", async () => {
    const options = { seed: 3, memoryBytes: 20 * 4096, batchPages: 6, checkpoints: 2 };
    const a = await all(options);
    expect(a).toHaveLength(syntheticGuestStream(options).sectionCount);
    expect(canonical(await all(options))).toEqual(canonical(a));
    expect(canonical(await all({ ...options, seed: 4 }))).not.toEqual(canonical(a));
  });

  it("batches every page once, then resends the first batch per checkpointed phase", async () => {
    const sections = await all({ seed: 1, memoryBytes: 10 * 4096, batchPages: 4, checkpoints: 1 });
    const batches = sections.filter((s): s is Extract<ImageSection, { type: "page_data" }> => s.type === "page_data");
    expect(batches.map((b) => b.body.pfns.map((p) => p.pfn))).toEqual([[0, 1, 2, 3], [4, 5, 6, 7], [8, 9], [0, 1, 2, 3]]);
    expect(sections.filter((s) => s.type === "checkpoint")).toHaveLength(1);
    expect(Buffer.from(batches[3]!.body.pages[0]!).equals(Buffer.from(syntheticPage(1, 0, "random", 1)))).toBe(true);
    expect(Buffer.from(batches[0]!.body.pages[0]!).equals(Buffer.from(syntheticPage(1, 0, "random", 0)))).toBe(true);
  });

  it("produces each page from (seed, pfn) alone, and fast pages as views of one pool", () => {
    expect(syntheticPage(5, 77)).toEqual(syntheticPage(5, 77));
    expect(syntheticPage(5, 77)).not.toEqual(syntheticPage(5, 78));
    expect(syntheticPage(5, 77, "fast").buffer).toBe(syntheticPage(5, 78, "fast").buffer);
  });

  it("describes the whole guest in its header and config, as a migration stream by default", async () => {
    const g = syntheticGuestStream({ memoryBytes: 64 * 4096 });
    expect(g.header.memorySize).toBe(BigInt(64 * 4096));
    expect(g.header.imageType).toBe(ImageType.migration);
    const config = (await g.sections.next()).value as Extract<ImageSection, { type: "guest_config" }>;
    expect(JSON.parse(config.body.config).b_info.max_memkb).toBe(256);
  });
});

describe("synthetic guest stream, memory-derived sections", () => {
  it("has the p2m frame list, unwritten pages and shared info max_pfn of the whole guest, as the in-memory guest has them", async () => {
    const pages = 6144; // 24 MiB: 12 p2m frames of 512 entries
    const sections = await all({ memoryBytes: pages * 4096, batchPages: 1024, fill: "fast" });
    const whole = syntheticPvGuest({ memoryBytes: pages * 4096 }).sections;
    for (const type of ["p2m_frame_list", "unwritten_pages"] as const) {
      expect(sections.find((s) => s.type === type)).toEqual(whole.find((s) => s.type === type));
    }
    const p2m = sections.find((s) => s.type === "p2m_frame_list") as Extract<ImageSection, { type: "p2m_frame_list" }>;
    expect(p2m.body.frames).toHaveLength(12);
    expect(p2m.body.endPfn).toBe(BigInt(pages - 1));
    const shared = sections.find((s) => s.type === "shared_info") as Extract<ImageSection, { type: "shared_info" }>;
    expect((shared.body as SharedInfoPageX8664).sharedInfo.arch.maxPfn).toBe(BigInt(pages - 1));
  });
});
