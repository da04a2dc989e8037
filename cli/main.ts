#!/usr/bin/env node
/**
 * The xenimage command. Thin: it parses arguments, reads files and prints; the work is in runtime/ and
 * generated/. Exit codes: 0 ok, 1 invalid image, 2 usage error, 3 I/O error.
 */
import { mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { encodeImage } from "../generated/index.js";
import { XenImageError } from "../runtime/index.js";
import { ImageType } from "../generated/index.js";
import { syntheticCoreImage, syntheticGuest } from "../synthetic/guest.js";
import { writeFileAtomic } from "./files.js";
import { formatInspect, inspectImage } from "./inspect.js";
import { stringify } from "./json.js";

/** Exit codes, documented in --help and the README. */
export const EXIT = { ok: 0, invalid: 1, usage: 2, io: 3 } as const;

const HELP = `usage: xenimage <command> [options]

Commands:
  inspect FILE [--json]   print the header and the section table, with each body's CRC status, and
                          check the sections against the image-type rule
  demo [--out DIR]        write save images of synthetic PV x86_64, PV x86_32, HVM x86_64 and ARM guests
                          and a core image to DIR (default: demo), and inspect each

Options:
  --json      machine-readable output (64-bit integers as decimal strings, bytes as hex)
  --debug     print stack traces of unexpected errors
  -h, --help  this help
  --version   the version

Exit codes:
  0  success
  1  invalid image (bad magic, CRC mismatch, truncated, rule violation)
  2  usage error
  3  I/O error (missing file, a directory, no permission)`;

/** Where the command writes: injectable so tests can capture output without spawning. */
export interface Io {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
}

class UsageError extends Error {}

function isIoError(e: unknown): e is NodeJS.ErrnoException {
  return e instanceof Error && typeof (e as NodeJS.ErrnoException).code === "string" && (e as NodeJS.ErrnoException).syscall !== undefined;
}

async function inspect(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({ args, options: { json: { type: "boolean" } }, allowPositionals: true });
  if (positionals.length !== 1) throw new UsageError("inspect takes exactly one FILE");
  const file = positionals[0]!;
  const bytes = new Uint8Array(
    await readFile(file).catch((e: unknown) => {
      throw Object.assign(e as object, { path: file });
    }),
  );
  let report;
  try {
    report = inspectImage(bytes);
  } catch (e) {
    if (e instanceof XenImageError) throw Object.assign(e, { file });
    throw e;
  }
  io.out(values.json ? stringify(report) : formatInspect(report, file));
  for (const p of report.problems) io.err(`xenimage: ${file}: ${p}`);
  return report.problems.length === 0 ? EXIT.ok : EXIT.invalid;
}

async function demo(args: string[], io: Io): Promise<number> {
  const { values } = parseArgs({ args, options: { out: { type: "string", default: "demo" } } });
  const dir = values.out!;
  await mkdir(dir, { recursive: true });
  const options = { seed: 1, vcpus: 2 };
  const samples = [
    { file: "pv-x86_64-save.img", image: syntheticGuest("pv-x86_64", { ...options, name: "demo-pv64" }, ImageType.save) },
    { file: "pv-x86_32-save.img", image: syntheticGuest("pv-x86_32", { ...options, name: "demo-pv32" }, ImageType.save) },
    { file: "hvm-x86_64-save.img", image: syntheticGuest("hvm-x86_64", { ...options, name: "demo-hvm64" }, ImageType.save) },
    { file: "arm64-save.img", image: syntheticGuest("arm64", { ...options, name: "demo-arm64" }, ImageType.save) },
    { file: "pv-x86_64-core.img", image: syntheticCoreImage("pv-x86_64", { ...options, name: "demo-pv64" }) },
  ];
  let code: number = EXIT.ok;
  for (const { file, image } of samples) {
    const path = join(dir, file);
    const bytes = encodeImage(image);
    await writeFileAtomic(path, bytes);
    io.out(`wrote ${path} (${bytes.length} bytes)\n`);
    code = Math.max(code, await inspect([path], io));
    io.out("");
  }
  return code;
}

/** Runs the command line; returns the exit code. Errors become one line on stderr, never a stack trace. */
export async function main(argv: readonly string[], io: Io): Promise<number> {
  const args = [...argv];
  const debug = args.includes("--debug");
  const rest = args.filter((a) => a !== "--debug");
  const command = rest.shift();
  try {
    if (command === undefined || command === "-h" || command === "--help" || command === "help") {
      io.out(HELP);
      return command === undefined ? EXIT.usage : EXIT.ok;
    }
    if (rest.includes("-h") || rest.includes("--help")) {
      io.out(HELP);
      return EXIT.ok;
    }
    if (command === "--version") {
      const pkg = JSON.parse(await readFile(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };
      io.out(pkg.version);
      return EXIT.ok;
    }
    if (command === "inspect") return await inspect(rest, io);
    if (command === "demo") return await demo(rest, io);
    throw new UsageError(`unknown command "${command}"`);
  } catch (e) {
    if (e instanceof UsageError || (e instanceof TypeError && (e as { code?: string }).code?.startsWith("ERR_PARSE_ARGS"))) {
      io.err(`xenimage: ${e.message}\nRun 'xenimage --help' for usage.`);
      return EXIT.usage;
    }
    if (e instanceof XenImageError) {
      const file = (e as { file?: string }).file;
      io.err(`xenimage: ${file === undefined ? "" : `${file}: `}${e.message}`);
      if (debug) io.err(e.stack ?? "");
      return EXIT.invalid;
    }
    if (isIoError(e)) {
      io.err(`xenimage: ${e.path ?? ""}${e.path ? ": " : ""}${e.code === "EISDIR" ? "is a directory" : e.code === "ENOENT" ? "no such file" : e.message}`);
      if (debug) io.err(e.stack ?? "");
      return EXIT.io;
    }
    io.err(`xenimage: internal error: ${e instanceof Error ? e.message : String(e)}`);
    if (debug) io.err(e instanceof Error ? (e.stack ?? "") : "");
    return 70;
  }
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url === new URL(`file://${process.argv[1]}`).href;
if (invokedDirectly || process.argv[1]?.endsWith("/xenimage")) {
  process.exitCode = await main(process.argv.slice(2), {
    out: (t) => process.stdout.write(t + "\n"),
    err: (t) => process.stderr.write(t + "\n"),
  });
}
