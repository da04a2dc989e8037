/**
 * vcpu_guest_context_x86_64 (5168 bytes: fpu_ctxt, flags, user_regs, trap_ctxt[256], …; see
 * schema/arch_x86_64.yaml), hand-written with DataView: constant offsets, u64 as two u32 halves, one
 * object literal per record and per nested struct. A bigint version (our representation) and a number
 * version (u64 as the nearest number, as binary-parser's and Kaitai's number modes give).
 *
 * Layout: fpu_ctxt 0, flags 512, user_regs 520 (200 bytes), trap_ctxt 720 (256 × 16), ldt_base 4816,
 * ldt_ents 4824, gdt_frames 4832 (16 × 8), gdt_ents 4960, kernel_ss 4968, kernel_sp 4976, ctrlreg 4984
 * (8 × 8), debugreg 5048 (8 × 8), event_callback_eip 5112, failsafe_callback_eip 5120,
 * syscall_callback_eip 5128, vm_assist 5136, fs_base 5144, gs_base_kernel 5152, gs_base_user 5160.
 */
import type { CpuUserRegsX8664, TrapInfoX8664, VcpuGuestContextX8664 } from "../../generated/index.js";
import { DecodeError } from "../../runtime/errors.js";
import type { NumberMode } from "../data.js";
import { badPadding, checkArray, checkRecords, setBytes, setU16, setU32, setU64, setU64n, setU8, u64, u64n } from "./primitives.js";

/** The size of one record. */
export const VCPU_SIZE = 5168;

type VcpuN = NumberMode<VcpuGuestContextX8664>;

/** The last record a per-record loop decoded: it escapes, so nothing is optimised away. */
export let sink: unknown;

/** Reads one record at `o`. */
export function decodeVcpu(view: DataView, bytes: Uint8Array, o: number): VcpuGuestContextX8664 {
  if (o + VCPU_SIZE > bytes.length) throw new DecodeError("truncated", `needs ${VCPU_SIZE} bytes`, { offset: o });
  const trapCtxt: TrapInfoX8664[] = [];
  for (let t = o + 720; t < o + 4816; t += 16) {
    if (view.getUint32(t + 4, true) !== 0) throw badPadding(t + 4);
    trapCtxt.push({ vector: view.getUint8(t), flags: view.getUint8(t + 1), cs: view.getUint16(t + 2, true), address: u64(view, t + 8) });
  }
  const gdtFrames: bigint[] = [];
  for (let g = o + 4832; g < o + 4960; g += 8) gdtFrames.push(u64(view, g));
  const ctrlreg: bigint[] = [];
  for (let c = o + 4984; c < o + 5048; c += 8) ctrlreg.push(u64(view, c));
  const debugreg: bigint[] = [];
  for (let d = o + 5048; d < o + 5112; d += 8) debugreg.push(u64(view, d));
  return {
    fpuCtxt: bytes.subarray(o, o + 512),
    flags: u64(view, o + 512),
    userRegs: userRegs(view, o + 520),
    trapCtxt,
    ldtBase: u64(view, o + 4816),
    ldtEnts: u64(view, o + 4824),
    gdtFrames,
    gdtEnts: u64(view, o + 4960),
    kernelSs: u64(view, o + 4968),
    kernelSp: u64(view, o + 4976),
    ctrlreg,
    debugreg,
    eventCallbackEip: u64(view, o + 5112),
    failsafeCallbackEip: u64(view, o + 5120),
    syscallCallbackEip: u64(view, o + 5128),
    vmAssist: u64(view, o + 5136),
    fsBase: u64(view, o + 5144),
    gsBaseKernel: u64(view, o + 5152),
    gsBaseUser: u64(view, o + 5160),
  };
}

function userRegs(view: DataView, o: number): CpuUserRegsX8664 {
  if (
    (view.getUint16(o + 138, true) |
      (view.getUint32(o + 140, true) >>> 8) |
      view.getUint16(o + 162, true) |
      view.getUint32(o + 164, true) |
      view.getUint16(o + 170, true) |
      view.getUint32(o + 172, true) |
      view.getUint16(o + 178, true) |
      view.getUint32(o + 180, true) |
      view.getUint16(o + 186, true) |
      view.getUint32(o + 188, true) |
      view.getUint16(o + 194, true) |
      view.getUint32(o + 196, true)) !==
    0
  )
    throw badPadding(o + 138);
  return {
    r15: u64(view, o),
    r14: u64(view, o + 8),
    r13: u64(view, o + 16),
    r12: u64(view, o + 24),
    rbp: u64(view, o + 32),
    rbx: u64(view, o + 40),
    r11: u64(view, o + 48),
    r10: u64(view, o + 56),
    r9: u64(view, o + 64),
    r8: u64(view, o + 72),
    rax: u64(view, o + 80),
    rcx: u64(view, o + 88),
    rdx: u64(view, o + 96),
    rsi: u64(view, o + 104),
    rdi: u64(view, o + 112),
    errorCode: view.getUint32(o + 120, true),
    entryVector: view.getUint32(o + 124, true),
    rip: u64(view, o + 128),
    cs: view.getUint16(o + 136, true),
    savedUpcallMask: view.getUint8(o + 140),
    rflags: u64(view, o + 144),
    rsp: u64(view, o + 152),
    ss: view.getUint16(o + 160, true),
    es: view.getUint16(o + 168, true),
    ds: view.getUint16(o + 176, true),
    fs: view.getUint16(o + 184, true),
    gs: view.getUint16(o + 192, true),
  };
}

/** Decodes a vcpu_context body of `count` records into an array. */
export function decodeVcpus(bytes: Uint8Array, count: number): VcpuGuestContextX8664[] {
  checkRecords(bytes, count, VCPU_SIZE);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: VcpuGuestContextX8664[] = [];
  for (let o = 0; o < bytes.length; o += VCPU_SIZE) out.push(decodeVcpu(view, bytes, o));
  return out;
}

/** Per record: decodes each record, uses a field, drops the record (the last one escapes to {@link sink}). */
export function eachVcpu(bytes: Uint8Array, count: number): number {
  checkRecords(bytes, count, VCPU_SIZE);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let sum = 0;
  for (let o = 0; o < bytes.length; o += VCPU_SIZE) {
    const v = decodeVcpu(view, bytes, o);
    sum += v.userRegs.cs;
    sink = v;
  }
  return sum;
}

/** Encodes records into a new body. */
export function encodeVcpus(values: readonly VcpuGuestContextX8664[]): Uint8Array {
  const out = new Uint8Array(values.length * VCPU_SIZE);
  const view = new DataView(out.buffer);
  for (let i = 0; i < values.length; i++) encodeVcpu(view, out, i * VCPU_SIZE, values[i]!);
  return out;
}

/** Writes one record at `o` of a zero-filled buffer (padding stays zero). */
export function encodeVcpu(view: DataView, out: Uint8Array, o: number, v: VcpuGuestContextX8664): void {
  setBytes(out, o, v.fpuCtxt, 512);
  setU64(view, o + 512, v.flags);
  encodeUserRegs(view, o + 520, v.userRegs);
  checkArray(o + 720, v.trapCtxt, 256);
  for (let i = 0; i < 256; i++) {
    const t = v.trapCtxt[i]!;
    const at = o + 720 + i * 16;
    setU8(view, at, t.vector);
    setU8(view, at + 1, t.flags);
    setU16(view, at + 2, t.cs);
    setU64(view, at + 8, t.address);
  }
  setU64(view, o + 4816, v.ldtBase);
  setU64(view, o + 4824, v.ldtEnts);
  checkArray(o + 4832, v.gdtFrames, 16);
  for (let i = 0; i < 16; i++) setU64(view, o + 4832 + i * 8, v.gdtFrames[i]!);
  setU64(view, o + 4960, v.gdtEnts);
  setU64(view, o + 4968, v.kernelSs);
  setU64(view, o + 4976, v.kernelSp);
  checkArray(o + 4984, v.ctrlreg, 8);
  for (let i = 0; i < 8; i++) setU64(view, o + 4984 + i * 8, v.ctrlreg[i]!);
  checkArray(o + 5048, v.debugreg, 8);
  for (let i = 0; i < 8; i++) setU64(view, o + 5048 + i * 8, v.debugreg[i]!);
  setU64(view, o + 5112, v.eventCallbackEip);
  setU64(view, o + 5120, v.failsafeCallbackEip);
  setU64(view, o + 5128, v.syscallCallbackEip);
  setU64(view, o + 5136, v.vmAssist);
  setU64(view, o + 5144, v.fsBase);
  setU64(view, o + 5152, v.gsBaseKernel);
  setU64(view, o + 5160, v.gsBaseUser);
}

function encodeUserRegs(view: DataView, o: number, v: CpuUserRegsX8664): void {
  setU64(view, o, v.r15);
  setU64(view, o + 8, v.r14);
  setU64(view, o + 16, v.r13);
  setU64(view, o + 24, v.r12);
  setU64(view, o + 32, v.rbp);
  setU64(view, o + 40, v.rbx);
  setU64(view, o + 48, v.r11);
  setU64(view, o + 56, v.r10);
  setU64(view, o + 64, v.r9);
  setU64(view, o + 72, v.r8);
  setU64(view, o + 80, v.rax);
  setU64(view, o + 88, v.rcx);
  setU64(view, o + 96, v.rdx);
  setU64(view, o + 104, v.rsi);
  setU64(view, o + 112, v.rdi);
  setU32(view, o + 120, v.errorCode);
  setU32(view, o + 124, v.entryVector);
  setU64(view, o + 128, v.rip);
  setU16(view, o + 136, v.cs);
  setU8(view, o + 140, v.savedUpcallMask);
  setU64(view, o + 144, v.rflags);
  setU64(view, o + 152, v.rsp);
  setU16(view, o + 160, v.ss);
  setU16(view, o + 168, v.es);
  setU16(view, o + 176, v.ds);
  setU16(view, o + 184, v.fs);
  setU16(view, o + 192, v.gs);
}

/** Reads one record at `o` in number mode. */
export function decodeVcpuN(view: DataView, bytes: Uint8Array, o: number): VcpuN {
  if (o + VCPU_SIZE > bytes.length) throw new DecodeError("truncated", `needs ${VCPU_SIZE} bytes`, { offset: o });
  const trapCtxt: NumberMode<TrapInfoX8664>[] = [];
  for (let t = o + 720; t < o + 4816; t += 16) {
    if (view.getUint32(t + 4, true) !== 0) throw badPadding(t + 4);
    trapCtxt.push({ vector: view.getUint8(t), flags: view.getUint8(t + 1), cs: view.getUint16(t + 2, true), address: u64n(view, t + 8) });
  }
  const gdtFrames: number[] = [];
  for (let g = o + 4832; g < o + 4960; g += 8) gdtFrames.push(u64n(view, g));
  const ctrlreg: number[] = [];
  for (let c = o + 4984; c < o + 5048; c += 8) ctrlreg.push(u64n(view, c));
  const debugreg: number[] = [];
  for (let d = o + 5048; d < o + 5112; d += 8) debugreg.push(u64n(view, d));
  return {
    fpuCtxt: bytes.subarray(o, o + 512),
    flags: u64n(view, o + 512),
    userRegs: userRegsN(view, o + 520),
    trapCtxt,
    ldtBase: u64n(view, o + 4816),
    ldtEnts: u64n(view, o + 4824),
    gdtFrames,
    gdtEnts: u64n(view, o + 4960),
    kernelSs: u64n(view, o + 4968),
    kernelSp: u64n(view, o + 4976),
    ctrlreg,
    debugreg,
    eventCallbackEip: u64n(view, o + 5112),
    failsafeCallbackEip: u64n(view, o + 5120),
    syscallCallbackEip: u64n(view, o + 5128),
    vmAssist: u64n(view, o + 5136),
    fsBase: u64n(view, o + 5144),
    gsBaseKernel: u64n(view, o + 5152),
    gsBaseUser: u64n(view, o + 5160),
  };
}

function userRegsN(view: DataView, o: number): NumberMode<CpuUserRegsX8664> {
  if (
    (view.getUint16(o + 138, true) |
      (view.getUint32(o + 140, true) >>> 8) |
      view.getUint16(o + 162, true) |
      view.getUint32(o + 164, true) |
      view.getUint16(o + 170, true) |
      view.getUint32(o + 172, true) |
      view.getUint16(o + 178, true) |
      view.getUint32(o + 180, true) |
      view.getUint16(o + 186, true) |
      view.getUint32(o + 188, true) |
      view.getUint16(o + 194, true) |
      view.getUint32(o + 196, true)) !==
    0
  )
    throw badPadding(o + 138);
  return {
    r15: u64n(view, o),
    r14: u64n(view, o + 8),
    r13: u64n(view, o + 16),
    r12: u64n(view, o + 24),
    rbp: u64n(view, o + 32),
    rbx: u64n(view, o + 40),
    r11: u64n(view, o + 48),
    r10: u64n(view, o + 56),
    r9: u64n(view, o + 64),
    r8: u64n(view, o + 72),
    rax: u64n(view, o + 80),
    rcx: u64n(view, o + 88),
    rdx: u64n(view, o + 96),
    rsi: u64n(view, o + 104),
    rdi: u64n(view, o + 112),
    errorCode: view.getUint32(o + 120, true),
    entryVector: view.getUint32(o + 124, true),
    rip: u64n(view, o + 128),
    cs: view.getUint16(o + 136, true),
    savedUpcallMask: view.getUint8(o + 140),
    rflags: u64n(view, o + 144),
    rsp: u64n(view, o + 152),
    ss: view.getUint16(o + 160, true),
    es: view.getUint16(o + 168, true),
    ds: view.getUint16(o + 176, true),
    fs: view.getUint16(o + 184, true),
    gs: view.getUint16(o + 192, true),
  };
}

/** Decodes a vcpu_context body of `count` records into an array (number mode). */
export function decodeVcpusN(bytes: Uint8Array, count: number): VcpuN[] {
  checkRecords(bytes, count, VCPU_SIZE);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: VcpuN[] = [];
  for (let o = 0; o < bytes.length; o += VCPU_SIZE) out.push(decodeVcpuN(view, bytes, o));
  return out;
}

/** Per record: decodes each record, uses a field, drops the record (the last one escapes to {@link sink}). */
export function eachVcpuN(bytes: Uint8Array, count: number): number {
  checkRecords(bytes, count, VCPU_SIZE);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let sum = 0;
  for (let o = 0; o < bytes.length; o += VCPU_SIZE) {
    const v = decodeVcpuN(view, bytes, o);
    sum += v.userRegs.cs;
    sink = v;
  }
  return sum;
}

/** Encodes records into a new body (number mode). */
export function encodeVcpusN(values: readonly VcpuN[]): Uint8Array {
  const out = new Uint8Array(values.length * VCPU_SIZE);
  const view = new DataView(out.buffer);
  for (let i = 0; i < values.length; i++) encodeVcpuN(view, out, i * VCPU_SIZE, values[i]!);
  return out;
}

/** Writes one record at `o` of a zero-filled buffer (padding stays zero). */
export function encodeVcpuN(view: DataView, out: Uint8Array, o: number, v: VcpuN): void {
  setBytes(out, o, v.fpuCtxt, 512);
  setU64n(view, o + 512, v.flags);
  encodeUserRegsN(view, o + 520, v.userRegs);
  checkArray(o + 720, v.trapCtxt, 256);
  for (let i = 0; i < 256; i++) {
    const t = v.trapCtxt[i]!;
    const at = o + 720 + i * 16;
    setU8(view, at, t.vector);
    setU8(view, at + 1, t.flags);
    setU16(view, at + 2, t.cs);
    setU64n(view, at + 8, t.address);
  }
  setU64n(view, o + 4816, v.ldtBase);
  setU64n(view, o + 4824, v.ldtEnts);
  checkArray(o + 4832, v.gdtFrames, 16);
  for (let i = 0; i < 16; i++) setU64n(view, o + 4832 + i * 8, v.gdtFrames[i]!);
  setU64n(view, o + 4960, v.gdtEnts);
  setU64n(view, o + 4968, v.kernelSs);
  setU64n(view, o + 4976, v.kernelSp);
  checkArray(o + 4984, v.ctrlreg, 8);
  for (let i = 0; i < 8; i++) setU64n(view, o + 4984 + i * 8, v.ctrlreg[i]!);
  checkArray(o + 5048, v.debugreg, 8);
  for (let i = 0; i < 8; i++) setU64n(view, o + 5048 + i * 8, v.debugreg[i]!);
  setU64n(view, o + 5112, v.eventCallbackEip);
  setU64n(view, o + 5120, v.failsafeCallbackEip);
  setU64n(view, o + 5128, v.syscallCallbackEip);
  setU64n(view, o + 5136, v.vmAssist);
  setU64n(view, o + 5144, v.fsBase);
  setU64n(view, o + 5152, v.gsBaseKernel);
  setU64n(view, o + 5160, v.gsBaseUser);
}

function encodeUserRegsN(view: DataView, o: number, v: NumberMode<CpuUserRegsX8664>): void {
  setU64n(view, o, v.r15);
  setU64n(view, o + 8, v.r14);
  setU64n(view, o + 16, v.r13);
  setU64n(view, o + 24, v.r12);
  setU64n(view, o + 32, v.rbp);
  setU64n(view, o + 40, v.rbx);
  setU64n(view, o + 48, v.r11);
  setU64n(view, o + 56, v.r10);
  setU64n(view, o + 64, v.r9);
  setU64n(view, o + 72, v.r8);
  setU64n(view, o + 80, v.rax);
  setU64n(view, o + 88, v.rcx);
  setU64n(view, o + 96, v.rdx);
  setU64n(view, o + 104, v.rsi);
  setU64n(view, o + 112, v.rdi);
  setU32(view, o + 120, v.errorCode);
  setU32(view, o + 124, v.entryVector);
  setU64n(view, o + 128, v.rip);
  setU16(view, o + 136, v.cs);
  setU8(view, o + 140, v.savedUpcallMask);
  setU64n(view, o + 144, v.rflags);
  setU64n(view, o + 152, v.rsp);
  setU16(view, o + 160, v.ss);
  setU16(view, o + 168, v.es);
  setU16(view, o + 176, v.ds);
  setU16(view, o + 184, v.fs);
  setU16(view, o + 192, v.gs);
}
