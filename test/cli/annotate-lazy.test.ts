import type { FileHandle } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { annotateDumpCore } from "../../cli/annotate-dump-core.js";
import { annotateImageFile } from "../../cli/annotate-image.js";
import { fileReader, type AnnotatedRegion } from "../../cli/annotate-source.js";
import { annotateXenStream } from "../../cli/annotate-xen-stream.js";
import { encodeImage } from "../../generated/index.js";
import { exportDumpCore } from "../../interop/dump-core/index.js";
import { exportXenStream, readXenStream } from "../../interop/xen-stream/index.js";
import { syntheticCoreImage, syntheticGuest } from "../../synthetic/guest.js";

/** A file handle over bytes in memory that counts the bytes read. */
function countingHandle(bytes: Uint8Array): { handle: FileHandle; read: () => number } {
  let read = 0;
  const handle = {
    async read(buffer: Uint8Array, offset: number, length: number, position: number) {
      const part = bytes.subarray(position, Math.min(position + length, bytes.length));
      buffer.set(part, offset);
      read += part.length;
      return { bytesRead: part.length, buffer };
    },
  };
  return { handle: handle as unknown as FileHandle, read: () => read };
}

describe("annotate reads lazily", () => {
  const bytes = encodeImage(syntheticGuest("pv-x86_64", { seed: 2, vcpus: 1 }));

  it("--section cpuid reads the header, the table and the cpuid body only", async () => {
    const { handle, read } = countingHandle(bytes);
    const regions = [];
    for await (const r of annotateImageFile(handle, bytes.length, { sections: ["cpuid"] })) regions.push(r);
    expect(regions.map((r) => r.title.split(":")[0])).toEqual(["section #1", "section table"]);
    const body = regions[0]!.bytes.length;
    const table = regions[1]!.bytes.length;
    expect(read()).toBe(152 + table + body);
    expect(read()).toBeLessThan(bytes.length / 100);
  });

  it("a byte range reads the header, the table and the bodies over the range only", async () => {
    const { handle, read } = countingHandle(bytes);
    const lines = [];
    for await (const r of annotateImageFile(handle, bytes.length, { offset: 0x20, length: 8 })) lines.push(...r.lines);
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.every((l) => l.offset < 0x28 && l.offset + l.length > 0x20)).toBe(true);
    expect(read()).toBeLessThan(64 * 1024);
  });
});

async function all(regions: AsyncGenerator<AnnotatedRegion>): Promise<AnnotatedRegion[]> {
  const out = [];
  for await (const r of regions) out.push(r);
  return out;
}

describe("annotate reads Xen's formats lazily", () => {
  it("a Xen stream: --section reads the framing's fixed part, each record's 8-byte header and the records selected", async () => {
    const bytes = exportXenStream(syntheticGuest("pv-x86_64", { seed: 2, vcpus: 1 }), { layer: "xl" });
    const records = readXenStream(bytes).records;
    const { handle, read } = countingHandle(bytes);
    const regions = await all(annotateXenStream(fileReader(handle, bytes.length), bytes.length, "xl", { sections: ["x86_pv_info"] }));
    expect(regions.map((r) => r.title)).toEqual([expect.stringMatching(/^libxc record #\d+ X86_PV_INFO: 8-byte body/)]);
    // xl's fixed header (48 bytes, for the optional data's length), 8 bytes per record, the record (8 + 8).
    expect(read()).toBe(48 + 8 * records.length + 16);
  });

  it("a Xen stream: a byte range reads the records over it, one at a time, never the whole stream", async () => {
    const bytes = exportXenStream(syntheticGuest("pv-x86_64", { seed: 2, vcpus: 1, memoryBytes: 3000 * 4096 }), { layer: "libxc" });
    const pages = readXenStream(bytes).records.filter((r) => r.type === 1);
    expect(pages.length).toBeGreaterThan(2);
    const inside = pages[1]!;
    const { handle, read } = countingHandle(bytes);
    const regions = await all(annotateXenStream(fileReader(handle, bytes.length), bytes.length, "libxc", { offset: inside.offset + 8 + 8 + 8 * 5, length: 8 }));
    expect(regions.flatMap((r) => r.lines.map((l) => l.label.replace(/^records\[\d+\]/, "R")))).toEqual(["R", "R.body.pfns[5]"]);
    // That record (bounded by Xen's REC_LENGTH_MAX), and 8 bytes of each record header before it.
    expect(read()).toBeLessThanOrEqual(inside.body.length + 8 + 8 * (inside.index + 1));
    expect(read()).toBeLessThan(bytes.length / 2);
  });

  it("a dump-core file: a range in .xen_pages reads the headers, the name table and the notes, and 16 bytes of the page", async () => {
    const bytes = exportDumpCore(syntheticCoreImage("pv-x86_64", { seed: 2, vcpus: 2, memoryBytes: 4096 * 4096 }));
    expect(bytes.length).toBeGreaterThan(16 << 20);
    const lines = async (selection: Parameters<typeof annotateDumpCore>[2]) => {
      const { handle, read } = countingHandle(bytes);
      const regions = await all(annotateDumpCore(fileReader(handle, bytes.length), bytes.length, selection));
      return { lines: regions.flatMap((r) => r.lines), read: read() };
    };
    const pagesAt = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(64 + 5 * 64 + 24, true));
    const page = await lines({ offset: pagesAt + 3000 * 4096 + 100, length: 4 });
    expect(page.lines.map((l) => l.label)).toEqual([".xen_pages[3000]"]);
    expect(page.read).toBeLessThan(4096);
    // A table of thousands of entries: the 256 spelled out are read, the rest summarised from 16 bytes.
    const p2m = await lines({ sections: [".xen_p2m"] });
    expect(p2m.lines.filter((l) => /^\.xen_p2m\[\d+\]$/.test(l.label))).toHaveLength(256);
    const rest = p2m.lines.find((l) => l.label.startsWith(".xen_p2m[256…"))!;
    const count = Number(/…(\d+)\]$/.exec(rest.label)![1]) + 1;
    expect(count).toBeGreaterThan(3000);
    expect(rest.length).toBe((count - 256) * 16);
    expect(p2m.read).toBeLessThan(8 * 1024);
  });
});
