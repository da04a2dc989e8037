import { viewNames } from "../constructs/struct.js";
import type { Field, StructDecl } from "../model/model.js";
import { constructField, position, readAt, selfNamingCheck, structLoop, typedArrayReadAt } from "./field-access.js";
import type { ModuleEmitter } from "./module-emitter.js";
import { decodeValueCheck, hasValueRule } from "./valid.js";
import { camel, constant, pascal, str } from "./names.js";

/**
 * Lazy views of fixed-size structs: `viewX(r)` claims and checks a record like `decodeX(r)` and returns
 * an `XView` whose getters read each field when asked. For a record used for a field or two (the
 * per-record loop over thousands of vcpu contexts), that skips building hundreds of objects and
 * BigInts; bench/RESULTS.md has the figures.
 *
 * A view checks at creation everything the decoder checks (padding, reserved bytes, constants,
 * strings, number-mode u64s, bit fields), with the same errors, so no getter can fail. `XView
 * implements X`: a view can be encoded, compared or passed wherever the decoded value can.
 */

/** True when creating a view of `struct` has something to check beyond the bounds. */
function needsCheck(struct: StructDecl): boolean {
  return struct.fields.some((f) => f.fallible);
}

/**
 * The statements checking field `f` at `at` without building its value (none when it cannot fail). As in
 * the decoder, each check names its field (a nested struct's through `r.nestedAt`), so no try/catch.
 */
function checkField(m: ModuleEmitter, struct: StructDecl, f: Field, at: string): string[] {
  const own = selfNamingCheck(m, struct, f, at);
  if (own !== undefined) return own;
  if (!f.fallible) return [];
  // Only a read that can fail takes the field's name (a value rule names the field itself).
  const name = constructField(f).fallible(f.type, f) ? str(f.name) : undefined;
  if (hasValueRule(f)) return [`{ const value = ${readAt(m, f, at, "r", name)}; ${decodeValueCheck(f, "value", at).join(" ")} }`];
  const check = constructField(f).checkAt;
  if (!f.isArray || f.typedArray) return [check !== undefined ? check(m, f, f.type, at, name) : `${readAt(m, f, at, "r", name)};`];
  const n = (f.count as { value: number }).value;
  const each = (i: string) => `${at} + ${i} * ${f.elementSize}`;
  // Struct elements: one try/catch for the loop, as the decoder has (nestedAt per element is slower).
  if (check !== undefined) return structLoop("r", f, n, (i) => check(m, f, f.type, each(i)));
  return [`for (let i = 0; i < ${n}; i++) ${readAt(m, f, each("i"), "r", name === undefined ? undefined : `${name}, i`)};`];
}

/** The getter body of one visible field of a view: reads at the record's offset in its reader. */
function getter(m: ModuleEmitter, f: Field, fieldType: string): string[] {
  const r = "this.#reader";
  const at = f.offset === 0 ? "this.#offset" : `this.#offset + ${f.offset}`;
  const each = (i: string) => `${at} + ${i} * ${f.elementSize}`;
  const lazy = constructField(f).viewAt;
  if (lazy !== undefined) {
    if (!f.isArray) return [`return ${lazy(m, f, f.type, at, r).value};`];
    const n = (f.count as { value: number }).value;
    const element = lazy(m, f, f.type, each("i"), r);
    return [`const out: ${element.type}[] = [];`, `for (let i = 0; i < ${n}; i++) out.push(${element.value});`, "return out;"];
  }
  if (f.isArray && !f.typedArray) {
    const n = (f.count as { value: number }).value;
    return [`const out: ${fieldType} = [];`, `for (let i = 0; i < ${n}; i++) out.push(${readAt(m, f, each("i"), r)});`, "return out;"];
  }
  return [`return ${f.typedArray ? typedArrayReadAt(f, at, r) : readAt(m, f, at, r)};`];
}

/** Emits `checkXAt` (when something can fail), `XView` and `viewX` for a fixed struct. */
export function emitView(m: ModuleEmitter, struct: StructDecl, typeName: string, fieldType: (f: Field) => string): void {
  const names = viewNames(struct);
  const size = `${constant(struct.name)}_SIZE`;
  const reader = m.runtime("ByteReader", true);
  const checked = needsCheck(struct);

  if (checked) {
    const statements = struct.fields.flatMap((f) => checkField(m, struct, f, position(f.offset!)));
    m.file.function({
      name: names.checkAt,
      doc: `@internal Checks one ${struct.name} at a claimed position as {@link decode${pascal(struct.name)}} does.`,
      params: [
        { name: "r", type: reader },
        { name: "o", type: "number" },
      ],
      returns: "void",
      body: statements,
    });
  }

  const visible = struct.fields.filter((f) => !f.hidden);
  m.file.class({
    name: names.cls,
    doc: `A checked ${struct.name} read lazily: each getter reads its field when called, so the bytes must not change meanwhile.`,
    implements: typeName,
    // Each view class has its own constructor and #private fields: a constructor shared through a base
    // class, and public `$reader`/`$offset` fields, each made bench's per-record cpuid views twice as slow.
    fields: [
      { name: "reader", type: reader },
      { name: "offset", type: "number" },
    ],
    getters: visible.map((f) => {
      const lazy = constructField(f).viewAt?.(m, f, f.type, "", "");
      const type = lazy !== undefined ? `${lazy.type}${f.isArray ? "[]" : ""}` : fieldType(f);
      // No doc: editors show the interface's, which the getter implements.
      return { name: camel(f.name), type, body: getter(m, f, type) };
    }),
    methods: [
      {
        name: "toObject",
        doc: "The whole record, decoded.",
        params: [],
        returns: typeName,
        body: [`return decode${pascal(struct.name)}(this.#reader, this.#offset);`],
      },
    ],
  });

  m.file.function({
    name: names.view,
    doc: `Claims one ${struct.name} (or takes \`o\`, the position of one already claimed), checks it as {@link decode${pascal(struct.name)}} does and returns a lazy view.`,
    params: [
      { name: "r", type: reader },
      { name: "o", initializer: `r.take(${size})` },
    ],
    returns: names.cls,
    body: [...(checked ? [`${names.checkAt}(r, o);`] : []), `return new ${names.cls}(r, o);`],
  });
}
