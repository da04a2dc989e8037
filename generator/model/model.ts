/**
 * The typed model every emitter reads: references resolved, sizes and offsets computed, names checked.
 * It is readonly and kind-tagged; emitters never look at YAML. Every node keeps where it came from so
 * later passes can report problems at the schema's line and column.
 */

/** Where a model node was declared: the file, its YAML path, and the line and column (1-based). */
export interface Source {
  readonly file: string;
  readonly path: string;
  readonly line: number;
  readonly col: number;
}

/** Byte order of a field: pinned, or `context` (the image header's `byte_order` decides). */
export type Endian = "little" | "big" | "context";

export type IntName = "u8" | "u16" | "u32" | "u64" | "i8" | "i16" | "i32" | "i64";
export type FloatName = "f32" | "f64";

/** A fixed-width integer type. */
export interface IntType {
  readonly kind: "int";
  readonly name: IntName;
  readonly size: 1 | 2 | 4 | 8;
  readonly signed: boolean;
}

/** An IEEE 754 float. */
export interface FloatType {
  readonly kind: "float";
  readonly name: FloatName;
  readonly size: 4 | 8;
}

/** What every named declaration has. */
interface DeclBase {
  readonly name: string;
  readonly doc: string;
  /** The schema file (without `.yaml`) that declared it: decides the generated module. */
  readonly module: string;
  readonly source: Source;
}

/** One named value of an enum. */
export interface EnumValue {
  readonly name: string;
  readonly value: number | bigint;
  readonly doc: string | undefined;
  readonly source: Source;
}

/**
 * An enum over an integer type. Open (the default): unknown values decode as plain numbers and survive
 * a round trip. Closed: a value not listed makes the image invalid, and a writer refuses it.
 */
export interface EnumDecl extends DeclBase {
  readonly kind: "enum";
  readonly base: IntType;
  readonly values: readonly EnumValue[];
  readonly closed: boolean;
}

/** One named bit of a flags type. */
export interface FlagBit {
  readonly name: string;
  readonly bit: number;
  readonly doc: string | undefined;
  readonly source: Source;
}

/** A set of single-bit flags; the field holds the whole integer, the declaration names the bits. */
export interface FlagsDecl extends DeclBase {
  readonly kind: "flags";
  readonly base: IntType;
  readonly bits: readonly FlagBit[];
}

/** One bit field inside an integer: bits `high` … `low`, inclusive. */
export interface BitField {
  readonly name: string;
  readonly doc: string | undefined;
  readonly high: number;
  readonly low: number;
  readonly width: number;
  /** An enum the sub-field's value belongs to, if any. */
  readonly enumType: EnumDecl | undefined;
  readonly reserved: "check" | "ignore" | undefined;
  /** How TypeScript holds it: `number` up to 32 bits (or 53 with `repr: number`), else `bigint`. */
  readonly repr: "number" | "bigint";
  readonly source: Source;
}

/** An integer split into bit fields (e.g. a page-frame word: type in 63–60, frame number in 51–0). */
export interface BitsDecl extends DeclBase {
  readonly kind: "bits";
  readonly base: IntType;
  readonly fields: readonly BitField[];
}

/** How many elements an array (or bytes in a byte run or string) has. */
export type Count =
  | { readonly kind: "fixed"; readonly value: number }
  /** Read from an earlier integer field of the same struct, which becomes computed. */
  | { readonly kind: "field"; readonly field: Field }
  /** The section table's entry count. */
  | { readonly kind: "entries" }
  /** Whatever is left of the section body. */
  | { readonly kind: "rest" }
  /** How many elements of an earlier array have a bit field whose value lies in a set. */
  | {
      readonly kind: "count_of";
      readonly array: Field;
      readonly bitField: BitField;
      readonly values: readonly EnumValue[];
      /** True for `not_in`: the elements whose bit field is none of `values` are counted. */
      readonly negated: boolean;
    };

/** What a field holds. */
export type FieldType =
  | IntType
  | FloatType
  | EnumDecl
  | FlagsDecl
  | BitsDecl
  | StructDecl
  | BytesType
  | StringType
  | SwitchType
  | PadType
  | AlignType
  | UuidType;

/** A UUID: 16 bytes, shown in the dashed 8-4-4-4-12 form. */
export interface UuidType {
  readonly kind: "uuid";
}

/** Raw bytes; with `elementSize`, an array of byte runs of that size (e.g. pages). */
export interface BytesType {
  readonly kind: "bytes";
  readonly elementSize?: number;
}

/** Text of a byte length given by the field's count. */
export interface StringType {
  readonly kind: "string";
  readonly encoding: "ascii" | "utf8";
}

/** Zero bytes. */
export interface PadType {
  readonly kind: "pad";
  readonly size: number;
}

/** Zero bytes up to a multiple of `alignment` from the struct's start. */
export interface AlignType {
  readonly kind: "align";
  readonly alignment: number;
}

/** One case of a switch: a selector value and the struct it selects (undefined: an empty body). */
export interface SwitchCase {
  /** The name of the case in TypeScript's union (`type: "…"`): the enum value's name, or `case_N`. */
  readonly name: string;
  readonly value: number | bigint;
  readonly struct: StructDecl | undefined;
  readonly source: Source;
}

/**
 * A tagged union: an earlier field (the selector) says which struct follows, and optionally an earlier
 * field gives its size in bytes (then unknown selectors can keep their bytes). Both earlier fields are
 * computed on encode.
 */
export interface SwitchType {
  readonly kind: "switch";
  readonly selector: Field;
  readonly size: Field | undefined;
  readonly cases: readonly SwitchCase[];
  /** What an unknown selector gets: its bytes kept (needs `size`), or a decode error. */
  readonly fallback: "bytes" | "error";
}

/** A field of a struct. */
export interface Field {
  readonly name: string;
  readonly doc: string | undefined;
  readonly units: string | undefined;
  readonly example: unknown;
  readonly type: FieldType;
  /** Present for arrays, byte runs and strings. */
  readonly count: Count | undefined;
  readonly endian: Endian;
  /** A magic value: written on encode, checked on decode, not in the interface. */
  readonly constValue: number | bigint | readonly number[] | undefined;
  readonly reserved: "check" | "ignore" | undefined;
  /** The values a reader accepts for an integer field (`valid:`); undefined: any value of its type. */
  readonly valid: ValidValues | undefined;
  /** For 64-bit integers: `number` when the schema opted in (range-checked), else `bigint`. */
  readonly repr: "number" | "bigint";
  /**
   * An integer or float array declared `repr: typed_array`: it decodes to the matching typed array
   * (u64 → BigUint64Array), a view of the input when byte order and alignment allow, else a copy.
   */
  readonly typedArray: boolean;
  /** Offset from the struct's start when every field before it has a fixed size. */
  readonly offset: number | undefined;
  /** Size in bytes when fixed. */
  readonly size: number | undefined;
  /** Another field's count reads this field: the encoder fills it in and it is not in the interface. */
  readonly computed: boolean;
  /** True when the value is not part of the TypeScript interface (pad, align, const, reserved, computed). */
  readonly hidden: boolean;
  /** True when `count` makes the field an array of elements (rather than sizing one byte run or string). */
  readonly isArray: boolean;
  /** The size in bytes of one element, when fixed. */
  readonly elementSize: number | undefined;
  /** True when an element is a number wider than one byte: its bytes follow a byte order. */
  readonly byteOrdered: boolean;
  /** True when reading the field can fail beyond a bounds check (a constant, reserved bytes, a rule, a string …). */
  readonly fallible: boolean;
  readonly source: Source;
}

/** The values an integer field allows (`valid:`), each part optional; all given parts must hold. */
export interface ValidValues {
  readonly min?: bigint;
  readonly max?: bigint;
  readonly values?: readonly bigint[];
  readonly multipleOf?: bigint;
}

/** A struct: fields in order, no implicit padding. */
export interface StructDecl extends DeclBase {
  readonly kind: "struct";
  readonly fields: readonly Field[];
  /** Size in bytes when every field is fixed. */
  readonly size: number | undefined;
  /** True when some field reads `entries` or `rest`: it can only be a section body. */
  readonly needsSection: boolean;
  /** Fixed size and no tagged union: read and written at constant offsets, and viewed lazily. */
  readonly positional: boolean;
  /** True when some field (nested structs included) follows the image's byte order. */
  readonly contextOrdered: boolean;
  /** The field whose count is the section table's entry count, if any (then only a section body). */
  readonly entriesField: Field | undefined;
}

/** A named declaration. */
export type Decl = EnumDecl | FlagsDecl | BitsDecl | StructDecl;

/** What a section body (or one variant of it) is. */
export type SectionBody =
  | { readonly kind: "struct"; readonly struct: StructDecl }
  | { readonly kind: "entries"; readonly struct: StructDecl; readonly entrySize: number }
  | { readonly kind: "empty" };

/** A condition on the image header: the named header field holds one of the given enum values. */
export interface Condition {
  readonly field: Field;
  readonly values: readonly EnumValue[];
}

/** One layout of a section, chosen by header context. */
export interface SectionVariant {
  readonly when: readonly Condition[];
  readonly doc: string | undefined;
  readonly body: SectionBody;
  readonly source: Source;
}

/** A section type: its id, optional bit and body layout(s). */
export interface SectionDecl extends DeclBase {
  readonly kind: "section";
  readonly id: number;
  readonly optional: boolean;
  readonly align: number;
  readonly since: number;
  /** One unconditional variant, or several chosen by the header. */
  readonly variants: readonly SectionVariant[];
}

/** The image container: which structs are the header and the table entry, and the END section. */
export interface ContainerDecl {
  readonly doc: string;
  readonly version: number;
  /** The first format version whose table entries carry `entry_crc`; before it the field is reserved (zero). */
  readonly entryCrcSince: number;
  readonly header: StructDecl;
  readonly entry: StructDecl;
  readonly end: SectionDecl;
  readonly module: string;
  readonly source: Source;
}

/** How many times a section may appear in the images a rule covers. */
export type Presence = "required" | "optional" | "repeatable" | "required_repeatable" | "forbidden";

/** One section's presence under a rule. */
export interface SectionPresence {
  readonly section: SectionDecl;
  readonly presence: Presence;
  readonly source: Source;
}

/**
 * Which sections one kind of image holds (selected by header values: image type, guest type, arch),
 * how often, and in what order. Known sections a rule does not list are forbidden; unknown optional
 * sections are always allowed (that is what the optional bit is for).
 */
export interface ImageRule {
  readonly name: string;
  readonly doc: string;
  readonly when: readonly Condition[];
  readonly sections: readonly SectionPresence[];
  /** Groups in order: every section of a group comes before any section of a later group. */
  readonly order: readonly (readonly SectionDecl[])[];
  /**
   * Streams with checkpoints (Remus/COLO): after each `marker` section a new phase starts, in which only
   * `sections` may appear (any number of times) and the order applies again.
   */
  readonly phases: { readonly marker: SectionDecl; readonly sections: readonly SectionDecl[] } | undefined;
  readonly module: string;
  readonly source: Source;
}

/** One schema file, as a generated module. */
export interface ModuleDecl {
  readonly name: string;
  readonly file: string;
  readonly doc: string;
  readonly imports: readonly string[];
  readonly decls: readonly Decl[];
  readonly sections: readonly SectionDecl[];
  readonly rules: readonly ImageRule[];
}

/** Types without an image container: another format's layouts (Xen streams, ELF), for codecs only. */
export interface LibraryModel {
  readonly modules: readonly ModuleDecl[];
}

/** The whole format. */
export interface Model extends LibraryModel {
  readonly container: ContainerDecl;
  /** All sections of all modules, by ascending id. */
  readonly sections: readonly SectionDecl[];
  /** All image-type rules, in schema order. */
  readonly rules: readonly ImageRule[];
}
