import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { emitDocs } from "../../generator/emit/docs/emit-docs.js";
import { compileSchemas } from "../../generator/pipeline.js";
import { buildDocs } from "./build.js";

describe("editing a field's doc text in YAML", () => {
  it("changes that text in the docs and nothing else", async () => {
    const before = await buildDocs();
    // A header field whose doc appears once in its schema file, so the edit is unambiguous.
    const file = join("schema", `${before.model.container.module}.yaml`);
    const yaml = readFileSync(file, "utf8");
    const field = before.model.container.header.fields.find((f) => f.doc !== undefined && f.doc.length > 20 && yaml.split(f.doc).length === 2 && !/[<>&"'`*_[\]|\\]/.test(f.doc));
    expect(field, "a header field with a plain, unique doc").toBeDefined();
    const oldDoc = field!.doc!;
    const newDoc = "A rewritten description that only this test uses.";

    const dir = mkdtempSync(join(tmpdir(), "xenimage-doc-edit-"));
    try {
      cpSync("schema", dir, { recursive: true });
      writeFileSync(join(dir, `${before.model.container.module}.yaml`), yaml.replace(oldDoc, newDoc));
      const { model, diagnostics } = compileSchemas(dir);
      expect(diagnostics).toEqual([]);
      const after = emitDocs(model!, { sample: before.sample });

      expect([...after.keys()]).toEqual([...before.files.keys()]);
      const changed = [...after.keys()].filter((name) => after.get(name) !== before.files.get(name));
      expect(changed.length).toBeGreaterThan(0);
      for (const name of after.keys()) expect(after.get(name), name).toBe(before.files.get(name)!.split(oldDoc).join(newDoc));
      expect(readdirSync(dir).sort()).toEqual(readdirSync("schema").sort());
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
