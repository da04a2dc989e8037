import { Ajv2020, type ErrorObject } from "ajv/dist/2020.js";
import { alternatives, type Diagnostic } from "../diagnostics.js";
import type { SchemaFile, YamlPath } from "../parse/load-schemas.js";
import { metaSchema } from "./meta-schema.js";

const ajv = new Ajv2020({ allErrors: true, strict: false, verbose: true });
const check = ajv.compile(metaSchema);

function pathOf(instancePath: string): YamlPath {
  if (instancePath === "") return [];
  return instancePath
    .slice(1)
    .split("/")
    .map((p) => p.replace(/~1/g, "/").replace(/~0/g, "~"))
    .map((p) => (/^\d+$/.test(p) ? Number(p) : p));
}

/** The keys a `oneOf` wants, when its branches only test which keys are present. */
function branchKeys(schema: unknown): string | undefined {
  if (!Array.isArray(schema)) return undefined;
  const keys = schema.map((b: { required?: string[] }) => b.required?.join(" with "));
  return keys.every((k) => k !== undefined) ? keys.join(", ") : undefined;
}

function message(e: ErrorObject): string | undefined {
  switch (e.keyword) {
    case "additionalProperties": {
      const allowed = Object.keys((e.parentSchema as { properties?: object }).properties ?? {});
      return `unknown key "${(e.params as { additionalProperty: string }).additionalProperty}"; allowed keys: ${alternatives(allowed)}`;
    }
    case "required":
      return `missing key "${(e.params as { missingProperty: string }).missingProperty}"`;
    case "enum":
      return `must be one of ${alternatives((e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)))}`;
    case "oneOf": {
      const title = (e.parentSchema as { title?: string }).title;
      if (title !== undefined) return `must be ${title}`;
      const keys = branchKeys(e.schema);
      const passing = (e.params as { passingSchemas?: number[] | null }).passingSchemas;
      if (keys !== undefined) return `${passing ? "has more than one" : "needs exactly one"} of these keys: ${keys}`;
      return `must match exactly one form`;
    }
    case "pattern":
      return e.schema === "^[a-z][a-z0-9_]*$" ? "must be a snake_case name ([a-z][a-z0-9_]*)" : `must match ${String(e.schema)}`;
    case "if":
    case "not":
      return undefined; // the failing `then`/branch reports the real problem
    default:
      return e.message ?? e.keyword;
  }
}

/**
 * Checks each file against the meta-schema. Errors inside a `oneOf` branch are dropped: the `oneOf`
 * itself says what was wanted, in one line instead of one per branch.
 */
export function validateSchemas(files: readonly SchemaFile[], diagnostics: Diagnostic[]): boolean {
  let ok = true;
  for (const file of files) {
    if (file.data === undefined) {
      ok = false;
      continue;
    }
    if (check(file.data)) continue;
    ok = false;
    const errors = (check.errors ?? []).filter((e) => !/\/oneOf\/\d+\//.test(e.schemaPath));
    const misspelled = new Set(errors.filter((e) => e.keyword === "additionalProperties").map((e) => e.instancePath));
    const seen = new Set<string>();
    for (const e of errors) {
      // A misspelled key also makes the object miss a required key: report the cause only.
      if ((e.keyword === "oneOf" || e.keyword === "required") && misspelled.has(e.instancePath)) continue;
      const text = message(e);
      if (text === undefined) continue;
      const path = pathOf(e.instancePath);
      const key = e.keyword === "additionalProperties" ? (e.params as { additionalProperty: string }).additionalProperty : undefined;
      const where = file.locate(path, key);
      const dedupe = `${where.path}:${text}`;
      if (seen.has(dedupe)) continue;
      seen.add(dedupe);
      diagnostics.push({ file: file.file, line: where.line, col: where.col, path: where.path, message: text });
    }
  }
  return ok;
}
