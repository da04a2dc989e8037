import type { Endian, StructDecl } from "../model/model.js";
import { pascal } from "../emit/names.js";
import type { Construct } from "./construct.js";

/** A nested struct: its own generated codec (and, when fixed, its positional codec and lazy view). */
export const structConstruct: Construct<StructDecl> = {
  kind: "struct",
  elementSize: (t) => t.size,
  repeats: () => true,
  // Its own fields follow the byte order; the struct's `contextOrdered` says so.
  byteOrdered: () => false,
  fallible: (t) => t.fields.some((f) => f.fallible),
  tsType: (m, _field, t) => m.ref(t, pascal(t.name), true),
  read: (m, _field, t, named) => `r.nested(${m.ref(t, `decode${pascal(t.name)}`)}, ${named})`,
  write: (m, _field, t, value, named) => `w.nested(${m.ref(t, `encode${pascal(t.name)}`)}, ${value}, ${named});`,
  readAt: (m, _field, t, at, r, named) =>
    named === undefined ? `${m.ref(t, `decode${pascal(t.name)}`)}(${r}, ${at})` : `${r}.nestedAt(${m.ref(t, `decode${pascal(t.name)}`)}, ${at}, ${named})`,
  writeAt: (m, _field, t, at, value, order, named) => `w.nestedAt(${m.ref(t, encoderAt(t, order))}, ${at}, ${value}, ${named});`,
  checkAt: (m, _field, t, at, named) =>
    named === undefined ? `${m.ref(t, viewNames(t).checkAt)}(r, ${at});` : `r.nestedAt(${m.ref(t, viewNames(t).checkAt)}, ${at}, ${named});`,
  viewAt(m, _field, t, at, r) {
    const cls = m.ref(t, viewNames(t).cls);
    return { type: cls, value: `new ${cls}(${r}, ${at})` };
  },
  schemaJson: (t) => t.name,
  uses: (t) => [t],
  arbitrary: (_field, t, gen) => gen.struct(t),
  docType: (_field, t, docs) => docs.times([docs.typeRef(t)]),
};

/** The names generated for a fixed struct's lazy view. */
export function viewNames(struct: StructDecl): { cls: string; view: string; checkAt: string } {
  const name = pascal(struct.name);
  return { cls: `${name}View`, view: `view${name}`, checkAt: `check${name}At` };
}

/** The name of the encoder of a fixed `struct` specialised for `order` (`encodeXLe`), or the generic one. */
export function encoderAt(struct: StructDecl, order: Endian): string {
  const name = pascal(struct.name);
  if (order === "context" || !struct.contextOrdered) return `encode${name}`;
  return `encode${name}${order === "little" ? "Le" : "Be"}`;
}
