import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { imageFormat } from "../../generated/index.js";
import { streamToImageFile } from "../../runtime/node/index.js";
import { listing, tempDir } from "../node/tmp.js";
import { guestStream, sameBytes } from "../streams/helpers.js";

// The built command, as an operator runs it: a separate process listening on loopback, real sockets.
const BIN = join(process.cwd(), "dist/cli/main.js");
const root = tempDir("receive-cli");

interface Receiver {
  readonly child: ChildProcess;
  readonly port: number;
  readonly stdout: () => string;
  readonly exited: Promise<number | null>;
}

/** Starts `xenimage receive` on 127.0.0.1 with a port the system picks, read back from its stderr. */
async function start(out: string, ...extra: string[]): Promise<Receiver> {
  const child = spawn(process.execPath, [BIN, "receive", "--listen", "127.0.0.1:0", "--out", out, "--no-sync", ...extra], { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (d: Buffer) => (stdout += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const port = await new Promise<number>((resolve, reject) => {
    child.stderr!.on("data", (d: Buffer) => {
      stderr += d.toString();
      const m = /listening on 127\.0\.0\.1:(\d+)/.exec(stderr);
      if (m) resolve(Number(m[1]));
    });
    void exited.then((code) => reject(new Error(`receive exited with ${code}: ${stderr}`)));
  });
  return { child, port, stdout: () => stdout, exited };
}

function dial(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(port, "127.0.0.1", () => resolve(s));
    s.once("error", reject);
  });
}

const writeAll = (s: Socket, bytes: Uint8Array) => new Promise<void>((resolve, reject) => s.write(bytes, (e) => (e ? reject(e) : resolve())));

let guest: { bytes: Uint8Array; image: Buffer };
beforeAll(async () => {
  expect(existsSync(BIN), "build first: npm run build").toBe(true);
  const g = await guestStream({ seed: 21, name: "web01", memoryBytes: 32 * 4096, batchPages: 8, vcpus: 1 });
  const reference = join(root, "reference.img");
  await streamToImageFile(imageFormat, [g.bytes], reference, { sync: false });
  guest = { bytes: g.bytes, image: readFileSync(reference) };
});

describe("xenimage receive", () => {
  it("writes each migration to its own file and prints one JSON line per migration; a cut-off one leaves nothing and exits 1", async () => {
    const out = join(root, "json");
    const r = await start(out, "--count", "3", "--json");
    const good = await Promise.all([dial(r.port), dial(r.port)]);
    const cut = await dial(r.port);
    await writeAll(cut, guest.bytes.subarray(0, guest.bytes.length >> 1));
    for (const s of good) s.end(guest.bytes);
    cut.destroy();
    expect(await r.exited).toBe(1);
    const lines = r.stdout().trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(3);
    const received = lines.filter((l) => l.event === "received");
    expect(received).toHaveLength(2);
    for (const l of received) {
      expect(l).toMatchObject({ domain: "web01", streamBytes: guest.bytes.length });
      expect(sameBytes(readFileSync(l.path as string), guest.image)).toBe(true);
    }
    const failed = lines.find((l) => l.event === "failed")!;
    expect(failed.error).toMatchObject({ code: "truncated", section: expect.stringMatching(/#\d+$/) });
    expect(listing(out)).toEqual(received.map((l) => (l.path as string).slice(out.length + 1)).sort());
  });

  it("shuts down cleanly on SIGTERM: stops listening, closes the migration under way, leaves no file", async () => {
    const out = join(root, "signal");
    const r = await start(out);
    const s = await dial(r.port);
    await writeAll(s, guest.bytes.subarray(0, 60_000));
    // Wait until the header is in and the migration under way, then stop the receiver.
    await new Promise((resolve) => setTimeout(resolve, 500));
    r.child.kill("SIGTERM");
    expect(await r.exited).toBe(0);
    expect(r.stdout()).toMatch(/^failed #1 from 127\.0\.0\.1:\d+ after [\d.]+ s: the receiver was closed before the migration ended\n$/);
    expect(listing(out)).toEqual([]);
    s.destroy();
    await expect(dial(r.port)).rejects.toThrow(/ECONNREFUSED/);
  });

  it("prints a line for people without --json", async () => {
    const out = join(root, "text");
    const r = await start(out, "--count", "1");
    (await dial(r.port)).end(guest.bytes);
    expect(await r.exited).toBe(0);
    expect(r.stdout()).toMatch(/^received .*\/web01-dom\d+-\d{8}T\d{6}Z-1\.img: [\d.]+ MiB, \d+ sections in [\d.]+ s \(\d+ MiB\/s\) from 127\.0\.0\.1:\d+\n$/);
  });

  it("rejects bad usage with exit 2 and an address in use with exit 3", async () => {
    const dir = join(root, "usage");
    mkdirSync(dir, { recursive: true });
    const usage = (args: string[]) => spawnSync(process.execPath, [BIN, "receive", ...args], { encoding: "utf8" });
    expect(usage(["--out", dir]).status).toBe(2);
    expect(usage(["--listen", "127.0.0.1:0"]).status).toBe(2);
    expect(usage(["--listen", "nowhere", "--out", dir]).status).toBe(2);
    expect(usage(["--listen", "127.0.0.1:1", "--out", dir, "--max", "0"]).status).toBe(2);
    const busy = await start(join(root, "busy"));
    const clash = usage(["--listen", `127.0.0.1:${busy.port}`, "--out", dir]);
    expect(clash.status).toBe(3);
    expect(clash.stderr).toMatch(/EADDRINUSE/);
    busy.child.kill("SIGINT");
    expect(await busy.exited).toBe(0);
  });
});
