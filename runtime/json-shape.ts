import { XenImageError, type Location } from "./errors.js";
import { NUMERIC_ARRAYS, type NumericArrayType } from "./typed-arrays.js";

/**
 * The JSON form of decoded values, driven by shapes the generator emits for every struct: 64-bit
 * integers become decimal strings (JSON numbers lose precision past 2^53) and byte runs base64, and
 * the way back knows from the shape which strings are numbers and which are bytes, so `dump` then
 * `build` reproduces an image byte for byte.
 */
export type JsonShape =
  | "number"
  | "bigint"
  | "string"
  | "bytes"
  | "null"
  | { readonly kind: "array"; readonly of: JsonShape }
  /** A `repr: typed_array` field: in JSON a plain array (64-bit elements as decimal strings, as always). */
  | { readonly kind: "typed_array"; readonly of: NumericArrayType }
  | { readonly kind: "struct"; readonly fields: { readonly [name: string]: JsonShape } }
  | { readonly kind: "union"; readonly selector: "number" | "bigint"; readonly cases: { readonly [name: string]: JsonShape | null } }
  | { readonly kind: "lazy"; readonly get: () => JsonShape };

/** A JSON value that does not fit its shape, with the path to it. Its code is always `json`. */
export class JsonShapeError extends XenImageError {
  declare readonly code: "json";
  constructor(code: "json", reason: string, where: Location = {}, cause?: unknown) {
    super(code, reason, where, cause);
  }
}

function resolve(shape: JsonShape): JsonShape {
  return typeof shape === "object" && shape.kind === "lazy" ? resolve(shape.get()) : shape;
}

function base64(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

function fromBase64(text: string): Uint8Array | undefined {
  try {
    const s = atob(text);
    const out = new Uint8Array(s.length);
    for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
    return out;
  } catch {
    return undefined;
  }
}

/** Integer ranges of the element types, so a value that would wrap in a typed array is refused instead. */
const RANGES: { readonly [K in NumericArrayType]?: readonly [bigint, bigint] } = {
  u8: [0n, 0xffn],
  u16: [0n, 0xffffn],
  u32: [0n, 0xffff_ffffn],
  u64: [0n, 0xffff_ffff_ffff_ffffn],
  i8: [-0x80n, 0x7fn],
  i16: [-0x8000n, 0x7fffn],
  i32: [-0x8000_0000n, 0x7fff_ffffn],
  i64: [-0x8000_0000_0000_0000n, 0x7fff_ffff_ffff_ffffn],
};

/** A JSON array as the typed array of `type`, every element checked (typed arrays would wrap or round silently). */
function typedArrayFromJson(json: unknown[], type: NumericArrayType, join: (i: number) => string): ArrayLike<number | bigint> {
  const Typed = NUMERIC_ARRAYS[type];
  const out = new Typed(json.length) as { [i: number]: number | bigint; length: number };
  const range = RANGES[type];
  const big = type === "u64" || type === "i64";
  for (let i = 0; i < json.length; i++) {
    const v = json[i];
    const wrong = (what: string): never => {
      throw new JsonShapeError("json", `expected ${what}, found ${JSON.stringify(v) ?? typeof v}`, { path: join(i) });
    };
    if (range === undefined) {
      if (typeof v !== "number") wrong("a number");
      if (type === "f32" && Number.isFinite(v) && !Object.is(Math.fround(v as number), v)) wrong("a number exact in 32 bits");
      out[i] = v as number;
      continue;
    }
    const value = big ? (typeof v === "string" && /^-?\d+$/.test(v) ? BigInt(v) : wrong("a decimal string (a 64-bit integer)")) : Number.isInteger(v) ? BigInt(v as number) : wrong("an integer");
    if (value < range[0] || value > range[1]) wrong(`a ${type}`);
    out[i] = big ? value : Number(value);
  }
  return out;
}

/** A decoded value as JSON-safe data. */
export function toJson(value: unknown, shape: JsonShape): unknown {
  const s = resolve(shape);
  if (s === "bigint") return (value as bigint).toString();
  if (s === "bytes") return base64(value as Uint8Array);
  if (typeof s === "string") return value;
  switch (s.kind) {
    case "array":
      return (value as unknown[]).map((v) => toJson(v, s.of));
    case "typed_array":
      return Array.from(value as ArrayLike<number | bigint>, (v) => (typeof v === "bigint" ? v.toString() : v));
    case "struct": {
      const out: Record<string, unknown> = {};
      for (const [name, fieldShape] of Object.entries(s.fields)) out[name] = toJson((value as Record<string, unknown>)[name], fieldShape);
      return out;
    }
    case "union": {
      const v = value as { type: string; value?: unknown; selector?: number | bigint; bytes?: Uint8Array };
      if (v.type === "unknown") return { type: "unknown", selector: toJson(v.selector, s.selector), bytes: base64(v.bytes!) };
      const caseShape = s.cases[v.type];
      return caseShape === null || caseShape === undefined ? { type: v.type } : { type: v.type, value: toJson(v.value, caseShape) };
    }
    default:
      return value;
  }
}

/** JSON data back to a value the encoders take; anything that does not fit is a {@link JsonShapeError} naming its path. */
export function fromJson(json: unknown, shape: JsonShape, path = ""): unknown {
  const s = resolve(shape);
  const fail = (what: string): never => {
    throw new JsonShapeError("json", `expected ${what}, found ${json === null ? "null" : Array.isArray(json) ? "an array" : typeof json}`, { path });
  };
  switch (s) {
    case "number":
      return typeof json === "number" ? json : fail("a number");
    case "bigint":
      return typeof json === "string" && /^-?\d+$/.test(json) ? BigInt(json) : fail("a decimal string (a 64-bit integer)");
    case "string":
      return typeof json === "string" ? json : fail("a string");
    case "null":
      return json === null ? null : fail("null");
    case "bytes": {
      const bytes = typeof json === "string" ? fromBase64(json) : undefined;
      return bytes ?? fail("a base64 string");
    }
  }
  const join = (name: string | number) => (typeof name === "number" ? `${path}[${name}]` : path === "" ? name : `${path}.${name}`);
  switch (s.kind) {
    case "array":
      return Array.isArray(json) ? json.map((v, i) => fromJson(v, s.of, join(i))) : fail("an array");
    case "typed_array":
      return Array.isArray(json) ? typedArrayFromJson(json, s.of, join) : fail("an array");
    case "struct": {
      if (json === null || typeof json !== "object" || Array.isArray(json)) return fail("an object");
      const out: Record<string, unknown> = {};
      for (const [name, fieldShape] of Object.entries(s.fields)) out[name] = fromJson((json as Record<string, unknown>)[name], fieldShape, join(name));
      return out;
    }
    case "union": {
      if (json === null || typeof json !== "object") return fail("an object with a type");
      const v = json as { type?: unknown; value?: unknown; selector?: unknown; bytes?: unknown };
      if (v.type === "unknown") return { type: "unknown", selector: fromJson(v.selector, s.selector, join("selector")), bytes: fromJson(v.bytes, "bytes", join("bytes")) };
      if (typeof v.type !== "string" || !(v.type in s.cases)) return fail(`a type of ${Object.keys(s.cases).join(", ")} or unknown`);
      const caseShape = s.cases[v.type];
      return caseShape === null || caseShape === undefined ? { type: v.type } : { type: v.type, value: fromJson(v.value, caseShape, join("value")) };
    }
  }
  return fail("a known shape");
}
