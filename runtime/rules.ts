/**
 * Image-type rules as data (emitted by the generator from the schemas' `rules:`) and the verifier that
 * checks an image's section sequence against them. It knows section names, not section layouts.
 */

/** How many times a section may appear. */
export type Presence = "required" | "optional" | "repeatable" | "required_repeatable" | "forbidden";

/** A rule: which header values select it, and what it demands of the sections. */
export interface ImageRuleData {
  readonly name: string;
  /** Header property → the values that select this rule (all must match). */
  readonly when: readonly { readonly field: string; readonly schemaField: string; readonly values: readonly (number | bigint)[]; readonly offset?: number }[];
  readonly sections: Readonly<Record<string, Presence>>;
  /** Groups in order: every section of a group comes before any section of a later group. */
  readonly order: readonly (readonly string[])[];
  /** After each marker section a new phase starts: only these sections, in order again. */
  readonly phases?: { readonly marker: string; readonly sections: readonly string[] };
}

/** One broken rule, with the section it concerns when there is one. */
export interface RuleViolation {
  /** The rule's name, or "(none)" when no rule covers the image. */
  readonly rule: string;
  /** The section's name and its index in the image, when the violation is about one section. */
  readonly section?: string;
  readonly index?: number;
  readonly message: string;
}

const WORDS: Record<Presence, string> = {
  required: "exactly once",
  optional: "at most once",
  repeatable: "any number of times",
  required_repeatable: "at least once",
  forbidden: "never",
};

/** The rule that covers an image with this header, if any. */
export function ruleFor(rules: readonly ImageRuleData[], header: object): ImageRuleData | undefined {
  const h = header as Record<string, unknown>;
  return rules.find((rule) => rule.when.every((c) => c.values.includes(h[c.field] as number | bigint)));
}

/**
 * Checks a section sequence against the rule its header selects and returns every violation (an
 * empty list means the image follows its rule). Sections of unknown type (`type: "unknown"`) are
 * always allowed: only optional ones survive decoding.
 */
export function verifySections(
  rules: readonly ImageRuleData[],
  header: object,
  sections: readonly { readonly type: string }[],
): RuleViolation[] {
  const rule = ruleFor(rules, header);
  if (rule === undefined) {
    const h = header as Record<string, unknown>;
    const fields = [...new Set(rules.flatMap((r) => r.when.map((c) => c.field)))];
    const schemaNames = new Map(rules.flatMap((r) => r.when.map((c) => [c.field, c.schemaField] as const)));
    const described = fields.map((f) => `${schemaNames.get(f)} ${String(h[f])}`).join(", ");
    return [{ rule: "(none)", message: `no image-type rule covers ${described}` }];
  }
  const violations: RuleViolation[] = [];
  const report = (message: string, section?: string, index?: number) =>
    violations.push(section === undefined ? { rule: rule.name, message } : { rule: rule.name, section, index, message });
  const groupOf = new Map(rule.order.flatMap((group, g) => group.map((name) => [name, g] as const)));
  const marker = rule.phases?.marker;
  const inLaterPhases = new Set(rule.phases?.sections ?? []);

  let phase = 0;
  const counts = new Map<string, number>();
  let latest: { name: string; index: number; group: number } | undefined;
  sections.forEach((s, index) => {
    if (s.type === "unknown") return;
    if (s.type === marker) {
      phase++;
      latest = undefined;
      return;
    }
    const presence = rule.sections[s.type] ?? "forbidden";
    if (presence === "forbidden") report(`${s.type} is not allowed in ${rule.name} images`, s.type, index);
    else if (phase > 0 && !inLaterPhases.has(s.type)) report(`${s.type} is not allowed after the first ${marker}`, s.type, index);
    if (phase === 0) counts.set(s.type, (counts.get(s.type) ?? 0) + 1);
    const group = groupOf.get(s.type);
    if (group === undefined) return;
    if (latest !== undefined && latest.group > group) {
      report(`${s.type} (#${index}) comes after ${latest.name} (#${latest.index}); ${rule.name} puts ${s.type} first`, s.type, index);
    }
    if (latest === undefined || group >= latest.group) latest = { name: s.type, index, group };
  });
  for (const [name, presence] of Object.entries(rule.sections)) {
    const n = counts.get(name) ?? 0;
    const ok =
      presence === "required" ? n === 1 : presence === "optional" ? n <= 1 : presence === "required_repeatable" ? n >= 1 : presence === "forbidden" ? n === 0 : true;
    if (!ok && presence !== "forbidden") {
      report(n === 0 ? `${name} is missing; ${rule.name} requires it ${WORDS[presence]}` : `${name} appears ${n} times; ${rule.name} allows it ${WORDS[presence]}`, name);
    }
  }
  return violations;
}
