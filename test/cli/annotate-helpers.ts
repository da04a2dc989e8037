import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { expect } from "vitest";

/**
 * What the annotate tests share: the built command, its --json lines, and the tiling checks: the
 * depth-0 runs, and the innermost lines (those no deeper line follows), must each cover every byte of
 * the file exactly once, in file order.
 */

// The built command, as an operator runs it.
export const BIN = join(process.cwd(), "dist/cli/main.js");

export function run(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: "buffer", timeout: 120_000, maxBuffer: 1 << 28 });
  return { code: r.status, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

export interface Line {
  offset: number;
  length: number;
  depth: number;
  field: string;
  value: string | null;
  region: string;
}

export function annotateJson(args: string[]): Line[] {
  const r = run(["annotate", "--json", ...args]);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Line[];
}

function gaps(runs: readonly Line[], size: number): string[] {
  const problems: string[] = [];
  let pos = 0;
  for (const l of runs) {
    if (l.offset !== pos) problems.push(`${l.field} at ${l.offset}, expected ${pos}`);
    pos = Math.max(pos, l.offset + l.length);
  }
  if (pos !== size) problems.push(`the runs end at ${pos}, the file at ${size}`);
  return problems;
}

/** The depth-0 runs, in file order: they must follow each other with neither gap nor overlap. */
export function untiled(lines: readonly Line[], size: number): string[] {
  return gaps(
    lines.filter((l) => l.depth === 0 && l.length > 0).sort((a, b) => a.offset - b.offset),
    size,
  );
}

/** The innermost lines, in the order printed: every field, element, padding and summary range, each byte once. */
export function leavesUntiled(lines: readonly Line[], size: number): string[] {
  return gaps(
    lines.filter((l, i) => l.length > 0 && !((lines[i + 1]?.depth ?? -1) > l.depth)),
    size,
  );
}
