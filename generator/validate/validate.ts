import { Ajv2020, type ErrorObject } from "ajv/dist/2020.js";
import { alternatives, type Diagnostic } from "../diagnostics.js";
import type { SchemaFile, YamlPath } from "../parse/load-schemas.js";
import { metaSchema } from "./meta-schema.js";

// Compiled once per run, on the critical path of every generate: not checking our meta-schema against
// JSON Schema 2020-12 (test/docs/schema-language.test.ts compiles it with that check on) and not
// optimising the validator's code halve the compile (about 190 → 60 ms); it validates a few files.
const ajv = new Ajv2020({ allErrors: true, strict: false, verbose: true, validateSchema: false, code: { optimize: false } });
const check = ajv.compile(metaSchema);

function pathOf(instancePath: string): YamlPath {
  if (instancePath === "") return [];
  return instancePath
    .slice(1)
    .split("/")
    .map((p) => p.replace(/~1/g, "/").replace(/~0/g, "~"))
    .map((p) => (/^\d+$/.test(p) ? Number(p) : p));
}

/** The key that tells a `oneOf` branch apart (its required key other than `name`). */
function kindKey(branch: { required?: string[] }): string | undefined {
  return branch.required?.find((k) => k !== "name");
}

/**
 * Explains a failed `oneOf` whose branches only test which keys are present: which kind keys clash, or
 * which one is missing.
 */
function kindMessage(schema: unknown, data: unknown): string | undefined {
  if (!Array.isArray(schema) || data === null || typeof data !== "object") return undefined;
  const branches = schema as { required?: string[] }[];
  const kinds = branches.map(kindKey);
  if (kinds.some((k) => k === undefined)) return undefined;
  const present = kinds.filter((k) => k! in data) as string[];
  const list = alternatives(kinds as string[]);
  if (present.length > 1) return `has more than one of the keys ${alternatives(present.map((k) => `"${k}"`)).replace(/ or /, " and ")}; it takes exactly one of ${list}`;
  if (present.length === 1) {
    const branch = branches[kinds.indexOf(present[0])]!;
    const missing = (branch.required ?? []).filter((k) => !(k in data));
    if (missing.length > 0) return `missing key "${missing[0]}"`;
  }
  return `needs one of the keys ${list}`;
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
      return kindMessage(e.schema, e.data) ?? "must match exactly one form";
    }
    case "maximum":
    case "minimum": {
      const limit = (e.params as { limit: number }).limit;
      return `must be ${e.keyword === "maximum" ? "at most" : "at least"} ${limit > 0xffff ? `0x${limit.toString(16)}` : limit}`;
    }
    case "type":
      return `must be ${/^[aeiou]/.test(String(e.schema)) ? "an" : "a"} ${String(e.schema)}`;
    case "pattern":
      return e.schema === "^[a-z][a-z0-9_]*$" ? "must be a snake_case name ([a-z][a-z0-9_]*)" : `must match ${String(e.schema)}`;
    case "if":
    case "not":
    case "propertyNames":
      return undefined; // the failing `then`/branch/name reports the real problem
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
    // An object of the wrong kind fails the checks of the kind it half-resembles too: say the cause only.
    const wrongKind = errors.filter((e) => e.keyword === "oneOf" && !misspelled.has(e.instancePath)).map((e) => e.instancePath);
    const seen = new Set<string>();
    for (const e of errors) {
      // A misspelled key also makes the object miss a required key: report the cause only.
      if ((e.keyword === "oneOf" || e.keyword === "required") && misspelled.has(e.instancePath)) continue;
      if (e.keyword !== "oneOf" && wrongKind.some((p) => e.instancePath.startsWith(p + "/") || (e.instancePath === p && e.keyword !== "additionalProperties"))) continue;
      const text = message(e);
      if (text === undefined) continue;
      // A bad name under `propertyNames` is reported at the name itself.
      const name = (e as { propertyName?: string }).propertyName;
      const path = pathOf(e.instancePath);
      const key = e.keyword === "additionalProperties" ? (e.params as { additionalProperty: string }).additionalProperty : name;
      const where = file.locate(path, key);
      const dedupe = `${where.path}:${text}`;
      if (seen.has(dedupe)) continue;
      seen.add(dedupe);
      diagnostics.push({ file: file.file, line: where.line, col: where.col, path: where.path, message: name === undefined ? text : `"${name}" ${text}` });
    }
  }
  // Keys foreign to an object's kind are reported, but the model can still be built (it ignores them),
  // so its own checks report what else is wrong in the same run.
  if (ok) for (const file of files) checkKindKeys(file, diagnostics);
  return ok;
}

/** The keys each kind of field, declaration and section body may have. */
const FIELD_KEYS: Record<string, readonly string[]> = {
  type: ["name", "doc", "units", "example", "type", "count", "endian", "const", "reserved", "valid", "repr"],
  bytes: ["name", "doc", "units", "example", "bytes", "count", "const", "reserved"],
  string: ["name", "doc", "units", "example", "string", "encoding"],
  pad: ["name", "doc", "pad", "reserved"],
  align: ["name", "doc", "align", "reserved"],
  switch: ["name", "doc", "switch", "size", "cases", "default"],
};
const DECL_KEYS: Record<string, readonly string[]> = {
  enum: ["doc", "enum", "values", "closed"],
  flags: ["doc", "flags", "values"],
  bits: ["doc", "bits", "fields"],
  fields: ["doc", "size", "fields"],
};
const SECTION_KEYS = ["id", "optional", "doc", "align", "since"];
const BODY_KEYS: Record<string, readonly string[]> = {
  type: ["type"],
  fields: ["fields"],
  entries: ["entries", "entry_size"],
  empty: ["empty"],
  variants: ["variants"],
};

/**
 * Rejects keys that do not belong to an object's kind (`size` on an enum, `type` on a pad): the
 * meta-schema says which kind an object is; this says what that kind may carry.
 */
function checkKindKeys(file: SchemaFile, diagnostics: Diagnostic[]): void {
  const data = file.data as { types?: Record<string, object>; sections?: Record<string, object> };
  const report = (path: YamlPath, key: string, kind: string, allowed: readonly string[]) => {
    const where = file.locate(path, key);
    diagnostics.push({ ...where, file: file.file, message: `key "${key}" does not apply to ${kind}; it takes ${alternatives([...allowed])}` });
  };
  const checkObject = (path: YamlPath, value: object, kinds: Record<string, readonly string[]>, extra: readonly string[], what: (k: string) => string) => {
    const present = Object.keys(kinds).filter((k) => k in value);
    if (present.length > 1) {
      const where = file.locate(path);
      const keys = alternatives(present.map((k) => `"${k}"`)).replace(/ or /, " and ");
      diagnostics.push({ ...where, file: file.file, message: `has more than one of the keys ${keys}; it takes exactly one of ${alternatives(Object.keys(kinds))}` });
      return;
    }
    const kind = present[0];
    if (kind === undefined) return;
    const allowed = [...extra, ...kinds[kind]!];
    for (const key of Object.keys(value)) if (!allowed.includes(key)) report(path, key, what(kind), allowed);
  };
  const checkFields = (path: YamlPath, fields: unknown) => {
    if (!Array.isArray(fields)) return;
    fields.forEach((f: object, i) => checkObject([...path, i], f, FIELD_KEYS, [], (k) => `a ${k} field`));
  };
  for (const [name, decl] of Object.entries(data.types ?? {})) {
    const kinds = "bits" in decl ? { bits: DECL_KEYS.bits! } : DECL_KEYS;
    checkObject(["types", name], decl, kinds, [], (k) => (k === "fields" ? "a struct" : `${k === "enum" ? "an" : "a"} ${k} declaration`));
    if (!("bits" in decl)) checkFields(["types", name, "fields"], (decl as { fields?: unknown }).fields);
  }
  for (const [name, section] of Object.entries(data.sections ?? {})) {
    checkObject(["sections", name], section, BODY_KEYS, SECTION_KEYS, (k) => `a section whose body is given by "${k}"`);
    checkFields(["sections", name, "fields"], (section as { fields?: unknown }).fields);
    const variants = (section as { variants?: object[] }).variants ?? [];
    variants.forEach((v, i) => {
      checkObject(["sections", name, "variants", i], v, BODY_KEYS, ["when", "doc"], (k) => `a variant whose body is given by "${k}"`);
      checkFields(["sections", name, "variants", i, "fields"], (v as { fields?: unknown }).fields);
    });
  }
}
