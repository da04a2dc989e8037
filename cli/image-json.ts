import type { Image, ImageInit, ImageSection } from "../generated/index.js";
import { schema } from "../generated/schema.js";
import { fromJson, JsonShapeError, toJson, type JsonShape, type UnknownSection } from "../runtime/index.js";
import { sectionShape, structShape } from "../runtime/reflect/index.js";

// The JSON shapes come from the schema model the generated code embeds: one source of truth.
const headerShape = structShape(schema.container!.header);

/** The JSON shape of a known section's body under this header; undefined for a type the format does not know. */
function bodyShape(type: string, header: object): JsonShape | undefined {
  const section = schema.section(type);
  return section === undefined ? undefined : sectionShape(schema, section, header);
}

/** The JSON form of an image, as `dump` writes it and `build` reads it. */
export interface ImageJson {
  readonly format: "xenimage-json";
  readonly version: 1;
  /** How values that JSON cannot hold exactly are written. */
  readonly encoding: { readonly u64: "decimal-string"; readonly bytes: "base64" };
  /** Set when page contents or sections were left out: such a dump cannot be built back. */
  readonly partial?: string;
  readonly header: unknown;
  readonly sections: readonly unknown[];
}

/** Options of {@link imageToJson}. */
export interface DumpOptions {
  /** Include page contents (default false: page_data lists its pfns only). */
  readonly pages?: boolean;
  /** Only these section types (default: all). */
  readonly sections?: readonly string[];
}

/** One section as JSON data, as `dump` writes it (page contents only with `pages`). */
export function sectionToJson(section: ImageSection, header: Image["header"], pages: boolean): unknown {
  if (section.type === "unknown") {
    const u = section as UnknownSection;
    return { type: "unknown", id: u.id, optional: u.optional, flags: u.flags, entryCount: u.entryCount.toString(), entrySize: u.entrySize, align: u.align, bytes: toJson(u.bytes, "bytes") };
  }
  const shape = bodyShape(section.type, header)!;
  if (section.type === "page_data" && !pages) {
    // The pages left out are not converted at all (base64 of every page, thrown away, was most of the work).
    const body = toJson({ ...section.body, pages: [] }, shape) as Record<string, unknown>;
    body.pages = { omitted: section.body.pages.length };
    return section.flags === undefined ? { type: section.type, body } : { type: section.type, flags: section.flags, body };
  }
  const body = toJson(section.body, shape) as Record<string, unknown>;
  return section.flags === undefined ? { type: section.type, body } : { type: section.type, flags: section.flags, body };
}

/**
 * Everything of an image's JSON but its sections (which follow as the last member, `sections`): a
 * dump can then be written a section at a time. `hasPageData` says whether the image has a page_data
 * section at all (only then are page contents left out without `pages`).
 */
export function dumpHead(header: Image["header"], options: DumpOptions & { readonly hasPageData: boolean }): Omit<ImageJson, "sections"> {
  const wanted = options.sections;
  const partial = [
    options.pages === true || !options.hasPageData ? undefined : "page contents left out (dump with --pages to build it back)",
    wanted === undefined ? undefined : `only the sections ${wanted.join(", ")}`,
  ].filter((p) => p !== undefined);
  return {
    format: "xenimage-json",
    version: 1,
    encoding: { u64: "decimal-string", bytes: "base64" },
    ...(partial.length > 0 ? { partial: partial.join("; ") } : {}),
    header: toJson(header, headerShape),
  };
}

/** Whether `dump` with these options writes a section of this type. */
export function dumpsSection(type: string, options: DumpOptions): boolean {
  return options.sections === undefined || options.sections.includes(type);
}

/** An image in memory as JSON data: header and sections, 64-bit integers as decimal strings, bytes as base64. */
export function imageToJson(image: Image, options: DumpOptions = {}): ImageJson {
  const head = dumpHead(image.header, { ...options, hasPageData: image.sections.some((s) => s.type === "page_data") });
  const sections = image.sections.filter((s) => dumpsSection(s.type, options)).map((s) => sectionToJson(s, image.header, options.pages ?? false));
  return { ...head, sections };
}

function invalid(reason: string, path: string): never {
  throw new JsonShapeError("json", reason, { path });
}

/** JSON data from `dump --pages` back to an image to encode; every mismatch names its JSON path. */
export function imageFromJson(json: unknown): ImageInit {
  if (json === null || typeof json !== "object" || (json as ImageJson).format !== "xenimage-json") {
    invalid('not a xenimage JSON dump (no "format": "xenimage-json")', "format");
  }
  const doc = json as ImageJson;
  if (doc.version !== 1) invalid(`dump version ${String(doc.version)}; this tool reads version 1`, "version");
  if (doc.partial !== undefined) invalid(`the dump is partial (${doc.partial}) and cannot be built back`, "partial");
  if (!Array.isArray(doc.sections)) invalid("expected an array", "sections");
  const header = fromJson(doc.header, headerShape, "header") as ImageInit["header"];
  const sections = doc.sections.map((raw, i): ImageSection => {
    const path = `sections[${i}]`;
    const s = raw as { type?: unknown; flags?: unknown; body?: unknown; id?: unknown; optional?: unknown; entryCount?: unknown; entrySize?: unknown; align?: unknown; bytes?: unknown };
    if (s === null || typeof s !== "object" || typeof s.type !== "string") invalid("expected an object with a type", path);
    if (s.type === "unknown") {
      const shape = { kind: "struct", fields: { id: "number", optional: "number", flags: "number", entryCount: "bigint", entrySize: "number", align: "number", bytes: "bytes" } } as const;
      const u = fromJson({ ...s, optional: s.optional === true ? 1 : 0 }, shape, path) as Record<string, unknown>;
      return { type: "unknown", id: u.id as number, optional: u.optional === 1, flags: u.flags as number, entryCount: u.entryCount as bigint, entrySize: u.entrySize as number, align: u.align as number, bytes: u.bytes as Uint8Array };
    }
    const shape = bodyShape(s.type, header);
    if (shape === undefined) invalid(`unknown section type "${s.type}"`, `${path}.type`);
    const body = fromJson(s.body, shape, `${path}.body`);
    const flags = s.flags === undefined ? undefined : fromJson(s.flags, "number", `${path}.flags`);
    return (flags === undefined ? { type: s.type, body } : { type: s.type, flags, body }) as ImageSection;
  });
  return { header, sections };
}
