import type { StringType } from "../model/model.js";
import { str } from "../emit/names.js";
import type { Construct } from "./construct.js";

/** Text sized by its count: NUL-padded when fixed, the rest of the body (no terminator) with `rest`. */
export const stringConstruct: Construct<StringType> = {
  kind: "string",
  elementSize: () => 1,
  repeats: () => false,
  byteOrdered: () => false,
  // Bytes after the first NUL must be zero, and the text must decode.
  fallible: () => true,
  tsType: () => "string",
  decodeRun: (field, t, name, n) => [
    n === undefined ? `const ${name} = r.text(r.remaining, ${t.encoding === "ascii"}, ${str(field.name)});` : `const ${name} = r.string(${n}, ${t.encoding === "ascii"}, ${str(field.name)});`,
  ],
  encodeRun: (field, t, value) => [`w.string(${value}, ${field.count?.kind === "fixed" ? String(field.count.value) : "undefined"}, ${t.encoding === "ascii"}, ${str(field.name)});`],
  readAt: (_m, field, t, at, r, named) => `${r}.stringAt(${at}, ${field.size}, ${t.encoding === "ascii"}${named === undefined ? "" : `, ${named}`})`,
  writeAt: (_m, field, t, at, value, _order, named) => `w.stringAt(${at}, ${value}, ${field.size}, ${t.encoding === "ascii"}, ${named});`,
  schemaJson: (t) => ({ kind: "string", encoding: t.encoding }),
  arbitrary: (field, t, gen) => gen.text(field.count?.kind === "fixed" ? field.count.value : 48, t.encoding === "ascii"),
  docType: (_field, t) => [`${t.encoding === "ascii" ? "ASCII" : "UTF-8"} string`],
  docValues(field, t, _docs, add) {
    add(
      t.encoding === "ascii" ? "ASCII" : "UTF-8",
      field.count?.kind === "rest"
        ? " text filling the rest of the body, with no terminator: a NUL byte is no part of it, and readers reject one (string)"
        : " text, NUL-padded: the text ends at the first NUL (or fills the field), every byte after it is zero, and readers reject a non-zero one (string)",
    );
  },
};
