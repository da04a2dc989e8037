/**
 * Invalid-schema fixtures, each carrying the diagnostics it must produce (the idea of kaitai_struct's
 * `formats_err/*.ksy`). Every `fixtures/invalid/NAME.yaml` is compiled together with the real
 * `schema/image.yaml` (most mistakes only show once a container exists), as module `NAME`.
 *
 * A fixture starts with comment lines:
 *
 *   # expect: LINE:COL: /yaml/path: text
 *   # bug: what the generator prints instead (optional)
 *
 * Each `expect` line must be matched by its own diagnostic whose formatted form
 * (`FILE:LINE:COL: /yaml/path: message`) starts with `FIXTURE:LINE:COL: /yaml/path: ` and whose
 * message contains `text`; there must be exactly as many diagnostics as `expect` lines, so noise fails
 * too. A fixture with a `bug` line states what the generator *should* print and is run with `it.fails`:
 * it passes while the generator is wrong and fails once the generator is fixed, which is the signal to
 * delete the `bug` line (and, when the line says so, adjust the suggested expectation). To see what a
 * known-bug fixture prints now, run with `XENIMAGE_KNOWN_BUGS=show`: they then run as ordinary tests.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { formatDiagnostic, sortDiagnostics, type Diagnostic } from "../../generator/diagnostics.js";
import { parseSchemaFile } from "../../generator/parse/load-schemas.js";
import { compileFiles } from "../../generator/pipeline.js";

const root = fileURLToPath(new URL("../../", import.meta.url));
const fixtureDir = fileURLToPath(new URL("./fixtures/invalid/", import.meta.url));
const IMAGE = "schema/image.yaml";
const MODULE_NAME = /^[a-z][a-z0-9_]*$/;
const EXPECT = /^#\s*expect:\s*(\d+):(\d+):\s*(\S+):\s?(.*)$/;
const BUG = /^#\s*bug:\s*(.*)$/;

interface Expectation {
  readonly line: number;
  readonly col: number;
  readonly path: string;
  readonly text: string;
  /** The expect line as written, for failure messages. */
  readonly source: string;
}

interface Fixture {
  /** The module name: the file name without `.yaml`. */
  readonly name: string;
  /** The path shown in diagnostics, relative to the project root. */
  readonly file: string;
  readonly text: string;
  readonly expectations: readonly Expectation[];
  readonly bugs: readonly string[];
  /** Comment lines in the header that are neither `expect` nor `bug` (a typo there would hide an expectation). */
  readonly stray: readonly string[];
}

function readFixture(fileName: string): Fixture {
  const text = readFileSync(join(fixtureDir, fileName), "utf8");
  const expectations: Expectation[] = [];
  const bugs: string[] = [];
  const stray: string[] = [];
  for (const line of text.split("\n")) {
    if (!line.startsWith("#")) break;
    const e = EXPECT.exec(line);
    const b = BUG.exec(line);
    if (e !== null) {
      expectations.push({ line: Number(e[1]), col: Number(e[2]), path: e[3]!, text: e[4]!.trim(), source: line });
    } else if (b !== null) bugs.push(b[1]!);
    else stray.push(line);
  }
  const file = relative(root, join(fixtureDir, fileName)).split("\\").join("/");
  return { name: fileName.replace(/\.yaml$/, ""), file, text, expectations, bugs, stray };
}

const fixtures = readdirSync(fixtureDir)
  .filter((f) => f.endsWith(".yaml"))
  .sort()
  .map(readFixture);

/** Compiles the fixture with the real container, as the generator would compile a schema folder. */
function compileFixture(fixture: Fixture): { diagnostics: Diagnostic[]; modelBuilt: boolean } {
  const diagnostics: Diagnostic[] = [];
  const image = parseSchemaFile(readFileSync(join(root, IMAGE), "utf8"), IMAGE, "image", diagnostics);
  const file = parseSchemaFile(fixture.text, fixture.file, fixture.name, diagnostics);
  const result = compileFiles([image, file], diagnostics);
  return { diagnostics: sortDiagnostics(result.diagnostics), modelBuilt: result.model !== undefined };
}

function matches(formatted: string, fixture: Fixture, e: Expectation): boolean {
  const prefix = `${fixture.file}:${e.line}:${e.col}: ${e.path}: `;
  return formatted.startsWith(prefix) && formatted.slice(prefix.length).includes(e.text);
}

/** Pairs expectations with diagnostics one to one; returns what is left on either side. */
function compare(fixture: Fixture, diagnostics: readonly Diagnostic[]): { missing: string[]; unexpected: string[] } {
  const unexpected = diagnostics.map(formatDiagnostic);
  const missing: string[] = [];
  for (const e of fixture.expectations) {
    const i = unexpected.findIndex((d) => matches(d, fixture, e));
    if (i < 0) missing.push(e.source);
    else unexpected.splice(i, 1);
  }
  return { missing, unexpected };
}

describe("schema/image.yaml, the base every fixture compiles with", () => {
  it("compiles on its own without diagnostics", () => {
    const diagnostics: Diagnostic[] = [];
    const image = parseSchemaFile(readFileSync(join(root, IMAGE), "utf8"), IMAGE, "image", diagnostics);
    const result = compileFiles([image], diagnostics);
    expect(result.diagnostics.map(formatDiagnostic)).toEqual([]);
    expect(result.model).toBeDefined();
  });
});

describe("invalid schema fixtures (test/generator/fixtures/invalid)", () => {
  it("exist", () => {
    expect(fixtures.length).toBeGreaterThan(0);
  });

  describe.each(fixtures.map((f) => [f.name, f] as const))("%s", (_name, fixture) => {
    it("is well-formed: an import-able name and at least one expect line", () => {
      expect(fixture.name).toMatch(MODULE_NAME);
      expect(fixture.stray, "header comment lines that are neither `# expect:` nor `# bug:`").toEqual([]);
      expect(fixture.expectations.length).toBeGreaterThan(0);
    });

    const check = () => {
      const { diagnostics, modelBuilt } = compileFixture(fixture);
      const actual = diagnostics.map(formatDiagnostic);
      const mismatch = compare(fixture, diagnostics);
      expect(mismatch, `the generator printed:\n${actual.join("\n") || "(nothing)"}\n`).toEqual({ missing: [], unexpected: [] });
      expect(modelBuilt, "a schema with problems must not produce a model").toBe(false);
    };

    if (fixture.bugs.length === 0 || process.env.XENIMAGE_KNOWN_BUGS === "show") it("produces exactly the expected diagnostics", check);
    // A known generator bug: the expectation says what it should print. Remove the `# bug:` line once fixed.
    else it.fails(`produces exactly the expected diagnostics (known bug: ${fixture.bugs.join(" ")})`, check);
  });
});
