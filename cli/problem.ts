import type { RuleViolation, XenImageError, XenImageErrorCode } from "../runtime/index.js";

/**
 * One thing wrong with an input, as `verify --json` and `inspect --json` report it: a record a
 * program can branch on, with the line a person reads (`message`, what the text output prints).
 * Parts that are not known are null, so every record has the same keys.
 */
export interface Problem {
  /** The error's code, or `rule` for a broken image-type rule. */
  readonly code: XenImageErrorCode | "rule";
  /** The section's label (`name #index`), when the problem is in one section. */
  readonly section: string | null;
  /** The absolute byte offset, when known. */
  readonly offset: number | null;
  /** The field path inside the section body, when known. */
  readonly field: string | null;
  readonly message: string;
}

/** A problem from an error; `message` defaults to the error's own. */
export function problemOf(error: XenImageError, message: string = error.message): Problem {
  return { code: error.code, section: error.section ?? null, offset: error.offset ?? null, field: nonEmpty(error.path), message };
}

/** A problem from a broken image-type rule. */
export function ruleProblem(v: RuleViolation): Problem {
  return { code: "rule", section: v.section === undefined ? null : v.index === undefined ? v.section : `${v.section} #${v.index}`, offset: null, field: null, message: `rule ${v.rule}: ${v.message}` };
}

function nonEmpty(path: string | undefined): string | null {
  return path === undefined || path === "" ? null : path;
}
