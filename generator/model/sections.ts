import type { SchemaFile, YamlPath } from "../parse/load-schemas.js";
import type { BuildContext } from "./context.js";
import type { Condition, EnumValue, SectionBody, SectionDecl, SectionVariant, StructDecl } from "./model.js";
import type { Located, RawBody, RawFile } from "./raw.js";
import { buildStruct } from "./structs.js";
import { isPowerOfTwo, kindName, suggest } from "./vocabulary.js";

// Sections: each one's id (unique), alignment and body, or its variants, each selected by values of the
// header's enum fields (conditions). A body is a struct of its own fields, a declared struct, an array
// of fixed-size entries, or empty.

/** The one file that declares the container; a second is an error. */
export function containerSite(ctx: BuildContext): Located<RawFile> | undefined {
  let site: Located<RawFile> | undefined;
  for (const s of ctx.rawFiles.values()) {
    if (s.raw.container === undefined) continue;
    if (site !== undefined) {
      ctx.report(s.file.locate([], "container"), `only one file may declare the container; ${site.file.file} already does`);
      continue;
    }
    site = s;
  }
  return site;
}

/** The container's header struct, which section variants and rules select on. */
export function containerHeader(ctx: BuildContext, site: Located<RawFile> | undefined): StructDecl | undefined {
  if (site === undefined) return undefined;
  const c = site.raw.container!;
  const h = ctx.resolveType(c.header, site.file, site.file.locate(["container", "header"]));
  if (h?.kind === "struct") return h;
  if (h !== undefined) ctx.report(site.file.locate(["container", "header"]), `the header must be a struct`);
  return undefined;
}

/** Every section, by name, in the order the schemas declare them. */
export function buildSections(ctx: BuildContext, headerDecl: StructDecl | undefined): Map<string, SectionDecl> {
  const sections = new Map<string, SectionDecl>();
  const ids = new Map<number, string>();
  for (const [name, { raw, file, path }] of ctx.sectionSites) {
    const where = file.locate(path);
    const other = ids.get(raw.id);
    if (other !== undefined) ctx.report(file.locate(path, "id"), `section id 0x${raw.id.toString(16)} is already used by "${other}"`);
    ids.set(raw.id, name);
    if (raw.align !== undefined && !isPowerOfTwo(raw.align)) ctx.report(file.locate(path, "align"), `alignment ${raw.align} is not a power of two`);
    const variants: SectionVariant[] = [];
    if (raw.variants === undefined) {
      const body = bodyOf(ctx, raw, name, file, path, raw.doc);
      if (body !== undefined) variants.push({ when: [], doc: undefined, body, source: where });
    } else {
      for (const [i, v] of raw.variants.entries()) {
        const vpath = [...path, "variants", i];
        const when = conditions(ctx, headerDecl, v.when, file, [...vpath, "when"]);
        const body = bodyOf(ctx, v, `${name}_${Object.values(v.when).flat().join("_")}`, file, vpath, v.doc ?? raw.doc);
        if (body !== undefined) variants.push({ when, doc: v.doc, body, source: file.locate(vpath) });
      }
    }
    sections.set(name, {
      kind: "section",
      name,
      doc: raw.doc,
      module: file.name,
      source: where,
      id: raw.id,
      optional: raw.optional ?? false,
      align: raw.align ?? 8,
      since: raw.since ?? 1,
      variants,
    });
  }
  return sections;
}

/** A section's (or a variant's) body; undefined when a problem was reported. */
function bodyOf(ctx: BuildContext, raw: RawBody, name: string, file: SchemaFile, path: YamlPath, doc: string): SectionBody | undefined {
  if (raw.empty) return { kind: "empty" };
  if (raw.fields !== undefined) {
    const struct = buildStruct(ctx, name, doc, raw.fields, file, path, file.locate(path), undefined);
    return { kind: "struct", struct };
  }
  const ref = raw.type ?? raw.entries!;
  const key = raw.type !== undefined ? "type" : "entries";
  const t = ctx.resolveType(ref, file, file.locate([...path, key]));
  if (t === undefined) return undefined;
  if (t.kind !== "struct") {
    ctx.report(file.locate([...path, key]), `a section body must be a struct; "${ref}" is ${kindName(t.kind)}`);
    return undefined;
  }
  if (raw.type !== undefined) return { kind: "struct", struct: t };
  if (t.size === undefined || t.needsSection) {
    ctx.report(file.locate([...path, "entries"]), `entries must be a fixed-size struct; "${ref}" is variable`);
    return undefined;
  }
  if (raw.entry_size !== t.size) {
    ctx.report(file.locate([...path, "entry_size"]), `entry_size ${raw.entry_size} does not match ${ref}, which is ${t.size} bytes`);
  }
  return { kind: "entries", struct: t, entrySize: t.size };
}

/** `{header_field: value | [values]}` → conditions on the header's enum fields. */
export function conditions(ctx: BuildContext, headerDecl: StructDecl | undefined, raw: Record<string, string | string[]>, file: SchemaFile, path: YamlPath): Condition[] {
  const out: Condition[] = [];
  for (const [key, rawValues] of Object.entries(raw)) {
    const keyWhere = file.locate(path, key);
    if (headerDecl === undefined) {
      ctx.report(keyWhere, "conditions need a container header to select on");
      continue;
    }
    const field = headerDecl.fields.find((f) => f.name === key && !f.hidden);
    if (field === undefined || field.type.kind !== "enum") {
      const enums = headerDecl.fields.filter((f) => f.type.kind === "enum").map((f) => f.name);
      ctx.report(keyWhere, `"${key}" is not an enum field of the header${suggest(key, enums)}`);
      continue;
    }
    const enumType = field.type;
    const values: EnumValue[] = [];
    const names = Array.isArray(rawValues) ? rawValues : [rawValues];
    names.forEach((valueName, i) => {
      const value = enumType.values.find((x) => x.name === valueName);
      if (value !== undefined) values.push(value);
      else {
        const at = file.locate(Array.isArray(rawValues) ? [...path, key, i] : [...path, key]);
        ctx.report(at, `"${valueName}" is not a value of ${enumType.name}${suggest(valueName, enumType.values.map((x) => x.name))}`);
      }
    });
    if (values.length > 0) out.push({ field, values });
  }
  return out;
}
