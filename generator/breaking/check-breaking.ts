/**
 * `xenimage breaking`: compares the schemas of two versions of the format and classifies every change
 * as wire-breaking, source-breaking or compatible (the rules are in rules.ts, each explained in
 * docs/breaking-changes.md). It works on the compiler's model, so every finding has a file:line:col
 * in both versions.
 */
import type { Diagnostic } from "../diagnostics.js";
import type { Model, Source } from "../model/model.js";
import { compareRules } from "./compare-rules.js";
import { compareSections, pairSections } from "./compare-sections.js";
import { compareDecl, compareStruct, type Comparison } from "./compare-types.js";
import { FindingSink, sortFindings, type Finding } from "./findings.js";
import { compileSchemaSet, readSchemaDir, readSchemaRef } from "./schema-set.js";
import { DeclPairs, declsByName } from "./shape.js";

/** Options of {@link checkBreaking}. */
export interface BreakingOptions {
  /** The version to compare with: a folder of schemas, or a git revision (its `schemas` folder is read). */
  readonly against: string;
  /** Today's schema folder (default `schema`). */
  readonly schemas?: string;
  /** Where relative paths and git start from (default the process's working directory). */
  readonly cwd?: string;
}

/** What the comparison found, with both versions' format_version. */
export interface BreakingReport {
  readonly oldVersion: number;
  readonly newVersion: number;
  /** Every change, in new-file order; wire-breaking ones say whether format_version went up. */
  readonly findings: readonly Finding[];
}

/** The result of {@link checkBreaking}: the report, or the schema problems of the side that does not compile. */
export type BreakingResult =
  | { readonly ok: true; readonly report: BreakingReport }
  | { readonly ok: false; readonly side: "old" | "new"; readonly diagnostics: readonly Diagnostic[] };

/**
 * Reads and compiles both schema sets and compares them. Throws a `SchemaSetError` when a folder or
 * revision cannot be read; schema problems come back as diagnostics.
 */
export function checkBreaking(options: BreakingOptions): BreakingResult {
  const cwd = options.cwd ?? process.cwd();
  const schemas = options.schemas ?? "schema";
  const newTexts = readSchemaDir(schemas, cwd);
  const oldTexts = readSchemaRef(options.against, schemas, cwd);
  const old = compileSchemaSet(oldTexts);
  if (old.model === undefined) return { ok: false, side: "old", diagnostics: old.diagnostics };
  const now = compileSchemaSet(newTexts);
  if (now.model === undefined) return { ok: false, side: "new", diagnostics: now.diagnostics };
  return { ok: true, report: compareModels(old.model, now.model) };
}

/** Compares two models of the format: the old (released) one and the new one. */
export function compareModels(old: Model, now: Model): BreakingReport {
  const sink = new FindingSink();
  const decls = new DeclPairs(declsByName(old), declsByName(now));
  const c: Comparison = { sink, decls };
  // Something removed is placed, in the new version, at the file it was in (or the container's).
  const placeIn = (model: Model) => (module: string): Source => {
    const m = model.modules.find((x) => x.name === module);
    return m === undefined ? model.container.source : { file: m.file, path: "/", line: 1, col: 1 };
  };
  const inNew = placeIn(now);
  const inOld = placeIn(old);

  for (const m of old.modules) {
    const n = now.modules.find((x) => x.name === m.name);
    if (n !== undefined && n.doc !== m.doc) sink.add("doc-changed", `${m.name}.yaml: doc changed`, inOld(m.name), inNew(n.name));
  }
  compareContainer(c, old, now);
  for (const o of decls.old.values()) {
    const n = decls.newOf(o);
    if (n === undefined) sink.add("type-removed", `type ${o.name} was removed`, o.source, inNew(o.module));
    else compareDecl(c, o, n);
  }
  for (const n of decls.now.values()) if (decls.oldOf(n) === undefined) sink.add("type-added", `type ${n.name} was added`, inOld(n.module), n.source);
  const sections = pairSections(old, now);
  compareSections(c, old, now, sections, { inOld, inNew });
  compareRules(c, old, now, sections, { inOld, inNew });

  const oldVersion = old.container.version;
  const newVersion = now.container.version;
  const versioned = newVersion > oldVersion;
  const findings = sortFindings(sink.findings).map((f) => (f.class === "wire-breaking" ? { ...f, versioned: versioned && f.rule !== "format-version-lowered" } : f));
  return { oldVersion, newVersion, findings };
}

/**
 * The wire-breaking changes format_version does not account for: what CI refuses. A wire break is
 * allowed only with a new format_version, as readers tell images of the two versions apart by it.
 */
export function unversionedBreaks(report: BreakingReport): Finding[] {
  return report.findings.filter((f) => f.class === "wire-breaking" && f.versioned !== true);
}

function compareContainer(c: Comparison, old: Model, now: Model): void {
  const { sink } = c;
  const o = old.container;
  const n = now.container;
  if (n.version > o.version) sink.add("format-version-raised", `format_version went from ${o.version} to ${n.version}`, o.source, n.source);
  if (n.version < o.version) sink.add("format-version-lowered", `format_version went from ${o.version} down to ${n.version}`, o.source, n.source);
  if (o.entryCrcSince !== n.entryCrcSince) sink.add("entry-crc-since-changed", `entry_crc_since was ${o.entryCrcSince}, is now ${n.entryCrcSince}`, o.source, n.source);
  if (o.doc !== n.doc) sink.add("doc-changed", "container: doc changed", o.source, n.source);
  for (const [role, a, b] of [["header", o.header, n.header], ["entry", o.entry, n.entry]] as const) {
    if (c.decls.same(a, b)) continue;
    sink.add(role === "header" ? "container-header-changed" : "container-entry-changed", `the container's ${role} was ${a.name}, is now ${b.name}`, o.source, n.source);
    compareStruct(c, a, b, `${b.name} (was ${a.name})`);
  }
  if (o.end.name !== n.end.name && o.end.id !== n.end.id) sink.add("container-end-changed", `the container's end section was ${o.end.name}, is now ${n.end.name}`, o.source, n.source);
}
