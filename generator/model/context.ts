import type { Diagnostic } from "../diagnostics.js";
import type { SchemaFile, YamlPath } from "../parse/load-schemas.js";
import type { Decl, FieldType, Source } from "./model.js";
import type { Located, RawDecl, RawFile, RawSection } from "./raw.js";
import type { PassContext } from "./pass-context.js";
import { buildBits, buildEnum, buildFlags } from "./scalar-decls.js";
import { buildStruct } from "./structs.js";
import { BUILTIN_TYPES } from "../constructs/registry.js";
import { RESERVED_FIELD_NAMES, RUNTIME_IMPORTS, SHADOWED_GLOBALS, declGeneratedNames, sectionGeneratedNames, suggest } from "./vocabulary.js";

/**
 * What every model pass shares: the schema files, where each declaration and section is declared, the
 * declarations built so far, and the running pass's diagnostics. Its own pass is the first, check
 * names; declarations are then built on first use, so a struct can use a type declared after it or in a
 * file it imports.
 */
export class BuildContext implements PassContext {
  /** Each file's raw content, by module name. */
  readonly rawFiles = new Map<string, Located<RawFile>>();
  /** Where each declaration (types:) is, by name, in file then name order. */
  readonly declSites = new Map<string, Located<RawDecl>>();
  /** Where each section is, by name. */
  readonly sectionSites = new Map<string, Located<RawSection>>();
  /** The declarations built so far, by name. */
  readonly built = new Map<string, Decl>();
  /** Declarations being built: one met again is a type that contains itself. */
  private readonly building = new Set<string>();

  /** Where {@link report} records problems: the list of the pass that is running. */
  private diagnostics: Diagnostic[] = [];

  constructor(readonly files: readonly SchemaFile[]) {
    for (const file of files) this.rawFiles.set(file.name, { raw: file.data as RawFile, file, path: [] });
  }

  /**
   * The first pass, check names: every declaration and section name is claimed once (they share one
   * generated namespace), none is a built-in's or shadows a global, and every import names a file.
   */
  checkNames(): void {
    // Keyed by generated TypeScript name, so `foo_bar` and `foo__bar` (both `FooBar`) collide too.
    const nameOwner = new Map<string, { readonly name: string; readonly where: Source }>();
    for (const { raw, file } of this.rawFiles.values()) {
      const claim = (name: string, path: YamlPath, generated: readonly string[]) => {
        const where = file.locate(path.slice(0, -1), name);
        const runtimeName = generated.find((g) => RUNTIME_IMPORTS.has(g));
        if (runtimeName !== undefined) {
          this.report(where, `"${name}" would be generated as ${runtimeName}, which generated code imports from the runtime; choose another name`);
          return false;
        }
        for (const g of generated) {
          const first = nameOwner.get(g);
          if (first === undefined) continue;
          const at = `${first.where.file}:${first.where.line}:${first.where.col}`;
          this.report(where, first.name === name ? `"${name}" is already declared at ${at}` : `"${name}" would be generated as ${g}, as "${first.name}" declared at ${at} is; choose another name`);
          return false;
        }
        for (const g of generated) nameOwner.set(g, { name, where });
        return true;
      };
      for (const [name, decl] of Object.entries(raw.types ?? {})) {
        if (SHADOWED_GLOBALS.has(name)) this.report(file.locate(["types"], name), `"${name}" would shadow TypeScript's built-in of that name in generated code; choose another name`);
        if (Object.hasOwn(BUILTIN_TYPES, name)) this.report(file.locate(["types"], name), `"${name}" is a built-in type name`);
        else if (claim(name, ["types", name], declGeneratedNames(name, decl))) this.declSites.set(name, { raw: decl, file, path: ["types", name] });
      }
      for (const [name, section] of Object.entries(raw.sections ?? {})) {
        if (RESERVED_FIELD_NAMES.has(name)) this.report(file.locate(["sections"], name), `"${name}" is reserved`);
        else if (claim(name, ["sections", name], sectionGeneratedNames(name, section))) this.sectionSites.set(name, { raw: section, file, path: ["sections", name] });
      }
      for (const [i, imported] of (raw.imports ?? []).entries()) {
        if (!this.rawFiles.has(imported)) {
          this.report(file.locate(["imports", i]), `unknown import "${imported}"${suggest(imported, [...this.rawFiles.keys()])}`);
        }
      }
    }
  }

  /** Runs one pass of the build: its result, and the problems it (and only it) found. */
  pass<T>(run: () => T): { readonly result: T; readonly diagnostics: readonly Diagnostic[] } {
    const outer = this.diagnostics;
    this.diagnostics = [];
    try {
      const result = run();
      return { result, diagnostics: this.diagnostics };
    } finally {
      const found = this.diagnostics;
      this.diagnostics = outer;
      outer.push(...found);
    }
  }

  /** Records a problem at `where`. */
  report(where: Source, message: string): void {
    this.diagnostics.push({ file: where.file, line: where.line, col: where.col, path: where.path, message });
  }

  /** Resolves a type name as seen from `from` (its own declarations and its imports). */
  resolveType(name: string, from: SchemaFile, where: Source): FieldType | undefined {
    if (Object.hasOwn(BUILTIN_TYPES, name)) return BUILTIN_TYPES[name];
    const site = this.declSites.get(name);
    const visible = [from.name, ...(this.rawFiles.get(from.name)?.raw.imports ?? [])];
    if (site === undefined) {
      const known = [...Object.keys(BUILTIN_TYPES), ...[...this.declSites.entries()].filter(([, s]) => visible.includes(s.file.name)).map(([n]) => n)];
      this.report(where, `unknown type "${name}"${suggest(name, known)}`);
      return undefined;
    }
    if (!visible.includes(site.file.name)) {
      this.report(where, `type "${name}" is declared in ${site.file.file}, which this file does not import (add it to imports)`);
      return undefined;
    }
    return this.buildDecl(name, where);
  }

  /** The declaration `name`, built on first use (undefined when it is unknown or contains itself). */
  buildDecl(name: string, usedAt?: Source): Decl | undefined {
    const done = this.built.get(name);
    if (done !== undefined) return done;
    const site = this.declSites.get(name);
    if (site === undefined) return undefined;
    if (this.building.has(name)) {
      this.report(usedAt ?? site.file.locate(site.path), `type "${name}" contains itself`);
      return undefined;
    }
    this.building.add(name);
    const { raw, file, path } = site;
    const source = file.locate(path);
    let decl: Decl | undefined;
    if (raw.enum !== undefined) decl = buildEnum(this, name, raw, file, path, source);
    else if (raw.flags !== undefined) decl = buildFlags(this, name, raw, file, path, source);
    else if (raw.bits !== undefined) decl = buildBits(this, name, raw, file, path, source);
    // A declared struct may read the section's entries or rest; where it is used decides if that fits.
    else decl = buildStruct(this, name, raw.doc, raw.fields ?? [], file, path, source, raw.size);
    this.building.delete(name);
    if (decl !== undefined) this.built.set(name, decl);
    return decl;
  }
}
