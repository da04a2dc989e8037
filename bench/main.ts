/**
 * `npm run bench`: every benchmark of bench/ in one process, printed as Markdown (progress goes to
 * stderr). See bench/RESULTS.md for what each part measures and the latest figures.
 */
import { fork } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { availableParallelism, loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { CODEC_CASE_IDS, structBenches, verifyStruct } from "./codecs.js";
import { measureGenerate } from "./generate.js";
import { mergeProcesses, type CaseResult } from "./harness.js";
import { caseTable, machine, machineTable, readBaseline, type Machine } from "./report.js";
import { checkTargets, targetsTable } from "./targets.js";
import { u64CaseIds } from "./u64-arrays.js";
import type { WorkerRequest, WorkerResponse } from "./worker.js";

const USAGE = `usage: npm run bench -- [options]

  --quick            a smoke run: few samples, no 2 GiB image, one generator run (about a minute)
  --filter REGEX     only the cases whose id matches (ids: codecs/decode/vcpu_x86_64, codecs/per-record/cpuid,
                     codecs/encode/hvm_hw_cpu, u64/p2m_frame_list/aligned/1024, open/vcpu_context, generate/cold, …)
  --skip-2g          leave out the 2 GiB image (it takes ~2 GiB in the temporary directory and ~20 s to write)
  --with-2g          include it in a --quick run
  --generate-runs N  cold generator runs (default 5, and half as many of the comparison rows; --quick: 1, none)
  --v8 "FLAGS"       V8/Node flags for the processes that run the cases, e.g. "--no-allocation-site-pretenuring"
  --md FILE          also write the Markdown report to FILE
  --json FILE        also write every median and quartile to FILE (for --baseline)
  --from-json FILE   measure nothing: print the report of an earlier --json run again (tables, targets;
                     with --baseline and --md as usual)
  --baseline FILE    add a "÷ baseline" column: each time relative to its case's reference row, over the same
                     in FILE (a --json of an earlier run); below 1: faster than then
  --help`;

interface Args {
  quick: boolean;
  filter: RegExp | undefined;
  twoGiB: boolean | undefined;
  generateRuns: number | undefined;
  v8: string[];
  fromJson: string | undefined;
  md: string | undefined;
  json: string | undefined;
  baseline: string | undefined;
}

function parseArgs(argv: readonly string[]): Args {
  const args: Args = { quick: false, filter: undefined, twoGiB: undefined, generateRuns: undefined, v8: [], fromJson: undefined, md: undefined, json: undefined, baseline: undefined };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === "--quick") args.quick = true;
    else if (a === "--filter") args.filter = new RegExp(value());
    else if (a === "--skip-2g") args.twoGiB = false;
    else if (a === "--with-2g") args.twoGiB = true;
    else if (a === "--generate-runs") args.generateRuns = Number(value());
    else if (a === "--v8") args.v8 = value().split(/\s+/).filter((f) => f !== "");
    else if (a === "--md") args.md = value();
    else if (a === "--from-json") args.fromJson = value();
    else if (a === "--json") args.json = value();
    else if (a === "--baseline") args.baseline = value();
    else if (a === "--help" || a === "-h") {
      console.log(USAGE);
      process.exit(0);
    } else throw new Error(`unknown option ${a}\n${USAGE}`);
  }
  return args;
}

const log = (line: string) => process.stderr.write(`${line}\n`);

const WORKER = fileURLToPath(new URL("./worker.ts", import.meta.url));
/** The text above each group of tables. */
const INTRO = {
  codecs:
    "### Codecs\n\nTimes per call (one whole body); `per record` divides by the records in it. `÷ hand-written` is the time over the hand-written DataView code's (bigint when the struct has u64 fields); `÷ ours` the time over ours (above 1: ours is faster). Each case ran in 3 fresh processes, its samples pooled.\n",
  u64: "### u64 arrays\n\nDecode of a body whose u64 array is 8-aligned (unless it says otherwise), touching only the first and last element: a zero-copy view costs the same at every length. `— zero-copy` marks a result that is a view of the body.\n",
  open: (sizes: string) =>
    `### Open a seekable image + read one section\n\n${sizes} images of a 64-bit PV guest (4 vcpus), written to the OS temporary directory with the streaming file writer (\`runtime/node/file-writer.ts\`), in the page cache; removed afterwards. \`÷ 64 MiB\` is the time over the 64 MiB image's.\n`,
  generate: "### Generator\n",
};

/** Codec cases are split over this many processes (see `mergeProcesses`). */
const CODEC_PROCESSES = 3;

/** Runs one case in a new process (bench/worker.ts), with this process's loader (tsx) and `v8` flags. */
function inWorker(request: WorkerRequest, v8: readonly string[]): Promise<WorkerResponse> {
  return new Promise((resolve, reject) => {
    const child = fork(WORKER, [], { execArgv: [...process.execArgv, ...v8], serialization: "advanced", stdio: ["ignore", "inherit", "inherit", "ipc"] });
    let response: WorkerResponse | undefined;
    child.once("message", (m) => {
      response = m as WorkerResponse;
    });
    child.once("error", reject);
    child.once("exit", (code) => {
      if (response?.error !== undefined) reject(new Error(`${request.id}: ${response.error}`));
      else if (response?.result === undefined) reject(new Error(`${request.id}: the worker exited with ${code} and no result`));
      else resolve(response);
    });
    child.send(request);
  });
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (args.fromJson !== undefined) return render(args.fromJson, args);
  const wanted = (id: string) => args.filter === undefined || args.filter.test(id);
  const baseline = args.baseline === undefined ? undefined : readBaseline(args.baseline);
  const results = new Map<string, CaseResult>();
  const sections: string[] = [];
  const out = (text: string) => {
    sections.push(text);
    console.log(text);
  };
  const show = (result: CaseResult, referenceName?: string) => {
    const named = referenceName === undefined ? result : { ...result, referenceName };
    results.set(result.id, named);
    out(caseTable(named, baseline === undefined ? {} : { baseline }));
  };
  /** Runs a case in `processes` fresh processes one after the other, each taking its share of the samples. */
  const run = async (request: WorkerRequest, processes = 1, referenceName?: string): Promise<void> => {
    const parts: CaseResult[] = [];
    for (let p = 0; p < processes; p++) {
      log(`running ${request.id}${processes > 1 ? ` (process ${p + 1} of ${processes})` : ""} …`);
      parts.push((await inWorker({ ...request, share: processes }, args.v8)).result!);
    }
    show(processes > 1 ? mergeProcesses(parts) : parts[0]!, referenceName);
  };
  const started = performance.now();
  const command = `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(" ")}` : ""}`;
  const startMachine = machine();
  const images: { label: string; bytes: number; sections: number; ms: number }[] = [];
  out(`### Machine\n\n${machineTable(startMachine)}\n\nCommand: \`${command}\`${args.quick ? " (quick: few samples, indicative only)" : ""}${args.v8.length > 0 ? ` (cases run with \`${args.v8.join(" ")}\`)` : ""}\n`);

  const codecIds = CODEC_CASE_IDS.filter(wanted);
  if (codecIds.length > 0) {
    log("checking every implementation against the generated codecs …");
    for (const b of structBenches()) verifyStruct(b);
    out(INTRO.codecs);
    for (const id of codecIds) await run({ id, quick: args.quick }, args.quick ? 1 : CODEC_PROCESSES);
  }

  let zeroCopy: Map<string, ReadonlyMap<string, boolean>> | undefined;
  const u64Ids = u64CaseIds().filter(wanted);
  if (u64Ids.length > 0) {
    out(INTRO.u64);
    zeroCopy = new Map();
    for (const id of u64Ids) {
      log(`running ${id} …`);
      const response = await inWorker({ id, quick: args.quick }, args.v8);
      const copies = response.zeroCopy ?? new Map<string, boolean>();
      zeroCopy.set(id, copies);
      const result = response.result!;
      show({ ...result, rows: result.rows.map((r) => ({ ...r, label: `${r.label}${copies.get(r.id) ? " — zero-copy" : ""}` })) }, "view");
    }
  }

  const openIds = ["open/header-and-table", "open/vcpu_context", "open/page_data"].filter(wanted);
  if (openIds.length > 0) {
    // Loaded only here: the codec benchmarks run without the file reader and writer.
    const { IMAGE_SIZES, writeImages } = await import("./open-section.js");
    const sizes = IMAGE_SIZES.filter((s) => s.id !== "2GiB" || (args.twoGiB ?? !args.quick));
    out(INTRO.open(sizes.map((s) => s.label).join(" and ")));
    log("writing the images …");
    const written = await writeImages(sizes, log);
    try {
      images.push(...written.images);
      out(written.images.map((w) => `- ${w.label}: ${(w.bytes / 2 ** 20).toFixed(0)} MiB, ${w.sections} sections, written in ${(w.ms / 1000).toFixed(1)} s`).join("\n") + "\n");
      for (const id of openIds) await run({ id, quick: args.quick, images: written.images }, 1, "64 MiB");
    } finally {
      await written.cleanup();
    }
  }

  if (wanted("generate/cold")) {
    log("running generate/cold (spawns the generator) …");
    const runs = args.generateRuns ?? (args.quick ? 1 : 5);
    out(INTRO.generate);
    show(measureGenerate(runs, args.quick ? 0 : Math.max(1, Math.floor(runs / 2)), log), "full generate");
  }

  out(`### Targets\n\nRatios from this run (a benchmark, not a test). Load average (1 min) at the end: ${loadavg()[0]!.toFixed(2)} on ${availableParallelism()} cores.\n\n${targetsTable(checkTargets(results, zeroCopy === undefined ? undefined : { zeroCopy }))}\n`);
  log(`done in ${((performance.now() - started) / 1000).toFixed(0)} s`);

  if (args.md !== undefined) writeFileSync(args.md, sections.join("\n"));
  if (args.json !== undefined) {
    const report: JsonReport = {
      machine: startMachine,
      command,
      quick: args.quick,
      loadAtEnd: loadavg()[0]!,
      cases: [...results.values()],
      zeroCopy: Object.fromEntries([...(zeroCopy ?? new Map<string, ReadonlyMap<string, boolean>>())].map(([id, m]) => [id, Object.fromEntries(m)])),
      images: images.map((w) => `- ${w.label}: ${(w.bytes / 2 ** 20).toFixed(0)} MiB, ${w.sections} sections, written in ${(w.ms / 1000).toFixed(1)} s`),
    };
    writeFileSync(args.json, JSON.stringify(report, null, 2));
  }
}

/** What `--json` writes and `--from-json` reads. */
interface JsonReport {
  readonly machine: Machine;
  readonly command: string;
  readonly quick: boolean;
  readonly loadAtEnd?: number;
  readonly cases: CaseResult[];
  /** u64 case id → implementation id → zero-copy. */
  readonly zeroCopy?: Record<string, Record<string, boolean>>;
  /** The images of the open/ cases, one line each. */
  readonly images?: string[];
}

/** `--from-json`: prints the report of an earlier run again (with today's tables, targets and `--baseline`), measuring nothing. */
function render(path: string, args: Args): void {
  const report = JSON.parse(readFileSync(path, "utf8")) as JsonReport;
  const baseline = args.baseline === undefined ? undefined : readBaseline(args.baseline);
  const sections: string[] = [`### Machine\n\n${machineTable(report.machine)}\n\nCommand: \`${report.command}\`${report.quick ? " (quick: few samples, indicative only)" : ""}\n`];
  const results = new Map(report.cases.map((c) => [c.id, c]));
  let group = "";
  for (const c of report.cases) {
    const g = c.id.split("/")[0]!;
    if (g !== group) {
      group = g;
      if (g === "codecs") sections.push(INTRO.codecs);
      else if (g === "u64") sections.push(INTRO.u64);
      else if (g === "open") sections.push(INTRO.open(c.rows.map((r) => r.label).join(" and ")), (report.images ?? []).join("\n") + "\n");
      else if (g === "generate") sections.push(INTRO.generate);
    }
    sections.push(caseTable(c, baseline === undefined ? {} : { baseline }));
  }
  const zeroCopy = new Map<string, ReadonlyMap<string, boolean>>();
  for (const c of report.cases) {
    if (!c.id.startsWith("u64/")) continue;
    const saved = report.zeroCopy?.[c.id];
    zeroCopy.set(c.id, new Map(c.rows.map((r) => [r.id, saved?.[r.id] ?? r.label.endsWith("— zero-copy")])));
  }
  const load = report.loadAtEnd === undefined ? "" : ` Load average (1 min) at the end: ${report.loadAtEnd.toFixed(2)} on ${report.machine.cores} cores.`;
  sections.push(`### Targets\n\nRatios from this run (a benchmark, not a test).${load}\n\n${targetsTable(checkTargets(results, zeroCopy.size === 0 ? undefined : { zeroCopy }))}\n`);
  const text = sections.join("\n");
  console.log(text);
  if (args.md !== undefined) writeFileSync(args.md, text);
}

await main();
