import type { Field, StructDecl, SwitchType } from "../model/model.js";
import { code, joinText, type Text } from "../emit/docs/doc-tree.js";
import { compact } from "../emit/compact.js";
import type { ModuleEmitter } from "../emit/module-emitter.js";
import { camel, fieldConstant, fieldLocal, literal, local, pascal, str } from "../emit/names.js";
import { intBase, intMethod, intTsType, writerOrderSlot } from "../emit/scalars.js";
import type { Construct } from "./construct.js";

/**
 * Switch fields (tagged unions): the union type, the selector table, and the statements that decode
 * one case (inside a sub-reader of exactly `size` bytes when there is a size field) and encode it
 * (filling in the selector and patching the size once the body is written).
 */

/** A tagged union: an earlier field selects the case's struct, another (optional) gives its size. */
export const switchConstruct: Construct<SwitchType> = {
  kind: "switch",
  size(t) {
    const sizes = new Set(t.cases.map((c) => (c.struct === undefined ? 0 : c.struct.size)));
    return sizes.size === 1 && t.fallback === "error" ? [...sizes][0] : undefined;
  },
  elementSize: () => undefined,
  repeats: () => false,
  byteOrdered: () => false,
  fallible: () => true,
  tsType: (_m, field, _t, struct) => switchTypeName(struct, field),
  declare: (m, struct, field) => emitSwitchTypes(m, struct, field),
  decodeField: (m, struct, field) => decodeSwitch(m, struct, field),
  encodeField: (m, _struct, field) => encodeSwitch(m, field),
  fills: (t, other) => t.selector === other || t.size === other,
  encodeComputed: (struct, part, switchField) => encodeSwitchPart(struct, part, switchField),
  schemaJson: (t) =>
    compact([
      ["kind", "switch"],
      ["selector", t.selector.name],
      ["size", t.size?.name],
      ["cases", t.cases.map((c) => compact([["name", c.name], ["value", typeof c.value === "bigint" ? `${c.value}n` : c.value], ["struct", c.struct?.name]]))],
      ["fallback", t.fallback],
    ]),
  arbitrary(_field, t, gen) {
    const cases = t.cases.map((c) => (c.struct === undefined ? gen.constantFrom([{ type: c.name }]) : gen.map(gen.struct(c.struct), (value) => ({ type: c.name, value }))));
    if (t.fallback === "bytes") {
      const used = new Set(t.cases.map((c) => BigInt(c.value)));
      const selector = gen.filter(gen.integerOf(intBase(t.selector.type)!, false), (v: number | bigint) => !used.has(BigInt(v)));
      cases.push(gen.record({ type: gen.constantFrom(["unknown"]), selector, bytes: gen.bytes(0, 32) }));
    }
    return gen.oneof(cases);
  },
  uses: (t) => t.cases.flatMap((c) => (c.struct === undefined ? [] : [c.struct])),
  // Several selector values may share a layout: each struct once, in case order.
  docType: (_field, t, docs) => ["one of ", ...joinText([...new Set(t.cases.flatMap((c) => (c.struct === undefined ? [] : [c.struct])))].map((s) => [docs.typeRef(s)]), ", ")],
  docFills: (t, other, field) =>
    t.selector === other
      ? ["selects the layout of ", code(field.name), " (written from the case the writer encodes)"]
      : ["the size in bytes of ", code(field.name), " (written by the writer)"],
  docValues(_field, t, docs, add) {
    const cases = t.cases.map((c): Text => [`${typeof c.value === "bigint" ? `0x${c.value.toString(16)}` : c.value} (${c.name}) → `, ...(c.struct === undefined ? ["empty"] : [docs.typeRef(c.struct)])]);
    add(code(t.selector.name), " selects: ", ...joinText(cases, ", "));
    add(t.fallback === "bytes" ? "other selector values: the bytes are kept as they are" : "other selector values: readers reject the image");
  },
};

/** The name of the generated union type of a switch field. */
export function switchTypeName(struct: StructDecl, field: Field): string {
  return `${pascal(struct.name)}${pascal(field.name)}`;
}

function casesConstant(struct: StructDecl, field: Field): string {
  return fieldConstant(struct.name, field.name, "_CASES");
}

function switchOf(field: Field): SwitchType {
  if (field.type.kind !== "switch") throw new Error(`${field.name} is not a switch`);
  return field.type;
}

/** Emits the union type and the case-name → selector-value table of a switch field. */
function emitSwitchTypes(m: ModuleEmitter, struct: StructDecl, field: Field): void {
  const sw = switchOf(field);
  const selectorType = intTsType(sw.selector, intBase(sw.selector.type)!);
  const members = sw.cases.map((c) =>
    c.struct === undefined
      ? `{ readonly type: ${str(c.name)} }`
      : `{ readonly type: ${str(c.name)}; readonly value: ${m.ref(c.struct, pascal(c.struct.name), true)} }`,
  );
  if (sw.fallback === "bytes") members.push(`{ readonly type: "unknown"; readonly selector: ${selectorType}; readonly bytes: Uint8Array }`);
  const doc = `${field.doc ?? field.name}\n\nA tagged union: \`type\` names the case, chosen on the wire by ${sw.selector.name}${sw.fallback === "bytes" ? "; an unknown selector keeps its bytes" : ""}.`;
  m.file.typeAlias(switchTypeName(struct, field), doc, members.join(" | "));
  const table = sw.cases.map((c) => `${str(c.name)}: ${literal(c.value)}`).join(", ");
  m.file.constant(casesConstant(struct, field), undefined, `{ ${table} }`, `{ readonly [name: string]: ${selectorType} }`, false);
}

/**
 * Decoding statements for a switch field: they leave the union value in the field's local. Every
 * failure names the field: the case's body is read through `nested`, which adds it to the path.
 */
function decodeSwitch(m: ModuleEmitter, struct: StructDecl, field: Field): string[] {
  const sw = switchOf(field);
  const name = local(field.name);
  const named = str(field.name);
  const selector = local(sw.selector.name);
  const reader = sw.size === undefined ? "r" : fieldLocal(field.name, "reader");
  const out: string[] = [];
  if (sw.size !== undefined) out.push(`const ${reader} = r.sub(r.count(${local(sw.size.name)}, 1, ${named}), ${named});`);
  // With a bytes fallback, a case that does not take the body leaves the value unset, and the bytes
  // are kept after the switch.
  const keepsBytes = sw.fallback === "bytes";
  out.push(`let ${name}: ${switchTypeName(struct, field)}${keepsBytes ? " | undefined" : ""};`, `switch (${selector}) {`);
  for (const c of sw.cases) {
    const value = c.struct === undefined ? `{ type: ${str(c.name)} }` : `{ type: ${str(c.name)}, value: ${reader}.nested(${m.ref(c.struct, `decode${pascal(c.struct.name)}`)}, ${named}) }`;
    // A body of another size than the case's (an older, shorter layout) keeps its bytes: nothing is lost.
    const expected = c.struct === undefined ? 0 : c.struct.size;
    if (sw.size !== undefined && keepsBytes && expected !== undefined) {
      out.push(`case ${literal(c.value)}: if (${reader}.remaining === ${expected}) ${name} = ${value}; break;`);
    } else out.push(`case ${literal(c.value)}: ${name} = ${value}; break;`);
  }
  if (keepsBytes) out.push("}", `${name} ??= { type: "unknown", selector: ${selector}, bytes: ${reader}.rest() };`);
  else {
    out.push(
      `default: ${name} = ${reader}.fail(\`unknown ${sw.selector.name} \${${selector}}\`, ${reader}.pos - ${intBase(sw.selector.type)!.size}, ${named}, "field-value");`,
      "}",
    );
  }
  if (sw.size !== undefined) out.push(`${reader}.expectEnd(${named});`);
  return out;
}

/**
 * Encoding statements for a switch's selector or size field (written before the switch itself). A
 * value that is not a case names the selector, as the selector's bytes are the ones it cannot fill.
 */
function encodeSwitchPart(struct: StructDecl, part: Field, switchField: Field): string[] {
  const sw = switchOf(switchField);
  const value = `v.${camel(switchField.name)}`;
  const method = intMethod(part, intBase(part.type)!);
  const named = `${writerOrderSlot(part, intBase(part.type)!.size)}, ${str(part.name)}`;
  if (part === sw.selector) {
    const selector = `${camel(switchField.name)}Selector`;
    const known = `${casesConstant(struct, switchField)}[${value}.type]`;
    return [
      `w.objectAt(${value}, w.pos, ${str(part.name)});`,
      `const ${selector} = ${sw.fallback === "bytes" ? `${value}.type === "unknown" ? ${value}.selector : ${known}` : known};`,
      `if (${selector} === undefined) w.fail(\`unknown case "\${String(${value}.type)}"\`, w.pos, ${str(part.name)});`,
      `w.${method}(${selector}${named});`,
    ];
  }
  // The size is known once the body is written: reserve it now, patch it then.
  return [`const ${camel(switchField.name)}SizeAt = w.pos;`, `w.${method}(${intTsType(part, intBase(part.type)!) === "bigint" ? "0n" : "0"});`];
}

/** Encoding statements for the switch field itself, then the size patch; a failure names the field. */
function encodeSwitch(m: ModuleEmitter, field: Field): string[] {
  const sw = switchOf(field);
  const value = `v.${camel(field.name)}`;
  const named = str(field.name);
  const start = `${camel(field.name)}Start`;
  const out = [`const ${start} = w.pos;`, `switch (${value}.type) {`];
  for (const c of sw.cases) {
    out.push(
      c.struct === undefined ? `case ${str(c.name)}: break;` : `case ${str(c.name)}: w.nested(${m.ref(c.struct, `encode${pascal(c.struct.name)}`)}, ${value}.value, ${named}); break;`,
    );
  }
  if (sw.fallback === "bytes") out.push(`case "unknown": w.bytes(${value}.bytes, undefined, ${named}); break;`);
  out.push(`default: w.fail(\`unknown case "\${String((${value} as { type?: unknown }).type)}"\`, w.pos, ${named});`, "}");
  if (sw.size !== undefined) {
    const base = intBase(sw.size.type)!;
    const patch = `patch${base.name.toUpperCase()}`;
    const endian = sw.size.endian === "little" ? ", true" : sw.size.endian === "big" ? ", false" : base.size === 1 ? "" : ", undefined";
    const length = base.size === 8 ? `BigInt(w.pos - ${start})` : `w.pos - ${start}`;
    out.push(`w.${patch}(${camel(field.name)}SizeAt, ${length}${endian}, ${named});`);
  }
  return out;
}
