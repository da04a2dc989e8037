/**
 * The schema compiler as a library (`xenimage/generator`): compile YAML schemas into the typed model,
 * emit codecs, and report problems as diagnostics. `npm run generate` is a thin command over this.
 */
export { compileFiles, compileSchemas, generate, type CompileResult, type GenerateOptions, type GenerateResult } from "./pipeline.js";
export { emitCodecs, type EmitOptions } from "./emit/codecs.js";
export { emitDocs } from "./emit/docs/emit-docs.js";
export { formatDiagnostic, sortDiagnostics, SchemaError, type Diagnostic } from "./diagnostics.js";
export { loadSchemas, parseSchemaFile, type SchemaFile } from "./parse/load-schemas.js";
export { metaSchema } from "./validate/meta-schema.js";
export { runGenerator } from "./main.js";
export type * from "./model/model.js";
export { checkBreaking, compareModels, unversionedBreaks, type BreakingOptions, type BreakingReport, type BreakingResult } from "./breaking/check-breaking.js";
export { formatFinding, type Finding } from "./breaking/findings.js";
export { BREAKING_RULES, type BreakingRule, type BreakingRuleId, type ChangeClass } from "./breaking/rules.js";
export { SchemaSetError } from "./breaking/schema-set.js";
