/**
 * The container's numbers the docs state (the runtime's own constants; a test checks they agree). A leaf
 * module, so the overview and the container pages can share them without importing each other.
 */

/**
 * In a streamed image the header and each body are followed by zeros up to this multiple, so every
 * entry starts aligned (the runtime's STREAM_ALIGN; a test checks they agree).
 */
export const STREAM_PADDING = 8;
/** A seekable image's table (and the end section) starts at a multiple of this (the runtime's TABLE_ALIGN). */
export const TABLE_ALIGNMENT = 8;
/** The largest alignment an entry may declare, 2 MiB (the runtime's MAX_ALIGN; a test checks they agree). */
export const MAX_ALIGNMENT = 0x20_0000;
/** The all-ones value a streamed image puts where a seekable one has offsets. */
export const SENTINEL = "0xffffffffffffffff";
