/**
 * Schema problems as data. A stage returns diagnostics rather than throwing, so a maintainer sees every
 * problem of a run at once, each as `file:line:col: /yaml/path: message`.
 */

/** One problem in a schema file. */
export interface Diagnostic {
  /** The schema file, relative to the working directory (e.g. `schema/x86.yaml`). */
  readonly file: string;
  readonly line: number;
  readonly col: number;
  /** The YAML path of the offending node, e.g. `/types/cpuid_leaf/fields/2/type`. */
  readonly path: string;
  readonly message: string;
}

/** Formats a diagnostic the way compilers do, so editors and terminals can jump to it. */
export function formatDiagnostic(d: Diagnostic): string {
  return `${d.file}:${d.line}:${d.col}: ${d.path || "/"}: ${d.message}`;
}

/** Orders diagnostics by file, then position, so output is stable. */
export function sortDiagnostics(list: readonly Diagnostic[]): Diagnostic[] {
  return [...list].sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.col - b.col || a.message.localeCompare(b.message));
}

/** Thrown by the pipeline when the schemas have problems; carries all of them. */
export class SchemaError extends Error {
  readonly diagnostics: readonly Diagnostic[];
  constructor(diagnostics: readonly Diagnostic[]) {
    const sorted = sortDiagnostics(diagnostics);
    super(sorted.map(formatDiagnostic).join("\n"));
    this.name = "SchemaError";
    this.diagnostics = sorted;
  }
}

/** Lists alternatives for a message: `a, b or c`. */
export function alternatives(names: readonly string[]): string {
  const sorted = [...names];
  if (sorted.length <= 1) return sorted.join("");
  return `${sorted.slice(0, -1).join(", ")} or ${sorted[sorted.length - 1]}`;
}
