/**
 * The format as released: today's schemas against those of v0.1.0 (schema-releases/v0.1.0, a copy of
 * the tagged commit's schema/*.yaml, as CI's clean clones may not carry tags). This is the check CI
 * runs on every change: a wire-breaking change that does not raise format_version fails it.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { checkBreaking, unversionedBreaks, type BreakingReport } from "../../generator/breaking/check-breaking.js";
import { formatFinding } from "../../generator/breaking/findings.js";

const RELEASE = "schema-releases/v0.1.0";
/** The commit tagged v0.1.0: the landing that resolved issue #3 (the complete image format). */
const RELEASE_COMMIT = "bfaa41f197f04970f62be0d1bc76a653b0f57297";
const BIN = join(process.cwd(), "dist/cli/main.js");

let report: BreakingReport;
beforeAll(() => {
  const result = checkBreaking({ against: RELEASE });
  if (!result.ok) throw new Error(`the ${result.side} schemas do not compile: ${JSON.stringify(result.diagnostics)}`);
  report = result.report;
});

/** Where a field is declared in today's schema/image.yaml, as the compiler reports it. */
function fieldPosition(name: string): string {
  const lines = readFileSync("schema/image.yaml", "utf8").split("\n");
  const line = lines.findIndex((l) => l.includes(`name: ${name}`));
  return `schema/image.yaml:${line + 1}:${lines[line]!.indexOf(`name: ${name}`) + 1}`;
}

describe(`today's schemas against ${RELEASE}`, () => {
  it("every wire-breaking change comes with a new format_version (CI fails here otherwise)", () => {
    expect(unversionedBreaks(report).map(formatFinding)).toEqual([]);
  });

  it("reports what changed since: format version 2 and its entry_crc, the device-model sections, the tightened header", () => {
    expect([report.oldVersion, report.newVersion]).toEqual([1, 2]);
    const lines = report.findings.map(formatFinding);
    expect(lines).toContain(`${fieldPosition("entry_crc")}: wire-breaking (versioned: format_version went up): section_entry.reserved (reserved) is now section_entry.entry_crc, a value [reserved-field-used] (old: ${RELEASE}/image.yaml:85:9)`);
    expect(lines).toContain(`schema/image.yaml:15:3: compatible: format_version went from 1 to 2 [format-version-raised] (old: ${RELEASE}/image.yaml:10:3)`);
    const rules = (rule: string) => report.findings.filter((f) => f.rule === rule).map((f) => f.message);
    expect(rules("mandatory-section-added")).toEqual(["mandatory section device_model_state (0x52) was added", "mandatory section device_model_xenstore (0x53) was added"]);
    expect(rules("enum-closed")).toEqual(["enum byte_order is now closed", "enum image_type is now closed", "enum guest_type is now closed", "enum arch is now closed"]);
    expect(rules("valid-tightened")).toEqual(["image_header.page_shift: valid: was any value, is now values [12]", "image_header.vcpu_count: valid: was any value, is now min 1", "image_header.memory_size: valid: was any value, is now multiple of 4096"]);
    expect(rules("section-body-reshaped")).toEqual(["section unwritten_pages: body was an array of pfn_entry (8 bytes each), is now the fields of unwritten_pages, the same bytes"]);
  });

  it(`the snapshot is the tagged commit's schema/*.yaml, byte for byte`, () => {
    const listed = execFileSync("git", ["ls-tree", "--name-only", RELEASE_COMMIT, "schema/"], { encoding: "utf8" })
      .split("\n")
      .filter((p) => p.endsWith(".yaml"))
      .map((p) => p.slice("schema/".length));
    const copied = readdirSync(RELEASE).filter((f) => f.endsWith(".yaml")).sort();
    expect(copied).toEqual(listed.sort());
    for (const f of copied) expect(readFileSync(join(RELEASE, f), "utf8"), f).toBe(execFileSync("git", ["show", `${RELEASE_COMMIT}:schema/${f}`], { encoding: "utf8" }));
    expect(readFileSync(join(RELEASE, "README.md"), "utf8")).toContain(RELEASE_COMMIT);
  });
});

describe("the format_version rule, on a wire break (a u32 field become u64)", () => {
  const breaking = (dir: string) => spawnSync(process.execPath, [BIN, "breaking", "--against", "old", "--schemas", "new"], { cwd: join("test/breaking/gate", dir), encoding: "utf8" });

  beforeAll(() => expect(existsSync(BIN), "build first: npm run build").toBe(true));

  it("without a new format_version: exit 1, the change and what to do named", () => {
    const r = breaking("unversioned");
    expect(r.status).toBe(1);
    expect(r.stdout).toContain("new/f.yaml:7:9: wire-breaking: rec.x: type was u32, is now u64 [field-type-changed] (old: old/f.yaml:7:9)");
    expect(r.stderr.trim()).toBe("xenimage: breaking: 2 wire-breaking changes without a new format_version: raise container.version, or undo them");
  });

  it("with format_version raised: exit 5, the same changes marked versioned", () => {
    const r = breaking("versioned");
    expect(r.status).toBe(5);
    expect(r.stdout).toContain("new/f.yaml:7:9: wire-breaking (versioned: format_version went up): rec.x: type was u32, is now u64 [field-type-changed] (old: old/f.yaml:7:9)");
    expect(r.stdout.trim().split("\n").at(-1)).toBe("2 wire-breaking (0 not versioned), 0 source-breaking, 1 compatible (--all lists them); format_version 1 → 2");
    expect(r.stderr).toBe("");
  });
});
