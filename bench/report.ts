/**
 * Turns results into Markdown: the machine, one table per case (medians, spread, ratios), the targets
 * with ✅/❌. The same text goes to the terminal and, with `--md FILE`, to a file that can be pasted
 * into bench/RESULTS.md as it is.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { cpus, loadavg, totalmem } from "node:os";
import type { CaseResult, Row } from "./harness.js";

/** What the numbers were measured on. */
export interface Machine {
  readonly cpu: string;
  readonly cores: number;
  readonly memory: string;
  readonly node: string;
  readonly v8: string;
  readonly os: string;
  readonly commit: string;
  /** The 1-minute load average when read: other work on the machine skews absolute times (ratios less). */
  readonly load: number;
}

/** Reads the machine's description (CPU model from /proc/cpuinfo, `nproc`, memory, Node, git commit). */
export function machine(): Machine {
  let cpu = cpus()[0]?.model ?? "unknown";
  let os = `${process.platform} ${process.arch}`;
  try {
    cpu = /model name\s*:\s*(.*)/.exec(readFileSync("/proc/cpuinfo", "utf8"))?.[1] ?? cpu;
    os = readFileSync("/proc/sys/kernel/osrelease", "utf8").trim() + ` (${process.arch})`;
  } catch {
    // not Linux: keep what os.cpus() says
  }
  let cores = cpus().length;
  let commit = "unknown";
  try {
    cores = Number(execFileSync("nproc", { encoding: "utf8" }).trim()) || cores;
  } catch {
    // no nproc
  }
  try {
    commit = execFileSync("git", ["rev-parse", "--short", "HEAD"], { encoding: "utf8" }).trim();
    const dirty = execFileSync("git", ["status", "--porcelain", "--untracked-files=no"], { encoding: "utf8" }).trim() !== "";
    if (dirty) commit += " + uncommitted changes";
  } catch {
    // not a git checkout
  }
  return { cpu, cores, memory: `${(totalmem() / 2 ** 30).toFixed(1)} GiB`, node: process.version, v8: process.versions.v8, os, commit, load: loadavg()[0]! };
}

/** The machine as a Markdown table. */
export function machineTable(m: Machine): string {
  return table(
    ["", ""],
    [
      ["CPU", m.cpu],
      ["cores (nproc)", String(m.cores)],
      ["memory", m.memory],
      ["Node.js", `${m.node} (V8 ${m.v8})`],
      ["OS", m.os],
      ["commit", m.commit],
      ["load average (1 min) at the start", m.load.toFixed(2)],
    ],
    ["l", "l"],
  );
}

/** A duration in ms, printed with a unit that keeps three significant digits. */
export function duration(ms: number): string {
  if (!Number.isFinite(ms)) return "–";
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`;
  if (ms >= 100) return `${ms.toFixed(0)} ms`;
  if (ms >= 10) return `${ms.toFixed(1)} ms`;
  if (ms >= 1) return `${ms.toFixed(2)} ms`;
  if (ms >= 0.1) return `${(ms * 1000).toFixed(0)} µs`;
  if (ms >= 0.01) return `${(ms * 1000).toFixed(1)} µs`;
  if (ms >= 0.001) return `${(ms * 1000).toFixed(2)} µs`;
  return `${(ms * 1e6).toFixed(0)} ns`;
}

/** A ratio as `1.23×`. */
export function ratio(r: number | undefined): string {
  if (r === undefined || !Number.isFinite(r)) return "–";
  return r >= 100 ? `${r.toFixed(0)}×` : r >= 10 ? `${r.toFixed(1)}×` : `${r.toFixed(2)}×`;
}

function throughput(bytes: number, ms: number): string {
  const perSecond = bytes / (ms / 1000);
  return perSecond >= 1e9 ? `${(perSecond / 1e9).toFixed(2)} GB/s` : `${(perSecond / 1e6).toFixed(0)} MB/s`;
}

/** A Markdown table with padded columns (readable as plain text too). `align`: l or r per column. */
export function table(header: readonly string[], rows: readonly (readonly string[])[], align: readonly ("l" | "r")[]): string {
  const widths = header.map((h, i) => Math.max(3, [...rows.map((r) => r[i] ?? ""), h].reduce((w, s) => Math.max(w, [...s].length), 0)));
  const pad = (s: string, i: number) => (align[i] === "r" ? s.padStart(widths[i]! + s.length - [...s].length) : s.padEnd(widths[i]! + s.length - [...s].length));
  const line = (cells: readonly string[]) => `| ${cells.map((c, i) => pad(c, i)).join(" | ")} |`;
  const rule = `|${widths.map((w, i) => (align[i] === "r" ? `${"-".repeat(w + 1)}:` : `:${"-".repeat(w + 1)}`)).join("|")}|`;
  return [line(header), rule, ...rows.map(line)].join("\n");
}

/** Options of {@link caseTable}. */
export interface CaseTableOptions {
  /**
   * Medians of an earlier run by `caseId/implId` (`--baseline`): adds a "÷ baseline" column, each row's
   * time relative to the case's reference row (or its `baselineReference`), over the same in the earlier
   * run. Normalising by hand-written code, which did not change, cancels a machine that is busier or
   * idler than it was, which plain medians across two runs do not.
   */
  readonly baseline?: ReadonlyMap<string, number>;
}

/** One case as a Markdown table with a heading. */
export function caseTable(c: CaseResult, options: CaseTableOptions = {}): string {
  const ref = c.rows.find((r) => r.id === c.reference);
  const ours = c.ours === undefined ? undefined : c.rows.find((r) => r.id === c.ours);
  const header = ["implementation", "median", "IQR ±"];
  if (c.records !== undefined) header.push("per record");
  if (c.bytes !== undefined) header.push("throughput");
  header.push(`÷ ${c.referenceName ?? "hand-written"}`);
  if (ours !== undefined) header.push("÷ ours");
  if (options.baseline !== undefined) header.push("÷ baseline");
  const rows = c.rows.map((r: Row) => {
    const cells = [r.id === c.ours || r.id.startsWith(`${c.ours}-`) ? `**${r.label}**` : r.label, duration(r.median), `${((100 * (r.p75 - r.p25)) / 2 / r.median).toFixed(0)}%`];
    if (c.records !== undefined) cells.push(duration(r.median / c.records));
    if (c.bytes !== undefined) cells.push(throughput(c.bytes, r.median));
    cells.push(ref === undefined ? "–" : ratio(r.median / ref.median));
    if (ours !== undefined) cells.push(ratio(r.median / ours.median));
    if (options.baseline !== undefined) {
      const normaliser = c.baselineReference ?? c.reference;
      const now = c.rows.find((x) => x.id === normaliser);
      const before = options.baseline.get(`${c.id}/${r.id}`);
      const beforeRef = options.baseline.get(`${c.id}/${normaliser}`);
      cells.push(before === undefined || beforeRef === undefined || now === undefined ? "–" : ratio(r.median / now.median / (before / beforeRef)));
    }
    return cells;
  });
  const notes = [`\`${c.id}\``, `${c.rows[0]?.samples ?? 0} samples each${c.processes !== undefined && c.processes > 1 ? ` from ${c.processes} processes` : ""}`];
  if (c.note !== undefined) notes.push(c.note);
  return `#### ${c.title}\n\n${table(header, rows, header.map((_, i) => (i === 0 ? "l" : "r")))}\n\n${notes.join(" · ")}\n`;
}

/** The medians of a JSON report written by `--json`, keyed `caseId/implId`, for `--baseline`. */
export function readBaseline(path: string): Map<string, number> {
  const report = JSON.parse(readFileSync(path, "utf8")) as { cases: CaseResult[] };
  const out = new Map<string, number>();
  for (const c of report.cases) for (const r of c.rows) out.set(`${c.id}/${r.id}`, r.median);
  return out;
}
