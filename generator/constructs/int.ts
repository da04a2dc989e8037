import type { FieldType, IntType } from "../model/model.js";
import { code } from "../emit/docs/doc-tree.js";
import { intMethod, intTsType, leArg, leArgThen, orderArgThen, writerOrderSlot } from "../emit/scalars.js";
import type { Construct } from "./construct.js";

/**
 * The layout and code of a construct held in one integer, `base(type)` (an int, an enum, flags): one
 * runtime read or write of that integer, in the field's byte order.
 */
export function integerAccess<T extends FieldType>(base: (t: T) => IntType): Pick<Construct<T>, "elementSize" | "repeats" | "byteOrdered" | "integerBase" | "read" | "write" | "readAt" | "writeAt"> {
  return {
    integerBase: base,
    elementSize: (t) => base(t).size,
    repeats: () => true,
    byteOrdered: (t) => base(t).size > 1,
    read: (_m, field, t, named) => `r.${intMethod(field, base(t))}(${named})`,
    write: (_m, field, t, value, named) => `w.${intMethod(field, base(t))}(${value}${writerOrderSlot(field, base(t).size)}, ${named});`,
    readAt: (_m, field, t, at, r, named) =>
      `${r}.${positional(intMethod(field, base(t)))}(${at}${named === undefined ? leArg(field, base(t).size) : `${leArgThen(field, base(t).size)}, ${named}`})`,
    writeAt: (_m, field, t, at, value, order, named) => `w.${positional(intMethod(field, base(t)))}(${at}, ${value}${orderArgThen(field, base(t).size, order)}, ${named});`,
  };
}

/** A fixed-width integer (u8…u64, i8…i64); a u64 is a bigint unless the schema asks for `repr: number`. */
export const intConstruct: Construct<IntType> = {
  kind: "int",
  ...integerAccess((t) => t),
  takes: { endian: true, constant: "integer", reserved: true, typedArray: true },
  // A u64 held as a number is range-checked on read.
  fallible: (t, field) => t.size === 8 && field.repr === "number",
  tsType: (_m, field, t) => intTsType(field, t),
  schemaJson: (t) => t.name,
  arbitrary: (field, t, gen) => gen.integerOf(t, t.size === 8 && field.repr === "number", field.valid),
  docType: (_field, t, docs) => docs.times([code(t.name)]),
};

/** The positional method of a sequential one: `u64le` → `u64At` (a pinned order is passed as an argument). */
export function positional(method: string): string {
  return `${method.replace(/(le|be)$/, "")}At`;
}
