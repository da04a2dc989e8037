/**
 * The sibling of adversarial-names.test.ts for every other name a schema gives: struct, enum, flags and
 * bit-field type names, enum and flags member names, bit-field sub-field names and section names. Each
 * schema must end one of two ways: a `file:line:col` diagnostic, or generated code that typechecks (tsc,
 * the project's settings, batched into one run) and round-trips a value through every declaration.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { camel, pascal } from "../../generator/emit/names.js";
import { formatDiagnostic } from "../../generator/diagnostics.js";
import { RUNTIME_IMPORTS } from "../../generator/model/vocabulary.js";
import { ByteReader, ByteWriter } from "../../runtime/index.js";
import { compileAdversarial, expectLocated, withGeneratedCode } from "./adversarial-harness.js";

const root = resolve(import.meta.dirname, "../..");

/** Names for declarations and sections: keywords, Object.prototype's members, generated and runtime names, casing twins. */
const DECL_NAMES = [
  "o", "r", "w", "at", "default", "class", "new", "enum", "this", "undefined", "arguments", "eval",
  "constructor", "proto", "to_string", "value_of", "has_own_property", "prototype",
  "pair", "pair_body", "pair_section", "pair_names", "decode_pair", "view_pair", "section_codec",
  "byte_reader", "byte_writer", "schema", "image_format", "section_codecs", "container", "entries", "fixed_entries",
  "foo_bar", "foo__bar", "foo_bar_", "holder_size", "x", "x_b",
];

/** Names for enum and flags members and bit-field sub-fields. */
const MEMBER_NAMES = [
  "o", "r", "w", "v", "at", "le", "lo", "hi", "raw", "default", "class", "new", "enum", "this", "undefined", "eval",
  "constructor", "proto", "to_string", "value_of", "has_own_property", "prototype", "names",
  "a_b", "a__b", "a_b_",
];

/** Names for the struct's magic field, whose generated constant is named STRUCT_FIELD like a struct's STRUCT_SIZE. */
const MAGIC_NAMES = ["size", "magic", "o", "default", "b_size", "x_size", "names"];

interface Names {
  readonly struct: string;
  readonly magic: string;
  readonly enumType: string;
  readonly flags: string;
  readonly bits: string;
  readonly section: string;
  readonly enumMembers: readonly string[];
  readonly flagMembers: readonly string[];
  readonly bitFields: readonly string[];
}

const members = fc.uniqueArray(fc.constantFrom(...MEMBER_NAMES), { minLength: 1, maxLength: 3 });
// Distinct raw names (a repeated YAML key is only a parse error); casing twins still meet.
const namesArbitrary: fc.Arbitrary<Names> = fc
  .tuple(fc.uniqueArray(fc.constantFrom(...DECL_NAMES), { minLength: 5, maxLength: 5 }), fc.constantFrom(...MAGIC_NAMES), members, members, members)
  .map(([[struct, enumType, flags, bits, section], magic, enumMembers, flagMembers, bitFields]) => ({
    struct: struct!, magic, enumType: enumType!, flags: flags!, bits: bits!, section: section!, enumMembers, flagMembers, bitFields,
  }));

const q = (s: string) => JSON.stringify(s);

/** A schema module with each adversarially named declaration, a `holder` struct of one field of each, and a section holding it. */
function schemaOf(n: Names): string {
  return [
    "doc: Adversarial declaration names.",
    "imports: [image]",
    "types:",
    `  ${q(n.struct)}:`,
    "    doc: A struct.",
    "    fields:",
    "      - { name: a, type: u32, doc: A field. }",
    `      - { name: ${q(n.magic)}, bytes: 2, const: [0x58, 0x4e], doc: A magic. }`,
    `  ${q(n.enumType)}:`,
    "    doc: An enum.",
    "    enum: u8",
    "    values:",
    ...n.enumMembers.map((m, i) => `      - { name: ${q(m)}, value: ${i + 1}, doc: Value ${i}. }`),
    `  ${q(n.flags)}:`,
    "    doc: Flags.",
    "    flags: u8",
    "    values:",
    ...n.flagMembers.map((m, i) => `      - { name: ${q(m)}, bit: ${i}, doc: Bit ${i}. }`),
    `  ${q(n.bits)}:`,
    "    doc: A bit-field word.",
    "    bits: u32",
    "    fields:",
    ...n.bitFields.map((m, i) => `      - { name: ${q(m)}, bits: [${i * 4 + 3}, ${i * 4}], doc: Sub-field ${i}. }`),
    "  holder:",
    "    doc: One field of each.",
    "    fields:",
    `      - { name: s, type: ${q(n.struct)}, doc: The struct. }`,
    `      - { name: e, type: ${q(n.enumType)}, doc: The enum. }`,
    `      - { name: f, type: ${q(n.flags)}, doc: The flags. }`,
    `      - { name: b, type: ${q(n.bits)}, doc: The bits. }`,
    "sections:",
    `  ${q(n.section)}:`,
    "    id: 0x7777",
    "    doc: A section.",
    "    fields:",
    "      - { name: body, type: holder, doc: The holder. }",
    // A table section, so the module imports the runtime's entry codecs (decodeEntries, encodeFixedEntries).
    "  holder_table:",
    "    id: 0x7778",
    "    doc: A table of holders.",
    "    entries: holder",
    "    entry_size: 12",
    "",
  ].join("\n");
}

describe("adversarial declaration, member and section names", () => {
  it("each schema gets a file:line:col diagnostic, or code that compiles and round-trips", async () => {
    // Most schemas must reach tsc, or the property would test only the name checks.
    await withGeneratedCode("adversarial-decl", 10, async (load) => {
      await fc.assert(
        fc.asyncProperty(namesArbitrary, async (n) => {
          const { model, diagnostics } = compileAdversarial(schemaOf(n));
          if (diagnostics.length > 0) return expectLocated(diagnostics);
          const codec = await load(model!);
          // Each enum and flags member is a plain own property of its table, with its value.
          const enumTable = codec[pascal(n.enumType)] as Record<string, unknown>;
          expect(Object.entries(enumTable)).toEqual(n.enumMembers.map((m, i) => [m, i + 1]));
          expect([...(codec[`${pascal(n.enumType)}Names`] as Map<number, string>)]).toEqual(n.enumMembers.map((m, i) => [i + 1, m]));
          const flagsTable = codec[pascal(n.flags)] as Record<string, unknown>;
          expect(Object.entries(flagsTable)).toEqual(n.flagMembers.map((m, i) => [m, 2 ** i]));
          // Round-trip a holder: every declaration's reader and writer.
          const value = {
            s: { a: 0x12345678 },
            e: n.enumMembers.length,
            f: 2 ** n.flagMembers.length - 1,
            b: Object.fromEntries(n.bitFields.map((m, i) => [camel(m), 15 - i])),
          };
          const w = new ByteWriter({ littleEndian: true });
          (codec.encodeHolder as (w: ByteWriter, v: unknown) => void)(w, value);
          const decoded = (codec.decodeHolder as (r: ByteReader) => unknown)(new ByteReader(w.finish()));
          expect(decoded).toEqual(value);
          // The section is exported under its own name.
          expect(codec[`${camel(n.section)}Section`]).toBeDefined();
        }),
        {
          numRuns: 60,
          seed: 17,
          examples: [
            [{ magic: "magic", struct: "foo_bar", enumType: "foo__bar", flags: "o", bits: "r", section: "w", enumMembers: ["a_b"], flagMembers: ["a"], bitFields: ["x"] }],
            [{ magic: "magic", struct: "pair_body", enumType: "e", flags: "f", bits: "b", section: "pair", enumMembers: ["a"], flagMembers: ["a"], bitFields: ["x"] }],
            // STRUCT_FIELD of a magic against another struct's STRUCT_SIZE, and against its own.
            [{ magic: "b_size", struct: "x", enumType: "e", flags: "f", bits: "b", section: "x_b", enumMembers: ["a"], flagMembers: ["a"], bitFields: ["x"] }],
            [{ magic: "size", struct: "s", enumType: "e", flags: "f", bits: "b", section: "x", enumMembers: ["a"], flagMembers: ["a"], bitFields: ["x"] }],
            [{ magic: "magic", struct: "container", enumType: "e", flags: "f", bits: "fixed_entries", section: "s", enumMembers: ["a"], flagMembers: ["a"], bitFields: ["x"] }],
            [{ magic: "magic", struct: "byte_reader", enumType: "e", flags: "f", bits: "b", section: "s", enumMembers: ["a"], flagMembers: ["a"], bitFields: ["x"] }],
            [{ magic: "magic", struct: "s", enumType: "default", flags: "constructor", bits: "proto", section: "to_string", enumMembers: ["constructor", "names"], flagMembers: ["to_string", "value_of"], bitFields: ["a_b", "a__b"] }],
            [{ magic: "magic", struct: "s", enumType: "e", flags: "f", bits: "b", section: "x", enumMembers: ["a_b", "a__b"], flagMembers: ["a_b", "a__b"], bitFields: ["raw", "default", "lo"] }],
            // Not snake_case: the meta-schema's diagnostic, never an object literal that sets a prototype.
            [{ magic: "magic", struct: "s", enumType: "e", flags: "f", bits: "b", section: "x", enumMembers: ["__proto__"], flagMembers: ["__proto__"], bitFields: ["__proto__"] }],
          ],
        },
      );
    });
  }, 180_000);

  // Names a struct's fields add at module level: a switch's union type (struct x, field b → XB), a
  // count_of's set of counted values (struct a, field b_c → A_B_C_COUNTED), and a fixed struct's view
  // class (x → XView). Each meets another declaration's name unless the checks see it.
  const FIELD_NAME_CLASHES: readonly (readonly [string, string, string])[] = [
    ["a switch's union type and a struct", "x_b", "XB"],
    ["a count_of's constant and another struct's", "a_b", "A_B_C_COUNTED"],
    ["a view class and a struct", "x_view", "XView"],
  ];
  const fieldNamesSchema = (other: string, otherFields: string) =>
    [
      "doc: Names that fields add.",
      "imports: [image]",
      "types:",
      "  color:",
      "    doc: An enum.",
      "    enum: u8",
      "    values:",
      "      - { name: red, value: 1, doc: Red. }",
      "  frame:",
      "    doc: A word.",
      "    bits: u32",
      "    fields:",
      "      - { name: color, bits: [31, 24], type: color, doc: Its colour. }",
      "      - { name: number, bits: [23, 0], doc: A number. }",
      "  x:",
      "    doc: A struct with a switch.",
      "    fields:",
      "      - { name: kind, type: u8, doc: The selector. }",
      "      - { name: b, switch: kind, cases: { 1: color_word }, doc: The body. }",
      "  color_word:",
      "    doc: A fixed struct.",
      "    fields:",
      "      - { name: word, type: frame, doc: A word. }",
      "  a:",
      "    doc: A struct with a count_of.",
      "    fields:",
      "      - { name: n, type: u8, doc: A count. }",
      "      - { name: words, type: frame, count: n, doc: Words. }",
      "      - { name: b_c, bytes: 4, count: { count_of: words, where: { field: color, in: [red] } }, doc: Runs. }",
      `  ${other}:`,
      "    doc: The other declaration.",
      "    fields:",
      otherFields,
      "",
    ].join("\n");
  const OTHER_FIELDS: Record<string, string> = {
    x_b: "      - { name: v, type: u8, doc: A value. }",
    // struct a_b, field c: A_B_C_COUNTED as well.
    a_b: [
      "      - { name: n, type: u8, doc: A count. }",
      "      - { name: words, type: frame, count: n, doc: Words. }",
      "      - { name: c, bytes: 4, count: { count_of: words, where: { field: color, in: [red] } }, doc: Runs. }",
    ].join("\n"),
    x_view: "      - { name: v, type: u8, doc: A value. }",
  };
  const compileText = (text: string) => compileAdversarial(text).diagnostics.map(formatDiagnostic);

  it.each(FIELD_NAME_CLASHES)("%s that meet are a diagnostic at the declaration", (_, other, generated) => {
    const problems = compileText(fieldNamesSchema(other, OTHER_FIELDS[other]!));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(new RegExp(`^adversarial\\.yaml:[1-9]\\d*:[1-9]\\d*: .*would be generated as ${generated}\\b`));
    // The same declaration under a name that meets nothing compiles.
    expect(compileText(fieldNamesSchema("unrelated", OTHER_FIELDS[other]!))).toEqual([]);
  });

  it("every runtime name the emitters import is one no declaration may be generated as", () => {
    const imported = new Set<string>();
    for (const entry of readdirSync(join(root, "generator"), { recursive: true, encoding: "utf8" })) {
      if (!entry.endsWith(".ts") || entry.startsWith("dist") || entry.includes("node_modules")) continue;
      for (const match of readFileSync(join(root, "generator", entry), "utf8").matchAll(/\bruntime\("(\w+)"/g)) imported.add(match[1]!);
    }
    expect(imported.size).toBeGreaterThan(0);
    expect([...imported].filter((n) => !RUNTIME_IMPORTS.has(n))).toEqual([]);
  });
});
