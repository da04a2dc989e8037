import type { EnumDecl, Field, FieldType, IntName, IntType, Model, Source, StructDecl } from "../../generator/model/model.js";
import type { RenderContext } from "../../generator/emit/docs/type-blocks.js";
import { fieldFacts, structFacts } from "../../generator/model/structs.js";

/** Small hand-built model pieces for the renderer unit tests: exact output is easy to read off them. */

const at: Source = { file: "test.yaml", path: "/", line: 1, col: 1 };

export function int(name: IntName): IntType {
  const size = Number(name.slice(1)) / 8;
  return { kind: "int", name, size: size as 1 | 2 | 4 | 8, signed: name.startsWith("i") };
}

/** A field; `size` and `offset` as the model would compute them (undefined after a variable field). */
export function field(name: string, type: FieldType, size: number | undefined, offset: number | undefined, extra: Partial<Field> = {}): Field {
  const f: Omit<Field, "isArray" | "elementSize" | "byteOrdered" | "fallible"> = {
    name,
    doc: `The ${name}.`,
    units: undefined,
    example: undefined,
    type,
    count: undefined,
    endian: "little",
    constValue: undefined,
    reserved: type.kind === "pad" || type.kind === "align" ? "check" : undefined,
    valid: undefined,
    repr: "bigint",
    offset,
    size,
    computed: false,
    hidden: type.kind === "pad" || type.kind === "align",
    typedArray: false,
    source: at,
    ...extra,
  };
  return { ...f, ...fieldFacts(f), ...extra };
}

export function struct(name: string, fields: Field[], size: number | undefined): StructDecl {
  return { kind: "struct", name, doc: `The ${name} struct.`, module: "test", source: at, fields, size, needsSection: false, ...structFacts(fields, size) };
}

export function enumDecl(name: string, values: [string, number][]): EnumDecl {
  return {
    kind: "enum",
    name,
    doc: `The ${name} enum.`,
    module: "test",
    closed: false,
    source: at,
    base: int("u8"),
    values: values.map(([n, value]) => ({ name: n, value, doc: `Value ${n}.`, source: at })),
  };
}

/** A render context with no other pages: every type link stays local. */
export function context(local: Iterable<EnumDecl | StructDecl> = []): RenderContext {
  return { model: {} as Model, local: new Set(local), home: () => undefined };
}
