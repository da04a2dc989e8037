import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// A downstream project outside the repository, as an integrator would make it: the package installed
// from the tarball `npm pack` makes, nothing else. What it gets (dependencies, size), whether our types
// check in a project without the DOM library, and whether a Node script in it decodes every demo image.
// The install is offline-first (npm's cache has every dependency after the repository's own install).

const root = process.cwd();
const scratch = mkdtempSync(join(tmpdir(), "xenimage-consumer-"));
const project = join(scratch, "app");
const pkg = JSON.parse(readFileSync("package.json", "utf8")) as { version: string; optionalDependencies?: Record<string, string> };
let tarball = "";

function run(command: string, args: readonly string[], cwd = project): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(command, args, { cwd, encoding: "utf8", timeout: 240_000, env: { ...process.env, npm_config_audit: "false", npm_config_fund: "false", npm_config_update_notifier: "false" } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Bytes under a folder, symbolic links not followed. */
function du(dir: string): number {
  let total = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, e.name);
    if (e.isDirectory()) total += du(path);
    else if (e.isFile()) total += statSync(path).size;
  }
  return total;
}

beforeAll(() => {
  // The package as published: npm pack of the built repository (npm test builds it first).
  const packed = JSON.parse(execFileSync("npm", ["pack", "--json", "--pack-destination", scratch], { cwd: root, encoding: "utf8" })) as { filename: string }[];
  tarball = join(scratch, packed[0]!.filename);
  mkdirSync(project);
  writeFileSync(join(project, "package.json"), JSON.stringify({ name: "downstream", version: "1.0.0", private: true, type: "module" }, null, 2));
  const install = run("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", tarball]);
  expect(install.status, install.stderr).toBe(0);
}, 300_000);

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe("the npm package, from its tarball", () => {
  it("ships only what a consumer needs: built code and types, README, LICENSE; no sources, maps, tests or schemas", () => {
    const files = execFileSync("tar", ["-tzf", tarball], { encoding: "utf8" }).trim().split("\n");
    expect(files).toContain("package/LICENSE");
    expect(files).toContain("package/README.md");
    expect(files).toContain("package/dist/index.js");
    expect(files).toContain("package/dist/index.d.ts");
    // runtime/native holds the two plain-JavaScript CRC32C shims the package's "imports" map points at.
    expect(files.filter((f) => /\.map$|\.ts$(?<!\.d\.ts)|^package\/(test|bench|schema|generator|runtime(?!\/native\/)|generated)\//.test(f))).toEqual([]);
    expect(files).toContain("package/runtime/native/crc32c.node.js");
    expect(files.filter((f) => f.startsWith("package/dist/generator/"))).toEqual([]);
  });

  it("installs nothing besides xenimage, its progress bar and the optional native CRC32C", () => {
    const ls = run("npm", ["ls", "--all", "--omit=dev", "--json"]);
    expect(ls.status, ls.stderr).toBe(0);
    const tree = JSON.parse(ls.stdout) as { dependencies: Record<string, { dependencies?: Record<string, unknown> }> };
    expect(Object.keys(tree.dependencies)).toEqual(["xenimage"]);
    const allowed = ["cli-progress", ...Object.keys(pkg.optionalDependencies ?? {})];
    expect(Object.keys(tree.dependencies.xenimage!.dependencies ?? {}).filter((d) => !allowed.includes(d))).toEqual([]);
    // Nothing of the compiler's tools came along.
    for (const heavy of ["typescript", "ts-morph", "prettier", "ajv", "yaml", "@xenimage/compiler"]) expect(ls.stdout).not.toContain(`"${heavy}"`);
  });

  it("takes at most 5 MB of node_modules", () => {
    expect(du(join(project, "node_modules"))).toBeLessThanOrEqual(5 * 1024 * 1024);
  });

  it("typechecks in a project with lib ES2022 and no DOM, strict, our declarations included", () => {
    writeFileSync(
      join(project, "tsconfig.json"),
      JSON.stringify({ compilerOptions: { target: "ES2022", lib: ["ES2022"], types: [], module: "NodeNext", moduleResolution: "NodeNext", strict: true, noEmit: true, skipLibCheck: false }, include: ["check.ts"] }),
    );
    writeFileSync(
      join(project, "check.ts"),
      [
        'import { ByteReader, decodeImage, DecodeError, decodeStream, imageFormat, writeStream, type DecodeErrorCode, type Image, type ImageHeader, type KnownSection } from "xenimage";',
        'import { decodeCpuidLeaf, viewCpuidLeaf, type CpuidLeaf } from "xenimage/x86";',
        "export function sections(bytes: Uint8Array): string[] {",
        "  const image: Image = decodeImage(bytes);",
        "  return image.sections.map((s) => s.type);",
        "}",
        "export function leaf(bytes: Uint8Array): CpuidLeaf {",
        "  return viewCpuidLeaf(new ByteReader(bytes)).eax === 0 ? decodeCpuidLeaf(new ByteReader(bytes)) : decodeCpuidLeaf(new ByteReader(bytes));",
        "}",
        "export function code(e: unknown): DecodeErrorCode | undefined {",
        "  return e instanceof DecodeError ? e.code : undefined;",
        "}",
        "export const api = [decodeStream<ImageHeader, KnownSection>, writeStream, imageFormat];",
      ].join("\n"),
    );
    const tsc = run(process.execPath, [join(root, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.json"]);
    expect(tsc.stdout + tsc.stderr).toBe("");
    expect(tsc.status).toBe(0);
  });

  it("decodes every demo image in a Node script (the demo images written by the installed command)", () => {
    const demo = run(process.execPath, ["node_modules/xenimage/dist/cli/main.js", "demo", "--out", "demo"]);
    expect(demo.status, demo.stderr).toBe(0);
    const images = readdirSync(join(project, "demo")).filter((f) => f.endsWith(".img")).sort();
    expect(images.length).toBeGreaterThanOrEqual(5);
    writeFileSync(
      join(project, "decode.mjs"),
      [
        'import { readFileSync, readdirSync } from "node:fs";',
        'import { decodeImage, verifyImage } from "xenimage";',
        'for (const f of readdirSync("demo").filter((f) => f.endsWith(".img")).sort()) {',
        '  const image = decodeImage(readFileSync(`demo/${f}`));',
        "  console.log(`${f} ${image.header.name} ${image.sections.length} ${verifyImage(image).length}`);",
        "}",
      ].join("\n"),
    );
    const r = run(process.execPath, ["decode.mjs"]);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const lines = r.stdout.trim().split("\n");
    expect(lines.map((l) => l.split(" ")[0])).toEqual(images);
    for (const line of lines) {
      const [, name, count, violations] = line.split(" ");
      expect(name).toMatch(/^demo-/);
      expect(Number(count)).toBeGreaterThan(3);
      expect(violations).toBe("0");
    }
  });

  it("can be loaded with require() on this Node 20 (require of ES modules)", () => {
    const r = run(process.execPath, ["-e", 'const x = require("xenimage"); const y = require("xenimage/x86"); console.log(typeof x.decodeImage, typeof y.decodeCpuidLeaf)']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe("function function");
  });

  it("says in one line how to get the compiler when `xenimage generate` runs without it", () => {
    const r = run(process.execPath, ["node_modules/xenimage/dist/cli/main.js", "generate", "--check"]);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr.trim().split("\n")).toEqual([`xenimage: generate needs the schema compiler, which is not installed: npm install --save-dev @xenimage/compiler@${pkg.version}`]);
  });

  it("says the same for `xenimage breaking`, whose checker is the compiler's", () => {
    const r = run(process.execPath, ["node_modules/xenimage/dist/cli/main.js", "breaking", "--against", "old"]);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr.trim().split("\n")).toEqual([`xenimage: breaking needs the schema compiler, which is not installed: npm install --save-dev @xenimage/compiler@${pkg.version}`]);
  });
});

describe("a schema maintainer's project: both packages from their tarballs", () => {
  const maintainer = join(scratch, "maintainer");

  it("xenimage generate loads the installed compiler, whose codecs (importing xenimage/runtime) compile and run", () => {
    const packed = JSON.parse(execFileSync("npm", ["pack", "--json", "--pack-destination", scratch, "-w", "generator"], { cwd: root, encoding: "utf8" })) as { filename: string }[];
    mkdirSync(maintainer);
    writeFileSync(join(maintainer, "package.json"), JSON.stringify({ name: "maintainer", version: "1.0.0", private: true, type: "module" }));
    const install = run("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", tarball, join(scratch, packed[0]!.filename)], maintainer);
    expect(install.status, install.stderr).toBe(0);
    cpSync("test/generator/fixtures/golden/schema", join(maintainer, "schema"), { recursive: true });
    const cli = join(maintainer, "node_modules/xenimage/dist/cli/main.js");
    const generate = run(process.execPath, [cli, "generate", "--schema", "schema", "--out", "src/gen", "--docs", "docs", "--runtime", "xenimage/runtime"], maintainer);
    expect(generate.stderr).toBe("");
    expect(generate.status).toBe(0);
    expect(readFileSync(join(maintainer, "src/gen/schema.ts"), "utf8")).toContain('from "xenimage/runtime"');
    expect(readFileSync(join(maintainer, "docs/hex-dump.md"), "utf8")).toContain("--- end of image");
    writeFileSync(
      join(maintainer, "tsconfig.json"),
      JSON.stringify({ compilerOptions: { target: "ES2022", lib: ["ES2022"], types: [], module: "NodeNext", moduleResolution: "NodeNext", strict: true, rootDir: "src", outDir: "out", skipLibCheck: false }, include: ["src"] }),
    );
    const tsc = run(process.execPath, [join(root, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.json"], maintainer);
    expect(tsc.stdout + tsc.stderr).toBe("");
    writeFileSync(
      join(maintainer, "roundtrip.mjs"),
      [
        'import { ByteReader, ByteWriter } from "xenimage";',
        'import { decodeStruct } from "xenimage/reflect";',
        'import * as gen from "./out/gen/index.js";',
        'import { schema } from "./out/gen/schema.js";',
        "const w = new ByteWriter();",
        "gen.encodeBoxEntry(w, { type: 1, flags: 0, offset: 2n, size: 3n, entryCount: 0n, entrySize: 0, align: 8, crc: 5, entryCrc: 6 });",
        'console.log(JSON.stringify(decodeStruct(schema.struct("box_entry"), new ByteReader(w.finish())), (k, v) => (typeof v === "bigint" ? `${v}n` : v)));',
      ].join("\n"),
    );
    const r = run(process.execPath, ["roundtrip.mjs"], maintainer);
    expect(r.stderr).toBe("");
    expect(r.stdout.trim()).toBe('{"type":1,"flags":0,"offset":"2n","size":"3n","entryCount":"0n","entrySize":0,"align":8,"crc":5,"entryCrc":6}');
  });

  it("xenimage breaking runs on the installed compiler: a renamed field is source-breaking (exit 4)", () => {
    cpSync(join(root, "test/breaking/fixtures/field-renamed"), join(maintainer, "renamed"), { recursive: true });
    const cli = join(maintainer, "node_modules/xenimage/dist/cli/main.js");
    const r = run(process.execPath, [cli, "breaking", "--against", "old", "--schemas", "new"], join(maintainer, "renamed"));
    expect(r.stderr).toBe("");
    expect(r.status).toBe(4);
    expect(r.stdout.split("\n")[0]).toBe("new/f.yaml:7:9: source-breaking: rec.x is now rec.y [field-renamed] (old: old/f.yaml:7:9)");
  });
});

describe("the compiler's npm package", () => {
  it("ships its built code and declares xenimage a peer, with the heavy tools as its own dependencies", () => {
    const out = JSON.parse(execFileSync("npm", ["pack", "--dry-run", "--json", "-w", "generator"], { cwd: root, encoding: "utf8" })) as { files: { path: string }[] }[];
    const files = out[0]!.files.map((f) => f.path);
    expect(files).toContain("dist/index.js");
    expect(files).toContain("dist/emit/format-worker.mjs");
    expect(files).toContain("LICENSE");
    expect(files.filter((f) => /\.ts$(?<!\.d\.ts)|\.map$/.test(f))).toEqual([]);
    const manifest = JSON.parse(readFileSync(resolve("generator/package.json"), "utf8")) as { dependencies: Record<string, string>; peerDependencies: Record<string, string> };
    expect(Object.keys(manifest.dependencies).sort()).toEqual(["ajv", "prettier", "ts-morph", "yaml"]);
    expect(manifest.peerDependencies).toEqual({ xenimage: pkg.version });
  });
});
