/**
 * `xenimage verify` against reading the file (not a test): on a seekable image of a ≥ 2 GiB synthetic
 * guest (pooled page contents, `image-files.ts`), the time of `verify`'s own code path (the CLI's
 * `inspectFile`: one scan in large reads, every CRC computed as the bytes arrive, every section's
 * structure checked, page_data's pages by their length) against a plain loop that reads the file in 1 MiB chunks and runs the same CRC kernel
 * (`crc32c` of runtime/, whichever implementation it has), for several read sizes of the scan. Every
 * job runs in a child process of its own, on plain node (a tsc build made at the start), so its peak
 * RSS is its own; rounds alternate the jobs, and ratios are taken within a round. The jobs run the
 * CRC32C kernel the runtime selects (native where `@node-rs/crc32` loads); `XENIMAGE_CRC=js` before the
 * command forces JavaScript in every job; the report names the kernel the jobs ran.
 *
 *     npx tsx bench/verify-speed.ts [--gib 2] [--rounds 3] [--chunks 1,4,8,16,32]
 *     XENIMAGE_CRC=js npx tsx bench/verify-speed.ts …
 *     npm run bench:verify
 *
 * The image is written once under the OS temp dir (and removed at the end); after that every job reads
 * it from the page cache, so the figures are of the CPU work, not of the disk.
 */
import { fork } from "node:child_process";
import { compileJobs } from "./compile-jobs.js";
import { mkdtemp, open, rm } from "node:fs/promises";
import { availableParallelism, cpus, loadavg, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { inspectFile } from "../cli/commands/inspect.js";
import type { Io } from "../cli/io.js";
import { crc32c, crc32cKernel } from "../runtime/index.js";
import { writePvGuestImage } from "./image-files.js";

const MIB = 1024 * 1024;

interface JobResult {
  readonly job: string;
  readonly bytes: number;
  readonly seconds: number;
  /** User + system CPU time of the whole process (main thread and thread pool): the work, whatever the load. */
  readonly cpuSeconds: number;
  readonly maxRssMiB: number;
  /** The CRC32C kernel the job ran (`native (@node-rs/crc32@…)`, or `js (why)`). */
  readonly crc: string;
}

/** The baseline: read 1 MiB into one buffer, CRC it, repeat. */
async function readCrcLoop(path: string): Promise<number> {
  const handle = await open(path, "r");
  const buffer = new Uint8Array(MIB);
  let total = 0;
  let crc = 0;
  for (;;) {
    const { bytesRead } = await handle.read(buffer, 0, MIB, total);
    if (bytesRead === 0) break;
    crc = crc32c(buffer.subarray(0, bytesRead), crc);
    total += bytesRead;
  }
  await handle.close();
  if (crc === 0x1234_5678) process.stderr.write("(unlikely CRC)\n"); // keeps the CRC from being optimised away
  return total;
}

const silent: Io = {
  out: () => undefined,
  err: () => undefined,
  outBytes: async () => undefined,
  stdin: (async function* () {})(),
  interactive: false,
};

/** What `xenimage verify FILE` runs, with the scan's read size set. */
async function verify(path: string, chunkMiB: number): Promise<number> {
  const report = await inspectFile(path, silent, { chunkSize: chunkMiB * MIB });
  if (report.problems.length > 0) throw new Error(`verify found problems: ${report.problems.join("; ")}`);
  const handle = await open(path, "r");
  const size = (await handle.stat()).size;
  await handle.close();
  return size;
}

async function runJob(job: string, args: string[]): Promise<JobResult> {
  const [path = "", chunk = "16"] = args;
  const started = performance.now();
  const cpu = process.cpuUsage();
  const bytes = job === "read-crc" ? await readCrcLoop(path) : await verify(path, Number(chunk));
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  const crc = `${crc32cKernel.kernel} (${crc32cKernel.package ?? crc32cKernel.reason})`;
  return { job, bytes, seconds, cpuSeconds: (used.user + used.system) / 1e6, maxRssMiB: process.resourceUsage().maxRSS / 1024, crc };
}

let childScript = process.argv[1]!;

/** Compiles this file and what it imports (see `compile-jobs.ts`), so jobs run on plain node. */
function compile(dir: string): void {
  compileJobs("tsconfig.verify.json", dir);
  childScript = join(dir, "bench/verify-speed.js");
}

function child(job: string, args: readonly string[]): Promise<JobResult> {
  return new Promise((resolve, reject) => {
    const p = fork(childScript, ["--job", job, ...args], { execArgv: [], stdio: ["ignore", "inherit", "inherit", "ipc"] });
    let result: JobResult | undefined;
    p.on("message", (m) => (result = m as JobResult));
    p.on("error", reject);
    p.on("exit", (code) => (code === 0 && result !== undefined ? resolve(result) : reject(new Error(`job ${job} exited with ${code}`))));
  });
}

const rate = (r: JobResult) => r.bytes / r.seconds / MIB;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { gib: { type: "string", default: "2" }, rounds: { type: "string", default: "3" }, chunks: { type: "string", default: "1,4,8,16,32" } } });
  const bytes = Math.round(Number(values.gib) * 1024) * MIB;
  const rounds = Number(values.rounds);
  const chunks = values.chunks.split(",").map(Number);
  const dir = await mkdtemp(join(tmpdir(), "xenimage-verify-bench-"));
  const log = (s: string) => process.stderr.write(s + "\n");
  try {
    log("compiling the jobs with tsc …");
    compile(join(dir, "build"));
    const image = join(dir, "guest.img");
    log(`writing a ${values.gib} GiB guest image to ${dir} …`);
    await writePvGuestImage(image, bytes);
    // Once through, so every round reads from the page cache.
    await child("read-crc", [image]);
    const results = new Map<string, JobResult[]>();
    const jobs: [string, string, string[]][] = [["read + crc32c loop, 1 MiB reads", "read-crc", [image]], ...chunks.map((c): [string, string, string[]] => [`verify, ${c} MiB reads`, "verify", [image, String(c)]])];
    for (let round = 1; round <= rounds; round++) {
      log(`round ${round} of ${rounds}`);
      // Each round starts at a different job, so none always runs right after the same other one.
      for (let k = 0; k < jobs.length; k++) {
        const [label, job, args] = jobs[(k + round - 1) % jobs.length]!;
        const r = await child(job, args);
        results.set(label, [...(results.get(label) ?? []), r]);
        log(`  ${label.padEnd(34)} ${rate(r).toFixed(0).padStart(6)} MiB/s  ${r.seconds.toFixed(2).padStart(6)} s  CPU ${r.cpuSeconds.toFixed(2).padStart(6)} s  maxRSS ${r.maxRssMiB.toFixed(0)} MiB`);
      }
    }
    const baseline = results.get(jobs[0]![0])!;
    // Every job runs the kernel this process would (XENIMAGE_CRC=js in the environment forces JavaScript).
    const kernels = new Set([...results.values()].flat().map((r) => r.crc));
    const lines = [
      `Machine: ${cpus()[0]?.model ?? "?"}, ${availableParallelism()} cores, ${(totalmem() / 1024 / MIB).toFixed(1)} GiB RAM, Node ${process.version}; load average at the end ${loadavg().map((l) => l.toFixed(1)).join(" ")}.`,
      `Image: ${(baseline[0]!.bytes / MIB).toFixed(0)} MiB (${values.gib} GiB guest, 1024-page batches), read from the page cache; ${rounds} rounds; CRC32C kernel of the jobs: ${[...kernels].join(", ")}.`,
      "",
      "| job | MiB/s median | min … max | ratio to the read + CRC loop, median (per round) | CPU s per GiB, median | peak RSS MiB (max) |",
      "| --- | ---: | ---: | ---: | ---: | ---: |",
    ];
    for (const [label, rs] of results) {
      const xs = rs.map(rate);
      const ratios = rs.map((r, i) => rate(r) / rate(baseline[i]!));
      const cpuPerGiB = median(rs.map((r) => r.cpuSeconds / (r.bytes / 1024 / MIB)));
      lines.push(`| ${label} | ${median(xs).toFixed(0)} | ${Math.min(...xs).toFixed(0)} … ${Math.max(...xs).toFixed(0)} | ${median(ratios).toFixed(2)} (${ratios.map((x) => x.toFixed(2)).join(", ")}) | ${cpuPerGiB.toFixed(2)} | ${Math.max(...rs.map((r) => r.maxRssMiB)).toFixed(0)} |`);
    }
    process.stdout.write(lines.join("\n") + "\n");
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const jobIndex = process.argv.indexOf("--job");
if (jobIndex >= 0) process.send!(await runJob(process.argv[jobIndex + 1]!, process.argv.slice(jobIndex + 2)));
else await main();
