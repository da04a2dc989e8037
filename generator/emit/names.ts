/** How schema names become TypeScript names. One place, so every emitter agrees. */

/** `cpu_user_regs_x86_64` → `CpuUserRegsX8664`. */
export function pascal(name: string): string {
  return name
    .split("_")
    .filter((p) => p !== "")
    .map((p) => p[0]!.toUpperCase() + p.slice(1))
    .join("");
}

/** `user_regs` → `userRegs`. */
export function camel(name: string): string {
  const p = pascal(name);
  return p[0]!.toLowerCase() + p.slice(1);
}

/** `cpuid_leaf` → `CPUID_LEAF`. */
export function constant(name: string): string {
  return name.toUpperCase();
}

/** Identifiers generated functions use for themselves; a local named after a field must avoid them. */
const TAKEN = new Set(["r", "w", "v", "at", "index", "start", "ctx", "e", "n", "raw"]);

/** The local variable holding a field's value inside a generated function. */
export function local(fieldName: string): string {
  const c = camel(fieldName);
  return TAKEN.has(c) ? `${c}_` : c;
}

/** A TypeScript literal for a schema integer. */
export function literal(value: number | bigint): string {
  if (typeof value === "bigint") return value < 0n ? `-0x${(-value).toString(16)}n` : `0x${value.toString(16)}n`;
  return value < 0 ? `-0x${(-value).toString(16)}` : `0x${value.toString(16)}`;
}

/** A string literal. */
export function str(s: string): string {
  return JSON.stringify(s);
}
