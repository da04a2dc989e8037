import type { Field, StructDecl, SwitchType } from "../model/model.js";
import type { ModuleEmitter } from "./module-emitter.js";
import { camel, constant, fieldLocal, literal, local, pascal, str } from "./names.js";
import { intBase, intMethod, intTsType } from "./scalars.js";

/**
 * Switch fields (tagged unions): the union type, the selector table, and the statements that decode
 * one case (inside a sub-reader of exactly `size` bytes when there is a size field) and encode it
 * (filling in the selector and patching the size once the body is written).
 */

/** The name of the generated union type of a switch field. */
export function switchTypeName(struct: StructDecl, field: Field): string {
  return `${pascal(struct.name)}${pascal(field.name)}`;
}

function casesConstant(struct: StructDecl, field: Field): string {
  return `${constant(struct.name)}_${constant(field.name)}_CASES`;
}

function switchOf(field: Field): SwitchType {
  if (field.type.kind !== "switch") throw new Error(`${field.name} is not a switch`);
  return field.type;
}

/** Emits the union type and the case-name → selector-value table of a switch field. */
export function emitSwitchTypes(m: ModuleEmitter, struct: StructDecl, field: Field): void {
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

/** Decoding statements for a switch field: they leave the union value in the field's local. */
export function decodeSwitch(m: ModuleEmitter, struct: StructDecl, field: Field): string[] {
  const sw = switchOf(field);
  const name = local(field.name);
  const selector = local(sw.selector.name);
  const reader = sw.size === undefined ? "r" : fieldLocal(field.name, "reader");
  const out: string[] = [];
  if (sw.size !== undefined) out.push(`const ${reader} = r.sub(r.count(${local(sw.size.name)}, 1));`);
  out.push(`let ${name}: ${switchTypeName(struct, field)};`, `switch (${selector}) {`);
  const unknown = `{ type: "unknown", selector: ${selector}, bytes: ${reader}.rest() } as const`;
  for (const c of sw.cases) {
    const value = c.struct === undefined ? `{ type: ${str(c.name)} } as const` : `{ type: ${str(c.name)}, value: ${m.ref(c.struct, `decode${pascal(c.struct.name)}`)}(${reader}) } as const`;
    // A body of another size than the case's (an older, shorter layout) keeps its bytes: nothing is lost.
    const expected = c.struct === undefined ? 0 : c.struct.size;
    if (sw.size !== undefined && sw.fallback === "bytes" && expected !== undefined) {
      out.push(`case ${literal(c.value)}: ${name} = ${reader}.remaining === ${expected} ? ${value} : ${unknown}; break;`);
    } else out.push(`case ${literal(c.value)}: ${name} = ${value}; break;`);
  }
  out.push(
    sw.fallback === "bytes"
      ? `default: ${name} = ${unknown};`
      : `default: ${name} = ${reader}.fail(\`unknown ${sw.selector.name} \${${selector}}\`, ${reader}.pos - ${intBase(sw.selector.type)!.size}, undefined, "field-value");`,
    "}",
  );
  if (sw.size !== undefined) out.push(`${reader}.expectEnd();`);
  return out;
}

/** The switch field (if any) whose selector or size is `field`. */
export function switchUsing(struct: StructDecl, field: Field): Field | undefined {
  return struct.fields.find((f) => f.type.kind === "switch" && (f.type.selector === field || f.type.size === field));
}

/** Encoding statements for a switch's selector or size field (written before the switch itself). */
export function encodeSwitchPart(struct: StructDecl, part: Field, switchField: Field): string[] {
  const sw = switchOf(switchField);
  const value = `v.${camel(switchField.name)}`;
  const method = intMethod(part, intBase(part.type)!);
  if (part === sw.selector) {
    const selector = `${camel(switchField.name)}Selector`;
    const known = `${casesConstant(struct, switchField)}[${value}.type]`;
    return [
      `const ${selector} = ${sw.fallback === "bytes" ? `${value}.type === "unknown" ? ${value}.selector : ${known}` : known};`,
      `if (${selector} === undefined) w.fail(\`unknown case "\${String(${value}?.type)}"\`);`,
      `w.${method}(${selector});`,
    ];
  }
  // The size is known once the body is written: reserve it now, patch it then.
  return [`const ${camel(switchField.name)}SizeAt = w.pos;`, `w.${method}(${intTsType(part, intBase(part.type)!) === "bigint" ? "0n" : "0"});`];
}

/** Encoding statements for the switch field itself, then the size patch. */
export function encodeSwitch(m: ModuleEmitter, field: Field): string[] {
  const sw = switchOf(field);
  const value = `v.${camel(field.name)}`;
  const start = `${camel(field.name)}Start`;
  const out = [`const ${start} = w.pos;`, `switch (${value}.type) {`];
  for (const c of sw.cases) {
    out.push(c.struct === undefined ? `case ${str(c.name)}: break;` : `case ${str(c.name)}: ${m.ref(c.struct, `encode${pascal(c.struct.name)}`)}(w, ${value}.value); break;`);
  }
  if (sw.fallback === "bytes") out.push(`case "unknown": w.bytes(${value}.bytes); break;`);
  out.push(`default: w.fail(\`unknown case "\${String((${value} as { type?: unknown }).type)}"\`);`, "}");
  if (sw.size !== undefined) {
    const base = intBase(sw.size.type)!;
    const patch = `patch${base.name.toUpperCase()}`;
    const endian = sw.size.endian === "little" ? ", true" : sw.size.endian === "big" ? ", false" : "";
    const length = base.size === 8 ? `BigInt(w.pos - ${start})` : `w.pos - ${start}`;
    out.push(`w.${patch}(${camel(field.name)}SizeAt, ${length}${endian});`);
  }
  return out;
}
