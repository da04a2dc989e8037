/**
 * The targets, checked against one run's medians. Every ratio compares implementations measured
 * in the same process on the same data. A target whose cases were not run (filtered out) is left out.
 */
import type { CaseResult } from "./harness.js";
import { duration, ratio, table } from "./report.js";

/** One checked target. */
export interface TargetCheck {
  readonly area: string;
  readonly target: string;
  readonly subject: string;
  readonly measured: string;
  readonly ok: boolean;
  /**
   * The same measure for the hand-written code, where that means something: a target the hand-written
   * code misses too is beyond the practical limit for this representation.
   */
  readonly limit?: string;
}

/** What the u64-array suite found out besides times. */
export interface U64Facts {
  /** caseId → implId → zero-copy. */
  readonly zeroCopy: ReadonlyMap<string, ReadonlyMap<string, boolean>>;
}

const STRUCTS = [
  { key: "vcpu_x86_64", hasU64: true },
  { key: "cpuid", hasU64: false },
  { key: "hvm_hw_cpu", hasU64: true },
] as const;

/** Checks every target the results allow. */
export function checkTargets(results: ReadonlyMap<string, CaseResult>, u64: U64Facts | undefined): TargetCheck[] {
  const out: TargetCheck[] = [];
  const get = (caseId: string, implId: string) => results.get(caseId)?.rows.find((r) => r.id === implId)?.median;
  /** ours ≤ limit × other. */
  const atMost = (area: string, target: string, subject: string, caseId: string, other: string, limit: number, oursId = "ours") => {
    const a = get(caseId, oursId);
    const b = get(caseId, other);
    if (a === undefined || b === undefined) return;
    out.push({ area, target, subject, measured: `${ratio(a / b)} the time`, ok: a / b <= limit });
  };
  const speed = (s: number) => (s >= 1 ? `${ratio(s)} faster` : `${ratio(1 / s)} slower`);
  /** other ≥ factor × ours. */
  const faster = (area: string, target: string, subject: string, caseId: string, other: string, factor: number, hw: string, oursId = "ours") => {
    const a = get(caseId, oursId);
    const b = get(caseId, other);
    if (a === undefined || b === undefined) return;
    const h = get(caseId, hw);
    const limit = h === undefined ? undefined : `${speed(b / h)}${b / h >= factor ? "" : " (misses too)"}`;
    out.push({ area, target, subject, measured: speed(b / a), ok: b / a >= factor, ...(limit === undefined ? {} : { limit }) });
  };
  for (const s of STRUCTS) {
    const hw = s.hasU64 ? "hw-bigint" : "hw";
    const decode = `codecs/decode/${s.key}`;
    atMost("eager decode", "≤ 1.15× hand-written", s.key, decode, hw, 1.15);
    if (s.hasU64) {
      faster("eager decode", "≥ 1.3× faster than binary-parser, number mode", `${s.key} (ours bigint)`, decode, "bp-number", 1.3, hw);
      faster("eager decode", "no slower than binary-parser, bigint mode", s.key, decode, "bp-bigint", 1.0, hw);
      faster("eager decode", "≥ 5× faster than restructure", `${s.key} (bigint)`, decode, "rs-bigint", 5, hw);
    } else {
      faster("eager decode", "≥ 1.3× faster than binary-parser, number mode", s.key, decode, "bp", 1.3, hw);
      faster("eager decode", "≥ 5× faster than restructure", s.key, decode, "rs", 5, hw);
    }
    const each = `codecs/per-record/${s.key}`;
    // Per record, ours is checked twice: decoding whole records, and through the lazy view.
    for (const [oursId, how] of [
      ["ours", "decode"],
      ["ours-view", "view"],
    ] as const) {
      atMost("per-record decode", "≤ 1.3× hand-written", `${s.key}, ${how}`, each, hw, 1.3, oursId);
      if (s.hasU64) {
        faster("per-record decode", "≥ 5× faster than binary-parser", `${s.key}, ${how} (bigint)`, each, "bp-bigint", 5, hw, oursId);
        faster("per-record decode", "≥ 5× faster than binary-parser", `${s.key}, ${how} (ours bigint vs number mode)`, each, "bp-number", 5, hw, oursId);
      } else {
        faster("per-record decode", "≥ 5× faster than binary-parser", `${s.key}, ${how}`, each, "bp", 5, hw, oursId);
      }
    }
    const encode = `codecs/encode/${s.key}`;
    atMost("encode", "≤ 1.2× hand-written", s.key, encode, hw, 1.2);
    faster("encode", "≥ 10× faster than restructure", s.hasU64 ? `${s.key} (bigint)` : s.key, encode, s.hasU64 ? "rs-bigint" : "rs", 10, hw);
  }
  if (u64 !== undefined) {
    for (const family of ["p2m_frame_list", "unwritten_pages"]) {
      const ids = [...results.keys()].filter((id) => id.startsWith(`u64/${family}/aligned/`));
      if (ids.length === 0) continue;
      const byLength = ids.map((id) => ({ id, n: Number(id.split("/").pop()) })).sort((a, b) => a.n - b.n);
      const first = byLength[0]!;
      const last = byLength[byLength.length - 1]!;
      const copies = byLength.filter((c) => u64.zeroCopy.get(c.id)?.get("ours") !== true).length;
      const t0 = get(first.id, "ours");
      const t1 = get(last.id, "ours");
      out.push({ area: "u64 arrays", target: "aligned: zero-copy view", subject: family, measured: copies === 0 ? "a view of the body" : "copied element by element", ok: copies === 0 });
      if (t0 !== undefined && t1 !== undefined && byLength.length >= 2) {
        out.push({
          area: "u64 arrays",
          target: "time independent of length (≤ 2× from smallest to largest)",
          subject: `${family}, ${first.n.toLocaleString("en")} → ${last.n.toLocaleString("en")}`,
          measured: `${duration(t0)} → ${duration(t1)} (${ratio(t1 / t0)})`,
          ok: t1 / t0 <= 2,
        });
      }
    }
  }
  for (const id of ["open/header-and-table", "open/vcpu_context", "open/page_data"]) {
    const c = results.get(id);
    const small = c?.rows.find((r) => r.id === "64MiB");
    const big = c?.rows.find((r) => r.id === "2GiB");
    if (small === undefined || big === undefined) continue;
    // "Within noise", strictly: medians at most 10 % apart.
    const ok = big.median / small.median <= 1.1;
    out.push({ area: "open + one section", target: "2 GiB within noise of 64 MiB", subject: id.slice(5), measured: `${duration(small.median)} vs ${duration(big.median)} (${ratio(big.median / small.median)})`, ok });
  }
  const generate = get("generate/cold", "generate");
  if (generate !== undefined) out.push({ area: "generator", target: "cold generate of all schemas ≤ 3 s", subject: "generate script's command (--check)", measured: duration(generate), ok: generate <= 3000 });
  return out;
}

/** The checks as a Markdown table. */
export function targetsTable(checks: readonly TargetCheck[]): string {
  return table(
    ["area", "target", "subject", "measured (ours)", "", "hand-written, same measure"],
    checks.map((c) => [c.area, c.target, c.subject, c.measured, c.ok ? "✅" : "❌", c.limit ?? ""]),
    ["l", "l", "l", "r", "l", "r"],
  );
}
