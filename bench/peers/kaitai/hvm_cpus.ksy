# hvm_hw_cpu (schema/hvm_records.yaml) in Kaitai Struct: CPU record bodies back to back.
# Written by hand from the schema; compiled to JavaScript by kaitai-struct-compiler (bench/peers/kaitai/compile.ts).
meta:
  id: hvm_cpus
  endian: le
seq:
  - id: entries
    type: hvm_hw_cpu
    repeat: eos
types:
  hvm_hw_cpu:
    seq:
      - id: fpu_regs
        size: 512
      - id: rax
        type: u8
      - id: rbx
        type: u8
      - id: rcx
        type: u8
      - id: rdx
        type: u8
      - id: rbp
        type: u8
      - id: rsi
        type: u8
      - id: rdi
        type: u8
      - id: rsp
        type: u8
      - id: r8
        type: u8
      - id: r9
        type: u8
      - id: r10
        type: u8
      - id: r11
        type: u8
      - id: r12
        type: u8
      - id: r13
        type: u8
      - id: r14
        type: u8
      - id: r15
        type: u8
      - id: rip
        type: u8
      - id: rflags
        type: u8
      - id: cr0
        type: u8
      - id: cr2
        type: u8
      - id: cr3
        type: u8
      - id: cr4
        type: u8
      - id: dr0
        type: u8
      - id: dr1
        type: u8
      - id: dr2
        type: u8
      - id: dr3
        type: u8
      - id: dr6
        type: u8
      - id: dr7
        type: u8
      - id: cs_sel
        type: u4
      - id: ds_sel
        type: u4
      - id: es_sel
        type: u4
      - id: fs_sel
        type: u4
      - id: gs_sel
        type: u4
      - id: ss_sel
        type: u4
      - id: tr_sel
        type: u4
      - id: ldtr_sel
        type: u4
      - id: cs_limit
        type: u4
      - id: ds_limit
        type: u4
      - id: es_limit
        type: u4
      - id: fs_limit
        type: u4
      - id: gs_limit
        type: u4
      - id: ss_limit
        type: u4
      - id: tr_limit
        type: u4
      - id: ldtr_limit
        type: u4
      - id: idtr_limit
        type: u4
      - id: gdtr_limit
        type: u4
      - id: cs_base
        type: u8
      - id: ds_base
        type: u8
      - id: es_base
        type: u8
      - id: fs_base
        type: u8
      - id: gs_base
        type: u8
      - id: ss_base
        type: u8
      - id: tr_base
        type: u8
      - id: ldtr_base
        type: u8
      - id: idtr_base
        type: u8
      - id: gdtr_base
        type: u8
      - id: cs_arbytes
        type: u4
      - id: ds_arbytes
        type: u4
      - id: es_arbytes
        type: u4
      - id: fs_arbytes
        type: u4
      - id: gs_arbytes
        type: u4
      - id: ss_arbytes
        type: u4
      - id: tr_arbytes
        type: u4
      - id: ldtr_arbytes
        type: u4
      - id: sysenter_cs
        type: u8
      - id: sysenter_esp
        type: u8
      - id: sysenter_eip
        type: u8
      - id: shadow_gs
        type: u8
      - id: msr_flags
        type: u8
      - id: msr_lstar
        type: u8
      - id: msr_star
        type: u8
      - id: msr_cstar
        type: u8
      - id: msr_syscall_mask
        type: u8
      - id: msr_efer
        type: u8
      - id: msr_tsc_aux
        type: u8
      - id: tsc
        type: u8
      - id: pending_event
        type: hvm_pending_event
      - id: error_code
        type: u4
      - id: flags
        type: u4
      - contents: [0, 0, 0, 0]
  hvm_pending_event:
    meta:
      bit-endian: le
    seq:
      - id: pending_vector
        type: b8
      - id: pending_type
        type: b3
      - id: pending_error_valid
        type: b1
      - id: pending_reserved
        type: b19
      - id: pending_valid
        type: b1
