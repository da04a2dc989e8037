// Browsers and any runtime without the `node` condition: no native kernel; the portable JavaScript
// runs. Imports nothing, so the main entry stays loadable in a browser.

/** @type {import("./crc32c.node.js").NativeCrc32c} */
export const nativeCrc32c = { kernel: undefined, reason: "no native kernel outside Node" };
