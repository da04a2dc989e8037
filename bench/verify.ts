/**
 * Agreement checks, run once before anything is timed (and by test/bench/agreement.test.ts): every
 * implementation must decode every field to what the generated decoder gives, and every encoder must
 * produce the generated encoder's bytes. A benchmark of a decoder that skips a field would be a lie.
 */

/** How u64 values are compared: exactly (bigint) or as the nearest number (number mode). */
export type Mode = "bigint" | "number";

/**
 * A JSON-able canonical form: bigints as decimal strings (or, in number mode, as the nearest number;
 * and a boolean as its bit),
 * byte runs as hex, object keys sorted, and the peers' bookkeeping properties (Kaitai's `_io`,
 * `_parent`, `_root`, `_unnamedN`; restructure's hidden ones are not enumerable) left out.
 */
export function canonical(value: unknown, mode: Mode): unknown {
  if (typeof value === "bigint") return mode === "number" ? Number(value) : `${value}n`;
  // Kaitai reads a 1-bit field (b1) as a boolean; in number mode it stands for its bit, 0 or 1.
  if (typeof value === "boolean" && mode === "number") return value ? 1 : 0;
  if (ArrayBuffer.isView(value)) return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString("hex");
  if (Array.isArray(value)) return value.map((v) => canonical(v, mode));
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      if (key.startsWith("_") || key.startsWith("$")) continue;
      out[key] = canonical((value as Record<string, unknown>)[key], mode);
    }
    return out;
  }
  return value;
}

/** The path of the first place where two canonical values differ, or undefined when they are equal. */
export function firstDifference(actual: unknown, expected: unknown, path = ""): string | undefined {
  if (Object.is(actual, expected)) return undefined;
  if (Array.isArray(actual) && Array.isArray(expected)) {
    if (actual.length !== expected.length) return `${path} (length ${actual.length}, expected ${expected.length})`;
    for (let i = 0; i < actual.length; i++) {
      const d = firstDifference(actual[i], expected[i], `${path}[${i}]`);
      if (d !== undefined) return d;
    }
    return undefined;
  }
  if (actual !== null && expected !== null && typeof actual === "object" && typeof expected === "object" && !Array.isArray(actual) && !Array.isArray(expected)) {
    const a = actual as Record<string, unknown>;
    const e = expected as Record<string, unknown>;
    const keys = new Set([...Object.keys(a), ...Object.keys(e)]);
    for (const key of keys) {
      if (!(key in a)) return `${path}.${key} (missing)`;
      if (!(key in e)) return `${path}.${key} (unexpected)`;
      const d = firstDifference(a[key], e[key], `${path}.${key}`);
      if (d !== undefined) return d;
    }
    return undefined;
  }
  return `${path || "(root)"}: ${JSON.stringify(actual)?.slice(0, 80)} ≠ ${JSON.stringify(expected)?.slice(0, 80)}`;
}

/** Throws unless `actual` equals `expected` field by field (in `mode`). */
export function assertSameValues(label: string, actual: unknown, expected: unknown, mode: Mode): void {
  const d = firstDifference(canonical(actual, mode), canonical(expected, mode));
  if (d !== undefined) throw new Error(`${label} disagrees with the generated decoder at ${d}`);
}

/** Throws unless two byte arrays are identical. */
export function assertSameBytes(label: string, actual: Uint8Array, expected: Uint8Array): void {
  if (actual.length !== expected.length) throw new Error(`${label} wrote ${actual.length} bytes, the generated encoder ${expected.length}`);
  for (let i = 0; i < actual.length; i++) {
    if (actual[i] !== expected[i]) throw new Error(`${label} differs from the generated encoder at byte 0x${i.toString(16)}`);
  }
}
