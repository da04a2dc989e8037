/**
 * Field lists the peer definitions (binary-parser, restructure) share for the long flat parts of our
 * structs, in wire order, with our camelCase names; `["pad", n]` is n bytes of zero padding. Written
 * from schema/arch_x86_64.yaml and schema/hvm_records.yaml; the agreement check compares every peer's
 * output with the generated decoder's, so a slip here fails loudly.
 */

/** A primitive of a peer's definition. */
export type Prim = "u8" | "u16" | "u32" | "u64" | "pending_event";
/** One field: a named primitive, or padding. */
export type LayoutField = readonly [name: string, type: Prim] | readonly ["pad", number];

/** cpu_user_regs_x86_64 (200 bytes). */
export const USER_REGS_X86_64: readonly LayoutField[] = [
  ["r15", "u64"], ["r14", "u64"], ["r13", "u64"], ["r12", "u64"], ["rbp", "u64"], ["rbx", "u64"],
  ["r11", "u64"], ["r10", "u64"], ["r9", "u64"], ["r8", "u64"], ["rax", "u64"], ["rcx", "u64"],
  ["rdx", "u64"], ["rsi", "u64"], ["rdi", "u64"], ["errorCode", "u32"], ["entryVector", "u32"],
  ["rip", "u64"], ["cs", "u16"], ["pad", 2], ["savedUpcallMask", "u8"], ["pad", 3], ["rflags", "u64"],
  ["rsp", "u64"], ["ss", "u16"], ["pad", 6], ["es", "u16"], ["pad", 6], ["ds", "u16"], ["pad", 6],
  ["fs", "u16"], ["pad", 6], ["gs", "u16"], ["pad", 6],
];

/** The fields of vcpu_guest_context_x86_64 after trap_ctxt that are single u64s, split around its arrays. */
export const VCPU_AFTER_TRAPS = ["ldtBase", "ldtEnts"] as const;
export const VCPU_AFTER_GDT = ["gdtEnts", "kernelSs", "kernelSp"] as const;
export const VCPU_TAIL = ["eventCallbackEip", "failsafeCallbackEip", "syscallCallbackEip", "vmAssist", "fsBase", "gsBaseKernel", "gsBaseUser"] as const;

const u64s = (names: string): LayoutField[] => names.split(" ").map((n) => [n, "u64"] as const);
const u32s = (names: string): LayoutField[] => names.split(" ").map((n) => [n, "u32"] as const);

/** hvm_hw_cpu after its 512-byte fpu_regs (520 bytes). */
export const HVM_HW_CPU_AFTER_FPU: readonly LayoutField[] = [
  ...u64s("rax rbx rcx rdx rbp rsi rdi rsp r8 r9 r10 r11 r12 r13 r14 r15 rip rflags cr0 cr2 cr3 cr4 dr0 dr1 dr2 dr3 dr6 dr7"),
  ...u32s("csSel dsSel esSel fsSel gsSel ssSel trSel ldtrSel csLimit dsLimit esLimit fsLimit gsLimit ssLimit trLimit ldtrLimit idtrLimit gdtrLimit"),
  ...u64s("csBase dsBase esBase fsBase gsBase ssBase trBase ldtrBase idtrBase gdtrBase"),
  ...u32s("csArbytes dsArbytes esArbytes fsArbytes gsArbytes ssArbytes trArbytes ldtrArbytes"),
  ...u64s("sysenterCs sysenterEsp sysenterEip shadowGs msrFlags msrLstar msrStar msrCstar msrSyscallMask msrEfer msrTscAux tsc"),
  ["pendingEvent", "pending_event"],
  ...u32s("errorCode flags"),
  ["pad", 4],
];

/** cpuid_leaf (24 bytes). */
export const CPUID_LEAF: readonly LayoutField[] = u32s("leaf subleaf eax ebx ecx edx");

/** hvm_pending_event, a u32 split into bit-fields: [name, lowest bit, width], lowest bits first. */
export const PENDING_EVENT_BITS = [
  ["pendingVector", 0, 8],
  ["pendingType", 8, 3],
  ["pendingErrorValid", 11, 1],
  ["pendingReserved", 12, 19],
  ["pendingValid", 31, 1],
] as const;

/** The bit-fields of a pending_event word (what a peer's formatter or custom type returns). */
export type PendingEvent = Record<(typeof PENDING_EVENT_BITS)[number][0], number>;

/** Splits a pending_event word into its bit-fields. */
export function splitPendingEvent(word: number): PendingEvent {
  const out = {} as PendingEvent;
  for (const [name, lo, width] of PENDING_EVENT_BITS) out[name] = Math.floor(word / 2 ** lo) % 2 ** width;
  return out;
}

/** Joins bit-fields into a pending_event word. */
export function joinPendingEvent(v: PendingEvent): number {
  let word = 0;
  for (const [name, lo] of PENDING_EVENT_BITS) word += v[name] * 2 ** lo;
  return word;
}
