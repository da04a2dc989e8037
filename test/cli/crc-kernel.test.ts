import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { encodeImage, ImageType } from "../../generated/index.js";
import { syntheticGuest } from "../../synthetic/guest.js";
import { tempDir } from "../node/tmp.js";

// The built command (dist/), with the native CRC32C package available, forced off, and hidden as on a
// platform where it cannot load: every path must give the same bytes.
const BIN = join(process.cwd(), "dist/cli/main.js");

/**
 * Preloaded with --require: makes @node-rs/crc32 unresolvable, as when npm skipped the optional
 * dependency or no prebuilt binary exists for the platform.
 */
const HIDE = `const Module = require("node:module");
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  if (request === "@node-rs/crc32" || request.startsWith("@node-rs/crc32/")) {
    throw Object.assign(new Error("Cannot find module '" + request + "'"), { code: "MODULE_NOT_FOUND" });
  }
  return resolve.call(this, request, ...rest);
};
`;

const pkg = JSON.parse(readFileSync("package.json", "utf8")) as { version: string; optionalDependencies: Record<string, string> };

/** Whether the optional package loads here at all (on a platform without a prebuilt binary: no). */
function nativeLoads(): boolean {
  try {
    return typeof (createRequire(import.meta.url)("@node-rs/crc32") as { crc32c?: unknown }).crc32c === "function";
  } catch {
    return false;
  }
}

type Mode = "default" | "forced-js" | "hidden";

const dir = tempDir("crc-kernel");
const hide = join(dir, "hide-native-crc.cjs");

function run(mode: Mode, args: string[]) {
  const env = { ...process.env };
  delete env.XENIMAGE_CRC;
  if (mode === "forced-js") env.XENIMAGE_CRC = "js";
  const preload = mode === "hidden" ? ["--require", hide] : [];
  const r = spawnSync(process.execPath, [...preload, BIN, ...args], { env, encoding: "buffer", timeout: 120_000 });
  return { code: r.status, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

interface VersionReport {
  version: string;
  node: string;
  crc32c: { kernel: "native" | "js"; package?: string; reason?: string };
}

beforeAll(() => {
  expect(existsSync(BIN), "build first: npm run build").toBe(true);
  writeFileSync(hide, HIDE);
});

describe("xenimage --version --json", () => {
  it("reports the version, Node and the CRC32C kernel; XENIMAGE_CRC=js and a hidden package give js with the reason", () => {
    const reports = (["default", "forced-js", "hidden"] as const).map((mode) => {
      const r = run(mode, ["--version", "--json"]);
      expect(r.code, r.stderr).toBe(0);
      return JSON.parse(r.stdout) as VersionReport;
    });
    const [normal, forced, hidden] = reports as [VersionReport, VersionReport, VersionReport];
    expect(normal.version).toBe(pkg.version);
    expect(normal.node).toBe(process.version);
    // The default is the pinned native package wherever it loads (npm ci on Linux x64, the project's machines).
    const pinned = `@node-rs/crc32@${pkg.optionalDependencies["@node-rs/crc32"]}`;
    expect(normal.crc32c).toEqual(nativeLoads() ? { kernel: "native", package: pinned } : { kernel: "js", reason: expect.stringMatching(/^@node-rs\/crc32 /) });
    expect(forced.crc32c).toEqual({ kernel: "js", reason: "XENIMAGE_CRC=js" });
    expect(hidden.crc32c).toEqual({ kernel: "js", reason: "@node-rs/crc32 did not load (MODULE_NOT_FOUND)" });
  });

  it("--version takes no other option", () => {
    expect(run("default", ["--version", "--pages"]).code).toBe(2);
  });
});

describe("with the native package hidden", () => {
  let seekable: string;
  beforeAll(() => {
    seekable = join(dir, "guest.img");
    writeFileSync(seekable, encodeImage(syntheticGuest("pv-x86_64", { seed: 3, vcpus: 2, memoryBytes: 8 << 20 }, ImageType.save)));
  });

  it("converts and verifies, byte for byte as with the native kernel, and still catches a bad CRC", () => {
    const [native, hidden] = (["default", "hidden"] as const).map((mode) => {
      const stream = join(dir, `${mode}.stream`);
      const back = join(dir, `${mode}.img`);
      for (const args of [["convert", seekable, stream], ["convert", stream, back], ["verify", back]]) {
        const r = run(mode, args);
        expect(r.code, `${mode} ${args.join(" ")}: ${r.stderr}`).toBe(0);
      }
      return { stream: readFileSync(stream), back: readFileSync(back) };
    }) as [{ stream: Buffer; back: Buffer }, { stream: Buffer; back: Buffer }];
    expect(Buffer.compare(native.stream, hidden.stream)).toBe(0);
    expect(Buffer.compare(native.back, hidden.back)).toBe(0);
    expect(Buffer.compare(hidden.back, readFileSync(seekable))).toBe(0);

    // One flipped bit near the end of the stream: the JavaScript path rejects it as the native one does.
    const corrupt = Buffer.from(hidden.stream);
    const at = corrupt.length - 4096;
    corrupt[at] = corrupt[at]! ^ 0x10;
    writeFileSync(join(dir, "corrupt.stream"), corrupt);
    for (const mode of ["default", "hidden"] as const) {
      const r = run(mode, ["convert", join(dir, "corrupt.stream"), join(dir, `corrupt-${mode}.img`)]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/CRC mismatch/);
      expect(existsSync(join(dir, `corrupt-${mode}.img`))).toBe(false);
    }
  });
});
