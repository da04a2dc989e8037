import { execFileSync } from "node:child_process";
import { readFileSync, readdirSync, realpathSync, statSync } from "node:fs";
import { basename, isAbsolute, relative, resolve } from "node:path";
import type { Diagnostic } from "../diagnostics.js";
import type { Model } from "../model/model.js";
import { parseSchemaFile } from "../parse/load-schemas.js";
import { compileFiles } from "../pipeline.js";

/** One schema file's text, from a folder or a git revision. */
export interface SchemaText {
  /** The module name: the file name without `.yaml`. */
  readonly name: string;
  /** How positions name the file: a path relative to the working directory, or `REV:path` in git. */
  readonly file: string;
  readonly text: string;
}

/**
 * A REF or schema folder that cannot be read: `usage` when it names nothing (not a folder, not a
 * revision, not in a git repository), `io` when a folder or file exists but cannot be read.
 */
export class SchemaSetError extends Error {
  constructor(
    message: string,
    readonly kind: "usage" | "io",
  ) {
    super(message);
    this.name = "SchemaSetError";
  }
}

/** The `*.yaml` files of a folder, in name order (subfolders, Xen's and ELF's formats, are not the image format). */
export function readSchemaDir(dir: string, cwd = process.cwd()): SchemaText[] {
  let names: string[];
  try {
    names = readdirSync(resolve(cwd, dir)).filter((f) => f.endsWith(".yaml")).sort();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") throw new SchemaSetError(`${dir}: no such folder`, "usage");
    throw new SchemaSetError(`${dir}: cannot read the folder (${code ?? String(e)})`, "io");
  }
  if (names.length === 0) throw new SchemaSetError(`${dir}: no *.yaml schema files`, "usage");
  return names.map((f) => {
    const path = resolve(cwd, dir, f);
    const file = relative(cwd, path) || path;
    try {
      return { name: basename(f, ".yaml"), file, text: readFileSync(path, "utf8") };
    } catch (e) {
      throw new SchemaSetError(`${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? String(e)})`, "io");
    }
  });
}

function git(args: readonly string[], cwd: string): string {
  return execFileSync("git", args, { cwd, encoding: "utf8", maxBuffer: 64 * 1024 * 1024, stdio: ["ignore", "pipe", "pipe"] });
}

/**
 * The `*.yaml` files the folder `dir` (a path in the working tree, default `schema`) held at a git
 * revision, read with `git show REV:path` from the repository around `cwd`.
 */
export function readSchemaRevision(rev: string, dir: string, cwd = process.cwd()): SchemaText[] {
  let top: string;
  try {
    top = git(["rev-parse", "--show-toplevel"], cwd).trim();
  } catch {
    throw new SchemaSetError(`"${rev}" is not a folder, and ${cwd} is not in a git repository, so it is not a revision either`, "usage");
  }
  try {
    git(["rev-parse", "--verify", "--quiet", "--end-of-options", `${rev}^{commit}`], cwd);
  } catch {
    throw new SchemaSetError(`"${rev}" is neither a folder nor a git revision of this repository`, "usage");
  }
  // git prints the top level with symbolic links resolved; so is the working directory here.
  const inRepo = relative(top, resolve(realpathSync(cwd), dir)).split("\\").join("/");
  if (inRepo.startsWith("..") || isAbsolute(inRepo)) throw new SchemaSetError(`${dir} is outside the git repository`, "usage");
  let listing: string;
  try {
    listing = git(["ls-tree", "--name-only", "--end-of-options", rev, `${inRepo}/`], cwd);
  } catch {
    listing = "";
  }
  const paths = listing.split("\n").filter((p) => p.endsWith(".yaml")).sort();
  if (paths.length === 0) throw new SchemaSetError(`${rev} has no *.yaml files in ${inRepo}/`, "usage");
  return paths.map((path) => ({ name: basename(path, ".yaml"), file: `${rev}:${path}`, text: git(["show", `${rev}:${path}`], cwd) }));
}

/** A folder when REF is one, else a git revision of the schema folder `dir`. */
export function readSchemaRef(ref: string, dir: string, cwd = process.cwd()): SchemaText[] {
  let isDir = false;
  try {
    isDir = statSync(resolve(cwd, ref)).isDirectory();
  } catch {
    isDir = false;
  }
  return isDir ? readSchemaDir(ref, cwd) : readSchemaRevision(ref, dir, cwd);
}

/** What compiling one side gave: its model, or the problems that kept it from building one. */
export interface ComparedSet {
  readonly model: Model | undefined;
  readonly diagnostics: readonly Diagnostic[];
}

/**
 * Compiles a schema set into the model, for comparison only: the header and entry need not carry
 * every field today's runtime reads, so the schemas of an earlier release (version 1 had no
 * entry_crc) still compare.
 */
export function compileSchemaSet(texts: readonly SchemaText[]): ComparedSet {
  const diagnostics: Diagnostic[] = [];
  const files = texts.map((t) => parseSchemaFile(t.text, t.file, t.name, diagnostics));
  return compileFiles(files, diagnostics, { runtimeRoles: false });
}
