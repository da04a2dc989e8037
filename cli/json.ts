/**
 * JSON for machines: 64-bit integers become decimal strings (JSON numbers lose precision past 2^53)
 * and byte runs become lower-case hex strings.
 */
export function toJsonValue(value: unknown): unknown {
  if (typeof value === "bigint") return value.toString();
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString("hex");
  if (Array.isArray(value)) return value.map(toJsonValue);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toJsonValue(v)]));
  }
  return value;
}

/** Serialises with {@link toJsonValue}, indented. */
export function stringify(value: unknown): string {
  return JSON.stringify(toJsonValue(value), null, 2);
}
