import type { Model } from "../../generator/model/model.js";
import { emitDocs } from "../../generator/emit/docs/emit-docs.js";
import type { SampleImage } from "../../generator/emit/docs/hex-dump.js";
import { buildSampleImage } from "../../generator/emit/docs/sample-image.js";
import { compileSchemas } from "../../generator/pipeline.js";

/** The model of schema/ and the docs it produces, built in memory once per test file. */
export interface BuiltDocs {
  readonly model: Model;
  readonly sample: SampleImage;
  /** Path relative to docs/ → text. */
  readonly files: Map<string, string>;
}

export async function buildDocs(schemaDir = "schema"): Promise<BuiltDocs> {
  const { model, diagnostics } = compileSchemas(schemaDir);
  if (model === undefined) throw new Error(`the schemas do not compile: ${JSON.stringify(diagnostics)}`);
  const sample = await buildSampleImage();
  return { model, sample, files: emitDocs(model, { sample }) };
}
