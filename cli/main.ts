#!/usr/bin/env node
/**
 * The xenimage command. Thin: it parses arguments, reads and writes files and prints; the work is in
 * runtime/ and generated/. Exit codes: 0 ok, 1 invalid image, 2 usage error, 3 I/O error.
 */
import { crc32cKernel, XenImageError } from "../runtime/index.js";
import { annotate } from "./commands/annotate.js";
import { breaking } from "./commands/breaking.js";
import { build } from "./commands/build.js";
import { convert } from "./commands/convert.js";
import { demo } from "./commands/demo.js";
import { dump } from "./commands/dump.js";
import { inspect } from "./commands/inspect.js";
import { pages } from "./commands/pages.js";
import { receive } from "./commands/receive.js";
import { verify } from "./commands/verify.js";
import { runGenerator } from "./compiler.js";
import { EXIT, ioMessage, isIoError, UsageError } from "./errors.js";
import { exitOnClosedOutput, installInterruptHandlers, isClosedPipe } from "./interrupts.js";
import type { Io } from "./io.js";
import { commandHelp, HELP } from "./usage.js";
import { packageVersion } from "./version.js";

export { EXIT } from "./errors.js";
export type { Io } from "./io.js";

const COMMANDS: Record<string, (args: string[], io: Io) => Promise<number>> = {
  inspect,
  annotate,
  dump,
  build,
  verify,
  convert,
  pages,
  receive,
  demo,
  breaking,
  generate: async (args, io) => runGenerator("generate", args, io),
  docs: async (args, io) => runGenerator("docs", ["--docs-only", ...args], io),
};

/** `--version --json`: what a bug report needs, the checksum kernel included (native or JavaScript, and why). */
function versionJson(): string {
  return JSON.stringify({ version: packageVersion(), node: process.version, platform: `${process.platform}-${process.arch}`, crc32c: crc32cKernel }, null, 2);
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
      io.out(commandHelp(command));
      return EXIT.ok;
    }
    return await run(rest, io);
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`xenimage: ${e.message}\nRun 'xenimage ${e.command === undefined ? "" : `${e.command} `}--help' for usage.`);
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
  // Signals and a reader that stops early (`… | head`) end the command quietly, temporaries removed.
  installInterruptHandlers();
  process.exitCode = await main(process.argv.slice(2), {
    out: (t) => process.stdout.write(t + "\n"),
    err: (t) => process.stderr.write(t + "\n"),
    outBytes: (bytes) =>
      new Promise<void>((resolve, reject) => {
        process.stdout.write(bytes, (e) => (e ? (isClosedPipe(e) ? exitOnClosedOutput() : reject(e)) : resolve()));
      }),
    stdin: process.stdin,
    interactive: process.stderr.isTTY === true,
  });
}
