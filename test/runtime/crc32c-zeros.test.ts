import { describe, expect, it } from "vitest";
import { crc32c } from "../../runtime/crc32c.js";
import { crc32cZeros } from "../../runtime/crc32c-zeros.js";
import { prng } from "./prng.js";

describe("CRC32C of zero runs without the bytes", () => {
  it("equals crc32c over that many zeros, from any starting CRC", () => {
    const rand = prng(9);
    const lengths = [0, 1, 2, 3, 4, 7, 8, 15, 16, 17, 63, 64, 65, 255, 4096, 4097, 65_536, 1 << 20, 3 * (1 << 20) + 5];
    for (const length of lengths) {
      for (const start of [0, 0xffffffff, Math.floor(rand() * 0x1_0000_0000)]) {
        expect(crc32cZeros(length, start), `${length} zeros after ${start.toString(16)}`).toBe(crc32c(new Uint8Array(length), start));
      }
    }
  });

  it("continues a CRC past 4 GiB of zeros as two shorter runs do", () => {
    const prefix = crc32c(new TextEncoder().encode("page_data header"));
    const a = 5 * 2 ** 30 + 12_345;
    const b = 3 * 2 ** 31 + 7;
    expect(crc32cZeros(a + b, prefix)).toBe(crc32cZeros(b, crc32cZeros(a, prefix)));
    expect(crc32cZeros(2 ** 33, prefix)).not.toBe(crc32cZeros(2 ** 33 + 1, prefix));
  });

  it("refuses a length that is not a non-negative integer", () => {
    for (const bad of [-1, 1.5, Number.NaN, 2 ** 53]) expect(() => crc32cZeros(bad)).toThrow(RangeError);
  });
});
