import type { Endian, Field, StructDecl } from "../model/model.js";
import type { ModuleEmitter } from "./module-emitter.js";
import { camel, constant, literal, local, pascal, str } from "./names.js";
import { intBase, intMethod, leArg, magicConstant, typedArrayElement } from "./scalars.js";
import { decodeValueCheck, encodeValueCheck, hasValueRule } from "./valid.js";

/**
 * Fixed-size structs, the hot path (vcpu contexts, CPUID leaves, HVM records): one bounds check for the
 * whole struct, then reads and writes at constant offsets (`r.u32At(o + 4)`), nested fixed structs at
 * their offsets, one object literal per value. Only fields that can fail a check (constants, reserved
 * bytes, strings, range-limited numbers) are read before the literal, with the field named for errors.
 */

/** True when a struct takes this path: fixed size, no tagged unions. */
export function isFixed(struct: StructDecl): boolean {
  return struct.size !== undefined && !struct.fields.some((f) => f.type.kind === "switch");
}

export function position(offset: number): string {
  return offset === 0 ? "o" : `o + ${offset}`;
}

/** True when reading the field can fail beyond the struct's one bounds check. */
export function fallible(field: Field, seen = new Set<StructDecl>()): boolean {
  const t = field.type;
  if (t.kind === "pad" || t.kind === "align") return field.reserved === "check" && (t.kind === "pad" ? t.size : 1) > 0;
  if (field.constValue !== undefined || field.reserved === "check" || t.kind === "string") return true;
  if ((t.kind === "int" && t.size === 8 && field.repr === "number") || t.kind === "bits" || hasValueRule(field)) return true;
  if (t.kind === "struct") {
    if (seen.has(t)) return false;
    seen.add(t);
    return t.fields.some((f) => fallible(f, seen));
  }
  return false;
}

/** An expression reading one element of `field` at position expression `at`, from reader expression `r`. */
export function readAt(m: ModuleEmitter, field: Field, at: string, r = "r"): string {
  const t = field.type;
  switch (t.kind) {
    case "int":
    case "enum":
    case "flags": {
      const base = intBase(t)!;
      return `${r}.${intMethod(field, base).replace(/(le|be)$/, "")}At(${at}${leArg(field, base.size)})`;
    }
    case "float":
      return `${r}.f${t.size * 8}At(${at}${leArg(field, t.size)})`;
    case "bits":
      return `${m.ref(t, `unpack${pascal(t.name)}At`)}(${r}, ${at}${leArg(field, t.base.size)})`;
    case "struct":
      return `${m.ref(t, `decode${pascal(t.name)}At`)}(${r}, ${at})`;
    case "bytes":
      return `${r}.bytesAt(${at}, ${t.elementSize ?? field.size})`;
    case "string":
      return `${r}.stringAt(${at}, ${field.size}, ${t.encoding === "ascii"})`;
    default:
      throw new Error(`no positional reader for ${t.kind}`);
  }
}

/**
 * The check of a field that names itself in its error (padding, a reserved field, a constant): no
 * statement when it is not checked, undefined for every other field.
 */
export function selfNamingCheck(m: ModuleEmitter, struct: StructDecl, f: Field, at: string): string[] | undefined {
  const t = f.type;
  if (t.kind === "pad" || t.kind === "align") return f.reserved === "check" && f.size! > 0 ? [`r.zerosAt(${at}, ${f.size}, ${str(f.name)});`] : [];
  if (f.constValue !== undefined) {
    return [
      Array.isArray(f.constValue)
        ? `r.expectBytesAt(${at}, ${magicConstant(struct.name, f.name)}, ${str(f.name)});`
        : `r.expectAt(${readAt(m, f, at)}, ${literal(f.constValue as number | bigint)}, ${at}, ${str(f.name)});`,
    ];
  }
  if (f.reserved !== undefined) return f.reserved === "check" ? [`r.zerosAt(${at}, ${f.size}, ${str(f.name)});`] : [];
  return undefined;
}

/**
 * A codec body that adds the field being read or written (`at`, and `index` in an array) to the path of
 * any error thrown through it, by the reader or writer `io`.
 */
export function guardedBody(body: readonly string[], usesIndex: boolean, io: "r" | "w"): string[] {
  const where = usesIndex ? "index < 0 ? at : `${at}[${index}]`" : "at";
  return ['let at = "";', ...(usesIndex ? ["let index = -1;"] : []), "try {", ...body, "} catch (e) {", `throw ${io}.rethrow(e, ${where});`, "}"];
}

/**
 * Keeps `at`, the field a caught error is reported under, right while statements are added: set before
 * a field that can fail, and cleared before a check that names itself, so that a bad pad after an array
 * is not reported inside the array.
 */
export class ErrorPath {
  private named = false;
  /** True once some statement sets `at`: the body then needs {@link guardedBody}. */
  used = false;
  constructor(private readonly statements: string[]) {}

  /** Statements for `f` follow: a failure is in it. */
  field(f: Field): void {
    this.statements.push(`at = ${str(f.name)};`);
    this.named = true;
    this.used = true;
  }

  /** Adds checks that name their own field. */
  selfNaming(checks: readonly string[]): void {
    if (checks.length === 0) return;
    if (this.named) this.statements.push('at = "";');
    this.named = false;
    this.statements.push(...checks);
  }
}

/**
 * True when some field of the struct (nested structs included) takes its byte order from the image.
 * Its encoder is then emitted twice, once per byte order with the order a literal: V8 compiles a
 * `DataView` write whose order is a run-time value noticeably slower (cpuid_leaf encode: 1.37× the
 * hand-written time against 1.18× with a literal, bench/RESULTS.md).
 */
export function hasContextOrder(struct: StructDecl, seen = new Set<StructDecl>()): boolean {
  if (seen.has(struct)) return false;
  seen.add(struct);
  return struct.fields.some((f) => {
    const t = f.type;
    if (t.kind === "struct") return hasContextOrder(t, seen);
    const ordered = t.kind === "int" || t.kind === "enum" || t.kind === "flags" || t.kind === "float" || t.kind === "bits";
    return ordered && f.endian === "context" && elementSize(f) > 1;
  });
}

/** The byte-order argument of a write in an encoder specialised for `order` (none when not specialised). */
function orderArg(field: Field, size: number, order: Endian): string {
  return leArg(field.endian === "context" ? { endian: order } : field, size);
}

/** The name of the encoder of `struct` specialised for `order`, or the generic one. */
function encoderAt(struct: StructDecl, order: Endian): string {
  const name = pascal(struct.name);
  if (order === "context" || !hasContextOrder(struct)) return `encode${name}At`;
  return `encode${name}${order === "little" ? "Le" : "Be"}At`;
}

/** A statement writing one element `value` of `field` at position expression `at`, in byte order `order`. */
function writeAt(m: ModuleEmitter, field: Field, at: string, value: string, order: Endian): string {
  const t = field.type;
  switch (t.kind) {
    case "int":
    case "enum":
    case "flags": {
      const base = intBase(t)!;
      return `w.${intMethod(field, base).replace(/(le|be)$/, "")}At(${at}, ${value}${orderArg(field, base.size, order)});`;
    }
    case "float":
      return `w.f${t.size * 8}At(${at}, ${value}${orderArg(field, t.size, order)});`;
    case "bits":
      return `${m.ref(t, `pack${pascal(t.name)}At`)}(w, ${at}, ${value}${orderArg(field, t.base.size, order)});`;
    case "struct":
      return `${m.ref(t, encoderAt(t, order))}(w, ${at}, ${value});`;
    case "bytes":
      return `w.bytesAt(${at}, ${value}, ${t.elementSize ?? field.size});`;
    default:
      throw new Error(`no positional writer for ${t.kind}`);
  }
}

/** The read of a whole `repr: typed_array` field with a fixed count at position expression `at`. */
export function typedArrayReadAt(field: Field, at: string, r = "r"): string {
  const n = (field.count as { value: number }).value;
  return `${r}.typedArrayAt(${str(typedArrayElement(field))}, ${at}, ${n}${leArg(field, elementSize(field))})`;
}

export function elementSize(field: Field): number {
  const count = field.count?.kind === "fixed" ? field.count.value : 1;
  return field.size! / count;
}

export function isArray(field: Field): boolean {
  const t = field.type;
  return field.count !== undefined && !(t.kind === "bytes" && t.elementSize === undefined) && t.kind !== "string";
}

/** Emits `decodeXAt`/`encodeXAt` and the sequential `decodeX`/`encodeX` over them. */
export function emitFixedCodec(m: ModuleEmitter, struct: StructDecl, typeName: string, fieldType: (f: Field) => string): void {
  const name = pascal(struct.name);
  const size = `${constant(struct.name)}_SIZE`;
  const visible = struct.fields.filter((f) => !f.hidden);
  // Pads, reserved fields and constants name themselves in their checks; only nested structs, arrays
  // and the other fallible reads need a try/catch to add their field to an error's path.
  const selfNaming = (f: Field) => f.type.kind === "pad" || f.type.kind === "align" || f.constValue !== undefined || f.reserved !== undefined;
  const guarded = struct.fields.some((f) => (fallible(f) && !selfNaming(f)) || (isArray(f) && !f.typedArray));

  // Decoding.
  const statements: string[] = [];
  const inline = new Map<Field, string>();
  const path = new ErrorPath(statements);
  for (const f of struct.fields) {
    const at = position(f.offset!);
    const own = selfNamingCheck(m, struct, f, at);
    if (own !== undefined) {
      path.selfNaming(own);
      continue;
    }
    if (hasValueRule(f)) {
      // A value rule names its field itself, like a constant does.
      statements.push(`const ${local(f.name)} = ${readAt(m, f, at)};`);
      path.selfNaming(decodeValueCheck(f, local(f.name), at));
      inline.set(f, local(f.name));
    } else if (f.typedArray) {
      inline.set(f, typedArrayReadAt(f, at));
    } else if (isArray(f)) {
      const n = (f.count as { value: number }).value;
      const each = elementSize(f);
      const element = readAt(m, f, `${at} + index * ${each}`);
      path.field(f);
      statements.push(
        `const ${local(f.name)}: ${fieldType(f)} = [];`,
        `for (index = 0; index < ${n}; index++) ${local(f.name)}.push(${element});`,
        "index = -1;",
      );
      inline.set(f, local(f.name));
    } else if (fallible(f)) {
      path.field(f);
      statements.push(`const ${local(f.name)} = ${readAt(m, f, at)};`);
      inline.set(f, local(f.name));
    } else inline.set(f, readAt(m, f, at));
  }
  const literalObject = `{ ${visible.map((f) => (inline.get(f) === camel(f.name) ? camel(f.name) : `${camel(f.name)}: ${inline.get(f)}`)).join(", ")} }`;
  const decodeBody = guarded
    ? guardedBody([...statements, `return ${literalObject};`], true, "r")
    : [...statements, `return ${literalObject};`];
  m.file.function({
    name: `decode${name}At`,
    doc: `Reads one ${struct.name} at a position already claimed (\`r.take(${size})\`).`,
    params: [
      { name: "r", type: m.runtime("ByteReader", true) },
      { name: "o", type: "number" },
    ],
    returns: typeName,
    body: decodeBody,
  });
  m.file.function({
    name: `decode${name}`,
    doc: `Reads one ${struct.name}.`,
    params: [{ name: "r", type: m.runtime("ByteReader", true) }],
    returns: typeName,
    body: [`return decode${name}At(r, r.take(${size}));`],
  });

  // Encoding: every field can meet a bad value, so each is named for errors.
  const encodeBody = (order: Endian): string[] => {
    const writes: string[] = [];
    for (const f of struct.fields) {
      const at = position(f.offset!);
      const t = f.type;
      const value = `v.${camel(f.name)}`;
      if (t.kind === "pad" || t.kind === "align") {
        if (f.size! > 0) writes.push(`w.zerosAt(${at}, ${f.size});`);
        continue;
      }
      writes.push(`at = ${str(f.name)};`);
      if (f.constValue !== undefined) {
        writes.push(
          Array.isArray(f.constValue)
            ? `w.bytesAt(${at}, ${magicConstant(struct.name, f.name)}, ${f.size});`
            : writeAt(m, f, at, literal(f.constValue as number | bigint), order),
        );
      } else if (f.reserved !== undefined) {
        writes.push(`w.zerosAt(${at}, ${f.size});`);
      } else if (t.kind === "string") {
        writes.push(`w.stringAt(${at}, ${value}, ${f.size}, ${t.encoding === "ascii"});`);
      } else if (f.typedArray) {
        const n = (f.count as { value: number }).value;
        writes.push(`w.typedArrayAt(${str(typedArrayElement(f))}, ${at}, ${value}, ${n}${orderArg(f, elementSize(f), order)});`);
      } else if (isArray(f)) {
        const n = (f.count as { value: number }).value;
        writes.push(
          `if (!Array.isArray(${value}) || ${value}.length !== ${n}) w.fail(\`\${Array.isArray(${value}) ? ${value}.length : "no"} elements given, exactly ${n} expected\`, ${at});`,
          `for (index = 0; index < ${n}; index++) ${writeAt(m, f, `${at} + index * ${elementSize(f)}`, `${value}[index]!`, order)}`,
          "index = -1;",
        );
      } else writes.push(writeAt(m, f, at, value, order), ...encodeValueCheck(f, value, at));
    }
    return guardedBody(writes, true, "w");
  };
  const encodeParams = [
    { name: "w", type: m.runtime("ByteWriter", true) },
    { name: "o", type: "number" },
    { name: "v", type: typeName },
  ];
  const encodeDoc = `Writes one ${struct.name} at a reserved position (\`w.reserve(${size})\`); a bad value is an EncodeError naming the field.`;
  if (hasContextOrder(struct)) {
    for (const order of ["little", "big"] as const) {
      m.file.function({
        name: encoderAt(struct, order),
        doc: `@internal {@link encode${name}At} for a ${order}-endian writer (\`w.littleEndian\` ${order === "little"}).`,
        params: encodeParams,
        returns: "void",
        body: encodeBody(order),
      });
    }
    m.file.function({
      name: `encode${name}At`,
      doc: `${encodeDoc} Its fields follow the writer's byte order.`,
      params: encodeParams,
      returns: "void",
      body: [`if (w.littleEndian) ${encoderAt(struct, "little")}(w, o, v);`, `else ${encoderAt(struct, "big")}(w, o, v);`],
    });
  } else {
    m.file.function({ name: `encode${name}At`, doc: encodeDoc, params: encodeParams, returns: "void", body: encodeBody("context") });
  }
  m.file.function({
    name: `encode${name}`,
    doc: `Writes one ${struct.name}; a value out of range or of the wrong length is an EncodeError naming the field.`,
    params: [
      { name: "w", type: m.runtime("ByteWriter", true) },
      { name: "v", type: typeName },
    ],
    returns: "void",
    body: [`encode${name}At(w, w.reserve(${size}), v);`],
  });
}
