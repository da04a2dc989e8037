import type { SchemaFile } from "../parse/load-schemas.js";
import type { FieldType, Source } from "./model.js";
import type { Located, RawFile } from "./raw.js";

/**
 * What a declaration builder needs from the build: report a problem, resolve a type name, read a
 * file's raw settings. `BuildContext` is one; the builders depend on this interface rather than on the
 * class, because the class calls the builders (no import cycle).
 */
export interface PassContext {
  /** Each file's raw content, by module name. */
  readonly rawFiles: ReadonlyMap<string, Located<RawFile>>;
  /** Records a problem at `where`. */
  report(where: Source, message: string): void;
  /** Resolves a type name as seen from `from` (its own declarations and its imports). */
  resolveType(name: string, from: SchemaFile, where: Source): FieldType | undefined;
}
