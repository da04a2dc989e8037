import { parseArgs } from "node:util";
import { imageFormat } from "../generated/index.js";
import { UsageError } from "./errors.js";

/** A command's options, as `parseArgs` takes them. */
type Options = Record<
  string,
  {
    type: "string" | "boolean";
    short?: string;
    multiple?: boolean;
    default?: string | boolean | string[] | boolean[];
  }
>;

/** What a command hands `node:util` `parseArgs`. */
interface CommandArgs {
  readonly args: string[];
  readonly options: Options;
  readonly allowPositionals?: boolean;
}

/**
 * Checks a command's arguments in our own words before `parseArgs` sees them, and returns its
 * configuration unchanged (`parseArgs(checkedArgs("inspect", { … }))`): an unknown option, a missing
 * value or a value given to a flag is a {@link UsageError} naming the command
 * (`inspect: unknown option --frob`), never Node's message, which talks of positionals and `--`.
 */
export function checkedArgs<C extends CommandArgs>(
  command: string,
  config: C,
): C {
  const { tokens } = parseArgs({
    args: config.args,
    options: config.options,
    allowPositionals: true,
    strict: false,
    tokens: true,
  });
  for (const t of tokens) {
    if (t.kind === "positional" && config.allowPositionals !== true)
      throw new UsageError(
        `${command}: unexpected argument "${t.value}"`,
        command,
      );
    if (t.kind !== "option") continue;
    const option = config.options[t.name];
    if (option === undefined)
      throw new UsageError(`${command}: unknown option ${t.rawName}`, command);
    if (option.type === "string" && t.value === undefined)
      throw new UsageError(
        `${command}: option ${t.rawName} needs a value`,
        command,
      );
    // parseArgs takes `--offset -1` for a forgotten value; it would throw its own message about it.
    if (option.type === "string" && t.inlineValue === false && t.value !== undefined && t.value.length > 1 && t.value.startsWith("-"))
      throw new UsageError(
        `${command}: option ${t.rawName} needs a value; for one that starts with "-", write ${t.rawName}=${t.value}`,
        command,
      );
    if (option.type === "boolean" && t.inlineValue === true)
      throw new UsageError(
        `${command}: option ${t.rawName} takes no value`,
        command,
      );
  }
  return config;
}

/**
 * The section names a `--section` option may take: every section type of the format, and `unknown`
 * for sections of types this version does not know. Anything else is a usage error listing them, not
 * an empty selection that looks like an image without such sections.
 */
export function checkSectionNames(command: string, names: readonly string[] | undefined): void {
  const valid = [...imageFormat.sections.map((c) => c.name), "unknown"];
  const wrong = names?.filter((n) => !valid.includes(n)) ?? [];
  if (wrong.length > 0) {
    throw new UsageError(`${command}: no section type ${wrong.map((n) => `"${n}"`).join(", ")}; --section takes one of: ${valid.join(", ")}`, command);
  }
}
