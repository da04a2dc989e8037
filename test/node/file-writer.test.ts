import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ByteOrder, encodeImage, imageFormat, type ImageHeader, type ImageSection, type KnownSection } from "../../generated/index.js";
import { ImageWriter, writeImageFile } from "../../runtime/node/index.js";
import { crc32c, crc32cZeros, EncodeError, type UnknownSection } from "../../runtime/index.js";
import { guestStream, rejection, sameBytes } from "../streams/helpers.js";
import { listing, tempDir } from "./tmp.js";

const dir = tempDir("writer");
const guest = await guestStream({ seed: 6, memoryBytes: 30 * 4096, batchPages: 7, vcpus: 2, checkpoints: 1 });
const extra: UnknownSection = { type: "unknown", id: 0x7123, optional: true, flags: 5, entryCount: 2n, entrySize: 3, align: 512, bytes: Uint8Array.of(1, 2, 3, 4, 5, 6) };
const sections: ImageSection[] = [guest.sections[0]!, extra, ...guest.sections.slice(1)];

async function* produce(list: readonly ImageSection[]) {
  yield* list;
}

describe("seekable file writer", () => {
  it("writes the same bytes as the in-memory encoder (one layout planner), little- and big-endian", async () => {
    for (const byteOrder of [ByteOrder.little, ByteOrder.big]) {
      const header = { ...guest.header, byteOrder };
      const path = join(dir, `same-${byteOrder}.img`);
      await writeImageFile<ImageHeader, KnownSection>(imageFormat, path, { header, sections: produce(sections) });
      expect(sameBytes(readFileSync(path), encodeImage({ header, sections }))).toBe(true);
    }
    const unsynced = join(dir, "unsynced.img");
    await writeImageFile<ImageHeader, KnownSection>(imageFormat, unsynced, { header: guest.header, sections }, { sync: false });
    expect(sameBytes(readFileSync(unsynced), encodeImage({ header: guest.header, sections }))).toBe(true);
  });

  it("writes under a temporary name and renames only when complete", async () => {
    const path = join(dir, "atomic.img");
    const writer = await ImageWriter.create<ImageHeader, KnownSection>(imageFormat, path, guest.header);
    for (const s of sections.slice(0, 4)) await writer.write(s);
    expect(existsSync(path)).toBe(false);
    expect(existsSync(writer.tempPath)).toBe(true);
    expect(writer.tempPath.startsWith(dir)).toBe(true);
    for (const s of sections.slice(4)) await writer.write(s);
    expect(existsSync(path)).toBe(false);
    await writer.finish();
    expect(existsSync(writer.tempPath)).toBe(false);
    expect(sameBytes(readFileSync(path), encodeImage({ header: guest.header, sections }))).toBe(true);
    await expect(writer.write(sections[0]!)).rejects.toThrowError(/is finished/);
  });

  it("leaves an existing file untouched when writing fails, and replaces it whole when it succeeds", async () => {
    const sub = join(dir, "replace");
    mkdirSync(sub);
    const path = join(sub, "guest.img");
    writeFileSync(path, "the previous image");
    async function* failing() {
      yield* sections.slice(0, 5);
      throw new Error("the guest crashed");
    }
    await expect(writeImageFile(imageFormat, path, { header: guest.header, sections: failing() })).rejects.toThrowError(/the guest crashed/);
    expect(readFileSync(path, "utf8")).toBe("the previous image");
    expect(listing(sub)).toEqual(["guest.img"]);
    await writeImageFile(imageFormat, path, { header: guest.header, sections: produce(sections) });
    expect(sameBytes(readFileSync(path), encodeImage({ header: guest.header, sections }))).toBe(true);
    expect(listing(sub)).toEqual(["guest.img"]);
  });

  it("names the section, field and file offset of a value it cannot encode, and leaves no file", async () => {
    const sub = join(dir, "bad-value");
    mkdirSync(sub);
    const bad = structuredClone(sections) as ImageSection[];
    const index = bad.findIndex((s) => s.type === "cpuid");
    ((bad[index] as Extract<ImageSection, { type: "cpuid" }>).body[1] as { eax: number }).eax = 2 ** 33;
    const path = join(sub, "guest.img");
    const e = (await rejection(() => writeImageFile(imageFormat, path, { header: guest.header, sections: bad }))) as EncodeError;
    expect(e).toBeInstanceOf(EncodeError);
    expect(e.section).toBe(`cpuid #${index}`);
    expect(e.path).toBe("[1].eax");
    // The same offset the in-memory encoder names for the same mistake.
    const inMemory = (() => {
      try {
        encodeImage({ header: guest.header, sections: bad });
      } catch (err) {
        return err as EncodeError;
      }
      return undefined;
    })();
    expect(e.offset).toBe(inMemory?.offset);
    expect(listing(sub)).toEqual([]);
  });

  it("removes the temporary file on abort, and aborting twice is harmless", async () => {
    const path = join(dir, "aborted.img");
    const writer = await ImageWriter.create(imageFormat, path, guest.header);
    await writer.write(sections[0]!);
    await writer.abort();
    await writer.abort();
    expect(existsSync(writer.tempPath)).toBe(false);
    expect(existsSync(path)).toBe(false);
  });
  it("leaves zero runs of a raw body as holes that read back as zeros: the same bytes, a sparse file", async () => {
    const zeros = 64 * 1024 * 1024;
    const head = Uint8Array.of(1, 2, 3, 4, 5);
    const tail = Uint8Array.of(6, 7);
    const full = new Uint8Array(head.length + zeros + tail.length);
    full.set(head);
    full.set(tail, head.length + zeros);
    // The CRC of the whole body, computed without the zeros.
    const crc = crc32c(tail, crc32cZeros(zeros, crc32c(head)));
    expect(crc).toBe(crc32c(full));
    const entry = { type: (extra.id | 0x8000_0000) >>> 0, flags: 0, size: BigInt(full.length), entryCount: 0n, entrySize: 0, align: 8, crc };

    const sparse = join(dir, "sparse.img");
    const dense = join(dir, "dense.img");
    for (const [path, body] of [[sparse, [head, { zeros }, tail]], [dense, [full]]] as const) {
      const writer = await ImageWriter.create<ImageHeader, KnownSection>(imageFormat, path, guest.header, { sync: false });
      await writer.write(sections[0]!);
      await writer.writeRaw(entry, body);
      await writer.finish();
    }
    expect(sameBytes(readFileSync(sparse), readFileSync(dense))).toBe(true);
    // The hole takes no disk blocks (st_blocks counts 512-byte units).
    expect(statSync(sparse).blocks * 512).toBeLessThan(zeros / 2);
    expect(statSync(dense).blocks * 512).toBeGreaterThan(zeros / 2);

    const writer = await ImageWriter.create<ImageHeader, KnownSection>(imageFormat, join(dir, "bad-run.img"), guest.header, { sync: false });
    const e = await rejection(() => writer.writeRaw({ ...entry, size: 3n }, [head, { zeros: -2 }]));
    expect(e).toBeInstanceOf(EncodeError);
    expect((e as EncodeError).message).toMatch(/a zero run of -2 bytes/);
    await writer.abort();
    expect(listing(dir).filter((f) => f.includes("bad-run"))).toEqual([]);
  });
});
