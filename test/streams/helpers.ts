/**
 * Helpers for the stream tests: collecting an encoder's output, cutting bytes into chunks, and an
 * independent reader of the streamed layout (plain DataView, none of our decoder) to check it against.
 */
import { imageFormat, type ImageHeader, type ImageSection, type KnownSection } from "../../generated/index.js";
import { encodeStream, type ContainerFormat, type ContainerHeader, type HeaderInit, type KnownSectionBase, type UnknownSection } from "../../runtime/index.js";
import { syntheticGuestStream, type SyntheticStreamOptions } from "../../synthetic/stream.js";

/** Joins chunks into one buffer. */
export function concat(chunks: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** Byte-wise equality, fast for large buffers (toEqual compares element by element). */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

/** Encodes sections as a stream, in memory. */
export async function streamBytes<H extends ContainerHeader, S extends KnownSectionBase>(
  format: ContainerFormat<H>,
  header: HeaderInit<H>,
  sections: AsyncIterable<S | UnknownSection> | Iterable<S | UnknownSection>,
): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for await (const c of encodeStream(format, header, sections)) chunks.push(c);
  return concat(chunks);
}

/** A synthetic guest: its header, its sections in memory, and its stream bytes. */
export async function guestStream(options: SyntheticStreamOptions = {}): Promise<{ header: HeaderInit<ImageHeader>; sections: ImageSection[]; bytes: Uint8Array }> {
  const g = syntheticGuestStream(options);
  const sections: ImageSection[] = [];
  for await (const s of g.sections) sections.push(s);
  return { header: g.header, sections, bytes: await streamBytes<ImageHeader, KnownSection>(imageFormat, g.header, sections) };
}

/** `bytes` cut into chunks of the given sizes, repeating the list; copies, so no chunk shares a buffer. */
export function rechunk(bytes: Uint8Array, sizes: readonly number[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  let at = 0;
  for (let i = 0; at < bytes.length; i++) {
    const n = Math.max(1, sizes[i % sizes.length]!);
    out.push(bytes.slice(at, at + n));
    at += n;
  }
  return out;
}

/** One section of a stream as read with DataView: where its entry and body are, and the entry's fields. */
export interface RawStreamEntry {
  readonly at: number;
  readonly bodyAt: number;
  readonly bodyEnd: number;
  readonly type: number;
  readonly flags: number;
  readonly offset: bigint;
  readonly size: number;
  readonly entryCount: bigint;
  readonly entrySize: number;
  readonly align: number;
  readonly crc: number;
}

/**
 * Walks a streamed image with DataView alone: header of `headerSize` bytes, zeros to 8, then per
 * section a 48-byte entry, the body and zeros to 8, until the end section (type 0).
 */
export function walkStream(bytes: Uint8Array, headerSize = 152, littleEndian = true): RawStreamEntry[] {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: RawStreamEntry[] = [];
  let at = Math.ceil(headerSize / 8) * 8;
  for (;;) {
    const size = Number(v.getBigUint64(at + 16, littleEndian));
    const e: RawStreamEntry = {
      at,
      bodyAt: at + 48,
      bodyEnd: at + 48 + size,
      type: v.getUint32(at, littleEndian),
      flags: v.getUint32(at + 4, littleEndian),
      offset: v.getBigUint64(at + 8, littleEndian),
      size,
      entryCount: v.getBigUint64(at + 24, littleEndian),
      entrySize: v.getUint32(at + 32, littleEndian),
      align: v.getUint32(at + 36, littleEndian),
      crc: v.getUint32(at + 40, littleEndian),
    };
    out.push(e);
    if (e.type === 0) return out;
    at = Math.ceil(e.bodyEnd / 8) * 8;
  }
}

/** The label errors give the section of an entry: `name #index`. */
export function labelOf(type: number, index: number): string {
  const codec = imageFormat.sections.find((c) => c.id === (type & 0x7fff_ffff));
  return `${codec?.name ?? `type 0x${(type & 0x7fff_ffff).toString(16)}`} #${index}`;
}

/**
 * A value with every byte run replaced by its hex string, so sections with thousands of pages compare
 * quickly (vitest's deep equality walks typed arrays element by element) and diffs stay readable.
 */
export function canonical(value: unknown): unknown {
  if (value instanceof Uint8Array) return `${value.constructor.name}:${Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString("hex")}`;
  if (Array.isArray(value)) return value.map(canonical);
  if (value !== null && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, canonical(v)]));
  return value;
}

/** Runs `f` and returns what it threw (failing the test when it did not throw). */
export async function rejection(f: () => Promise<unknown>): Promise<unknown> {
  try {
    await f();
  } catch (e) {
    return e;
  }
  throw new Error("expected a rejection, got none");
}
