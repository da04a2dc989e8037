import { TscMode, type CpuidLeaf, type MsrEntry } from "../generated/index.js";
import type { SeededRandom } from "./random.js";

/** CPUID leaves a recent Intel host shows a guest: vendor, family/model, features, xsave sizes. */
export function cpuidPolicy(rng: SeededRandom, hvm: boolean): CpuidLeaf[] {
  const none = 0xffff_ffff;
  return [
    { leaf: 0x0, subleaf: none, eax: 0xd, ebx: 0x756e6547, ecx: 0x6c65746e, edx: 0x49656e69 }, // "GenuineIntel"
    { leaf: 0x1, subleaf: none, eax: 0x000906ea, ebx: 0x00100800, ecx: hvm ? 0xf7fa3223 : 0xf7fa3203, edx: 0x178bfbff },
    { leaf: 0x7, subleaf: 0, eax: 0, ebx: 0x009c07ab, ecx: 0x00000004, edx: 0xbc000400 },
    { leaf: 0xd, subleaf: 0, eax: 0x1f, ebx: 0x340, ecx: 0x440, edx: 0 },
    { leaf: 0xd, subleaf: 1, eax: 0xf, ebx: 0, ecx: 0, edx: 0 },
    { leaf: 0x8000_0000, subleaf: none, eax: 0x8000_0008, ebx: 0, ecx: 0, edx: 0 },
    { leaf: 0x8000_0001, subleaf: none, eax: 0, ebx: 0, ecx: 0x121, edx: 0x2c100800 },
    { leaf: 0x8000_0008, subleaf: none, eax: 0x3027, ebx: rng.u32() & 0x200, ecx: 0, edx: 0 },
  ];
}

/** The MSRs a CPU policy fixes (platform info, arch capabilities). */
export function msrPolicy(): MsrEntry[] {
  return [
    { index: 0xce, value: 0x8000_0000n }, // MSR_INTEL_PLATFORM_INFO: CPUID faulting
    { index: 0x10a, value: 0x2000_0c6bn }, // MSR_ARCH_CAPABILITIES
  ];
}

/** TSC state: default mode, a 2.4 GHz clock, some uptime. */
export function tscInfo(rng: SeededRandom) {
  return { mode: TscMode.default, khz: 2_400_000, nsec: BigInt(rng.u32()) * 1000n, incarnation: 1 };
}
