import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { camel } from "../../generator/emit/names.js";
import type { SectionDecl, SectionVariant } from "../../generator/model/model.js";
import { compileSchemas } from "../../generator/pipeline.js";
import { decodeImage, encodeImage, sectionCodecByName } from "../../generated/index.js";
import * as golden from "../generator/fixtures/golden/expected/index.js";
import { ByteReader, ByteWriter } from "../../runtime/index.js";
import { bodyArbitrary, imageInitArbitrary } from "./arbitraries.js";

// Property tests over every section of the real schemas, with arbitraries derived from the model:
// a section added to schema/ is covered here without a line of test code.

const { model } = compileSchemas("schema");
if (model === undefined) throw new Error("schema/ does not compile");

/** A header that selects `variant` (its `when` values), other fields as given. */
function headerFor(variant: SectionVariant, base: Record<string, unknown> = {}): Record<string, unknown> {
  const header = { ...base };
  for (const c of variant.when) header[camel(c.field.name)] = c.values[0]!.value;
  return header;
}

type Codecs = ReadonlyMap<string, { encode(w: ByteWriter, b: never, h: never): { entryCount: bigint; entrySize: number }; decode(r: ByteReader, ctx: never): unknown }>;

function roundTrip(codecs: Codecs, section: SectionDecl, header: Record<string, unknown>, body: unknown): void {
  const codec = codecs.get(section.name)!;
  const w = new ByteWriter({ littleEndian: header.byteOrder !== 2 });
  const shape = codec.encode(w, body as never, header as never);
  const bytes = w.finish().slice();
  const r = new ByteReader(bytes, { littleEndian: header.byteOrder !== 2 });
  const back = codec.decode(r, { header, entryCount: shape.entryCount, entrySize: shape.entrySize } as never);
  r.expectEnd();
  expect(back).toEqual(body);
  const again = new ByteWriter({ littleEndian: header.byteOrder !== 2 });
  codec.encode(again, back as never, header as never);
  expect(Buffer.from(again.finish()).equals(Buffer.from(bytes))).toBe(true);
}

describe("every section body round-trips (decode(encode(v)) = v, and re-encoding gives the same bytes)", () => {
  const cases = model.sections
    .filter((s) => s !== model.container.end)
    .flatMap((s) => s.variants.map((v, i) => [`${s.name}${s.variants.length > 1 ? ` (variant ${i}: ${v.when.map((c) => `${c.field.name}=${c.values.map((x) => x.name).join("|")}`).join(", ")})` : ""}`, s, v] as const));

  it("covers every section of the schemas", () => {
    expect(new Set(cases.map(([, s]) => s.name))).toEqual(new Set(model.sections.filter((s) => s !== model.container.end).map((s) => s.name)));
  });

  it.each(cases)("%s", (_, section, variant) => {
    fc.assert(
      fc.property(bodyArbitrary(variant.body), fc.constantFrom(1, 2), (body, byteOrder) =>
        roundTrip(sectionCodecByName as unknown as Codecs, section, headerFor(variant, { byteOrder }), body),
      ),
      { numRuns: 60 },
    );
  });
});

describe("every construct of the language round-trips (the golden schema of every construct)", () => {
  const goldenModel = compileSchemas("test/generator/fixtures/golden/schema").model!;
  const cases = goldenModel.sections
    .filter((s) => s !== goldenModel.container.end)
    .flatMap((s) => s.variants.map((v, i) => [`${s.name} #${i}`, s, v] as const));
  it.each(cases)("%s", (_, section, variant) => {
    fc.assert(
      fc.property(bodyArbitrary(variant.body), fc.constantFrom(1, 2), (body, byteOrder) =>
        roundTrip(golden.sectionCodecByName as unknown as Codecs, section, headerFor(variant, { byteOrder }), body),
      ),
      { numRuns: 100 },
    );
  });
});

describe("whole images round-trip", () => {
  const imageArbitrary = imageInitArbitrary(model);

  it("decodeImage(encodeImage(image)) gives the image back, and re-encoding gives the same bytes", () => {
    fc.assert(
      fc.property(imageArbitrary, (image) => {
        const bytes = encodeImage(image);
        const decoded = decodeImage(bytes);
        expect(decoded.sections).toEqual(image.sections);
        for (const [k, v] of Object.entries(image.header)) expect((decoded.header as unknown as Record<string, unknown>)[k]).toEqual(v);
        expect(Buffer.from(encodeImage(decoded)).equals(Buffer.from(bytes))).toBe(true);
      }),
      { numRuns: 40 },
    );
  });
});
