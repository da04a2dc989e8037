/**
 * The error family. Every error that bad bytes or bad values can cause is one of these, and each says
 * where: the byte offset (hex), the section, and the field path. Callers can branch on the class or on
 * `code`; people read `message`.
 */

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
 * The codes of {@link DecodeError}: what is wrong with the bytes. A code is a stable, machine-readable
 * kind; adding one is a deliberate change of this list.
 */
/**
 * The codes of a broken section-table entry rule, the same on a reader's {@link DecodeError} and a
 * writer's {@link EncodeError} (writers check every entry by the readers' rules).
 */
export type EntryRuleCode =
  /** A table entry's entry_crc does not match its bytes (format version 2 on). */
  | "entry-crc"
  /** A field reserved in the image's version is not zero (version 1's entry_crc). */
  | "reserved"
  /** The end section is not last, or a field of its entry is not the one value it may have. */
  | "end-entry"
  /** An alignment that is not a power of two, above the format's maximum, or not the registry's. */
  | "alignment"
  /** A known section type with the wrong optional bit, or a type id that collides with the optional bit. */
  | "optional-bit"
  /** A section that is not an array section with a non-zero entry count or entry size. */
  | "entry-shape"
  /** A body (or the table) not where the layout puts it: outside the image, overlapping, out of order, off its alignment. */
  | "placement";

export type DecodeErrorCode =
  /** The input ends before what it announces. */
  | "truncated"
  /** A value breaks the format: a bad magic, a non-zero padding byte, an impossible size, … */
  | "invalid"
  /** A checksum does not match. */
  | "crc"
  /** A section type this reader does not know, without the optional bit: it cannot be skipped. */
  | "unknown-mandatory"
  /** Valid, but not something this reader supports (a newer format version, a legacy Xen stream). */
  | "unsupported"
  /** A streamed image given where a seekable one is needed. */
  | "streamed"
  /** A seekable image given where a stream is needed. */
  | "not-streamed"
  /** A section larger than the reader's limit. */
  | "too-large"
  /** Bytes after the end of the image or stream. */
  | "trailing"
  /** A broken section-table entry rule (`entry-rules.ts`). */
  | EntryRuleCode
  /** A non-zero byte in an alignment gap of a seekable image. */
  | "gap"
  /** A non-zero byte in a stream's padding. */
  | "padding"
  /** A stream's non-zero section_count that is not the number of sections it holds. */
  | "section-count"
  /** A required part is missing (interop: a section or note another format must have). */
  | "missing"
  /** A value does not fit where it must go (interop: a 64-bit field into our 32 bits). */
  | "out-of-range"
  /** Input of no format this tool knows. */
  | "unknown-format"
  /** A bug: something escaped a decoder (the original error is the `cause`). */
  | "internal";

/** The codes of {@link EncodeError}: what is wrong with the values to encode. */
export type EncodeErrorCode =
  /** A value out of range, of the wrong type or length. */
  | "invalid-value"
  /** A section type the format does not have. */
  | "unknown-section"
  /** A section of a type the format does not know, without the optional bit: no reader could skip it. */
  | "unknown-mandatory"
  /** No layout of the section fits the image's header (its arch, its guest type). */
  | "no-variant"
  /** A schema model that does not hold together (reflection). */
  | "invalid-schema"
  /** An image another format cannot carry without losing something the caller did not allow to lose. */
  | "lossy"
  /** An image a dump-core file cannot be made of. */
  | "dump-core"
  /** A stream encoder used after it ended, or after its target failed. */
  | "ended"
  | "failed"
  /** An image writer used after it finished or was aborted. */
  | "finished"
  | "aborted"
  /** An image writer used after `complete()`: the image is whole at its temporary name, only `commit` is left. */
  | "complete"
  /** A broken section-table entry rule, found before writing the entry. */
  | EntryRuleCode
  /** A bug: something escaped an encoder (the original error is the `cause`). */
  | "internal";

/** Every code of every {@link XenImageError}. */
export type XenImageErrorCode = DecodeErrorCode | EncodeErrorCode | "json";

/** The base of every error xenimage throws on purpose. */
export class XenImageError extends Error {
  /** A stable, machine-readable error kind. */
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
