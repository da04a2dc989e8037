import type { FloatType } from "../model/model.js";
import { code } from "../emit/docs/doc-tree.js";
import { floatMethod, leArg, orderArgThen, writerOrderSlot } from "../emit/scalars.js";
import type { Construct } from "./construct.js";

/** An IEEE 754 float (f32, f64). */
export const floatConstruct: Construct<FloatType> = {
  kind: "float",
  takes: { endian: true, typedArray: true },
  elementSize: (t) => t.size,
  repeats: () => true,
  byteOrdered: () => true,
  fallible: () => false,
  tsType: () => "number",
  read: (_m, field, t, named) => `r.${floatMethod(field, t.size)}(${named})`,
  write: (_m, field, t, value, named) => `w.${floatMethod(field, t.size)}(${value}${writerOrderSlot(field, t.size)}, ${named});`,
  readAt: (_m, field, t, at, r) => `${r}.f${t.size * 8}At(${at}${leArg(field, t.size)})`,
  writeAt: (_m, field, t, at, value, order, named) => `w.f${t.size * 8}At(${at}, ${value}${orderArgThen(field, t.size, order)}, ${named});`,
  schemaJson: (t) => t.name,
  // How the reference decoder holds an array (a typed array) is no part of the format: the table gives the bytes.
  arbitrary: (_field, t, gen) => gen.float(t.size),
  docType: (_field, t, docs) => docs.times([code(t.name)]),
};
