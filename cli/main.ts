#!/usr/bin/env node
/**
 * The xenimage command. Thin: it parses arguments, reads and writes files and prints; the work is in
 * runtime/ and generated/. Exit codes: 0 ok, 1 invalid image, 2 usage error, 3 I/O error.
 */
import { packageVersion } from "../generator/package-version.js";
import { crc32cKernel, XenImageError } from "../runtime/index.js";
import { build } from "./commands/build.js";
import { convert } from "./commands/convert.js";
import { demo } from "./commands/demo.js";
import { dump } from "./commands/dump.js";
import { inspect } from "./commands/inspect.js";
import { pages } from "./commands/pages.js";
import { receive } from "./commands/receive.js";
import { verify } from "./commands/verify.js";
import { EXIT, UsageError } from "./errors.js";
import type { Io } from "./io.js";

export { EXIT } from "./errors.js";
export type { Io } from "./io.js";

const HELP = `usage: xenimage <command> [options]

Commands:
  inspect FILE [--json]            the header and the section table, each body's CRC status, and the
                                   check of the sections against the image-type rule
  dump FILE [--pages] [--section NAME…] [-o OUT]
                                   everything decoded, as JSON (64-bit integers as decimal strings,
                                   bytes as base64); page contents only with --pages
  build JSON -o FILE               the inverse: dump --pages, then build, reproduces the image byte for byte
  verify FILE [--json]             structure, CRCs, every section's layout and the image-type rules;
                                   prints every problem
  convert IN OUT [--to FORMAT]     between the seekable and streamed layouts (without decoding; a stream
                                   becomes a save file as it arrives), and from or to Xen's formats:
                                   FORMAT is seekable, streamed, xen-libxc, xen-libxl, xen-xl or
                                   dump-core; IN may be a Xen libxc/libxl stream, an xl save file or a
                                   dump-core file (detected); default: the other layout, or seekable
  pages FILE [--pfn N…] [-o DIR] [--json]
                                   list the guest's pages (pfn, type, section), or extract them to DIR
  receive --listen HOST:PORT --out DIR [--max N] [--count N] [--idle-timeout S] [--no-sync] [--json]
                                   receive migration streams over TCP, up to N at once (default 8), each
                                   into its own seekable image in DIR named NAME-domID-TIME-SEQ.img; one
                                   line per migration that ended; stops on SIGINT/SIGTERM or after
                                   --count migrations, closing those under way (they leave no file)
  demo [--out DIR]                 write save images of synthetic PV x86_64, PV x86_32, HVM x86_64 and
                                   ARM guests and a core image to DIR (default: demo), and inspect each
  generate [--check]               compile schema/*.yaml into generated/ and docs/ (for maintainers)
  docs                             regenerate the documentation only

FILE may be - for standard input; -o - writes to standard output.

Options:
  --json      machine-readable output (64-bit integers as decimal strings)
  --debug     print stack traces of unexpected errors
  -h, --help  this help
  --version   the version; with --json also the Node version and the CRC32C kernel in use
              (native, or js with the reason: XENIMAGE_CRC=js forces js)

Exit codes:
  0  success
  1  invalid image (bad magic, CRC mismatch, truncated, a broken image-type rule) or invalid JSON
  2  usage error
  3  I/O error (missing file, a directory, no permission)`;

const COMMANDS: Record<string, (args: string[], io: Io) => Promise<number>> = {
  inspect,
  dump,
  build,
  verify,
  convert,
  pages,
  receive,
  demo,
  generate: async (args, io) => (await import("../generator/main.js")).runGenerator(args, io.out, io.err),
  docs: async (args, io) => (await import("../generator/main.js")).runGenerator(["--docs-only", ...args], io.out, io.err),
};

/** `--version --json`: what a bug report needs, the checksum kernel included (native or JavaScript, and why). */
function versionJson(): string {
  return JSON.stringify({ version: packageVersion(), node: process.version, platform: `${process.platform}-${process.arch}`, crc32c: crc32cKernel }, null, 2);
}

function isIoError(e: unknown): e is NodeJS.ErrnoException {
  return e instanceof Error && typeof (e as NodeJS.ErrnoException).code === "string" && (e as NodeJS.ErrnoException).syscall !== undefined;
}

function ioMessage(e: NodeJS.ErrnoException): string {
  const what = e.code === "EISDIR" ? "is a directory" : e.code === "ENOENT" ? "no such file" : e.code === "EACCES" ? "permission denied" : e.message;
  return e.path ? `${e.path}: ${what}` : what;
}

/** Runs the command line; returns the exit code. Errors become one line on stderr, never a stack trace. */
export async function main(argv: readonly string[], io: Io): Promise<number> {
  const debug = argv.includes("--debug");
  const rest = argv.filter((a) => a !== "--debug");
  const command = rest.shift();
  try {
    if (command === undefined || command === "-h" || command === "--help" || command === "help") {
      io.out(HELP);
      return command === undefined ? EXIT.usage : EXIT.ok;
    }
    if (command === "--version") {
      if (rest.length > 0 && !(rest.length === 1 && rest[0] === "--json")) throw new UsageError("--version takes only --json");
      io.out(rest.includes("--json") ? versionJson() : packageVersion());
      return EXIT.ok;
    }
    const run = COMMANDS[command];
    if (run === undefined) throw new UsageError(`unknown command "${command}"`);
    if (rest.includes("-h") || rest.includes("--help")) {
      io.out(HELP);
      return EXIT.ok;
    }
    return await run(rest, io);
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
      io.err(`xenimage: ${ioMessage(e)}`);
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
  // A reader that stops early (`… | head`) is not an error of ours.
  process.stdout.on("error", (e: NodeJS.ErrnoException) => {
    if (e.code === "EPIPE") process.exit(process.exitCode ?? 0);
    throw e;
  });
  process.exitCode = await main(process.argv.slice(2), {
    out: (t) => process.stdout.write(t + "\n"),
    err: (t) => process.stderr.write(t + "\n"),
    outBytes: (bytes) =>
      new Promise<void>((resolve, reject) => {
        process.stdout.write(bytes, (e) => (e ? reject(e) : resolve()));
      }),
    stdin: process.stdin,
    interactive: process.stderr.isTTY === true,
  });
}
