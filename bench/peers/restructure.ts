/**
 * Our structs in restructure 3 (https://github.com/foliojs/restructure), the way its users write them:
 * a `Struct` of field types, `Array` for arrays, `Buffer` for byte runs, `Reserved` for padding (skipped
 * on decode, zeros on encode). restructure has no 64-bit integers, so u64 is a custom type (decode,
 * size, encode), as its users add one, in two modes: "bigint" (two u32 halves joined into a bigint) and
 * "number" (the nearest number, exact up to 2^53).
 */
import * as r from "restructure";
import type { CpuidLeaf, HvmHwCpu, VcpuGuestContextX8664 } from "../../generated/index.js";
import type { NumberMode } from "../data.js";
import { CPUID_LEAF, HVM_HW_CPU_AFTER_FPU, USER_REGS_X86_64, VCPU_AFTER_GDT, VCPU_AFTER_TRAPS, VCPU_TAIL, joinPendingEvent, splitPendingEvent, type LayoutField, type PendingEvent } from "./layouts.js";

/** How a struct represents u64 values. */
export type U64Mode = "bigint" | "number";

const TWO_32 = 4294967296;

/** u64 as a bigint, little-endian. */
export const u64Big: r.Type<bigint> = {
  decode(stream) {
    const lo = stream.readUInt32LE();
    const hi = stream.readUInt32LE();
    return hi === 0 ? BigInt(lo) : (BigInt(hi) << 32n) | BigInt(lo);
  },
  size: () => 8,
  encode(stream, v) {
    stream.writeUInt32LE(Number(v & 0xffff_ffffn));
    stream.writeUInt32LE(Number(v >> 32n));
  },
};

/** u64 as the nearest number, little-endian. */
export const u64Num: r.Type<number> = {
  decode(stream) {
    const lo = stream.readUInt32LE();
    return stream.readUInt32LE() * TWO_32 + lo;
  },
  size: () => 8,
  encode(stream, v) {
    const lo = v % TWO_32;
    stream.writeUInt32LE(lo);
    stream.writeUInt32LE((v - lo) / TWO_32);
  },
};

/** hvm_pending_event: restructure's Bitfield gives booleans only, so the multi-bit fields need a custom type. */
const pendingEvent: r.Type<PendingEvent> = {
  decode: (stream) => splitPendingEvent(stream.readUInt32LE()),
  size: () => 4,
  encode: (stream, v) => stream.writeUInt32LE(joinPendingEvent(v)),
};

function fields(layout: readonly LayoutField[], u64: r.Type): Record<string, r.Type> {
  const out: Record<string, r.Type> = {};
  let pads = 0;
  for (const [name, type] of layout) {
    if (name === "pad") out[`_pad${pads++}`] = new r.Reserved(r.uint8, type as number);
    else out[name] = type === "u8" ? r.uint8 : type === "u16" ? r.uint16le : type === "u32" ? r.uint32le : type === "pending_event" ? pendingEvent : u64;
  }
  return out;
}

function named(names: readonly string[], u64: r.Type): Record<string, r.Type> {
  return Object.fromEntries(names.map((n) => [n, u64]));
}

/** vcpu_guest_context_x86_64 (5168 bytes). */
export function vcpuStruct(mode: U64Mode): r.Struct {
  const u64: r.Type = mode === "bigint" ? u64Big : u64Num;
  const trap = new r.Struct({ vector: r.uint8, flags: r.uint8, cs: r.uint16le, _pad: new r.Reserved(r.uint8, 4), address: u64 });
  return new r.Struct({
    fpuCtxt: new r.Buffer(512),
    flags: u64,
    userRegs: new r.Struct(fields(USER_REGS_X86_64, u64)),
    trapCtxt: new r.Array(trap, 256),
    ...named(VCPU_AFTER_TRAPS, u64),
    gdtFrames: new r.Array(u64, 16),
    ...named(VCPU_AFTER_GDT, u64),
    ctrlreg: new r.Array(u64, 8),
    debugreg: new r.Array(u64, 8),
    ...named(VCPU_TAIL, u64),
  });
}

/** hvm_hw_cpu (1032 bytes). */
export function hvmCpuStruct(mode: U64Mode): r.Struct {
  return new r.Struct({ fpuRegs: new r.Buffer(512), ...fields(HVM_HW_CPU_AFTER_FPU, mode === "bigint" ? u64Big : u64Num) });
}

/** cpuid_leaf (24 bytes). */
export function cpuidStruct(): r.Struct {
  return new r.Struct(fields(CPUID_LEAF, u64Num));
}

const vcpuBig = vcpuStruct("bigint");
const vcpuNum = vcpuStruct("number");
const hvmBig = hvmCpuStruct("bigint");
const hvmNum = hvmCpuStruct("number");
const cpuid = cpuidStruct();

/** An array section's body: `count` records (the table gives the count). */
const entries = <T>(record: r.Struct<T>, count: number): r.Array<T> => new r.Array(record, count);

export const decodeVcpusBig = (bytes: Uint8Array, count: number): VcpuGuestContextX8664[] => entries(vcpuBig, count).fromBuffer(bytes);
export const decodeVcpusNum = (bytes: Uint8Array, count: number): NumberMode<VcpuGuestContextX8664>[] => entries(vcpuNum, count).fromBuffer(bytes);
export const decodeHvmCpusBig = (bytes: Uint8Array, count: number): HvmHwCpu[] => entries(hvmBig, count).fromBuffer(bytes);
export const decodeHvmCpusNum = (bytes: Uint8Array, count: number): NumberMode<HvmHwCpu>[] => entries(hvmNum, count).fromBuffer(bytes);
export const decodeCpuids = (bytes: Uint8Array, count: number): CpuidLeaf[] => entries(cpuid, count).fromBuffer(bytes);

export const encodeVcpusBig = (values: VcpuGuestContextX8664[]): Uint8Array => entries(vcpuBig, values.length).toBuffer(values);
export const encodeVcpusNum = (values: NumberMode<VcpuGuestContextX8664>[]): Uint8Array => entries(vcpuNum, values.length).toBuffer(values);
export const encodeHvmCpusBig = (values: HvmHwCpu[]): Uint8Array => entries(hvmBig, values.length).toBuffer(values);
export const encodeHvmCpusNum = (values: NumberMode<HvmHwCpu>[]): Uint8Array => entries(hvmNum, values.length).toBuffer(values);
export const encodeCpuids = (values: CpuidLeaf[]): Uint8Array => entries(cpuid, values.length).toBuffer(values);

/** The last record a per-record loop decoded: it escapes, so nothing is optimised away. */
export let sink: unknown;

// Per record: one DecodeStream over the body, one struct decode per record.

export function eachVcpuBig(bytes: Uint8Array, count: number): number {
  const stream = new r.DecodeStream(bytes);
  let sum = 0;
  for (let i = 0; i < count; i++) {
    const v: VcpuGuestContextX8664 = vcpuBig.decode(stream);
    sum += v.userRegs.cs;
    sink = v;
  }
  return sum;
}

export function eachVcpuNum(bytes: Uint8Array, count: number): number {
  const stream = new r.DecodeStream(bytes);
  let sum = 0;
  for (let i = 0; i < count; i++) {
    const v: NumberMode<VcpuGuestContextX8664> = vcpuNum.decode(stream);
    sum += v.userRegs.cs;
    sink = v;
  }
  return sum;
}

export function eachHvmCpuBig(bytes: Uint8Array, count: number): number {
  const stream = new r.DecodeStream(bytes);
  let sum = 0;
  for (let i = 0; i < count; i++) {
    const v: HvmHwCpu = hvmBig.decode(stream);
    sum += v.csSel;
    sink = v;
  }
  return sum;
}

export function eachHvmCpuNum(bytes: Uint8Array, count: number): number {
  const stream = new r.DecodeStream(bytes);
  let sum = 0;
  for (let i = 0; i < count; i++) {
    const v: NumberMode<HvmHwCpu> = hvmNum.decode(stream);
    sum += v.csSel;
    sink = v;
  }
  return sum;
}

export function eachCpuid(bytes: Uint8Array, count: number): number {
  const stream = new r.DecodeStream(bytes);
  let sum = 0;
  for (let i = 0; i < count; i++) {
    const v: CpuidLeaf = cpuid.decode(stream);
    sum += v.eax;
    sink = v;
  }
  return sum;
}

/** A u64 array of `length` values after `skip` header bytes, as bigints. */
export function decodeU64Array(bytes: Uint8Array, skip: number): bigint[] {
  const stream = new r.DecodeStream(bytes);
  stream.pos = skip;
  return new r.Array(u64Big, (bytes.length - skip) / 8).decode(stream);
}
