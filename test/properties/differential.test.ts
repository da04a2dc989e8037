import fc from "fast-check";
import { isDeepStrictEqual } from "node:util";
import { describe, expect, it } from "vitest";
import { camel } from "../../generator/emit/names.js";
import type { SectionDecl, SectionVariant } from "../../generator/model/model.js";
import { compileSchemas } from "../../generator/pipeline.js";
import { decodeImage, encodeImage, ImageType, sectionCodecByName } from "../../generated/index.js";
import { schema, schemaJson } from "../../generated/schema.js";
import * as golden from "../generator/fixtures/golden/expected/index.js";
import { schema as goldenSchema } from "../generator/fixtures/golden/expected/schema.js";
import { ByteReader, ByteWriter, XenImageError, type SectionCodec } from "../../runtime/index.js";
import { decodeReflectedImage, encodeReflectedImage, reflectSectionCodec, Schema, type SchemaJson } from "../../runtime/reflect/index.js";
import { syntheticCoreImage, syntheticGuest } from "../../synthetic/guest.js";
import { bodyArbitrary } from "./arbitraries.js";

// The differential test: the reflective codec (the schema model, interpreted) and the generated codecs
// (the same model, compiled) must agree on every section variant, on arbitrary values, and on every
// demo image: the same values decoded, the same bytes encoded. Each is the other's oracle, and a bug
// planted in either is caught (the last block shows it).

type Codec = SectionCodec<unknown, object>;

/** A header that selects `variant` (its `when` values) in the given byte order. */
function headerFor(variant: SectionVariant, byteOrder: number): Record<string, unknown> {
  const header: Record<string, unknown> = { byteOrder };
  for (const c of variant.when) header[camel(c.field.name)] = c.values[0]!.value;
  return header;
}

/** Runs `f`, returning its result or the error it threw. */
function attempt<T>(f: () => T): { value: T } | { error: unknown } {
  try {
    return { value: f() };
  } catch (error) {
    return { error };
  }
}

/** Encodes `body` with both codecs and decodes the bytes with both: everything must agree. */
function agree(generated: Codec, reflective: Codec, header: Record<string, unknown>, body: unknown): void {
  const littleEndian = header.byteOrder !== 2;
  const encode = (codec: Codec) =>
    attempt(() => {
      const w = new ByteWriter({ littleEndian });
      const shape = codec.encode(w, body, header);
      return { bytes: w.finish().slice(), shape };
    });
  const g = encode(generated);
  const r = encode(reflective);
  if ("error" in g || "error" in r) {
    // Values the generated encoder refuses, the reflective one refuses too, with the same kind of error.
    expect("error" in r, "reflective encode fails exactly when generated encode does").toBe("error" in g);
    expect((r as { error: { code?: string } }).error.code).toBe((g as { error: { code?: string } }).error.code);
    return;
  }
  expect(Buffer.from(r.value.bytes).equals(Buffer.from(g.value.bytes)), "the same bytes").toBe(true);
  expect(r.value.shape).toEqual(g.value.shape);
  const ctx = { header, entryCount: g.value.shape.entryCount, entrySize: g.value.shape.entrySize };
  const decode = (codec: Codec) => codec.decode(new ByteReader(g.value.bytes, { littleEndian }), ctx);
  expect(decode(reflective)).toEqual(decode(generated));
}

function variantCases(sections: readonly SectionDecl[], end: SectionDecl) {
  return sections
    .filter((s) => s !== end)
    .flatMap((s) => s.variants.map((v, i) => [`${s.name}${s.variants.length > 1 ? ` (variant ${i})` : ""}`, s, v] as const));
}

/** The property over one section variant: arbitrary bodies, both byte orders. */
function sectionProperty(variant: SectionVariant, generated: Codec, reflective: Codec) {
  return fc.property(bodyArbitrary(variant.body), fc.constantFrom(1, 2), (body, byteOrder) => agree(generated, reflective, headerFor(variant, byteOrder), body));
}

const { model } = compileSchemas("schema");
if (model === undefined) throw new Error("schema/ does not compile");
const goldenModel = compileSchemas("test/generator/fixtures/golden/schema").model!;

/** A property of the two codecs of one section variant. */
type CodecProperty = (variant: SectionVariant, generated: Codec, reflective: Codec) => fc.IRawProperty<unknown[]>;

/**
 * A test per section variant of the format, and per section variant of the golden schema (which uses
 * every construct of the language, `golden …`), each checking `property` over `runs` values.
 */
function forEveryVariant(property: CodecProperty, runs: { format: number; golden: number }): void {
  it.each(variantCases(model!.sections, model!.container.end))("%s", (_, section, variant) => {
    const generated = sectionCodecByName.get(section.name) as unknown as Codec;
    fc.assert(property(variant, generated, reflectSectionCodec(schema.section(section.name)!)), { numRuns: runs.format });
  });
  it.each(variantCases(goldenModel.sections, goldenModel.container.end))("golden %s", (_, section, variant) => {
    const generated = golden.sectionCodecByName.get(section.name) as unknown as Codec;
    fc.assert(property(variant, generated, reflectSectionCodec(goldenSchema.section(section.name)!)), { numRuns: runs.golden });
  });
}

describe("reflective and generated codecs agree on every section variant (arbitrary values)", () => {
  forEveryVariant(sectionProperty, { format: 40, golden: 60 });
});

/** Random bytes through both decoders: the same failures (always typed, the same message), the same values. */
function bytesProperty(variant: SectionVariant, generated: Codec, reflective: Codec) {
  return fc.property(fc.uint8Array({ maxLength: 600 }), fc.bigInt({ min: 0n, max: 8n }), fc.constantFrom(0, 1, 2, 4, 8, 16, 24), fc.constantFrom(1, 2), (bytes, entryCount, entrySize, byteOrder) => {
    const header = headerFor(variant, byteOrder);
    const ctx = { header, entryCount, entrySize };
    const decode = (codec: Codec) =>
      attempt(() => {
        const r = new ByteReader(bytes, { littleEndian: byteOrder !== 2 });
        const value = codec.decode(r, ctx);
        r.expectEnd();
        return value;
      });
    const g = decode(generated);
    const r = decode(reflective);
    sameOutcome(g, r);
  });
}

/**
 * Two decodes end alike: both fail, with typed errors saying the same thing in the same place (the
 * message holds the reason, section, field path and offset), or both give the same value.
 */
function sameOutcome(g: { value: unknown } | { error: unknown }, r: { value: unknown } | { error: unknown }): void {
  if ("error" in r) expect(r.error).toBeInstanceOf(XenImageError);
  expect("error" in r).toBe("error" in g);
  if ("error" in r && "error" in g) expect((g.error as Error).message).toBe((r.error as Error).message);
  if ("value" in r && "value" in g) expect(r.value).toEqual(g.value);
}

/**
 * How many offsets one body is damaged at: every one in a small body, fewer (evenly spread) in a big
 * one, so that each run decodes about the same number of bytes.
 */
function damageSites(length: number): number {
  return Math.min(length, 400, Math.max(24, Math.floor(400_000 / Math.max(1, length))));
}

/**
 * A valid body of arbitrary values, then damaged at each offset in turn: cut short there, or that
 * byte inverted. The errors come from deep inside (an array's element, a case of a switch, a nested
 * struct's reserved bits), and the generated decoders, which name each field through their reads,
 * must report what the interpreter, tracking its path, reports.
 */
function damagedProperty(variant: SectionVariant, generated: Codec, reflective: Codec) {
  return fc.property(bodyArbitrary(variant.body), fc.constantFrom(1, 2), (body, byteOrder) => {
    const header = headerFor(variant, byteOrder);
    const littleEndian = byteOrder !== 2;
    const w = new ByteWriter({ littleEndian });
    let shape;
    try {
      shape = generated.encode(w, body, header);
    } catch {
      return; // values no writer takes (another property checks both refuse them)
    }
    const bytes = w.finish().slice();
    const ctx = { header, entryCount: shape.entryCount, entrySize: shape.entrySize };
    const outcome = (codec: Codec, damaged: Uint8Array) =>
      attempt(() => {
        const r = new ByteReader(damaged, { littleEndian, base: 0x1000, section: "body" });
        const value = codec.decode(r, ctx);
        r.expectEnd();
        return value;
      });
    const compare = (damaged: Uint8Array) => {
      const g = outcome(generated, damaged);
      const r = outcome(reflective, damaged);
      // expect() only on a difference: it is slow, and most sites agree.
      if ("error" in g && "error" in r && (g.error as Error).message === (r.error as Error).message) return;
      sameOutcome(g, r);
    };
    const step = Math.max(1, Math.ceil(bytes.length / damageSites(bytes.length)));
    for (let at = 0; at < bytes.length; at += step) {
      compare(bytes.subarray(0, at));
      bytes[at]! ^= 0xff;
      compare(bytes);
      bytes[at]! ^= 0xff;
    }
  });
}

/** Values a caller might put in a body by mistake. */
const badValue = fc.constantFrom<unknown>(null, undefined, "7", -1, 1.5, 2 ** 53, 10n, -1n, 1n << 64n, {}, [], [1], new Uint8Array(3), "x".repeat(300));

/** The paths to every value inside `value` (objects and arrays, not byte arrays), each as its keys. */
function leafPaths(value: unknown, prefix: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  if (typeof value !== "object" || value === null || ArrayBuffer.isView(value)) return out;
  for (const [k, v] of Object.entries(value)) {
    const path = [...prefix, Array.isArray(value) ? Number(k) : k];
    out.push(path);
    leafPaths(v, path, out);
  }
  return out;
}

/** True when field path `inner` is `outer` or lies inside it (`a.b[2].c` inside `a.b`). */
function within(inner: string | undefined, outer: string | undefined): boolean {
  if (outer === undefined || outer === "") return true;
  return inner === outer || (inner !== undefined && (inner.startsWith(`${outer}.`) || inner.startsWith(`${outer}[`)));
}

/**
 * A valid body with one value inside it replaced by a bad one: both encoders refuse it with the same
 * code, or both accept it. The generated encoder's path (each write names its field) is the
 * interpreter's or lies inside it: the interpreter names a fixed struct where the generated code
 * names the struct's field.
 */
function badValueProperty(variant: SectionVariant, generated: Codec, reflective: Codec) {
  return fc.property(bodyArbitrary(variant.body), fc.constantFrom(1, 2), fc.nat(), badValue, (body, byteOrder, pick, bad) => {
    const paths = leafPaths(body);
    if (paths.length === 0) return;
    const path = paths[pick % paths.length]!;
    const damaged = structuredClone(body) as Record<string | number, unknown>;
    let holder = damaged;
    for (const key of path.slice(0, -1)) holder = holder[key] as Record<string | number, unknown>;
    holder[path.at(-1)!] = bad;
    const header = headerFor(variant, byteOrder);
    const encode = (codec: Codec) =>
      attempt(() => {
        const w = new ByteWriter({ littleEndian: byteOrder !== 2 });
        codec.encode(w, damaged, header);
        return w.finish().slice();
      });
    const g = encode(generated);
    const r = encode(reflective);
    expect("error" in r).toBe("error" in g);
    if ("error" in r && "error" in g) {
      const [ge, re] = [g.error as XenImageError, r.error as XenImageError];
      expect(ge).toBeInstanceOf(XenImageError);
      expect(ge.code).toBe(re.code);
      if (!within(ge.path, re.path)) expect(ge.path).toBe(re.path);
    }
  });
}

describe("a bad value inside a valid body: both encoders refuse it, the generated one naming the same field or one inside it", () => {
  forEveryVariant(badValueProperty, { format: 100, golden: 100 });
});

describe("on damaged valid bodies (cut short, a byte changed), both decoders report the same error in the same place", () => {
  forEveryVariant(damagedProperty, { format: 8, golden: 12 });
});

describe("on arbitrary bytes, both decoders fail alike (the same typed error, in the same place) or give the same value", () => {
  forEveryVariant(bytesProperty, { format: 150, golden: 200 });
});

describe("reflective and generated codecs agree on every demo image", () => {
  const options = { seed: 1, vcpus: 2 };
  const demos = [
    ["pv-x86_64 save", () => syntheticGuest("pv-x86_64", { ...options, name: "demo-pv64" }, ImageType.save)],
    ["pv-x86_32 save", () => syntheticGuest("pv-x86_32", { ...options, name: "demo-pv32" }, ImageType.save)],
    ["hvm-x86_64 save", () => syntheticGuest("hvm-x86_64", { ...options, name: "demo-hvm64" }, ImageType.save)],
    ["arm64 save", () => syntheticGuest("arm64", { ...options, name: "demo-arm64" }, ImageType.save)],
    ["pv-x86_64 core", () => syntheticCoreImage("pv-x86_64", { ...options, name: "demo-pv64" })],
  ] as const;

  it.each(demos)("%s: the same image decoded, the same bytes encoded", (_, make) => {
    const bytes = encodeImage(make());
    expect(Buffer.from(encodeReflectedImage(schema, make())).equals(Buffer.from(bytes))).toBe(true);
    const generated = decodeImage(bytes);
    const reflected = decodeReflectedImage(schema, bytes);
    // isDeepStrictEqual first: megabytes of pages; expect() only to say where, when they differ.
    if (!isDeepStrictEqual(reflected, generated)) expect(reflected).toEqual(generated);
    expect(Buffer.from(encodeReflectedImage(schema, reflected as never)).equals(Buffer.from(bytes))).toBe(true);
  });
});

describe("the differential check catches a bug planted in either codec", () => {
  const section = model.sections.find((s) => s.name === "cpuid")!;
  const variant = section.variants[0]!;
  const generated = sectionCodecByName.get("cpuid") as unknown as Codec;
  const reflective = reflectSectionCodec(schema.section("cpuid")!);
  const fails = (generatedCodec: Codec, reflectiveCodec: Codec) => () => fc.assert(sectionProperty(variant, generatedCodec, reflectiveCodec), { numRuns: 100 });

  it("passes as the codecs are", () => {
    expect(fails(generated, reflective)).not.toThrow();
  });

  it("catches a generated decoder that reads one field wrong", () => {
    const planted: Codec = { ...generated, decode: (r, ctx) => (generated.decode(r, ctx) as { eax: number }[]).map((l) => ({ ...l, eax: l.eax ^ 1 })) };
    expect(fails(planted, reflective)).toThrow();
  });

  it("catches a generated encoder that writes one byte wrong", () => {
    const planted: Codec = {
      ...generated,
      encode: (w, body, header) => {
        const shape = generated.encode(w, body, header);
        if (w.pos > 0) w.patchU8(w.pos - 1, (w.finish()[w.pos - 1]! + 1) & 0xff);
        return shape;
      },
    };
    expect(fails(planted, reflective)).toThrow();
  });

  it("catches a model whose layout is wrong (two fields swapped)", () => {
    const json = structuredClone(schemaJson) as unknown as { types: { name: string; fields?: { name: string; offset?: number }[] }[] };
    const leaf = json.types.find((t) => t.name === "cpuid_leaf")!;
    const [eax, ebx] = [leaf.fields!.findIndex((f) => f.name === "eax"), leaf.fields!.findIndex((f) => f.name === "ebx")];
    [leaf.fields![eax], leaf.fields![ebx]] = [leaf.fields![ebx]!, leaf.fields![eax]!];
    const planted = reflectSectionCodec(Schema.fromJson(json as unknown as SchemaJson).section("cpuid")!);
    expect(fails(generated, planted)).toThrow();
  });

  it("catches a model with a field's byte order wrong", () => {
    const json = structuredClone(schemaJson) as unknown as { types: { name: string; fields?: { name: string; endian?: string }[] }[] };
    json.types.find((t) => t.name === "cpuid_leaf")!.fields!.find((f) => f.name === "leaf")!.endian = "big";
    const planted = reflectSectionCodec(Schema.fromJson(json as unknown as SchemaJson).section("cpuid")!);
    expect(fails(generated, planted)).toThrow();
  });
});
