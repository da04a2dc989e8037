import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The compiler's version, from its package.json (@xenimage/compiler, released in step with xenimage),
 * found by walking up from this module: the same code runs from the sources (generator/) and from the
 * build (generator/dist/), one level apart.
 */
export function packageVersion(from: string = import.meta.url): string {
  let dir = dirname(fileURLToPath(from));
  for (;;) {
    const candidate = join(dir, "package.json");
    if (existsSync(candidate)) {
      const pkg = JSON.parse(readFileSync(candidate, "utf8")) as { name?: string; version?: string };
      if (pkg.name === "@xenimage/compiler" && pkg.version !== undefined) return pkg.version;
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error("the package.json of @xenimage/compiler not found");
    dir = parent;
  }
}
