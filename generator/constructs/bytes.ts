import { compact } from "../emit/compact.js";
import type { BytesType } from "../model/model.js";
import { str } from "../emit/names.js";
import type { Construct } from "./construct.js";

/** Raw bytes: one run sized by its count, or (with `bytes: N` and a count) an array of N-byte runs. */
export const bytesConstruct: Construct<BytesType> = {
  kind: "bytes",
  takes: { constant: "bytes", reserved: true },
  elementSize: (t) => t.elementSize ?? 1,
  repeats: (t) => t.elementSize !== undefined,
  byteOrdered: () => false,
  fallible: () => false,
  tsType: () => "Uint8Array",
  read: (_m, _field, t, named) => `r.bytesView(${t.elementSize ?? 1}, ${named})`,
  write: (_m, _field, t, value, named) => `w.bytes(${value}, ${t.elementSize ?? 1}, ${named});`,
  decodeRun: (field, _t, name, n) => [n === undefined ? `const ${name} = r.rest();` : `const ${name} = r.bytesView(${n}, ${str(field.name)});`],
  encodeRun: (field, _t, value) => [`w.bytes(${value}, ${field.count?.kind === "fixed" ? field.count.value : "undefined"}, ${str(field.name)});`],
  readAt: (_m, field, t, at, r) => `${r}.bytesAt(${at}, ${t.elementSize ?? field.size})`,
  writeAt: (_m, field, t, at, value, _order, named) => `w.bytesAt(${at}, ${value}, ${t.elementSize ?? field.size}, ${named});`,
  schemaJson: (t) => compact([
    ["kind", "bytes"],
    ["elementSize", t.elementSize],
  ]),
  arbitrary: (field, t, gen) => {
    const n = t.elementSize ?? (field.count?.kind === "fixed" ? field.count.value : undefined);
    return gen.bytes(n ?? 0, n ?? 64);
  },
  docType: (_field, t, docs) => (t.elementSize === undefined ? ["bytes"] : docs.times([`bytes[${t.elementSize}]`])),
};
