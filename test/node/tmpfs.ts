import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { afterAll } from "vitest";

/**
 * Mounts a tmpfs of `size` (e.g. `1m`) on a fresh directory, unmounted and removed after the test file:
 * a disk that fills up for real. Needs root, as this project's machines and CI run tests; where it
 * cannot mount one the test file fails with the reason, so a missing full-disk check never passes
 * unnoticed as a skip.
 */
export function mountTmpfs(prefix: string, size: string): string {
  const dir = mkdtempSync(join(tmpdir(), `xenimage-${prefix}-`));
  const r = spawnSync("mount", ["-t", "tmpfs", "-o", `size=${size},mode=0755`, "tmpfs", dir], { encoding: "utf8" });
  if (r.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`cannot mount a tmpfs (${r.error?.message ?? r.stderr.trim()}): the full-disk tests need root`);
  }
  afterAll(() => {
    const u = spawnSync("umount", [dir], { encoding: "utf8" });
    if (u.status !== 0) spawnSync("umount", ["-l", dir]);
    rmSync(dir, { recursive: true, force: true });
  });
  return dir;
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
