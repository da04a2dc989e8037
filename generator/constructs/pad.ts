import type { PadType } from "../model/model.js";
import { str } from "../emit/names.js";
import type { Construct } from "./construct.js";

/** Explicit padding: zero bytes, checked on read unless the schema says `reserved: ignore`. */
export const padConstruct: Construct<PadType> = {
  kind: "pad",
  takes: { reserved: true },
  padding: true,
  elementSize: (t) => t.size,
  repeats: () => false,
  byteOrdered: () => false,
  fallible: (t, field) => field.reserved === "check" && t.size > 0,
  tsType: () => "never",
  decodeField: (_m, _struct, field, t) => [`r.zeros(${t.size}, ${field.reserved !== "ignore"}, ${str(field.name)});`],
  encodeField: (_m, _struct, _field, t) => [`w.zeros(${t.size});`],
  schemaJson: (t) => ({ kind: "pad", size: t.size }),
  arbitrary: (_field, _t, gen) => gen.constantFrom([undefined]),
  docType: () => ["zero bytes"],
};
