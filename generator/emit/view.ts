import type { Field, StructDecl } from "../model/model.js";
import { elementSize, ErrorPath, fallible, guardedBody, isArray, position, readAt, selfNamingCheck, typedArrayReadAt } from "./fixed-struct.js";
import type { ModuleEmitter } from "./module-emitter.js";
import { decodeValueCheck, hasValueRule } from "./valid.js";
import { camel, constant, pascal } from "./names.js";

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

/** The names generated for a fixed struct's view. */
export function viewNames(struct: StructDecl): { cls: string; view: string; viewAt: string; checkAt: string } {
  const name = pascal(struct.name);
  return { cls: `${name}View`, view: `view${name}`, viewAt: `view${name}At`, checkAt: `check${name}At` };
}

/** True when creating a view of `struct` has something to check beyond the bounds. */
function needsCheck(struct: StructDecl): boolean {
  return struct.fields.some((f) => fallible(f));
}

/** Adds the statements checking field `f` at `at` without building its value (none when it cannot fail). */
function checkField(m: ModuleEmitter, struct: StructDecl, f: Field, at: string, path: ErrorPath, statements: string[]): void {
  const own = selfNamingCheck(m, struct, f, at);
  if (own !== undefined) return path.selfNaming(own);
  if (!fallible(f)) return;
  if (hasValueRule(f)) return path.selfNaming([`{ const value = ${readAt(m, f, at)}; ${decodeValueCheck(f, "value", at).join(" ")} }`]);
  const t = f.type;
  const one = (elementAt: string) => (t.kind === "struct" ? `${m.ref(t, viewNames(t).checkAt)}(r, ${elementAt});` : `${readAt(m, f, elementAt)};`);
  path.field(f);
  if (isArray(f) && !f.typedArray) {
    const n = (f.count as { value: number }).value;
    statements.push(`for (index = 0; index < ${n}; index++) ${one(`${at} + index * ${elementSize(f)}`)}`, "index = -1;");
  } else statements.push(one(at));
}

/** The getter body of one visible field of a view: reads at the record's offset in its reader. */
function getter(m: ModuleEmitter, f: Field, fieldType: string): string[] {
  const t = f.type;
  const r = "this.#reader";
  const at = f.offset === 0 ? "this.#offset" : `this.#offset + ${f.offset}`;
  const each = (i: string) => `${at} + ${i} * ${elementSize(f)}`;
  if (t.kind === "struct") {
    const cls = m.ref(t, viewNames(t).cls);
    if (!isArray(f)) return [`return new ${cls}(${r}, ${at});`];
    const n = (f.count as { value: number }).value;
    return [`const out: ${cls}[] = [];`, `for (let i = 0; i < ${n}; i++) out.push(new ${cls}(${r}, ${each("i")}));`, "return out;"];
  }
  if (isArray(f) && !f.typedArray) {
    const n = (f.count as { value: number }).value;
    return [`const out: ${fieldType} = [];`, `for (let i = 0; i < ${n}; i++) out.push(${readAt(m, f, each("i"), r)});`, "return out;"];
  }
  return [`return ${f.typedArray ? typedArrayReadAt(f, at, r) : readAt(m, f, at, r)};`];
}

/** Emits `checkXAt` (when something can fail), `XView`, `viewXAt` and `viewX` for a fixed struct. */
export function emitView(m: ModuleEmitter, struct: StructDecl, typeName: string, fieldType: (f: Field) => string): void {
  const names = viewNames(struct);
  const size = `${constant(struct.name)}_SIZE`;
  const reader = m.runtime("ByteReader", true);
  const checked = needsCheck(struct);

  if (checked) {
    const statements: string[] = [];
    const path = new ErrorPath(statements);
    for (const f of struct.fields) checkField(m, struct, f, position(f.offset!), path, statements);
    m.file.function({
      name: names.checkAt,
      doc: `@internal Checks one ${struct.name} at a claimed position as {@link decode${pascal(struct.name)}At} does.`,
      params: [
        { name: "r", type: reader },
        { name: "o", type: "number" },
      ],
      returns: "void",
      body: path.used ? guardedBody(statements, true, "r") : statements,
    });
  }

  const visible = struct.fields.filter((f) => !f.hidden);
  m.file.class({
    name: names.cls,
    doc: `A checked ${struct.name} read lazily: each getter reads its field when called, so the bytes must not change meanwhile.`,
    implements: typeName,
    fields: [
      { name: "reader", type: reader },
      { name: "offset", type: "number" },
    ],
    getters: visible.map((f) => {
      const t = f.type;
      const type = t.kind === "struct" ? `${m.ref(t, viewNames(t).cls)}${isArray(f) ? "[]" : ""}` : fieldType(f);
      // No doc: editors show the interface's, which the getter implements.
      return { name: camel(f.name), type, body: getter(m, f, type) };
    }),
    methods: [
      {
        name: "toObject",
        doc: "The whole record, decoded.",
        params: [],
        returns: typeName,
        body: [`return decode${pascal(struct.name)}At(this.#reader, this.#offset);`],
      },
    ],
  });

  m.file.function({
    name: names.viewAt,
    doc: `{@link ${names.view}} at a claimed position.`,
    params: [
      { name: "r", type: reader },
      { name: "o", type: "number" },
    ],
    returns: names.cls,
    body: [...(checked ? [`${names.checkAt}(r, o);`] : []), `return new ${names.cls}(r, o);`],
  });
  m.file.function({
    name: names.view,
    doc: `Claims one ${struct.name}, checks it as {@link decode${pascal(struct.name)}} does and returns a lazy view.`,
    params: [{ name: "r", type: reader }],
    returns: names.cls,
    body: [`return ${names.viewAt}(r, r.take(${size}));`],
  });
}
