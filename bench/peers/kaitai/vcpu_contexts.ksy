# vcpu_guest_context_x86_64 (schema/arch_x86_64.yaml) in Kaitai Struct: a vcpu_context section body, one record per vcpu.
# Written by hand from the schema; compiled to JavaScript by kaitai-struct-compiler (bench/peers/kaitai/compile.ts).
meta:
  id: vcpu_contexts
  endian: le
seq:
  - id: entries
    type: vcpu_guest_context_x86_64
    repeat: eos
types:
  vcpu_guest_context_x86_64:
    seq:
      - id: fpu_ctxt
        size: 512
      - id: flags
        type: u8
      - id: user_regs
        type: cpu_user_regs_x86_64
      - id: trap_ctxt
        type: trap_info_x86_64
        repeat: expr
        repeat-expr: 256
      - id: ldt_base
        type: u8
      - id: ldt_ents
        type: u8
      - id: gdt_frames
        type: u8
        repeat: expr
        repeat-expr: 16
      - id: gdt_ents
        type: u8
      - id: kernel_ss
        type: u8
      - id: kernel_sp
        type: u8
      - id: ctrlreg
        type: u8
        repeat: expr
        repeat-expr: 8
      - id: debugreg
        type: u8
        repeat: expr
        repeat-expr: 8
      - id: event_callback_eip
        type: u8
      - id: failsafe_callback_eip
        type: u8
      - id: syscall_callback_eip
        type: u8
      - id: vm_assist
        type: u8
      - id: fs_base
        type: u8
      - id: gs_base_kernel
        type: u8
      - id: gs_base_user
        type: u8
  trap_info_x86_64:
    seq:
      - id: vector
        type: u1
      - id: flags
        type: u1
      - id: cs
        type: u2
      - contents: [0, 0, 0, 0]
      - id: address
        type: u8
  cpu_user_regs_x86_64:
    seq:
      - id: r15
        type: u8
      - id: r14
        type: u8
      - id: r13
        type: u8
      - id: r12
        type: u8
      - id: rbp
        type: u8
      - id: rbx
        type: u8
      - id: r11
        type: u8
      - id: r10
        type: u8
      - id: r9
        type: u8
      - id: r8
        type: u8
      - id: rax
        type: u8
      - id: rcx
        type: u8
      - id: rdx
        type: u8
      - id: rsi
        type: u8
      - id: rdi
        type: u8
      - id: error_code
        type: u4
      - id: entry_vector
        type: u4
      - id: rip
        type: u8
      - id: cs
        type: u2
      - contents: [0, 0]
      - id: saved_upcall_mask
        type: u1
      - contents: [0, 0, 0]
      - id: rflags
        type: u8
      - id: rsp
        type: u8
      - id: ss
        type: u2
      - contents: [0, 0, 0, 0, 0, 0]
      - id: es
        type: u2
      - contents: [0, 0, 0, 0, 0, 0]
      - id: ds
        type: u2
      - contents: [0, 0, 0, 0, 0, 0]
      - id: fs
        type: u2
      - contents: [0, 0, 0, 0, 0, 0]
      - id: gs
        type: u2
      - contents: [0, 0, 0, 0, 0, 0]
