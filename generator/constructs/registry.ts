import type { FieldType } from "../model/model.js";
import { BUILTIN_TYPES as RUNTIME_BUILTINS } from "xenimage/reflect";
import { alignConstruct } from "./align.js";
import { bitsConstruct } from "./bits.js";
import { bytesConstruct } from "./bytes.js";
import type { Construct } from "./construct.js";
import { enumConstruct } from "./enum.js";
import { flagsConstruct } from "./flags.js";
import { floatConstruct } from "./float.js";
import { intConstruct } from "./int.js";
import { padConstruct } from "./pad.js";
import { stringConstruct } from "./string.js";
import { structConstruct } from "./struct.js";
import { switchConstruct } from "./switch.js";
import { uuidConstruct } from "./uuid.js";

type Kind = FieldType["kind"];

/** Every construct, by kind: a field type without one here does not compile. */
const CONSTRUCTS: { readonly [K in Kind]: Construct<Extract<FieldType, { kind: K }>> } = {
  int: intConstruct,
  float: floatConstruct,
  enum: enumConstruct,
  flags: flagsConstruct,
  bits: bitsConstruct,
  struct: structConstruct,
  bytes: bytesConstruct,
  string: stringConstruct,
  switch: switchConstruct,
  pad: padConstruct,
  align: alignConstruct,
  uuid: uuidConstruct,
};

/**
 * The types a schema names without declaring them (`type: u32`): the integers and floats, and the
 * constructs that are a type of their own rather than a declaration's kind (uuid). The table is the
 * runtime's, so the compiler and reflection resolve the same names to the same types.
 */
export const BUILTIN_TYPES: Readonly<Record<string, FieldType>> = RUNTIME_BUILTINS;

/** The construct of a field type. */
export function constructOf(type: FieldType): Construct {
  return CONSTRUCTS[type.kind] as unknown as Construct;
}

/** The size in bytes of a field of `type` with `count` elements (1 without a count) at `offset`, when fixed. */
export function fieldSize(type: FieldType, count: number | undefined, offset: number | undefined): number | undefined {
  const c = constructOf(type);
  if (c.size !== undefined) return c.size(type, count, offset);
  const element = c.elementSize(type);
  return element === undefined || count === undefined ? undefined : element * count;
}
