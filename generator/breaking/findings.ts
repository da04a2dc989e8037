import type { Source } from "../model/model.js";
import { BREAKING_RULES, type BreakingRuleId, type ChangeClass } from "./rules.js";

/** One change between two schema sets: what changed, its rule and class, and where in both versions. */
export interface Finding {
  readonly rule: BreakingRuleId;
  readonly class: ChangeClass;
  readonly message: string;
  /** Where the change is in the old schemas (for something added: the element that gained it). */
  readonly old: Source;
  /** Where the change is in the new schemas (for something removed: the element that lost it). */
  readonly new: Source;
  /**
   * For a wire-breaking change: true when format_version went up, so readers tell images of the two
   * versions apart (docs/versioning.md); false when it did not, which is what CI refuses.
   */
  readonly versioned?: boolean;
}

/** Collects findings as the comparison walks both models. */
export class FindingSink {
  readonly findings: Finding[] = [];

  add(rule: BreakingRuleId, message: string, old: Source, now: Source): void {
    this.findings.push({ rule, class: BREAKING_RULES[rule].class, message, old, new: now });
  }
}

/** `file:line:col` of a position. */
export function at(s: Source): string {
  return `${s.file}:${s.line}:${s.col}`;
}

/** A finding as one line, compiler-style at its new position, with its old one: for terminals and CI logs. */
export function formatFinding(f: Finding): string {
  const versioned = f.versioned === true ? " (versioned: format_version went up)" : "";
  return `${at(f.new)}: ${f.class}${versioned}: ${f.message} [${f.rule}] (old: ${at(f.old)})`;
}

/** Orders findings by new file and position, then rule, so the output is stable. */
export function sortFindings(list: readonly Finding[]): Finding[] {
  return [...list].sort(
    (a, b) => a.new.file.localeCompare(b.new.file) || a.new.line - b.new.line || a.new.col - b.new.col || a.rule.localeCompare(b.rule) || a.message.localeCompare(b.message),
  );
}
