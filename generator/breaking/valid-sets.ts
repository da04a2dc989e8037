import type { IntType, ValidValues } from "../model/model.js";

// `valid:` rules as sets of integers, compared exactly: does the new rule reject a value the old one
// accepted (tightened), or accept one it rejected (loosened)? Both can hold at once.

/** The set a rule allows within its type: a range and a step, or a finite list. */
interface ValueSet {
  readonly min: bigint;
  readonly max: bigint;
  readonly step: bigint;
  /** Present when the rule lists values: then the set is exactly these (already filtered). */
  readonly list?: readonly bigint[];
}

function typeRange(t: IntType): [bigint, bigint] {
  const bits = BigInt(t.size * 8);
  return t.signed ? [-(1n << (bits - 1n)), (1n << (bits - 1n)) - 1n] : [0n, (1n << bits) - 1n];
}

const floorDiv = (a: bigint, b: bigint) => (a >= 0n ? a / b : -((-a + b - 1n) / b));
const ceilDiv = (a: bigint, b: bigint) => -floorDiv(-a, b);

function accepts(s: ValueSet, v: bigint): boolean {
  if (s.list !== undefined) return s.list.includes(v);
  return v >= s.min && v <= s.max && v % s.step === 0n;
}

function toSet(valid: ValidValues | undefined, t: IntType): ValueSet {
  const [lo, hi] = typeRange(t);
  const min = valid?.min !== undefined && valid.min > lo ? valid.min : lo;
  const max = valid?.max !== undefined && valid.max < hi ? valid.max : hi;
  const step = valid?.multipleOf ?? 1n;
  const range: ValueSet = { min, max, step };
  return valid?.values === undefined ? range : { ...range, list: valid.values.filter((v) => accepts(range, v)) };
}

/** The elements of a range (first, last, how many), multiples of its step. */
function elements(s: ValueSet): { first: bigint; last: bigint; count: bigint } {
  const first = ceilDiv(s.min, s.step) * s.step;
  const last = floorDiv(s.max, s.step) * s.step;
  return { first, last, count: last < first ? 0n : (last - first) / s.step + 1n };
}

/** True when some value of `a` is not in `b`. */
function escapes(a: ValueSet, b: ValueSet): boolean {
  if (a.list !== undefined) return a.list.some((v) => !accepts(b, v));
  const { first, last, count } = elements(a);
  if (count === 0n) return false;
  if (b.list !== undefined) {
    if (count > BigInt(b.list.length)) return true;
    for (let v = first; v <= last; v += a.step) if (!b.list.includes(v)) return true;
    return false;
  }
  if (first < b.min || last > b.max) return true;
  // Two consecutive elements x and x + step are both multiples of b's step only if step is.
  return count === 1n ? first % b.step !== 0n : a.step % b.step !== 0n;
}

/** How the set of accepted values moved from `old` to `now` on an integer field of type `t`. */
export function validDelta(old: ValidValues | undefined, now: ValidValues | undefined, t: IntType): { tightened: boolean; loosened: boolean } {
  const a = toSet(old, t);
  const b = toSet(now, t);
  return { tightened: escapes(a, b), loosened: escapes(b, a) };
}

/** A rule in the schema's words, for messages. */
export function describeValid(v: ValidValues | undefined): string {
  if (v === undefined) return "any value";
  const parts = [
    ...(v.min === undefined ? [] : [`min ${v.min}`]),
    ...(v.max === undefined ? [] : [`max ${v.max}`]),
    ...(v.values === undefined ? [] : [`values [${v.values.join(", ")}]`]),
    ...(v.multipleOf === undefined ? [] : [`multiple of ${v.multipleOf}`]),
  ];
  return parts.join(", ");
}
