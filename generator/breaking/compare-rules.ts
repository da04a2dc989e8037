import type { ImageRule, Model, Presence, SectionDecl } from "../model/model.js";
import type { Comparison, Places } from "./compare-types.js";
import { conditionKey, describeWhen } from "./compare-sections.js";

// Image-type rules: which sections an image holds, how often, in what order, in which phases. Only
// sections both versions know are compared here: a section one version lacks is reported as added or
// removed, and a new optional section is one older readers skip whatever a rule says of it.

/** How many times a presence allows a section: [at least, at most]. */
const RANGE: Record<Presence, [number, number]> = {
  required: [1, 1],
  optional: [0, 1],
  repeatable: [0, Infinity],
  required_repeatable: [1, Infinity],
  forbidden: [0, 0],
};

/** A rule's content, by section names (old names mapped to new), for telling a rename from a change. */
function ruleKey(r: ImageRule, name: (s: SectionDecl) => string): string {
  const sections = r.sections.map((p) => `${name(p.section)}:${p.presence}`).sort();
  const order = r.order.map((g) => g.map(name).sort().join(","));
  const phases = r.phases === undefined ? "" : `${name(r.phases.marker)}>${r.phases.sections.map(name).sort().join(",")}`;
  return `${conditionKey(r.when)}|${sections.join(" ")}|${order.join(" < ")}|${phases}`;
}

/** Compares the image-type rules; `sections` maps each old section to its new version. */
export function compareRules(c: Comparison, old: Model, now: Model, sections: ReadonlyMap<SectionDecl, SectionDecl>, place: Places): void {
  const { sink } = c;
  const newName = (s: SectionDecl) => sections.get(s)?.name ?? `(removed ${s.name})`;
  const sameName = (s: SectionDecl) => s.name;
  const byName = new Map(now.rules.map((r) => [r.name, r]));
  const taken = new Set<ImageRule>();
  const pairs: [ImageRule, ImageRule][] = [];
  for (const o of old.rules) {
    const n = byName.get(o.name) ?? now.rules.find((x) => !taken.has(x) && !old.rules.some((y) => y.name === x.name) && ruleKey(x, sameName) === ruleKey(o, newName));
    if (n === undefined) {
      sink.add("rule-removed", `image-type rule ${o.name} was removed`, o.source, place.inNew(o.module));
      continue;
    }
    taken.add(n);
    pairs.push([o, n]);
  }
  for (const n of now.rules) if (!taken.has(n)) sink.add("rule-added", `image-type rule ${n.name} was added`, place.inOld(n.module), n.source);
  for (const [o, n] of pairs) compareRule(c, o, n, sections);
}

function compareRule(c: Comparison, o: ImageRule, n: ImageRule, sections: ReadonlyMap<SectionDecl, SectionDecl>): void {
  const { sink } = c;
  const label = `rule ${n.name}`;
  if (o.name !== n.name) sink.add("rule-renamed", `image-type rule ${o.name} is now ${n.name}`, o.source, n.source);
  if (o.doc !== n.doc) sink.add("doc-changed", `${label}: doc changed`, o.source, n.source);
  if (conditionKey(o.when) !== conditionKey(n.when)) sink.add("rule-when-changed", `${label} covered ${describeWhen(o.when)}, now covers ${describeWhen(n.when)}`, o.source, n.source);
  const known = new Set(sections.values());
  const oldOf = new Map([...sections].map(([a, b]) => [b, a]));

  // Presence, for every section either version of the rule lists.
  const presence = (r: ImageRule, s: SectionDecl) => r.sections.find((p) => p.section === s);
  const newSections = new Set([...n.sections.map((p) => p.section), ...o.sections.flatMap((p) => (sections.has(p.section) ? [sections.get(p.section)!] : []))]);
  for (const s of newSections) {
    const np = presence(n, s);
    const os = oldOf.get(s);
    const op = os === undefined ? undefined : presence(o, os);
    const oldPresence: Presence = op?.presence ?? "forbidden";
    const newPresence: Presence = np?.presence ?? "forbidden";
    const where = { old: op?.source ?? o.source, new: np?.source ?? n.source };
    const [a, b] = RANGE[oldPresence];
    const [x, y] = RANGE[newPresence];
    const words = `${label}: ${s.name} was ${oldPresence}, is now ${newPresence}`;
    if (os === undefined || !known.has(s)) {
      // A section this version adds: only a requirement breaks the images written before it existed.
      if (x > 0) sink.add("rule-section-required", `${label}: the new section ${s.name} is ${newPresence}`, where.old, where.new);
      continue;
    }
    if (x > a) sink.add("rule-section-required", words, where.old, where.new);
    if (y < b) sink.add("rule-section-limited", words, where.old, where.new);
    if (x < a || y > b) sink.add("rule-section-relaxed", words, where.old, where.new);
  }

  // Order: the pairs "s before t" each version imposes, over sections both know.
  const constraints = (r: ImageRule, name: (s: SectionDecl) => string | undefined) => {
    const out = new Set<string>();
    r.order.forEach((group, i) => {
      for (const later of r.order.slice(i + 1)) {
        for (const s of group) for (const t of later) {
          const a = name(s);
          const b = name(t);
          if (a !== undefined && b !== undefined) out.add(`${a} before ${b}`);
        }
      }
    });
    return out;
  };
  const before = constraints(o, (s) => sections.get(s)?.name);
  const after = constraints(n, (s) => (oldOf.has(s) ? s.name : undefined));
  const added = [...after].filter((x) => !before.has(x));
  const dropped = [...before].filter((x) => !after.has(x));
  const list = (xs: string[]) => `${xs[0]}${xs.length > 1 ? ` (and ${xs.length - 1} more)` : ""}`;
  if (added.length > 0) sink.add("rule-order-tightened", `${label} now orders ${list(added)}`, o.source, n.source);
  if (dropped.length > 0) sink.add("rule-order-loosened", `${label} no longer orders ${list(dropped)}`, o.source, n.source);

  const phases = (r: ImageRule, name: (s: SectionDecl) => string | undefined) =>
    r.phases === undefined ? "none" : `marker ${name(r.phases.marker) ?? "(new)"}, sections ${r.phases.sections.flatMap((s) => name(s) ?? []).sort().join(", ")}`;
  const oldPhases = phases(o, (s) => sections.get(s)?.name);
  const newPhases = phases(n, (s) => (oldOf.has(s) ? s.name : undefined));
  if (oldPhases !== newPhases) sink.add("rule-phases-changed", `${label}: phases were ${oldPhases}, are now ${newPhases}`, o.source, n.source);
}
