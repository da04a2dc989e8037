/**
 * Our structs in Kaitai Struct: the .ksy files in `kaitai/`, compiled to JavaScript by the real Kaitai
 * Struct compiler (`kaitai/generated/*.cjs`, see `kaitai/compile.ts`), running on the `kaitai-struct`
 * runtime. Kaitai's JavaScript target reads u64 as a number (`readU8le`: the nearest number, exact up
 * to 2^53), checks zero padding (`contents`), and cannot encode (serialization is not in its JavaScript
 * target).
 */
import { createRequire } from "node:module";
import type { CpuidLeaf, HvmHwCpu, VcpuGuestContextX8664 } from "../../generated/index.js";
import type { NumberMode } from "../data.js";

/** The runtime's stream (the `kaitai-struct` package's KaitaiStream). */
interface Stream {
  pos: number;
}
type StreamClass = new (view: DataView) => Stream;
type Record<T> = new (io: Stream, parent?: unknown, root?: unknown) => T;
type Container<T> = Record<{ entries: T[] }>;

const require = createRequire(import.meta.url);
const KaitaiStream = (require("kaitai-struct") as { KaitaiStream: StreamClass }).KaitaiStream;
const VcpuContexts = (require("./kaitai/generated/VcpuContexts.cjs") as { VcpuContexts: Container<NumberMode<VcpuGuestContextX8664>> & { VcpuGuestContextX8664: Record<NumberMode<VcpuGuestContextX8664>> } }).VcpuContexts;
const HvmCpus = (require("./kaitai/generated/HvmCpus.cjs") as { HvmCpus: Container<NumberMode<HvmHwCpu>> & { HvmHwCpu: Record<NumberMode<HvmHwCpu>> } }).HvmCpus;
const CpuidLeaves = (require("./kaitai/generated/CpuidLeaves.cjs") as { CpuidLeaves: Container<CpuidLeaf> & { CpuidLeaf: Record<CpuidLeaf> } }).CpuidLeaves;

function stream(bytes: Uint8Array): Stream {
  return new KaitaiStream(new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength));
}

export const decodeVcpus = (bytes: Uint8Array): NumberMode<VcpuGuestContextX8664>[] => new VcpuContexts(stream(bytes)).entries;
export const decodeHvmCpus = (bytes: Uint8Array): NumberMode<HvmHwCpu>[] => new HvmCpus(stream(bytes)).entries;
export const decodeCpuids = (bytes: Uint8Array): CpuidLeaf[] => new CpuidLeaves(stream(bytes)).entries;

/** The last record a per-record loop decoded: it escapes, so nothing is optimised away. */
export let sink: unknown;

// Per record: one stream over the body; each record type reads from the stream's position on.

export function eachVcpu(bytes: Uint8Array, count: number): number {
  const io = stream(bytes);
  let sum = 0;
  for (let i = 0; i < count; i++) {
    const v = new VcpuContexts.VcpuGuestContextX8664(io);
    sum += v.userRegs.cs;
    sink = v;
  }
  return sum;
}

export function eachHvmCpu(bytes: Uint8Array, count: number): number {
  const io = stream(bytes);
  let sum = 0;
  for (let i = 0; i < count; i++) {
    const v = new HvmCpus.HvmHwCpu(io);
    sum += v.csSel;
    sink = v;
  }
  return sum;
}

export function eachCpuid(bytes: Uint8Array, count: number): number {
  const io = stream(bytes);
  let sum = 0;
  for (let i = 0; i < count; i++) {
    const v = new CpuidLeaves.CpuidLeaf(io);
    sum += v.eax;
    sink = v;
  }
  return sum;
}
