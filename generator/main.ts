#!/usr/bin/env node
/**
 * `npm run generate`: compiles schema/*.yaml into generated/ and docs/ (`npm run docs`: docs/ alone).
 * With `--check`, writes nothing and exits 1 when the committed output differs from what the schemas
 * produce (CI and the tests use that).
 */
import { formatDiagnostic } from "./diagnostics.js";
import { FormatPool } from "./emit/format.js";
import { packageVersion } from "./package-version.js";
import type { GenerateOptions } from "./pipeline.js";

const USAGE = `usage: generate [--check] [--docs-only | --codecs-only] [--schema DIR] [--out DIR] [--docs DIR] [--runtime MODULE]

Compiles the YAML schemas into TypeScript codecs and the published specification.

  --check        compare with the files on disk; write nothing; exit 1 if they differ
  --docs-only    write only the specification (npm run docs)
  --codecs-only  write only the codecs
  --schema DIR   the schema folder (default: schema)
  --out DIR      the codecs' folder (default: generated)
  --docs DIR     the specification's folder (default: docs)
  --runtime MODULE
                 where generated code imports the runtime from (default: ../runtime/index.js, this
                 repository's layout; in another project: xenimage/runtime)

Exit codes: 0 done, 1 schema problems or (with --check) stale output, 2 usage error.`;

/**
 * Prettier worker threads. One: the main thread is busy until the files are emitted, and a second
 * worker, cold too, cost more than it saved on two shared cores (bench/RESULTS.md, Generator).
 */
const FORMAT_THREADS = 1;

/** What a project adds to a run of {@link runGenerator}: its site's tool pages (see GenerateOptions.siteTools). */
export interface GeneratorExtras {
  readonly siteTools?: GenerateOptions["siteTools"];
}

/** Runs the generator command line; returns the exit code. */
export async function runGenerator(args: readonly string[], log = console.log, error = console.error, extras: GeneratorExtras = {}): Promise<number> {
  let check = false;
  let schemaDir = "schema";
  let outDir = "generated";
  let docsDir = "docs";
  let runtimeModule: string | undefined;
  let only: "codecs" | "docs" | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === "--check") check = true;
    else if (a === "--schema" && args[i + 1] !== undefined) schemaDir = args[++i]!;
    else if (a === "--out" && args[i + 1] !== undefined) outDir = args[++i]!;
    else if (a === "--docs" && args[i + 1] !== undefined) docsDir = args[++i]!;
    else if (a === "--runtime" && args[i + 1] !== undefined) runtimeModule = args[++i]!;
    else if (a === "--docs-only" && only === undefined) only = "docs";
    else if (a === "--codecs-only" && only === undefined) only = "codecs";
    else if (a === "--help" || a === "-h") {
      log(USAGE);
      return 0;
    } else {
      error(`generate: unknown argument ${a}\n${USAGE}`);
      return 2;
    }
  }
  const version = packageVersion();
  // Prettier is most of a cold generate: its workers start before the pipeline is even imported, and
  // load prettier while this thread loads the YAML, ajv and ts-morph and compiles the schemas.
  const pool = only === "docs" ? undefined : new FormatPool(FORMAT_THREADS);
  let result;
  try {
    const { generate } = await import("./pipeline.js");
    result = await generate({
      schemaDir,
      outDir,
      version,
      check,
      docsDir,
      ...(runtimeModule === undefined ? {} : { runtimeModule }),
      ...(only === undefined ? {} : { only }),
      ...(pool === undefined ? {} : { format: pool.format }),
      ...(extras.siteTools === undefined ? {} : { siteTools: extras.siteTools }),
    });
  } catch (e) {
    // A step that fails (the docs cannot be written, a sample that does not encode) says what failed, not a trace.
    error(`generate: ${e instanceof Error ? e.message : String(e)}`);
    return 1;
  } finally {
    await pool?.close();
  }
  if (result.diagnostics.length > 0) {
    for (const d of result.diagnostics) error(formatDiagnostic(d));
    error(`${result.diagnostics.length} problem${result.diagnostics.length === 1 ? "" : "s"} in the schemas`);
    return 1;
  }
  if (check) {
    if (result.changed.length === 0) return 0;
    error(`generated code or docs are stale: ${result.changed.join(", ")}\nrun: npm run generate`);
    return 1;
  }
  log(result.changed.length === 0 ? "generated/ and docs/ are up to date" : `wrote ${result.changed.join(", ")}`);
  return 0;
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith("generator/main.ts")) {
  process.exitCode = await runGenerator(process.argv.slice(2));
}
