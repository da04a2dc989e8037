import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  decodeHvmHwCpu,
  encodeHvmHwCpu,
  encodeImage,
  HVM_HW_CPU_SIZE,
  imageFormat,
  type HvmHwCpu,
  type ImageHeader,
  type ImageInit,
  type KnownSection,
} from "../../generated/index.js";
import { ByteReader, ByteWriter, crc32c, EncodeError, MemorySink, StreamEncoder, type RawEntry, type UnknownSection } from "../../runtime/index.js";
import { ImageWriter, writeImageFile } from "../../runtime/node/index.js";
import { syntheticGuest } from "../../synthetic/guest.js";
import { listing, tempDir } from "../node/tmp.js";
import { rejection } from "../streams/helpers.js";

// Every writer (the in-memory encoder, the stream encoder, the file writer) rejects what the readers
// would reject, with an EncodeError naming the field, before writing anything of it.

const dir = tempDir("writers");
const guest = syntheticGuest("pv-x86_64", { seed: 9, vcpus: 1, memoryBytes: 4 * 4096, batchPages: 4 });
const unknown = (fields: Partial<Record<keyof UnknownSection, unknown>>) =>
  ({ type: "unknown", id: 0x7e01, optional: true, flags: 0, entryCount: 0n, entrySize: 0, align: 8, bytes: Uint8Array.of(1, 2, 3), ...fields }) as UnknownSection;

/** Sections a reader would reject, each with the error code and field the writers must name. */
const badSections: [string, unknown, string, string][] = [
  ["alignment 0", unknown({ align: 0 }), "alignment", "align"],
  ["alignment 3", unknown({ align: 3 }), "alignment", "align"],
  ["alignment 2^31", unknown({ align: 2 ** 31 }), "alignment", "align"],
  ["alignment above the maximum", unknown({ align: 0x40_0000 }), "alignment", "align"],
  ["a type id with bit 31", unknown({ id: 2 ** 31 }), "optional-bit", "id"],
  ["a negative type id", unknown({ id: -1 }), "optional-bit", "id"],
  ["the end section's id", unknown({ id: 0 }), "end-entry", "id"],
  ["an unknown mandatory type", unknown({ optional: false }), "unknown-mandatory", "optional"],
  ["an entry count that is not a bigint", unknown({ entryCount: 5 }), "invalid-value", "entry_count"],
  ["an entry count past 64 bits", unknown({ entryCount: 1n << 64n }), "invalid-value", "entry_count"],
  ["flags that are not a u32", unknown({ flags: 1.5 }), "invalid-value", "flags"],
  ["bytes that are not bytes", unknown({ bytes: [1, 2, 3] }), "invalid-value", "bytes"],
  ["null", null, "invalid-value", ""],
  ["a string", "cpuid", "invalid-value", ""],
  ["the end section by name", { type: "end", body: null }, "unknown-section", ""],
  ["a getter that throws", { type: "tsc_info", get body() { throw new Error("no body"); } }, "invalid-value", "body"],
];

describe("writers reject bad sections with an EncodeError naming the field", () => {
  it.each(badSections)("encodeImage: %s", (_, section, code, path) => {
    const e = (() => {
      try {
        encodeImage({ header: guest.header, sections: [guest.sections[0]!, section] } as ImageInit);
      } catch (error) {
        return error as EncodeError;
      }
      throw new Error("accepted");
    })();
    expect(e).toBeInstanceOf(EncodeError);
    expect(e).toMatchObject({ code, section: expect.stringMatching(/#1$/) });
    expect(e.path ?? "").toBe(path);
  });

  it.each(badSections)("the stream encoder: %s, and nothing of it reaches the sink", async (_, section, code, path) => {
    const sink = new MemorySink();
    const enc = new StreamEncoder<ImageHeader, KnownSection>(imageFormat, guest.header, sink);
    await enc.write(guest.sections[0]!);
    const before = sink.bytes().length;
    const e = (await rejection(() => enc.write(section as KnownSection))) as EncodeError;
    expect(e).toBeInstanceOf(EncodeError);
    expect(e).toMatchObject({ code, section: expect.stringMatching(/#1$/) });
    expect(e.path ?? "").toBe(path);
    expect(sink.bytes().length).toBe(before);
  });

  it.each(badSections)("the file writer: %s, and no file (nor temporary) is left", async (_, section, code, path) => {
    const sub = join(dir, `${code}-${path}-${Math.random().toString(36).slice(2)}`);
    await import("node:fs/promises").then((fs) => fs.mkdir(sub));
    const e = (await rejection(() => writeImageFile(imageFormat, join(sub, "image.img"), { header: guest.header, sections: [guest.sections[0]!, section as KnownSection] }, { sync: false }))) as EncodeError;
    expect(e).toBeInstanceOf(EncodeError);
    expect(e).toMatchObject({ code });
    expect(e.path ?? "").toBe(path);
    expect(listing(sub)).toEqual([]);
  });
});

describe("writers reject bad headers", () => {
  const bad: [string, unknown, string][] = [
    ["null", null, ""],
    ["a number", 7, ""],
    ["byte order 7", { ...guest.header, byteOrder: 7 }, "byte_order"],
    ["a name that is not a string", { ...guest.header, name: 5 }, "name"],
    ["a memory size that is not a bigint", { ...guest.header, memorySize: 4096 }, "memory_size"],
    ["a getter that throws", { ...guest.header, get arch(): number { throw new Error("no arch"); } }, ""],
  ];
  it.each(bad)("%s: encodeImage, the stream encoder and the file writer", async (_, header, path) => {
    const check = (e: unknown) => {
      expect(e).toBeInstanceOf(EncodeError);
      expect((e as EncodeError).section).toBe("header");
      expect((e as EncodeError).path ?? "").toBe(path);
    };
    check((() => {
      try {
        encodeImage({ header, sections: [] } as unknown as ImageInit);
      } catch (error) {
        return error;
      }
    })());
    check((() => {
      try {
        new StreamEncoder(imageFormat, header as ImageHeader, new MemorySink());
      } catch (error) {
        return error;
      }
    })());
    const sub = join(dir, `header-${Math.random().toString(36).slice(2)}`);
    await import("node:fs/promises").then((fs) => fs.mkdir(sub));
    check(await rejection(() => ImageWriter.create(imageFormat, join(sub, "image.img"), header as ImageHeader)));
    expect(listing(sub)).toEqual([]);
  });
});

describe("raw entries are checked by the entry rules", () => {
  const body = Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8);
  const entry = (fields: Partial<RawEntry>): RawEntry => ({ type: 0x8000_7e01, flags: 0, size: 8n, entryCount: 0n, entrySize: 0, align: 8, crc: crc32c(body), ...fields });
  const bad: [string, RawEntry, string, string][] = [
    ["alignment 3", entry({ align: 3 }), "alignment", "align"],
    ["the end section", entry({ type: 0 }), "end-entry", "type"],
    ["a known type with the wrong optional bit", entry({ type: 0x8000_0012 }), "optional-bit", "type"],
    ["a known type with the wrong alignment", entry({ type: 0x12, align: 16 }), "alignment", "align"],
    ["a section that is not an array with an entry count", entry({ type: 0x12, entryCount: 1n }), "entry-shape", "entry_count"],
    ["a size that is not a bigint", entry({ size: 8 as unknown as bigint }), "invalid-value", "size"],
    ["a size other than the body's", entry({ size: 9n }), "invalid-value", "size"],
  ];

  it.each(bad)("the stream encoder: %s", async (_, raw, code, path) => {
    const sink = new MemorySink();
    const enc = new StreamEncoder(imageFormat, guest.header, sink);
    const e = (await rejection(() => enc.writeRaw(raw, body))) as EncodeError;
    expect(e).toBeInstanceOf(EncodeError);
    expect(e).toMatchObject({ code, path });
    expect(sink.bytes().length).toBe(0);
  });

  it.each(bad)("the file writer: %s", async (_, raw, code, path) => {
    const writer = await ImageWriter.create(imageFormat, join(dir, "raw.img"), guest.header, { sync: false });
    try {
      const e = (await rejection(() => writer.writeRaw(raw, body))) as EncodeError;
      expect(e).toBeInstanceOf(EncodeError);
      expect(e).toMatchObject({ code, path });
    } finally {
      await writer.abort();
    }
  });

  it("a body that is not bytes", async () => {
    const enc = new StreamEncoder(imageFormat, guest.header, new MemorySink());
    expect(await rejection(() => enc.writeRaw(entry({}), "bytes" as unknown as Uint8Array))).toMatchObject({ code: "invalid-value", path: "body" });
  });
});

describe("a generated encoder called directly, not through a section", () => {
  const cpu = decodeHvmHwCpu(new ByteReader(new Uint8Array(HVM_HW_CPU_SIZE)));
  const encodeError = (value: unknown) => {
    try {
      encodeHvmHwCpu(new ByteWriter({ littleEndian: true }), value as HvmHwCpu);
    } catch (error) {
      return error;
    }
    throw new Error("accepted");
  };

  it("rejects a missing bit-field word with an EncodeError naming its field and offset", () => {
    const e = encodeError({ ...cpu, pendingEvent: null });
    expect(e).toBeInstanceOf(EncodeError);
    expect(e).toMatchObject({ code: "invalid-value", path: "pending_event", offset: 1016 });
  });

  it("rejects a value that is not an object with an EncodeError", () => {
    for (const value of [null, undefined, 7, "cpu"]) expect(encodeError(value)).toBeInstanceOf(EncodeError);
  });
});
