import { join } from "node:path";
import type { Model } from "../../generator/model/model.js";
import { emitDocs } from "../../generator/emit/docs/emit-docs.js";
import type { DocsLibrary } from "../../generator/emit/docs/format-pages.js";
import type { SampleImage } from "../../generator/emit/docs/hex-dump.js";
import { buildSampleImages } from "../../generator/emit/docs/sample-image.js";
import type { SiteTool } from "../../generator/emit/docs/site-tools.js";
import { compileLibrary, compileSchemas, libraryDirs } from "../../generator/pipeline.js";
import { siteTools } from "../../site/inspector/tool.js";

/** The model of schema/, its libraries (schema/NAME/) and the docs they produce, built in memory once per test file. */
export interface BuiltDocs {
  readonly model: Model;
  /** Every library, by folder name, as `generate()` passes them to the docs. */
  readonly libraries: readonly DocsLibrary[];
  /** The hex dump's samples, one per image-type rule; `sample` is the first. */
  readonly samples: readonly SampleImage[];
  readonly sample: SampleImage;
  /** The site's tool pages, as `npm run generate` makes them (none unless asked for: bundling takes a while). */
  readonly tools: readonly SiteTool[];
  /** Path relative to docs/ → text. */
  readonly files: Map<string, string>;
}

/** Compiles every subfolder of a schema folder as `generate()` does; throws on any problem. */
export function compileLibraries(schemaDir: string): DocsLibrary[] {
  return libraryDirs(schemaDir).map((name) => {
    const { library, diagnostics } = compileLibrary(join(schemaDir, name));
    if (library === undefined) throw new Error(`schema/${name} does not compile: ${JSON.stringify(diagnostics)}`);
    return { name, library };
  });
}

export async function buildDocs(schemaDir = "schema", options: { readonly tools?: boolean } = {}): Promise<BuiltDocs> {
  const { model, diagnostics } = compileSchemas(schemaDir);
  if (model === undefined) throw new Error(`the schemas do not compile: ${JSON.stringify(diagnostics)}`);
  const libraries = compileLibraries(schemaDir);
  const [samples, tools] = await Promise.all([buildSampleImages(model), options.tools === true ? siteTools() : []]);
  return { model, libraries, samples, sample: samples[0]!, tools, files: emitDocs(model, { samples, libraries, tools }) };
}
