/** The native CRC32C kernel, or why it is not used. */
export type NativeCrc32c =
  | { readonly kernel: (bytes: Uint8Array, crc: number) => number; readonly name: string; readonly reason?: undefined }
  | { readonly kernel: undefined; readonly name?: undefined; readonly reason: string };

/**
 * Picks the native kernel, or says why not: `XENIMAGE_CRC=js` forces the portable path; `load` is
 * `require` (tests pass one that fails, to simulate a platform where the package cannot load).
 */
export function selectNativeCrc32c(env: Record<string, string | undefined>, load: (id: string) => any): NativeCrc32c;

/** The kernel chosen for this process, once, at load. */
export const nativeCrc32c: NativeCrc32c;
