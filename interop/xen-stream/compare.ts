/**
 * Equality of images as a converter must preserve them: the header fields a writer does not compute,
 * and every section (type, flags, body; an unknown section's id, optional bit, table values and bytes).
 */
import { ByteOrder, type ImageHeader, type ImageInit, type ImageSection } from "../../generated/index.js";
import type { HeaderInit } from "../../runtime/index.js";
import { SECTION } from "./constants.js";

const LAYOUT_ID = SECTION.layout;

/** Header fields the image writer computes; a converter neither keeps nor compares them. */
const MANAGED = new Set(["formatVersion", "headerSize", "sectionTableOffset", "sectionCount", "sectionEntrySize", "headerCrc"]);

/** The header as an {@link ImageInit} takes it: without the computed fields, byte order filled in. */
export function headerInit(header: object): HeaderInit<ImageHeader> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(header)) if (!MANAGED.has(k) && v !== undefined) out[k] = v;
  out["byteOrder"] ??= ByteOrder.little;
  return out as unknown as HeaderInit<ImageHeader>;
}

/** Structural equality of decoded values: byte arrays by content, bigints by value, absent = undefined. */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a instanceof Uint8Array || b instanceof Uint8Array) {
    if (!(a instanceof Uint8Array && b instanceof Uint8Array) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
    return true;
  }
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    if (a.length !== bb.length) return false;
    for (let i = 0; i < a.length; i++) if (!deepEqual(a[i], bb[i])) return false;
    return true;
  }
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  const keys = new Set([...Object.keys(ao), ...Object.keys(bo)]);
  for (const k of keys) if (!deepEqual(ao[k], bo[k])) return false;
  return true;
}

/** Whether two sections are the same (known: type, flags and body; unknown: every table value and the bytes). */
export function sameSection(a: ImageSection, b: ImageSection): boolean {
  if (a.type !== b.type) return false;
  if (a.type === "unknown" || b.type === "unknown") return deepEqual(a, b);
  return (a.flags ?? 0) === (b.flags ?? 0) && deepEqual(a.body, b.body);
}

/** Options of {@link sameImage}. */
export interface SameImageOptions {
  /**
   * Count two xen_stream_layout sections (0x7001) as equal whatever they hold: they describe a Xen
   * stream's framing, not the guest (an exporter uses this to accept that a version 2 stream it read is
   * written back as version 3).
   */
  readonly ignoreStreamLayout?: boolean;
}

/** Whether two images have the same header (computed fields aside) and the same sections in the same order. */
export function sameImage(a: ImageInit, b: ImageInit, options: SameImageOptions = {}): boolean {
  if (!deepEqual(headerInit(a.header), headerInit(b.header))) return false;
  if (a.sections.length !== b.sections.length) return false;
  return a.sections.every((s, i) => {
    const t = b.sections[i]!;
    if (options.ignoreStreamLayout && s.type === "unknown" && t.type === "unknown" && s.optional && t.optional && s.id === LAYOUT_ID && t.id === LAYOUT_ID) return true;
    return sameSection(s, t);
  });
}
