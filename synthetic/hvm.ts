import {
  decodeHvmHwCpu,
  decodeHvmHwHpet,
  decodeHvmHwLapic,
  decodeHvmHwMtrr,
  decodeHvmHwPit,
  decodeHvmHwRtc,
  decodeHvmHwVioapic,
  decodeHvmHwVpic,
  HVM_HW_CPU_SIZE,
  HVM_HW_HPET_SIZE,
  HVM_HW_LAPIC_SIZE,
  HVM_HW_MTRR_SIZE,
  HVM_HW_PIT_SIZE,
  HVM_HW_RTC_SIZE,
  HVM_HW_VIOAPIC_SIZE,
  HVM_HW_VPIC_SIZE,
  HvmParamIndex,
  type HvmParam,
  type HvmRecord,
  type HvmHwCpu,
} from "../generated/index.js";
import type { SeededRandom } from "./random.js";
import { zeroed } from "./template.js";

/** A vcpu of a 64-bit HVM guest in long mode, in its kernel. */
function cpu(rng: SeededRandom, vcpu: number, cr3Pfn: number): HvmHwCpu {
  const c = zeroed(decodeHvmHwCpu, HVM_HW_CPU_SIZE);
  rng.fill(c.fpuRegs);
  for (const r of ["rax", "rbx", "rcx", "rdx", "rbp", "rsi", "rdi", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15"] as const) {
    c[r] = rng.u64() & 0x0000_7fff_ffff_fff8n;
  }
  c.rip = 0xffff_ffff_8100_0000n + BigInt(rng.below(0x80_0000));
  c.rsp = 0xffff_c900_0000_0000n + BigInt(vcpu) * 0x4000n + 0x3f00n;
  c.rflags = 0x246n;
  c.cr0 = 0x8005_0033n;
  c.cr3 = BigInt(cr3Pfn) << 12n;
  c.cr4 = 0x0036_06f0n;
  c.dr6 = 0xffff_0ff0n;
  c.dr7 = 0x400n;
  c.csSel = 0x10;
  c.dsSel = c.esSel = c.ssSel = 0x18;
  c.csArbytes = 0xa09b;
  c.dsArbytes = c.esArbytes = c.ssArbytes = 0xc093;
  c.csLimit = c.dsLimit = c.esLimit = c.ssLimit = 0xffff_ffff;
  c.trSel = 0x40;
  c.trArbytes = 0x8b;
  c.trLimit = 0x67;
  c.gdtrBase = 0xffff_fe00_0000_0000n + BigInt(vcpu) * 0x1000n;
  c.gdtrLimit = 0x7f;
  c.idtrBase = 0xffff_fe00_0000_1000n;
  c.idtrLimit = 0xfff;
  c.msrEfer = 0xd01n;
  c.msrLstar = 0xffff_ffff_8180_0000n;
  c.msrStar = 0x0023_0010_0000_0000n;
  c.msrSyscallMask = 0x47700n;
  c.gsBase = 0xffff_8880_0000_0000n + BigInt(vcpu) * 0x2_0000n;
  c.tsc = rng.u64() >> 4n;
  return c;
}

/**
 * The HVM context a 64-bit HVM guest's hypervisor reports: header, per-vcpu CPU, local APIC and MTRR
 * records, the platform devices (PICs, IO-APIC, PIT, RTC, HPET), and the end record.
 */
export function hvmContext(rng: SeededRandom, vcpus: number): HvmRecord[] {
  const records: HvmRecord[] = [
    { instance: 0, body: { type: "header", value: { magic: 0x5438_1286, version: 1, changeset: 0xffff_ffff_ffff_ffffn, cpuid: 0x000906ea, gtscKhz: 2_400_000 } } },
  ];
  for (let v = 0; v < vcpus; v++) records.push({ instance: v, body: { type: "cpu", value: cpu(rng, v, 0x1000) } });
  for (let pic = 0; pic < 2; pic++) {
    const p = zeroed(decodeHvmHwVpic, HVM_HW_VPIC_SIZE);
    p.irqBase = pic === 0 ? 0x30 : 0x38;
    p.imr = 0xff;
    p.mode.isMaster = pic === 0 ? 1 : 0;
    records.push({ instance: pic, body: { type: "pic", value: p } });
  }
  const ioapic = zeroed(decodeHvmHwVioapic, HVM_HW_VIOAPIC_SIZE);
  ioapic.baseAddress = 0xfec0_0000n;
  ioapic.redirtbl.forEach((e, pin) => {
    e.vector = 0x30 + pin;
  });
  records.push({ instance: 0, body: { type: "ioapic", value: ioapic } });
  for (let v = 0; v < vcpus; v++) {
    const lapic = zeroed(decodeHvmHwLapic, HVM_HW_LAPIC_SIZE);
    lapic.apicBaseMsr = 0xfee0_0900n | (v === 0 ? 0x100n : 0n);
    lapic.timerDivisor = 1;
    records.push({ instance: v, body: { type: "lapic", value: lapic } });
    const regs = new Uint8Array(1024);
    regs[0x20 + 3] = v; // APIC ID register
    records.push({ instance: v, body: { type: "lapic_regs", value: { data: regs } } });
  }
  for (let v = 0; v < vcpus; v++) {
    const mtrr = zeroed(decodeHvmHwMtrr, HVM_HW_MTRR_SIZE);
    mtrr.msrPatCr = 0x0007_0406_0007_0406n;
    mtrr.msrMtrrCap = 0x508n;
    mtrr.msrMtrrDefType = 0xc06n;
    records.push({ instance: v, body: { type: "mtrr", value: mtrr } });
  }
  const pit = zeroed(decodeHvmHwPit, HVM_HW_PIT_SIZE);
  pit.channels[0]!.count = 0x2e9b;
  records.push({ instance: 0, body: { type: "pit", value: pit } });
  const rtc = zeroed(decodeHvmHwRtc, HVM_HW_RTC_SIZE);
  rng.fill(rtc.cmosData);
  records.push({ instance: 0, body: { type: "rtc", value: rtc } });
  const hpet = zeroed(decodeHvmHwHpet, HVM_HW_HPET_SIZE);
  hpet.capability = 0x0429_b17f_8086_a201n;
  records.push({ instance: 0, body: { type: "hpet", value: hpet } });
  records.push({ instance: 0, body: { type: "end" } });
  return records;
}

/** The HVM parameters a saver sends (zero-valued ones left out). */
export function hvmParams(pages: number): HvmParam[] {
  return [
    { index: HvmParamIndex.store_pfn, value: BigInt(pages - 2) },
    { index: HvmParamIndex.console_pfn, value: BigInt(pages - 3) },
    { index: HvmParamIndex.ioreq_server_pfn, value: BigInt(pages - 8) },
    { index: HvmParamIndex.nr_ioreq_server_pages, value: 4n },
    { index: HvmParamIndex.vm_generation_id_addr, value: 0xfc00_1000n },
  ];
}
