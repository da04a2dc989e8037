/**
 * Our generated codecs, called the way an application calls them: array sections through their section
 * codec (`sectionCodecByName`; what `decodeImage` and the image reader run for each body), records one
 * by one through the struct's `decodeX(reader)` or its lazy view `viewX(reader)`, and encoders into a
 * ByteWriter sized for the body.
 */
import {
  CPUID_LEAF_SIZE,
  decodeCpuidLeaf,
  decodeHvmHwCpu,
  decodeVcpuGuestContextX8664,
  encodeHvmHwCpu,
  HVM_HW_CPU_SIZE,
  sectionCodecByName,
  VCPU_GUEST_CONTEXT_X86_64_SIZE,
  type CpuidLeaf,
  type HvmHwCpu,
  type ImageHeader,
  type VcpuGuestContextX8664,
  viewCpuidLeaf,
  viewHvmHwCpu,
  viewVcpuGuestContextX8664,
} from "../generated/index.js";
import { ByteReader, ByteWriter, decodeEntries, encodeFixedEntries, type SectionCodec, type SectionContext } from "../runtime/index.js";

/** A section codec by name, typed by what the caller knows its body is. */
function section<T>(name: string): SectionCodec<T, ImageHeader> {
  const codec = sectionCodecByName.get(name);
  if (codec === undefined) throw new Error(`no section ${name}`);
  return codec as unknown as SectionCodec<T, ImageHeader>;
}

const vcpuContext = section<VcpuGuestContextX8664[]>("vcpu_context");
const cpuid = section<CpuidLeaf[]>("cpuid");

/** The last record a per-record loop decoded: it escapes, so nothing is optimised away. */
export let sink: unknown;

/** A vcpu_context body (x86_64 header), decoded by its section codec. */
export function decodeVcpus(bytes: Uint8Array, ctx: SectionContext<ImageHeader>): VcpuGuestContextX8664[] {
  return vcpuContext.decode(new ByteReader(bytes), ctx);
}

/** A cpuid body, decoded by its section codec. */
export function decodeCpuids(bytes: Uint8Array, ctx: SectionContext<ImageHeader>): CpuidLeaf[] {
  return cpuid.decode(new ByteReader(bytes), ctx);
}

/** hvm_hw_cpu records back to back, through the runtime's array-section path (no section holds them bare). */
export function decodeHvmCpus(bytes: Uint8Array, ctx: SectionContext<ImageHeader>): HvmHwCpu[] {
  return decodeEntries(new ByteReader(bytes), ctx, HVM_HW_CPU_SIZE, decodeHvmHwCpu);
}

export function eachVcpu(bytes: Uint8Array, count: number): number {
  const r = new ByteReader(bytes);
  let sum = 0;
  for (let i = 0; i < count; i++) {
    const v = decodeVcpuGuestContextX8664(r);
    sum += v.userRegs.cs;
    sink = v;
  }
  return sum;
}

export function eachCpuid(bytes: Uint8Array, count: number): number {
  const r = new ByteReader(bytes);
  let sum = 0;
  for (let i = 0; i < count; i++) {
    const v = decodeCpuidLeaf(r);
    sum += v.eax;
    sink = v;
  }
  return sum;
}

export function eachHvmCpu(bytes: Uint8Array, count: number): number {
  const r = new ByteReader(bytes);
  let sum = 0;
  for (let i = 0; i < count; i++) {
    const v = decodeHvmHwCpu(r);
    sum += v.csSel;
    sink = v;
  }
  return sum;
}

// Per record through lazy views: the record is claimed and checked as by the decoder, but only the
// field used is read. Like the loops above, one per struct rather than a shared helper taking the view
// function: a shared loop's call site would see three functions, which an application's does not.

export function eachVcpuView(bytes: Uint8Array, count: number): number {
  const r = new ByteReader(bytes);
  let sum = 0;
  for (let i = 0; i < count; i++) {
    const v = viewVcpuGuestContextX8664(r);
    sum += v.userRegs.cs;
    sink = v;
  }
  return sum;
}

export function eachCpuidView(bytes: Uint8Array, count: number): number {
  const r = new ByteReader(bytes);
  let sum = 0;
  for (let i = 0; i < count; i++) {
    const v = viewCpuidLeaf(r);
    sum += v.eax;
    sink = v;
  }
  return sum;
}

export function eachHvmCpuView(bytes: Uint8Array, count: number): number {
  const r = new ByteReader(bytes);
  let sum = 0;
  for (let i = 0; i < count; i++) {
    const v = viewHvmHwCpu(r);
    sum += v.csSel;
    sink = v;
  }
  return sum;
}

export function encodeVcpus(values: VcpuGuestContextX8664[], header: ImageHeader): Uint8Array {
  const w = new ByteWriter({ littleEndian: true, initialCapacity: values.length * VCPU_GUEST_CONTEXT_X86_64_SIZE });
  vcpuContext.encode(w, values, header);
  return w.finish();
}

export function encodeCpuids(values: CpuidLeaf[], header: ImageHeader): Uint8Array {
  const w = new ByteWriter({ littleEndian: true, initialCapacity: values.length * CPUID_LEAF_SIZE });
  cpuid.encode(w, values, header);
  return w.finish();
}

export function encodeHvmCpus(values: HvmHwCpu[]): Uint8Array {
  const w = new ByteWriter({ littleEndian: true, initialCapacity: values.length * HVM_HW_CPU_SIZE });
  encodeFixedEntries(w, values, HVM_HW_CPU_SIZE, encodeHvmHwCpu);
  return w.finish();
}
