import type { Field, SectionBody, StructDecl } from "../model/model.js";
import type { ModuleEmitter } from "./module-emitter.js";
import { camel, str } from "./names.js";
import { intBase, intTsType, typedArrayElement } from "./scalars.js";

/**
 * JSON shapes: for every struct, a constant describing how its values map to JSON (which numbers are
 * 64-bit, which strings are bytes), so the runtime can dump and rebuild values without guessing.
 */

/** The name of a struct's shape constant. */
export function shapeName(struct: StructDecl): string {
  return `${camel(struct.name)}Shape`;
}

/** A reference to a struct's shape, deferred: shapes refer to each other in any order. */
function structRef(m: ModuleEmitter, struct: StructDecl): string {
  return `{ kind: "lazy", get: () => ${m.ref(struct, shapeName(struct))} }`;
}

function elementShape(m: ModuleEmitter, field: Field): string {
  const t = field.type;
  switch (t.kind) {
    case "int":
    case "enum":
    case "flags":
      return str(intTsType(field, intBase(t)!));
    case "float":
      return '"number"';
    case "bits":
      return `{ kind: "struct", fields: { ${t.fields
        .filter((b) => b.reserved === undefined)
        .map((b) => `${camel(b.name)}: ${str(b.repr)}`)
        .join(", ")} } }`;
    case "struct":
      return structRef(m, t);
    case "bytes":
      return '"bytes"';
    case "string":
      return '"string"';
    case "switch": {
      const cases = t.cases.map((c) => `${str(c.name)}: ${c.struct === undefined ? "null" : structRef(m, c.struct)}`).join(", ");
      return `{ kind: "union", selector: ${str(intTsType(t.selector, intBase(t.selector.type)!))}, cases: { ${cases} } }`;
    }
    default:
      return '"null"';
  }
}

function fieldShape(m: ModuleEmitter, field: Field): string {
  if (field.typedArray) return `{ kind: "typed_array", of: ${str(typedArrayElement(field))} }`;
  const t = field.type;
  const array = field.count !== undefined && !(t.kind === "bytes" && t.elementSize === undefined) && t.kind !== "string";
  const element = elementShape(m, field);
  return array ? `{ kind: "array", of: ${element} }` : element;
}

/** Emits `xShape` for a struct. */
export function emitStructShape(m: ModuleEmitter, struct: StructDecl): void {
  const fields = struct.fields.filter((f) => !f.hidden).map((f) => `${camel(f.name)}: ${fieldShape(m, f)}`);
  m.file.constant(shapeName(struct), `How ${struct.name} values map to JSON.`, `{ kind: "struct", fields: { ${fields.join(", ")} } }`, m.runtime("JsonShape", true));
}

/** The shape expression of a section body. */
export function bodyShape(m: ModuleEmitter, body: SectionBody): string {
  switch (body.kind) {
    case "empty":
      return '"null"';
    case "struct":
      return structRef(m, body.struct);
    case "entries":
      return `{ kind: "array", of: ${structRef(m, body.struct)} }`;
  }
}
