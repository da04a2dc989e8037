import type { Condition, ImageRule, Model, Presence, SectionDecl } from "../../model/model.js";
import { code, heading, joinText, link, list, para, type Block, type Inline, type Page, type Text } from "./doc-tree.js";
import { typeAnchor } from "./type-blocks.js";

/**
 * The image-type rules: which sections each kind of image holds, how often and in what order, as the
 * schemas' `rules:` declare them. Section pages reuse `sectionUsage` to say which images use them.
 */

/** The page id of a section's page. */
export function sectionPageId(section: SectionDecl): string {
  return `sections/${section.name}`;
}

/** The anchor of a rule on the rules page. */
export function ruleAnchor(rule: ImageRule): string {
  return `rule-${rule.name}`;
}

/** What each presence allows, in words. */
export const PRESENCE_TEXT: Record<Presence, string> = {
  required: "required: exactly once",
  optional: "optional: at most once",
  repeatable: "repeatable: any number of times",
  required_repeatable: "required, repeatable: at least once",
  forbidden: "forbidden",
};

/** `arch = x86_64`, `guest_type ∈ {pv, hvm}`: a header condition, linked to the header's enum. */
export function conditionText(condition: Condition): Text {
  const enumType = condition.field.type.kind === "enum" ? condition.field.type : undefined;
  const field: Inline = enumType === undefined ? code(condition.field.name) : link([code(condition.field.name)], "header", typeAnchor(enumType));
  const values = condition.values.map((v): Text => [code(v.name)]);
  return condition.values.length === 1 ? [field, " = ", ...values[0]!] : [field, " ∈ {", ...joinText(values, ", "), "}"];
}

/** Conditions joined with "and"; "every image" when there are none. */
export function conditionsText(conditions: readonly Condition[]): Text {
  if (conditions.length === 0) return ["every image"];
  return joinText(conditions.map(conditionText), " and ");
}

/** How a rule treats a section: known sections it does not list are forbidden. */
export function presenceIn(rule: ImageRule, section: SectionDecl): Presence {
  return rule.sections.find((p) => p.section === section)?.presence ?? "forbidden";
}

/** The "which images use it" blocks of a section page. */
export function sectionUsage(model: Model, section: SectionDecl): Block[] {
  if (section === model.container.end) {
    return [para("Every image ends with exactly one end section, whatever its type; the image-type rules never list it.")];
  }
  if (model.rules.length === 0) {
    return [para("No image-type rules are declared in this version of the schemas, so any image may carry this section.")];
  }
  return [
    {
      kind: "table",
      head: [["Rule"], ["Applies to"], ["This section"]],
      rows: model.rules.map((rule) => ({
        cells: [[link([code(rule.name)], "rules", ruleAnchor(rule))], conditionsText(rule.when), [PRESENCE_TEXT[presenceIn(rule, section)]]],
      })),
    },
  ];
}

function ruleBlocks(rule: ImageRule): Block[] {
  const blocks: Block[] = [heading(3, [code(rule.name)], ruleAnchor(rule)), para(rule.doc), para("Applies to: ", ...conditionsText(rule.when), ".")];
  blocks.push({
    kind: "table",
    head: [["Section"], ["Type id"], ["Presence"]],
    rows: rule.sections.map((p) => ({
      cells: [[link([code(p.section.name)], sectionPageId(p.section))], [`0x${p.section.id.toString(16)}`], [PRESENCE_TEXT[p.presence]]],
    })),
  });
  if (rule.order.length > 0) {
    const groups = rule.order.map((g): Text => joinText(g.map((s): Text => [link([code(s.name)], sectionPageId(s))]), ", "));
    blocks.push(para("Order: every section of a group comes before any section of a later group (sections in one group may mix):"), list(groups, true));
  } else {
    blocks.push(para("Order: free (the rule sets none), except that the end section is last."));
  }
  if (rule.phases !== undefined) {
    const { marker, sections } = rule.phases;
    blocks.push(
      para(
        "Checkpoints: after each ",
        link([code(marker.name)], sectionPageId(marker)),
        " section a new phase starts, in which only ",
        ...joinText(sections.map((s): Text => [link([code(s.name)], sectionPageId(s))]), ", "),
        " may appear (any number of times), and the order above applies again.",
      ),
    );
  }
  return blocks;
}

/** The rules page. */
export function rulesPage(model: Model): Page {
  const blocks: Block[] = [
    para(
      "Which sections an image holds depends on what the image is. Each rule below applies to the images whose header matches its conditions and says, for every section type, whether it is required, optional or repeatable, and in what order sections come. These rules hold for every image:",
    ),
    list([
      ["The end section (", link([code(model.container.end.name)], sectionPageId(model.container.end)), ") comes last, exactly once."],
      ["A known section type that a rule does not list is forbidden in the images the rule covers."],
      ["A section type the reader does not know is allowed when its optional bit is set (the reader skips it) and rejected when it is clear."],
    ]),
  ];
  if (model.rules.length === 0) {
    blocks.push(para("This version of the schemas declares no image-type rules: any known section may appear in any image, in any order, before the end section."));
  } else {
    blocks.push(heading(2, "Rules"));
    for (const rule of model.rules) blocks.push(...ruleBlocks(rule));
    blocks.push(heading(2, "Sections by rule"));
    blocks.push({
      kind: "table",
      head: [["Section"], ...model.rules.map((r): Text => [link([code(r.name)], undefined, ruleAnchor(r))])],
      rows: model.sections
        .filter((s) => s !== model.container.end)
        .map((s) => ({ cells: [[link([code(s.name)], sectionPageId(s))], ...model.rules.map((r): Text => [presenceIn(r, s).replace("_", ", ")])] })),
    });
  }
  return { id: "rules", title: "Image-type rules", navLabel: "Image-type rules", group: "format", blocks };
}
