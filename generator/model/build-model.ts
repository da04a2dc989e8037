import type { Diagnostic } from "../diagnostics.js";
import type { SchemaFile } from "../parse/load-schemas.js";
import { buildContainer } from "./container.js";
import { BuildContext } from "./context.js";
import type { LibraryModel, Model, ModuleDecl } from "./model.js";
import { buildRules } from "./rules.js";
import { buildSections, containerHeader, containerSite } from "./sections.js";


/**
 * Builds the model from validated schema files: resolves references (within a file and across its
 * imports), computes sizes and offsets, and checks what the meta-schema cannot (unknown references,
 * duplicates, sizes that disagree, values that overflow their container). Every problem found is
 * pushed to `diagnostics`; the returned model is only meaningful when none were.
 *
 * The passes, each in its own file:
 * 1. names (`context.ts`): every declaration and section name claimed once, imports checked;
 * 2. declarations (`scalar-decls.ts`, `structs.ts`): enums, flags, bit fields and struct layouts, each
 *    built on first use, so order in the files does not matter;
 * 3. sections (`sections.ts`): ids, bodies and variants, selected on the container's header;
 * 4. the container (`container.ts`): header, entry and end section, with the fields the runtime needs;
 * 5. rules (`rules.ts`): which sections each image type holds, and that no two rules overlap.
 */
export function buildModel(files: readonly SchemaFile[], diagnostics: Diagnostic[], options: BuildOptions = {}): Model | undefined {
  const built = build(files, diagnostics, "image", options.runtimeRoles ?? true);
  return built?.container === undefined ? undefined : (built as Model);
}

/**
 * Builds a library of types without the image container: the layouts of other formats (Xen's
 * migration streams, ELF) described in the same language, whose files may declare types only.
 */
export function buildLibrary(files: readonly SchemaFile[], diagnostics: Diagnostic[]): LibraryModel | undefined {
  return build(files, diagnostics, "library");
}

/** Options of {@link buildModel}. */
export interface BuildOptions {
  /**
   * Check that the header and entry have every field today's runtime reads (default true). False for a
   * model that is only compared, never emitted: an earlier release's schemas (`xenimage breaking`).
   */
  readonly runtimeRoles?: boolean;
}

function build(files: readonly SchemaFile[], diagnostics: Diagnostic[], kind: "image" | "library", runtimeRoles = true): (LibraryModel & Partial<Model>) | undefined {
  const ctx = new BuildContext(files, diagnostics);
  // Declarations in file then name order, so the output is stable.
  for (const name of ctx.declSites.keys()) ctx.buildDecl(name);
  // The container's header first: section variants select on it.
  const site = containerSite(ctx);
  const headerDecl = containerHeader(ctx, site);
  const sections = buildSections(ctx, headerDecl);

  let container: Model["container"] | undefined;
  if (kind === "library") {
    for (const { raw, file } of ctx.rawFiles.values()) {
      for (const key of ["container", "sections", "rules"] as const) {
        if (raw[key] !== undefined) ctx.report(file.locate([], key), `a library of types (a schema subfolder) declares no ${key}; only schema/*.yaml describe the image`);
      }
    }
  } else if (site === undefined) {
    const first = files[0];
    if (first !== undefined) ctx.report(first.locate([]), "no file declares the container (header, entry, end, version)");
  } else {
    container = buildContainer(ctx, site, headerDecl, sections, runtimeRoles);
  }
  const rules = buildRules(ctx, sections, container, headerDecl);

  if (kind === "image" && container === undefined) return undefined;
  const modules: ModuleDecl[] = files.map((f) => {
    const raw = ctx.rawFiles.get(f.name)!.raw;
    return {
      name: f.name,
      file: f.file,
      doc: raw.doc,
      imports: raw.imports ?? [],
      decls: [...ctx.declSites.keys()].flatMap((n) => {
        const d = ctx.built.get(n);
        return d !== undefined && d.module === f.name ? [d] : [];
      }),
      sections: [...sections.values()].filter((s) => s.module === f.name),
      rules: rules.filter((r) => r.module === f.name),
    };
  });
  if (kind === "library") return { modules };
  return {
    modules,
    container,
    sections: [...sections.values()].sort((a, b) => a.id - b.id),
    rules,
  };
}
