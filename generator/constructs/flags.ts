import type { FlagsDecl } from "../model/model.js";
import type { ModuleEmitter } from "../emit/module-emitter.js";
import { literal, pascal, str } from "../emit/names.js";
import type { Construct } from "./construct.js";
import { integerAccess } from "./int.js";

/** Single-bit flags: the field holds the whole integer (unknown bits included), the declaration names bits. */
export const flagsConstruct: Construct<FlagsDecl> = {
  kind: "flags",
  ...integerAccess((t) => t.base),
  takes: { endian: true },
  fallible: () => false,
  tsType: (m, _field, t) => m.ref(t, pascal(t.name), true),
  schemaJson: (t) => t.name,
  uses: (t) => [t],
  arbitrary: (_field, t, gen) => gen.integerOf(t.base, false),
  docType: (_field, t, docs) => docs.times([docs.typeRef(t), ` (flags ${t.base.name})`]),
  docValues: (_field, t, docs, add) => add("bits of ", docs.typeRef(t)),
};

/** Emits a flags type: a const object of bit masks and the integer type that holds them. */
export function emitFlags(m: ModuleEmitter, decl: FlagsDecl): void {
  const name = pascal(decl.name);
  const big = decl.base.size === 8;
  const masks = decl.bits.map((b) => `${str(b.name)}: ${big ? literal(1n << BigInt(b.bit)) : literal(2 ** b.bit)}`);
  m.file.constant(name, `${decl.doc}\n\nBit masks; the field holds the whole ${decl.base.name}, unknown bits included.`, `{ ${masks.join(", ")} } as const`);
  m.file.typeAlias(name, decl.doc, big ? "bigint" : "number");
}
