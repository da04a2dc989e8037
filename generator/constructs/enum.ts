import type { EnumDecl, EnumValue } from "../model/model.js";
import { code, joinText } from "../emit/docs/doc-tree.js";
import type { ModuleEmitter } from "../emit/module-emitter.js";
import { literal, pascal, str } from "../emit/names.js";
import type { Construct } from "./construct.js";
import { integerAccess } from "./int.js";

/** Enums with at most this many values are spelled out inside the docs' field table too. */
const INLINE_ENUM_VALUES = 6;

/** `little (1)`: an enum value's name and number. */
function valueText(v: EnumValue): string {
  return `${v.name} (${typeof v.value === "bigint" ? `0x${v.value.toString(16)}` : v.value})`;
}

/**
 * An enum over an integer: open (unknown values decode as plain numbers) or closed (the field's value
 * rule, checked like `valid:`, refuses the others).
 */
export const enumConstruct: Construct<EnumDecl> = {
  kind: "enum",
  ...integerAccess((t) => t.base),
  takes: { endian: true },
  fallible: () => false,
  tsType: (m, _field, t) => m.ref(t, pascal(t.name), true),
  schemaJson: (t) => t.name,
  uses: (t) => [t],
  // A closed enum's other values are invalid: a writer refuses them.
  arbitrary: (_field, t, gen) =>
    t.closed ? gen.constantFrom(t.values.map((v) => v.value)) : gen.oneof([gen.constantFrom(t.values.map((v) => v.value)), gen.integerOf(t.base, false)]),
  docType: (_field, t, docs) => docs.times([docs.typeRef(t), ` (enum ${t.base.name})`]),
  docValues(field, t, docs, add) {
    if (t.values.length <= INLINE_ENUM_VALUES) add(...joinText(t.values.map((v) => [valueText(v)]), ", "), "; see ", docs.typeRef(t));
    else add("one of the ", docs.typeRef(t), " values");
    if (t.closed && field.count === undefined) add("a closed enum: readers reject any other value (", code("field-value"), ")");
  },
};

/** Emits an enum: a const object of the named values, a type, and a name lookup. */
export function emitEnum(m: ModuleEmitter, decl: EnumDecl): void {
  const name = pascal(decl.name);
  const entries = decl.values.map((v) => `${str(v.name)}: ${literal(v.value)}`);
  m.file.constant(name, decl.doc, `{ ${entries.join(", ")} } as const`);
  const valueType = decl.base.size === 8 ? "bigint" : "number";
  m.file.typeAlias(
    name,
    decl.closed
      ? `A value of {@link ${name}}. The enum is closed: readers reject a value without a name, and writers refuse one.`
      : `A value of {@link ${name}}, named or not: the enum is open, so a value without a name decodes as a plain ${valueType} and survives a round trip.`,
    `(typeof ${name})[keyof typeof ${name}] | (${valueType} & {})`,
  );
  m.file.constant(`${name}Names`, `The schema name of each ${decl.name} value.`, `/* @__PURE__ */ ${m.runtime("enumNames")}<${valueType}>(${name})`, `ReadonlyMap<${valueType}, string>`);
}
