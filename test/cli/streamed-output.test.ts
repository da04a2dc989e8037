import { readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { describe, expect, it } from "vitest";
import { decodeImage, encodeImage, imageFormat } from "../../generated/index.js";
import { imageToJson } from "../../cli/image-json.js";
import { JsonArrayText } from "../../cli/json-array.js";
import { withInput } from "../../cli/open-input.js";
import { DeferredText, Spool } from "../../cli/spool.js";
import { TextOutput } from "../../cli/text-output.js";
import type { Io } from "../../cli/io.js";
import { writeStream } from "../../runtime/index.js";
import { syntheticCoreImage, syntheticGuest } from "../../synthetic/guest.js";

/** Streams `elements` through a JsonArrayText (as the last member of `head`, or at the top level). */
function streamed(elements: unknown[], head?: object): string {
  const json = head === undefined ? JsonArrayText.topLevel() : JsonArrayText.lastMemberOf(head, "list");
  return json.opening + elements.map((e) => json.element(e)).join("") + json.end();
}

describe("JSON written an element at a time", () => {
  const values: unknown[][] = [
    [],
    [1],
    [{ a: 1, b: [1, 2, { c: "x\ny" }], d: {}, e: [] }, "two\nlines", null, [[]], { z: undefined }],
  ];
  it.each(values.map((v) => [v]))("is JSON.stringify(…, null, 2) exactly: %j", (elements) => {
    expect(streamed(elements)).toBe(JSON.stringify(elements, null, 2));
    for (const head of [{}, { format: "x", nested: { deep: [1, 2] } }]) {
      expect(streamed(elements, head)).toBe(JSON.stringify({ ...head, list: elements }, null, 2));
    }
  });

  it("gives dump's text for every sample image (the sections streamed, the head first)", () => {
    const images = [
      syntheticGuest("pv-x86_64", { vcpus: 2, memoryBytes: 40 * 4096 }),
      syntheticGuest("hvm-x86_64", { vcpus: 1, memoryBytes: 20 * 4096 }),
      syntheticCoreImage("pv-x86_64", { vcpus: 1, memoryBytes: 20 * 4096 }),
    ];
    for (const init of images) {
      const image = decodeImage(encodeImage(init));
      for (const options of [{}, { pages: true }, { sections: ["cpuid", "page_data"] }]) {
        const whole = imageToJson(image, options);
        const { sections, ...head } = whole;
        expect(streamed([...sections], head).replace('"list"', '"sections"')).toBe(JSON.stringify(whole, null, 2));
      }
    }
  });
});

describe("text that waits", () => {
  it("comes out in order, from memory while small and from a temporary file past the limit", async () => {
    const parts = Array.from({ length: 200 }, (_, i) => `part ${i} ${"é".repeat(i % 7)}\n`);
    for (const limit of [1 << 20, 100]) {
      const waiting = new DeferredText(limit);
      for (const p of parts) await waiting.add(p);
      const out: (string | Uint8Array)[] = [];
      await waiting.flush(async (t) => void out.push(t));
      expect(out.map((t) => (typeof t === "string" ? t : Buffer.from(t).toString())).join("")).toBe(parts.join(""));
      // Past the limit the text comes back from the file, as bytes.
      expect(out.some((t) => typeof t !== "string")).toBe(limit === 100);
    }
  });

  it("leaves no file in the temp directory, even while open", async () => {
    const mine = () => readdirSync(tmpdir()).filter((f) => f.startsWith(`.xenimage-${process.pid}-`));
    const spool = await Spool.create();
    await spool.write(new Uint8Array(1000).fill(7));
    expect(mine()).toEqual([]);
    const back: Uint8Array[] = [];
    for await (const c of spool.chunks(300)) back.push(c);
    expect(back.map((c) => c.length)).toEqual([300, 300, 300, 100]);
    expect(back.every((c) => c.every((b) => b === 7))).toBe(true);
    await spool.close();
    expect(mine()).toEqual([]);
  });

  it("TextOutput gathers small pieces into few writes and passes bytes through in order", async () => {
    const writes: Uint8Array[] = [];
    let closed = false;
    const out = new TextOutput({ write: async (c) => void writes.push(c), close: async () => void (closed = true), abort: async () => undefined }, 64);
    for (let i = 0; i < 100; i++) await out.write(`line ${i}\n`);
    await out.write(Uint8Array.of(0x41));
    await out.close();
    expect(closed).toBe(true);
    expect(writes.length).toBeLessThan(20);
    expect(Buffer.concat(writes).toString()).toBe(Array.from({ length: 100 }, (_, i) => `line ${i}\n`).join("") + "A");
  });
});

describe("opening an input", () => {
  const io = (stdin: Uint8Array[]): Io => ({
    out: () => undefined,
    err: () => undefined,
    outBytes: async () => undefined,
    stdin: (async function* () {
      yield* stdin;
    })(),
    interactive: false,
  });

  it("reads a seekable image on standard input through a temporary file, and a stream as a stream", async () => {
    const init = syntheticGuest("pv-x86_64", { vcpus: 1, memoryBytes: 16 * 4096 });
    const bytes = encodeImage(init);
    const pieces = [bytes.subarray(0, 100), bytes.subarray(100, 5000), bytes.subarray(5000)];
    const seekable = await withInput("-", io(pieces), async (input) => {
      expect(input.kind).toBe("seekable");
      if (input.kind !== "seekable") return [];
      const types = [];
      for await (const s of input.image.sections()) types.push(s.type);
      return types;
    });
    expect(seekable).toEqual(init.sections.map((s) => s.type));

    const chunks: Uint8Array[] = [];
    await writeStream(imageFormat, init.header, init.sections, { write: async (c: Uint8Array) => void chunks.push(c.slice()), close: async () => undefined, abort: async () => undefined });
    const kind = await withInput("-", io(chunks), async (input) => input.kind);
    expect(kind).toBe("streamed");
  });

  it("names the input in every error, and rejects what is no image without reading all of it", async () => {
    let pulled = 0;
    const junk = {
      async *[Symbol.asyncIterator]() {
        for (let i = 0; i < 1000; i++) {
          pulled++;
          yield new Uint8Array(4096).fill(0x23);
        }
      },
    };
    const e = await withInput("-", { ...io([]), stdin: junk }, async () => undefined).catch((x: unknown) => x);
    expect((e as Error).message).toMatch(/bad magic/);
    expect((e as { file?: string }).file).toBe("<stdin>");
    expect(pulled).toBe(1);
  });
});
