// The prettier worker behind FormatPool (format.ts). Plain JavaScript, because it needs nothing but
// prettier: a TypeScript worker would need tsx's loader, which Node 20 does not carry into workers.
// `npm run build` copies it beside the compiled format.js.
import { parentPort, workerData } from "node:worker_threads";

const { options } = workerData;
const prettier = import("prettier");
// Prettier loads its parser plugin on first use: do that now, before the first file arrives.
const warm = prettier.then((p) => p.format("", options));
parentPort.on("message", async ({ id, text }) => {
  try {
    await warm;
    parentPort.postMessage({ id, text: await (await prettier).format(text, options) });
  } catch (e) {
    parentPort.postMessage({ id, error: e instanceof Error ? e.message : String(e) });
  }
});
