import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, cpSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { emitCodecs } from "../../generator/emit/codecs.js";
import { compileSchemas, generate } from "../../generator/pipeline.js";
import { siteTools } from "../../site/inspector/tool.js";

const GOLDEN = "test/generator/fixtures/golden";
/** Set UPDATE_GOLDEN=1 to rewrite the expected files after an intended change to the emitters. */
const update = process.env.UPDATE_GOLDEN === "1";

describe("golden files: the emitted code for one schema of every construct", () => {
  it("matches test/generator/fixtures/golden/expected", async () => {
    const { model, diagnostics } = compileSchemas(`${GOLDEN}/schema`);
    expect(diagnostics).toEqual([]);
    const out = await emitCodecs(model!, { version: "golden", runtimeModule: "../../../../../runtime/index.js" });
    if (update) for (const [name, text] of out) writeFileSync(`${GOLDEN}/expected/${name}`, text);
    const expected = readdirSync(`${GOLDEN}/expected`).sort();
    expect([...out.keys()].sort()).toEqual(expected);
    for (const name of expected) expect(out.get(name), name).toBe(readFileSync(`${GOLDEN}/expected/${name}`, "utf8"));
  });

  it("is deterministic: two runs give identical output", async () => {
    const a = await emitCodecs(compileSchemas(`${GOLDEN}/schema`).model!, { version: "x" });
    const b = await emitCodecs(compileSchemas(`${GOLDEN}/schema`).model!, { version: "x" });
    expect([...a.entries()]).toEqual([...b.entries()]);
  });
});

describe("generated/ is up to date with schema/", () => {
  it("regenerating would change nothing (run `npm run generate` if this fails)", async () => {
    const version = (JSON.parse(readFileSync("package.json", "utf8")) as { version: string }).version;
    // With this repository's site tools, as npm run generate runs it: the docs' inspector is checked too.
    const result = await generate({ schemaDir: "schema", outDir: "generated", version, check: true, siteTools });
    expect(result.diagnostics).toEqual([]);
    expect(result.changed).toEqual([]);
  });

  it("the check notices a stale or extra file", async () => {
    const dir = mkdtempSync(join(tmpdir(), "xenimage-gen-"));
    try {
      cpSync("generated", dir, { recursive: true });
      writeFileSync(join(dir, "guest.ts"), "// edited by hand\n");
      writeFileSync(join(dir, "leftover.ts"), "export {};\n");
      const result = await generate({ schemaDir: "schema", outDir: dir, version: "0.1.0", check: true, siteTools });
      expect(result.changed).toEqual([join(dir, "guest.ts"), join(dir, "leftover.ts")]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
