import {
  decodeVcpuGuestContextArm,
  decodeVcpuGuestContextX8632,
  decodeVcpuGuestContextX8664,
  VCPU_GUEST_CONTEXT_ARM_SIZE,
  VCPU_GUEST_CONTEXT_X86_32_SIZE,
  VCPU_GUEST_CONTEXT_X86_64_SIZE,
  VgcfFlags,
  VgcfFlagsArm,
  VgcfFlagsX8632,
  type VcpuGuestContextArm,
  type VcpuGuestContextX8632,
  type VcpuGuestContextX8664,
} from "../generated/index.js";
import type { SeededRandom } from "./random.js";
import { zeroed } from "./template.js";

/** Xen's flat PV segment selectors (FLAT_KERNEL_CS64/SS64, FLAT_KERNEL_CS/SS for 32-bit guests). */
const CS64 = 0xe033;
const SS64 = 0xe02b;
const CS32 = 0xe019;
const SS32 = 0xe021;

/** A 64-bit PV vcpu in its kernel: registers, a trap table, a GDT frame, cr0/cr3/cr4. */
export function pvVcpuX8664(rng: SeededRandom, vcpu: number, l4Pfn: number, gdtPfn: number): VcpuGuestContextX8664 {
  const c = zeroed(decodeVcpuGuestContextX8664, VCPU_GUEST_CONTEXT_X86_64_SIZE);
  const kernel = 0xffff_ffff_8100_0000n;
  const reg = () => rng.u64() & 0x0000_7fff_ffff_fff8n;
  rng.fill(c.fpuCtxt);
  c.flags = VgcfFlags.i387_valid | VgcfFlags.in_kernel | VgcfFlags.online;
  const u = c.userRegs;
  for (const r of ["r15", "r14", "r13", "r12", "rbp", "rbx", "r11", "r10", "r9", "r8", "rax", "rcx", "rdx", "rsi", "rdi"] as const) u[r] = reg();
  u.rip = kernel + BigInt(rng.below(0x80_0000));
  u.cs = CS64;
  u.rflags = 0x246n;
  u.rsp = 0xffff_c900_0000_0000n + BigInt(vcpu) * 0x4000n + 0x3f00n;
  u.ss = SS64;
  c.trapCtxt.forEach((t, vector) => {
    if (vector >= 20 && vector !== 0x80) return;
    t.vector = vector;
    t.flags = vector === 3 || vector === 4 || vector === 0x80 ? 3 : 0;
    t.cs = CS64;
    t.address = kernel + 0x1000n + BigInt(vector) * 0x40n;
  });
  c.gdtFrames[0] = BigInt(gdtPfn + vcpu);
  c.gdtEnts = 512n;
  c.kernelSs = BigInt(SS64);
  c.kernelSp = 0xffff_c900_0000_0000n + BigInt(vcpu) * 0x4000n + 0x4000n;
  c.ctrlreg[0] = 0x8005_0033n;
  c.ctrlreg[3] = BigInt(l4Pfn) << 12n;
  c.ctrlreg[4] = 0x0036_06f0n;
  c.debugreg[6] = 0xffff_0ff0n;
  c.debugreg[7] = 0x400n;
  c.eventCallbackEip = kernel + 0x2000n;
  c.failsafeCallbackEip = kernel + 0x2100n;
  c.syscallCallbackEip = kernel + 0x2200n;
  c.vmAssist = 0x2dn;
  c.gsBaseKernel = 0xffff_8880_0000_0000n + BigInt(vcpu) * 0x2_0000n;
  return c;
}

/** A 32-bit PAE PV vcpu in its kernel. cr3 holds the pfn rotated left by 12 (xen_pfn_to_cr3). */
export function pvVcpuX8632(rng: SeededRandom, vcpu: number, l3Pfn: number, gdtPfn: number): VcpuGuestContextX8632 {
  const c = zeroed(decodeVcpuGuestContextX8632, VCPU_GUEST_CONTEXT_X86_32_SIZE);
  const kernel = 0xc100_0000;
  rng.fill(c.fpuCtxt);
  c.flags = VgcfFlagsX8632.i387_valid | VgcfFlagsX8632.in_kernel | VgcfFlagsX8632.online;
  const u = c.userRegs;
  for (const r of ["ebx", "ecx", "edx", "esi", "edi", "ebp", "eax"] as const) u[r] = rng.u32();
  u.eip = kernel + rng.below(0x40_0000);
  u.cs = CS32;
  u.eflags = 0x246;
  u.esp = 0xc200_0000 + vcpu * 0x2000 + 0x1f00;
  u.ss = SS32;
  c.trapCtxt.forEach((t, vector) => {
    if (vector >= 20 && vector !== 0x80) return;
    t.vector = vector;
    t.flags = vector === 3 || vector === 4 || vector === 0x80 ? 3 : 0;
    t.cs = CS32;
    t.address = kernel + 0x1000 + vector * 0x20;
  });
  c.gdtFrames[0] = gdtPfn + vcpu;
  c.gdtEnts = 512;
  c.kernelSs = SS32;
  c.kernelSp = 0xc200_0000 + vcpu * 0x2000 + 0x2000;
  c.ctrlreg[0] = 0x8005_003b;
  c.ctrlreg[3] = ((l3Pfn << 12) | (l3Pfn >>> 20)) >>> 0;
  c.ctrlreg[4] = 0x0000_06f0;
  c.debugreg[6] = 0xffff_0ff0;
  c.debugreg[7] = 0x400;
  c.eventCallbackCs = CS32;
  c.eventCallbackEip = kernel + 0x2000;
  c.failsafeCallbackCs = CS32;
  c.failsafeCallbackEip = kernel + 0x2100;
  c.vmAssist = 0x2d;
  return c;
}

/** An AArch64 vcpu at EL1 with the MMU on. */
export function armVcpu(rng: SeededRandom, vcpu: number, ttbrPfn: number): VcpuGuestContextArm {
  const c = zeroed(decodeVcpuGuestContextArm, VCPU_GUEST_CONTEXT_ARM_SIZE);
  const u = c.userRegs;
  for (let i = 0; i <= 30; i++) (u as unknown as Record<string, bigint>)[`x${i}`] = rng.u64() & 0x0000_ffff_ffff_fff8n;
  c.flags = VgcfFlagsArm.online;
  u.pc64 = 0xffff_8000_1000_0000n + BigInt(rng.below(0x100_0000)) * 4n;
  u.cpsr = 0x3c5n; // EL1h, interrupts masked
  u.spEl1 = 0xffff_8000_2000_0000n + BigInt(vcpu) * 0x4000n;
  c.sctlr = 0x30d0_199d;
  c.ttbcr = 0x0000_0032_b559_3519n;
  c.ttbr0 = BigInt(ttbrPfn) << 12n;
  c.ttbr1 = BigInt(ttbrPfn + 1) << 12n;
  return c;
}
