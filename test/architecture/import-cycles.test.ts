/**
 * No module of the compiler, the runtime or the interop converters imports itself through others: a
 * cycle makes load order matter and a module impossible to understand alone. madge builds the graph
 * (type-only imports count: they tangle the code as much).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import madge from "madge";
import { describe, expect, it } from "vitest";

const root = resolve(import.meta.dirname, "../..");

async function graphOf(paths: readonly string[], baseDir: string) {
  return madge(paths, {
    baseDir,
    fileExtensions: ["ts"],
    tsConfig: join(root, "tsconfig.json"),
    excludeRegExp: [/(^|\/)dist\//, /\.d\.ts$/],
  });
}

describe("import cycles", () => {
  it("there are none in generator/, runtime/ or interop/", async () => {
    const graph = await graphOf(["generator", "runtime", "interop"].map((d) => join(root, d)), root);
    // The graph is the real one: every relative `.js` import resolved to its `.ts` file.
    expect(graph.warnings().skipped).toEqual([]);
    expect(graph.obj()["runtime/container.ts"]).toContain("runtime/format.ts");
    expect(graph.obj()["generator/model/context.ts"]).toContain("generator/model/structs.ts");
    expect(graph.circular()).toEqual([]);
  });

  it("the check finds a cycle when there is one", async () => {
    const dir = mkdtempSync(join(tmpdir(), "xenimage-cycle-"));
    try {
      writeFileSync(join(dir, "a.ts"), 'import type { B } from "./b.js";\nexport interface A { b?: B }\n');
      writeFileSync(join(dir, "b.ts"), 'import type { A } from "./a.js";\nexport interface B { a?: A }\n');
      const graph = await graphOf([dir], dir);
      expect(graph.circular()).toEqual([["a.ts", "b.ts"]]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
