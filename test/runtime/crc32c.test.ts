import { describe, expect, it } from "vitest";
import { crc32c } from "../../runtime/crc32c.js";
import { prng, randomBytes } from "./prng.js";

/** Reference CRC32C: one bit at a time, reflected polynomial 0x82F63B78, init and final XOR 0xFFFFFFFF. */
function crc32cRef(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) {
    c ^= bytes[i]!;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}

const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);

describe("crc32c known values", () => {
  it("gives the standard check value 0xE3069283 for ASCII 123456789", () => {
    expect(crc32c(ascii("123456789"))).toBe(0xe3069283);
  });

  it("gives 0 for empty input", () => {
    expect(crc32c(new Uint8Array(0))).toBe(0);
  });

  it("gives 0 for empty input when continuing from 0 explicitly", () => {
    expect(crc32c(new Uint8Array(0), 0)).toBe(0);
  });

  it("leaves a running CRC unchanged over empty input", () => {
    expect(crc32c(new Uint8Array(0), 0xe3069283)).toBe(0xe3069283);
  });

  it("matches RFC 3720 (iSCSI) test vectors", () => {
    // RFC 3720 B.4: 32 bytes of zeros, of 0xff, ascending, descending.
    expect(crc32c(new Uint8Array(32))).toBe(0x8a9136aa);
    expect(crc32c(new Uint8Array(32).fill(0xff))).toBe(0x62a8ab43);
    expect(crc32c(Uint8Array.from({ length: 32 }, (_, i) => i))).toBe(0x46dd794e);
    expect(crc32c(Uint8Array.from({ length: 32 }, (_, i) => 31 - i))).toBe(0x113fdb5c);
  });

  it("returns an unsigned 32-bit number", () => {
    const rand = prng(7);
    for (let n = 0; n < 50; n++) {
      const v = crc32c(randomBytes(rand, n));
      expect(Number.isInteger(v)).toBe(true);
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThanOrEqual(0xffffffff);
    }
  });
});

describe("crc32c incremental use", () => {
  it("crc32c(b, crc32c(a)) equals crc32c(a ++ b) at random split points", () => {
    const rand = prng(1);
    for (const len of [1, 7, 8, 9, 31, 64, 100, 1000, 4099]) {
      const data = randomBytes(rand, len);
      const whole = crc32c(data);
      const splits = new Set([0, len, ...Array.from({ length: 6 }, () => Math.floor(rand() * (len + 1)))]);
      for (const k of splits) {
        const a = data.subarray(0, k);
        const b = data.subarray(k);
        expect(crc32c(b, crc32c(a)), `len ${len} split ${k}`).toBe(whole);
      }
    }
  });

  it("composes over many pieces", () => {
    const rand = prng(2);
    const data = randomBytes(rand, 5000);
    let crc = 0;
    let at = 0;
    while (at < data.length) {
      const n = Math.min(data.length - at, 1 + Math.floor(rand() * 37));
      crc = crc32c(data.subarray(at, at + n), crc);
      at += n;
    }
    expect(crc).toBe(crc32c(data));
    expect(crc).toBe(crc32cRef(data));
  });

  it("splits 123456789 into its check value", () => {
    expect(crc32c(ascii("6789"), crc32c(ascii("12345")))).toBe(0xe3069283);
  });
});

describe("crc32c against a bit-by-bit reference", () => {
  it("agrees with the reference on its own check value", () => {
    expect(crc32cRef(ascii("123456789"))).toBe(0xe3069283);
  });

  it("agrees on random buffers of every length 0..100", () => {
    const rand = prng(3);
    for (let n = 0; n <= 100; n++) {
      const data = randomBytes(rand, n);
      expect(crc32c(data), `length ${n}`).toBe(crc32cRef(data));
    }
  });

  it("agrees on buffers of 0xff and 0x00 (sign-bit handling in the 8-byte loop)", () => {
    for (const n of [4, 8, 15, 16, 17, 64]) {
      const ff = new Uint8Array(n).fill(0xff);
      const zz = new Uint8Array(n);
      expect(crc32c(ff)).toBe(crc32cRef(ff));
      expect(crc32c(zz)).toBe(crc32cRef(zz));
    }
  });

  it("agrees on large buffers, including lengths not divisible by 8", () => {
    const rand = prng(4);
    for (const n of [1 << 20, (1 << 20) + 5, 65537, 99999]) {
      const data = randomBytes(rand, n);
      expect(crc32c(data), `length ${n}`).toBe(crc32cRef(data));
    }
  });

  it("agrees on subarray views with a non-zero byteOffset", () => {
    const rand = prng(5);
    const backing = randomBytes(rand, 4096);
    for (let k = 0; k < 60; k++) {
      const start = 1 + Math.floor(rand() * 2000);
      const len = Math.floor(rand() * 1000);
      const view = backing.subarray(start, start + len);
      expect(view.byteOffset).toBe(start);
      const copy = Uint8Array.from(view);
      expect(crc32c(view), `offset ${start} length ${len}`).toBe(crc32cRef(copy));
      expect(crc32c(view)).toBe(crc32c(copy));
    }
  });

  it("agrees on a large view into the middle of a buffer", () => {
    const rand = prng(6);
    const backing = randomBytes(rand, (1 << 20) + 100);
    const view = backing.subarray(3, 3 + (1 << 20) + 7);
    expect(crc32c(view)).toBe(crc32cRef(view));
  });

  it("detects a single flipped bit", () => {
    const rand = prng(8);
    const data = randomBytes(rand, 256);
    const before = crc32c(data);
    data[100]! ^= 0x10;
    expect(crc32c(data)).not.toBe(before);
    expect(crc32c(data)).toBe(crc32cRef(data));
  });
});
