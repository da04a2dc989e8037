/**
 * Streams and files benchmark (not a test): on a synthetic guest of ≥ 2 GiB, measures stream encode,
 * stream decode, stream → seekable conversion and seekable → stream conversion against a raw copy of
 * the same bytes in the same run, and the peak RSS of each job. Every job runs in a child process of
 * its own, so its maxRSS is its own.
 *
 *     npx tsx bench/streams.ts [--gib 2] [--rounds 3] [--small-mib 256] [--paths native,js]
 *                              [--receivers 8] [--receive-mib 256] [--receive-nosync] [--receive-only] [--tsx]
 *     npm run bench:streams
 *
 * Stream → seekable reads the stream file through `FileChunks` (its read buffers reused once written),
 * and again through a file `Readable` (a fresh buffer per read, like a socket).
 *
 * `--paths` runs the checksumming jobs once per CRC32C kernel in every round: `native` (the optional
 * dependency, when it loads) and `js` (children started with XENIMAGE_CRC=js). `--receivers N` adds
 * the concurrent receiver: N migrations of a `--receive-mib` guest sent at once over loopback
 * (127.0.0.1) to one `MigrationReceiver`, against one migration alone and against the same N taken
 * one at a time, each kernel (0: skip); `--receive-only` runs just that part.
 *
 * Jobs run on plain node, on a tsc build of this file made at the start (`--tsx` runs them under tsx
 * instead, which adds its loader's ~35 MiB to every RSS figure).
 *
 * Files go to a fresh directory under the OS temp dir, removed at the end. The report (Markdown) goes to
 * stdout; bench/RESULTS.md holds the figures of the last full run and what they mean.
 */
import { compileJobs } from "./compile-jobs.js";
import { fork } from "node:child_process";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, mkdtemp, open, rm, stat } from "node:fs/promises";
import { availableParallelism, cpus, loadavg, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { parseArgs } from "node:util";
import { imageFormat, type ImageHeader, type KnownSection } from "../generated/index.js";
import { PageIndex } from "../image/page-index.js";
import { connect } from "node:net";
import { crc32c, crc32cKernel, decodeStream, writeStream } from "../runtime/index.js";
import { FileChunks, imageFileToStream, MigrationReceiver, openImageFile, streamToImageFile } from "../runtime/node/index.js";
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
  /** CPU time of the job's process (all its threads: the fs thread pool too), user + system, seconds. */
  readonly cpuSeconds: number;
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

/** Stream → seekable from the file itself (reads into reused buffers), or from a file Readable (a fresh buffer per read, like a socket). */
async function toSeekable(src: string, dst: string, sync: boolean, from: "file" | "readable"): Promise<number> {
  const source = from === "file" ? await FileChunks.open(src, { chunkSize: CHUNK }) : createReadStream(src, { highWaterMark: CHUNK });
  const summary = await streamToImageFile(imageFormat, source, dst, { sync });
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

/**
 * The receiving side of the concurrent-migration bench: a MigrationReceiver on 127.0.0.1 writing to
 * `dir`, taking `count` migrations at once. Tells the parent its port, then reports the aggregate:
 * all stream bytes over the time from the first connection accepted to the last image in place.
 */
async function receiveMany(dir: string, count: number, sync: boolean, maxConcurrent = count): Promise<{ bytes: number; seconds: number; note: string }> {
  let bytes = 0;
  let ok = 0;
  let first = Infinity;
  let last = 0;
  let done: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => (done = resolve));
  let ended = 0;
  const receiver = await MigrationReceiver.listen(imageFormat, {
    dir,
    maxConcurrent,
    sync,
    onResult: (r) => {
      first = Math.min(first, r.accepted.getTime());
      last = Date.now();
      if (r.ok) {
        ok++;
        bytes += r.streamBytes;
      } else process.stderr.write(`migration ${r.id} failed: ${String(r.error)}\n`);
      if (++ended === count) done();
    },
  });
  process.send!({ port: receiver.address.port });
  await finished;
  await receiver.close();
  if (ok !== count) throw new Error(`${count - ok} of ${count} migrations failed`);
  return { bytes, seconds: (last - first) / 1000, note: `${count} migrations, ${maxConcurrent} at a time, ${fmt(bytes / count / MIB)} MiB each` };
}

/** The sending side: `count` connections to `port`, each streaming the file `src` (1 MiB reads), all at once. */
async function sendMany(port: number, src: string, count: number): Promise<number> {
  await Promise.all(
    Array.from({ length: count }, async () => {
      const socket = connect(port, "127.0.0.1");
      await pipeline(createReadStream(src, { highWaterMark: CHUNK }), socket);
    }),
  );
  return count * (await stat(src)).size;
}

async function runJob(job: string, args: string[]): Promise<JobResult> {
  const [a = "", b = "", c = ""] = args;
  const started = performance.now();
  const cpuStart = process.cpuUsage();
  let bytes: number;
  let note: string | undefined;
  /** Set by jobs that time themselves (the receiver: from the first connection, not from its start). */
  let measured: number | undefined;
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
      bytes = await toSeekable(a, b, c === "sync", "file");
      break;
    case "to-seekable-readable":
      bytes = await toSeekable(a, b, c === "sync", "readable");
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
    case "receive":
      ({ bytes, seconds: measured, note } = await receiveMany(a, Number(b), c === "sync", Number(args[3] ?? b)));
      break;
    case "send":
      bytes = await sendMany(Number(a), b, Number(c));
      break;
    default:
      throw new Error(`unknown job ${job}`);
  }
  const seconds = measured ?? (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuStart);
  return { job, bytes, seconds, maxRssMiB: process.resourceUsage().maxRSS / 1024, cpuSeconds: (cpu.user + cpu.system) / 1e6, ...(note === undefined ? {} : { note }) };
}

// ---------------------------------------------------------------------------------------------------
// The parent: runs each job in a child, in rounds, and reports.

/** How children run: plain node on tsc's output (the default), or this file under the parent's loader (tsx). */
let childScript = process.argv[1]!;
let childExecArgv: string[] = process.execArgv;

/** Compiles this file and what it imports (see `compile-jobs.ts`), so jobs run on plain node. */
function compile(dir: string): void {
  compileJobs("tsconfig.streams.json", dir);
  childScript = join(dir, "bench/streams.js");
  childExecArgv = [];
}

/** The CRC32C kernels a run compares; `js` children run with XENIMAGE_CRC=js. */
type CrcPath = "native" | "js";

function child(job: string, args: readonly string[], path: CrcPath = "native", onPort?: (port: number) => void): Promise<JobResult> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env };
    if (path === "js") env.XENIMAGE_CRC = "js";
    else delete env.XENIMAGE_CRC;
    const p = fork(childScript, ["--job", job, ...args], { execArgv: childExecArgv, env, stdio: ["ignore", "inherit", "inherit", "ipc"] });
    let result: JobResult | undefined;
    p.on("message", (m) => {
      if (typeof (m as { port?: unknown }).port === "number") onPort?.((m as { port: number }).port);
      else result = m as JobResult;
    });
    p.on("error", reject);
    p.on("exit", (code) => (code === 0 && result !== undefined ? resolve(result) : reject(new Error(`job ${job} exited with ${code}`))));
  });
}

const rate = (r: JobResult) => r.bytes / r.seconds / MIB;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (n: number, digits = 0) => n.toFixed(digits);

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      gib: { type: "string", default: "2" },
      rounds: { type: "string", default: "3" },
      "small-mib": { type: "string", default: "256" },
      paths: { type: "string", default: "native,js" },
      receivers: { type: "string", default: "8" },
      "receive-mib": { type: "string", default: "256" },
      "receive-nosync": { type: "boolean", default: false },
      "receive-only": { type: "boolean", default: false },
      tsx: { type: "boolean", default: false },
    },
  });
  const guestBytes = Math.round(Number(values.gib) * 1024) * MIB;
  const rounds = Number(values.rounds);
  const smallBytes = Number(values["small-mib"]) * MIB;
  const paths = values.paths.split(",").map((x) => x.trim()) as CrcPath[];
  if (paths.length === 0 || paths.some((x) => x !== "native" && x !== "js")) throw new Error(`--paths takes native and/or js, not ${values.paths}`);
  const receivers = Number(values.receivers);
  const receiveBytes = Number(values["receive-mib"]) * MIB;
  const receiveSync = !values["receive-nosync"];
  const dir = await mkdtemp(join(tmpdir(), "xenimage-bench-"));
  const f = (name: string) => join(dir, name);
  const log = (s: string) => process.stderr.write(s + "\n");
  /** Job names carry the kernel they ran with, when a run compares kernels. */
  const on = (job: string, path: CrcPath) => (paths.length > 1 || path === "js" ? `${job} [${path}]` : job);
  const loads: string[] = [];
  const load = () => loads.push(loadavg()[0]!.toFixed(1));
  try {
    if (!values.tsx) {
      log("compiling the jobs with tsc …");
      compile(f("build"));
    }
    load();
    log(`CRC32C: ${crc32cKernel.kernel} (${crc32cKernel.package ?? crc32cKernel.reason}); paths measured: ${paths.join(", ")}`);
    const results = new Map<string, JobResult[]>();
    const add = (r: JobResult) => {
      results.set(r.job, [...(results.get(r.job) ?? []), r]);
      log(`  ${r.job.padEnd(32)} ${fmt(rate(r)).padStart(6)} MiB/s  ${fmt(r.seconds, 2).padStart(6)} s  maxRSS ${fmt(r.maxRssMiB)} MiB${r.note ? `  (${r.note})` : ""}`);
    };
    const named = (r: JobResult, job: string): JobResult => ({ ...r, job });
    /** Baselines are run again beside each kernel's jobs, so each ratio compares jobs minutes, not a round, apart. */
    const baselines = new Map<string, JobResult[]>();
    const baseline = (r: JobResult, path: CrcPath) => {
      add(r);
      baselines.set(`${r.job} @${path}`, [...(baselines.get(`${r.job} @${path}`) ?? []), r]);
    };
    const streams = !values["receive-only"];
    let streamSize = 0;
    let small: { encode: JobResult; decode: JobResult; convert: JobResult } | undefined;
    // The streams and files jobs, unless --receive-only.
    if (streams) {
      log(`writing a ${values.gib} GiB synthetic guest as a stream to ${dir} …`);
      const first = await child("encode", [f("guest.stream"), String(guestBytes)], paths[0]);
      streamSize = first.bytes;
      log(`  ${fmt(streamSize / MIB)} MiB stream`);
      add(named(first, on("encode (fsync)", paths[0]!)));
      for (let round = 1; round <= rounds; round++) {
        log(`round ${round} of ${rounds}, load ${loadavg()[0]!.toFixed(1)}`);
        load();
        add(named(await child("read", [f("guest.stream")]), "raw read"));
        for (const path of paths) {
          baseline(named(await child("copy-loop", [f("guest.stream"), f("copy"), "nosync"]), "raw copy loop"), path);
          await rm(f("copy"));
          baseline(named(await child("copy-pipe", [f("guest.stream"), f("copy"), "nosync"]), "raw copy pipe"), path);
          await rm(f("copy"));
          add(named(await child("decode", [f("guest.stream")], path), on("stream decode", path)));
          add(named(await child("to-seekable", [f("guest.stream"), f("guest.img"), "nosync"], path), on("stream → seekable", path)));
          await rm(f("guest.img"));
          add(named(await child("to-seekable-readable", [f("guest.stream"), f("guest.img"), "nosync"], path), on("stream → seekable, from a Readable", path)));
          await rm(f("guest.img"));
          baseline(named(await child("copy-loop", [f("guest.stream"), f("copy"), "sync"]), "raw copy loop (fsync)"), path);
          await rm(f("copy"));
          baseline(named(await child("copy-pipe", [f("guest.stream"), f("copy"), "sync"]), "raw copy pipe (fsync)"), path);
          await rm(f("copy"));
          add(named(await child("to-seekable", [f("guest.stream"), f("guest.img"), "sync"], path), on("stream → seekable (fsync)", path)));
          add(named(await child("to-stream", [f("guest.img"), f("back.stream")], path), on("seekable → stream (fsync)", path)));
          await rm(f("back.stream"));
          if (round === 1 && path === paths[0]) add(named(await child("pages", [f("guest.img")], path), "pages by pfn"));
          await rm(f("guest.img"));
          if (round > 1 || path !== paths[0]) {
            add(named(await child("encode", [f("again.stream"), String(guestBytes)], path), on("encode (fsync)", path)));
            await rm(f("again.stream"));
          }
        }
      }
      for (const path of paths) add(named(await child("crc", [], path), on("crc32c in memory", path)));
      log(`a ${values["small-mib"]} MiB guest, to compare peak RSS …`);
      const smallEncode = await child("encode", [f("small.stream"), String(smallBytes)], paths[0]);
      const smallDecode = await child("decode", [f("small.stream")], paths[0]);
      const smallConvert = await child("to-seekable", [f("small.stream"), f("small.img"), "sync"], paths[0]);
      await rm(f("small.img"));
      small = { encode: smallEncode, decode: smallDecode, convert: smallConvert };
    }

    /** Concurrent receiver: `count` senders at once, each the whole receive guest, into one receiver. */
    const receiveRound = async (count: number, atOnce: number, path: CrcPath): Promise<{ receiver: JobResult; sender: JobResult }> => {
      const out = f(`received-${count}`);
      await mkdir(out);
      let sending: Promise<JobResult> | undefined;
      const receiver = await child("receive", [out, String(count), receiveSync ? "sync" : "nosync", String(atOnce)], path, (port) => {
        sending = child("send", [String(port), f("receive.stream"), String(count)], path);
      });
      const sender = await sending!;
      await rm(out, { recursive: true, force: true });
      return { receiver, sender };
    };
    const receiving = new Map<string, { receiver: JobResult; sender: JobResult }[]>();
    if (receivers > 0) {
      log(`concurrent receiver: ${receivers} × ${values["receive-mib"]} MiB guests over 127.0.0.1, against one alone (${receiveSync ? "fsync" : "no fsync"}) …`);
      await child("encode", [f("receive.stream"), String(receiveBytes)], paths[0]);
      for (let round = 1; round <= rounds; round++) {
        load();
        for (const path of paths) {
          // One migration alone; N with the receiver taking one at a time (the same bytes through the
          // same disk, the like-for-like comparison); N at once.
          for (const [count, atOnce] of [[1, 1], [receivers, 1], [receivers, receivers]] as const) {
            const r = await receiveRound(count, atOnce, path);
            const key = on(`receive ${count === 1 ? "1 alone" : atOnce === 1 ? `${count} one at a time` : `${count} at once`}`, path);
            receiving.set(key, [...(receiving.get(key) ?? []), r]);
            log(`  ${key.padEnd(32)} ${fmt(rate(r.receiver)).padStart(6)} MiB/s aggregate  ${fmt(r.receiver.seconds, 2).padStart(6)} s  receiver maxRSS ${fmt(r.receiver.maxRssMiB)} MiB, sender ${fmt(r.sender.maxRssMiB)} MiB`);
          }
        }
      }
    }
    load();

    const rates = (job: string) => (results.get(job) ?? []).map(rate);
    const rss = (job: string) => Math.max(...(results.get(job) ?? []).map((r) => r.maxRssMiB));
    /** Per round: the job's rate over the faster of the baselines run beside it (same round, same kernel). */
    const ratios = (job: string, names: string[], path: CrcPath) =>
      (results.get(job) ?? []).map((r, i) => {
        const near = names.map((b) => baselines.get(`${b} @${path}`)!);
        return rate(r) / Math.max(...near.map((xs) => rate(xs[Math.min(i, xs.length - 1)]!)));
      });
    const lines: string[] = [];
    const p = (s = "") => lines.push(s);
    p(`Machine: ${cpus()[0]?.model ?? "?"}, ${availableParallelism()} cores, ${fmt(totalmem() / 1024 / MIB, 1)} GiB RAM, Node ${process.version}, ${process.platform} ${process.arch}.`);
    p(`Jobs ran on ${values.tsx ? "tsx" : "plain node (tsc output)"}; 1-minute load average at the start and each round: ${loads.join(", ")}.`);
    p(`CRC32C kernels: ${paths.map((x) => (x === "js" ? "js (XENIMAGE_CRC=js)" : `native = ${crc32cKernel.kernel} (${crc32cKernel.package ?? crc32cKernel.reason})`)).join("; ")}.`);
    if (streams) {
      p(`Image: ${fmt(streamSize / MIB)} MiB stream (${values.gib} GiB guest, 1024-page batches), files under ${tmpdir()}; ${rounds} rounds.`);
      p();
      p("| job | MiB/s median | min … max | CPU s per GiB, median | peak RSS MiB (max) |");
      p("| --- | ---: | ---: | ---: | ---: |");
      /** CPU time per GiB moved: steadier than wall time on a machine shared with other jobs. */
      const cpuPerGiB = (r: JobResult) => r.cpuSeconds / (r.bytes / 1024 / MIB);
      for (const job of results.keys()) {
        const xs = rates(job);
        const unit = job === "pages by pfn" ? ` (${fmt(median(xs.map((x) => (x * MIB) / 4096)))} pages/s)` : "";
        const cpu = job === "pages by pfn" ? "" : fmt(median((results.get(job) ?? []).map(cpuPerGiB)), 2);
        p(`| ${job} | ${fmt(median(xs))}${unit} | ${fmt(Math.min(...xs))} … ${fmt(Math.max(...xs))} | ${cpu} | ${fmt(rss(job))} |`);
      }
      p();
      const synced = ["raw copy loop (fsync)", "raw copy pipe (fsync)"];
      const unsynced = ["raw copy loop", "raw copy pipe"];
      const row = (label: string, job: string, names: string[], path: CrcPath) => {
        const xs = ratios(job, names, path);
        p(`| ${label} | ${fmt(median(xs), 2)} | ${xs.map((x) => fmt(x, 2)).join(", ")} |`);
      };
      p("| ratio, same round, against the faster raw copy run beside it | median | per round |");
      p("| --- | ---: | --- |");
      for (const path of paths) {
        const k = paths.length > 1 || path === "js" ? ` [${path}]` : "";
        row(`stream decode${k} / raw copy with fsync`, on("stream decode", path), synced, path);
        row(`stream decode${k} / raw copy without fsync`, on("stream decode", path), unsynced, path);
        row(`stream → seekable (fsync)${k} / raw copy with fsync`, on("stream → seekable (fsync)", path), synced, path);
        row(`stream → seekable (no fsync)${k} / raw copy without fsync`, on("stream → seekable", path), unsynced, path);
        row(`stream → seekable from a Readable (no fsync)${k} / raw copy without fsync`, on("stream → seekable, from a Readable", path), unsynced, path);
        row(`seekable → stream (fsync)${k} / raw copy with fsync`, on("seekable → stream (fsync)", path), synced, path);
        row(`stream encode (fsync)${k} / raw copy with fsync`, on("encode (fsync)", path), synced, path);
      }
      p();
      p(`Peak RSS, ${values["small-mib"]} MiB guest [${paths[0]}]: encode ${fmt(small!.encode.maxRssMiB)} MiB, decode ${fmt(small!.decode.maxRssMiB)} MiB, stream → seekable ${fmt(small!.convert.maxRssMiB)} MiB.`);
    }
    if (receiving.size > 0) {
      p();
      p(`Concurrent receiver (MigrationReceiver, ${receiveSync ? "fsync" : "no fsync"}), ${values["receive-mib"]} MiB guests sent over 127.0.0.1 by one sender process, ${rounds} rounds:`);
      p();
      p("| migrations | MiB/s aggregate, median | per round | receiver peak RSS MiB (max) | sender peak RSS MiB |");
      p("| --- | ---: | --- | ---: | ---: |");
      for (const [key, rs] of receiving) {
        const xs = rs.map((r) => rate(r.receiver));
        p(`| ${key} | ${fmt(median(xs))} | ${xs.map((x) => fmt(x)).join(", ")} | ${fmt(Math.max(...rs.map((r) => r.receiver.maxRssMiB)))} | ${fmt(Math.max(...rs.map((r) => r.sender.maxRssMiB)))} |`);
      }
      p();
      p("| aggregate rate, same round | median | per round |");
      p("| --- | ---: | --- |");
      for (const path of paths) {
        const k = paths.length > 1 || path === "js" ? ` [${path}]` : "";
        const many = receiving.get(on(`receive ${receivers} at once`, path)) ?? [];
        for (const other of ["1 alone", `${receivers} one at a time`]) {
          const base = receiving.get(on(`receive ${other}`, path)) ?? [];
          const xs = many.map((r, i) => rate(r.receiver) / rate(base[i]!.receiver));
          p(`| ${receivers} at once / ${other}${k} | ${fmt(median(xs), 2)} | ${xs.map((x) => fmt(x, 2)).join(", ")} |`);
        }
      }
    }
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
