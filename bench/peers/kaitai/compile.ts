/**
 * Compiles the .ksy files beside this script to JavaScript with the real Kaitai Struct compiler (the
 * `kaitai-struct-compiler` npm package, the reference compiler built for JavaScript), into
 * `generated/*.cjs` (UMD modules that require the `kaitai-struct` runtime). The output is committed, as
 * a Kaitai user commits what ksc emits; run this after editing a .ksy:
 *
 *     npm run bench:kaitai
 */
import { readdirSync, readFileSync, mkdirSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";

interface KaitaiCompiler {
  readonly version: string;
  compile(language: string, ksy: unknown, importer: null, debug: boolean): Promise<Record<string, string>>;
}

const here = dirname(fileURLToPath(import.meta.url));
const compiler = createRequire(import.meta.url)("kaitai-struct-compiler") as KaitaiCompiler;

/** The folder the compiled modules go to. */
export const GENERATED_DIR = join(here, "generated");

/** Compiles every .ksy here; returns each output file's path and contents (nothing is written). */
export async function compileAll(): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const file of readdirSync(here).filter((f) => f.endsWith(".ksy")).sort()) {
    const files = await compiler.compile("javascript", parse(readFileSync(join(here, file), "utf8")), null, false);
    for (const [name, code] of Object.entries(files)) {
      const header = `// Compiled from bench/peers/kaitai/${file} by kaitai-struct-compiler ${compiler.version}. Do not edit: run npm run bench:kaitai.\n`;
      out.set(join(GENERATED_DIR, name.replace(/\.js$/, ".cjs")), header + code);
    }
  }
  return out;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  mkdirSync(GENERATED_DIR, { recursive: true });
  for (const [path, code] of await compileAll()) {
    writeFileSync(path, code);
    console.log(`wrote ${path}`);
  }
}
