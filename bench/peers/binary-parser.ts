/**
 * Our structs in binary-parser 2.x (https://github.com/keichi/binary-parser), the way its users write
 * them: one Parser per struct, `nest` for nested structs, `array` for arrays, `seek` over padding (it
 * is skipped, not checked). binary-parser compiles each parser to a function with `new Function`.
 *
 * u64 in two modes: "bigint" reads `uint64le` (a bigint, DataView.getBigUint64 underneath); "number"
 * reads the two u32 halves and joins them in a formatter into the nearest number (exact up to 2^53).
 * binary-parser decodes only: it has no encoder.
 */
import { Parser } from "binary-parser";
import type { CpuidLeaf, HvmHwCpu, VcpuGuestContextX8664 } from "../../generated/index.js";
import type { NumberMode } from "../data.js";
import { CPUID_LEAF, HVM_HW_CPU_AFTER_FPU, USER_REGS_X86_64, VCPU_AFTER_GDT, VCPU_AFTER_TRAPS, VCPU_TAIL, splitPendingEvent, type LayoutField } from "./layouts.js";

/** How a parser represents u64 values. */
export type U64Mode = "bigint" | "number";

const TWO_32 = 4294967296;
const HALVES = new Parser().uint32le("lo").uint32le("hi");
const joinHalves = (x: { lo: number; hi: number }): number => x.hi * TWO_32 + x.lo;
const joinPairs = (words: number[]): number[] => {
  const out: number[] = [];
  for (let i = 0; i < words.length; i += 2) out.push(words[i + 1]! * TWO_32 + words[i]!);
  return out;
};

function u64(p: Parser, name: string, mode: U64Mode): Parser {
  return mode === "bigint" ? p.uint64le(name) : p.nest(name, { type: HALVES, formatter: joinHalves });
}

function u64Array(p: Parser, name: string, length: number, mode: U64Mode): Parser {
  return mode === "bigint" ? p.array(name, { type: "uint64le", length }) : p.array(name, { type: "uint32le", length: length * 2, formatter: joinPairs });
}

function fields(p: Parser, layout: readonly LayoutField[], mode: U64Mode): Parser {
  for (const [name, type] of layout) {
    if (name === "pad") p = p.seek(type as number);
    else if (type === "u8") p = p.uint8(name);
    else if (type === "u16") p = p.uint16le(name);
    else if (type === "u32") p = p.uint32le(name);
    // binary-parser's little-endian bit fields do not read C's LSB-first order, so the word is split by a formatter.
    else if (type === "pending_event") p = p.uint32le(name, { formatter: (word) => splitPendingEvent(word as number) });
    else p = u64(p, name, mode);
  }
  return p;
}

/** vcpu_guest_context_x86_64 (5168 bytes). */
export function vcpuParser(mode: U64Mode): Parser {
  const trap = u64(new Parser().uint8("vector").uint8("flags").uint16le("cs").seek(4), "address", mode);
  let p = u64(new Parser().buffer("fpuCtxt", { length: 512 }), "flags", mode);
  p = p.nest("userRegs", { type: fields(new Parser(), USER_REGS_X86_64, mode) }).array("trapCtxt", { type: trap, length: 256 });
  for (const name of VCPU_AFTER_TRAPS) p = u64(p, name, mode);
  p = u64Array(p, "gdtFrames", 16, mode);
  for (const name of VCPU_AFTER_GDT) p = u64(p, name, mode);
  p = u64Array(u64Array(p, "ctrlreg", 8, mode), "debugreg", 8, mode);
  for (const name of VCPU_TAIL) p = u64(p, name, mode);
  return p;
}

/** hvm_hw_cpu (1032 bytes). */
export function hvmCpuParser(mode: U64Mode): Parser {
  return fields(new Parser().buffer("fpuRegs", { length: 512 }), HVM_HW_CPU_AFTER_FPU, mode);
}

/** cpuid_leaf (24 bytes). */
export function cpuidParser(): Parser {
  return fields(new Parser(), CPUID_LEAF, "number");
}

/** A parser of a whole array section: records until the end of the body. */
function entries(record: Parser): Parser {
  return new Parser().array("entries", { type: record, readUntil: "eof" });
}

const vcpuBig = vcpuParser("bigint");
const vcpuNum = vcpuParser("number");
const vcpusBig = entries(vcpuBig);
const vcpusNum = entries(vcpuNum);
const hvmBig = hvmCpuParser("bigint");
const hvmNum = hvmCpuParser("number");
const hvmsBig = entries(hvmBig);
const hvmsNum = entries(hvmNum);
const cpuid = cpuidParser();
const cpuids = entries(cpuid);

/** The last record a per-record loop decoded: it escapes, so nothing is optimised away. */
export let sink: unknown;

export const decodeVcpusBig = (bytes: Uint8Array): VcpuGuestContextX8664[] => vcpusBig.parse(bytes).entries;
export const decodeVcpusNum = (bytes: Uint8Array): NumberMode<VcpuGuestContextX8664>[] => vcpusNum.parse(bytes).entries;
export const decodeHvmCpusBig = (bytes: Uint8Array): HvmHwCpu[] => hvmsBig.parse(bytes).entries;
export const decodeHvmCpusNum = (bytes: Uint8Array): NumberMode<HvmHwCpu>[] => hvmsNum.parse(bytes).entries;
export const decodeCpuids = (bytes: Uint8Array): CpuidLeaf[] => cpuids.parse(bytes).entries;

// Per record: binary-parser parses a whole buffer per call, so each record is a subarray.

export function eachVcpuBig(bytes: Uint8Array, size: number): number {
  let sum = 0;
  for (let o = 0; o < bytes.length; o += size) {
    const v: VcpuGuestContextX8664 = vcpuBig.parse(bytes.subarray(o, o + size));
    sum += v.userRegs.cs;
    sink = v;
  }
  return sum;
}

export function eachVcpuNum(bytes: Uint8Array, size: number): number {
  let sum = 0;
  for (let o = 0; o < bytes.length; o += size) {
    const v: NumberMode<VcpuGuestContextX8664> = vcpuNum.parse(bytes.subarray(o, o + size));
    sum += v.userRegs.cs;
    sink = v;
  }
  return sum;
}

export function eachHvmCpuBig(bytes: Uint8Array, size: number): number {
  let sum = 0;
  for (let o = 0; o < bytes.length; o += size) {
    const v: HvmHwCpu = hvmBig.parse(bytes.subarray(o, o + size));
    sum += v.csSel;
    sink = v;
  }
  return sum;
}

export function eachHvmCpuNum(bytes: Uint8Array, size: number): number {
  let sum = 0;
  for (let o = 0; o < bytes.length; o += size) {
    const v: NumberMode<HvmHwCpu> = hvmNum.parse(bytes.subarray(o, o + size));
    sum += v.csSel;
    sink = v;
  }
  return sum;
}

export function eachCpuid(bytes: Uint8Array, size: number): number {
  let sum = 0;
  for (let o = 0; o < bytes.length; o += size) {
    const v: CpuidLeaf = cpuid.parse(bytes.subarray(o, o + size));
    sum += v.eax;
    sink = v;
  }
  return sum;
}

/** A u64 array (a p2m frame list after its two u64 header fields, or a pfn list), as bigints. */
export function u64ArrayParser(skip: number): Parser {
  return new Parser().seek(skip).array("values", { type: "uint64le", readUntil: "eof" });
}
