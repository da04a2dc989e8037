import { describe, expect, it } from "vitest";
import * as g from "../../generated/index.js";
import { compileSchemas } from "../../generator/pipeline.js";
import type { StructDecl } from "../../generator/model/model.js";

// Sizes and offsets of the real Xen structures (Xen's public headers; reference.size), pinned so a
// schema edit that breaks a layout fails here with the number it should have kept.

describe("struct sizes match Xen's headers", () => {
  it.each([
    ["vcpu_guest_context x86_64", g.VCPU_GUEST_CONTEXT_X86_64_SIZE, 5168],
    ["vcpu_guest_context x86_32", g.VCPU_GUEST_CONTEXT_X86_32_SIZE, 2800],
    ["vcpu_guest_context arm", g.VCPU_GUEST_CONTEXT_ARM_SIZE, 352],
    ["cpu_user_regs x86_64", g.CPU_USER_REGS_X86_64_SIZE, 200],
    ["cpu_user_regs x86_32", g.CPU_USER_REGS_X86_32_SIZE, 68],
    ["vcpu_guest_core_regs arm", g.VCPU_GUEST_CORE_REGS_ARM_SIZE, 312],
    ["trap_info x86_64", g.TRAP_INFO_X86_64_SIZE, 16],
    ["trap_info x86_32", g.TRAP_INFO_X86_32_SIZE, 8],
    ["xen_cpuid_leaf_t", g.CPUID_LEAF_SIZE, 24],
    ["xen_msr_entry_t", g.MSR_ENTRY_SIZE, 16],
    ["shared_info x86_64", g.SHARED_INFO_X86_64_SIZE, 3136],
    ["shared_info x86_32", g.SHARED_INFO_X86_32_SIZE, 2344],
    ["shared_info arm", g.SHARED_INFO_ARM_SIZE, 1088],
    ["vcpu_info x86_64", g.VCPU_INFO_X86_64_SIZE, 64],
    ["vcpu_info x86_32", g.VCPU_INFO_X86_32_SIZE, 64],
    ["vcpu_info arm", g.VCPU_INFO_ARM_SIZE, 48],
    ["vcpu_time_info", g.VCPU_TIME_INFO_SIZE, 32],
    ["shared-info page x86_64", g.SHARED_INFO_PAGE_X86_64_SIZE, 4096],
    ["shared-info page x86_32", g.SHARED_INFO_PAGE_X86_32_SIZE, 4096],
    ["shared-info page arm", g.SHARED_INFO_PAGE_ARM_SIZE, 4096],
    ["hvm_save_header", g.HVM_SAVE_HEADER_SIZE, 24],
    ["hvm_hw_cpu", g.HVM_HW_CPU_SIZE, 1032],
    ["hvm_hw_vpic", g.HVM_HW_VPIC_SIZE, 8],
    ["hvm_hw_vioapic", g.HVM_HW_VIOAPIC_SIZE, 400],
    ["hvm_hw_lapic", g.HVM_HW_LAPIC_SIZE, 32],
    ["hvm_hw_lapic_regs", g.HVM_HW_LAPIC_REGS_SIZE, 1024],
    ["hvm_hw_pit", g.HVM_HW_PIT_SIZE, 56],
    ["hvm_hw_rtc", g.HVM_HW_RTC_SIZE, 24],
    ["hvm_hw_hpet", g.HVM_HW_HPET_SIZE, 1048],
    ["hvm_hw_mtrr", g.HVM_HW_MTRR_SIZE, 240],
    ["hvm param (index, value)", g.HVM_PARAM_SIZE, 16],
    ["tsc info (X86_TSC_INFO)", g.TSC_INFO_SIZE, 24],
    ["dump-core xen version note (64-bit toolstack)", g.XEN_VERSION_INFO_SIZE, 1280],
    ["core pfn map entry (pfn, gmfn)", g.PFN_GMFN_SIZE, 16],
    ["image header", g.IMAGE_HEADER_SIZE, 152],
    ["section table entry", g.SECTION_ENTRY_SIZE, 48],
  ])("%s is %i bytes", (_, actual, expected) => {
    expect(actual).toBe(expected);
  });
});

describe("field offsets match Xen's headers", () => {
  const { model } = compileSchemas("schema");
  const structs = new Map(model!.modules.flatMap((m) => m.decls).filter((d): d is StructDecl => d.kind === "struct").map((d) => [d.name, d]));
  const offsets = (name: string) => Object.fromEntries(structs.get(name)!.fields.map((f) => [f.name, f.offset]));

  it("vcpu_guest_context x86_64", () => {
    expect(offsets("vcpu_guest_context_x86_64")).toMatchObject({
      fpu_ctxt: 0, flags: 512, user_regs: 520, trap_ctxt: 720, ldt_base: 4816, ldt_ents: 4824, gdt_frames: 4832,
      gdt_ents: 4960, kernel_ss: 4968, kernel_sp: 4976, ctrlreg: 4984, debugreg: 5048, event_callback_eip: 5112,
      failsafe_callback_eip: 5120, syscall_callback_eip: 5128, vm_assist: 5136, fs_base: 5144, gs_base_kernel: 5152, gs_base_user: 5160,
    });
  });
  it("vcpu_guest_context x86_32 (4-byte packing of 64-bit fields)", () => {
    expect(offsets("vcpu_guest_context_x86_32")).toMatchObject({
      flags: 512, user_regs: 516, trap_ctxt: 584, ldt_base: 2632, ldt_ents: 2636, gdt_frames: 2640, gdt_ents: 2704,
      kernel_ss: 2708, kernel_sp: 2712, ctrlreg: 2716, debugreg: 2748, event_callback_cs: 2780, event_callback_eip: 2784,
      failsafe_callback_cs: 2788, failsafe_callback_eip: 2792, vm_assist: 2796,
    });
  });
  it("vcpu_guest_context arm", () => {
    expect(offsets("vcpu_guest_context_arm")).toMatchObject({ flags: 0, user_regs: 8, sctlr: 320, ttbcr: 328, ttbr0: 336, ttbr1: 344 });
    expect(offsets("vcpu_guest_core_regs_arm")).toMatchObject({ x30: 240, pc64: 248, cpsr: 256, spsr_el1: 264, spsr_fiq: 272, sp_el0: 288, sp_el1: 296, elr_el1: 304 });
  });
  it("shared_info x86_64 and x86_32", () => {
    expect(offsets("shared_info_x86_64")).toMatchObject({ vcpu_info: 0, evtchn_pending: 2048, evtchn_mask: 2560, wc_version: 3072, wc_sec: 3076, wc_nsec: 3080, wc_sec_hi: 3084, arch: 3088 });
    expect(offsets("shared_info_x86_32")).toMatchObject({ evtchn_pending: 2048, evtchn_mask: 2176, wc_version: 2304, wc_sec: 2308, wc_nsec: 2312, arch: 2316 });
  });
  it("hvm_hw_cpu", () => {
    expect(offsets("hvm_hw_cpu")).toMatchObject({ fpu_regs: 0, rax: 512, rip: 640, rflags: 648, cr0: 656, cr4: 680, dr0: 688, dr7: 728, cs_sel: 736, tsc: 1008, pending_event: 1016, error_code: 1020, flags: 1024 });
  });
});
