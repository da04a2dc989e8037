import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { validDelta } from "../../generator/breaking/valid-sets.js";
import type { IntType, ValidValues } from "../../generator/model/model.js";

const U8: IntType = { kind: "int", name: "u8", size: 1, signed: false };
const I8: IntType = { kind: "int", name: "i8", size: 1, signed: true };

/** The values a rule accepts, by trying every value of the type. */
function accepted(v: ValidValues | undefined, t: IntType): Set<bigint> {
  const out = new Set<bigint>();
  for (let x = t.signed ? -128n : 0n; x <= (t.signed ? 127n : 255n); x++) {
    if (v?.min !== undefined && x < v.min) continue;
    if (v?.max !== undefined && x > v.max) continue;
    if (v?.values !== undefined && !v.values.includes(x)) continue;
    if (v?.multipleOf !== undefined && x % v.multipleOf !== 0n) continue;
    out.add(x);
  }
  return out;
}

const rule = (signed: boolean): fc.Arbitrary<ValidValues | undefined> => {
  const value = fc.integer({ min: signed ? -128 : 0, max: signed ? 127 : 255 }).map(BigInt);
  return fc.option(
    fc.record({ min: fc.option(value, { nil: undefined }), max: fc.option(value, { nil: undefined }), values: fc.option(fc.array(value, { maxLength: 6 }), { nil: undefined }), multipleOf: fc.option(fc.integer({ min: 1, max: 40 }).map(BigInt), { nil: undefined }) }, { requiredKeys: [] }),
    { nil: undefined },
  );
};

describe("valid: rules compared as sets", () => {
  it("examples: a higher minimum tightens, an added value loosens, a coarser step tightens", () => {
    expect(validDelta({ min: 1n }, { min: 2n }, U8)).toEqual({ tightened: true, loosened: false });
    expect(validDelta({ values: [12n] }, { values: [12n, 13n] }, U8)).toEqual({ tightened: false, loosened: true });
    expect(validDelta({ multipleOf: 2n }, { multipleOf: 4n }, U8)).toEqual({ tightened: true, loosened: false });
    expect(validDelta({ min: 0n, max: 10n }, { values: [0n, 1n, 2n, 3n, 4n, 5n, 6n, 7n, 8n, 9n, 10n] }, U8)).toEqual({ tightened: false, loosened: false });
    expect(validDelta(undefined, { min: 0n }, U8)).toEqual({ tightened: false, loosened: false });
    expect(validDelta({ max: 10n }, { min: 5n }, U8)).toEqual({ tightened: true, loosened: true });
  });

  for (const t of [U8, I8]) {
    it(`agree with trying every ${t.name} value`, () => {
      fc.assert(
        fc.property(rule(t.signed), rule(t.signed), (a, b) => {
          const before = accepted(a, t);
          const after = accepted(b, t);
          expect(validDelta(a, b, t)).toEqual({ tightened: [...before].some((x) => !after.has(x)), loosened: [...after].some((x) => !before.has(x)) });
        }),
        { numRuns: 2000 },
      );
    });
  }
});
