/**
 * Compiles a benchmark and what it imports with tsc into `dir`, so its job processes run on plain
 * node: tsx's loader alone adds ~35 MiB to every process's RSS, which is not ours to report. The
 * runtime loads its CRC32C kernel through package.json "imports" (#crc32c-native), so the build gets
 * the same mapping, the plain-JS shims it points to, and the checkout's node_modules.
 */
import { execFileSync } from "node:child_process";
import { cpSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository's root. */
export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");

/** Compiles `bench/<tsconfig>` into `dir`; returns nothing, the caller knows its script's path there. */
export function compileJobs(tsconfig: string, dir: string): void {
  execFileSync(process.execPath, [join(ROOT, "node_modules/typescript/bin/tsc"), "-p", join(ROOT, "bench", tsconfig), "--noEmit", "false", "--outDir", dir, "--sourceMap", "false", "--declaration", "false"], { stdio: "inherit" });
  const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { imports: unknown };
  writeFileSync(join(dir, "package.json"), JSON.stringify({ type: "module", imports: pkg.imports }));
  cpSync(join(ROOT, "runtime/native"), join(dir, "runtime/native"), { recursive: true });
  symlinkSync(join(ROOT, "node_modules"), join(dir, "node_modules"));
}
