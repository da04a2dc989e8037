/**
 * xenimage/node: the Node-only part of the package: seekable image files (a lazy reader with
 * positional reads, a writer that never leaves a half-written file) and conversions between files,
 * sockets and streams. The main entry point (`xenimage`) has everything that also runs in a browser.
 */
export * from "./runtime/node/index.js";
