// The part of madge 8's API the import-cycle test uses (madge ships no types).
declare module "madge" {
  interface MadgeConfig {
    readonly baseDir?: string;
    readonly fileExtensions?: readonly string[];
    readonly excludeRegExp?: readonly RegExp[];
    readonly tsConfig?: string;
  }
  interface MadgeInstance {
    /** Each file and the files it imports, relative to the base directory. */
    obj(): Record<string, string[]>;
    /** Every import cycle, as the files on it. */
    circular(): string[][];
    /** Imports madge could not resolve. */
    warnings(): { skipped: string[] };
  }
  export default function madge(path: string | readonly string[], config?: MadgeConfig): Promise<MadgeInstance>;
}
