import type { Count, Field, StructDecl } from "../model/model.js";
import type { ModuleEmitter } from "./module-emitter.js";
import { camel, constant, fieldLocal, literal, local, pascal, str } from "./names.js";
import { floatMethod, intBase, intMethod, intTsType, leArg, magicConstant, typedArrayElement, typedArrayTsType } from "./scalars.js";
import { emitFixedCodec, guardedBody, isFixed } from "./fixed-struct.js";
import { emitView } from "./view.js";
import { decodeValueCheck, encodeValueCheck, hasValueRule } from "./valid.js";
import { decodeSwitch, emitSwitchTypes, encodeSwitch, encodeSwitchPart, switchTypeName, switchUsing } from "./switch.js";

/**
 * Structs: an interface of the visible fields, `decodeX(r)` and `encodeX(w, v)` as straight-line code
 * over runtime methods, and `X_SIZE` when the size is fixed. Arrays, byte runs and strings are fields
 * with a count, so they live here too.
 */

/** The size of one element of a field, when fixed (used to bound counts read from the input). */
function elementSize(field: Field): number | undefined {
  const t = field.type;
  const base = intBase(t);
  if (base !== undefined) return base.size;
  if (t.kind === "float") return t.size;
  if (t.kind === "struct") return t.size;
  if (t.kind === "bytes") return t.elementSize ?? 1;
  if (t.kind === "string") return 1;
  return undefined;
}

/** True when `count` makes the field an array of elements (rather than one byte run or string). */
function isArray(field: Field): boolean {
  if (field.count === undefined) return false;
  return !(field.type.kind === "bytes" && field.type.elementSize === undefined) && field.type.kind !== "string";
}

/** The TypeScript type of one element of a field. */
function elementTsType(m: ModuleEmitter, field: Field): string {
  const t = field.type;
  switch (t.kind) {
    case "int":
      return intTsType(field, t);
    case "float":
      return "number";
    case "enum":
    case "flags":
    case "bits":
    case "struct":
      return m.ref(t, pascal(t.name), true);
    case "bytes":
      return "Uint8Array";
    case "string":
      return "string";
    default:
      return "never";
  }
}

/** The TypeScript type of a field's value. */
export function fieldTsType(m: ModuleEmitter, field: Field): string {
  if (field.typedArray) return typedArrayTsType(field);
  const element = elementTsType(m, field);
  return isArray(field) ? `${element}[]` : element;
}

/** An expression that reads one element of `field`. */
function readElement(m: ModuleEmitter, field: Field): string {
  const t = field.type;
  switch (t.kind) {
    case "int":
    case "enum":
    case "flags":
      return `r.${intMethod(field, intBase(t)!)}()`;
    case "bits":
      return `${m.ref(t, `unpack${pascal(t.name)}At`)}(r, r.take(${t.base.size})${leArg(field, t.base.size)})`;
    case "float":
      return `r.${floatMethod(field, t.size)}()`;
    case "struct":
      return `${m.ref(t, `decode${pascal(t.name)}`)}(r)`;
    case "bytes":
      return `r.bytesView(${t.elementSize ?? 1})`;
    default:
      throw new Error(`no element reader for ${t.kind}`);
  }
}

/** A statement that writes one element `value` of `field`. */
function writeElement(m: ModuleEmitter, field: Field, value: string): string {
  const t = field.type;
  switch (t.kind) {
    case "int":
    case "enum":
    case "flags":
      return `w.${intMethod(field, intBase(t)!)}(${value});`;
    case "bits":
      return `${m.ref(t, `pack${pascal(t.name)}At`)}(w, w.reserve(${t.base.size}), ${value}${leArg(field, t.base.size)});`;
    case "float":
      return `w.${floatMethod(field, t.size)}(${value});`;
    case "struct":
      return `${m.ref(t, `encode${pascal(t.name)}`)}(w, ${value});`;
    case "bytes":
      return `w.bytes(${value}, ${t.elementSize ?? 1});`;
    default:
      throw new Error(`no element writer for ${t.kind}`);
  }
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

/** Decoding: statements that leave the field's value in its local (or just consume it when hidden). */
function decodeField(m: ModuleEmitter, struct: StructDecl, field: Field): string[] {
  const t = field.type;
  const name = local(field.name);
  const check = field.reserved !== "ignore";
  if (t.kind === "pad") return [`r.zeros(${t.size}, ${check});`];
  if (t.kind === "align") return [`r.alignTo(${t.alignment}, start, ${check});`];
  if (t.kind === "switch") return decodeSwitch(m, struct, field);
  if (field.constValue !== undefined) {
    if (Array.isArray(field.constValue)) return [`r.expectBytes(${magicConstant(struct.name, field.name)});`];
    const base = intBase(t)!;
    return [`r.expect(r.${intMethod(field, base)}(), ${literal(field.constValue as number | bigint)}, ${base.size});`];
  }
  if (field.reserved !== undefined && field.size !== undefined) return [`r.zeros(${field.size}, ${check});`];

  const count = field.count;
  if (t.kind === "string") {
    const ascii = t.encoding === "ascii";
    if (count?.kind === "rest") return [`const ${name} = r.text(r.remaining, ${ascii});`];
    const n = count === undefined ? "1" : countExpr(struct, field, count, 1, []);
    return [`const ${name} = r.string(${n}, ${ascii});`];
  }
  if (t.kind === "bytes" && t.elementSize === undefined) {
    if (count?.kind === "rest") return [`const ${name} = r.rest();`];
    const pre: string[] = [];
    const n = countExpr(struct, field, count!, 1, pre);
    return [...pre, `const ${name} = r.bytesView(${n});`];
  }
  if (count === undefined) {
    const size = intBase(t)?.size ?? 0;
    return [`const ${name} = ${readElement(m, field)};`, ...(hasValueRule(field) ? decodeValueCheck(field, name, `r.pos - ${size}`, false) : [])];
  }

  const type = elementTsType(m, field);
  const size = elementSize(field);
  if (field.typedArray) return decodeTypedArray(struct, field, count);
  if (count.kind === "rest") {
    const out: string[] = [];
    if (size !== undefined) {
      out.push(`if (r.remaining % ${size} !== 0) r.fail(\`\${r.remaining} bytes left, not a multiple of ${size}\`, r.pos, undefined, "length");`);
    }
    out.push(`const ${name}: ${type}[] = [];`, `for (index = 0; r.remaining > 0; index++) ${name}.push(${readElement(m, field)});`, "index = -1;");
    return out;
  }
  const pre: string[] = [];
  const n = countExpr(struct, field, count, size ?? 1, pre);
  const bound = count.kind === "field" || count.kind === "entries" ? fieldLocal(field.name, "count") : n;
  if (bound !== n) pre.push(`const ${bound} = ${n};`);
  return [...pre, `const ${name}: ${type}[] = [];`, `for (index = 0; index < ${bound}; index++) ${name}.push(${readElement(m, field)});`, "index = -1;"];
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
  const size = elementSize(field)!;
  const count = field.count!;
  if (count.kind === "rest") {
    return [`if (r.remaining % ${size} !== 0) r.fail(\`\${r.remaining} bytes left, not a multiple of ${size}\`, r.pos, undefined, "length");`, "r.take(r.remaining);"];
  }
  const pre: string[] = [];
  const n = countExpr(struct, field, count, size, pre);
  // A count_of's count is already a local; another count is bounded by the bytes left, then kept.
  const bound = count.kind === "count_of" ? n : fieldLocal(field.name, "count");
  if (bound !== n) pre.push(`const ${bound} = ${n};`);
  return [
    ...pre,
    `index = Math.min(${bound}, Math.floor(r.remaining / ${size}));`,
    `r.take(index * ${size});`,
    `if (index < ${bound}) r.take(${size});`,
    "index = -1;",
  ];
}

/** Decoding a `repr: typed_array` field: one runtime call, a view of the input or a copy. */
function decodeTypedArray(struct: StructDecl, field: Field, count: Count): string[] {
  const name = local(field.name);
  const size = elementSize(field)!;
  const element = str(typedArrayElement(field));
  const le = leArg(field, size);
  if (count.kind === "rest") {
    return [
      `if (r.remaining % ${size} !== 0) r.fail(\`\${r.remaining} bytes left, not a multiple of ${size}\`, r.pos, undefined, "length");`,
      `const ${name} = r.typedArray(${element}, r.remaining / ${size}${le});`,
    ];
  }
  const pre: string[] = [];
  const n = countExpr(struct, field, count, size, pre);
  return [...pre, `const ${name} = r.typedArray(${element}, ${n}${le});`];
}

/** An expression for a count while decoding; input-supplied counts are bounded by the bytes left. */
function countExpr(struct: StructDecl, field: Field, count: Count, elementBytes: number, pre: string[]): string {
  switch (count.kind) {
    case "fixed":
      return String(count.value);
    case "field":
      return `r.count(${local(count.field.name)}, ${elementBytes})`;
    case "entries":
      return `r.count(ctx.entryCount, ${elementBytes})`;
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

/** The length the encoder writes for a computed count field. */
function lengthOf(field: Field, value: string): string {
  return field.type.kind === "string" ? `utf8Length(${value})` : `${value}.length`;
}

/** Encoding: statements that write the field from `v`. */
function encodeField(m: ModuleEmitter, struct: StructDecl, field: Field): string[] {
  const t = field.type;
  const value = `v.${camel(field.name)}`;
  if (t.kind === "pad") return [`w.zeros(${t.size});`];
  if (t.kind === "align") return [`w.alignTo(${t.alignment}, start);`];
  if (field.constValue !== undefined) {
    if (Array.isArray(field.constValue)) return [`w.bytes(${magicConstant(struct.name, field.name)});`];
    return [`w.${intMethod(field, intBase(t)!)}(${literal(field.constValue as number | bigint)});`];
  }
  if (field.reserved !== undefined && field.size !== undefined) return [`w.zeros(${field.size});`];
  if (t.kind === "switch") return encodeSwitch(m, field);
  const switchField = field.computed ? switchUsing(struct, field) : undefined;
  if (switchField !== undefined) return encodeSwitchPart(struct, field, switchField);
  if (field.computed) {
    const users = countedBy(struct, field);
    if (users.some((u) => u.type.kind === "string")) m.runtime("utf8Length");
    const [first, ...others] = users.map((u) => lengthOf(u, `v.${camel(u.name)}`));
    const out = others.map(
      (other, i) => `if (${other} !== ${first}) w.fail(${str(`${users[i + 1]!.name} and ${users[0]!.name} share the count ${field.name} but differ in length`)});`,
    );
    const base = intBase(t)!;
    return [...out, `w.${intMethod(field, base)}(${first});`];
  }
  const count = field.count;
  if (t.kind === "string") {
    const n = count?.kind === "fixed" ? String(count.value) : "undefined";
    return [`w.string(${value}, ${n}, ${t.encoding === "ascii"});`];
  }
  if (t.kind === "bytes" && t.elementSize === undefined) {
    return [count?.kind === "fixed" ? `w.bytes(${value}, ${count.value});` : `w.bytes(${value});`];
  }
  if (count === undefined) return [writeElement(m, field, value), ...encodeValueCheck(field, value, `w.pos - ${intBase(t)?.size ?? 0}`)];
  if (field.typedArray) {
    const n = count.kind === "fixed" ? String(count.value) : "undefined";
    const le = leArg(field, elementSize(field)!);
    return [`w.typedArray(${str(typedArrayElement(field))}, ${value}${le === "" && n === "undefined" ? "" : `, ${n}`}${le});`];
  }
  const out: string[] = [`if (!Array.isArray(${value})) w.fail("an array is expected");`];
  if (count.kind === "fixed") {
    out.push(`if (${value}.length !== ${count.value}) w.fail(\`\${${value}.length} elements given, exactly ${count.value} expected\`);`);
  } else if (count.kind === "count_of") {
    const into = fieldLocal(field.name, "selected");
    out.push(...countOf(struct, field, count, `v.${camel(count.array.name)}`, into));
    out.push(`if (${value}.length !== ${into}) w.fail(\`\${${value}.length} elements given, ${count.array.name} calls for \${${into}}\`);`);
  }
  out.push(`for (index = 0; index < ${value}.length; index++) ${writeElement(m, field, `${value}[index]!`)}`, "index = -1;");
  return out;
}

/**
 * Wraps statements so an error escaping them is typed and names the field (and element) being read or
 * written; `io` is the reader or writer.
 */
function fieldDoc(field: Field): string | undefined {
  const parts = [field.doc, field.units === undefined ? undefined : `Units: ${field.units}.`];
  const text = parts.filter((p) => p !== undefined).join(" ");
  return text === "" ? undefined : text;
}

/** Emits one struct: interface, size constant, magic constants, decoder and encoder. */
export function emitStruct(m: ModuleEmitter, struct: StructDecl, doc = struct.doc): void {
  const name = pascal(struct.name);
  const visible = struct.fields.filter((f) => !f.hidden);
  for (const f of struct.fields) if (f.type.kind === "switch") emitSwitchTypes(m, struct, f);
  m.file.interface(
    name,
    doc,
    visible.map((f) => ({ name: camel(f.name), type: f.type.kind === "switch" ? switchTypeName(struct, f) : fieldTsType(m, f), doc: fieldDoc(f) })),
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
  if (isFixed(struct)) {
    emitFixedCodec(m, struct, name, (f) => fieldTsType(m, f));
    emitView(m, struct, name, (f) => fieldTsType(m, f));
    return;
  }
  const usesStart = struct.fields.some((f) => f.type.kind === "align");
  const usesIndex = struct.fields.some((f) => isArray(f) && !f.typedArray);
  const usesCtx = struct.fields.some((f) => f.count?.kind === "entries");

  const decode: string[] = [];
  if (usesStart) decode.push("const start = r.pos;");
  const body: string[] = [];
  for (const f of struct.fields) {
    body.push(`at = ${str(f.name)};`); // padding too: a bad pad is not the previous field's fault
    body.push(...decodeField(m, struct, f));
  }
  body.push(`return { ${visible.map((f) => (camel(f.name) === local(f.name) ? camel(f.name) : `${camel(f.name)}: ${local(f.name)}`)).join(", ")} };`);
  const params = [{ name: "r", type: m.runtime("ByteReader", true) }];
  if (usesCtx) params.push({ name: "ctx", type: `${m.runtime("SectionContext", true)}<unknown>` });
  m.file.function({ name: `decode${name}`, doc: `Reads one ${struct.name}.`, params, returns: name, body: [...decode, ...guardedBody(body, usesIndex, "r")] });
  if (hasStructureCheck(struct)) emitStructureCheck(m, struct, params, decode);

  const encode: string[] = [];
  if (usesStart) encode.push("const start = w.pos;");
  const ebody: string[] = [];
  for (const f of struct.fields) {
    if (f.type.kind !== "pad" && f.type.kind !== "align") ebody.push(`at = ${str(f.name)};`);
    ebody.push(...encodeField(m, struct, f));
  }
  m.file.function({
    name: `encode${name}`,
    doc: `Writes one ${struct.name}; a value out of range or of the wrong length is an EncodeError naming the field.`,
    params: [
      { name: "w", type: m.runtime("ByteWriter", true) },
      { name: "v", type: name },
    ],
    returns: "void",
    body: [...encode, ...guardedBody(ebody, usesIndex, "w")],
  });
}


/** True when a struct gets `checkX` besides `decodeX`: it has byte-run arrays, which a check need not take apart. */
export function hasStructureCheck(struct: StructDecl): boolean {
  return !isFixed(struct) && struct.fields.some(isByteRunArray);
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
  const body: string[] = [];
  for (const f of struct.fields) {
    body.push(`at = ${str(f.name)};`);
    body.push(...checkField(m, struct, f));
  }
  body.push(`return { ${kept.map((f) => (camel(f.name) === local(f.name) ? camel(f.name) : `${camel(f.name)}: ${local(f.name)}`)).join(", ")} };`);
  m.file.function({
    name: names.check,
    doc: `Checks one ${struct.name} as {@link decode${name}} does (every read, the same errors at the same offsets) without taking its byte runs apart: ${runs.map((f) => f.name).join(", ")} ${runs.length === 1 ? "is" : "are"} checked by length alone. Returns the other fields.`,
    params,
    returns: names.type,
    body: [...prologue, ...guardedBody(body, true, "r")],
  });
}
