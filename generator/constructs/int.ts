import type { IntType } from "../model/model.js";
import { code } from "../emit/docs/doc-tree.js";
import { intMethod, intTsType, leArg, orderArg } from "../emit/scalars.js";
import type { Construct } from "./construct.js";

/** A fixed-width integer (u8…u64, i8…i64); a u64 is a bigint unless the schema asks for `repr: number`. */
export const intConstruct: Construct<IntType> = {
  kind: "int",
  elementSize: (t) => t.size,
  repeats: () => true,
  byteOrdered: (t) => t.size > 1,
  // A u64 held as a number is range-checked on read.
  fallible: (t, field) => t.size === 8 && field.repr === "number",
  tsType: (_m, field, t) => intTsType(field, t),
  read: (_m, field, t) => `r.${intMethod(field, t)}()`,
  write: (_m, field, t, value) => `w.${intMethod(field, t)}(${value});`,
  readAt: (_m, field, t, at, r) => `${r}.${positional(intMethod(field, t))}(${at}${leArg(field, t.size)})`,
  writeAt: (_m, field, t, at, value, order) => `w.${positional(intMethod(field, t))}(${at}, ${value}${orderArg(field, t.size, order)});`,
  schemaJson: (t) => t.name,
  arbitrary: (field, t, gen) => gen.integerOf(t, t.size === 8 && field.repr === "number", field.valid),
  docType: (_field, t, docs) => docs.times([code(t.name)]),
};

/** The positional method of a sequential one: `u64le` → `u64At` (a pinned order is passed as an argument). */
export function positional(method: string): string {
  return `${method.replace(/(le|be)$/, "")}At`;
}
