import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync, cpSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { formatDiagnostic } from "../../generator/diagnostics.js";
import { compileLibrary, generate } from "../../generator/pipeline.js";

// A schema subfolder is a library of another format's types (Xen's streams, ELF): same language,
// same generator, codecs under generated/NAME/, and no image container.

describe("schema subfolders are libraries of types", () => {
  const dir = mkdtempSync(join(tmpdir(), "xenimage-lib-"));

  it("compile to their own codecs, beside the image's", async () => {
    try {
      cpSync("schema", join(dir, "schema"), { recursive: true });
      mkdirSync(join(dir, "schema", "demo_stream"));
      writeFileSync(
        join(dir, "schema", "demo_stream", "records.yaml"),
        `doc: A record stream of another format.
endian: big
types:
  record_type:
    doc: What a record holds.
    enum: u32
    values:
      - { name: end, value: 0 }
      - { name: note, value: 1 }
  note:
    doc: A note.
    fields:
      - { name: text, string: rest }
  stream_record:
    doc: A record, padded to 8 bytes.
    fields:
      - { name: type, type: record_type }
      - { name: length, type: u32 }
      - { name: body, switch: type, size: length, cases: { end: empty, note: note } }
      - { align: 8 }
`,
      );
      const result = await generate({ schemaDir: join(dir, "schema"), outDir: join(dir, "generated"), version: "test", only: "codecs" });
      expect(result.diagnostics.map(formatDiagnostic)).toEqual([]);
      expect(existsSync(join(dir, "generated", "demo_stream", "records.ts"))).toBe(true);
      const index = readFileSync(join(dir, "generated", "demo_stream", "index.ts"), "utf8");
      expect(index).toMatch(/export \* from "\.\/records\.js";/);
      const records = readFileSync(join(dir, "generated", "demo_stream", "records.ts"), "utf8");
      expect(records).toMatch(/from "\.\.\/\.\.\/runtime\/index\.js"/);
      expect(records).toMatch(/export function decodeStreamRecord\(r: ByteReader\): StreamRecord \{/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("may not declare a container, sections or rules", () => {
    const lib = mkdtempSync(join(tmpdir(), "xenimage-lib-"));
    try {
      writeFileSync(join(lib, "bad.yaml"), "doc: Not a library.\nsections:\n  x:\n    id: 1\n    doc: A section.\n    empty: true\n");
      const { library, diagnostics } = compileLibrary(lib);
      expect(library).toBeUndefined();
      expect(diagnostics.map(formatDiagnostic)).toEqual([
        `${relative(process.cwd(), join(lib, "bad.yaml"))}:2:1: /sections: a library of types (a schema subfolder) declares no sections; only schema/*.yaml describe the image`,
      ]);
    } finally {
      rmSync(lib, { recursive: true, force: true });
    }
  });
});
