/**
 * The error family. Every error that bad bytes or bad values can cause is one of these, and each says
 * where: the byte offset (hex), the section, and the field path. Callers can branch on the class or on
 * `code`; people read `message`.
 */

import type { DecodeErrorCode, EncodeErrorCode, XenImageErrorCode } from "./error-codes.js";

/** Where in an image something went wrong. Every part is optional: say what is known. */
export interface Location {
  /** Absolute byte offset in the image or stream. */
  readonly offset?: number;
  /** The section's name (or `type 0x…` when unknown), with its index in the table when there is one. */
  readonly section?: string;
  /** The field path inside the section body, e.g. `user_regs.rip` or `trap_ctxt[3].cs`. */
  readonly path?: string;
}

/** Formats an offset the way every message in xenimage does: `0x` and lower-case hex. */
export function hex(offset: number | bigint): string {
  return "0x" + offset.toString(16);
}

function describe(where: Location): string {
  const parts: string[] = [];
  if (where.section !== undefined) parts.push(`section ${where.section}`);
  if (where.path !== undefined && where.path !== "") parts.push(`field ${where.path}`);
  if (where.offset !== undefined) parts.push(`offset ${hex(where.offset)}`);
  return parts.length === 0 ? "" : ` (${parts.join(", ")})`;
}

/**
 * The codes of a broken section-table entry rule, the same on a reader's {@link DecodeError} and a
 * writer's {@link EncodeError} (writers check every entry by the readers' rules).
 */
export type EntryRuleCode = "entry-crc" | "reserved" | "end-entry" | "alignment" | "optional-bit" | "entry-shape" | "placement";

// The codes themselves, each with its meaning, are listed once in error-codes.ts: the unions below
// are that list's keys, so a code missing there does not compile, and the docs print the same list.
export type { DecodeErrorCode, EncodeErrorCode, XenImageErrorCode } from "./error-codes.js";

/** The base of every error xenimage throws on purpose. */
export class XenImageError extends Error {
  /** A stable, machine-readable error kind, one of `error-codes.ts` (the docs list them with their meaning). */
  readonly code: XenImageErrorCode;
  /** The problem without the location suffix. */
  readonly reason: string;
  readonly offset: number | undefined;
  readonly section: string | undefined;
  readonly path: string | undefined;

  constructor(code: XenImageErrorCode, reason: string, where: Location = {}, cause?: unknown) {
    super(reason + describe(where), cause === undefined ? undefined : { cause });
    this.name = new.target.name;
    this.code = code;
    this.reason = reason;
    this.offset = where.offset;
    this.section = where.section;
    this.path = where.path;
  }

  /**
   * The same error with missing location parts filled in from `outer` (inner details win). The copy
   * keeps the original's stack frames (under the new message) and its `cause`.
   */
  within(outer: Location): this {
    const merged: Location = {
      offset: this.offset ?? outer.offset,
      section: this.section ?? outer.section,
      path: joinPath(outer.path, this.path),
    };
    const copy = Object.create(Object.getPrototypeOf(this)) as this;
    Object.assign(copy, this);
    // `cause` is not enumerable, so Object.assign skips it.
    if (this.cause !== undefined) Object.defineProperty(copy, "cause", { value: this.cause, writable: true, configurable: true });
    const self = copy as unknown as { message: string; offset?: number; section?: string; path?: string };
    self.offset = merged.offset;
    self.section = merged.section;
    self.path = merged.path;
    self.message = this.reason + describe(merged);
    // The stack's first lines are the old name and message; the frames below them are where the error
    // really happened, which is what `--debug` is for: keep them under the new message.
    copy.stack = `${copy.name}: ${copy.message}${framesOf(this.stack)}`;
    return copy;
  }
}

/** The call-site lines of a V8 stack (each `\n    at …`), without the header; "" when there are none. */
function framesOf(stack: string | undefined): string {
  if (stack === undefined) return "";
  const first = stack.indexOf("\n    at ");
  return first === -1 ? "" : stack.slice(first);
}

/** The path of field `name`, or of its element `index`: `ids`, `ids[3]`; undefined without a name. */
export function fieldPath(name: string | undefined, index?: number): string | undefined {
  return name === undefined || index === undefined ? name : `${name}[${index}]`;
}

function joinPath(outer: string | undefined, inner: string | undefined): string | undefined {
  if (outer === undefined || outer === "") return inner;
  if (inner === undefined || inner === "") return outer;
  return inner.startsWith("[") ? outer + inner : `${outer}.${inner}`;
}

/** Bytes that do not decode: truncated, out of range, a wrong magic, a CRC mismatch, … */
export class DecodeError extends XenImageError {
  declare readonly code: DecodeErrorCode;
  constructor(code: DecodeErrorCode, reason: string, where: Location = {}, cause?: unknown) {
    super(code, reason, where, cause);
  }
}

/** A value that cannot be encoded: out of range for its type, the wrong length, missing. */
export class EncodeError extends XenImageError {
  declare readonly code: EncodeErrorCode;
  constructor(code: EncodeErrorCode, reason: string, where: Location = {}, cause?: unknown) {
    super(code, reason, where, cause);
  }
}

/**
 * Turns anything a decoder throws into a {@link DecodeError} at `offset` with one more path segment:
 * callers see a typed error with a location, never a bare TypeError (the original is the `cause`).
 */
export function asDecodeError(error: unknown, segment: string, offset: number): XenImageError {
  const e = error instanceof XenImageError ? error : new DecodeError("internal", `decoder failed: ${String(error)}`, { offset }, error);
  return e.within({ path: segment });
}

/**
 * Turns anything an encoder throws into an {@link EncodeError} at `offset` with one more path segment.
 * A value of the wrong shape (a missing property, a number where a bigint belongs) ends up here.
 */
export function asEncodeError(error: unknown, segment: string, offset: number): XenImageError {
  const reason = error instanceof Error ? error.message : shown(error);
  const e = error instanceof XenImageError ? error : new EncodeError("invalid-value", `bad value: ${reason}`, { offset }, error);
  return e.within({ path: segment });
}

/**
 * A caller's value as an error message shows it (`String(value)`), without throwing: a value whose
 * conversion throws (a proxy, a `toString` that fails) is named by its type instead.
 */
export function shown(value: unknown): string {
  try {
    return String(value);
  } catch {
    return `(a ${typeof value} that cannot be shown)`;
  }
}
