/**
 * CRC32C variants on this machine (not a test): the native kernel (`@node-rs/crc32`, the optional
 * dependency, when it loads), the slicing-by-8 the runtime had before, the JavaScript slicing-by-16
 * it falls back to (word reads, and the byte-wise path big-endian hosts take), and a WebAssembly
 * slicing-by-16 kernel assembled here (the input copied into its memory 1 MiB at a time, as a runtime
 * would have to). Rounds alternate the variants, so a busy machine slows all alike; medians are
 * reported. Then the native and JavaScript kernels over one 256 MiB buffer (the figure).
 *
 *     npx tsx bench/crc32c.ts
 */
import { createRequire } from "node:module";
import { loadavg } from "node:os";
import { crc32c, crc32cJs, crc32cKernel, crc32cPortable } from "../runtime/crc32c.js";
import { selectNativeCrc32c } from "../runtime/native/crc32c.node.js";

const POLY = 0x82f63b78;
const MIB = 1024 * 1024;

/** The previous runtime implementation: byte-wise slicing-by-8 over eight Uint32Array tables. */
const OLD = (() => {
  const tables = Array.from({ length: 8 }, () => new Uint32Array(256));
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1;
    tables[0]![n] = c >>> 0;
  }
  for (let n = 0; n < 256; n++) {
    let c = tables[0]![n]!;
    for (let t = 1; t < 8; t++) {
      c = tables[0]![c & 0xff]! ^ (c >>> 8);
      tables[t]![n] = c >>> 0;
    }
  }
  return tables as [Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array];
})();

function slicingBy8(bytes: Uint8Array, crc = 0): number {
  const [T0, T1, T2, T3, T4, T5, T6, T7] = OLD;
  let c = ~crc >>> 0;
  let i = 0;
  const n = bytes.length;
  const end8 = n - (n % 8);
  while (i < end8) {
    const a = (bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24)) ^ c;
    c = T7[a & 0xff]! ^ T6[(a >>> 8) & 0xff]! ^ T5[(a >>> 16) & 0xff]! ^ T4[a >>> 24]! ^ T3[bytes[i + 4]!]! ^ T2[bytes[i + 5]!]! ^ T1[bytes[i + 6]!]! ^ T0[bytes[i + 7]!]!;
    i += 8;
  }
  while (i < n) c = T0[(c ^ bytes[i++]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

/** A WebAssembly module with `crc(ptr, len, crc) → crc`: slicing-by-16 over tables at address 0. */
function wasmModule(): Uint8Array<ArrayBuffer> {
  const uleb = (n: number) => {
    const out: number[] = [];
    do {
      let b = n & 0x7f;
      n >>>= 7;
      if (n) b |= 0x80;
      out.push(b);
    } while (n);
    return out;
  };
  const sleb = (n: number) => {
    const out: number[] = [];
    for (;;) {
      const b = n & 0x7f;
      n >>= 7;
      if ((n === 0 && !(b & 0x40)) || (n === -1 && b & 0x40)) return [...out, b];
      out.push(b | 0x80);
    }
  };
  const vec = (items: number[][]) => [...uleb(items.length), ...items.flat()];
  const section = (id: number, bytes: number[]) => [id, ...uleb(bytes.length), ...bytes];
  const I32 = 0x7f;
  const [GET, SET, XOR, AND, ADD, SHL, SHR, GE, BR_IF, BR, END] = [0x20, 0x21, 0x73, 0x71, 0x6a, 0x74, 0x76, 0x4f, 0x0d, 0x0c, 0x0b];
  const load = (off: number) => [0x28, 2, ...uleb(off)];
  const load8 = [0x2d, 0, 0];
  const k = (v: number) => [0x41, ...sleb(v)];
  const BLOCK = [0x02, 0x40, 0x03, 0x40];
  // Locals: 0 p, 1 n, 2 c (params); 3 end; 4…7 the words.
  const b: number[] = [];
  const e = (...xs: (number | number[])[]) => xs.forEach((x) => (Array.isArray(x) ? b.push(...x) : b.push(x)));
  e(GET, 2, k(-1), XOR, SET, 2);
  e(GET, 0, GET, 1, k(-16), AND, ADD, SET, 3);
  e(BLOCK, GET, 0, GET, 3, GE, BR_IF, 1);
  for (let w = 0; w < 4; w++) {
    e(GET, 0, load(w * 4));
    if (w === 0) e(GET, 2, XOR);
    e(SET, 4 + w);
  }
  for (let w = 0; w < 4; w++) {
    for (let j = 0; j < 4; j++) {
      // ((word >>> 8j) & 0xff) * 4, the byte's offset in its table, in two operations.
      e(GET, 4 + w, ...(j === 0 ? [k(2), SHL] : [k(8 * j - 2), SHR]), k(0x3fc), AND, load(((4 - w) * 4 - 1 - j) * 1024));
      if (w + j > 0) e(XOR);
    }
  }
  e(SET, 2, GET, 0, k(16), ADD, SET, 0, BR, 0, END, END);
  e(GET, 3, GET, 1, k(15), AND, ADD, SET, 3);
  e(BLOCK, GET, 0, GET, 3, GE, BR_IF, 1);
  e(GET, 2, GET, 0, load8, XOR, k(2), SHL, k(0x3fc), AND, load(0), GET, 2, k(8), SHR, XOR, SET, 2);
  e(GET, 0, k(1), ADD, SET, 0, BR, 0, END, END);
  e(GET, 2, k(-1), XOR, END);
  const code = [...vec([[...uleb(5), I32]]), ...b];
  const name = (s: string) => vec([...s].map((c) => [c.charCodeAt(0)]));
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0,
    ...section(1, vec([[0x60, ...vec([[I32], [I32], [I32]]), ...vec([[I32]])]])),
    ...section(3, vec([[0]])),
    ...section(5, vec([[0x00, ...uleb(32)]])),
    ...section(7, vec([[...name("crc"), 0x00, 0], [...name("mem"), 0x02, 0]])),
    ...section(10, vec([[...uleb(code.length), ...code]])),
  ]);
}

/**
 * The WebAssembly kernel. `copyIn` copies each input into its memory 1 MiB at a time, as a runtime would
 * have to; without it the input is copied once and then reused, which measures the kernel alone.
 */
function wasmCrc(copyIn = true): (bytes: Uint8Array, crc?: number) => number {
  const instance = new WebAssembly.Instance(new WebAssembly.Module(wasmModule()));
  const memory = instance.exports.mem as WebAssembly.Memory;
  if (!copyIn) memory.grow(80);
  const kernel = instance.exports.crc as (p: number, n: number, c: number) => number;
  const tables = new Int32Array(memory.buffer, 0, 16 * 256);
  const t0 = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let j = 0; j < 8; j++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1;
    t0[n] = c;
  }
  for (let n = 0; n < 256; n++) {
    let c = t0[n]!;
    tables[n] = c;
    for (let t = 1; t < 16; t++) {
      c = t0[c & 0xff]! ^ (c >>> 8);
      tables[t * 256 + n] = c;
    }
  }
  const heap = new Uint8Array(memory.buffer);
  const BASE = 64 * 1024;
  let loaded: Uint8Array | undefined;
  if (!copyIn) {
    return (bytes, crc = 0) => {
      if (loaded !== bytes) heap.set(bytes, BASE);
      loaded = bytes;
      return kernel(BASE, bytes.length, crc) >>> 0;
    };
  }
  return (bytes, crc = 0) => {
    for (let i = 0; i < bytes.length; i += MIB) {
      const part = bytes.subarray(i, i + MIB);
      heap.set(part, BASE);
      crc = kernel(BASE, part.length, crc) >>> 0;
    }
    return crc;
  };
}

/** The native kernel whatever XENIMAGE_CRC says, so both are measured in one run. */
const native = selectNativeCrc32c({}, createRequire(import.meta.url));
console.log(`CRC32C kernel selected in this process: ${crc32cKernel.kernel} (${crc32cKernel.package ?? crc32cKernel.reason}); load average ${loadavg().map((l) => l.toFixed(1)).join(" ")}`);
console.log();

const variants: [string, (b: Uint8Array, c?: number) => number][] = [
  ...(native.kernel === undefined ? [] : ([[`native ${native.name}`, (b: Uint8Array, c = 0) => native.kernel(b, c)]] as [string, (b: Uint8Array, c?: number) => number][])),
  ["crc32c() as selected", crc32c],
  ["slicing-by-8, byte reads (before)", slicingBy8],
  ["JavaScript slicing-by-16, word reads (the fallback)", crc32cJs],
  ["slicing-by-16, byte reads (big-endian hosts)", crc32cPortable],
  ["WebAssembly slicing-by-16 (+ copy in)", wasmCrc()],
  ["WebAssembly slicing-by-16, kernel alone (input already in its memory)", wasmCrc(false)],
];
const data = new Uint8Array(4 * MIB);
for (let i = 0; i < data.length; i++) data[i] = (Math.imul(i, 2654435761) >>> 13) & 0xff;
const expected = crc32c(data);
for (const [name, f] of variants) if (f(data) !== expected) throw new Error(`${name} disagrees`);
const rates = new Map<string, number[]>(variants.map(([name]) => [name, []]));
for (let round = 0; round < 30; round++) {
  for (const [name, f] of variants) {
    const start = performance.now();
    for (let i = 0; i < 4; i++) f(data);
    rates.get(name)!.push((4 * data.length) / MIB / ((performance.now() - start) / 1000));
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
console.log("| CRC32C variant | MiB/s (median of 30) | min | max |");
console.log("| --- | ---: | ---: | ---: |");
for (const [name, xs] of rates) console.log(`| ${name} | ${median(xs).toFixed(0)} | ${Math.min(...xs).toFixed(0)} | ${Math.max(...xs).toFixed(0)} |`);

{
  // One 256 MiB buffer, three passes per kernel, alternating.
  const big = new Uint8Array(256 * MIB);
  for (let i = 0; i < big.length; i += 4096) big[i] = i & 0xff;
  const kernels: [string, (b: Uint8Array) => number][] = [["JavaScript slicing-by-16", (b) => crc32cJs(b)]];
  if (native.kernel !== undefined) kernels.unshift([`native ${native.name}`, (b) => native.kernel(b, 0)]);
  const results = new Map<string, number[]>(kernels.map(([name]) => [name, []]));
  const answers = new Set<number>();
  for (let pass = 0; pass < 3; pass++) {
    for (const [name, f] of kernels) {
      const start = performance.now();
      answers.add(f(big));
      results.get(name)!.push(256 / ((performance.now() - start) / 1000));
    }
  }
  if (answers.size !== 1) throw new Error("the kernels disagree on the 256 MiB buffer");
  console.log();
  console.log("| 256 MiB buffer | MiB/s, 3 passes |");
  console.log("| --- | --- |");
  for (const [name, xs] of results) console.log(`| ${name} | ${xs.map((x) => x.toFixed(0)).join(", ")} |`);
  console.log();
  console.log(`load average at the end ${loadavg().map((l) => l.toFixed(1)).join(" ")}`);
}
