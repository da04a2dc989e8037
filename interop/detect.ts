/**
 * Which of Xen's own formats a byte string is, from its first bytes: a libxc stream, a libxl stream, an
 * xl save file, a dump-core ELF file, or a legacy (Xen 4.5 and older) stream, which no tool of ours reads
 * and which Xen's convert-legacy-stream turns into a stream that can be read. Pure; 64 bytes decide.
 */
import { detectXenStream, type XenLayerName } from "./xen-stream/framing.js";
import { legacyHint } from "./xen-stream/legacy.js";

/** A format of Xen's that the byte string starts like. */
export type XenFormat =
  | { readonly kind: "xen-stream"; readonly layer: XenLayerName }
  | { readonly kind: "dump-core" }
  | { readonly kind: "legacy"; readonly hint: string };

/** How many bytes {@link detectXenFormat} wants to look at. */
export const DETECT_BYTES = 64;

const ELF_MAGIC = [0x7f, 0x45, 0x4c, 0x46];

/**
 * Which of Xen's formats `head` (the first {@link DETECT_BYTES} bytes, or all there are) starts like: a
 * libxc/libxl stream or xl save file, a dump-core ELF file (any ELF file; the dump-core reader says
 * what is missing), or a legacy stream (with a hint); undefined for anything else.
 */
export function detectXenFormat(head: Uint8Array): XenFormat | undefined {
  const legacy = legacyHint(head);
  if (legacy !== undefined) return { kind: "legacy", hint: legacy };
  const layer = detectXenStream(head);
  if (layer !== undefined) return { kind: "xen-stream", layer };
  if (ELF_MAGIC.every((b, i) => head[i] === b)) return { kind: "dump-core" };
  return undefined;
}
