/**
 * What the adversarial-name property tests share: compiling a schema module beside the real
 * image.yaml, and a scratch folder where each schema that compiles gets its generated code written,
 * imported and, at the end, typechecked by tsc in one batch (the project's settings).
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { expect } from "vitest";
import { emitCodecs } from "../../generator/emit/codecs.js";
import { formatDiagnostic, type Diagnostic } from "../../generator/diagnostics.js";
import type { Model } from "../../generator/model/model.js";
import { parseSchemaFile } from "../../generator/parse/load-schemas.js";
import { compileFiles } from "../../generator/pipeline.js";

const root = resolve(import.meta.dirname, "../..");
const imageSchema = readFileSync(join(root, "schema/image.yaml"), "utf8");

/** Compiles `text` as module `adversarial` (adversarial.yaml), importing the real image schema. */
export function compileAdversarial(text: string): { readonly model: Model | undefined; readonly diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const image = parseSchemaFile(imageSchema, "schema/image.yaml", "image", diagnostics);
  const file = parseSchemaFile(text, "adversarial.yaml", "adversarial", diagnostics);
  const { model } = compileFiles([image, file], diagnostics);
  return { model, diagnostics };
}

/** Expects every diagnostic to name a place in adversarial.yaml (file:line:col). */
export function expectLocated(diagnostics: readonly Diagnostic[]): void {
  for (const d of diagnostics) expect(formatDiagnostic(d)).toMatch(/^adversarial\.yaml:[1-9]\d*:[1-9]\d*: /);
}

/**
 * Runs `body` with `load(model)`, which writes the model's generated code to a fresh folder and
 * imports its `adversarial.ts`. Afterwards at least `minCompiled` models must have been loaded, and
 * tsc must accept all their code without a word. The scratch folder is removed whatever happens.
 */
export async function withGeneratedCode(
  prefix: string,
  minCompiled: number,
  body: (load: (model: Model) => Promise<Record<string, unknown>>) => Promise<void>,
): Promise<void> {
  const scratch = mkdtempSync(join(root, `test/.${prefix}-`));
  const compiled: string[] = [];
  try {
    writeFileSync(join(scratch, "package.json"), '{ "type": "module" }\n');
    await body(async (model) => {
      const dir = join(scratch, `run${compiled.length}`);
      mkdirSync(dir);
      const out = await emitCodecs(model, { version: "x", runtimeModule: join(root, "runtime/index.js") });
      for (const [name, text] of out) writeFileSync(join(dir, name), text);
      compiled.push(dir);
      return (await import(join(dir, "adversarial.ts"))) as Record<string, unknown>;
    });
    expect(compiled.length).toBeGreaterThanOrEqual(minCompiled);
    writeFileSync(
      join(scratch, "tsconfig.json"),
      JSON.stringify({ extends: join(root, "tsconfig.json"), compilerOptions: { noEmit: true, rootDir: "/", typeRoots: [join(root, "node_modules/@types")] }, include: compiled.map((d) => join(d, "*.ts")) }),
    );
    const tsc = spawnSync(process.execPath, [join(root, "node_modules/typescript/bin/tsc"), "-p", join(scratch, "tsconfig.json")], { encoding: "utf8" });
    expect(tsc.stdout + tsc.stderr).toBe("");
    expect(tsc.status).toBe(0);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
