/**
 * `npm run conformance`: writes the conformance suite to docs/conformance/ (the images, manifest.json
 * and README.md), removing files a previous run wrote and this one does not. Deterministic: running it
 * again changes nothing (a test checks that).
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { conformanceFiles, CONFORMANCE_DIR } from "./write.js";

const files = await conformanceFiles();
const existing = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? existing(join(dir, e.name)) : [join(dir, e.name)]));
mkdirSync(CONFORMANCE_DIR, { recursive: true });
for (const old of existing(CONFORMANCE_DIR)) if (!files.has(old.slice(CONFORMANCE_DIR.length + 1).replace(/\\/g, "/"))) rmSync(old);
for (const [name, content] of files) {
  const path = join(CONFORMANCE_DIR, name);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, content);
}
console.log(`conformance: ${files.size} files in ${CONFORMANCE_DIR}`);
