import { describe, expect, it } from "vitest";
import { crc32c, crc32cPortable } from "../../runtime/crc32c.js";
import { prng, randomBytes } from "./prng.js";

/** One bit at a time: the definition, independent of any table. */
function reference(bytes: Uint8Array, crc = 0): number {
  let c = ~crc >>> 0;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
  }
  return ~c >>> 0;
}

describe("crc32c: the word path and the portable (big-endian host) path", () => {
  const rand = prng(99);
  const data = randomBytes(rand, 5000);

  it("agree with the bitwise definition at every alignment and many lengths", () => {
    for (let start = 0; start < 8; start++) {
      for (const length of [0, 1, 15, 16, 17, 63, 64, 65, 100, 255, 1000, 4096]) {
        const view = data.subarray(start, start + length);
        const expected = reference(view);
        expect(crc32c(view), `start ${start}, length ${length}`).toBe(expected);
        expect(crc32cPortable(view), `start ${start}, length ${length}`).toBe(expected);
      }
    }
  });

  it("continue a running CRC the same way", () => {
    const first = reference(data.subarray(0, 77));
    expect(crc32c(data.subarray(77, 3000), first)).toBe(reference(data.subarray(0, 3000)));
    expect(crc32cPortable(data.subarray(77, 3000), first)).toBe(reference(data.subarray(0, 3000)));
  });

  it("read views of a larger buffer, not the buffer around them", () => {
    const buffer = new Uint8Array(4096 + 3).fill(0xff);
    buffer.set(data.subarray(0, 4096), 3);
    expect(crc32c(buffer.subarray(3))).toBe(reference(data.subarray(0, 4096)));
  });
});
