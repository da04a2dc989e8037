// Starts the CRC32C worker from the TypeScript sources (tests, tsx). Node 20 applies no `--import`
// loader hooks to a worker's own modules, so tsx is registered here first. The compiled package starts
// crc32c-worker.js directly and never loads this file.
import { register } from "tsx/esm/api";

register();
await import("./crc32c-worker.ts");
