/** Copies the keys whose values are defined, in the order given (JSON output stays deterministic). */
export function compact(entries: readonly (readonly [string, unknown])[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of entries) if (v !== undefined && v !== false) out[k] = v;
  return out;
}
