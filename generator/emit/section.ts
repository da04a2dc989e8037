import type { ContainerDecl, Field, SectionBody, SectionDecl, SectionVariant } from "../model/model.js";
import type { ModuleEmitter } from "./module-emitter.js";
import { camel, literal, pascal, str } from "./names.js";
import { emitStruct, hasStructureCheck, structureCheckNames } from "./struct.js";
import { encoderAt } from "../constructs/struct.js";

/**
 * Sections: the body type (`XBody`) and a `SectionCodec` object (`xSection`) that the container drives.
 * A section with variants picks its layout from the image header, in generated code.
 */

/** The name of the generated codec object of a section. */
export function sectionCodecName(section: SectionDecl): string {
  return `${camel(section.name)}Section`;
}

/** The name of the generated decoder object of a section (its decoding half, for decode-only bundles). */
export function sectionDecoderName(section: SectionDecl): string {
  return `${camel(section.name)}SectionDecoder`;
}

/** The name of the generated body type of a section. */
export function sectionBodyName(section: SectionDecl): string {
  return `${pascal(section.name)}Body`;
}

/** True when the struct was declared inline under this section (and so is emitted with it). */
function isInline(section: SectionDecl, body: SectionBody): boolean {
  return body.kind === "struct" && body.struct.module === section.module && body.struct.source.path.startsWith(section.source.path);
}

function bodyTsType(m: ModuleEmitter, body: SectionBody): string {
  switch (body.kind) {
    case "empty":
      return "null";
    case "struct":
      return m.ref(body.struct, pascal(body.struct.name), true);
    case "entries":
      return `${m.ref(body.struct, pascal(body.struct.name), true)}[]`;
  }
}

/** The field of a struct body whose count is the table's entry count, if any. */
export function entriesField(body: SectionBody): Field | undefined {
  return body.kind === "struct" ? body.struct.entriesField : undefined;
}

/** True when a body has a structure check cheaper than its decode (see `emitStructureCheck`). */
function hasCheck(body: SectionBody): boolean {
  return body.kind === "struct" && hasStructureCheck(body.struct);
}

/** The statement returning a body decoded, or with `check` only checked when it has a structure check. */
function decodeBody(m: ModuleEmitter, body: SectionBody, check = false): string {
  switch (body.kind) {
    case "empty":
      return "return null;";
    case "struct": {
      const fn = m.ref(body.struct, check && hasCheck(body) ? structureCheckNames(body.struct).check : `decode${pascal(body.struct.name)}`);
      const counted = entriesField(body);
      if (counted === undefined) return `return ${fn}(r);`;
      // The encoder reports one element's size as the entry size; a reader holds the table to it.
      const size = counted.elementSize;
      return `${size === undefined ? "" : `${m.runtime("expectEntrySize")}(r, ctx, ${size}); `}return ${fn}(r, ctx);`;
    }
    case "entries":
      return `return ${m.runtime("decodeEntries")}(r, ctx, ${body.entrySize}, ${m.ref(body.struct, `decode${pascal(body.struct.name)}`)});`;
  }
}

function encodeBody(m: ModuleEmitter, body: SectionBody, value: string): string[] {
  switch (body.kind) {
    case "empty":
      return [`return ${m.runtime("NOT_AN_ARRAY")};`];
    case "struct": {
      const out = [`${m.ref(body.struct, `encode${pascal(body.struct.name)}`)}(w, ${value});`];
      const counted = entriesField(body);
      if (counted === undefined) return [...out, `return ${m.runtime("NOT_AN_ARRAY")};`];
      const size = counted.elementSize;
      return [...out, `return { entryCount: BigInt(${value}.${camel(counted.name)}.length), entrySize: ${size ?? 0} };`];
    }
    case "entries":
      // Fixed-size entries exactly as large as the declared entry size are written in place.
      if (body.struct.positional && body.struct.size === body.entrySize) {
        // The byte order is picked once for the whole section, not once per entry.
        const encodeAt = body.struct.contextOrdered
          ? `w.littleEndian ? ${m.ref(body.struct, encoderAt(body.struct, "little"))} : ${m.ref(body.struct, encoderAt(body.struct, "big"))}`
          : m.ref(body.struct, encoderAt(body.struct, "context"));
        return [`return ${m.runtime("encodeFixedEntries")}(w, ${value}, ${body.entrySize}, ${encodeAt});`];
      }
      return [`return ${m.runtime("encodeEntries")}(w, ${value}, ${body.entrySize}, ${m.ref(body.struct, `encode${pascal(body.struct.name)}`)});`];
  }
}

/** True when a body is an array section's: the table's entry count and size describe it. */
export function isArrayBody(body: SectionBody): boolean {
  return body.kind === "entries" || entriesField(body) !== undefined;
}

/**
 * The body of a codec's `isArray(header)`: a constant unless the variants disagree. Then a header no
 * variant fits gives true: such a section cannot be decoded anyway, and its entry count is not the
 * problem to report.
 */
function isArrayBodyLines(section: SectionDecl): string[] {
  const single = section.variants.filter((v) => !isArrayBody(v.body));
  if (single.length === 0) return ["return true;"];
  if (single.length === section.variants.length) return ["return false;"];
  return [`return !(${single.map((v) => `(${condition(v, "header")})`).join(" || ")});`];
}

/** The entry size a variant's layout fixes for the table: the array's entry size, one counted element's size, or none. */
function variantEntrySize(body: SectionBody): number | undefined {
  if (body.kind === "entries") return body.entrySize;
  const counted = entriesField(body);
  return counted?.elementSize;
}

/** The body of a codec's `arrayEntrySize(header)`: the entry size of the variant the header selects. */
function arrayEntrySizeLines(section: SectionDecl): string[] {
  const sizes = section.variants.map((v) => variantEntrySize(v.body));
  const same = new Set(sizes);
  if (same.size === 1) return [`return ${sizes[0] ?? "undefined"};`];
  return [...section.variants.map((v, i) => `if (${condition(v, "header")}) return ${sizes[i] ?? "undefined"};`), "return undefined;"];
}

function condition(variant: SectionVariant, header: string): string {
  return variant.when
    .map((c) => {
      const field = `${header}.${camel(c.field.name)}`;
      const tests = c.values.map((v) => `${field} === ${literal(v.value)}`);
      return tests.length === 1 ? tests[0]! : `(${tests.join(" || ")})`;
    })
    .join(" && ");
}

function describeContext(section: SectionDecl, header: string): string {
  const fields = [...new Set(section.variants.flatMap((v) => v.when.map((c) => c.field.name)))];
  return "`no layout of " + section.name + " for " + fields.map((f) => `${f} \${${header}.${camel(f)}}`).join(", ") + "`";
}

/** Emits a section: any inline body structs, the body type and the codec object. */
export function emitSection(m: ModuleEmitter, section: SectionDecl, container: ContainerDecl): void {
  for (const v of section.variants) {
    if (isInline(section, v.body) && v.body.kind === "struct") emitStruct(m, v.body.struct, v.doc ?? section.doc);
  }
  const bodyName = sectionBodyName(section);
  const variantTypes = [...new Set(section.variants.map((v) => bodyTsType(m, v.body)))];
  m.file.typeAlias(bodyName, `The decoded body of a ${section.name} section.`, variantTypes.join(" | "));

  const headerType = m.ref(container.header, pascal(container.header.name), true);
  const only = section.variants.length === 1 && section.variants[0]!.when.length === 0 ? section.variants[0]! : undefined;
  let decode: string[];
  let check: string[];
  let encode: string[];
  if (only !== undefined) {
    decode = [decodeBody(m, only.body)];
    check = [decodeBody(m, only.body, true)];
    encode = encodeBody(m, only.body, "body");
  } else {
    const dispatch = (structureOnly: boolean) => [
      ...section.variants.map((v) => `if (${condition(v, "ctx.header")}) { ${decodeBody(m, v.body, structureOnly)} }`),
      `return r.fail(${describeContext(section, "ctx.header")}, r.pos, undefined, "no-variant");`,
    ];
    decode = dispatch(false);
    check = dispatch(true);
    encode = section.variants.map(
      (v) => `if (${condition(v, "header")}) { ${encodeBody(m, v.body, `(body as ${bodyTsType(m, v.body)})`).join(" ")} }`,
    );
    encode.push(`return w.fail(${describeContext(section, "header")});`);
  }
  const docLines = [
    section.doc,
    "",
    `Type id ${literal(section.id)}${section.optional ? " (optional: unknown-type readers skip it)" : " (mandatory)"}; body aligned to ${section.align} bytes.`,
  ];
  // Two objects: the decoder alone, and the codec that adds the encoder to it. A bundle that only
  // decodes refers to the first, and the pure call of the second lets bundlers drop every encoder.
  const decoder = [
    "{",
    `name: ${str(section.name)},`,
    `id: ${literal(section.id)},`,
    `optional: ${section.optional},`,
    `align: ${section.align},`,
    `since: ${section.since},`,
    "decode(r, ctx) {",
    ...decode,
    "},",
    ...(section.variants.some((v) => hasCheck(v.body)) ? ["check(r, ctx) {", ...check, "},"] : []),
    "isArray(header) {",
    ...isArrayBodyLines(section),
    "},",
    ...(section.variants.some((v) => isArrayBody(v.body)) ? ["arrayEntrySize(header) {", ...arrayEntrySizeLines(section), "},"] : []),
    "}",
  ];
  const decoderName = sectionDecoderName(section);
  m.file.constant(decoderName, `The decoding half of {@link ${sectionCodecName(section)}}.`, decoder.join("\n"), `${m.runtime("SectionDecoder", true)}<${bodyName}, ${headerType}>`);
  const codec = [`/* @__PURE__ */ ${m.runtime("withEncoder")}(${decoderName}, (w, body, header) => {`, ...encode, "})"];
  m.file.constant(sectionCodecName(section), docLines.join("\n"), codec.join("\n"), `${m.runtime("SectionCodec", true)}<${bodyName}, ${headerType}>`);
}
