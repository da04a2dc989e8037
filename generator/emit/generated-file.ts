import { printStructure, StructureKind, VariableDeclarationKind, type StatementStructures } from "ts-morph";

/** A property of a generated interface. */
export interface PropertySpec {
  readonly name: string;
  readonly type: string;
  readonly doc?: string | undefined;
  readonly optional?: boolean;
}

/** A generated function: its body is a list of statements (or nested statement lists). */
export interface FunctionSpec {
  readonly name: string;
  readonly doc?: string | undefined;
  /**
   * Parameters; one with an `initializer` is optional, and the initializer its default (its type, when
   * not given, is the initializer's).
   */
  readonly params: readonly { name: string; type?: string; initializer?: string }[];
  readonly returns: string;
  readonly body: readonly string[];
}

/** A generated class: private readonly constructor parameters, getters and methods. */
export interface ClassSpec {
  readonly name: string;
  readonly doc?: string | undefined;
  readonly implements?: string | undefined;
  /** Private (`#name`) readonly properties, each set from the constructor parameter of the same name. */
  readonly fields: readonly { name: string; type: string }[];
  /** Printed one after the other, without blank lines: a view has hundreds of one-statement getters. */
  readonly getters: readonly { name: string; type: string; doc?: string | undefined; body: readonly string[] }[];
  readonly methods: readonly FunctionSpec[];
}

/**
 * The one place that talks to ts-morph. Emitters say what to declare (`import`, `interface`,
 * `function`, `constant`, `typeAlias`) in the order the output should read; the facade keeps the
 * imports deduplicated and sorted, and renders the file. Emitters never build source text for
 * declarations themselves.
 */
export class GeneratedFile {
  private readonly imports = new Map<string, Map<string, boolean>>();
  /**
   * Declarations, printed at render time: as structures, so no source file is built or re-parsed; a
   * class is kept printed (see {@link class}).
   */
  private readonly statements: (StatementStructures | string)[] = [];

  constructor(
    readonly path: string,
    private readonly preamble: string,
  ) {}

  /** Imports `name` from `from`; type-only unless some use needs the value. */
  import(from: string, name: string, typeOnly = false): void {
    let names = this.imports.get(from);
    if (names === undefined) this.imports.set(from, (names = new Map()));
    names.set(name, (names.get(name) ?? true) && typeOnly);
  }

  interface(name: string, doc: string | undefined, properties: readonly PropertySpec[]): void {
    this.statements.push({
      kind: StructureKind.Interface,
      name,
      isExported: true,
      docs: doc === undefined ? [] : [doc],
      properties: properties.map((p) => ({ name: p.name, type: p.type, hasQuestionToken: p.optional ?? false, docs: p.doc === undefined ? [] : [p.doc] })),
    });
  }

  typeAlias(name: string, doc: string | undefined, type: string): void {
    this.statements.push({ kind: StructureKind.TypeAlias, name, isExported: true, type, docs: doc === undefined ? [] : [doc] });
  }

  constant(name: string, doc: string | undefined, init: string, type?: string, exported = true): void {
    this.statements.push({
      kind: StructureKind.VariableStatement,
      isExported: exported,
      declarationKind: VariableDeclarationKind.Const,
      docs: doc === undefined ? [] : [doc],
      declarations: [{ name, initializer: init, ...(type === undefined ? {} : { type }) }],
    });
  }

  function(spec: FunctionSpec): void {
    this.statements.push({
      kind: StructureKind.Function,
      name: spec.name,
      isExported: true,
      docs: spec.doc === undefined ? [] : [spec.doc],
      parameters: spec.params.map((p) => ({ name: p.name, ...(p.type === undefined ? {} : { type: p.type }), ...(p.initializer === undefined ? {} : { initializer: p.initializer }) })),
      returnType: spec.returns,
      statements: spec.body.join("\n"),
    });
  }

  class(spec: ClassSpec): void {
    const docs = (doc: string | undefined) => (doc === undefined ? [] : [doc]);
    const fields = spec.fields.map((f) => printStructure({ kind: StructureKind.Property, name: `#${f.name}`, type: f.type, isReadonly: true }));
    const ctor = printStructure({
      kind: StructureKind.Constructor,
      parameters: spec.fields.map((f) => ({ name: f.name, type: f.type })),
      statements: spec.fields.map((f) => `this.#${f.name} = ${f.name};`),
    });
    const getters = spec.getters.map((g) =>
      printStructure({ kind: StructureKind.GetAccessor, name: g.name, returnType: g.type, docs: docs(g.doc), statements: g.body.join("\n") }),
    );
    const members = [
      [...fields, ctor, ...getters].join("\n"),
      ...spec.methods.map((m) =>
        printStructure({
          kind: StructureKind.Method,
          name: m.name,
          docs: docs(m.doc),
          parameters: m.params.map((p) => ({ name: p.name, type: p.type })),
          returnType: m.returns,
          statements: m.body.join("\n"),
        }),
      ),
    ];
    // ts-morph separates class members by blank lines, which prettier keeps; the members are printed
    // here and set in the class's (empty) body so the constructor and getters stay together.
    const shell = printStructure({
      kind: StructureKind.Class,
      name: spec.name,
      isExported: true,
      docs: docs(spec.doc),
      implements: spec.implements === undefined ? [] : [spec.implements],
    }).trimEnd();
    if (!shell.endsWith("{\n}")) throw new Error(`unexpected class shell for ${spec.name}`);
    this.statements.push(`${shell.slice(0, -1)}${members.join("\n\n")}\n}`);
  }

  /** Re-exports everything of another module. */
  exportAll(from: string): void {
    this.statements.push({ kind: StructureKind.ExportDeclaration, moduleSpecifier: from });
  }

  /** The file's text: preamble, sorted imports, then the declarations in the order they were added. */
  render(): string {
    const specifiers = [...this.imports.keys()].sort();
    const imports: StatementStructures[] = specifiers.map((from) => {
      const names = [...this.imports.get(from)!.entries()].sort(([a], [b]) => a.localeCompare(b));
      const allTypes = names.every(([, t]) => t);
      return {
        kind: StructureKind.ImportDeclaration,
        moduleSpecifier: from,
        isTypeOnly: allTypes,
        namedImports: names.map(([name, t]) => ({ name, isTypeOnly: !allTypes && t })),
      };
    });
    // Printed standalone, not inserted into a source file: insertion re-parses the whole file with the
    // TypeScript compiler, which cost more than the rest of emission. Layout: the imports as one block,
    // then a blank line between top-level statements (prettier keeps blank lines, so this is the output's).
    const print = (s: StatementStructures | string) => (typeof s === "string" ? s : printStructure(s).trimEnd());
    const blocks = imports.length > 0 ? [imports.map(print).join("\n")] : [];
    const text = [...blocks, ...this.statements.map(print)].join("\n\n");
    return `${this.preamble}\n${text}\n`;
  }
}
