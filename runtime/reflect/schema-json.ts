/**
 * The serialized schema model that the compiler embeds in its generated output (`generated/schema.ts`),
 * like protobuf-es's embedded file descriptors: plain JSON, one entry per declaration, in schema order,
 * with every layout fact the compiler computed (offsets, sizes, byte orders) and every doc text.
 * References are by name; {@link Schema} resolves them. Integers that JSON cannot hold exactly (64-bit
 * enum values and constants) are strings of decimal digits ending in `n`.
 */

/**
 * The version of this serialization; a reader refuses others. Version 2 added `valid` on fields,
 * `closed` on enums and `negated` on a count_of (which changes what the count counts, so a version-1
 * reader must not read it). Version 3 added the built-in type `uuid`.
 */
export const SCHEMA_JSON_VERSION = 3;

/** An integer: a JSON number, or a bigint written as `"123n"`. */
export type IntJson = number | string;

/** The integer and float types of the schema language. */
export type ScalarName = "u8" | "u16" | "u32" | "u64" | "i8" | "i16" | "i32" | "i64" | "f32" | "f64";

/** The built-in types a field names (`type: uuid`): the scalars and the uuid. */
export type BuiltinName = ScalarName | "uuid";

/** What a field holds: a built-in or declared type by name, or a construct of its own. */
export type TypeJson =
  | string
  | { readonly kind: "bytes"; readonly elementSize?: number }
  | { readonly kind: "string"; readonly encoding: "ascii" | "utf8" }
  | { readonly kind: "pad"; readonly size: number }
  | { readonly kind: "align"; readonly alignment: number }
  | {
      readonly kind: "switch";
      /** The earlier field that selects the case. */
      readonly selector: string;
      /** The earlier field that holds the case's size in bytes, if any. */
      readonly size?: string;
      readonly cases: readonly { readonly name: string; readonly value: IntJson; readonly struct?: string }[];
      readonly fallback: "bytes" | "error";
    };

/** How many elements a field has: a constant, `entries`, `rest`, an earlier field, or a count of selected elements. */
export type CountJson =
  | number
  | "entries"
  | "rest"
  | { readonly field: string }
  | { readonly countOf: string; readonly bitField: string; readonly values: readonly string[]; readonly negated?: true };

/** One field of a struct. Absent keys take their defaults (context byte order, not hidden, …). */
export interface FieldJson {
  /** Absent for padding and alignment. */
  readonly name?: string;
  readonly doc?: string;
  readonly units?: string;
  readonly example?: unknown;
  readonly type: TypeJson;
  readonly count?: CountJson;
  /** Pinned byte order; absent: the image's. */
  readonly endian?: "little" | "big";
  /** A magic value: an integer or a list of bytes. */
  readonly const?: IntJson | readonly number[];
  readonly reserved?: "check" | "ignore";
  /** The values a single integer field allows (the schema's `valid:`); every part given must hold. */
  readonly valid?: { readonly min?: IntJson; readonly max?: IntJson; readonly values?: readonly IntJson[]; readonly multipleOf?: IntJson };
  /** A 64-bit integer held as a `number`. */
  readonly repr?: "number";
  readonly typedArray?: true;
  readonly offset?: number;
  readonly size?: number;
  readonly computed?: true;
  readonly hidden?: true;
}

/** One bit field of a bits declaration. */
export interface BitFieldJson {
  readonly name: string;
  readonly doc?: string;
  readonly high: number;
  readonly low: number;
  /** The enum its values belong to. */
  readonly enum?: string;
  readonly reserved?: "check" | "ignore";
  readonly repr: "number" | "bigint";
}

interface DeclJsonBase {
  readonly name: string;
  /** The schema file (without `.yaml`) that declared it. */
  readonly module: string;
  readonly doc: string;
}

/** A named declaration. */
export type DeclJson =
  | (DeclJsonBase & { readonly kind: "struct"; readonly size?: number; readonly fields: readonly FieldJson[] })
  | (DeclJsonBase & { readonly kind: "enum"; readonly base: ScalarName; readonly values: readonly { readonly name: string; readonly value: IntJson; readonly doc?: string }[]; readonly closed?: true })
  | (DeclJsonBase & { readonly kind: "flags"; readonly base: ScalarName; readonly bits: readonly { readonly name: string; readonly bit: number; readonly doc?: string }[] })
  | (DeclJsonBase & { readonly kind: "bits"; readonly base: ScalarName; readonly fields: readonly BitFieldJson[] });

/** A condition on the image header: the enum field holds one of the named values. */
export interface ConditionJson {
  readonly field: string;
  readonly values: readonly string[];
}

/** A section body: a struct, an array of fixed-size entries, or nothing. */
export type BodyJson =
  | { readonly kind: "struct"; readonly struct: string }
  | { readonly kind: "entries"; readonly struct: string; readonly entrySize: number }
  | { readonly kind: "empty" };

/** A section type. */
export interface SectionJson {
  readonly name: string;
  readonly module: string;
  readonly doc: string;
  readonly id: number;
  readonly optional: boolean;
  readonly align: number;
  readonly since: number;
  readonly variants: readonly { readonly when: readonly ConditionJson[]; readonly doc?: string; readonly body: BodyJson }[];
}

/** An image-type rule. */
export interface RuleJson {
  readonly name: string;
  readonly module: string;
  readonly doc: string;
  readonly when: readonly ConditionJson[];
  readonly sections: readonly { readonly section: string; readonly presence: "required" | "optional" | "repeatable" | "required_repeatable" | "forbidden" }[];
  readonly order: readonly (readonly string[])[];
  readonly phases?: { readonly marker: string; readonly sections: readonly string[] };
}

/** The whole serialized model. */
export interface SchemaJson {
  readonly version: typeof SCHEMA_JSON_VERSION;
  readonly modules: readonly { readonly name: string; readonly file: string; readonly doc: string; readonly imports: readonly string[] }[];
  /** Every declaration, the structs inlined in sections included, in schema order. */
  readonly types: readonly DeclJson[];
  /** The image container, when the schemas describe one (another format's types have none). */
  readonly container?: {
    readonly doc: string;
    readonly version: number;
    /** The first format version whose table entries carry entry_crc. */
    readonly entryCrcSince: number;
    readonly module: string;
    readonly header: string;
    readonly entry: string;
    readonly end: string;
  };
  /** Sections by ascending id. */
  readonly sections: readonly SectionJson[];
  readonly rules: readonly RuleJson[];
}
