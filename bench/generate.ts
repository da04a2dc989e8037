/**
 * The generator, cold: `npx tsx generator/main.ts --check` in a new process (TypeScript loading, schema
 * parsing and validation, the model, codec and docs emission, prettier; `--check` compares instead of
 * writing, so the run leaves the tree alone), several times, median wall time. Beside it, the same with
 * `--codecs-only` (no docs) and the floor every run pays: starting `npx tsx` with nothing to do.
 */
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { stats, type CaseResult } from "./harness.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

interface Command {
  readonly id: string;
  readonly label: string;
  readonly args: readonly string[];
  readonly runs: number;
}

/** Runs a command once; returns its wall time in ms. Exit 1 from `--check` (stale output) still counts: the work was done. */
function wall(args: readonly string[]): { ms: number; status: number | null; stderr: string } {
  const start = performance.now();
  const result = spawnSync("npx", args, { cwd: root, encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });
  return { ms: performance.now() - start, status: result.status, stderr: result.stderr };
}

/** Measures the generator: `runs` full generates, `otherRuns` of each comparison row (0: none). */
export function measureGenerate(runs: number, otherRuns: number, log: (line: string) => void): CaseResult {
  const commands: Command[] = [
    { id: "generate", label: "npx tsx generator/main.ts --check (codecs + docs)", args: ["tsx", "generator/main.ts", "--check"], runs },
    { id: "codecs-only", label: "npx tsx generator/main.ts --check --codecs-only", args: ["tsx", "generator/main.ts", "--check", "--codecs-only"], runs: otherRuns },
    { id: "tsx-startup", label: "npx tsx -e 0 (process start-up floor)", args: ["tsx", "-e", "0"], runs: otherRuns },
  ].filter((c) => c.runs > 0);
  const samples = new Map<string, number[]>(commands.map((c) => [c.id, []]));
  let stale = false;
  const most = Math.max(...commands.map((c) => c.runs));
  for (let round = 0; round < most; round++) {
    for (const c of commands) {
      if (round >= c.runs) continue;
      const { ms, status, stderr } = wall(c.args);
      if (status === 1 && c.id !== "tsx-startup") stale = true;
      else if (status !== 0) throw new Error(`${c.label} exited with ${status}: ${stderr.slice(0, 500)}`);
      samples.get(c.id)!.push(ms);
    }
  }
  if (stale) log("  note: generated/ or docs/ differ from the schemas right now (--check exited 1); the timing is unaffected");
  return {
    id: "generate/cold",
    title: "Cold generate: a new process compiles every schema",
    reference: "generate",
    note: "wall time of the whole command, npx and tsx start-up included; tsx's transform cache as a developer has it",
    rows: commands.map((c) => ({ ...stats(samples.get(c.id)!), id: c.id, label: c.label, inner: 1 })),
  };
}
