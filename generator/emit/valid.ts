import type { EnumDecl, Field, ValidValues } from "../model/model.js";
import { literal, str } from "./names.js";
import { intBase, intTsType } from "./scalars.js";

/**
 * Validity rules on single values: a field's `valid:` (integers) and closed enums. The decoder, the
 * lazy view and the encoder check the same condition, so what a writer accepts a reader accepts; a
 * reader's error carries the code `field-value`, a writer's `invalid-value`.
 */

/** What a field's value must be, when it has a rule: the `valid:` parts, or a closed enum's values. */
type Rule = { readonly kind: "valid"; readonly valid: ValidValues } | { readonly kind: "closed"; readonly decl: EnumDecl };

function ruleOf(field: Field): Rule | undefined {
  if (field.valid !== undefined) return { kind: "valid", valid: field.valid };
  if (field.type.kind === "enum" && field.type.closed && field.count === undefined) return { kind: "closed", decl: field.type };
  return undefined;
}

/** True when a field's value has a validity rule to check. */
export function hasValueRule(field: Field): boolean {
  return ruleOf(field) !== undefined;
}

/** A literal of `value` in the TypeScript type the field's values have. */
function typed(field: Field, value: number | bigint): string {
  const base = intBase(field.type)!;
  return literal(intTsType(field, base) === "bigint" ? BigInt(value) : Number(value));
}

/** A boolean expression over `v` that holds when the field's value is allowed. */
function allowed(field: Field, rule: Rule, v: string): string {
  const parts: string[] = [];
  if (rule.kind === "closed") {
    parts.push(`(${rule.decl.values.map((x) => `${v} === ${typed(field, x.value)}`).join(" || ")})`);
  } else {
    const { min, max, values, multipleOf } = rule.valid;
    if (min !== undefined) parts.push(`${v} >= ${typed(field, min)}`);
    if (max !== undefined) parts.push(`${v} <= ${typed(field, max)}`);
    if (values !== undefined) parts.push(`(${values.map((x) => `${v} === ${typed(field, x)}`).join(" || ")})`);
    if (multipleOf !== undefined) parts.push(`${v} % ${typed(field, multipleOf)} === ${typed(field, 0)}`);
  }
  return parts.join(" && ");
}

/** The values a field allows, in words, for messages and the docs (`at least 1`, `one of 1, 2`). */
export function describeValueRule(field: Field): string | undefined {
  const rule = ruleOf(field);
  if (rule === undefined) return undefined;
  if (rule.kind === "closed") return `one of ${rule.decl.values.map((x) => `${x.value} (${x.name})`).join(", ")}`;
  const { min, max, values, multipleOf } = rule.valid;
  const parts: string[] = [];
  if (values !== undefined) parts.push(values.length === 1 ? `exactly ${values[0]}` : `one of ${values.join(", ")}`);
  if (min !== undefined && max !== undefined) parts.push(`${min} to ${max}`);
  else if (min !== undefined) parts.push(`at least ${min}`);
  else if (max !== undefined) parts.push(`at most ${max}`);
  if (multipleOf !== undefined) parts.push(`a multiple of ${multipleOf}`);
  return parts.join(", ");
}

/** The decoder's check of the value in `v` (read at position expression `at`), or none; its error names the field. */
export function decodeValueCheck(field: Field, v: string, at: string): string[] {
  const rule = ruleOf(field);
  if (rule === undefined) return [];
  const message = `${field.name} \${${v}} is not allowed: it must be ${describeValueRule(field)}`;
  return [`if (!(${allowed(field, rule, v)})) r.fail(\`${message}\`, ${at}, ${str(field.name)}, "field-value");`];
}

/** The encoder's check of the value in `v` (written at position expression `at`), or none; its error names the field. */
export function encodeValueCheck(field: Field, v: string, at: string): string[] {
  const rule = ruleOf(field);
  if (rule === undefined) return [];
  const message = `${field.name} \${String(${v})} is not allowed: it must be ${describeValueRule(field)}`;
  return [`if (!(${allowed(field, rule, v)})) w.fail(\`${message}\`, ${at}, ${str(field.name)});`];
}
