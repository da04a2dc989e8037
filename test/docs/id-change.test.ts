import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { generate } from "../../generator/pipeline.js";

// The scenario of issue #16: change a section's id in a copy of the schemas and regenerate. Every
// generated file (codecs, the embedded model, every page, the hex dump's sample) must follow the
// schema: nothing may still name the old id. The ids are distinctive so that a mention is unambiguous.

const OLD = 0x5a5a;
const NEW = 0x5a5b;
const scratch = mkdtempSync(join(tmpdir(), "xenimage-id-change-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Every way an output could name a section id: hex (short, table-padded, with the optional bit) and decimal. */
function mentions(id: number): RegExp {
  const hex = id.toString(16);
  return new RegExp(`0x${hex}\\b|0x0000${hex}\\b|0x8000${hex}\\b|"id":${id}\\b`, "i");
}

/** Every file under a folder, path → text. */
function files(dir: string, prefix: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const path = join(d, name);
      if (statSync(path).isDirectory()) walk(path);
      else out.set(`${prefix}/${path.slice(dir.length + 1)}`, readFileSync(path, "utf8"));
    }
  };
  walk(dir);
  return out;
}

/** Copies schema/ with cpuid's id set to `id`, generates codecs and docs from it; returns every output file. */
async function generateWithCpuidId(name: string, id: number): Promise<Map<string, string>> {
  const root = join(scratch, name);
  cpSync("schema", join(root, "schema"), { recursive: true });
  const x86 = join(root, "schema", "x86.yaml");
  const text = readFileSync(x86, "utf8");
  const changed = text.replace(/(\n  cpuid:\n    id: )0x10\n/, `$1${`0x${id.toString(16)}`}\n`);
  expect(changed, "the cpuid section's id line in schema/x86.yaml").not.toBe(text);
  writeFileSync(x86, changed);
  // Unformatted (prettier only moves whitespace): the test checks what the files say, fast.
  const format = async (t: string) => t;
  const result = await generate({ schemaDir: join(root, "schema"), outDir: join(root, "generated"), docsDir: join(root, "docs"), version: "0.0.0", format });
  expect(result.diagnostics).toEqual([]);
  return new Map([...files(join(root, "generated"), "generated"), ...files(join(root, "docs"), "docs")]);
}

describe("a changed section id reaches every generated file", () => {
  it("after the change, no page, codec or embedded model names the old id, and the new id is where the old one was", async () => {
    const before = await generateWithCpuidId("before", OLD);
    const after = await generateWithCpuidId("after", NEW);
    const named = (out: Map<string, string>, id: number) => [...out].filter(([, text]) => mentions(id).test(text)).map(([path]) => path).sort();
    // The check can fail: before the change, the old id is in the codecs, the model, the registry, the section's page and the hex dump.
    const withOld = named(before, OLD);
    for (const path of ["generated/x86.ts", "generated/schema.ts", "docs/registry.md", "docs/sections/cpuid.md", "docs/hex-dump.md", "docs/site/hex-dump.html"]) {
      expect(withOld, path).toContain(path);
    }
    expect(named(after, OLD)).toEqual([]);
    expect(named(after, NEW)).toEqual(withOld);
  });
});
