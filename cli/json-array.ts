/**
 * A JSON array written one element at a time, as exactly the text `JSON.stringify(whole, null, 2)`
 * gives for the whole value: at the top level, or as the last member of an object. Elements are
 * stringified alone and indented to their depth (a JSON string holds no raw newline, so indenting
 * after each newline is exact). What `dump` and `pages --json` stream.
 */
export class JsonArrayText {
  private count = 0;

  private constructor(
    /** Everything before the first element: up to and including `[`. */
    readonly opening: string,
    /** Indentation of the elements. */
    private readonly indent: string,
    /** What follows the closing `]`. */
    private readonly closing: string,
  ) {}

  /** A top-level array. */
  static topLevel(): JsonArrayText {
    return new JsonArrayText("[", "  ", "");
  }

  /** The array as the last member, `key`, of an object whose other members are `head`'s. */
  static lastMemberOf(head: object, key: string): JsonArrayText {
    const members = JSON.stringify(head, null, 2);
    const opening = members === "{}" ? `{\n  ${JSON.stringify(key)}: [` : `${members.slice(0, -2)},\n  ${JSON.stringify(key)}: [`;
    return new JsonArrayText(opening, "    ", "\n}");
  }

  /** The text of the next element, its separator included. */
  element(value: unknown): string {
    const text = (JSON.stringify(value, null, 2) ?? "null").replaceAll("\n", `\n${this.indent}`);
    return `${this.count++ === 0 ? "\n" : ",\n"}${this.indent}${text}`;
  }

  /** The text after the last element. */
  end(): string {
    return `${this.count === 0 ? "" : `\n${this.indent.slice(2)}`}]${this.closing}`;
  }
}
