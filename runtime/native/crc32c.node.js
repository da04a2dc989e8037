// Node only: the native CRC32C kernel, when the optional dependency @node-rs/crc32 is installed and
// loads on this platform. Plain JavaScript rather than TypeScript: package.json "imports" maps
// `#crc32c-native` here for the `node` condition, and the path must exist both in a checkout (tests,
// tsx) and in the published package, where the TypeScript output lives under dist/.
import { createRequire } from "node:module";

/** The package we load, and the answer it must give for "123456789" (CRC32C's check value). */
const PACKAGE = "@node-rs/crc32";
const CHECK = 0xe3069283;

/**
 * Picks the native kernel, or says why not. `env.XENIMAGE_CRC === "js"` forces the portable path;
 * `load` is `require` (injectable, so tests can simulate a package that is missing or broken).
 * @param {Record<string, string | undefined>} env
 * @param {(id: string) => unknown} load
 * @returns {import("./crc32c.node.js").NativeCrc32c}
 */
export function selectNativeCrc32c(env, load) {
  if (env.XENIMAGE_CRC === "js") return { kernel: undefined, reason: "XENIMAGE_CRC=js" };
  let mod;
  try {
    mod = load(PACKAGE);
  } catch (e) {
    const code = e && typeof e === "object" && "code" in e ? ` (${e.code})` : "";
    return { kernel: undefined, reason: `${PACKAGE} did not load${code}` };
  }
  const kernel = mod && typeof mod === "object" ? mod.crc32c : undefined;
  if (typeof kernel !== "function") return { kernel: undefined, reason: `${PACKAGE} has no crc32c function` };
  // A binary that loads but computes something else (a wrong build, another polynomial) must not be used.
  try {
    if (kernel(new TextEncoder().encode("123456789"), 0) !== CHECK) return { kernel: undefined, reason: `${PACKAGE} failed the CRC32C check value` };
  } catch (e) {
    return { kernel: undefined, reason: `${PACKAGE} failed the CRC32C check value (${e instanceof Error ? e.message : String(e)})` };
  }
  let version = "";
  try {
    version = `@${load(`${PACKAGE}/package.json`).version}`;
  } catch {
    // The version only labels reports.
  }
  return { kernel, name: `${PACKAGE}${version}` };
}

/** The kernel chosen for this process, once, at load. */
export const nativeCrc32c = selectNativeCrc32c(process.env, createRequire(import.meta.url));
