import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { afterAll } from "vitest";

/** A small file system of its own (tmpfs), or why there is none. */
export type Tmpfs = { readonly dir: string; readonly reason?: undefined } | { readonly dir?: undefined; readonly reason: string };

/**
 * Mounts a tmpfs of `size` (e.g. `1m`) on a fresh directory, unmounted and removed after the test file:
 * a disk that fills up for real. Needs root (these machines run tests as root); when mounting fails
 * as root or in CI, that throws; elsewhere the reason is printed and returned, so the caller can skip.
 */
export function mountTmpfs(prefix: string, size: string): Tmpfs {
  const dir = mkdtempSync(join(tmpdir(), `xenimage-${prefix}-`));
  const r = spawnSync("mount", ["-t", "tmpfs", "-o", `size=${size},mode=0755`, "tmpfs", dir], { encoding: "utf8" });
  if (r.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    const reason = `cannot mount a tmpfs (${r.error?.message ?? r.stderr.trim()}): the full-disk tests need root`;
    // Where the tests can mount one (root, as on this project's machines and in CI), failing to is a
    // failure, not a reason to skip: only a developer's unprivileged run may go without them.
    if (process.env.CI === "true" || process.getuid?.() === 0) throw new Error(reason);
    console.warn(`skipped: ${reason}`);
    return { reason };
  }
  afterAll(() => {
    const u = spawnSync("umount", [dir], { encoding: "utf8" });
    if (u.status !== 0) spawnSync("umount", ["-l", dir]);
    rmSync(dir, { recursive: true, force: true });
  });
  return { dir };
}

/** Every file under `dir` (relative paths, sorted): to check that nothing was left behind. */
export function filesUnder(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const path = join(d, name);
      if (statSync(path).isDirectory()) walk(path);
      else out.push(relative(dir, path));
    }
  };
  walk(dir);
  return out.sort();
}

/** Empties `dir` (a tmpfs between cases), keeping the mount point. */
export function emptyDir(dir: string): void {
  for (const name of readdirSync(dir)) rmSync(join(dir, name), { recursive: true, force: true });
}

/** Names of the atomic-write scheme's temporaries: `.<name>.xenimage-<host>-<pid>-<random>.tmp`. */
export const TEMPORARY = /^\..+\.xenimage-[A-Za-z0-9._]+-(\d+)-[0-9a-f]{12}\.tmp$/;
