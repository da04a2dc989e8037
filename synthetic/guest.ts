import {
  Arch,
  ByteOrder,
  GuestType,
  ImageType,
  PageType,
  VgcfFlags,
  type CpuidLeaf,
  type ImageInit,
  type ImageSection,
  type PfnWord,
  type VcpuGuestContextX8664,
} from "../generated/index.js";
import { SeededRandom } from "./random.js";

/** What synthetic guest to make. Every option has a default; the same options give the same guest. */
export interface SyntheticGuestOptions {
  /** The PRNG seed. Default 1. */
  readonly seed?: number;
  /** Number of vcpus. Default 2. */
  readonly vcpus?: number;
  /** Guest memory in bytes (a multiple of 4096). Default 4 MiB. */
  readonly memoryBytes?: number;
  /** Pages per page_data section (Xen batches at most 1024). Default 1024. */
  readonly batchPages?: number;
  /** The domain's name. Default "synthetic-pv". */
  readonly name?: string;
}

const PAGE = 4096;
/** Xen's flat PV segment selectors for a 64-bit guest kernel (FLAT_KERNEL_CS64 / FLAT_KERNEL_SS64). */
const KERNEL_CS = 0xe033;
const KERNEL_SS = 0xe02b;
const KERNEL_BASE = 0xffff_ffff_8100_0000n;

/** CPUID leaves a modern Intel host would show a PV guest (vendor string, family/model, features). */
function cpuidPolicy(rng: SeededRandom): CpuidLeaf[] {
  const none = 0xffff_ffff;
  const vendor = [0x756e6547, 0x6c65746e, 0x49656e69]; // "GenuineIntel" in EBX, ECX, EDX order below
  return [
    { leaf: 0x0, subleaf: none, eax: 0xd, ebx: vendor[0]!, ecx: vendor[1]!, edx: vendor[2]! },
    { leaf: 0x1, subleaf: none, eax: 0x000906ea, ebx: 0x00100800, ecx: 0xf7fa3203, edx: 0x178bfbff },
    { leaf: 0x7, subleaf: 0, eax: 0, ebx: 0x009c07ab, ecx: 0x00000004, edx: 0xbc000400 },
    { leaf: 0xd, subleaf: 0, eax: 0x1f, ebx: 0x340, ecx: 0x440, edx: 0 },
    { leaf: 0xd, subleaf: 1, eax: 0xf, ebx: 0, ecx: 0, edx: 0 },
    { leaf: 0x8000_0000, subleaf: none, eax: 0x8000_0008, ebx: 0, ecx: 0, edx: 0 },
    { leaf: 0x8000_0001, subleaf: none, eax: 0, ebx: 0, ecx: 0x121, edx: 0x2c100800 },
    { leaf: 0x8000_0008, subleaf: none, eax: 0x3027, ebx: rng.u32() & 0x200, ecx: 0, edx: 0 },
  ];
}

/** One vcpu's PV context: registers in the kernel, a trap table, GDT frames, cr0/cr3/cr4. */
function vcpuContext(rng: SeededRandom, vcpu: number, l4Pfn: number, gdtPfn: number): VcpuGuestContextX8664 {
  const fpu = new Uint8Array(512);
  rng.fill(fpu);
  const reg = () => rng.u64() & 0x0000_7fff_ffff_fff8n;
  const trapCtxt = Array.from({ length: 256 }, (_, vector) =>
    vector < 20 || vector === 0x80
      ? { vector, flags: vector === 3 || vector === 4 || vector === 0x80 ? 3 : 0, cs: KERNEL_CS, address: KERNEL_BASE + 0x1000n + BigInt(vector) * 0x40n }
      : { vector: 0, flags: 0, cs: 0, address: 0n },
  );
  const ctrlreg = [0x8005_0033n, 0n, 0n, BigInt(l4Pfn) << 12n, 0x0036_06f0n, 0n, 0n, 0n];
  return {
    fpuCtxt: fpu,
    flags: VgcfFlags.i387_valid | VgcfFlags.in_kernel | VgcfFlags.online,
    userRegs: {
      r15: reg(), r14: reg(), r13: reg(), r12: reg(), rbp: reg(), rbx: reg(), r11: reg(), r10: reg(),
      r9: reg(), r8: reg(), rax: reg(), rcx: reg(), rdx: reg(), rsi: reg(), rdi: reg(),
      errorCode: 0,
      entryVector: 0,
      rip: KERNEL_BASE + BigInt(rng.below(0x80_0000)),
      cs: KERNEL_CS,
      savedUpcallMask: 0,
      rflags: 0x246n,
      rsp: 0xffff_c900_0000_0000n + BigInt(vcpu) * 0x4000n + 0x3f00n,
      ss: KERNEL_SS,
      es: 0,
      ds: 0,
      fs: 0,
      gs: 0,
    },
    trapCtxt,
    ldtBase: 0n,
    ldtEnts: 0n,
    gdtFrames: Array.from({ length: 16 }, (_, i) => (i === 0 ? BigInt(gdtPfn + vcpu) : 0n)),
    gdtEnts: 512n,
    kernelSs: BigInt(KERNEL_SS),
    kernelSp: 0xffff_c900_0000_0000n + BigInt(vcpu) * 0x4000n + 0x4000n,
    ctrlreg,
    debugreg: [0n, 0n, 0n, 0n, 0n, 0n, 0xffff_0ff0n, 0x400n],
    eventCallbackEip: KERNEL_BASE + 0x2000n,
    failsafeCallbackEip: KERNEL_BASE + 0x2100n,
    syscallCallbackEip: KERNEL_BASE + 0x2200n,
    vmAssist: 0x2dn,
    fsBase: 0n,
    gsBaseKernel: 0xffff_8880_0000_0000n + BigInt(vcpu) * 0x2_0000n,
    gsBaseUser: 0n,
  };
}

/** Page types of a small PV address space: one L4, a few L3/L2, many L1 tables (pinned at the top). */
function pageType(pfn: number, pages: number): number {
  if (pfn === 1) return PageType.l4_table_pinned;
  if (pfn >= 2 && pfn < 4) return PageType.l3_table;
  if (pfn >= 4 && pfn < 8) return PageType.l2_table;
  if (pfn >= 8 && pfn < 8 + Math.ceil(pages / 512)) return PageType.l1_table;
  if (pfn === pages - 1) return PageType.allocate_only;
  return PageType.normal;
}

/** The sections of a synthetic 64-bit PV guest's save image, in the order a saver writes them. */
export function syntheticPvGuest(options: SyntheticGuestOptions = {}): ImageInit {
  const seed = options.seed ?? 1;
  const vcpus = options.vcpus ?? 2;
  const memory = options.memoryBytes ?? 4 * 1024 * 1024;
  const batch = options.batchPages ?? 1024;
  const name = options.name ?? "synthetic-pv";
  if (memory % PAGE !== 0 || memory <= 0) throw new RangeError(`memoryBytes must be a positive multiple of ${PAGE}`);
  const rng = new SeededRandom(seed);
  const pages = memory / PAGE;
  const uuid = new Uint8Array(16);
  rng.fill(uuid);
  uuid[6] = (uuid[6]! & 0x0f) | 0x40;
  uuid[8] = (uuid[8]! & 0x3f) | 0x80;
  const config = JSON.stringify({ c_info: { type: "pv", name }, b_info: { max_vcpus: vcpus, max_memkb: memory / 1024 } });

  const sections: ImageSection[] = [
    { type: "guest_config", body: { config } },
    { type: "cpuid", body: cpuidPolicy(rng) },
  ];
  for (let first = 0; first < pages; first += batch) {
    const pfns: PfnWord[] = [];
    const data: Uint8Array[] = [];
    for (let pfn = first; pfn < Math.min(pages, first + batch); pfn++) {
      const type = pageType(pfn, pages);
      pfns.push({ type, pfn });
      if (type === PageType.allocate_only) continue;
      const page = new Uint8Array(PAGE);
      rng.fill(page);
      data.push(page);
    }
    sections.push({ type: "page_data", body: { pfns, pages: data } });
  }
  sections.push({ type: "vcpu_context", body: Array.from({ length: vcpus }, (_, v) => vcpuContext(rng, v, 1, 16)) });

  return {
    header: {
      byteOrder: ByteOrder.little,
      imageType: ImageType.save,
      guestType: GuestType.pv,
      arch: Arch.x86_64,
      pageShift: 12,
      xenMajor: 4,
      xenMinor: 19,
      domainId: 7 + (seed % 100),
      vcpuCount: vcpus,
      memorySize: BigInt(memory),
      uuid,
      name,
    },
    sections,
  };
}
