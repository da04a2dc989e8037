import type { Decl, ModuleDecl, SectionDecl } from "../model/model.js";
import type { GeneratedFile } from "./generated-file.js";

/** Where generated modules import the runtime from by default (they sit in generated/, it in runtime/). */
export const RUNTIME_MODULE = "../runtime/index.js";

/**
 * What the construct emitters share while writing one generated module: the file, and imports that
 * follow from using a runtime name or a declaration of another module.
 */
export class ModuleEmitter {
  constructor(
    readonly file: GeneratedFile,
    readonly module: ModuleDecl,
    private readonly runtimeModule = RUNTIME_MODULE,
  ) {}

  /** Uses a runtime export; returns its name. */
  runtime(name: string, typeOnly = false): string {
    this.file.import(this.runtimeModule, name, typeOnly);
    return name;
  }

  /** Uses a name generated for `decl`, importing it when the declaration lives in another module. */
  ref(decl: Decl | SectionDecl | { module: string }, name: string, typeOnly = false): string {
    if (decl.module !== this.module.name) this.file.import(`./${decl.module}.js`, name, typeOnly);
    return name;
  }
}
