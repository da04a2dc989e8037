import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { emitDocs } from "../../generator/emit/docs/emit-docs.js";
import type { Field, ModuleDecl } from "../../generator/model/model.js";
import { compileSchemas } from "../../generator/pipeline.js";
import { buildDocs, compileLibraries, type BuiltDocs } from "./build.js";

/** A field whose doc appears once in its schema file and has nothing Markdown or HTML would escape, so the edit is unambiguous. */
function plainField(fields: readonly Field[], yaml: string): Field | undefined {
  return fields.find((f) => f.doc !== undefined && f.doc.length > 20 && yaml.split(f.doc).length === 2 && !/[<>&"'`*_[\]|\\]/.test(f.doc));
}

/**
 * Copies schema/ to a temporary folder, replaces `oldDoc` by a new text in one file (a path relative to
 * the schema folder), emits the docs from the copy and returns the names of the files that changed,
 * after checking that every file is the same as before with only that text replaced.
 */
function editAndEmit(before: BuiltDocs, file: string, oldDoc: string): string[] {
  const newDoc = "A rewritten description that only this test uses.";
  const dir = mkdtempSync(join(tmpdir(), "xenimage-doc-edit-"));
  try {
    cpSync("schema", dir, { recursive: true });
    writeFileSync(join(dir, file), readFileSync(join("schema", file), "utf8").replace(oldDoc, newDoc));
    const { model, diagnostics } = compileSchemas(dir);
    expect(diagnostics).toEqual([]);
    const after = emitDocs(model!, { samples: before.samples, libraries: compileLibraries(dir) });

    expect([...after.keys()]).toEqual([...before.files.keys()]);
    const changed = [...after.keys()].filter((name) => after.get(name) !== before.files.get(name));
    expect(changed.length).toBeGreaterThan(0);
    for (const name of after.keys()) expect(after.get(name), name).toBe(before.files.get(name)!.split(oldDoc).join(newDoc));
    expect(readdirSync(dir).sort()).toEqual(readdirSync("schema").sort());
    return changed;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("editing a field's doc text in YAML", () => {
  it("changes that text in the docs and nothing else", async () => {
    const before = await buildDocs();
    const file = `${before.model.container.module}.yaml`;
    const field = plainField(before.model.container.header.fields, readFileSync(join("schema", file), "utf8"));
    expect(field, "a header field with a plain, unique doc").toBeDefined();
    editAndEmit(before, file, field!.doc!);
  });

  it("in a library (schema/NAME/), changes that text on the library's pages only", async () => {
    const before = await buildDocs();
    // The first field with a plain, unique doc in some library's schema file.
    let found: { name: string; module: ModuleDecl; field: Field } | undefined;
    for (const { name, library } of before.libraries) {
      for (const module of library.modules) {
        const yaml = readFileSync(join("schema", name, `${module.name}.yaml`), "utf8");
        const field = plainField(module.decls.flatMap((d) => (d.kind === "struct" ? d.fields : [])), yaml);
        if (found === undefined && field !== undefined) found = { name, module, field };
      }
    }
    expect(found, "a library field with a plain, unique doc").toBeDefined();
    const changed = editAndEmit(before, join(found!.name, `${found!.module.name}.yaml`), found!.field.doc!);
    for (const name of changed) expect(name.startsWith(`formats/${found!.name}/`) || name.startsWith(`site/formats/${found!.name}/`), name).toBe(true);
  });
});
