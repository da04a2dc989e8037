/**
 * Schema names chosen to break generated code: JavaScript keywords, the generator's own locals (`o`,
 * `r`, `w`, `at`), Object.prototype's members, names of generated functions, and names that collide
 * once camel-cased. Each schema must end one of two ways: a `file:line:col` diagnostic, or generated
 * code that typechecks (tsc, the project's settings) and round-trips a value.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { camel, pascal } from "../../generator/emit/names.js";
import { ByteReader, ByteWriter } from "../../runtime/index.js";
import { compileAdversarial, expectLocated, withGeneratedCode } from "./adversarial-harness.js";

const ADVERSARIAL = [
  "o", "r", "w", "v", "e", "i", "n", "at", "index", "out", "raw", "start", "view",
  "default", "class", "new", "let", "yield", "await", "arguments", "eval", "enum", "this", "undefined",
  "constructor", "__proto__", "proto", "to_string", "value_of", "has_own_property", "prototype",
  "to_object", "entries", "rest",
  "decode_pair", "encode_pair_at", "view_pair", "check_pair",
  "foo_bar", "foo__bar", "foo_", "foo", "foo_count", "o_count", "x_count", "foo_selected",
];

/** How a field is declared, and a value of it: plain reads, checked reads (which bind a local), arrays. */
const SHAPES = {
  u32: { decl: "type: u32", value: (i: number): unknown => 0x1000 + i },
  u64n: { decl: "type: u64, repr: number", value: (i: number): unknown => 2 ** 40 + i },
  u64: { decl: "type: u64", value: (i: number): unknown => 2n ** 63n + BigInt(i) },
  array: { decl: "type: u16, count: 2", value: (i: number): unknown => [i, 0xffff - i] },
  /** An array counted by the field before it (a u8 the writer fills in, so absent from the value). */
  counted: { decl: "type: u16", value: (i: number): unknown => [i, 1, 2] },
} as const;
type Shape = keyof typeof SHAPES;

interface AdversarialField {
  readonly name: string;
  readonly shape: Shape;
}

/** A schema module with struct `pair` of these fields, and a section whose body is one `pair`. */
function schemaOf(fields: readonly AdversarialField[]): string {
  const lines = fields
    .map((f, i) => {
      const name = JSON.stringify(f.name);
      if (f.shape !== "counted") return `      - { name: ${name}, ${SHAPES[f.shape].decl}, doc: Field ${i}. }`;
      const counter = JSON.stringify(`${f.name}_n`);
      return [
        `      - { name: ${counter}, type: u8, doc: Count ${i}. }`,
        `      - { name: ${name}, ${SHAPES[f.shape].decl}, count: ${counter}, doc: Field ${i}. }`,
      ].join("\n");
    })
    .join("\n");
  return [
    "doc: Adversarial names.",
    "imports: [image]",
    "types:",
    "  pair:",
    "    doc: A struct.",
    "    fields:",
    lines,
    "sections:",
    "  adversarial:",
    "    id: 0x7777",
    "    doc: A section.",
    "    fields:",
    "      - { name: body, type: pair, doc: The pair. }",
    "",
  ].join("\n");
}

const fieldsArbitrary = fc.uniqueArray(
  fc.record({ name: fc.constantFrom(...ADVERSARIAL), shape: fc.constantFrom(...(Object.keys(SHAPES) as Shape[])) }),
  { minLength: 1, maxLength: 5, selector: (f) => f.name },
);

describe("adversarial schema names", () => {
  it("each schema gets a file:line:col diagnostic, or code that compiles and round-trips", async () => {
    await withGeneratedCode("adversarial", 1, async (load) => {
      await fc.assert(
        fc.asyncProperty(fieldsArbitrary, async (fields) => {
          const { model, diagnostics } = compileAdversarial(schemaOf(fields));
          if (diagnostics.length > 0) return expectLocated(diagnostics);
          // Round-trip: each field's value comes back under its camel-cased name.
          const codec = await load(model!);
          const value = Object.fromEntries(fields.map((f, i) => [camel(f.name), SHAPES[f.shape].value(i)]));
          const w = new ByteWriter({ littleEndian: true });
          (codec[`encode${pascal("pair")}`] as (w: ByteWriter, v: unknown) => void)(w, value);
          const decoded = (codec[`decode${pascal("pair")}`] as (r: ByteReader) => unknown)(new ByteReader(w.finish()));
          expect(decoded).toEqual(value);
        }),
        {
          numRuns: 30,
          seed: 17,
          // The cases that broke the generator, always tried first.
          examples: [
            [[{ name: "o", shape: "u64n" }, { name: "default", shape: "u64n" }]],
            [[{ name: "constructor", shape: "u32" }]],
            [[{ name: "foo", shape: "counted" }, { name: "foo_count", shape: "u32" }]],
            [[{ name: "x", shape: "counted" }, { name: "index", shape: "array" }, { name: "eval", shape: "u64" }]],
          ],
        },
      );
    });
  }, 120_000);
});
