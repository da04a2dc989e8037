import type { Decl, Endian, Field, FieldType, IntType, StructDecl, ValidValues } from "../model/model.js";
import type { Inline, Text } from "../emit/docs/doc-tree.js";
import type { ModuleEmitter } from "../emit/module-emitter.js";

/**
 * Everything the compiler knows about one kind of field type, in one object: its layout, its TypeScript
 * type, how generated code reads, writes and views it, its embedded-model JSON, how the docs show it.
 * The model asks a construct for layout facts and keeps them (emitters read the model, never recompute);
 * the struct emitter walks the fields and asks each field's construct for code.
 *
 * Adding a construct: a module exporting one `Construct`, and its line in `registry.ts`.
 */
export interface Construct<T extends FieldType = FieldType> {
  readonly kind: T["kind"];

  // Layout (the model stores the answers on each field).
  /** The field's size in bytes, when fixed; default: the element's size times the fixed count. */
  size?(type: T, count: number | undefined, offset: number | undefined): number | undefined;
  /** The size in bytes of one element, when fixed (a switch: never; padding and alignment: their bytes). */
  elementSize(type: T): number | undefined;
  /** True when a `count` repeats the element (an array); false when it sizes one byte run or string. */
  repeats(type: T): boolean;
  /** True when an element is a number wider than a byte, whose bytes follow a byte order. */
  byteOrdered(type: T): boolean;
  /** True when reading a value can fail beyond the bounds check (a string's NULs, a bit field's reserved bits …). */
  fallible(type: T, field: Pick<Field, "repr" | "reserved">): boolean;
  /** Zero bytes with no value (padding, alignment): the struct emitter checks and writes them as such. */
  readonly padding?: boolean;

  // Checks beyond the meta-schema (the model reports a field that carries an option its type does not take).
  /** The field options this type takes besides `count`; default: none. */
  readonly takes?: FieldOptions;
  /** The integer a value is held in (an int, an enum, flags, a bits word): `repr` applies when it is 64-bit. */
  integerBase?(type: T): IntType;

  // TypeScript.
  /** The TypeScript type of one element. */
  tsType(m: ModuleEmitter, field: Field, type: T, struct: StructDecl): string;
  /** Module-level declarations the field needs beside its struct (a switch's union type and case table). */
  declare?(m: ModuleEmitter, struct: StructDecl, field: Field, type: T): void;
  /** True when this field fills in the earlier field `other` on encode (a switch's selector and size). */
  fills?(type: T, other: Field): boolean;
  /** The encoding statements of an earlier field this one fills in (see {@link fills}). */
  encodeComputed?(struct: StructDecl, other: Field, field: Field): string[];

  // Sequential code (variable-size structs): expressions over the reader `r` and writer `w`. A failing
  // read or write names its field itself, through `named`: the trailing arguments naming the field
  // (and element), as in the positional code below.
  /** An expression reading one element. */
  read?(m: ModuleEmitter, field: Field, type: T, named: string): string;
  /** A statement writing one element `value`. */
  write?(m: ModuleEmitter, field: Field, type: T, value: string, named: string): string;
  /** The statements decoding the whole field, when the construct decides all of it (padding, a switch). */
  decodeField?(m: ModuleEmitter, struct: StructDecl, field: Field, type: T): string[];
  /** The statements encoding the whole field, when the construct decides all of it. */
  encodeField?(m: ModuleEmitter, struct: StructDecl, field: Field, type: T): string[];
  /** A field sized by its count as one value (a byte run, a string): its decoding statements (a failure names the field). */
  decodeRun?(field: Field, type: T, name: string, count: string | undefined): string[];
  /** A field sized by its count as one value: its encoding statements. */
  encodeRun?(field: Field, type: T, value: string): string[];

  // Positional code (fixed-size structs: constant offsets from `o`).
  /**
   * An expression reading one element at position expression `at` from reader expression `r`; a
   * fallible read given `named` (trailing arguments naming the field and element) reports them.
   */
  readAt?(m: ModuleEmitter, field: Field, type: T, at: string, r: string, named?: string): string;
  /**
   * A statement writing one element `value` at `at`, in byte order `order` (`context`: the writer's);
   * `named` are the trailing arguments naming the field (and element) a failure reports.
   */
  writeAt?(m: ModuleEmitter, field: Field, type: T, at: string, value: string, order: Endian, named: string): string;
  /** A lazy view's check of one element at `at` (default: the read, its value dropped). */
  checkAt?(m: ModuleEmitter, field: Field, type: T, at: string, named?: string): string;
  /** A lazy view's getter type and value of one element at `at` (default: the decoded value). */
  viewAt?(m: ModuleEmitter, field: Field, type: T, at: string, r: string): { readonly type: string; readonly value: string };

  // The embedded schema model and the docs.
  /** The field's `type` in the embedded schema model (`schema.ts`, read by `xenimage/reflect`). */
  schemaJson(type: T): unknown;
  /** The declarations a field of this type uses (the docs list them beside the struct). */
  uses?(type: T): readonly Decl[];
  /** The docs' type column: `u32`, `trap_info × 256`, `bytes[512]`. */
  docType(field: Field, type: T, docs: DocsKit): Text;
  /** The docs' words for an earlier field this one fills in (see {@link fills}). */
  docFills?(type: T, other: Field, field: Field): Inline[];
  /** The docs' values column: what the type allows, added part by part. */
  docValues?(field: Field, type: T, docs: DocsKit, add: (...parts: Inline[]) => void): void;

  // Property tests.
  /** Random values of one element (of the whole field when it is not an array), as the codec takes them. */
  arbitrary<A>(field: Field, type: T, gen: ArbitraryKit<A>): A;
}

/** The field options a construct may take (see {@link Construct.takes}). */
export interface FieldOptions {
  /** `endian`: the value is a number whose bytes follow a byte order. */
  readonly endian?: boolean;
  /** `const`: a plain integer, or a byte list of the field's length. */
  readonly constant?: "integer" | "bytes";
  /** `reserved`: bytes that must be zero, or whose value is ignored. */
  readonly reserved?: boolean;
  /** `repr: typed_array`: an array held in one typed array. */
  readonly typedArray?: boolean;
}

/**
 * The generators a construct's arbitrary is built from. The property tests implement it with
 * fast-check; the compiler names only what it needs, so it does not depend on a test library.
 */
export interface ArbitraryKit<A> {
  /** Integers from `min` to `max`, inclusive. */
  integer(min: number, max: number): A;
  /** Bigints from `min` to `max`, inclusive. */
  bigInt(min: bigint, max: bigint): A;
  /** Any float of `size` bytes. */
  float(size: 4 | 8): A;
  constantFrom(values: readonly unknown[]): A;
  oneof(arbitraries: readonly A[]): A;
  /** Objects with these keys, each from its arbitrary. */
  record(shape: Readonly<Record<string, A>>): A;
  /** Byte arrays of `minLength` to `maxLength` bytes. */
  bytes(minLength: number, maxLength: number): A;
  /** Text without NULs of at most `maxBytes` bytes (UTF-8, or ASCII). */
  text(maxBytes: number, ascii: boolean): A;
  map(arbitrary: A, f: (value: never) => unknown): A;
  filter(arbitrary: A, f: (value: never) => boolean): A;
  /** Values of a struct (its visible fields), the property tests' own walk. */
  struct(decl: StructDecl): A;
  /** Values of an integer type, as numbers or (64-bit) bigints, limited to `valid` when given. */
  integerOf(base: IntType, asNumber: boolean, valid?: ValidValues): A;
}

/** What a construct's docs rendering needs from the docs back end. */
export interface DocsKit {
  /** A link to a declared type's docs. */
  typeRef(decl: Decl): Inline;
  /** The type text with ` × count` appended when the field has a count. */
  times(name: Inline[]): Inline[];
}
