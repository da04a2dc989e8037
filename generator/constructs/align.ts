import type { AlignType } from "../model/model.js";
import { str } from "../emit/names.js";
import type { Construct } from "./construct.js";

/** Zero bytes up to the next multiple of the alignment, counted from the struct's start. */
export const alignConstruct: Construct<AlignType> = {
  kind: "align",
  takes: { reserved: true },
  padding: true,
  size: (t, _count, offset) => (offset === undefined ? undefined : (t.alignment - (offset % t.alignment)) % t.alignment),
  elementSize: () => undefined,
  repeats: () => false,
  byteOrdered: () => false,
  fallible: (_t, field) => field.reserved === "check",
  tsType: () => "never",
  decodeField: (_m, _struct, field, t) => [`r.alignTo(${t.alignment}, start, ${field.reserved !== "ignore"}, ${str(field.name)});`],
  encodeField: (_m, _struct, _field, t) => [`w.alignTo(${t.alignment}, start);`],
  schemaJson: (t) => ({ kind: "align", alignment: t.alignment }),
  arbitrary: (_field, _t, gen) => gen.constantFrom([undefined]),
  docType: () => ["zero bytes"],
};
