/**
 * One fixture pair per rule of `xenimage breaking`: `fixtures/RULE/old/` and `fixtures/RULE/new/` are
 * small schema sets that differ by one change, and `fixtures/RULE/expected.txt` lists every finding the
 * comparison must report, as the command prints them (`NEW_POSITION: CLASS: message [rule] (old:
 * OLD_POSITION)`), in order. Exactly those: a missing finding, an extra one (noise) or a moved
 * position fails. The fixtures are compared from their own folder, so positions read `old/f.yaml:7:9`.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { checkBreaking } from "../../generator/breaking/check-breaking.js";
import { formatFinding } from "../../generator/breaking/findings.js";
import { BREAKING_RULES, type BreakingRuleId } from "../../generator/breaking/rules.js";

const ROOT = "test/breaking/fixtures";
const fixtures = readdirSync(ROOT).sort();

function compare(fixture: string) {
  const result = checkBreaking({ against: "old", schemas: "new", cwd: join(ROOT, fixture) });
  if (!result.ok) throw new Error(`${fixture}: the ${result.side} schemas do not compile: ${JSON.stringify(result.diagnostics)}`);
  return result.report;
}

describe("breaking-change fixtures", () => {
  it("there is one fixture per rule, and no fixture without a rule", () => {
    expect(fixtures).toEqual(Object.keys(BREAKING_RULES).sort());
  });

  it.each(fixtures)("%s: exactly the expected findings, at their positions in both versions", (fixture) => {
    const report = compare(fixture);
    const expected = readFileSync(join(ROOT, fixture, "expected.txt"), "utf8").trim().split("\n");
    expect(report.findings.map(formatFinding)).toEqual(expected);
    // The finding the fixture is named after is among them, with the class the rule table gives it.
    const own = report.findings.filter((f) => f.rule === fixture);
    expect(own.length).toBeGreaterThan(0);
    for (const f of own) expect(f.class).toBe(BREAKING_RULES[fixture as BreakingRuleId].class);
    for (const f of report.findings) {
      expect(f.old.file.startsWith("old/"), `${f.rule}: old position ${f.old.file}`).toBe(true);
      expect(f.new.file.startsWith("new/"), `${f.rule}: new position ${f.new.file}`).toBe(true);
    }
  });

  it("a set compared with itself has no findings", () => {
    for (const fixture of fixtures) {
      const result = checkBreaking({ against: "new", schemas: "new", cwd: join(ROOT, fixture) });
      expect(result.ok && result.report.findings, fixture).toEqual([]);
    }
  });
});

describe("the rule table in the docs", () => {
  it("docs/versioning.md lists every rule with its class, as the checker classifies", () => {
    const page = readFileSync("docs/versioning.md", "utf8");
    for (const [rule, { class: cls }] of Object.entries(BREAKING_RULES)) expect(page, rule).toContain(`| \`${rule}\` | ${cls} |`);
  });
});
