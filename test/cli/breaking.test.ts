import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BreakingCompiler } from "../../cli/commands/breaking.js";
import * as compiler from "../../generator/index.js";

// `xenimage breaking` as a maintainer runs it: the built command, its exit codes, stdout and stderr.
const BIN = resolve("dist/cli/main.js");
const FIXTURES = resolve("test/breaking/fixtures");

function run(args: string[], cwd = process.cwd()) {
  const r = spawnSync(process.execPath, [BIN, "breaking", ...args], { cwd, encoding: "utf8", timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
const inFixture = (fixture: string, ...args: string[]) => run(["--against", "old", "--schemas", "new", ...args], join(FIXTURES, fixture));

let scratch: string;
beforeAll(() => {
  expect(existsSync(BIN), "build first: npm run build").toBe(true);
  scratch = mkdtempSync(join(tmpdir(), "xenimage-breaking-"));
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

it("the command's view of the compiler fits the compiler it loads", () => {
  const fits: BreakingCompiler = compiler;
  expect(typeof fits.checkBreaking).toBe("function");
});

describe("exit codes", () => {
  it("0: compatible changes only; the summary says how many, --all lists them", () => {
    const r = inFixture("doc-changed");
    expect([r.code, r.stderr]).toEqual([0, ""]);
    expect(r.stdout).toBe("0 wire-breaking (0 not versioned), 0 source-breaking, 1 compatible (--all lists them); format_version 1 in both\n");
    const all = inFixture("doc-changed", "--all");
    expect(all.code).toBe(0);
    expect(all.stdout.split("\n")[0]).toBe("new/f.yaml:7:9: compatible: rec.x: doc changed [doc-changed] (old: old/f.yaml:7:9)");
  });

  it("4: source-breaking only", () => {
    const r = inFixture("field-renamed");
    expect(r.code).toBe(4);
    expect(r.stdout.split("\n")[0]).toBe("new/f.yaml:7:9: source-breaking: rec.x is now rec.y [field-renamed] (old: old/f.yaml:7:9)");
  });

  it("1: a wire break without a new format_version, whatever else changed", () => {
    expect(inFixture("field-endian-changed").code).toBe(1);
    expect(inFixture("section-made-mandatory").code).toBe(1);
  });

  it("6: schema problems on either side, as file:line:col diagnostics; nothing compared", () => {
    const dir = join(scratch, "problems");
    cpSync(join(FIXTURES, "field-renamed"), dir, { recursive: true });
    writeFileSync(join(dir, "new/f.yaml"), readFileSync(join(dir, "new/f.yaml"), "utf8").replace("type: u32", "type: u33"));
    const r = run(["--against", "old", "--schemas", "new"], dir);
    expect(r.code).toBe(6);
    expect(r.stdout).toBe("");
    expect(r.stderr.split("\n")[0]).toBe('new/f.yaml:7:26: /types/rec/fields/0/type: unknown type "u33"; did you mean u32?');
    expect(r.stderr.trim().split("\n").at(-1)).toBe("xenimage: breaking: the schemas have 1 problem; nothing was compared");
  });
});

describe("--json", () => {
  it("prints every finding as an array: rule, class, message, both positions; wire breaks say if versioned", () => {
    const r = inFixture("reserved-field-used", "--json");
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toEqual([
      {
        rule: "reserved-field-used",
        class: "wire-breaking",
        message: "rec.reserved (reserved) is now rec.crc, a value",
        old: { file: "old/f.yaml", path: "/types/rec/fields/0", line: 7, col: 9 },
        new: { file: "new/f.yaml", path: "/types/rec/fields/0", line: 7, col: 9 },
        versioned: false,
      },
    ]);
    expect(r.stderr).toBe("");
  });

  it("includes the compatible changes", () => {
    const r = inFixture("optional-section-added", "--json");
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as { rule: string }[]).map((f) => f.rule)).toEqual(["optional-section-added"]);
  });
});

describe("REF", () => {
  it("a git revision: the schema folder as committed there, positions named REV:path", () => {
    const byRevision = run(["--against", "bfaa41f"]);
    const byFolder = run(["--against", "schema-releases/v0.1.0"]);
    expect(byRevision.code).toBe(5);
    expect(byFolder.code).toBe(5);
    expect(byRevision.stdout).toContain("(old: bfaa41f:schema/image.yaml:");
    expect(byRevision.stdout.replaceAll("bfaa41f:schema/", "schema-releases/v0.1.0/")).toBe(byFolder.stdout);
  });

  it("neither a folder nor a revision: a usage error in our words", () => {
    const r = run(["--against", "no-such-release"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`xenimage: breaking: "no-such-release" is neither a folder nor a git revision of this repository\nRun 'xenimage breaking --help' for usage.\n`);
  });

  it("a revision outside a git repository: a usage error saying so", () => {
    const r = run(["--against", "HEAD", "--schemas", resolve("schema")], scratch);
    expect(r.code).toBe(2);
    expect(r.stderr.split("\n")[0]).toBe(`xenimage: breaking: "HEAD" is not a folder, and ${scratch} is not in a git repository, so it is not a revision either`);
  });

  it("a revision without the schema folder: says which folder it looked for", () => {
    // The project's first commit had no schema-releases/.
    const r = run(["--against", "64f3356", "--schemas", "schema-releases/v0.1.0"]);
    expect(r.code).toBe(2);
    expect(r.stderr.split("\n")[0]).toBe("xenimage: breaking: 64f3356 has no *.yaml files in schema-releases/v0.1.0/");
  });
});

describe("options in our words", () => {
  it("--against is required", () => {
    const r = run([]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("xenimage: breaking: --against REF is required (a folder of schemas or a git revision)\nRun 'xenimage breaking --help' for usage.\n");
  });

  it("an unknown option, a missing value, a stray argument", () => {
    expect(run(["--against", "schema", "--frob"]).stderr.split("\n")[0]).toBe("xenimage: breaking: unknown option --frob");
    expect(run(["--against"]).stderr.split("\n")[0]).toBe("xenimage: breaking: option --against needs a value");
    expect(run(["--against", "schema", "extra"]).stderr.split("\n")[0]).toBe('xenimage: breaking: unexpected argument "extra"');
  });

  it("--schemas names a folder that does not exist: a usage error", () => {
    const r = run(["--against", "schema", "--schemas", "nowhere"]);
    expect(r.code).toBe(2);
    expect(r.stderr.split("\n")[0]).toBe("xenimage: breaking: nowhere: no such folder");
  });

  it("--help lists the exit codes", () => {
    const r = spawnSync(process.execPath, [BIN, "breaking", "--help"], { encoding: "utf8" });
    expect(r.status).toBe(0);
    for (const code of ["0  no wire-breaking", "1  a wire-breaking change without a new format_version", "4  source-breaking changes only", "5  wire-breaking changes, all under a raised format_version", "6  the schemas of either version have problems"]) {
      expect(r.stdout).toContain(code);
    }
  });
});
