/**
 * Deterministic benchmark inputs, made with the project's own synthetic guests (`synthetic/`) and encoded
 * with the generated encoders, so every implementation decodes the very bytes a xenimage writer produces.
 * Every input sits in an ArrayBuffer of its own at offset 0 (aligned), as a section body read from a file
 * does.
 */
import {
  Arch,
  cpuidSection,
  encodeHvmHwCpu,
  HVM_HW_CPU_SIZE,
  decodeImage,
  encodeImage,
  ImageType,
  p2mFrameListSection,
  unwrittenPagesSection,
  vcpuContextSection,
  VCPU_GUEST_CONTEXT_X86_64_SIZE,
  CPUID_LEAF_SIZE,
  type CpuidLeaf,
  type HvmHwCpu,
  type ImageHeader,
  type VcpuGuestContextX8664,
} from "../generated/index.js";
import { ByteWriter, encodeEntries, type SectionContext } from "../runtime/index.js";
import { syntheticGuest } from "../synthetic/guest.js";
import { hvmContext } from "../synthetic/hvm.js";
import { SeededRandom } from "../synthetic/random.js";
import { pvVcpuX8664 } from "../synthetic/vcpus.js";

/** A fixed-size struct's test data: the values and their encoding, `count` records back to back. */
export interface StructData<T> {
  /** The schema name of the struct. */
  readonly name: string;
  /** Bytes per record. */
  readonly size: number;
  readonly count: number;
  /** The decoded values (our representation: u64 as bigint). */
  readonly values: T[];
  /** The encoded records, in a buffer of their own. */
  readonly bytes: Uint8Array;
}

let header: ImageHeader | undefined;
/** A 64-bit x86 PV image header (little-endian), complete, as a section decoder's context needs it. */
export function x86Header(): ImageHeader {
  header ??= decodeImage(encodeImage(syntheticGuest("pv-x86_64", { memoryBytes: 4096 * 16 }, ImageType.save))).header;
  return header;
}

/** The context an array section's decoder gets from the table: the header, the entry count and size. */
export function entriesContext(header: ImageHeader, data: StructData<unknown>): SectionContext<ImageHeader> {
  return { header, entryCount: BigInt(data.count), entrySize: data.size };
}

/** Copies into a fresh ArrayBuffer, so the bytes start at offset 0 of a buffer exactly their size. */
function own(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(bytes);
}

/** `count` vcpu_guest_context_x86_64 records of a synthetic PV guest (distinct registers per vcpu). */
export function vcpuData(count: number, seed = 1): StructData<VcpuGuestContextX8664> {
  const rng = new SeededRandom(seed);
  const values = Array.from({ length: count }, (_, v) => pvVcpuX8664(rng, v, 1 + v, 16 + v));
  const header = x86Header();
  if (header.arch !== Arch.x86_64) throw new Error("expected an x86_64 header");
  const w = new ByteWriter({ littleEndian: true, initialCapacity: count * VCPU_GUEST_CONTEXT_X86_64_SIZE });
  vcpuContextSection.encode(w, values, header);
  return { name: "vcpu_guest_context_x86_64", size: VCPU_GUEST_CONTEXT_X86_64_SIZE, count, values, bytes: own(w.finish()) };
}

/** `count` cpuid_leaf records with pseudo-random leaves and outputs (every bit of every u32 exercised). */
export function cpuidData(count: number, seed = 2): StructData<CpuidLeaf> {
  const rng = new SeededRandom(seed);
  const values: CpuidLeaf[] = Array.from({ length: count }, () => ({
    leaf: rng.u32(),
    subleaf: rng.u32(),
    eax: rng.u32(),
    ebx: rng.u32(),
    ecx: rng.u32(),
    edx: rng.u32(),
  }));
  const w = new ByteWriter({ littleEndian: true, initialCapacity: count * CPUID_LEAF_SIZE });
  cpuidSection.encode(w, values, x86Header());
  return { name: "cpuid_leaf", size: CPUID_LEAF_SIZE, count, values, bytes: own(w.finish()) };
}

/** `count` hvm_hw_cpu records (the CPU records of a synthetic 64-bit HVM guest's context). */
export function hvmCpuData(count: number, seed = 3): StructData<HvmHwCpu> {
  const rng = new SeededRandom(seed);
  const values: HvmHwCpu[] = [];
  for (const record of hvmContext(rng, count)) if (record.body.type === "cpu") values.push(record.body.value);
  // Every other vcpu was saved with a page fault pending (every bit-field of pending_event non-zero, the
  // reserved ones included), so a peer that splits the word wrongly disagrees.
  for (let i = 1; i < values.length; i += 2) {
    values[i]!.pendingEvent = { pendingVector: 14, pendingType: 3, pendingErrorValid: 1, pendingReserved: 0x4_0001 + i, pendingValid: 1 };
    values[i]!.errorCode = 2;
  }
  const w = new ByteWriter({ littleEndian: true, initialCapacity: count * HVM_HW_CPU_SIZE });
  encodeEntries(w, values, HVM_HW_CPU_SIZE, encodeHvmHwCpu);
  return { name: "hvm_hw_cpu", size: HVM_HW_CPU_SIZE, count, values, bytes: own(w.finish()) };
}

/**
 * A p2m_frame_list body with `length` frames, encoded by us. The frames are pfns inside the guest (of
 * `length` × 512 pages), so below 2^32 like every pfn of a guest under 16 TiB.
 */
export function p2mFrameListBody(length: number, seed = 4): Uint8Array {
  const rng = new SeededRandom(seed);
  const frames = BigUint64Array.from({ length }, () => BigInt(rng.below(length * 512)));
  const w = new ByteWriter({ littleEndian: true, initialCapacity: 16 + 8 * length });
  p2mFrameListSection.encode(w, { startPfn: 0n, endPfn: BigInt(length * 512 - 1), frames }, x86Header());
  return own(w.finish());
}

/** An unwritten_pages body (a pfn list, one u64 per table entry) with `length` pfns (below 2^32), encoded by us. */
export function unwrittenPagesBody(length: number, seed = 5): Uint8Array {
  const rng = new SeededRandom(seed);
  const pfns = BigUint64Array.from({ length }, () => BigInt(rng.below(length * 64)));
  const w = new ByteWriter({ littleEndian: true, initialCapacity: 8 * length });
  unwrittenPagesSection.encode(w, { pfns }, x86Header());
  return own(w.finish());
}

/** `bytes` placed `shift` bytes into a fresh buffer: a body whose u64s are not 8-aligned in memory. */
export function misaligned(bytes: Uint8Array, shift: number): Uint8Array {
  const buffer = new Uint8Array(bytes.length + shift);
  buffer.set(bytes, shift);
  return buffer.subarray(shift);
}

/** A value as a number-mode codec sees it: every u64 a number (exact up to 2^53), the rest unchanged. */
export type NumberMode<T> = T extends bigint
  ? number
  : T extends Uint8Array
    ? T
    : T extends readonly (infer U)[]
      ? NumberMode<U>[]
      : T extends object
        ? { [K in keyof T]: NumberMode<T[K]> }
        : T;

/** Recursively replaces every bigint by the nearest number: the values a number-mode codec works with. */
export function toNumberMode<T>(value: T): NumberMode<T> {
  return numberMode(value) as NumberMode<T>;
}

function numberMode(value: unknown): unknown {
  if (typeof value === "bigint") return Number(value);
  if (Array.isArray(value)) return value.map(numberMode);
  if (value instanceof Uint8Array) return value;
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = numberMode(v);
    return out;
  }
  return value;
}
