/**
 * The model is built by named passes, each reporting its own problems, and is immutable once built:
 * no field is changed after it is made (a count field is computed from the start), and the whole
 * graph is frozen, so a later write throws instead of changing what the emitters see.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import type { Diagnostic } from "../../generator/diagnostics.js";
import { buildPasses } from "../../generator/model/build-model.js";
import type { Field, StructDecl } from "../../generator/model/model.js";
import { parseSchemaFile } from "../../generator/parse/load-schemas.js";
import { compileSchemas } from "../../generator/pipeline.js";

const root = resolve(import.meta.dirname, "../..");
const imageSchema = readFileSync(resolve(root, "schema/image.yaml"), "utf8");

function passesOf(extra: string) {
  const diagnostics: Diagnostic[] = [];
  const image = parseSchemaFile(imageSchema, "schema/image.yaml", "image", diagnostics);
  const file = parseSchemaFile(extra, "extra.yaml", "extra", diagnostics);
  expect(diagnostics).toEqual([]);
  return buildPasses([image, file]);
}

const schema = (fields: string) => ["doc: Extra.", "imports: [image]", "types:", "  thing:", "    doc: A struct.", "    fields:", fields, ""].join("\n");

describe("model passes", () => {
  it("run in order, each a verb, each with its own diagnostics", () => {
    const { passes } = passesOf(schema("      - { name: a, type: u32, doc: A. }"));
    expect(passes.map((p) => p.pass)).toEqual(["check names", "resolve types", "build sections", "build container", "check rules"]);
    expect(passes.flatMap((p) => p.diagnostics)).toEqual([]);
  });

  it("report a problem in the pass that finds it", () => {
    const unknown = passesOf(schema("      - { name: a, type: u33, doc: A. }")).passes;
    expect(unknown.filter((p) => p.diagnostics.length > 0).map((p) => [p.pass, p.diagnostics.map((d) => d.message)])).toEqual([
      ["resolve types", [expect.stringMatching(/^unknown type "u33"/)]],
    ]);
    const twice = passesOf(["doc: Extra.", "imports: [image]", "types:", "  arch:", "    doc: Again.", "    fields:", "      - { name: a, type: u8, doc: A. }", ""].join("\n")).passes;
    expect(twice.filter((p) => p.diagnostics.length > 0).map((p) => p.pass)).toEqual(["check names"]);
  });

  it("make a count field computed and hidden from the start, never changing it later", () => {
    const { model } = passesOf(schema("      - { name: n, type: u32, doc: N. }\n      - { name: items, type: u16, count: n, doc: Items. }"));
    const thing = model!.modules.find((m) => m.name === "extra")!.decls[0] as StructDecl;
    const [n, items] = thing.fields as [Field, Field];
    expect([n.computed, n.hidden, items.computed, items.hidden]).toEqual([true, true, false, false]);
    expect(items.count).toEqual({ kind: "field", field: n });
  });
});

describe("the model", () => {
  const { model } = compileSchemas(resolve(root, "schema"));

  it("is frozen through and through: a write throws", () => {
    const header = model!.container.header;
    const field = header.fields[1]!;
    expect([Object.isFrozen(model), Object.isFrozen(header), Object.isFrozen(header.fields), Object.isFrozen(field), Object.isFrozen(field.type)]).toEqual([true, true, true, true, true]);
    expect(() => {
      (field as { computed: boolean }).computed = true;
    }).toThrowError(TypeError);
    expect(() => (model!.sections as unknown as unknown[]).push(undefined)).toThrowError(TypeError);
  });
});
