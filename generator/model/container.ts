import type { BuildContext } from "./context.js";
import type { ContainerDecl, EnumDecl, IntName, SectionDecl, StructDecl } from "./model.js";
import type { Located, RawFile } from "./raw.js";
import { suggest } from "./vocabulary.js";

// The image container: which struct is the header and which the section-table entry (each with the
// fields the runtime reads, of the types it expects), and the empty end section.

/** The fields the runtime container reads and fills in, with the integer type each must have. */
export const CONTAINER_HEADER_FIELDS: Record<string, IntName> = {
  byte_order: "u8",
  format_version: "u16",
  header_size: "u32",
  section_table_offset: "u64",
  section_count: "u32",
  section_entry_size: "u32",
  header_crc: "u32",
};
export const CONTAINER_ENTRY_FIELDS: Record<string, IntName> = {
  type: "u32",
  flags: "u32",
  offset: "u64",
  size: "u64",
  entry_count: "u64",
  entry_size: "u32",
  align: "u32",
  crc: "u32",
  entry_crc: "u32",
};

/**
 * The container the file at `site` declares, checked; undefined when something is missing or wrong.
 * Without `runtimeRoles`, the header and entry need not have the fields today's runtime reads: an
 * earlier release's schemas (version 1 had no entry_crc) still build a model to compare with.
 */
export function buildContainer(
  ctx: BuildContext,
  site: Located<RawFile>,
  headerDecl: StructDecl | undefined,
  sections: ReadonlyMap<string, SectionDecl>,
  runtimeRoles = true,
): ContainerDecl | undefined {
  const { raw, file } = site;
  const c = raw.container!;
  const e = ctx.resolveType(c.entry, file, file.locate(["container", "entry"]));
  const end = sections.get(c.end);
  if (end === undefined) ctx.report(file.locate(["container", "end"]), `unknown section "${c.end}"${suggest(c.end, [...sections.keys()])}`);
  const checkRoles = (s: StructDecl | undefined, roles: Record<string, IntName>, what: string, key: string) => {
    if (s === undefined || !runtimeRoles) return;
    if (s.size === undefined) ctx.report(file.locate(["container", key]), `the ${what} must have a fixed size`);
    for (const [role, intName] of Object.entries(roles)) {
      const f = s.fields.find((x) => x.name === role);
      const base = f === undefined ? undefined : f.type.kind === "int" ? f.type : f.type.kind === "enum" || f.type.kind === "flags" ? f.type.base : undefined;
      if (f === undefined || base?.name !== intName || f.count !== undefined || f.hidden || f.repr === "number") {
        ctx.report(file.locate(["container", key]), `the ${what} "${s.name}" needs a field "${role}" of type ${intName}`);
      }
    }
  };
  if (e !== undefined && e.kind !== "struct") ctx.report(file.locate(["container", "entry"]), "the entry must be a struct");
  checkRoles(headerDecl, CONTAINER_HEADER_FIELDS, "header", "header");
  checkRoles(e?.kind === "struct" ? e : undefined, CONTAINER_ENTRY_FIELDS, "entry", "entry");
  const byteOrder = headerDecl?.fields.find((f) => f.name === "byte_order");
  if (byteOrder !== undefined && (byteOrder.type.kind !== "enum" || !["little", "big"].every((n) => (byteOrder.type as EnumDecl).values.some((v) => v.name === n)))) {
    ctx.report(byteOrder.source, `byte_order must be an enum with the values "little" and "big"`);
  }
  // A reader checks the magic before anything else (it tells an image from other bytes), so it comes first.
  const first = headerDecl?.fields[0];
  if (headerDecl !== undefined && (first === undefined || !Array.isArray(first.constValue))) {
    ctx.report(file.locate(["container", "header"]), `the header "${headerDecl.name}" must start with a magic: a byte-list constant field`);
  }
  if (end !== undefined && !(end.variants.length === 1 && end.variants[0]!.body.kind === "empty")) {
    ctx.report(file.locate(["container", "end"]), `the end section must be empty`);
  }
  const entryCrcSince = c.entry_crc_since ?? 1;
  if (entryCrcSince > c.version) {
    ctx.report(file.locate(["container", "entry_crc_since"]), `entry_crc_since ${entryCrcSince} is after the format's version ${c.version}`);
  }
  if (headerDecl === undefined || e?.kind !== "struct" || end === undefined) return undefined;
  return { doc: c.doc, version: c.version, entryCrcSince, header: headerDecl, entry: e, end, module: file.name, source: file.locate(["container"]) };
}
