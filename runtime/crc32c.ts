/**
 * CRC32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum of every section body and of the
 * header. Two kernels, chosen once at load:
 * - native: `@node-rs/crc32` (SSE4.2/ARMv8 CRC instructions, prebuilt for Linux, macOS and Windows on x64
 *   and arm64), an optional dependency, loaded through `#crc32c-native` (package.json "imports"), which
 *   browsers resolve to a stub; ≈ 10 GB/s on the benchmark machine;
 * - JavaScript: slicing-by-16 over one flat table of 16 × 256 entries, reading the input as 32-bit words
 *   on little-endian hosts (≈ 1.1–1.9 GB/s), for browsers, for platforms where the package does not load,
 *   and when `XENIMAGE_CRC=js` forces it.
 * `bench/crc32c.ts` measures the variants.
 */
import { nativeCrc32c } from "#crc32c-native";

const POLY = 0x82f63b78;
const SLICES = 16;

/**
 * Table `t` (entries `t*256 … t*256+255`) advances the CRC of one byte by `t` further zero bytes. One
 * flat Int32Array rather than sixteen: V8 then keeps a single bounds-checked base in a register, which
 * measured ~1.5× faster than separate tables.
 */
const T: Int32Array = (() => {
  const t = new Int32Array(SLICES * 256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1;
    t[n] = c;
  }
  for (let n = 0; n < 256; n++) {
    let c = t[n]!;
    for (let s = 1; s < SLICES; s++) {
      c = t[c & 0xff]! ^ (c >>> 8);
      t[s * 256 + n] = c;
    }
  }
  return t;
})();

/** Word reads give the bytes in memory order only on a little-endian host. */
const LITTLE_ENDIAN_HOST = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;
/** Below this, setting up a word view costs more than it saves. */
const WORDS_THRESHOLD = 64;

/**
 * The portable JavaScript kernel, whatever {@link crc32c} uses: same contract. Exported so tests and
 * benchmarks can compare both kernels in one process.
 */
export function crc32cJs(bytes: Uint8Array, crc = 0): number {
  if (LITTLE_ENDIAN_HOST && bytes.length >= WORDS_THRESHOLD) return crc32cWords(bytes, crc);
  return crc32cPortable(bytes, crc);
}

/** Which kernel {@link crc32c} runs in this process, and why. */
export interface Crc32cKernelInfo {
  /** `native` (the optional package loaded) or `js`. */
  readonly kernel: "native" | "js";
  /** The native package and version (`@node-rs/crc32@1.10.8`), when native. */
  readonly package?: string;
  /** Why the JavaScript kernel runs (`XENIMAGE_CRC=js`, the package did not load, not Node), when js. */
  readonly reason?: string;
}

/** The kernel chosen at load: reported by `xenimage --version --json` and the benchmarks. */
export const crc32cKernel: Crc32cKernelInfo =
  nativeCrc32c.kernel !== undefined ? { kernel: "native", package: nativeCrc32c.name } : { kernel: "js", reason: nativeCrc32c.reason };

/**
 * Below this many bytes the JavaScript kernel is faster than a call into native code (≈ 100 ns each on
 * the benchmark machine: they break even near 200 bytes), so headers, table entries and small bodies stay
 * in JavaScript.
 */
const NATIVE_THRESHOLD = 256;

/**
 * Continues a CRC32C over `bytes`. Start with `crc32c(bytes)`; to checksum data that arrives in pieces,
 * pass the previous result as `crc`: `crc32c(b, crc32c(a))` equals `crc32c(a ++ b)`. Runs the native
 * kernel where it loaded (see {@link crc32cKernel}), else JavaScript; both give the same results.
 */
export const crc32c: (bytes: Uint8Array, crc?: number) => number = (() => {
  const native = nativeCrc32c.kernel;
  if (native === undefined) return crc32cJs;
  return (bytes: Uint8Array, crc = 0) => (bytes.length < NATIVE_THRESHOLD ? crc32cJs(bytes, crc) : native(bytes, crc));
})();

/** Slicing-by-16 through an Int32Array view of the 4-byte-aligned middle of `bytes` (little-endian hosts). */
function crc32cWords(bytes: Uint8Array, crc: number): number {
  let c = ~crc;
  const n = bytes.length;
  let i = 0;
  // Bytes up to the first 4-byte boundary of the underlying buffer, so the word view is legal.
  while (((bytes.byteOffset + i) & 3) !== 0) c = T[(c ^ bytes[i++]!) & 0xff]! ^ (c >>> 8);
  const blocks = (n - i) >>> 4;
  const w = new Int32Array(bytes.buffer, bytes.byteOffset + i, blocks * 4);
  for (let k = 0; k < w.length; k += 4) {
    const a = w[k]! ^ c;
    const b = w[k + 1]!;
    const d = w[k + 2]!;
    const e = w[k + 3]!;
    c =
      T[3840 + (a & 0xff)]! ^
      T[3584 + ((a >>> 8) & 0xff)]! ^
      T[3328 + ((a >>> 16) & 0xff)]! ^
      T[3072 + (a >>> 24)]! ^
      T[2816 + (b & 0xff)]! ^
      T[2560 + ((b >>> 8) & 0xff)]! ^
      T[2304 + ((b >>> 16) & 0xff)]! ^
      T[2048 + (b >>> 24)]! ^
      T[1792 + (d & 0xff)]! ^
      T[1536 + ((d >>> 8) & 0xff)]! ^
      T[1280 + ((d >>> 16) & 0xff)]! ^
      T[1024 + (d >>> 24)]! ^
      T[768 + (e & 0xff)]! ^
      T[512 + ((e >>> 8) & 0xff)]! ^
      T[256 + ((e >>> 16) & 0xff)]! ^
      T[e >>> 24]!;
  }
  i += blocks * 16;
  while (i < n) c = T[(c ^ bytes[i++]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

/**
 * Slicing-by-16 reading one byte at a time: any host byte order, any alignment. Exported for tests, so
 * the path big-endian hosts take is checked on little-endian ones too.
 * @internal
 */
export function crc32cPortable(bytes: Uint8Array, crc = 0): number {
  let c = ~crc;
  const n = bytes.length;
  let i = 0;
  const end16 = n - (n % 16);
  while (i < end16) {
    const a = (bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24)) ^ c;
    c =
      T[3840 + (a & 0xff)]! ^
      T[3584 + ((a >>> 8) & 0xff)]! ^
      T[3328 + ((a >>> 16) & 0xff)]! ^
      T[3072 + (a >>> 24)]! ^
      T[2816 + bytes[i + 4]!]! ^
      T[2560 + bytes[i + 5]!]! ^
      T[2304 + bytes[i + 6]!]! ^
      T[2048 + bytes[i + 7]!]! ^
      T[1792 + bytes[i + 8]!]! ^
      T[1536 + bytes[i + 9]!]! ^
      T[1280 + bytes[i + 10]!]! ^
      T[1024 + bytes[i + 11]!]! ^
      T[768 + bytes[i + 12]!]! ^
      T[512 + bytes[i + 13]!]! ^
      T[256 + bytes[i + 14]!]! ^
      T[bytes[i + 15]!]!;
    i += 16;
  }
  while (i < n) c = T[(c ^ bytes[i++]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}
