import { spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  AtomicFile,
  cleanupTemporaries,
  FileWriteError,
  liveTemporaries,
  removeStaleTemporaries,
  removeStaleTemporariesIn,
  temporaryPath,
  writeFileAtomic,
} from "../../runtime/node/index.js";
import { rejection } from "../streams/helpers.js";
import { listing, tempDir } from "./tmp.js";
import { TEMPORARY } from "./tmpfs.js";

const dir = tempDir("atomic");
let n = 0;
/** A fresh, empty directory for one test. */
function fresh(): string {
  const sub = join(dir, String(++n));
  mkdirSync(sub);
  return sub;
}

/** The host part of this machine's temporary names, read off a real one. */
const host = /\.xenimage-([A-Za-z0-9._]+)-\d+-[0-9a-f]{12}\.tmp$/.exec(temporaryPath(join(dir, "x")))![1]!;

/** A pid that was alive a moment ago and is gone now (its process exited and was reaped). */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ["-e", ""]);
  await once(child, "exit");
  return child.pid!;
}

/** A process that stays alive until the test file ends. */
const sleeper = spawn(process.execPath, ["-e", "setTimeout(() => {}, 600000)"], { stdio: "ignore" });
afterAll(() => {
  sleeper.kill("SIGKILL");
});

describe("AtomicFile", () => {
  it("writes under one recognisable temporary name beside the destination, renames on commit", async () => {
    const sub = fresh();
    const dest = join(sub, "guest.img");
    const file = await AtomicFile.open(dest);
    expect(dirname(file.tempPath)).toBe(sub);
    expect(basename(file.tempPath)).toMatch(TEMPORARY);
    expect(basename(file.tempPath).startsWith(".guest.img.xenimage-")).toBe(true);
    expect(TEMPORARY.exec(basename(file.tempPath))![1]).toBe(String(process.pid));
    expect(liveTemporaries()).toContain(file.tempPath);
    await file.write(Uint8Array.of(1, 2, 3));
    await file.write(Uint8Array.of(9), 10);
    await file.writev([Uint8Array.of(4), new Uint8Array(0), Uint8Array.of(5, 6)]);
    expect(file.size).toBe(14);
    expect(existsSync(dest)).toBe(false);
    await file.commit();
    expect(readFileSync(dest)).toEqual(Buffer.from([1, 2, 3, 0, 0, 0, 0, 0, 0, 0, 9, 4, 5, 6]));
    expect(listing(sub)).toEqual(["guest.img"]);
    expect(liveTemporaries()).not.toContain(file.tempPath);
    await expect(file.write(Uint8Array.of(1))).rejects.toThrowError(`${dest}: the file is already committed (ECANCELED)`);
  });

  it("abort removes the temporary and keeps the previous file; twice is harmless", async () => {
    const sub = fresh();
    const dest = join(sub, "keep.txt");
    writeFileSync(dest, "previous");
    const file = await AtomicFile.open(dest);
    await file.write(new TextEncoder().encode("next, never seen"));
    await file.abort();
    await file.abort();
    expect(listing(sub)).toEqual(["keep.txt"]);
    expect(readFileSync(dest, "utf8")).toBe("previous");
    expect(liveTemporaries()).toEqual([]);
  });

  it("keeps the mode asked for, and the data of many concurrent positional writes", async () => {
    const sub = fresh();
    const dest = join(sub, "modes");
    const file = await AtomicFile.open(dest, { mode: 0o600 });
    const parts = Array.from({ length: 64 }, (_, i) => new Uint8Array(1000).fill(i));
    await Promise.all(parts.map((p, i) => file.write(p, i * 1000)));
    await file.commit();
    const bytes = readFileSync(dest);
    expect(bytes.length).toBe(64_000);
    expect(parts.every((p, i) => bytes.subarray(i * 1000, (i + 1) * 1000).equals(p))).toBe(true);
    expect(statSync(dest).mode & 0o777).toBe(0o600);
  });

  it("a destination that cannot be created: a FileWriteError naming it, not the temporary", async () => {
    const dest = join(dir, "no-such-dir", "out.img");
    const e = (await rejection(() => writeFileAtomic(dest, "x"))) as FileWriteError;
    expect(e).toBeInstanceOf(FileWriteError);
    expect(e.code).toBe("ENOENT");
    expect(e.syscall).toBe("open");
    expect(e.path).toBe(dest);
    expect(e.message).toBe(`${dest}: no such file or directory (ENOENT)`);
    expect(liveTemporaries()).toEqual([]);
  });

  it("a directory under the final name: the rename fails, the temporary is removed", async () => {
    const sub = fresh();
    const dest = join(sub, "taken");
    mkdirSync(join(dest, "inside"), { recursive: true });
    const e = (await rejection(() => writeFileAtomic(dest, "x"))) as FileWriteError;
    expect(e.code).toBe("EISDIR");
    expect(e.syscall).toBe("rename");
    expect(e.message).toBe(`${dest}: illegal operation on a directory (EISDIR)`);
    expect(listing(sub)).toEqual(["taken"]);
  });

  it("a final name too long for a temporary beside it still gets one (the name is shortened)", async () => {
    const sub = fresh();
    const dest = join(sub, `${"é".repeat(100)}.img`); // 204 bytes: with the scheme's suffix, over 255
    const file = await AtomicFile.open(dest);
    expect(Buffer.byteLength(basename(file.tempPath))).toBeLessThanOrEqual(255);
    expect(basename(file.tempPath)).toMatch(TEMPORARY);
    await file.write(Uint8Array.of(7));
    await file.commit();
    expect(listing(sub)).toEqual([basename(dest)]);
  });

  it("cleanupTemporaries removes every live temporary at once; their writers are then aborted", async () => {
    const sub = fresh();
    const a = await AtomicFile.open(join(sub, "a"));
    const b = await AtomicFile.open(join(sub, "b"));
    await a.write(Uint8Array.of(1));
    expect(listing(sub)).toHaveLength(2);
    expect(cleanupTemporaries().sort()).toEqual([a.tempPath, b.tempPath].sort());
    expect(listing(sub)).toEqual([]);
    expect(liveTemporaries()).toEqual([]);
    const e = (await rejection(() => a.write(Uint8Array.of(2)))) as FileWriteError;
    expect(e.code).toBe("ECANCELED");
    await expect(b.commit()).rejects.toThrowError(/aborted \(ECANCELED\)/);
    expect(listing(sub)).toEqual([]);
  });
});

describe("stale temporaries", () => {
  /** A temporary of `dest` as another process (or host) would have left it. */
  function leftBehind(dest: string, who: { host?: string; pid: number }, fill = "x"): string {
    const path = join(dirname(dest), `.${basename(dest)}.xenimage-${who.host ?? host}-${who.pid}-0123456789ab.tmp`);
    writeFileSync(path, fill);
    return path;
  }

  it("the next write to the destination removes those of dead processes, never a live one's", async () => {
    const sub = fresh();
    const dest = join(sub, "guest.img");
    const dead = leftBehind(dest, { pid: await deadPid() });
    const dead2 = leftBehind(dest, { pid: await deadPid() });
    const live = leftBehind(dest, { pid: sleeper.pid! });
    const otherHost = leftBehind(dest, { host: `other_${host}`, pid: await deadPid() });
    // Our pid: maybe another worker thread's (each thread has its own registry), so never removed.
    const ownPid = leftBehind(dest, { pid: process.pid });
    const otherDestination = leftBehind(join(sub, "other.img"), { pid: await deadPid() });
    const notOurs = join(sub, ".guest.img.12345.tmp"); // another program's scheme: not ours to judge
    writeFileSync(notOurs, "?");
    await writeFileAtomic(dest, "new");
    expect(readFileSync(dest, "utf8")).toBe("new");
    for (const p of [dead, dead2]) expect(existsSync(p), p).toBe(false);
    for (const p of [live, ownPid, otherHost, otherDestination, notOurs]) expect(existsSync(p), p).toBe(true);
  });

  it("a live temporary of this process is kept", async () => {
    const sub = fresh();
    const dest = join(sub, "guest.img");
    const mine = await AtomicFile.open(dest);
    await mine.write(Uint8Array.of(1, 2));
    expect(await removeStaleTemporaries(dest)).toEqual([]);
    await writeFileAtomic(dest, "another writer of the same file");
    expect(existsSync(mine.tempPath)).toBe(true);
    await mine.commit();
    expect(readFileSync(dest)).toEqual(Buffer.from([1, 2]));
    expect(listing(sub)).toEqual(["guest.img"]);
  });

  it("removeStaleTemporariesIn clears a whole directory of dead processes' temporaries", async () => {
    const sub = fresh();
    const pid = await deadPid();
    const stale = ["a.page", "b.page", "c.page"].map((name) => leftBehind(join(sub, name), { pid }));
    const live = leftBehind(join(sub, "d.page"), { pid: sleeper.pid! });
    expect((await removeStaleTemporariesIn(sub)).sort()).toEqual(stale.sort());
    expect(listing(sub)).toEqual([basename(live)]);
  });

  it("opening with removeStale: false leaves them for the caller", async () => {
    const sub = fresh();
    const dest = join(sub, "guest.img");
    const dead = leftBehind(dest, { pid: await deadPid() });
    await writeFileAtomic(dest, "x", { removeStale: false });
    expect(existsSync(dead)).toBe(true);
  });
});
