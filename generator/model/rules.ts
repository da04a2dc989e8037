import type { BuildContext } from "./context.js";
import type { ContainerDecl, ImageRule, SectionDecl, Source, StructDecl } from "./model.js";
import { conditions } from "./sections.js";
import { suggest } from "./vocabulary.js";

// Image-type rules: which sections an image selected by header values holds, how often, in what order,
// and the phases of a checkpointed stream. No two rules may cover the same image.

/** Every rule of every file, in schema order. */
export function buildRules(
  ctx: BuildContext,
  sections: ReadonlyMap<string, SectionDecl>,
  container: ContainerDecl | undefined,
  headerDecl: StructDecl | undefined,
): ImageRule[] {
  const rules: ImageRule[] = [];
  const ruleNames = new Map<string, Source>();
  for (const { raw, file } of ctx.rawFiles.values()) {
    for (const [name, rule] of Object.entries(raw.rules ?? {})) {
      const path = ["rules", name];
      const where = file.locate(path);
      const first = ruleNames.get(name);
      if (first !== undefined) ctx.report(file.locate(["rules"], name), `rule "${name}" is already declared at ${first.file}:${first.line}:${first.col}`);
      ruleNames.set(name, where);
      const section = (sectionName: string, at: Source) => {
        const s = sections.get(sectionName);
        if (s === undefined) ctx.report(at, `unknown section "${sectionName}"${suggest(sectionName, [...sections.keys()])}`);
        else if (container !== undefined && s === container.end) ctx.report(at, `the end section is implied; rules do not list it`);
        return s === container?.end ? undefined : s;
      };
      const presences = Object.entries(rule.sections).flatMap(([sectionName, presence]) => {
        const s = section(sectionName, file.locate([...path, "sections"], sectionName));
        return s === undefined ? [] : [{ section: s, presence, source: file.locate([...path, "sections", sectionName]) }];
      });
      const listed = new Set(presences.filter((p) => p.presence !== "forbidden").map((p) => p.section));
      const order = (rule.order ?? []).map((group, i) => {
        const names = Array.isArray(group) ? group : [group];
        return names.flatMap((n, j) => {
          const at = file.locate(Array.isArray(group) ? [...path, "order", i, j] : [...path, "order", i]);
          const s = section(n, at);
          if (s !== undefined && !listed.has(s)) ctx.report(at, `"${n}" is ordered but the rule does not allow it in its sections`);
          return s === undefined ? [] : [s];
        });
      });
      const seen = new Set<SectionDecl>();
      for (const s of order.flat()) {
        if (seen.has(s)) ctx.report(file.locate([...path, "order"]), `"${s.name}" appears twice in the order`);
        seen.add(s);
      }
      let phases: ImageRule["phases"];
      if (rule.phases !== undefined) {
        const marker = section(rule.phases.marker, file.locate([...path, "phases", "marker"]));
        const inPhase = rule.phases.sections.flatMap((n, i) => {
          const at = file.locate([...path, "phases", "sections", i]);
          const s = section(n, at);
          if (s !== undefined && !listed.has(s)) ctx.report(at, `"${n}" may repeat in a phase but the rule does not allow it in its sections`);
          return s === undefined ? [] : [s];
        });
        if (marker !== undefined && !listed.has(marker)) ctx.report(file.locate([...path, "phases", "marker"]), `the phase marker "${marker.name}" must be allowed in the rule's sections`);
        if (marker !== undefined) phases = { marker, sections: inPhase };
      }
      rules.push({ name, doc: rule.doc, when: conditions(ctx, headerDecl, rule.when, file, [...path, "when"]), sections: presences, order, phases, module: file.name, source: where });
    }
  }

  // Two rules must never cover the same image: for some header field both constrain, their values differ.
  for (let a = 0; a < rules.length; a++) {
    for (let b = a + 1; b < rules.length; b++) {
      const ra = rules[a]!;
      const rb = rules[b]!;
      const disjoint = ra.when.some((ca) => {
        const cb = rb.when.find((c) => c.field === ca.field);
        return cb !== undefined && !ca.values.some((v) => cb.values.includes(v));
      });
      if (!disjoint) ctx.report(rb.source, `rule "${rb.name}" covers images that rule "${ra.name}" covers too; make their "when" values differ`);
    }
  }
  return rules;
}
