import { readFileSync, readdirSync } from "node:fs";
import { basename, join, relative } from "node:path";
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from "yaml";
import type { Diagnostic } from "../diagnostics.js";
import type { Source } from "../model/model.js";

/** A YAML path: keys and sequence indices from the document root. */
export type YamlPath = readonly (string | number)[];

/** One parsed schema file, with what it takes to point at any node of it. */
export interface SchemaFile {
  /** The module name: the file name without `.yaml`. */
  readonly name: string;
  /** The path shown in diagnostics. */
  readonly file: string;
  /** The plain data (maps → objects, sequences → arrays). */
  readonly data: unknown;
  /** Where a node (or, with `key`, one of a map's keys) sits: file, YAML path, line and column. */
  locate(path: YamlPath, key?: string): Source;
}

/** Formats a YAML path as a JSON pointer: `/types/cpuid_leaf/fields/0`. */
export function pointer(path: YamlPath): string {
  return path.map((p) => "/" + String(p).replace(/~/g, "~0").replace(/\//g, "~1")).join("");
}

function nodeAt(doc: Document, path: YamlPath): Node | undefined {
  let node: unknown = doc.contents;
  for (const step of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => (isScalar(p.key) ? p.key.value : p.key) === step);
      if (pair === undefined) return node as Node;
      node = pair.value ?? pair.key;
    } else if (isSeq(node) && typeof step === "number" && node.items[step] !== undefined) {
      node = node.items[step];
    } else {
      return node as Node;
    }
  }
  return node as Node;
}

/** Parses one file; YAML syntax errors become diagnostics. */
export function parseSchemaFile(text: string, file: string, name: string, diagnostics: Diagnostic[]): SchemaFile {
  const lineCounter = new LineCounter();
  // merge: YAML merge keys (`<<: *anchor`) let a rule extend another without repeating it.
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true, merge: true });
  const position = (offset: number) => lineCounter.linePos(offset);
  // Only the first YAML error: the parser's later ones are mostly echoes of it.
  const first = doc.errors[0] ?? doc.warnings[0];
  if (first !== undefined) {
    const { line, col } = position(first.pos[0]);
    diagnostics.push({ file, line, col, path: "", message: `YAML: ${first.message.split("\n")[0]}` });
  }
  const locate = (path: YamlPath, key?: string): Source => {
    let offset = 0;
    const node = nodeAt(doc, path);
    if (key !== undefined && isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && p.key.value === key);
      offset = (isScalar(pair?.key) ? pair.key.range?.[0] : undefined) ?? node.range?.[0] ?? 0;
    } else {
      offset = node?.range?.[0] ?? 0;
    }
    const { line, col } = position(offset);
    return { file, path: pointer(key === undefined ? path : [...path, key]), line, col };
  };
  return { name, file, data: doc.errors.length > 0 ? undefined : doc.toJS({ maxAliasCount: 100 }), locate };
}

/** Reads every `*.yaml` file of a folder, in name order (deterministic output depends on it). */
export function loadSchemas(dir: string, diagnostics: Diagnostic[], cwd = process.cwd()): SchemaFile[] {
  const names = readdirSync(dir)
    .filter((f) => f.endsWith(".yaml"))
    .sort();
  return names.map((f) => {
    const path = join(dir, f);
    return parseSchemaFile(readFileSync(path, "utf8"), relative(cwd, path) || path, basename(f, ".yaml"), diagnostics);
  });
}
