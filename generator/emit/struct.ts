import type { Count, Endian, Field, StructDecl } from "../model/model.js";
import type { ModuleEmitter } from "./module-emitter.js";
import { camel, constant, fieldLocal, literal, local, pascal, str } from "./names.js";
import { leArg, magicConstant, orderArgThen, typedArrayElement, typedArrayTsType } from "./scalars.js";
import { encoderAt } from "../constructs/struct.js";
import { emitView } from "./view.js";
import { constructField, position, readAt, selfNamingCheck, structLoop, typedArrayReadAt } from "./field-access.js";
import { decodeValueCheck, encodeValueCheck, hasValueRule } from "./valid.js";

/**
 * The struct emitter: an interface of the visible fields, then the codec. It walks the fields and asks
 * each one's construct (generator/constructs/) for the code that reads, writes or views one element;
 * what is about the field rather than its type (a constant, reserved bytes, a count, a value rule, an
 * array) is decided here, once for every construct.
 *
 * A struct the model calls positional (fixed size, no tagged union) is read and written at constant
 * offsets from `o` after one bounds check (`decodeX(r, o?)`/`encodeX(w, v, o?)`: the next bytes, or a
 * position already claimed; plus a lazy view); any other struct is read and written in sequence
 * (`decodeX(r)`/`encodeX(w, v)`).
 */

/** The TypeScript type of a field's value. */
export function fieldTsType(m: ModuleEmitter, field: Field, struct: StructDecl): string {
  if (field.typedArray) return typedArrayTsType(field);
  const element = constructField(field).tsType(m, field, field.type, struct);
  return field.isArray ? `${element}[]` : element;
}

/** The trailing arguments that name `field` (and element `index`, an expression) in a failing read or write. */
function named(field: Field, index?: string): string {
  return index === undefined ? str(field.name) : `${str(field.name)}, ${index}`;
}

/** An expression reading one element of `field` in sequence; a failure names the field (and element `index`). */
function readElement(m: ModuleEmitter, field: Field, index?: string): string {
  const read = constructField(field).read;
  if (read === undefined) throw new Error(`no element reader for ${field.type.kind}`);
  return read(m, field, field.type, named(field, index));
}

/** A statement writing one element `value` of `field` in sequence; a failure names the field (and element `index`). */
function writeElement(m: ModuleEmitter, field: Field, value: string, index?: string): string {
  const write = constructField(field).write;
  if (write === undefined) throw new Error(`no element writer for ${field.type.kind}`);
  return write(m, field, field.type, value, named(field, index));
}

/**
 * A statement writing one element `value` of `field` at position expression `at`, in byte order
 * `order`; a failure names the field, and element `index` (an expression) when given.
 */
function writeAt(m: ModuleEmitter, field: Field, at: string, value: string, order: Endian, index?: string): string {
  const write = constructField(field).writeAt;
  if (write === undefined) throw new Error(`no positional writer for ${field.type.kind}`);
  return write(m, field, field.type, at, value, order, named(field, index));
}

/** The module constant holding the enum values a `count_of` counts. */
function countedValues(struct: StructDecl, field: Field): string {
  return `${constant(struct.name)}_${constant(field.name)}_COUNTED`;
}

/** Statements that count, into `into`, the elements of `array` whose bit field is one of the counted values. */
function countOf(struct: StructDecl, field: Field, count: Extract<Count, { kind: "count_of" }>, array: string, into: string): string[] {
  const prop = camel(count.bitField.name);
  const test = `${countedValues(struct, field)}.has(x.${prop})`;
  return [`let ${into} = 0;`, `for (const x of ${array}) if (${countsComplement(count) ? `!${test}` : test}) ${into}++;`];
}

/** The widest bit field whose `not_in` values are emitted as the set of counted values (2^16 of them at most). */
const MAX_ENUMERATED_BITS = 16;

/** True when a `not_in` count is emitted as a test against the values not counted (a bit field too wide to list the others). */
function countsComplement(count: Extract<Count, { kind: "count_of" }>): boolean {
  return count.negated && count.bitField.width > MAX_ENUMERATED_BITS;
}

/**
 * The values the emitted set of a `count_of` holds: the counted ones. For `not_in` over a narrow bit
 * field that is every value the field can hold but the listed ones, so the set means the same either
 * way (`has` = counted), unnamed values included.
 */
function countedSetValues(count: Extract<Count, { kind: "count_of" }>): (number | bigint)[] {
  if (!count.negated) return count.values.map((v) => v.value);
  if (countsComplement(count)) return count.values.map((v) => v.value);
  const excluded = new Set(count.values.map((v) => Number(v.value)));
  return Array.from({ length: 2 ** count.bitField.width }, (_, v) => v).filter((v) => !excluded.has(v));
}

/** The check, before a `rest` field, that the bytes left are whole elements of `size` bytes. */
function wholeElements(field: Field, size: number): string {
  return `if (r.remaining % ${size} !== 0) r.fail(\`\${r.remaining} bytes left, not a multiple of ${size}\`, r.pos, ${str(field.name)}, "length");`;
}

/**
 * Decoding: statements that leave the field's value in its local (or just consume it when hidden).
 * Each read or check that can fail names the field itself, so the decoder tracks no current field.
 */
function decodeField(m: ModuleEmitter, struct: StructDecl, field: Field): string[] {
  const t = field.type;
  const c = constructField(field);
  const name = local(field.name);
  if (c.decodeField !== undefined) return c.decodeField(m, struct, field, t);
  if (field.constValue !== undefined) {
    if (Array.isArray(field.constValue)) return [`r.expectBytes(${magicConstant(struct.name, field.name)}, ${named(field)});`];
    return [`r.expect(${readElement(m, field)}, ${literal(field.constValue as number | bigint)}, ${field.elementSize}, ${named(field)});`];
  }
  if (field.reserved !== undefined && field.size !== undefined) return [`r.zeros(${field.size}, ${field.reserved !== "ignore"}, ${named(field)});`];

  const count = field.count;
  if (!field.isArray && c.decodeRun !== undefined) {
    const pre: string[] = [];
    const n = count === undefined ? "1" : count.kind === "rest" ? undefined : countExpr(struct, field, count, 1, pre);
    return [...pre, ...c.decodeRun(field, t, name, n)];
  }
  if (count === undefined) {
    return [`const ${name} = ${readElement(m, field)};`, ...(hasValueRule(field) ? decodeValueCheck(field, name, `r.pos - ${field.elementSize ?? 0}`) : [])];
  }

  const type = constructField(field).tsType(m, field, t, struct);
  const size = field.elementSize;
  if (field.typedArray) return decodeTypedArray(struct, field, count);
  if (count.kind === "rest") {
    return [
      ...(size === undefined ? [] : [wholeElements(field, size)]),
      `const ${name}: ${type}[] = [];`,
      `for (let i = 0; r.remaining > 0; i++) ${name}.push(${readElement(m, field, "i")});`,
    ];
  }
  const pre: string[] = [];
  const n = countExpr(struct, field, count, size ?? 1, pre);
  const bound = count.kind === "field" || count.kind === "entries" ? fieldLocal(field.name, "count") : n;
  if (bound !== n) pre.push(`const ${bound} = ${n};`);
  return [...pre, `const ${name}: ${type}[] = [];`, `for (let i = 0; i < ${bound}; i++) ${name}.push(${readElement(m, field, "i")});`];
}

/**
 * True for a field of byte runs of one size with a count (`bytes: 4096` with `count`, as page_data's
 * pages): decoding makes a view per element, which a structure check does without.
 */
function isByteRunArray(field: Field): boolean {
  return field.type.kind === "bytes" && field.type.elementSize !== undefined && field.count !== undefined && !field.typedArray;
}

/**
 * Checking: the statements of {@link decodeField}, but a byte-run array is claimed by its length alone,
 * failing where the decoder's loop would (the first element that does not fit, with the same error).
 */
function checkField(m: ModuleEmitter, struct: StructDecl, field: Field): string[] {
  if (!isByteRunArray(field)) return decodeField(m, struct, field);
  const size = field.elementSize!;
  const count = field.count!;
  if (count.kind === "rest") return [wholeElements(field, size), "r.take(r.remaining);"];
  const pre: string[] = [];
  const n = countExpr(struct, field, count, size, pre);
  // A count_of's count is already a local; another count is bounded by the bytes left, then kept.
  const bound = count.kind === "count_of" ? n : fieldLocal(field.name, "count");
  if (bound !== n) pre.push(`const ${bound} = ${n};`);
  const fit = fieldLocal(field.name, "fit");
  return [...pre, `const ${fit} = Math.min(${bound}, Math.floor(r.remaining / ${size}));`, `r.take(${fit} * ${size});`, `if (${fit} < ${bound}) r.take(${size}, ${named(field, fit)});`];
}

/** Decoding a `repr: typed_array` field: one runtime call, a view of the input or a copy. */
function decodeTypedArray(struct: StructDecl, field: Field, count: Count): string[] {
  const name = local(field.name);
  const size = field.elementSize!;
  const element = str(typedArrayElement(field));
  const le = leArg(field, size) || ", undefined";
  if (count.kind === "rest") return [wholeElements(field, size), `const ${name} = r.typedArray(${element}, r.remaining / ${size}${le}, ${named(field)});`];
  const pre: string[] = [];
  const n = countExpr(struct, field, count, size, pre);
  return [...pre, `const ${name} = r.typedArray(${element}, ${n}${le}, ${named(field)});`];
}

/**
 * An expression for a count while decoding; input-supplied counts are bounded by the bytes left (a
 * count that is too big names the field it counts).
 */
function countExpr(struct: StructDecl, field: Field, count: Count, elementBytes: number, pre: string[]): string {
  switch (count.kind) {
    case "fixed":
      return String(count.value);
    case "field":
      return `r.count(${local(count.field.name)}, ${elementBytes}, ${named(field)})`;
    case "entries":
      return `r.count(ctx.entryCount, ${elementBytes}, ${named(field)})`;
    case "count_of": {
      const into = fieldLocal(field.name, "selected");
      pre.push(...countOf(struct, field, count, local(count.array.name), into));
      return into;
    }
    case "rest":
      return "r.remaining";
  }
}

/** The fields whose count reads `field` (it is then computed on encode). */
function countedBy(struct: StructDecl, field: Field): Field[] {
  return struct.fields.filter((f) => f.count?.kind === "field" && f.count.field === field);
}

/**
 * The length the encoder writes into `count` for the field `user`: bytes of a string, else elements of
 * an array or bytes of a run (`w.lengthOf`: a value without a length is an EncodeError naming `count`,
 * the field being written).
 */
function lengthOf(count: Field, user: Field, value: string): string {
  return user.type.kind === "string" ? `utf8Length(${value})` : `w.lengthOf(${value}, ${named(count)}, ${str(user.name)})`;
}

/** Encoding: statements that write the field from `v`; each write or check that can fail names the field itself. */
function encodeField(m: ModuleEmitter, struct: StructDecl, field: Field): string[] {
  const t = field.type;
  const c = constructField(field);
  const value = `v.${camel(field.name)}`;
  if (c.encodeField !== undefined) return c.encodeField(m, struct, field, t);
  if (field.constValue !== undefined) {
    if (Array.isArray(field.constValue)) return [`w.bytes(${magicConstant(struct.name, field.name)});`];
    return [writeElement(m, field, literal(field.constValue as number | bigint))];
  }
  if (field.reserved !== undefined && field.size !== undefined) return [`w.zeros(${field.size});`];
  if (field.computed) {
    // A later field fills this one in: a switch its selector or size, an array or run its count.
    const user = struct.fields.find((f) => constructField(f).fills?.(f.type, field) === true);
    if (user !== undefined) return constructField(user).encodeComputed!(struct, field, user);
    const users = countedBy(struct, field);
    if (users.some((u) => u.type.kind === "string")) m.runtime("utf8Length");
    const [first, ...others] = users.map((u) => lengthOf(field, u, `v.${camel(u.name)}`));
    const out = others.map(
      (other, i) => `if (${other} !== ${first}) w.fail(${str(`${users[i + 1]!.name} and ${users[0]!.name} share the count ${field.name} but differ in length`)}, w.pos, ${named(field)});`,
    );
    return [...out, writeElement(m, field, first!)];
  }
  const count = field.count;
  if (!field.isArray && c.encodeRun !== undefined) return c.encodeRun(field, t, value);
  if (count === undefined) return [writeElement(m, field, value), ...encodeValueCheck(field, value, `w.pos - ${field.elementSize ?? 0}`)];
  if (field.typedArray) {
    const n = count.kind === "fixed" ? String(count.value) : "undefined";
    const le = leArg(field, field.elementSize!) || ", undefined";
    return [`w.typedArray(${str(typedArrayElement(field))}, ${value}, ${n}${le}, ${named(field)});`];
  }
  const out: string[] = [`w.array(${value}, ${named(field)}${count.kind === "fixed" ? `, ${count.value}` : ""});`];
  if (count.kind === "count_of") {
    const into = fieldLocal(field.name, "selected");
    out.push(...countOf(struct, field, count, `v.${camel(count.array.name)}`, into));
    out.push(`if (${value}.length !== ${into}) w.fail(\`\${${value}.length} elements given, ${count.array.name} calls for \${${into}}\`, w.pos, ${named(field)});`);
  }
  out.push(`for (let i = 0; i < ${value}.length; i++) ${writeElement(m, field, `${value}[i]!`, "i")}`);
  return out;
}

function fieldDoc(field: Field): string | undefined {
  const parts = [field.doc, field.units === undefined ? undefined : `Units: ${field.units}.`];
  const text = parts.filter((p) => p !== undefined).join(" ");
  return text === "" ? undefined : text;
}

/** Emits one struct: interface, size constant, magic constants, decoder and encoder. */
export function emitStruct(m: ModuleEmitter, struct: StructDecl, doc = struct.doc): void {
  const name = pascal(struct.name);
  const visible = struct.fields.filter((f) => !f.hidden);
  for (const f of struct.fields) constructField(f).declare?.(m, struct, f, f.type);
  m.file.interface(
    name,
    doc,
    visible.map((f) => ({ name: camel(f.name), type: fieldTsType(m, f, struct), doc: fieldDoc(f) })),
  );
  if (struct.size !== undefined) m.file.constant(`${constant(struct.name)}_SIZE`, `The size of ${struct.name} in bytes.`, String(struct.size));
  for (const f of struct.fields) {
    if (f.count?.kind === "count_of") {
      const values = countedSetValues(f.count).map((v) => literal(v)).join(", ");
      m.file.constant(
        countedValues(struct, f),
        countsComplement(f.count)
          ? `@internal The ${f.count.bitField.name} values of ${f.count.array.name} whose elements ${f.name} has none of (the schema's count_of, not_in).`
          : `@internal The ${f.count.bitField.name} values of ${f.count.array.name} whose elements ${f.name} has one of (the schema's count_of${f.count.negated ? ": every value but those its not_in lists" : ""}).`,
        `/* @__PURE__ */ new Set<number>([${values}])`,
        "ReadonlySet<number>",
      );
    }
    if (Array.isArray(f.constValue)) {
      m.file.constant(magicConstant(struct.name, f.name), undefined, `/* @__PURE__ */ Uint8Array.of(${(f.constValue as number[]).map((b) => literal(b)).join(", ")})`, undefined, false);
    }
  }
  if (struct.positional) {
    emitPositionalCodec(m, struct, name, (f) => fieldTsType(m, f, struct));
    emitView(m, struct, name, (f) => fieldTsType(m, f, struct));
    return;
  }
  // Sequential codecs: every read, write and check that can fail names its field (and element), so
  // the bodies track no current field and need no try/catch.
  const usesStart = struct.fields.some((f) => f.type.kind === "align");
  const usesCtx = struct.fields.some((f) => f.count?.kind === "entries");
  const prologue = usesStart ? ["const start = r.pos;"] : [];
  const params = [{ name: "r", type: m.runtime("ByteReader", true) }];
  if (usesCtx) params.push({ name: "ctx", type: `${m.runtime("SectionContext", true)}<unknown>` });
  const decode = [...prologue, ...struct.fields.flatMap((f) => decodeField(m, struct, f)), `return ${fieldsObject(visible)};`];
  m.file.function({ name: `decode${name}`, doc: `Reads one ${struct.name}.`, params, returns: name, body: decode });
  if (hasStructureCheck(struct)) emitStructureCheck(m, struct, params, prologue);
  // A value that is not an object is an EncodeError here, not a TypeError from its first field.
  const encode = ["w.objectAt(v, w.pos);", ...(usesStart ? ["const start = w.pos;"] : []), ...struct.fields.flatMap((f) => encodeField(m, struct, f))];
  emitEncoder(m, struct, name, encode);
}

/** The object literal of a decoder's result: each field's local under the field's property name. */
function fieldsObject(fields: readonly Field[]): string {
  return `{ ${fields.map((f) => (camel(f.name) === local(f.name) ? camel(f.name) : `${camel(f.name)}: ${local(f.name)}`)).join(", ")} }`;
}

/** True when a struct gets `checkX` besides `decodeX`: it has byte-run arrays, which a check need not take apart. */
export function hasStructureCheck(struct: StructDecl): boolean {
  return !struct.positional && struct.fields.some(isByteRunArray);
}

/** The name of a struct's structure check and of the type it returns. */
export function structureCheckNames(struct: StructDecl): { check: string; type: string } {
  return { check: `check${pascal(struct.name)}`, type: `${pascal(struct.name)}Checked` };
}

/**
 * Emits `checkX(r)`: every read and check of `decodeX`, the same errors at the same offsets, but its
 * byte-run arrays are claimed by their length and not returned (what verifying a big image needs: a
 * page_data batch's pages are covered by the CRC, a view per page is only garbage). It returns the
 * other fields, which later rules read (page_data's frame words).
 */
function emitStructureCheck(m: ModuleEmitter, struct: StructDecl, params: { name: string; type: string }[], prologue: readonly string[]): void {
  const name = pascal(struct.name);
  const names = structureCheckNames(struct);
  const runs = struct.fields.filter((f) => !f.hidden && isByteRunArray(f));
  const kept = struct.fields.filter((f) => !f.hidden && !isByteRunArray(f));
  m.file.typeAlias(names.type, `What {@link ${names.check}} returns: a ${struct.name} without its byte runs.`, `Omit<${name}, ${runs.map((f) => str(camel(f.name))).join(" | ")}>`);
  const body = [...struct.fields.flatMap((f) => checkField(m, struct, f)), `return ${fieldsObject(kept)};`];
  m.file.function({
    name: names.check,
    doc: `Checks one ${struct.name} as {@link decode${name}} does (every read, the same errors at the same offsets) without taking its byte runs apart: ${runs.map((f) => f.name).join(", ")} ${runs.length === 1 ? "is" : "are"} checked by length alone. Returns the other fields.`,
    params,
    returns: names.type,
    body: [...prologue, ...body],
  });
}

/** Emits a fixed struct's `decodeX(r, o?)` and `encodeX(w, v, o?)` (with its per-order twins). */
function emitPositionalCodec(m: ModuleEmitter, struct: StructDecl, typeName: string, fieldType: (f: Field) => string): void {
  const name = pascal(struct.name);
  const size = `${constant(struct.name)}_SIZE`;
  const visible = struct.fields.filter((f) => !f.hidden);
  // Decoding: checks and fallible reads name their own field (a nested struct's through
  // `r.nestedAt`), so the body needs no try/catch. Fallible reads stay statements, in field order with
  // the checks, so the first bad field is the one reported; reads that cannot fail go in the literal.
  const statements: string[] = [];
  const inline = new Map<Field, string>();
  for (const f of struct.fields) {
    const at = position(f.offset!);
    const named = constructField(f).fallible(f.type, f) ? str(f.name) : undefined;
    const own = selfNamingCheck(m, struct, f, at);
    if (own !== undefined) {
      statements.push(...own);
      continue;
    }
    if (hasValueRule(f)) {
      statements.push(`const ${local(f.name)} = ${readAt(m, f, at, "r", named)};`, ...decodeValueCheck(f, local(f.name), at));
      inline.set(f, local(f.name));
    } else if (f.typedArray) {
      inline.set(f, typedArrayReadAt(f, at));
    } else if (f.isArray) {
      const n = (f.count as { value: number }).value;
      statements.push(`const ${local(f.name)}: ${fieldType(f)} = [];`);
      if (f.type.kind === "struct" && named !== undefined) {
        statements.push(...structLoop("r", f, n, (i) => `${local(f.name)}.push(${readAt(m, f, `${at} + ${i} * ${f.elementSize!}`)});`));
      } else {
        const element = readAt(m, f, `${at} + i * ${f.elementSize!}`, "r", named === undefined ? undefined : `${named}, i`);
        statements.push(`for (let i = 0; i < ${n}; i++) ${local(f.name)}.push(${element});`);
      }
      inline.set(f, local(f.name));
    } else if (f.fallible) {
      statements.push(`const ${local(f.name)} = ${readAt(m, f, at, "r", named)};`);
      inline.set(f, local(f.name));
    } else inline.set(f, readAt(m, f, at));
  }
  const literalObject = `{ ${visible.map((f) => (inline.get(f) === camel(f.name) ? camel(f.name) : `${camel(f.name)}: ${inline.get(f)}`)).join(", ")} }`;
  const decodeBody = [...statements, `return ${literalObject};`];
  m.file.function({
    name: `decode${name}`,
    doc: `Reads one ${struct.name}: the next ${size} bytes, or those at \`o\`, a position already claimed.`,
    params: [
      { name: "r", type: m.runtime("ByteReader", true) },
      { name: "o", initializer: `r.take(${size})` },
    ],
    returns: typeName,
    body: decodeBody,
  });

  // Encoding: every field can meet a bad value; each write names its field itself, a nested value's
  // through `w.nestedAt`, so the body needs no try/catch.
  const encodeBody = (order: Endian): string[] => {
    const writes: string[] = [];
    for (const f of struct.fields) {
      const at = position(f.offset!);
      const value = `v.${camel(f.name)}`;
      if (constructField(f).padding === true || (f.reserved !== undefined && f.constValue === undefined)) {
        if (f.size! > 0) writes.push(`w.zerosAt(${at}, ${f.size});`);
      } else if (f.constValue !== undefined) {
        writes.push(
          Array.isArray(f.constValue)
            ? `w.bytesAt(${at}, ${magicConstant(struct.name, f.name)}, ${f.size}, ${str(f.name)});`
            : writeAt(m, f, at, literal(f.constValue as number | bigint), order),
        );
      } else if (f.typedArray) {
        const n = (f.count as { value: number }).value;
        writes.push(`w.typedArrayAt(${str(typedArrayElement(f))}, ${at}, ${value}, ${n}${orderArgThen(f, f.elementSize!, order)}, ${str(f.name)});`);
      } else if (f.isArray) {
        const n = (f.count as { value: number }).value;
        writes.push(`w.arrayAt(${value}, ${n}, ${at}, ${str(f.name)});`);
        if (f.type.kind === "struct") {
          const encode = m.ref(f.type, encoderAt(f.type, order));
          writes.push(...structLoop("w", f, n, (i) => `${encode}(w, ${value}[${i}]!, ${at} + ${i} * ${f.elementSize!});`));
        } else writes.push(`for (let i = 0; i < ${n}; i++) ${writeAt(m, f, `${at} + i * ${f.elementSize!}`, `${value}[i]!`, order, "i")}`);
      } else writes.push(writeAt(m, f, at, value, order), ...encodeValueCheck(f, value, at));
    }
    return writes;
  };
  const writer = m.runtime("ByteWriter", true);
  const encodeDoc = `Writes one ${struct.name}: into the next ${size} bytes, or at \`o\`, a position already reserved; a bad value is an EncodeError naming the field.`;
  // reserveFor checks that the value is an object: one that is not would escape as a TypeError from
  // the first field (a position given goes through nestedAt or encodeFixedEntries, which catch that).
  const publicParams = [
    { name: "w", type: writer },
    { name: "v", type: typeName },
    { name: "o", initializer: `w.reserveFor(v, ${size})` },
  ];
  // A struct that follows the writer's byte order gets an encoder per order, each with the order as a
  // constant in every write: one encoder passing the order along measured 10-20 % slower on cpuid_leaf.
  if (struct.contextOrdered) {
    for (const order of ["little", "big"] as const) {
      m.file.function({
        name: encoderAt(struct, order),
        doc: `@internal {@link encode${name}} for a ${order}-endian writer (\`w.littleEndian\` ${order === "little"}).`,
        params: [
          { name: "w", type: writer },
          { name: "v", type: typeName },
          { name: "o", type: "number" },
        ],
        returns: "void",
        body: encodeBody(order),
      });
    }
    m.file.function({
      name: `encode${name}`,
      doc: `${encodeDoc} Its fields follow the writer's byte order.`,
      params: publicParams,
      returns: "void",
      body: [`if (w.littleEndian) ${encoderAt(struct, "little")}(w, v, o);`, `else ${encoderAt(struct, "big")}(w, v, o);`],
    });
  } else {
    m.file.function({ name: `encode${name}`, doc: encodeDoc, params: publicParams, returns: "void", body: encodeBody("context") });
  }
}

/** Emits `encodeX(w, v)`, a variable-size struct's encoder, with `body`. */
function emitEncoder(m: ModuleEmitter, struct: StructDecl, typeName: string, body: string[]): void {
  m.file.function({
    name: `encode${pascal(struct.name)}`,
    doc: `Writes one ${struct.name}; a value out of range or of the wrong length is an EncodeError naming the field.`,
    params: [
      { name: "w", type: m.runtime("ByteWriter", true) },
      { name: "v", type: typeName },
    ],
    returns: "void",
    body,
  });
}
