/**
 * The meta-schema: a JSON Schema (draft 2020-12) for schema/*.yaml files. `ajv` enforces it before the
 * model is built, so every later stage can trust the shape of what it reads. It is also published with
 * the docs so editors (yaml-language-server) can complete and check keys as a maintainer types.
 */

const identifier = { type: "string", pattern: "^[a-z][a-z0-9_]*$" } as const;
const doc = { type: "string", minLength: 1 } as const;
const positiveInt = { type: "integer", minimum: 1 } as const;
/** Integers in YAML may be written as decimal or 0x-hex; the yaml library turns both into numbers. */
const integer = { type: "integer" } as const;
/** A u64 constant too large for a double is written as a quoted string ("0xffffffffffffffff"). */
const bigIntegerString = { type: "string", pattern: "^(0x[0-9a-fA-F]+|[0-9]+)$" } as const;

/** How many elements an array, byte run or string holds. */
const countSpec = {
  title: "a count: a number, an earlier field's name, `entries`, `rest`, or { count_of, where }",
  oneOf: [
    positiveInt,
    { type: "integer", const: 0 },
    {
      description:
        "The name of an earlier integer field of the same struct, or `entries` (the section's entry count), or `rest` (whatever is left of the enclosing section).",
      ...identifier,
    },
    {
      type: "object",
      description: "The number of elements of an earlier array whose bit field lies in a set of enum values.",
      additionalProperties: false,
      required: ["count_of", "where"],
      properties: {
        count_of: identifier,
        where: {
          type: "object",
          additionalProperties: false,
          required: ["field"],
          properties: {
            field: identifier,
            in: { type: "array", items: identifier, minItems: 1, description: "Count the elements whose bit field is one of these values." },
            not_in: {
              type: "array",
              items: identifier,
              minItems: 1,
              description: "Count the elements whose bit field is none of these values (values a later version adds are then counted too).",
            },
          },
          oneOf: [{ required: ["in"] }, { required: ["not_in"] }],
        },
      },
    },
  ],
} as const;

const constValue = {
  title: "a constant: an integer, a quoted big integer, or a list of bytes",
  oneOf: [integer, bigIntegerString, { type: "array", items: { type: "integer", minimum: 0, maximum: 255 } }],
} as const;

const field = {
  type: "object",
  additionalProperties: false,
  properties: {
    name: identifier,
    doc,
    units: { type: "string" },
    example: {},
    type: { type: "string", description: "A built-in type (u8…u64, i8…i64, f32, f64, uuid) or a declared type's name." },
    bytes: countSpec,
    string: countSpec,
    pad: positiveInt,
    align: positiveInt,
    count: countSpec,
    endian: { enum: ["little", "big"] },
    const: constValue,
    reserved: { enum: [true, "ignore"] },
    valid: {
      type: "object",
      additionalProperties: false,
      minProperties: 1,
      description:
        "The values a reader accepts for an integer field (a validity rule: a reader rejects others with the error code field-value, a writer refuses them).",
      properties: {
        min: { ...integer, description: "The smallest value allowed." },
        max: { ...integer, description: "The largest value allowed." },
        values: { type: "array", items: integer, minItems: 1, uniqueItems: true, description: "The only values allowed." },
        multiple_of: { ...positiveInt, description: "Values must be multiples of this." },
      },
    },
    repr: {
      enum: ["number", "bigint", "typed_array"],
      description:
        "number/bigint: how a 64-bit integer is held. typed_array: an integer or float array decodes to a typed array (u64 → BigUint64Array), a view of the input when byte order and alignment allow.",
    },
    encoding: { enum: ["ascii", "utf8"] },
    switch: { ...identifier, description: "An earlier integer or enum field whose value selects one of `cases`." },
    size: { ...identifier, description: "With switch: an earlier unsigned field holding the body's size in bytes." },
    cases: {
      type: "object",
      minProperties: 1,
      description: "Selector value (an enum value's name, or an integer) → a struct type, or `empty`.",
      additionalProperties: { type: "string" },
    },
    default: { enum: ["bytes", "error"], description: "With switch: what an unknown selector gets (bytes needs size)." },
  },
  oneOf: [
    { required: ["name", "type"] },
    { required: ["name", "bytes"] },
    { required: ["name", "string"] },
    { required: ["pad"] },
    { required: ["align"] },
    { required: ["name", "switch", "cases"] },
  ],
} as const;

const fields = { type: "array", items: field, minItems: 1 } as const;

const enumValue = {
  type: "object",
  additionalProperties: false,
  required: ["name", "value"],
  properties: { name: identifier, value: integer, doc },
} as const;

const flagValue = {
  type: "object",
  additionalProperties: false,
  required: ["name", "bit"],
  properties: { name: identifier, bit: { type: "integer", minimum: 0, maximum: 63 }, doc },
} as const;

const bitField = {
  type: "object",
  additionalProperties: false,
  required: ["name", "bits"],
  properties: {
    name: identifier,
    doc,
    bits: {
      description: "[high, low], inclusive, bit 0 the least significant.",
      type: "array",
      items: { type: "integer", minimum: 0, maximum: 63 },
      minItems: 2,
      maxItems: 2,
    },
    type: { type: "string" },
    reserved: { enum: [true, "ignore"] },
    repr: { enum: ["number", "bigint"] },
  },
} as const;

const intTypeName = { enum: ["u8", "u16", "u32", "u64", "i8", "i16", "i32", "i64"] } as const;

const typeDecl = {
  type: "object",
  additionalProperties: false,
  properties: {
    doc,
    size: { type: "integer", minimum: 0, description: "The expected fixed size in bytes, checked." },
    fields: { type: "array", minItems: 1 },
    enum: intTypeName,
    flags: intTypeName,
    bits: intTypeName,
    values: { type: "array", minItems: 1 },
    closed: {
      type: "boolean",
      description:
        "An enum whose unlisted values make an image invalid (readers reject them with the error code field-value); a later format version adds values to it only together with a new format_version. Enums are open by default: readers keep unlisted values.",
    },
  },
  required: ["doc"],
  // Which kind of declaration: exactly one kind key. The branches only test presence, so a failure
  // reads as "needs exactly one of …"; what each kind's keys must hold is checked by `allOf` below.
  oneOf: [
    { required: ["fields"], not: { anyOf: [{ required: ["enum"] }, { required: ["flags"] }, { required: ["bits"] }] } },
    { required: ["enum"] },
    { required: ["flags"] },
    { required: ["bits"] },
  ],
  allOf: [
    { if: { required: ["enum"] }, then: { required: ["values"], properties: { values: { items: enumValue } } } },
    { if: { required: ["closed"] }, then: { required: ["enum"] } },
    { if: { required: ["flags"] }, then: { required: ["values"], properties: { values: { items: flagValue } } } },
    { if: { required: ["bits"] }, then: { required: ["fields"], properties: { fields: { items: bitField } } } },
    { if: { not: { required: ["bits"] } }, then: { properties: { fields } } },
  ],
} as const;

/** Header conditions: `{ header_field: enum_value | [enum_values] }`. */
const when = {
  type: "object",
  minProperties: 1,
  propertyNames: identifier,
  additionalProperties: {
    title: "an enum value's name or a list of them",
    oneOf: [identifier, { type: "array", items: identifier, minItems: 1, uniqueItems: true }],
  },
} as const;

/** What a section body (or one variant of it) is. */
const bodyShape = {
  type: { type: "string", description: "A declared struct: the body is one of it." },
  fields,
  entries: { type: "string", description: "A declared fixed-size struct: the body is an array of it." },
  entry_size: { type: "integer", minimum: 1, description: "The entry size, checked against the struct." },
} as const;
const oneBody = {
  oneOf: [{ required: ["type"] }, { required: ["fields"] }, { required: ["entries", "entry_size"] }, { required: ["empty"] }],
} as const;

const section = {
  type: "object",
  additionalProperties: false,
  required: ["id", "doc"],
  properties: {
    id: { type: "integer", minimum: 0, maximum: 0x7fffffff },
    optional: { type: "boolean" },
    doc,
    align: { type: "integer", minimum: 1 },
    since: { type: "integer", minimum: 1 },
    empty: { const: true },
    ...bodyShape,
    variants: {
      type: "array",
      minItems: 1,
      items: {
        type: "object",
        additionalProperties: false,
        required: ["when"],
        properties: {
          when,
          doc,
          empty: { const: true },
          ...bodyShape,
        },
        ...oneBody,
      },
    },
  },
  oneOf: [...oneBody.oneOf, { required: ["variants"] }],
} as const;

const container = {
  type: "object",
  additionalProperties: false,
  required: ["header", "entry", "end", "version", "doc"],
  properties: {
    doc,
    header: { type: "string", description: "The struct that is the file header." },
    entry: { type: "string", description: "The struct that is one section table entry." },
    end: { type: "string", description: "The section that ends an image." },
    version: { type: "integer", minimum: 1, description: "The format version this schema describes." },
    entry_crc_since: {
      type: "integer",
      minimum: 1,
      description: "The first format version whose table entries carry entry_crc (default 1); in earlier versions the field is reserved and zero.",
    },
  },
} as const;

const rule = {
  type: "object",
  additionalProperties: false,
  required: ["doc", "when", "sections"],
  properties: {
    doc,
    when,
    sections: {
      type: "object",
      propertyNames: identifier,
      additionalProperties: { enum: ["required", "optional", "repeatable", "required_repeatable", "forbidden"] },
    },
    order: { type: "array", items: { oneOf: [identifier, { type: "array", items: identifier, minItems: 1 }] } },
    phases: {
      type: "object",
      additionalProperties: false,
      required: ["marker", "sections"],
      properties: { marker: identifier, sections: { type: "array", items: identifier, minItems: 1 } },
    },
  },
} as const;

/** The JSON Schema every file under schema/ must satisfy. */
export const metaSchema = {
  $schema: "https://json-schema.org/draft/2020-12/schema",
  $id: "https://xenimage.invalid/schema-language/v1.json",
  title: "xenimage schema file",
  type: "object",
  additionalProperties: false,
  required: ["doc"],
  properties: {
    doc,
    imports: { type: "array", items: identifier, uniqueItems: true },
    endian: { enum: ["little", "big"] },
    container,
    types: { type: "object", propertyNames: identifier, additionalProperties: typeDecl },
    sections: { type: "object", propertyNames: identifier, additionalProperties: section },
    rules: { type: "object", propertyNames: identifier, additionalProperties: rule },
  },
} as const;
