import type { NativeCrc32c } from "./crc32c.node.js";

/** Outside Node there is no native kernel. */
export const nativeCrc32c: NativeCrc32c;
