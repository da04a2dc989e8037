import type { Diagnostic } from "../diagnostics.js";
import type { SchemaFile } from "../parse/load-schemas.js";
import { buildContainer } from "./container.js";
import { BuildContext } from "./context.js";
import { deepFreeze } from "./freeze.js";
import type { ContainerDecl, LibraryModel, Model, ModuleDecl } from "./model.js";
import { buildRules } from "./rules.js";
import { buildSections, containerHeader, containerSite } from "./sections.js";

/**
 * Builds the model from validated schema files. Every problem found is pushed to `diagnostics`; the
 * returned model is only meaningful when none were. The model is immutable: each node is complete when
 * it is made, and the whole is frozen.
 *
 * The passes, in order, each a verb, each returning its own diagnostics (see {@link buildPasses}):
 * 1. check names (`context.ts`): every declaration and section name claimed once, imports checked;
 * 2. resolve types and compute layout (`scalar-decls.ts`, `structs.ts`): enums, flags, bit fields and
 *    struct layouts, each built on first use (so order in the files does not matter), with the facts
 *    each field's construct decides;
 * 3. build sections (`sections.ts`): ids, bodies and variants, selected on the container's header;
 * 4. build the container (`container.ts`): header, entry and end section, with the fields the runtime needs;
 * 5. check rules (`rules.ts`): which sections each image type holds, and that no two rules overlap.
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

/** One pass of the build, by name, and the problems it found (in schema order). */
export interface PassReport {
  readonly pass: "check names" | "resolve types" | "build sections" | "build container" | "check rules";
  readonly diagnostics: readonly Diagnostic[];
}

/** Runs the passes over `files` and reports each one's diagnostics: what {@link buildModel} collects. */
export function buildPasses(files: readonly SchemaFile[], kind: "image" | "library" = "image"): { readonly model: (LibraryModel & Partial<Model>) | undefined; readonly passes: readonly PassReport[] } {
  const passes: PassReport[] = [];
  const model = run(files, kind, passes);
  return { model, passes };
}

function build(files: readonly SchemaFile[], diagnostics: Diagnostic[], kind: "image" | "library", runtimeRoles = true): (LibraryModel & Partial<Model>) | undefined {
  const passes: PassReport[] = [];
  const model = run(files, kind, passes, runtimeRoles);
  for (const p of passes) diagnostics.push(...p.diagnostics);
  return model;
}

function run(files: readonly SchemaFile[], kind: "image" | "library", passes: PassReport[], runtimeRoles = true): (LibraryModel & Partial<Model>) | undefined {
  const ctx = new BuildContext(files);
  const pass = <T>(name: PassReport["pass"], step: () => T): T => {
    const { result, diagnostics } = ctx.pass(step);
    passes.push({ pass: name, diagnostics });
    return result;
  };

  pass("check names", () => ctx.checkNames());
  // Declarations in file then name order, so the output is stable; the container's header first
  // among the uses that follow, since section variants select on it.
  const { site, headerDecl } = pass("resolve types", () => {
    for (const name of ctx.declSites.keys()) ctx.buildDecl(name);
    const site = containerSite(ctx);
    return { site, headerDecl: containerHeader(ctx, site) };
  });
  const sections = pass("build sections", () => buildSections(ctx, headerDecl));
  const container = pass("build container", (): ContainerDecl | undefined => {
    if (kind === "library") {
      for (const { raw, file } of ctx.rawFiles.values()) {
        for (const key of ["container", "sections", "rules"] as const) {
          if (raw[key] !== undefined) ctx.report(file.locate([], key), `a library of types (a schema subfolder) declares no ${key}; only schema/*.yaml describe the image`);
        }
      }
      return undefined;
    }
    if (site === undefined) {
      const first = files[0];
      if (first !== undefined) ctx.report(first.locate([]), "no file declares the container (header, entry, end, version)");
      return undefined;
    }
    return buildContainer(ctx, site, headerDecl, sections, runtimeRoles);
  });
  const rules = pass("check rules", () => buildRules(ctx, sections, container, headerDecl));

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
  if (kind === "library") return deepFreeze({ modules });
  return deepFreeze({
    modules,
    container,
    sections: [...sections.values()].sort((a, b) => a.id - b.id),
    rules,
  });
}
