import { uuidText } from "xenimage/runtime";
import type { UuidType } from "../model/model.js";
import { code } from "../emit/docs/doc-tree.js";
import type { Construct } from "./construct.js";

/**
 * A UUID: 16 bytes in the order they are stored, held as a lower-case dashed 8-4-4-4-12 string (the
 * runtime's `readUuidAt`/`writeUuidAt`; a string in any other form is an EncodeError).
 */
export const uuidConstruct: Construct<UuidType> = {
  kind: "uuid",
  elementSize: () => 16,
  repeats: () => true,
  byteOrdered: () => false,
  // Any 16 bytes are a uuid.
  fallible: () => false,
  tsType: () => "string",
  read: (m, _field, _t, named) => `${m.runtime("readUuidAt")}(r, r.take(16, ${named}))`,
  write: (m, _field, _t, value, named) => `${m.runtime("writeUuidAt")}(w, w.reserve(16), ${value}, ${named});`,
  readAt: (m, _field, _t, at, r) => `${m.runtime("readUuidAt")}(${r}, ${at})`,
  writeAt: (m, _field, _t, at, value, _order, named) => `${m.runtime("writeUuidAt")}(w, ${at}, ${value}, ${named});`,
  schemaJson: () => "uuid",
  docType: (_field, _t, docs) => docs.times([code("uuid")]),
  docValues: (_field, _t, _docs, add) =>
    add("16 bytes in stored order, shown as 32 lower-case hex digits grouped 8-4-4-4-12, e.g. ", code("00112233-4455-6677-8899-aabbccddeeff")),
  arbitrary: (_field, _t, gen) => gen.map(gen.bytes(16, 16), uuidText),
};
