/**
 * The timing harness. Each comparison is a case: several implementations of one operation on the same
 * data, run in one process. After a warm-up (so every implementation is optimised), the harness takes
 * samples in rounds, one sample of each implementation per round, in an order that rotates from round to
 * round: whatever else the machine does (two cores, other work) falls on all of them alike, so their
 * ratios hold even when absolute times drift. Results are medians with the interquartile range.
 *
 * Garbage collection is part of what is measured (decoding into kept objects promotes them, and that
 * costs each implementation in proportion to what it allocates), but each sample should pay for its own
 * garbage, not for its neighbour's: restructure leaves hundreds of MB for the next major GC. So before
 * each sample the implementation runs once, untimed, which absorbs most of a neighbour's pending
 * collection work. Collections are not forced between samples: a forced one shrinks the young
 * generation (a sample right after one ran up to 10× slower) and, when no ByteReader is alive, lets its
 * map die, which throws away every optimised function of the generated code that embedded it
 * (`--trace-deopt`: "weak objects"), so it would bias the comparison against us. One full collection
 * runs before each case.
 */
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

/** One implementation of a case's operation. `run` returns its result, which the harness keeps alive. */
export interface Impl {
  /** A stable key (for targets, JSON and baselines), e.g. `hw-bigint`. */
  readonly id: string;
  /** What the tables print. */
  readonly label: string;
  readonly run: () => unknown;
}

/** A comparison: implementations of one operation on the same input. */
export interface CaseSpec {
  /** A stable key, `suite/operation/subject`, matched by `--filter`. */
  readonly id: string;
  readonly title: string;
  readonly impls: readonly Impl[];
  /** The implementation the "÷ ref" column divides by. */
  readonly reference: string;
  /**
   * The implementation `--baseline` normalises by (default: `reference`): one that takes long enough to
   * measure steadily and did not change between the runs.
   */
  readonly baselineReference?: string;
  /** Our implementation, for the "÷ ours" column (omitted when the case has none). */
  readonly ours?: string;
  /** Records (or elements) per call, for the per-record column. */
  readonly records?: number;
  /** Bytes per call, for the throughput column. */
  readonly bytes?: number;
  readonly note?: string;
  /** Overrides the sample count limits (slow cases). */
  readonly maxSamples?: number;
}

/** Statistics of one implementation's samples, in milliseconds per call. */
export interface Row {
  readonly id: string;
  readonly label: string;
  readonly median: number;
  readonly p25: number;
  readonly p75: number;
  readonly samples: number;
  /** Calls per sample. */
  readonly inner: number;
  /** Every sample (ms per call), in the order taken. */
  readonly raw: readonly number[];
}

/** A case's result. */
export interface CaseResult {
  readonly id: string;
  readonly title: string;
  readonly reference: string;
  readonly baselineReference?: string;
  readonly ours?: string;
  readonly records?: number;
  readonly bytes?: number;
  readonly note?: string;
  /** How many processes the samples come from. */
  readonly processes?: number;
  /** What the "÷ …" column calls the reference ("hand-written" when absent). */
  readonly referenceName?: string;
  readonly rows: readonly Row[];
}

/** How long and how often to measure. */
export interface HarnessOptions {
  /** Warm-up per implementation: at least this long … */
  readonly warmupMs: number;
  /** … and at least this many calls. */
  readonly warmupCalls: number;
  /** Sampling stops after this long (once `minSamples` rounds are done) … */
  readonly budgetMs: number;
  readonly minSamples: number;
  /** … or after this many rounds. */
  readonly maxSamples: number;
  /** A sample runs the operation enough times to last at least this long. */
  readonly minSampleMs: number;
}

/**
 * The defaults. Samples of at least 100 ms: an allocation-heavy decode triggers a young-generation
 * collection every few ms and an old-generation one now and then, and a sample that long pays its fair
 * share of both instead of all or nothing (which made short samples bimodal).
 */
export const FULL: HarnessOptions = { warmupMs: 400, warmupCalls: 5, budgetMs: 8000, minSamples: 10, maxSamples: 40, minSampleMs: 100 };
/** `--quick`: a smoke run, same shape, far fewer and shorter samples. */
export const QUICK: HarnessOptions = { warmupMs: 100, warmupCalls: 3, budgetMs: 1000, minSamples: 3, maxSamples: 8, minSampleMs: 20 };

let collect: (() => void) | undefined;
/** Full garbage collection, when Node lets us have it (`--expose-gc` is set at run time). */
export function fullGc(): void {
  if (collect === undefined) {
    setFlagsFromString("--expose-gc");
    collect = runInNewContext("gc") as () => void;
  }
  collect();
}

/** Where results go so that no optimiser can prove them unused. */
let blackhole: unknown;
let kept = 0;

function keep(value: unknown): void {
  blackhole = value;
  if (value !== undefined) kept++;
}

/** How many results were kept (exported, so the sink stays observable to the optimiser). */
export function keptResults(): number {
  return kept;
}

function isPromise(value: unknown): value is Promise<unknown> {
  return value !== null && typeof value === "object" && typeof (value as { then?: unknown }).then === "function";
}

/** Runs `inner` calls and returns the milliseconds per call. */
async function time(impl: Impl, inner: number, asyncImpl: boolean): Promise<number> {
  const start = performance.now();
  if (asyncImpl) {
    for (let i = 0; i < inner; i++) keep(await impl.run());
  } else {
    for (let i = 0; i < inner; i++) keep(impl.run());
  }
  return (performance.now() - start) / inner;
}

function quantile(sorted: readonly number[], q: number): number {
  const at = (sorted.length - 1) * q;
  const lo = Math.floor(at);
  const hi = Math.ceil(at);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (at - lo);
}

/** Median, quartiles and count of samples. */
export function stats(raw: readonly number[]): { median: number; p25: number; p75: number; samples: number; raw: readonly number[] } {
  const sorted = [...raw].sort((a, b) => a - b);
  return { median: quantile(sorted, 0.5), p25: quantile(sorted, 0.25), p75: quantile(sorted, 0.75), samples: sorted.length, raw };
}

/**
 * One case measured in several processes (each a share of the samples), merged: every sample of every
 * process pooled per implementation. A process can settle on its own way of running an allocation-heavy
 * decode (V8 decides per process whether an allocation site is pretenured), so one process alone can be
 * off by 1.5–2× where the pooled median is not.
 */
export function mergeProcesses(parts: readonly CaseResult[]): CaseResult {
  const [first] = parts;
  if (first === undefined) throw new Error("no results to merge");
  return {
    ...first,
    processes: parts.length,
    rows: first.rows.map((row) => {
      const raw = parts.flatMap((p) => p.rows.find((r) => r.id === row.id)?.raw ?? []);
      return { ...row, ...stats(raw) };
    }),
  };
}

/** Measures one case. */
export async function runCase(spec: CaseSpec, options: HarnessOptions): Promise<CaseResult> {
  const n = spec.impls.length;
  keep(undefined);
  fullGc();
  const asyncImpl: boolean[] = [];
  const inner: number[] = [];
  for (const impl of spec.impls) {
    const first = impl.run();
    const isAsync = isPromise(first);
    keep(isAsync ? await first : first);
    asyncImpl.push(isAsync);
    const started = performance.now();
    const times: number[] = [];
    while (times.length < options.warmupCalls || performance.now() - started < options.warmupMs) {
      times.push(await time(impl, 1, isAsync));
      if (times.length >= 10_000) break;
    }
    const recent = times.slice(-Math.max(3, Math.floor(times.length / 2))).sort((a, b) => a - b);
    const perCall = Math.max(quantile(recent, 0.5), 1e-6);
    inner.push(Math.max(1, Math.min(100_000, Math.ceil(options.minSampleMs / perCall))));
  }
  const samples: number[][] = spec.impls.map(() => []);
  const maxSamples = Math.min(options.maxSamples, spec.maxSamples ?? Infinity);
  const started = performance.now();
  for (let round = 0; round < maxSamples; round++) {
    if (round >= options.minSamples && performance.now() - started > options.budgetMs) break;
    for (let k = 0; k < n; k++) {
      const i = (round + k) % n;
      keep(undefined);
      await time(spec.impls[i]!, 1, asyncImpl[i]!);
      samples[i]!.push(await time(spec.impls[i]!, inner[i]!, asyncImpl[i]!));
    }
  }
  keep(undefined);
  const rows = spec.impls.map((impl, i) => {
    const sorted = [...samples[i]!].sort((a, b) => a - b);
    return { ...stats(samples[i]!), id: impl.id, label: impl.label, inner: inner[i]! };
  });
  return {
    id: spec.id,
    title: spec.title,
    reference: spec.reference,
    rows,
    ...(spec.ours === undefined ? {} : { ours: spec.ours }),
    ...(spec.baselineReference === undefined ? {} : { baselineReference: spec.baselineReference }),
    ...(spec.records === undefined ? {} : { records: spec.records }),
    ...(spec.bytes === undefined ? {} : { bytes: spec.bytes }),
    ...(spec.note === undefined ? {} : { note: spec.note }),
  };
}

/** The median of a case's row, by implementation id (undefined when the case or row is missing). */
export function median(results: ReadonlyMap<string, CaseResult>, caseId: string, implId: string): number | undefined {
  return results.get(caseId)?.rows.find((r) => r.id === implId)?.median;
}
