#!/usr/bin/env node
/**
 * `npm run generate` and `npm run docs` in this repository: the compiler's command line, with this
 * repository's site tools (the image inspector, bundled with the codecs the run writes) added to the
 * docs. The compiler itself never imports the codecs it makes, so the tools come from here.
 */
import { runGenerator } from "../generator/main.js";
import { siteTools, stopBundler } from "../site/inspector/tool.js";

try {
  process.exitCode = await runGenerator(process.argv.slice(2), console.log, console.error, { siteTools });
} finally {
  await stopBundler();
}
