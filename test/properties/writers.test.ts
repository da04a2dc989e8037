import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compileSchemas } from "../../generator/pipeline.js";
import { decodeImage, encodeImage, imageFormat, sectionCodecById, type ImageHeader, type ImageInit, type KnownSection } from "../../generated/index.js";
import { decodeStreamToImage, EncodeError, encodeStream, MAX_ALIGN, type UnknownSection } from "../../runtime/index.js";
import { concat } from "../streams/helpers.js";
import { imageInitArbitrary } from "./arbitraries.js";

// Writers validate like readers: whatever encodeImage or the stream encoder accepts, the decoder
// accepts and decodes to the same value; anything else, however hostile (null, wrong types, huge
// alignments, odd type ids, out-of-range numbers, getters that throw), is an EncodeError, never
// another exception.

const { model } = compileSchemas("schema");
if (model === undefined) throw new Error("schema/ does not compile");

const u32 = fc.integer({ min: 0, max: 0xffff_ffff });

/** Unknown sections a reader skips: optional, of a type id no known section has. */
const unknownSection: fc.Arbitrary<UnknownSection> = fc.record({
  type: fc.constant("unknown" as const),
  id: fc.integer({ min: 1, max: 0x7fff_ffff }).filter((id) => !sectionCodecById.has(id)),
  optional: fc.constant(true),
  flags: u32,
  entryCount: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
  entrySize: u32,
  // Mostly small: a 2 MiB alignment pads up to 2 MiB per section.
  align: fc.oneof({ weight: 9, arbitrary: fc.constantFrom(1, 2, 4, 8, 16, 64, 4096) }, { weight: 1, arbitrary: fc.constant(MAX_ALIGN) }),
  bytes: fc.uint8Array({ maxLength: 40 }),
});

/** Images with known sections (with and without flags) and unknown optional ones mixed in. */
const images: fc.Arbitrary<ImageInit> = imageInitArbitrary(model, 5).chain((image) =>
  fc
    .tuple(
      fc.array(fc.option(u32, { nil: undefined }), { minLength: image.sections.length, maxLength: image.sections.length }),
      fc.array(fc.tuple(fc.nat(image.sections.length), unknownSection), { maxLength: 3 }),
    )
    .map(([flags, unknowns]) => {
      const sections: unknown[] = image.sections.map((s, i) => (flags[i] === undefined ? s : { ...s, flags: flags[i] }));
      for (const [at, u] of unknowns) sections.splice(at, 0, u);
      return { header: image.header, sections } as ImageInit;
    }),
);

/** A section as a decoder gives it back: a known section's flags only when not 0 (an unknown one always has them). */
function normalized(sections: readonly unknown[]): unknown[] {
  return sections.map((s) => {
    const { flags, ...rest } = s as { flags?: number; type: string };
    if (rest.type === "unknown") return s;
    return flags === undefined || flags === 0 ? rest : { ...rest, flags };
  });
}

async function streamOf(image: ImageInit): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for await (const c of encodeStream<ImageHeader, KnownSection>(imageFormat, image.header, image.sections)) chunks.push(c.slice());
  return concat(chunks);
}

describe("what the writers accept, the readers accept, as the same value", () => {
  it("encodeImage → decodeImage, and the stream encoder → the stream decoder", async () => {
    await fc.assert(
      fc.asyncProperty(images, async (image) => {
        const decoded = decodeImage(encodeImage(image));
        expect(decoded.header.formatVersion).toBe(imageFormat.version);
        for (const [k, v] of Object.entries(image.header)) expect((decoded.header as unknown as Record<string, unknown>)[k]).toEqual(v);
        expect(decoded.sections).toEqual(normalized(image.sections));
        const streamed = await decodeStreamToImage<ImageHeader, KnownSection>(imageFormat, [await streamOf(image)]);
        expect(streamed.sections).toEqual(decoded.sections);
      }),
      { numRuns: 60 },
    );
  });
});

/** A value of every kind a caller might pass by mistake, hostile ones included. */
const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(null, undefined, true, "", "unknown", "end", "cpuid", Symbol("s"), NaN, Infinity, -1, -0, 1.5, 2 ** 31, 2 ** 32, 2 ** 53, 2 ** 64, 3, 24, 0, MAX_ALIGN * 2),
  fc.constantFrom(0n, -1n, 1n << 63n, 1n << 64n, new Uint8Array(3), new Uint16Array(2), new BigUint64Array(1), [], {}, [1, 2], new Date(0)),
  fc.integer(),
  fc.double(),
  fc.bigInt(),
  fc.string({ maxLength: 80 }),
  fc.constant(null).map(() => throwing()),
);

/** An object whose every property read throws (a getter gone wrong, a revoked proxy). */
function throwing(): object {
  return new Proxy(
    {},
    {
      get: (_, key) => {
        // fast-check's own printing of a counterexample may look; nothing else may.
        if (key === fc.toStringMethod) return () => "throwing()";
        throw new Error("a getter that throws");
      },
      has: (_, key) => key === fc.toStringMethod,
      ownKeys: () => {
        throw new Error("ownKeys that throws");
      },
    },
  );
}

/** Where a hostile value goes: the image, its header or sections, a field of either, or a body's field. */
type Mutation = (image: Record<string, unknown>) => void;
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  hostileValue.map((v): Mutation => (image) => (image.header = v)),
  hostileValue.map((v): Mutation => (image) => (image.sections = v)),
  fc.tuple(fc.constantFrom("byteOrder", "imageType", "guestType", "arch", "pageShift", "domainId", "memorySize", "uuid", "name", "vcpuCount"), hostileValue).map(
    ([key, v]): Mutation =>
      (image) => {
        if (image.header !== null && typeof image.header === "object") (image.header as Record<string, unknown>)[key] = v;
      },
  ),
  fc.tuple(fc.nat(), hostileValue).map(
    ([i, v]): Mutation =>
      (image) => {
        const sections = image.sections as unknown[];
        if (Array.isArray(sections) && sections.length > 0) sections[i % sections.length] = v;
      },
  ),
  fc.tuple(fc.nat(), fc.constantFrom("type", "body", "flags", "id", "optional", "align", "entryCount", "entrySize", "bytes"), hostileValue).map(
    ([i, key, v]): Mutation =>
      (image) => {
        const sections = image.sections as Record<string, unknown>[];
        if (Array.isArray(sections) && sections.length > 0 && sections[i % sections.length] !== null && typeof sections[i % sections.length] === "object") {
          sections[i % sections.length] = { ...sections[i % sections.length], [key]: v };
        }
      },
  ),
  fc.tuple(fc.nat(), fc.nat(), hostileValue).map(
    ([i, k, v]): Mutation =>
      (image) => {
        const sections = image.sections as { body?: unknown }[];
        if (!Array.isArray(sections) || sections.length === 0) return;
        const section = sections[i % sections.length];
        const body = section?.body;
        if (body === null || typeof body !== "object") return;
        const copy = Array.isArray(body) ? [...body] : { ...body };
        const keys = Object.keys(copy);
        if (keys.length > 0) (copy as Record<string, unknown>)[keys[k % keys.length]!] = v;
        sections[i % sections.length] = { ...section, body: copy };
      },
  ),
);

/** Images with one to three hostile values put in them. */
const hostileImages = fc.tuple(images, fc.array(mutation, { minLength: 1, maxLength: 3 })).map(([image, mutations]) => {
  const copy: Record<string, unknown> = { header: { ...image.header }, sections: [...image.sections] };
  for (const m of mutations) {
    try {
      m(copy);
    } catch {
      // A mutation of a part an earlier one made throwing: the image stays as it was.
    }
  }
  return copy as unknown as ImageInit;
});

/** What encoding gave: bytes, an EncodeError, or anything else (the failure this test looks for). */
async function attempt(encode: () => Promise<Uint8Array> | Uint8Array): Promise<Uint8Array | EncodeError> {
  try {
    return await encode();
  } catch (e) {
    if (e instanceof EncodeError) return e;
    throw new Error(`not an EncodeError: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`, { cause: e });
  }
}

describe("hostile values given to the writers", () => {
  it("encodeImage gives bytes that decode, or an EncodeError", async () => {
    let rejected = 0;
    await fc.assert(
      fc.asyncProperty(hostileImages, async (image) => {
        const out = await attempt(() => encodeImage(image));
        if (out instanceof EncodeError) rejected++;
        else expect(() => decodeImage(out)).not.toThrow();
      }),
      { numRuns: 300 },
    );
    expect(rejected).toBeGreaterThan(100); // the hostile values do reach the checks
  });

  it("the stream encoder gives a stream that decodes, or an EncodeError", async () => {
    await fc.assert(
      fc.asyncProperty(hostileImages, async (image) => {
        const out = await attempt(() => streamOf(image));
        if (!(out instanceof EncodeError)) await decodeStreamToImage(imageFormat, [out]);
      }),
      { numRuns: 150 },
    );
  });

  it("an image or arguments that are not objects at all", async () => {
    for (const image of [null, undefined, 5, "image", throwing(), { header: null, sections: [] }, { header: {}, sections: null }, { header: throwing(), sections: [] }]) {
      expect(await attempt(() => encodeImage(image as ImageInit))).toBeInstanceOf(EncodeError);
    }
  });
});
