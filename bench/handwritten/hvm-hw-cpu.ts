/**
 * hvm_hw_cpu (1032 bytes: fpu_regs, 28 u64 registers, 18 u32 selectors and limits, 10 u64 bases, 8 u32
 * access rights, 12 u64 MSRs and TSC, pending_event, error_code, flags, 4 bytes of padding; see
 * schema/hvm_records.yaml), hand-written with DataView: constant offsets, u64 as two u32 halves, one
 * object literal per record. Bigint (our representation) and number versions.
 */
import type { HvmHwCpu, HvmPendingEvent } from "../../generated/index.js";
import { DecodeError } from "../../runtime/errors.js";
import type { NumberMode } from "../data.js";
import { badPadding, badValue, checkRecords, setBytes, setU32, setU64, setU64n, u64, u64n } from "./primitives.js";

/** The size of one record. */
export const HVM_CPU_SIZE = 1032;

type HvmCpuN = NumberMode<HvmHwCpu>;

/** The last record a per-record loop decoded: it escapes, so nothing is optimised away. */
export let sink: unknown;

/** The bit-fields of the pending_event word, lowest first. */
function pendingEvent(word: number): HvmPendingEvent {
  return {
    pendingVector: word & 0xff,
    pendingType: (word >>> 8) & 0x7,
    pendingErrorValid: (word >>> 11) & 0x1,
    pendingReserved: (word >>> 12) & 0x7ffff,
    pendingValid: word >>> 31,
  };
}

/** Writes the pending_event word from its bit-fields, each range-checked. */
function setPendingEvent(view: DataView, at: number, v: HvmPendingEvent): void {
  const bits = (value: number, width: number): number => {
    if (!Number.isInteger(value) || value < 0 || value >= 2 ** width) throw badValue(at, value, `${width}-bit field`);
    return value;
  };
  const word = bits(v.pendingVector, 8) + bits(v.pendingType, 3) * 0x100 + bits(v.pendingErrorValid, 1) * 0x800 + bits(v.pendingReserved, 19) * 0x1000 + bits(v.pendingValid, 1) * 0x8000_0000;
  view.setUint32(at, word, true);
}

/** Reads one record at `o`. */
export function decodeHvmCpu(view: DataView, bytes: Uint8Array, o: number): HvmHwCpu {
  if (o + HVM_CPU_SIZE > bytes.length) throw new DecodeError("truncated", `needs ${HVM_CPU_SIZE} bytes`, { offset: o });
  if (view.getUint32(o + 1028, true) !== 0) throw badPadding(o + 1028);
  return {
    fpuRegs: bytes.subarray(o, o + 512),
    rax: u64(view, o + 512),
    rbx: u64(view, o + 520),
    rcx: u64(view, o + 528),
    rdx: u64(view, o + 536),
    rbp: u64(view, o + 544),
    rsi: u64(view, o + 552),
    rdi: u64(view, o + 560),
    rsp: u64(view, o + 568),
    r8: u64(view, o + 576),
    r9: u64(view, o + 584),
    r10: u64(view, o + 592),
    r11: u64(view, o + 600),
    r12: u64(view, o + 608),
    r13: u64(view, o + 616),
    r14: u64(view, o + 624),
    r15: u64(view, o + 632),
    rip: u64(view, o + 640),
    rflags: u64(view, o + 648),
    cr0: u64(view, o + 656),
    cr2: u64(view, o + 664),
    cr3: u64(view, o + 672),
    cr4: u64(view, o + 680),
    dr0: u64(view, o + 688),
    dr1: u64(view, o + 696),
    dr2: u64(view, o + 704),
    dr3: u64(view, o + 712),
    dr6: u64(view, o + 720),
    dr7: u64(view, o + 728),
    csSel: view.getUint32(o + 736, true),
    dsSel: view.getUint32(o + 740, true),
    esSel: view.getUint32(o + 744, true),
    fsSel: view.getUint32(o + 748, true),
    gsSel: view.getUint32(o + 752, true),
    ssSel: view.getUint32(o + 756, true),
    trSel: view.getUint32(o + 760, true),
    ldtrSel: view.getUint32(o + 764, true),
    csLimit: view.getUint32(o + 768, true),
    dsLimit: view.getUint32(o + 772, true),
    esLimit: view.getUint32(o + 776, true),
    fsLimit: view.getUint32(o + 780, true),
    gsLimit: view.getUint32(o + 784, true),
    ssLimit: view.getUint32(o + 788, true),
    trLimit: view.getUint32(o + 792, true),
    ldtrLimit: view.getUint32(o + 796, true),
    idtrLimit: view.getUint32(o + 800, true),
    gdtrLimit: view.getUint32(o + 804, true),
    csBase: u64(view, o + 808),
    dsBase: u64(view, o + 816),
    esBase: u64(view, o + 824),
    fsBase: u64(view, o + 832),
    gsBase: u64(view, o + 840),
    ssBase: u64(view, o + 848),
    trBase: u64(view, o + 856),
    ldtrBase: u64(view, o + 864),
    idtrBase: u64(view, o + 872),
    gdtrBase: u64(view, o + 880),
    csArbytes: view.getUint32(o + 888, true),
    dsArbytes: view.getUint32(o + 892, true),
    esArbytes: view.getUint32(o + 896, true),
    fsArbytes: view.getUint32(o + 900, true),
    gsArbytes: view.getUint32(o + 904, true),
    ssArbytes: view.getUint32(o + 908, true),
    trArbytes: view.getUint32(o + 912, true),
    ldtrArbytes: view.getUint32(o + 916, true),
    sysenterCs: u64(view, o + 920),
    sysenterEsp: u64(view, o + 928),
    sysenterEip: u64(view, o + 936),
    shadowGs: u64(view, o + 944),
    msrFlags: u64(view, o + 952),
    msrLstar: u64(view, o + 960),
    msrStar: u64(view, o + 968),
    msrCstar: u64(view, o + 976),
    msrSyscallMask: u64(view, o + 984),
    msrEfer: u64(view, o + 992),
    msrTscAux: u64(view, o + 1000),
    tsc: u64(view, o + 1008),
    pendingEvent: pendingEvent(view.getUint32(o + 1016, true)),
    errorCode: view.getUint32(o + 1020, true),
    flags: view.getUint32(o + 1024, true),
  };
}

/** Decodes `count` back-to-back records into an array. */
export function decodeHvmCpus(bytes: Uint8Array, count: number): HvmHwCpu[] {
  checkRecords(bytes, count, HVM_CPU_SIZE);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: HvmHwCpu[] = [];
  for (let o = 0; o < bytes.length; o += HVM_CPU_SIZE) out.push(decodeHvmCpu(view, bytes, o));
  return out;
}

/** Per record: decodes each record, uses a field, drops the record (the last one escapes to {@link sink}). */
export function eachHvmCpu(bytes: Uint8Array, count: number): number {
  checkRecords(bytes, count, HVM_CPU_SIZE);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let sum = 0;
  for (let o = 0; o < bytes.length; o += HVM_CPU_SIZE) {
    const v = decodeHvmCpu(view, bytes, o);
    sum += v.csSel;
    sink = v;
  }
  return sum;
}

/** Encodes records into a new buffer. */
export function encodeHvmCpus(values: readonly HvmHwCpu[]): Uint8Array {
  const out = new Uint8Array(values.length * HVM_CPU_SIZE);
  const view = new DataView(out.buffer);
  for (let i = 0; i < values.length; i++) encodeHvmCpu(view, out, i * HVM_CPU_SIZE, values[i]!);
  return out;
}

/** Writes one record at `o` of a zero-filled buffer (the padding stays zero). */
export function encodeHvmCpu(view: DataView, out: Uint8Array, o: number, v: HvmHwCpu): void {
  setBytes(out, o, v.fpuRegs, 512);
  setU64(view, o + 512, v.rax);
  setU64(view, o + 520, v.rbx);
  setU64(view, o + 528, v.rcx);
  setU64(view, o + 536, v.rdx);
  setU64(view, o + 544, v.rbp);
  setU64(view, o + 552, v.rsi);
  setU64(view, o + 560, v.rdi);
  setU64(view, o + 568, v.rsp);
  setU64(view, o + 576, v.r8);
  setU64(view, o + 584, v.r9);
  setU64(view, o + 592, v.r10);
  setU64(view, o + 600, v.r11);
  setU64(view, o + 608, v.r12);
  setU64(view, o + 616, v.r13);
  setU64(view, o + 624, v.r14);
  setU64(view, o + 632, v.r15);
  setU64(view, o + 640, v.rip);
  setU64(view, o + 648, v.rflags);
  setU64(view, o + 656, v.cr0);
  setU64(view, o + 664, v.cr2);
  setU64(view, o + 672, v.cr3);
  setU64(view, o + 680, v.cr4);
  setU64(view, o + 688, v.dr0);
  setU64(view, o + 696, v.dr1);
  setU64(view, o + 704, v.dr2);
  setU64(view, o + 712, v.dr3);
  setU64(view, o + 720, v.dr6);
  setU64(view, o + 728, v.dr7);
  setU32(view, o + 736, v.csSel);
  setU32(view, o + 740, v.dsSel);
  setU32(view, o + 744, v.esSel);
  setU32(view, o + 748, v.fsSel);
  setU32(view, o + 752, v.gsSel);
  setU32(view, o + 756, v.ssSel);
  setU32(view, o + 760, v.trSel);
  setU32(view, o + 764, v.ldtrSel);
  setU32(view, o + 768, v.csLimit);
  setU32(view, o + 772, v.dsLimit);
  setU32(view, o + 776, v.esLimit);
  setU32(view, o + 780, v.fsLimit);
  setU32(view, o + 784, v.gsLimit);
  setU32(view, o + 788, v.ssLimit);
  setU32(view, o + 792, v.trLimit);
  setU32(view, o + 796, v.ldtrLimit);
  setU32(view, o + 800, v.idtrLimit);
  setU32(view, o + 804, v.gdtrLimit);
  setU64(view, o + 808, v.csBase);
  setU64(view, o + 816, v.dsBase);
  setU64(view, o + 824, v.esBase);
  setU64(view, o + 832, v.fsBase);
  setU64(view, o + 840, v.gsBase);
  setU64(view, o + 848, v.ssBase);
  setU64(view, o + 856, v.trBase);
  setU64(view, o + 864, v.ldtrBase);
  setU64(view, o + 872, v.idtrBase);
  setU64(view, o + 880, v.gdtrBase);
  setU32(view, o + 888, v.csArbytes);
  setU32(view, o + 892, v.dsArbytes);
  setU32(view, o + 896, v.esArbytes);
  setU32(view, o + 900, v.fsArbytes);
  setU32(view, o + 904, v.gsArbytes);
  setU32(view, o + 908, v.ssArbytes);
  setU32(view, o + 912, v.trArbytes);
  setU32(view, o + 916, v.ldtrArbytes);
  setU64(view, o + 920, v.sysenterCs);
  setU64(view, o + 928, v.sysenterEsp);
  setU64(view, o + 936, v.sysenterEip);
  setU64(view, o + 944, v.shadowGs);
  setU64(view, o + 952, v.msrFlags);
  setU64(view, o + 960, v.msrLstar);
  setU64(view, o + 968, v.msrStar);
  setU64(view, o + 976, v.msrCstar);
  setU64(view, o + 984, v.msrSyscallMask);
  setU64(view, o + 992, v.msrEfer);
  setU64(view, o + 1000, v.msrTscAux);
  setU64(view, o + 1008, v.tsc);
  setPendingEvent(view, o + 1016, v.pendingEvent);
  setU32(view, o + 1020, v.errorCode);
  setU32(view, o + 1024, v.flags);
}

/** Reads one record at `o` in number mode. */
export function decodeHvmCpuN(view: DataView, bytes: Uint8Array, o: number): HvmCpuN {
  if (o + HVM_CPU_SIZE > bytes.length) throw new DecodeError("truncated", `needs ${HVM_CPU_SIZE} bytes`, { offset: o });
  if (view.getUint32(o + 1028, true) !== 0) throw badPadding(o + 1028);
  return {
    fpuRegs: bytes.subarray(o, o + 512),
    rax: u64n(view, o + 512),
    rbx: u64n(view, o + 520),
    rcx: u64n(view, o + 528),
    rdx: u64n(view, o + 536),
    rbp: u64n(view, o + 544),
    rsi: u64n(view, o + 552),
    rdi: u64n(view, o + 560),
    rsp: u64n(view, o + 568),
    r8: u64n(view, o + 576),
    r9: u64n(view, o + 584),
    r10: u64n(view, o + 592),
    r11: u64n(view, o + 600),
    r12: u64n(view, o + 608),
    r13: u64n(view, o + 616),
    r14: u64n(view, o + 624),
    r15: u64n(view, o + 632),
    rip: u64n(view, o + 640),
    rflags: u64n(view, o + 648),
    cr0: u64n(view, o + 656),
    cr2: u64n(view, o + 664),
    cr3: u64n(view, o + 672),
    cr4: u64n(view, o + 680),
    dr0: u64n(view, o + 688),
    dr1: u64n(view, o + 696),
    dr2: u64n(view, o + 704),
    dr3: u64n(view, o + 712),
    dr6: u64n(view, o + 720),
    dr7: u64n(view, o + 728),
    csSel: view.getUint32(o + 736, true),
    dsSel: view.getUint32(o + 740, true),
    esSel: view.getUint32(o + 744, true),
    fsSel: view.getUint32(o + 748, true),
    gsSel: view.getUint32(o + 752, true),
    ssSel: view.getUint32(o + 756, true),
    trSel: view.getUint32(o + 760, true),
    ldtrSel: view.getUint32(o + 764, true),
    csLimit: view.getUint32(o + 768, true),
    dsLimit: view.getUint32(o + 772, true),
    esLimit: view.getUint32(o + 776, true),
    fsLimit: view.getUint32(o + 780, true),
    gsLimit: view.getUint32(o + 784, true),
    ssLimit: view.getUint32(o + 788, true),
    trLimit: view.getUint32(o + 792, true),
    ldtrLimit: view.getUint32(o + 796, true),
    idtrLimit: view.getUint32(o + 800, true),
    gdtrLimit: view.getUint32(o + 804, true),
    csBase: u64n(view, o + 808),
    dsBase: u64n(view, o + 816),
    esBase: u64n(view, o + 824),
    fsBase: u64n(view, o + 832),
    gsBase: u64n(view, o + 840),
    ssBase: u64n(view, o + 848),
    trBase: u64n(view, o + 856),
    ldtrBase: u64n(view, o + 864),
    idtrBase: u64n(view, o + 872),
    gdtrBase: u64n(view, o + 880),
    csArbytes: view.getUint32(o + 888, true),
    dsArbytes: view.getUint32(o + 892, true),
    esArbytes: view.getUint32(o + 896, true),
    fsArbytes: view.getUint32(o + 900, true),
    gsArbytes: view.getUint32(o + 904, true),
    ssArbytes: view.getUint32(o + 908, true),
    trArbytes: view.getUint32(o + 912, true),
    ldtrArbytes: view.getUint32(o + 916, true),
    sysenterCs: u64n(view, o + 920),
    sysenterEsp: u64n(view, o + 928),
    sysenterEip: u64n(view, o + 936),
    shadowGs: u64n(view, o + 944),
    msrFlags: u64n(view, o + 952),
    msrLstar: u64n(view, o + 960),
    msrStar: u64n(view, o + 968),
    msrCstar: u64n(view, o + 976),
    msrSyscallMask: u64n(view, o + 984),
    msrEfer: u64n(view, o + 992),
    msrTscAux: u64n(view, o + 1000),
    tsc: u64n(view, o + 1008),
    pendingEvent: pendingEvent(view.getUint32(o + 1016, true)),
    errorCode: view.getUint32(o + 1020, true),
    flags: view.getUint32(o + 1024, true),
  };
}

/** Decodes `count` back-to-back records into an array (number mode). */
export function decodeHvmCpusN(bytes: Uint8Array, count: number): HvmCpuN[] {
  checkRecords(bytes, count, HVM_CPU_SIZE);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: HvmCpuN[] = [];
  for (let o = 0; o < bytes.length; o += HVM_CPU_SIZE) out.push(decodeHvmCpuN(view, bytes, o));
  return out;
}

/** Per record: decodes each record, uses a field, drops the record (the last one escapes to {@link sink}). */
export function eachHvmCpuN(bytes: Uint8Array, count: number): number {
  checkRecords(bytes, count, HVM_CPU_SIZE);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let sum = 0;
  for (let o = 0; o < bytes.length; o += HVM_CPU_SIZE) {
    const v = decodeHvmCpuN(view, bytes, o);
    sum += v.csSel;
    sink = v;
  }
  return sum;
}

/** Encodes records into a new buffer (number mode). */
export function encodeHvmCpusN(values: readonly HvmCpuN[]): Uint8Array {
  const out = new Uint8Array(values.length * HVM_CPU_SIZE);
  const view = new DataView(out.buffer);
  for (let i = 0; i < values.length; i++) encodeHvmCpuN(view, out, i * HVM_CPU_SIZE, values[i]!);
  return out;
}

/** Writes one record at `o` of a zero-filled buffer (the padding stays zero). */
export function encodeHvmCpuN(view: DataView, out: Uint8Array, o: number, v: HvmCpuN): void {
  setBytes(out, o, v.fpuRegs, 512);
  setU64n(view, o + 512, v.rax);
  setU64n(view, o + 520, v.rbx);
  setU64n(view, o + 528, v.rcx);
  setU64n(view, o + 536, v.rdx);
  setU64n(view, o + 544, v.rbp);
  setU64n(view, o + 552, v.rsi);
  setU64n(view, o + 560, v.rdi);
  setU64n(view, o + 568, v.rsp);
  setU64n(view, o + 576, v.r8);
  setU64n(view, o + 584, v.r9);
  setU64n(view, o + 592, v.r10);
  setU64n(view, o + 600, v.r11);
  setU64n(view, o + 608, v.r12);
  setU64n(view, o + 616, v.r13);
  setU64n(view, o + 624, v.r14);
  setU64n(view, o + 632, v.r15);
  setU64n(view, o + 640, v.rip);
  setU64n(view, o + 648, v.rflags);
  setU64n(view, o + 656, v.cr0);
  setU64n(view, o + 664, v.cr2);
  setU64n(view, o + 672, v.cr3);
  setU64n(view, o + 680, v.cr4);
  setU64n(view, o + 688, v.dr0);
  setU64n(view, o + 696, v.dr1);
  setU64n(view, o + 704, v.dr2);
  setU64n(view, o + 712, v.dr3);
  setU64n(view, o + 720, v.dr6);
  setU64n(view, o + 728, v.dr7);
  setU32(view, o + 736, v.csSel);
  setU32(view, o + 740, v.dsSel);
  setU32(view, o + 744, v.esSel);
  setU32(view, o + 748, v.fsSel);
  setU32(view, o + 752, v.gsSel);
  setU32(view, o + 756, v.ssSel);
  setU32(view, o + 760, v.trSel);
  setU32(view, o + 764, v.ldtrSel);
  setU32(view, o + 768, v.csLimit);
  setU32(view, o + 772, v.dsLimit);
  setU32(view, o + 776, v.esLimit);
  setU32(view, o + 780, v.fsLimit);
  setU32(view, o + 784, v.gsLimit);
  setU32(view, o + 788, v.ssLimit);
  setU32(view, o + 792, v.trLimit);
  setU32(view, o + 796, v.ldtrLimit);
  setU32(view, o + 800, v.idtrLimit);
  setU32(view, o + 804, v.gdtrLimit);
  setU64n(view, o + 808, v.csBase);
  setU64n(view, o + 816, v.dsBase);
  setU64n(view, o + 824, v.esBase);
  setU64n(view, o + 832, v.fsBase);
  setU64n(view, o + 840, v.gsBase);
  setU64n(view, o + 848, v.ssBase);
  setU64n(view, o + 856, v.trBase);
  setU64n(view, o + 864, v.ldtrBase);
  setU64n(view, o + 872, v.idtrBase);
  setU64n(view, o + 880, v.gdtrBase);
  setU32(view, o + 888, v.csArbytes);
  setU32(view, o + 892, v.dsArbytes);
  setU32(view, o + 896, v.esArbytes);
  setU32(view, o + 900, v.fsArbytes);
  setU32(view, o + 904, v.gsArbytes);
  setU32(view, o + 908, v.ssArbytes);
  setU32(view, o + 912, v.trArbytes);
  setU32(view, o + 916, v.ldtrArbytes);
  setU64n(view, o + 920, v.sysenterCs);
  setU64n(view, o + 928, v.sysenterEsp);
  setU64n(view, o + 936, v.sysenterEip);
  setU64n(view, o + 944, v.shadowGs);
  setU64n(view, o + 952, v.msrFlags);
  setU64n(view, o + 960, v.msrLstar);
  setU64n(view, o + 968, v.msrStar);
  setU64n(view, o + 976, v.msrCstar);
  setU64n(view, o + 984, v.msrSyscallMask);
  setU64n(view, o + 992, v.msrEfer);
  setU64n(view, o + 1000, v.msrTscAux);
  setU64n(view, o + 1008, v.tsc);
  setPendingEvent(view, o + 1016, v.pendingEvent);
  setU32(view, o + 1020, v.errorCode);
  setU32(view, o + 1024, v.flags);
}
