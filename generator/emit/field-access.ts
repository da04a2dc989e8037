import type { Construct } from "../constructs/construct.js";
import { constructOf } from "../constructs/registry.js";
import type { Field, StructDecl } from "../model/model.js";
import type { ModuleEmitter } from "./module-emitter.js";
import { fieldLocal, literal, str } from "./names.js";
import { leArg, magicConstant, typedArrayElement } from "./scalars.js";

/**
 * What the struct emitter and the lazy-view emitter share about reading a field at a constant offset:
 * the field's construct, the read itself, the checks that name their own field, and the loop over an
 * array of structs that names the failing element.
 */

/** The construct of a field's type. */
export function constructField(field: Field): Construct {
  return constructOf(field.type);
}

/**
 * An expression reading one element of `field` at position expression `at`, from reader expression
 * `r`; with `named` (trailing arguments naming the field and element), a failing read reports them.
 */
export function readAt(m: ModuleEmitter, field: Field, at: string, r = "r", named?: string): string {
  const read = constructField(field).readAt;
  if (read === undefined) throw new Error(`no positional reader for ${field.type.kind}`);
  return read(m, field, field.type, at, r, named);
}

/** The position expression of a field at `offset` from the struct's start `o`. */
export function position(offset: number): string {
  return offset === 0 ? "o" : `o + ${offset}`;
}


/**
 * The check of a field that names itself in its error (padding, a reserved field, a constant): no
 * statement when it is not checked, undefined for every other field.
 */
export function selfNamingCheck(m: ModuleEmitter, struct: StructDecl, f: Field, at: string): string[] | undefined {
  if (constructField(f).padding === true) return f.reserved === "check" && f.size! > 0 ? [`r.zerosAt(${at}, ${f.size}, ${str(f.name)});`] : [];
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
 * A loop over the `n` elements of struct array `f` in one try/catch that names the failing element. The
 * nested codec is called directly: through r/w.nestedAt per element, vcpu context encode and decode
 * measured about 15 % slower (256 trap_ctxt entries each).
 */
export function structLoop(io: "r" | "w", f: Field, n: number, each: (index: string) => string): string[] {
  const i = fieldLocal(f.name, "i");
  return [`let ${i} = 0;`, "try {", `for (; ${i} < ${n}; ${i}++) ${each(i)}`, "} catch (e) {", `throw ${io}.rethrow(e, ${str(`${f.name}[`)} + ${i} + "]");`, "}"];
}

/** The read of a whole `repr: typed_array` field with a fixed count at position expression `at`. */
export function typedArrayReadAt(field: Field, at: string, r = "r"): string {
  const n = (field.count as { value: number }).value;
  return `${r}.typedArrayAt(${str(typedArrayElement(field))}, ${at}, ${n}${leArg(field, field.elementSize!)})`;
}
