import { mkdirSync, readdirSync, readFileSync, renameSync, rmdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative, sep } from "node:path";

/** Options of {@link writeTree}. */
export interface WriteTreeOptions {
  /** Compare with what is on disk instead of writing. Default false. */
  readonly check?: boolean;
  /**
   * Whether a file found on disk was made by this generator (so it may be removed when the output no
   * longer has it). Files it does not claim are left alone, so hand-written files can live beside.
   */
  readonly owned: (text: string) => boolean;
}

function listFiles(dir: string): string[] {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  return entries.flatMap((e) => (e.isDirectory() ? listFiles(join(dir, e.name)) : e.isFile() ? [join(dir, e.name)] : []));
}

function readOrUndefined(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}

/**
 * Writes a tree of generated files under `dir`: each file only when its text changed, through a
 * temporary name and a rename so no reader sees half a file; generated files the output no longer has
 * are removed (with folders left empty by that). Returns the paths that changed (or, with `check`,
 * would change), sorted.
 */
export function writeTree(dir: string, files: ReadonlyMap<string, string>, options: WriteTreeOptions): string[] {
  const changed: string[] = [];
  const wanted = new Set<string>();
  for (const [name, text] of files) {
    const path = join(dir, ...name.split("/"));
    wanted.add(path);
    if (readOrUndefined(path) === text) continue;
    changed.push(path);
    if (options.check) continue;
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(`${path}.tmp`, text);
    renameSync(`${path}.tmp`, path);
  }
  for (const path of listFiles(dir)) {
    if (wanted.has(path)) continue;
    const text = readOrUndefined(path);
    if (text === undefined || !options.owned(text)) continue;
    changed.push(path);
    if (options.check) continue;
    rmSync(path);
    // Remove the folders this emptied, up to (not including) `dir`.
    for (let d = dirname(path); relative(dir, d) !== "" && !relative(dir, d).startsWith(`..${sep}`); d = dirname(d)) {
      if (readdirSync(d).length > 0) break;
      rmdirSync(d);
    }
  }
  return changed.sort();
}
