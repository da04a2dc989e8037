import { mkdir } from "node:fs/promises";
import { parseArgs } from "node:util";
import { checkedArgs } from "../args.js";
import { imageFormat, type ImageHeader } from "../../generated/index.js";
import { XenImageError } from "../../runtime/index.js";
import { MigrationReceiver, ReceiverClosedError, type MigrationResult } from "../../runtime/node/index.js";
import { takeOverSignals } from "../interrupts.js";
import { EXIT, UsageError } from "../errors.js";
import type { Io } from "../io.js";

const MIB = 1024 * 1024;

/** `HOST:PORT`, `[v6]:PORT` or `:PORT` (127.0.0.1). */
function parseListen(value: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(value);
  const port = m === null ? NaN : Number(m[3]);
  if (m === null || !Number.isInteger(port) || port > 65535) throw new UsageError(`--listen takes HOST:PORT (e.g. 127.0.0.1:8002, [::1]:8002); not "${value}"`);
  return { host: m[1] ?? (m[2] || "127.0.0.1"), port };
}

function positiveInteger(value: string | undefined, option: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1) throw new UsageError(`${option} takes a positive integer; not "${value}"`);
  return n;
}

/** One line per migration: text for people, one JSON object per line with --json. */
function report(result: MigrationResult<ImageHeader>, json: boolean): string {
  if (result.ok) {
    const { id, peer, path, header, sections, streamBytes, seconds } = result;
    if (json) return JSON.stringify({ event: "received", id, peer, path, domain: header.name, domainId: header.domainId, sections, streamBytes, seconds: Number(seconds.toFixed(3)) });
    return `received ${path}: ${(streamBytes / MIB).toFixed(1)} MiB, ${sections} sections in ${seconds.toFixed(2)} s (${(streamBytes / MIB / seconds).toFixed(0)} MiB/s) from ${peer}`;
  }
  const { id, peer, error, seconds } = result;
  const message = error instanceof Error ? error.message : String(error);
  if (json) {
    const where = error instanceof XenImageError ? { code: error.code, offset: error.offset, section: error.section } : { code: (error as { code?: string }).code };
    return JSON.stringify({ event: "failed", id, peer, seconds: Number(seconds.toFixed(3)), error: { message, ...where } });
  }
  return `failed #${id} from ${peer} after ${seconds.toFixed(2)} s: ${message}`;
}

/**
 * `xenimage receive --listen HOST:PORT --out DIR [--max N] [--count N] [--json]`: receives migration
 * streams over TCP, several at once, each into its own image file in DIR, named after the guest; one
 * line per migration that ended. Runs until SIGINT or SIGTERM (or --count migrations), then stops
 * listening and closes the migrations under way, which leave no file.
 */
export async function receive(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs(checkedArgs("receive", {
    args,
    options: {
      listen: { type: "string" },
      out: { type: "string" },
      max: { type: "string" },
      count: { type: "string" },
      "idle-timeout": { type: "string" },
      "no-sync": { type: "boolean", default: false },
      json: { type: "boolean", default: false },
    },
    allowPositionals: true,
  }));
  if (positionals.length > 0) throw new UsageError("receive takes no positional arguments");
  if (values.listen === undefined) throw new UsageError("receive needs --listen HOST:PORT");
  if (values.out === undefined) throw new UsageError("receive needs --out DIR");
  const { host, port } = parseListen(values.listen);
  const maxConcurrent = positiveInteger(values.max, "--max") ?? 8;
  const count = positiveInteger(values.count, "--count");
  const idle = values["idle-timeout"] === undefined ? 300 : Number(values["idle-timeout"]);
  if (!(idle >= 0)) throw new UsageError(`--idle-timeout takes seconds (0: none); not "${values["idle-timeout"]}"`);
  const dir = values.out;
  const json = values.json === true;
  try {
    await mkdir(dir, { recursive: true });
  } catch (e) {
    throw Object.assign(e as object, { path: dir });
  }

  let failed = 0;
  let ended = 0;
  let stop: (() => void) | undefined;
  const stopped = new Promise<void>((resolve) => (stop = resolve));
  const receiver = await MigrationReceiver.listen<ImageHeader>(imageFormat, {
    dir,
    host,
    port,
    maxConcurrent,
    idleTimeoutMs: idle * 1000,
    sync: !values["no-sync"],
    onResult: (result) => {
      io.out(report(result, json));
      if (!result.ok && !(result.error instanceof ReceiverClosedError)) failed++;
      if (count !== undefined && ++ended >= count) stop?.();
    },
  });
  const { address, port: bound } = receiver.address;
  io.err(`xenimage: listening on ${address.includes(":") ? `[${address}]` : address}:${bound}, writing to ${dir} (at most ${maxConcurrent} at once)`);
  // SIGINT and SIGTERM stop the receiver, which closes the migrations under way (leaving no file).
  const release = takeOverSignals(() => stop?.());
  try {
    await stopped;
    await receiver.close("abort");
  } finally {
    release();
  }
  return failed > 0 ? EXIT.invalid : EXIT.ok;
}
