/**
 * Writers cut short: killed (a temporary of the scheme is left, and the next write to the same file
 * removes it), interrupted by SIGTERM or SIGINT (nothing left, exit 143 or 130), or writing to a pipe
 * whose reader went away (`| head`: quiet, nothing left).
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { createWriteStream, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { pipeline } from "node:stream/promises";
import { Readable } from "node:stream";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { beforeAll, describe, expect, it } from "vitest";
import { encodeImage, ImageType, imageFormat } from "../../generated/index.js";
import { encodeStream } from "../../runtime/index.js";
import { writeImageFile } from "../../runtime/node/index.js";
import { syntheticGuest } from "../../synthetic/guest.js";
import { syntheticGuestStream } from "../../synthetic/stream.js";
import { streamBytes } from "../streams/helpers.js";
import { filesUnder, mountTmpfs, TEMPORARY } from "../node/tmpfs.js";

const BIN = join(process.cwd(), "dist/cli/main.js");

// The big inputs and outputs live in memory (a tmpfs), not on the disk.
const dir = mountTmpfs("interrupts", "1200m");
const path = (name: string) => join(dir, name);
const BIG = 256 * 1024 * 1024;

beforeAll(async () => {
  expect(existsSync(BIN), "build first: npm run build").toBe(true);
  const big = syntheticGuestStream({ seed: 8, memoryBytes: BIG, fill: "fast" });
  await writeImageFile(imageFormat, path("big.img"), { header: big.header, sections: big.sections }, { sync: false });
  const again = syntheticGuestStream({ seed: 8, memoryBytes: BIG, fill: "fast" });
  await pipeline(Readable.from(encodeStream(imageFormat, again.header, again.sections)), createWriteStream(path("big.stream")));
  const small = syntheticGuest("pv-x86_64", { seed: 8, vcpus: 2, memoryBytes: 64 * 4096 }, ImageType.save);
  writeFileSync(path("small.img"), encodeImage(small));
  writeFileSync(path("small.stream"), await streamBytes(imageFormat, small.header, small.sections));
}, 180_000);

/** The two ways a big conversion writes: through the output sink, and through the image writer. */
const CONVERSIONS = [
  { name: "seekable → streamed (output sink)", input: "big.img", small: "small.img", out: "out.stream", expected: "small.stream", to: "streamed" },
  { name: "streamed → seekable (image writer)", input: "big.stream", small: "small.stream", out: "out.img", expected: "small.img", to: "seekable" },
] as const;

/** A command started in the background, its stderr collected. */
function start(args: string[]): { child: ChildProcess; exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> } {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
  const exited = once(child, "close").then(([code, signal]) => ({ code: code as number | null, signal: signal as NodeJS.Signals | null, stderr }));
  return { child, exited };
}

/** The temporaries of `out` (in `sub`) made by process `pid`. */
function temporariesOf(sub: string, out: string, pid: number): string[] {
  return readdirSync(sub).filter((name) => name.startsWith(`.${out}.xenimage-`) && TEMPORARY.exec(name)?.[1] === String(pid));
}

/**
 * Waits until `child` has a temporary of `out` of at least `bytes` (it is mid-write); its name. Fails
 * if the child ends first: the conversion must still be running to be cut short.
 */
async function midWrite(child: ChildProcess, sub: string, out: string, bytes: number): Promise<string> {
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`the conversion ended (${child.exitCode ?? child.signalCode}) before it could be interrupted`);
    const [name] = temporariesOf(sub, out, child.pid!);
    if (name !== undefined && (statSync(join(sub, name), { throwIfNoEntry: false })?.size ?? 0) >= bytes) return name;
    await sleep(2);
  }
}

let runs = 0;
/** A fresh output directory for one run. */
function fresh(): string {
  const sub = path(`run-${++runs}`);
  mkdirSync(sub);
  return sub;
}

describe("a writer killed mid-write", () => {
  it.each(CONVERSIONS)("$name: SIGKILL leaves a temporary of the scheme; the next write to the file removes it", async (c) => {
    const sub = fresh();
    const out = join(sub, c.out);
    const { child, exited } = start(["convert", path(c.input), out, "--to", c.to]);
    const temporary = await midWrite(child, sub, c.out, 16 << 20);
    child.kill("SIGKILL");
    expect((await exited).signal).toBe("SIGKILL");
    // What a kill leaves: our temporary, named by its pid, and nothing under the final name.
    expect(readdirSync(sub)).toEqual([temporary]);
    expect(statSync(join(sub, temporary)).size).toBeGreaterThanOrEqual(16 << 20);

    const again = spawnSync(process.execPath, [BIN, "convert", path(c.small), out, "--to", c.to], { encoding: "utf8", timeout: 120_000 });
    expect(again.status, again.stderr).toBe(0);
    expect(readdirSync(sub)).toEqual([c.out]);
    expect(readFileSync(out).equals(readFileSync(path(c.expected)))).toBe(true);
  });
});

describe("a writer interrupted by a signal", () => {
  const cases = CONVERSIONS.flatMap((c) => [
    { ...c, signal: "SIGTERM" as const, code: 143 },
    { ...c, signal: "SIGINT" as const, code: 130 },
  ]);
  it.each(cases)("$name: $signal removes the temporary and exits $code", async (c) => {
    const sub = fresh();
    const out = join(sub, c.out);
    const { child, exited } = start(["convert", path(c.input), out, "--to", c.to]);
    await midWrite(child, sub, c.out, 16 << 20);
    child.kill(c.signal);
    const r = await exited;
    expect(r.code, r.stderr).toBe(c.code);
    expect(r.stderr).toBe("");
    expect(readdirSync(sub)).toEqual([]);
  });
});

describe("a live writer's temporary", () => {
  it("is never removed by another write to the same file, even while its process is stopped", async () => {
    const sub = fresh();
    const out = join(sub, "out.stream");
    const first = start(["convert", path("big.img"), out, "--to", "streamed"]);
    const temporary = await midWrite(first.child, sub, "out.stream", 1 << 20);
    first.child.kill("SIGSTOP");
    try {
      const second = spawnSync(process.execPath, [BIN, "convert", path("small.img"), out, "--to", "streamed"], { encoding: "utf8", timeout: 120_000 });
      expect(second.status, second.stderr).toBe(0);
      expect(readFileSync(out).equals(readFileSync(path("small.stream")))).toBe(true);
      expect(readdirSync(sub).sort()).toEqual([temporary, "out.stream"].sort());
    } finally {
      first.child.kill("SIGCONT");
    }
    const r = await first.exited;
    expect(r.code, r.stderr).toBe(0);
    // The first writer finished last: its whole image replaced the second one's.
    expect(readdirSync(sub)).toEqual(["out.stream"]);
    expect(statSync(out).size).toBe(statSync(path("big.stream")).size);
  });
});

describe("standard output closed by its reader (| head)", () => {
  /** Runs `command | head …` in bash; the exit code and stderr are xenimage's. */
  function piped(command: string[], head: string, env: NodeJS.ProcessEnv = {}) {
    const quoted = [process.execPath, BIN, ...command].map((a) => `'${a}'`).join(" ");
    const r = spawnSync("bash", ["-c", `${quoted} | ${head} > /dev/null; exit \${PIPESTATUS[0]}`], { encoding: "utf8", timeout: 120_000, env: { ...process.env, ...env } });
    return { code: r.status, stderr: r.stderr };
  }

  // Whether the reader is gone before the last write depends on timing: a cut-short run exits 141
  // (128 + SIGPIPE, as a shell reports a tool the pipe killed), one that got all out exits 0.
  it("xenimage demo | head -1: exit 141 (or 0), no message, no temporary", () => {
    const sub = fresh();
    const r = piped(["demo", "--out", sub], "head -1");
    expect(r.stderr).toBe("");
    expect([0, 141]).toContain(r.code);
    // Some demo files are written, whole (renamed into place), the rest never started.
    const written = filesUnder(sub);
    expect(written.length).toBeGreaterThan(0);
    for (const name of written) expect(name).toMatch(/^[a-z0-9_-]+-(save|core)\.img$/);
  });

  it("xenimage dump FILE | head -1: exit 141 (or 0), no message", () => {
    const r = piped(["dump", "--pages", path("small.img")], "head -1");
    expect(r.stderr).toBe("");
    expect([0, 141]).toContain(r.code);
  });

  it("xenimage convert STREAM - | head -c 1: exit 141, no message, its scratch file removed", () => {
    const scratch = fresh();
    const r = piped(["convert", path("small.stream"), "-", "--to", "seekable"], "head -c 1", { TMPDIR: scratch });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(141);
    expect(readdirSync(scratch)).toEqual([]);
  });
});
