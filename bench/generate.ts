/**
 * The generator, cold: the command of `npm run generate` with `--check`, in a new process (TypeScript
 * loading, schema parsing and validation, the model, codec and docs emission, prettier; `--check`
 * compares instead of writing, so the run leaves the tree alone), several times, median wall time.
 * Beside it: the same through `npm run` (npm's own start-up added), through `npx tsx` (how the script
 * ran before), the compiler's own command without this repository's site tools (the inspector's
 * bundle), with `--codecs-only` (no docs), and the floor every run pays: the script's runner with
 * nothing to do.
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
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
function wall([command, ...args]: readonly string[]): { ms: number; status: number | null; stderr: string } {
  const start = performance.now();
  const result = spawnSync(command!, args, { cwd: root, encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });
  return { ms: performance.now() - start, status: result.status, stderr: result.stderr };
}

/** Measures the generator: `runs` full generates, `otherRuns` of each comparison row (0: none). */
export function measureGenerate(runs: number, otherRuns: number, log: (line: string) => void): CaseResult {
  // The script as package.json has it (`node --import tsx scripts/generate.ts`), so the bench follows it.
  const script = (JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts.generate!.split(" ");
  const runner = script.slice(0, script.findIndex((a) => a.endsWith(".ts")));
  const show = (args: readonly string[]) => args.join(" ");
  const commands: Command[] = [
    { id: "generate", label: `${show([...script, "--check"])} (codecs + docs)`, args: [...script, "--check"], runs },
    { id: "npm-run", label: "npm run generate -- --check", args: ["npm", "run", "--silent", "generate", "--", "--check"], runs: otherRuns },
    { id: "npx-tsx", label: "npx tsx scripts/generate.ts --check (how the script once ran)", args: ["npx", "tsx", "scripts/generate.ts", "--check"], runs: otherRuns },
    // Its --check exits 1 (the site's tool pages are missing from its output); the work is the same but the bundle.
    { id: "no-tools", label: `${show([...runner, "generator/main.ts", "--check"])} (the compiler alone: no inspector bundle)`, args: [...runner, "generator/main.ts", "--check"], runs: otherRuns },
    { id: "codecs-only", label: show([...script, "--check", "--codecs-only"]), args: [...script, "--check", "--codecs-only"], runs: otherRuns },
    { id: "tsx-startup", label: `${show([...runner, "-e", "0"])} (process start-up floor)`, args: [...runner, "-e", "0"], runs: otherRuns },
  ].filter((c) => c.runs > 0);
  const samples = new Map<string, number[]>(commands.map((c) => [c.id, []]));
  let stale = false;
  const most = Math.max(...commands.map((c) => c.runs));
  for (let round = 0; round < most; round++) {
    for (const c of commands) {
      if (round >= c.runs) continue;
      const { ms, status, stderr } = wall(c.args);
      if (status === 1 && c.id === "no-tools") {
        // expected: see the row's note
      } else if (status === 1 && c.id !== "tsx-startup") stale = true;
      else if (status !== 0) throw new Error(`${c.label} exited with ${status}: ${stderr.slice(0, 500)}`);
      samples.get(c.id)!.push(ms);
    }
  }
  if (stale) log("  note: generated/ or docs/ differ from the schemas right now (--check exited 1); the timing is unaffected");
  return {
    id: "generate/cold",
    title: "Cold generate: a new process compiles every schema",
    reference: "generate",
    note: "wall time of the whole command, node and tsx start-up included; tsx's transform cache as a developer has it",
    rows: commands.map((c) => ({ ...stats(samples.get(c.id)!), id: c.id, label: c.label, inner: 1 })),
  };
}
