import { describe, expect, it } from "vitest";
import { camel } from "../../generator/emit/names.js";
import { compileSchemas } from "../../generator/pipeline.js";
import { encodeCpuidLeaf, sectionCodecByName } from "../../generated/index.js";
import { schema, schemaJson } from "../../generated/schema.js";
import { ByteReader, ByteWriter, DecodeError, EncodeError } from "../../runtime/index.js";
import { decodeStruct, encodeStruct, propertyName, Schema, SCHEMA_JSON_VERSION, walkSectionBody, walkStruct, type SchemaJson } from "../../runtime/reflect/index.js";
import { syntheticPvGuest } from "../../synthetic/guest.js";

// The schema model generated code embeds, as the runtime resolves it: complete (every declaration,
// field, layout fact and doc of the compiled model), and the reflection over it: walks with offsets
// and sizes, typed errors that name the field.

const { model } = compileSchemas("schema");
if (model === undefined) throw new Error("schema/ does not compile");

describe("the embedded schema model", () => {
  it("holds every struct with every field's offset, size, byte order, count and doc, as the compiler computed them", () => {
    let fields = 0;
    for (const module of model.modules) {
      for (const decl of module.decls) {
        const t = schema.types.get(decl.name)!;
        expect(t?.kind, decl.name).toBe(decl.kind);
        expect(t!.doc).toBe(decl.doc);
        expect(t!.module).toBe(module.name);
        if (decl.kind !== "struct" || t!.kind !== "struct") continue;
        expect(t.size).toBe(decl.size);
        expect(t.fields.map((f) => [f.name, f.offset, f.size, f.endian, f.doc, f.hidden, f.count?.kind])).toEqual(
          decl.fields.map((f) => [f.name, f.offset, f.size, f.endian, f.doc, f.hidden, f.count?.kind]),
        );
        fields += t.fields.length;
      }
    }
    expect(fields).toBeGreaterThan(400);
  });

  it("holds every enum value, flag bit and bit field, with their docs", () => {
    for (const decl of model.modules.flatMap((m) => m.decls)) {
      const t = schema.types.get(decl.name)!;
      if (decl.kind === "enum" && t.kind === "enum") expect(t.values.map((v) => [v.name, v.value, v.doc])).toEqual(decl.values.map((v) => [v.name, v.value, v.doc]));
      if (decl.kind === "flags" && t.kind === "flags") expect(t.bits.map((b) => [b.name, b.bit, b.doc])).toEqual(decl.bits.map((b) => [b.name, b.bit, b.doc]));
      if (decl.kind === "bits" && t.kind === "bits") expect(t.fields.map((b) => [b.name, b.high, b.low, b.enumType?.name, b.doc])).toEqual(decl.fields.map((b) => [b.name, b.high, b.low, b.enumType?.name, b.doc]));
    }
  });

  it("holds every section (id, optional bit, alignment, variants) and every rule", () => {
    expect(schema.sections.map((s) => [s.name, s.id, s.optional, s.align, s.since, s.doc, s.variants.length])).toEqual(
      model.sections.map((s) => [s.name, s.id, s.optional, s.align, s.since, s.doc, s.variants.length]),
    );
    expect(schema.rules.map((r) => [r.name, r.doc, r.sections.map((p) => `${p.section.name}:${p.presence}`)])).toEqual(
      model.rules.map((r) => [r.name, r.doc, r.sections.map((p) => `${p.section.name}:${p.presence}`)]),
    );
    expect(schema.container?.header.name).toBe(model.container.header.name);
  });

  it("names properties as the generated interfaces do", () => {
    for (const f of model.modules.flatMap((m) => m.decls).flatMap((d) => (d.kind === "struct" ? d.fields : []))) expect(propertyName(f.name)).toBe(camel(f.name));
  });

  it("is deterministic, and refuses a model of another version or with a dangling reference", () => {
    expect(JSON.stringify(schemaJson)).toBe(JSON.stringify(Schema.fromJson(schemaJson).json));
    expect(() => Schema.fromJson({ ...schemaJson, version: SCHEMA_JSON_VERSION + 1 } as unknown as SchemaJson)).toThrow(EncodeError);
    const dangling = { ...schemaJson, types: schemaJson.types.map((t) => (t.name === "cpuid_leaf" && t.kind === "struct" ? { ...t, fields: [{ name: "x", type: "no_such_type" }] } : t)) };
    expect(() => Schema.fromJson(dangling as SchemaJson)).toThrow(/unknown type no_such_type/);
  });
});

describe("reflection over the model", () => {
  it("walks a struct field by field, with each field's offset and size", () => {
    const w = new ByteWriter();
    encodeCpuidLeaf(w, { leaf: 7, subleaf: 0, eax: 1, ebx: 2, ecx: 3, edx: 4 });
    const { value, nodes } = walkStruct(schema.struct("cpuid_leaf"), new ByteReader(w.finish(), { base: 0x100 }));
    expect(value).toEqual({ leaf: 7, subleaf: 0, eax: 1, ebx: 2, ecx: 3, edx: 4 });
    expect(nodes.map((n) => [n.name, n.offset, n.size, n.value])).toEqual([
      ["leaf", 0x100, 4, 7],
      ["subleaf", 0x104, 4, 0],
      ["eax", 0x108, 4, 1],
      ["ebx", 0x10c, 4, 2],
      ["ecx", 0x110, 4, 3],
      ["edx", 0x114, 4, 4],
    ]);
  });

  it("walks a section body with nested structs and arrays, the nodes tiling the body", () => {
    const image = syntheticPvGuest({ seed: 1, vcpus: 1, memoryBytes: 8192, batchPages: 2 });
    const section = image.sections.find((s) => s.type === "page_data")!;
    const w = new ByteWriter();
    const entry = sectionCodecByName.get("page_data")!.encode(w, section.body as never, image.header as never);
    const bytes = w.finish();
    const { value, nodes } = walkSectionBody(schema.section("page_data")!, new ByteReader(bytes), { header: image.header, ...entry });
    expect(value).toEqual(section.body);
    let at = 0;
    for (const n of nodes) {
      expect(n.offset, n.name).toBe(at);
      at += n.size;
    }
    expect(at).toBe(bytes.length);
    const pfns = nodes.find((n) => n.name === "pfns")!;
    expect(pfns.children!.length).toBe((section.body as { pfns: unknown[] }).pfns.length);
  });

  it("fails with typed errors that name the field and the offset", () => {
    const truncated = new ByteReader(new Uint8Array(10), { base: 0x40 });
    const e1 = (() => {
      try {
        decodeStruct(schema.struct("cpuid_leaf"), truncated);
      } catch (e) {
        return e;
      }
    })();
    expect(e1).toBeInstanceOf(DecodeError);
    expect((e1 as DecodeError).code).toBe("truncated");
    expect((e1 as DecodeError).offset).toBe(0x40);
    const e2 = (() => {
      try {
        encodeStruct(schema.struct("cpuid_leaf"), new ByteWriter(), { leaf: 1, subleaf: 2, eax: -1, ebx: 0, ecx: 0, edx: 0 });
      } catch (e) {
        return e;
      }
    })();
    expect(e2).toBeInstanceOf(EncodeError);
    expect((e2 as EncodeError).code).toBe("invalid-value");
    expect((e2 as EncodeError).path).toBe("eax");
  });
});
