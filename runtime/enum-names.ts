/**
 * The schema name of each value of a generated enum (`PageTypeNames` from `PageType`): the inverse of
 * its table of named values, built once when the module loads. Where two names share a value, the
 * later one is the value's name.
 */
export function enumNames<V extends number | bigint>(values: { readonly [name: string]: V }): ReadonlyMap<V, string> {
  return new Map(Object.entries(values).map(([name, value]) => [value, name]));
}
