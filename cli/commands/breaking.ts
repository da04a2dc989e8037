import { parseArgs } from "node:util";
import { checkedArgs } from "../args.js";
import { installHint, loadCompiler } from "../compiler.js";
import { EXIT, UsageError } from "../errors.js";
import type { Io } from "../io.js";

/** Exit codes of `breaking`, documented in its --help and the README. */
export const BREAKING_EXIT = {
  /** Compatible changes only, or none. */
  compatible: 0,
  /** A wire-breaking change without a format_version bump: what CI refuses. */
  unversionedWire: 1,
  usage: EXIT.usage,
  io: EXIT.io,
  /** Source-breaking changes (the generated TypeScript changed), the wire unchanged. */
  source: 4,
  /** Wire-breaking changes, all of them under a raised format_version. */
  versionedWire: 5,
  /** One side's schemas do not compile. */
  schemaProblems: 6,
} as const;

/** A finding as the compiler reports it (the fields this command reads). */
interface Finding {
  readonly class: "wire-breaking" | "source-breaking" | "compatible";
  readonly versioned?: boolean;
}

/**
 * The part of the compiler this command uses, written out: the compiler is not a dependency of this
 * package, so its types are not either (test/cli/breaking.test.ts checks that the compiler fits).
 */
export interface BreakingCompiler {
  checkBreaking(options: { against: string; schemas?: string }):
    | { readonly ok: true; readonly report: { readonly oldVersion: number; readonly newVersion: number; readonly findings: readonly Finding[] } }
    | { readonly ok: false; readonly side: "old" | "new"; readonly diagnostics: readonly unknown[] };
  formatFinding(finding: never): string;
  formatDiagnostic(diagnostic: never): string;
  readonly SchemaSetError: abstract new (...args: never[]) => Error & { readonly kind: "usage" | "io" };
}

/**
 * `xenimage breaking --against REF [--schemas DIR] [--json] [--all]`: compares today's schemas with a
 * released version's (a folder, or a git revision) and classifies every change. The engine is the
 * schema compiler's, loaded only here, as the model it compares is the compiler's.
 */
export async function breaking(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs(
    checkedArgs("breaking", {
      args,
      options: { against: { type: "string" }, schemas: { type: "string" }, json: { type: "boolean" }, all: { type: "boolean" } },
      allowPositionals: true,
    }),
  );
  if (positionals.length > 0) throw new UsageError(`breaking: unexpected argument "${positionals[0]}"`, "breaking");
  if (values.against === undefined) throw new UsageError("breaking: --against REF is required (a folder of schemas or a git revision)", "breaking");
  const compiler = await loadCompiler<Partial<BreakingCompiler>>("breaking", io);
  if (compiler === undefined) return EXIT.usage;
  if (typeof compiler.checkBreaking !== "function") {
    io.err(`xenimage: breaking needs a schema compiler of this version; the installed one has no breaking-change checker: ${installHint()}`);
    return EXIT.usage;
  }
  const { checkBreaking, formatFinding, formatDiagnostic, SchemaSetError } = compiler as BreakingCompiler;
  let result: ReturnType<typeof checkBreaking>;
  try {
    result = checkBreaking({ against: values.against, ...(values.schemas === undefined ? {} : { schemas: values.schemas }) });
  } catch (e) {
    if (!(e instanceof SchemaSetError)) throw e;
    if (e.kind === "usage") throw new UsageError(`breaking: ${e.message}`, "breaking");
    io.err(`xenimage: ${e.message}`);
    return EXIT.io;
  }
  if (!result.ok) {
    for (const d of result.diagnostics) io.err(formatDiagnostic(d as never));
    io.err(`xenimage: breaking: the ${result.side === "old" ? `schemas of ${values.against}` : "schemas"} have ${result.diagnostics.length} problem${result.diagnostics.length === 1 ? "" : "s"}; nothing was compared`);
    return BREAKING_EXIT.schemaProblems;
  }
  const { findings, oldVersion, newVersion } = result.report;
  const count = (cls: string) => findings.filter((f) => f.class === cls).length;
  const wire = findings.filter((f) => f.class === "wire-breaking");
  const unversioned = wire.filter((f) => f.versioned !== true).length;
  if (values.json) io.out(JSON.stringify(findings, null, 2));
  else {
    for (const f of findings) if (values.all === true || f.class !== "compatible") io.out(formatFinding(f as never));
    const version = oldVersion === newVersion ? `format_version ${newVersion} in both` : `format_version ${oldVersion} → ${newVersion}`;
    const hidden = values.all === true || count("compatible") === 0 ? "" : " (--all lists them)";
    io.out(`${wire.length} wire-breaking (${unversioned} not versioned), ${count("source-breaking")} source-breaking, ${count("compatible")} compatible${hidden}; ${version}`);
  }
  if (unversioned > 0) {
    if (!values.json) io.err(`xenimage: breaking: ${unversioned} wire-breaking change${unversioned === 1 ? "" : "s"} without a new format_version: raise container.version, or undo ${unversioned === 1 ? "it" : "them"}`);
    return BREAKING_EXIT.unversionedWire;
  }
  if (wire.length > 0) return BREAKING_EXIT.versionedWire;
  return count("source-breaking") > 0 ? BREAKING_EXIT.source : BREAKING_EXIT.compatible;
}
