/**
 * cpuid_leaf (24 bytes: leaf, subleaf, eax, ebx, ecx, edx, all u32; see schema/x86.yaml), hand-written
 * with DataView: constant offsets, one object literal per record. No u64, so no number mode.
 */
import type { CpuidLeaf } from "../../generated/index.js";
import { DecodeError } from "../../runtime/errors.js";
import { checkRecords, setU32 } from "./primitives.js";

/** The size of one record. */
export const CPUID_SIZE = 24;

/** The last record a per-record loop decoded: it escapes, so nothing is optimised away. */
export let sink: unknown;

/** Reads one record at `o`. */
export function decodeCpuid(view: DataView, bytes: Uint8Array, o: number): CpuidLeaf {
  if (o + CPUID_SIZE > bytes.length) throw new DecodeError("truncated", `needs ${CPUID_SIZE} bytes`, { offset: o });
  return {
    leaf: view.getUint32(o, true),
    subleaf: view.getUint32(o + 4, true),
    eax: view.getUint32(o + 8, true),
    ebx: view.getUint32(o + 12, true),
    ecx: view.getUint32(o + 16, true),
    edx: view.getUint32(o + 20, true),
  };
}

/** Decodes a cpuid body of `count` records into an array. */
export function decodeCpuids(bytes: Uint8Array, count: number): CpuidLeaf[] {
  checkRecords(bytes, count, CPUID_SIZE);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: CpuidLeaf[] = [];
  for (let o = 0; o < bytes.length; o += CPUID_SIZE) out.push(decodeCpuid(view, bytes, o));
  return out;
}

/** Per record: decodes each record, uses a field, drops the record (the last one escapes to {@link sink}). */
export function eachCpuid(bytes: Uint8Array, count: number): number {
  checkRecords(bytes, count, CPUID_SIZE);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let sum = 0;
  for (let o = 0; o < bytes.length; o += CPUID_SIZE) {
    const v = decodeCpuid(view, bytes, o);
    sum += v.eax;
    sink = v;
  }
  return sum;
}

/** Encodes records into a new body. */
export function encodeCpuids(values: readonly CpuidLeaf[]): Uint8Array {
  const out = new Uint8Array(values.length * CPUID_SIZE);
  const view = new DataView(out.buffer);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    const o = i * CPUID_SIZE;
    setU32(view, o, v.leaf);
    setU32(view, o + 4, v.subleaf);
    setU32(view, o + 8, v.eax);
    setU32(view, o + 12, v.ebx);
    setU32(view, o + 16, v.ecx);
    setU32(view, o + 20, v.edx);
  }
  return out;
}
