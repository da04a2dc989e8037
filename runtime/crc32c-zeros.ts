/**
 * The CRC32C of a run of zero bytes without reading them, for writers of sparse images: a body that
 * is mostly zero pages can be written with holes (`ImageWriter.writeRaw` with zero runs) and still
 * carry its exact CRC. Over zeros the CRC register is only multiplied by x^8 per byte, so n zeros
 * are one multiplication by x^(8n) mod P, and x^(8n) takes log2(n) squarings (as zlib's
 * `crc32_combine` does it).
 */

/** The reflected Castagnoli polynomial, as `crc32c.ts` uses it. */
const POLY = 0x82f63b78;

/** a·b mod P, both in the reflected representation (bit 31 is x^0). */
function multiplyModP(a: number, b: number): number {
  let product = 0;
  for (let m = 0x8000_0000; m !== 0; m >>>= 1) {
    if ((a & m) !== 0) product ^= b;
    b = b & 1 ? (b >>> 1) ^ POLY : b >>> 1;
  }
  return product >>> 0;
}

/** x^(2^k) mod P for k = 0…63: squaring the previous one. */
const X_POW_2K: Uint32Array = (() => {
  const table = new Uint32Array(64);
  let p = 0x4000_0000; // x^1
  for (let k = 0; k < 64; k++) {
    table[k] = p;
    p = multiplyModP(p, p);
  }
  return table;
})();

/** x^(8n) mod P: the factor that `n` zero bytes apply to the register. */
function xPow8n(n: number): number {
  let p = 0x8000_0000; // x^0
  // n's bits one at a time, without 32-bit bitwise operators (n may exceed 2^32).
  for (let k = 3; n > 0; k++) {
    if (n % 2 === 1) p = multiplyModP(X_POW_2K[k]!, p);
    n = Math.floor(n / 2);
  }
  return p;
}

/**
 * Continues a CRC32C over `length` zero bytes: equal to `crc32c(new Uint8Array(length), crc)`, in
 * O(log length) without allocating them. `crc32cZeros(n, crc32c(prefix))` is the CRC of `prefix`
 * followed by n zeros.
 */
export function crc32cZeros(length: number, crc = 0): number {
  if (!Number.isSafeInteger(length) || length < 0) throw new RangeError(`a zero run of ${length} bytes`);
  return ~multiplyModP(xPow8n(length), ~crc >>> 0) >>> 0;
}
