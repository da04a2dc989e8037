import { EXIT } from "./errors.js";
import type { Io } from "./io.js";
import { packageVersion } from "./version.js";

/**
 * The schema compiler, a package of its own with the heavy tools (yaml, ajv, ts-morph, prettier): the
 * commands for maintainers (generate, docs, breaking) load it when they run, so the `xenimage` package
 * installed to decode images has none of them.
 */
export const COMPILER = "@xenimage/compiler";

/**
 * Loads the compiler; undefined (after one line on stderr saying how to install it) when it is not
 * installed. Anything else that fails to load is a real error and is thrown.
 */
export async function loadCompiler<T>(command: string, io: Io): Promise<T | undefined> {
  try {
    // A specifier in a variable: the compiler is not a dependency of this package, so nothing resolves it ahead.
    const specifier: string = COMPILER;
    return (await import(specifier)) as T;
  } catch (e) {
    const code = (e as { code?: string }).code;
    if ((code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND") && String((e as Error).message).includes(`'${COMPILER}'`)) {
      io.err(`xenimage: ${command} needs the schema compiler, which is not installed: ${installHint()}`);
      return undefined;
    }
    throw e;
  }
}

/** The command that installs the compiler of this version. */
export function installHint(): string {
  return `npm install --save-dev ${COMPILER}@${packageVersion()}`;
}

/** What the CLI uses of the compiler to generate. */
interface Generator {
  runGenerator(args: readonly string[], log: (line: string) => void, error: (line: string) => void): Promise<number>;
}

/** Runs `generate` or `docs` in the compiler. */
export async function runGenerator(command: string, args: string[], io: Io): Promise<number> {
  const compiler = await loadCompiler<Generator>(command, io);
  return compiler === undefined ? EXIT.usage : compiler.runGenerator(args, io.out, io.err);
}
