import { spawnSync } from "node:child_process";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

// The README's TypeScript example must run as written: it imports the package by name (Node resolves
// a package's own name from inside it, through the exports map, to the built dist/).
describe("README", () => {
  const readme = readFileSync("README.md", "utf8");

  // The complete examples are those that print; the others are fragments (a stream API over a socket).
  const examples = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!).filter((code) => code.includes("console.log("));

  it("has its runnable TypeScript examples", () => {
    expect(examples.length).toBeGreaterThanOrEqual(2);
  });

  // Each example prints, line by line, what the comments at the end of its console.log lines say.
  it.each(examples.map((code, i) => [i + 1, code] as const))("TypeScript example %i runs and prints what its comments say", (i, code) => {
    const expected = code
      .split("\n")
      .filter((l) => l.includes("console.log("))
      .map((l) => /\/\/ (.*)$/.exec(l)?.[1]);
    expect(expected.length).toBeGreaterThan(0);
    const file = `readme-example-${i}.tmp.ts`;
    writeFileSync(file, code);
    try {
      const r = spawnSync(process.execPath, ["node_modules/tsx/dist/cli.mjs", file], { encoding: "utf8", timeout: 60_000 });
      expect(r.stderr).toBe("");
      expect(r.status).toBe(0);
      expect(r.stdout.trim().split("\n")).toEqual(expected);
    } finally {
      rmSync(file, { force: true });
    }
  });

  it("its quick start is exactly two commands: the main job and the tests", () => {
    const quick = /## Quick start[\s\S]*?```sh\n([\s\S]*?)```/.exec(readme)?.[1] ?? "";
    const commands = quick.split("\n").filter((l) => l.trim() !== "").map((l) => l.replace(/#.*/, "").trim());
    expect(commands).toEqual(["npm run demo", "npm test"]);
    const pkg = JSON.parse(readFileSync("package.json", "utf8")) as { scripts: Record<string, string> };
    expect(pkg.scripts.demo).toMatch(/^npm ci\b/);
    expect(readFileSync(".ci/run", "utf8")).toMatch(/npm ci[\s\S]*npm test/);
  });
});
