/**
 * Streams and files benchmark (not a test): on a synthetic guest of ≥ 2 GiB, measures stream encode,
 * stream decode, stream → seekable conversion and seekable → stream conversion against a raw copy of
 * the same bytes in the same run, and the peak RSS of each job. Every job runs in a child process of
 * its own, so its maxRSS is its own.
 *
 *     npx tsx bench/streams.ts [--gib 2] [--rounds 3] [--small-mib 256] [--tsx]
 *     npm run bench:streams
 *
 * Jobs run on plain node, on a tsc build of this file made at the start (`--tsx` runs them under tsx
 * instead, which adds its loader's ~35 MiB to every RSS figure).
 *
 * Files go to a fresh directory under the OS temp dir, removed at the end. The report (Markdown) goes to
 * stdout; bench/RESULTS.md holds the figures of the last full run and what they mean.
 */
import { execFileSync, fork } from "node:child_process";
import { createReadStream, createWriteStream, writeFileSync } from "node:fs";
import { mkdtemp, open, rm, stat } from "node:fs/promises";
import { availableParallelism, cpus, loadavg, tmpdir, totalmem } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { pipeline } from "node:stream/promises";
import { parseArgs } from "node:util";
import { imageFormat, type ImageHeader, type KnownSection } from "../generated/index.js";
import { PageIndex } from "../image/page-index.js";
import { crc32c, decodeStream, writeStream } from "../runtime/index.js";
import { imageFileToStream, openImageFile, streamToImageFile } from "../runtime/node/index.js";
import { syntheticGuestStream } from "../synthetic/stream.js";

const MIB = 1024 * 1024;
/** Every read in the baselines and every Readable below uses chunks of this size. */
const CHUNK = MIB;

/** What a job reports to the parent. */
interface JobResult {
  readonly job: string;
  /** Bytes of the image the job went through (the stream's size for stream jobs). */
  readonly bytes: number;
  readonly seconds: number;
  readonly maxRssMiB: number;
  readonly note?: string;
}

// ---------------------------------------------------------------------------------------------------
// Jobs (run in the child).

/** Raw copy, the simple way: read 1 MiB, write it, repeat; then fsync (or not). */
async function rawCopyLoop(src: string, dst: string, sync: boolean): Promise<number> {
  const input = await open(src, "r");
  const output = await open(dst, "w");
  const buffer = new Uint8Array(CHUNK);
  let total = 0;
  for (;;) {
    const { bytesRead } = await input.read(buffer, 0, CHUNK, total);
    if (bytesRead === 0) break;
    let written = 0;
    while (written < bytesRead) written += (await output.write(buffer, written, bytesRead - written, total + written)).bytesWritten;
    total += bytesRead;
  }
  if (sync) await output.sync();
  await output.close();
  await input.close();
  return total;
}

/**
 * Flushes a file written through a path-based Writable. (A FileHandle's own createWriteStream with
 * autoClose off keeps a reference that makes FileHandle.close() wait forever in Node 20.)
 */
async function fsync(path: string): Promise<void> {
  const handle = await open(path, "r+");
  await handle.sync();
  await handle.close();
}

/** Raw copy with reading and writing overlapped: a Readable piped into a Writable (1 MiB chunks), then fsync (or not). */
async function rawCopyPipe(src: string, dst: string, sync: boolean): Promise<number> {
  await pipeline(createReadStream(src, { highWaterMark: CHUNK }), createWriteStream(dst, { highWaterMark: CHUNK }));
  if (sync) await fsync(dst);
  return (await stat(src)).size;
}

/** Raw read: the ceiling for anything that reads the file. */
async function rawRead(src: string): Promise<number> {
  const input = await open(src, "r");
  const buffer = new Uint8Array(CHUNK);
  let total = 0;
  for (;;) {
    const { bytesRead } = await input.read(buffer, 0, CHUNK, total);
    if (bytesRead === 0) break;
    total += bytesRead;
  }
  await input.close();
  return total;
}

/** Stream encode: a synthetic guest produced batch by batch, encoded into a file Writable, then fsync. */
async function encode(dst: string, bytes: number): Promise<number> {
  const guest = syntheticGuestStream({ seed: 1, memoryBytes: bytes, batchPages: 1024, fill: "fast" });
  await writeStream(imageFormat, guest.header, guest.sections, createWriteStream(dst, { highWaterMark: CHUNK }));
  await fsync(dst);
  return (await stat(dst)).size;
}

/** Stream decode: every section decoded (page bodies as views), from a file Readable. */
async function decode(src: string): Promise<{ bytes: number; note: string }> {
  const stream = await decodeStream<ImageHeader, KnownSection>(imageFormat, createReadStream(src, { highWaterMark: CHUNK }));
  let pages = 0;
  let sections = 0;
  for await (const s of stream.sections()) {
    sections++;
    if (s.type === "page_data") pages += s.body.pages.length;
  }
  return { bytes: stream.offset, note: `${sections} sections, ${pages} pages` };
}

async function toSeekable(src: string, dst: string, sync: boolean): Promise<number> {
  const summary = await streamToImageFile(imageFormat, createReadStream(src, { highWaterMark: CHUNK }), dst, { sync });
  return summary.streamBytes;
}

async function toStream(src: string, dst: string): Promise<number> {
  await imageFileToStream(imageFormat, src, createWriteStream(dst, { highWaterMark: CHUNK }));
  await fsync(dst);
  return (await stat(dst)).size;
}

/** Random page reads from the seekable image: open, index the frame lists, fetch 2000 pages by pfn. */
async function pages(src: string): Promise<{ bytes: number; note: string }> {
  const image = await openImageFile<ImageHeader, KnownSection>(imageFormat, src);
  const index = await PageIndex.build(image);
  let x = 12345;
  let fetched = 0;
  const words = index.words;
  for (let i = 0; i < 2000; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    if ((await index.page(x % words)) !== undefined) fetched++;
  }
  await image.close();
  return { bytes: fetched * 4096, note: `${fetched} pages of ${words}` };
}

/** CRC32C over a 64 MiB buffer held in memory: the checksum's own speed on this machine. */
async function crc(): Promise<number> {
  const buffer = new Uint8Array(64 * MIB);
  for (let i = 0; i < buffer.length; i += 4096) buffer[i] = i & 0xff;
  crc32c(buffer.subarray(0, 8 * MIB));
  let total = 0;
  for (let r = 0; r < 8; r++) {
    crc32c(buffer);
    total += buffer.length;
  }
  return total;
}

async function runJob(job: string, args: string[]): Promise<JobResult> {
  const [a = "", b = "", c = ""] = args;
  const started = performance.now();
  let bytes: number;
  let note: string | undefined;
  switch (job) {
    case "copy-loop":
      bytes = await rawCopyLoop(a, b, c === "sync");
      break;
    case "copy-pipe":
      bytes = await rawCopyPipe(a, b, c === "sync");
      break;
    case "read":
      bytes = await rawRead(a);
      break;
    case "encode":
      bytes = await encode(a, Number(b));
      break;
    case "decode":
      ({ bytes, note } = await decode(a));
      break;
    case "to-seekable":
      bytes = await toSeekable(a, b, c === "sync");
      break;
    case "to-stream":
      bytes = await toStream(a, b);
      break;
    case "pages":
      ({ bytes, note } = await pages(a));
      break;
    case "crc":
      bytes = await crc();
      break;
    default:
      throw new Error(`unknown job ${job}`);
  }
  const seconds = (performance.now() - started) / 1000;
  return { job, bytes, seconds, maxRssMiB: process.resourceUsage().maxRSS / 1024, ...(note === undefined ? {} : { note }) };
}

// ---------------------------------------------------------------------------------------------------
// The parent: runs each job in a child, in rounds, and reports.

/** How children run: plain node on tsc's output (the default), or this file under the parent's loader (tsx). */
let childScript = process.argv[1]!;
let childExecArgv: string[] = process.execArgv;

/**
 * Compiles the benchmark and what it imports with tsc into `dir`, so jobs run on plain node: tsx's
 * loader alone adds ~35 MiB to every process's RSS, which is not ours to report.
 */
function compile(dir: string): void {
  const root = join(dirname(fileURLToPath(import.meta.url)), "..");
  execFileSync(process.execPath, [join(root, "node_modules/typescript/bin/tsc"), "-p", join(root, "bench/tsconfig.streams.json"), "--noEmit", "false", "--outDir", dir, "--sourceMap", "false", "--declaration", "false"], { stdio: "inherit" });
  writeFileSync(join(dir, "package.json"), JSON.stringify({ type: "module" }));
  childScript = join(dir, "bench/streams.js");
  childExecArgv = [];
}

function child(job: string, args: readonly string[]): Promise<JobResult> {
  return new Promise((resolve, reject) => {
    const p = fork(childScript, ["--job", job, ...args], { execArgv: childExecArgv, stdio: ["ignore", "inherit", "inherit", "ipc"] });
    let result: JobResult | undefined;
    p.on("message", (m) => (result = m as JobResult));
    p.on("error", reject);
    p.on("exit", (code) => (code === 0 && result !== undefined ? resolve(result) : reject(new Error(`job ${job} exited with ${code}`))));
  });
}

const rate = (r: JobResult) => r.bytes / r.seconds / MIB;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (n: number, digits = 0) => n.toFixed(digits);

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { gib: { type: "string", default: "2" }, rounds: { type: "string", default: "3" }, "small-mib": { type: "string", default: "256" }, tsx: { type: "boolean", default: false } },
  });
  const guestBytes = Math.round(Number(values.gib) * 1024) * MIB;
  const rounds = Number(values.rounds);
  const smallBytes = Number(values["small-mib"]) * MIB;
  const dir = await mkdtemp(join(tmpdir(), "xenimage-bench-"));
  const f = (name: string) => join(dir, name);
  const log = (s: string) => process.stderr.write(s + "\n");
  try {
    if (!values.tsx) {
      log("compiling the jobs with tsc …");
      compile(f("build"));
    }
    log(`writing a ${values.gib} GiB synthetic guest as a stream to ${dir} …`);
    const first = await child("encode", [f("guest.stream"), String(guestBytes)]);
    const streamSize = first.bytes;
    log(`  ${fmt(streamSize / MIB)} MiB stream`);
    const results = new Map<string, JobResult[]>();
    const add = (r: JobResult) => {
      results.set(r.job, [...(results.get(r.job) ?? []), r]);
      log(`  ${r.job.padEnd(22)} ${fmt(rate(r)).padStart(6)} MiB/s  ${fmt(r.seconds, 2).padStart(6)} s  maxRSS ${fmt(r.maxRssMiB)} MiB${r.note ? `  (${r.note})` : ""}`);
    };
    const named = (r: JobResult, job: string): JobResult => ({ ...r, job });
    add(named(first, "encode (fsync)"));
    for (let round = 1; round <= rounds; round++) {
      log(`round ${round} of ${rounds}`);
      add(named(await child("copy-loop", [f("guest.stream"), f("copy"), "sync"]), "raw copy loop (fsync)"));
      await rm(f("copy"));
      add(named(await child("copy-pipe", [f("guest.stream"), f("copy"), "sync"]), "raw copy pipe (fsync)"));
      await rm(f("copy"));
      add(named(await child("copy-loop", [f("guest.stream"), f("copy"), "nosync"]), "raw copy loop"));
      await rm(f("copy"));
      add(named(await child("copy-pipe", [f("guest.stream"), f("copy"), "nosync"]), "raw copy pipe"));
      await rm(f("copy"));
      add(named(await child("read", [f("guest.stream")]), "raw read"));
      add(named(await child("decode", [f("guest.stream")]), "stream decode"));
      add(named(await child("to-seekable", [f("guest.stream"), f("guest.img"), "sync"]), "stream → seekable (fsync)"));
      add(named(await child("to-stream", [f("guest.img"), f("back.stream")]), "seekable → stream (fsync)"));
      await rm(f("back.stream"));
      if (round === 1) add(named(await child("pages", [f("guest.img")]), "pages by pfn"));
      await rm(f("guest.img"));
      add(named(await child("to-seekable", [f("guest.stream"), f("guest.img"), "nosync"]), "stream → seekable"));
      await rm(f("guest.img"));
      if (round > 1) {
        add(named(await child("encode", [f("again.stream"), String(guestBytes)]), "encode (fsync)"));
        await rm(f("again.stream"));
      }
    }
    add(named(await child("crc", []), "crc32c in memory"));
    log(`a ${values["small-mib"]} MiB guest, to compare peak RSS …`);
    const small = await child("encode", [f("small.stream"), String(smallBytes)]);
    const smallDecode = await child("decode", [f("small.stream")]);
    const smallConvert = await child("to-seekable", [f("small.stream"), f("small.img"), "sync"]);

    const rates = (job: string) => (results.get(job) ?? []).map(rate);
    const rss = (job: string) => Math.max(...(results.get(job) ?? []).map((r) => r.maxRssMiB));
    /** Per round: the job's rate over the faster of the baselines in the same round. */
    const ratios = (job: string, baselines: string[]) =>
      (results.get(job) ?? []).map((r, i) => rate(r) / Math.max(...baselines.map((b) => rate(results.get(b)![Math.min(i, results.get(b)!.length - 1)]!))));
    const lines: string[] = [];
    const p = (s = "") => lines.push(s);
    p(`Machine: ${cpus()[0]?.model ?? "?"}, ${availableParallelism()} cores, ${fmt(totalmem() / 1024 / MIB, 1)} GiB RAM, Node ${process.version}, ${process.platform} ${process.arch}.`);
    p(`Jobs ran on ${values.tsx ? "tsx" : "plain node (tsc output)"}; load average at the end ${loadavg().map((l) => l.toFixed(1)).join(" ")}.`);
    p(`Image: ${fmt(streamSize / MIB)} MiB stream (${values.gib} GiB guest, 1024-page batches), files under ${tmpdir()}; ${rounds} rounds.`);
    p();
    p("| job | MiB/s median | min … max | peak RSS MiB (max) |");
    p("| --- | ---: | ---: | ---: |");
    for (const job of results.keys()) {
      const xs = rates(job);
      const unit = job === "pages by pfn" ? ` (${fmt(median(xs.map((x) => (x * MIB) / 4096)))} pages/s)` : "";
      p(`| ${job} | ${fmt(median(xs))}${unit} | ${fmt(Math.min(...xs))} … ${fmt(Math.max(...xs))} | ${fmt(rss(job))} |`);
    }
    p();
    const synced = ["raw copy loop (fsync)", "raw copy pipe (fsync)"];
    const unsynced = ["raw copy loop", "raw copy pipe"];
    const row = (label: string, job: string, baselines: string[]) => {
      const xs = ratios(job, baselines);
      p(`| ${label} | ${fmt(median(xs), 2)} | ${xs.map((x) => fmt(x, 2)).join(", ")} |`);
    };
    p("| ratio, same round, against the faster raw copy of that round | median | per round |");
    p("| --- | ---: | --- |");
    row("stream decode / raw copy with fsync", "stream decode", synced);
    row("stream decode / raw copy without fsync", "stream decode", unsynced);
    row("stream → seekable (fsync) / raw copy with fsync", "stream → seekable (fsync)", synced);
    row("stream → seekable (no fsync) / raw copy without fsync", "stream → seekable", unsynced);
    row("seekable → stream (fsync) / raw copy with fsync", "seekable → stream (fsync)", synced);
    row("stream encode (fsync) / raw copy with fsync", "encode (fsync)", synced);
    p();
    p(`Peak RSS, ${values["small-mib"]} MiB guest: encode ${fmt(small.maxRssMiB)} MiB, decode ${fmt(smallDecode.maxRssMiB)} MiB, stream → seekable ${fmt(smallConvert.maxRssMiB)} MiB.`);
    process.stdout.write(lines.join("\n") + "\n");
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const jobIndex = process.argv.indexOf("--job");
if (jobIndex >= 0) {
  const result = await runJob(process.argv[jobIndex + 1]!, process.argv.slice(jobIndex + 2));
  process.send!(result);
} else {
  await main();
}
