/**
 * Xen's own tools, as Debian's xen-utils-4.17 installs them, run by the tests: the stream verifier
 * (verify-stream-v2), the legacy stream converter (convert-legacy-stream) and libxl's uuid parser
 * (libxl_uuid_from_string in libxenlight, called through Python's ctypes). Each runs on a temporary file
 * that is removed afterwards.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** The newest installed Xen tools folder that has the verifier (e.g. /usr/lib/xen-4.17). */
export function xenTools(): string {
  const dirs = existsSync("/usr/lib") ? readdirSync("/usr/lib").filter((d) => /^xen-\d+\.\d+$/.test(d)).sort() : [];
  for (const d of dirs.reverse()) if (existsSync(join("/usr/lib", d, "bin", "verify-stream-v2"))) return join("/usr/lib", d);
  throw new Error("Xen's verify-stream-v2 is not installed: apt-get install xen-utils-4.17 (Debian), as scripts/test-tools.sh does");
}

function python(script: string, args: string[]): { status: number | null; stdout: string; stderr: string } {
  const tools = xenTools();
  const r = spawnSync("python3", [join(tools, "bin", script), ...args], { env: { ...process.env, PYTHONPATH: join(tools, "lib", "python") }, maxBuffer: 1 << 24 });
  return { status: r.status, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

function withTempDir<T>(run: (dir: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), "xenimage-xen-"));
  try {
    return run(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs verify-stream-v2 on a file holding `bytes` (from a pipe it may read short and report truncation). */
export function verifyStreamV2(bytes: Uint8Array, format: "libxc" | "libxl" | "xl"): { status: number | null; stderr: string } {
  return withTempDir((dir) => {
    const file = join(dir, "stream");
    writeFileSync(file, bytes);
    const r = python("verify-stream-v2", ["-f", format, "-i", file]);
    return { status: r.status, stderr: r.stderr };
  });
}

/** Options of convert-legacy-stream: the legacy toolstack's width, the guest type, the output layer. */
export interface LegacyConversion {
  readonly width: 32 | 64;
  readonly guest: "pv" | "hvm";
  readonly format: "libxc" | "libxl";
  /** Leave QEMU's record at the end of an HVM stream unread (--skip-qemu). */
  readonly skipQemu?: boolean;
}

/** Runs Xen's convert-legacy-stream on a legacy stream; throws with its stderr when it fails. */
export function convertLegacyStream(legacy: Uint8Array, o: LegacyConversion): Uint8Array {
  return withTempDir((dir) => {
    const input = join(dir, "legacy");
    const output = join(dir, "v2");
    writeFileSync(input, legacy);
    const r = python("convert-legacy-stream", ["-i", input, "-o", output, "-w", String(o.width), "-g", o.guest, "-f", o.format, ...(o.skipQemu === true ? ["--skip-qemu"] : [])]);
    if (r.status !== 0) throw new Error(`convert-legacy-stream failed (${r.status}): ${r.stderr}`);
    return new Uint8Array(readFileSync(output));
  });
}

/** libxl's own uuid parser (libxl_uuid_from_string): whether it accepts each string. */
export function libxlParsesUuids(uuids: readonly string[]): boolean[] {
  const script = [
    "import ctypes, json, sys",
    "lib = ctypes.CDLL('libxenlight.so.4.17')",
    "buf = ctypes.create_string_buffer(16)",
    "print(json.dumps([lib.libxl_uuid_from_string(buf, s.encode()) == 0 for s in json.loads(sys.argv[1])]))",
  ].join("\n");
  const r = spawnSync("python3", ["-c", script, JSON.stringify(uuids)], { maxBuffer: 1 << 20 });
  if (r.status !== 0) throw new Error(`libxenlight's libxl_uuid_from_string could not be called: ${r.stderr.toString()}`);
  return JSON.parse(r.stdout.toString()) as boolean[];
}
