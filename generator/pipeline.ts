import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Diagnostic } from "./diagnostics.js";
import type { SiteTool } from "./emit/docs/site-tools.js";
import type { Format } from "./emit/format.js";
import type { LibraryModel, Model } from "./model/model.js";
import { buildLibrary, buildModel, type BuildOptions } from "./model/build-model.js";
import { loadSchemas, type SchemaFile } from "./parse/load-schemas.js";
import { validateSchemas } from "./validate/validate.js";
import { writeTree } from "./write-tree.js";

/** What compiling the schemas produced: the model when there were no problems, and every problem. */
export interface CompileResult {
  readonly model: Model | undefined;
  readonly diagnostics: readonly Diagnostic[];
}

/** Parse → validate → model, over already-loaded files. Stops before the model if validation failed. */
export function compileFiles(files: readonly SchemaFile[], diagnostics: Diagnostic[] = [], options: BuildOptions = {}): CompileResult {
  if (!validateSchemas(files, diagnostics)) return { model: undefined, diagnostics };
  const model = buildModel(files, diagnostics, options);
  return { model: diagnostics.length > 0 ? undefined : model, diagnostics };
}

/** Compiles every schema file of a folder into the model. */
export function compileSchemas(schemaDir: string): CompileResult {
  const diagnostics: Diagnostic[] = [];
  const files = loadSchemas(schemaDir, diagnostics);
  return compileFiles(files, diagnostics);
}

/** Options of {@link generate}. */
export interface GenerateOptions {
  readonly schemaDir: string;
  /** Where the codecs go (default `generated`). */
  readonly outDir: string;
  /**
   * The module generated code imports the runtime from. Default: the repository's own (`../runtime/index.js`
   * from generated/); codecs compiled in another project import the package: `xenimage/runtime`.
   */
  readonly runtimeModule?: string;
  readonly version: string;
  /** Compare with what is on disk instead of writing. */
  readonly check?: boolean;
  /** Where the specification goes: Markdown, the static site under `site/`, the JSON Schema (default `docs`). */
  readonly docsDir?: string;
  /** Emit only the codecs or only the docs (default both); the docs never depend on the codecs. */
  readonly only?: "codecs" | "docs";
  /** How generated TypeScript is formatted (default prettier in this thread; the command uses a worker pool). */
  readonly format?: Format;
  /**
   * Makes the site's tool pages (the project's; see site-tools.ts). Called as the run starts, so it
   * runs beside the codecs' emission, and once more after the codecs are written if they changed, as
   * a tool may bundle them.
   */
  readonly siteTools?: () => Promise<readonly SiteTool[]>;
}

/** The result of {@link generate}: problems, and which files were (or, with `check`, would be) changed. */
export interface GenerateResult {
  readonly diagnostics: readonly Diagnostic[];
  readonly changed: readonly string[];
}

/**
 * Compiles the schemas and writes the codecs and the docs. Each file is written to a temporary name and
 * renamed, and files the schemas no longer produce are removed, so `generated/` and the generated files
 * of `docs/` always match the schemas exactly.
 */
export async function generate(options: GenerateOptions): Promise<GenerateResult> {
  const { model, diagnostics } = compileSchemas(options.schemaDir);
  const libraries = libraryDirs(options.schemaDir).map((name) => ({ name, ...compileLibrary(join(options.schemaDir, name)) }));
  const all = [...diagnostics, ...libraries.flatMap((l) => l.diagnostics)];
  if (model === undefined || all.length > 0) return { diagnostics: all, changed: [] };
  const changed: string[] = [];
  const check = options.check ?? false;
  const wantTools = options.only !== "codecs" && options.siteTools !== undefined;
  let tools = wantTools ? options.siteTools!() : Promise.resolve([]);
  // Awaited only in the docs step: a failure until then must not count as unhandled.
  tools.catch(() => undefined);
  // The emitters are imported here, not at the top: ts-morph loads the TypeScript compiler, and the docs
  // alone (or a run that stops at schema problems) need neither it nor prettier.
  if (options.only !== "docs") {
    const { emitCodecs, emitLibrary } = await import("./emit/codecs.js");
    const emitOptions = { version: options.version, ...(options.format === undefined ? {} : { format: options.format }), ...(options.runtimeModule === undefined ? {} : { runtimeModule: options.runtimeModule }) };
    // Every file is emitted before any is awaited, so a worker pool formats them all in parallel.
    const [image, ...libraryFiles] = await Promise.all([
      emitCodecs(model, emitOptions),
      // A library sits one folder deeper: a relative runtime path gains a "../"; a package name stays.
      ...libraries.map((library) => emitLibrary(library.library!, { ...emitOptions, runtimeModule: options.runtimeModule === undefined ? "../../runtime/index.js" : options.runtimeModule.startsWith(".") ? `../${options.runtimeModule}` : options.runtimeModule })),
    ]);
    const codecsChanged = writeFiles(options.outDir, image!, check);
    for (const [i, library] of libraries.entries()) codecsChanged.push(...writeFiles(join(options.outDir, library.name), libraryFiles[i]!, check));
    changed.push(...codecsChanged);
    // The tools started from the codecs as they were: made again from the ones just written.
    if (wantTools && !check && codecsChanged.length > 0) tools = options.siteTools!();
  }
  if (options.only !== "codecs") {
    const [{ DOCS_MARKER, emitDocs }, { buildSampleImages }] = await Promise.all([import("./emit/docs/emit-docs.js"), import("./emit/docs/sample-image.js")]);
    // The sample image of the hex dump is made from the model by the runtime's reflection, never by
    // generated code. The libraries are documented beside the format, each under formats/NAME/ (in name order).
    const docs = emitDocs(model, { samples: await buildSampleImages(model), libraries: libraries.map((l) => ({ name: l.name, library: l.library! })), tools: await tools });
    const docsDir = options.docsDir ?? "docs";
    try {
      changed.push(...writeTree(docsDir, docs, { check, owned: (text) => text.slice(0, 512).includes(DOCS_MARKER) }));
    } catch (e) {
      throw new Error(`docs: cannot write ${docsDir} (${e instanceof Error ? e.message : String(e)})`, { cause: e });
    }
  }
  return { diagnostics, changed: changed.sort() };
}

/** The subfolders of the schema folder that hold YAML: each is a library of another format's types. */
export function libraryDirs(schemaDir: string): string[] {
  return readdirSync(schemaDir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && readdirSync(join(schemaDir, d.name)).some((f) => f.endsWith(".yaml")))
    .map((d) => d.name)
    .sort();
}

/** Compiles a schema subfolder: types only, no image container. */
export function compileLibrary(dir: string): { library: LibraryModel | undefined; diagnostics: readonly Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const files = loadSchemas(dir, diagnostics);
  if (!validateSchemas(files, diagnostics)) return { library: undefined, diagnostics };
  const library = buildLibrary(files, diagnostics);
  return { library: diagnostics.length > 0 ? undefined : library, diagnostics };
}

/**
 * Writes generated files into `dir` (each through a temporary name and a rename) and removes `.ts`
 * files the schemas no longer produce; with `check`, only reports what would change.
 */
function writeFiles(dir: string, output: Map<string, string>, check: boolean): string[] {
  if (!check) mkdirSync(dir, { recursive: true });
  const existing = new Set(existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith(".ts")) : []);
  const changed: string[] = [];
  for (const [name, text] of output) {
    existing.delete(name);
    const path = join(dir, name);
    let old: string | undefined;
    try {
      old = readFileSync(path, "utf8");
    } catch {
      old = undefined;
    }
    if (old === text) continue;
    changed.push(path);
    if (check) continue;
    writeFileSync(`${path}.tmp`, text);
    renameSync(`${path}.tmp`, path);
  }
  for (const stale of existing) {
    changed.push(join(dir, stale));
    if (!check) rmSync(join(dir, stale));
  }
  return changed;
}
