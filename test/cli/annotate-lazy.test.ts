import type { FileHandle } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { annotateImageFile } from "../../cli/annotate-image.js";
import { encodeImage } from "../../generated/index.js";
import { syntheticGuest } from "../../synthetic/guest.js";

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
