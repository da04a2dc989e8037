import type { SchemaFile, YamlPath } from "../parse/load-schemas.js";
import type { IntName, Presence } from "./model.js";

// The raw shapes of schema files, as the meta-schema has already guaranteed them: what the model
// passes read. Nothing here is checked beyond that.

export interface RawField {
  name?: string;
  doc?: string;
  units?: string;
  example?: unknown;
  type?: string;
  bytes?: RawCount;
  string?: RawCount;
  pad?: number;
  align?: number;
  count?: RawCount;
  endian?: "little" | "big";
  const?: number | string | number[];
  reserved?: true | "ignore";
  valid?: { min?: number; max?: number; values?: number[]; multiple_of?: number };
  repr?: "number" | "bigint" | "typed_array";
  encoding?: "ascii" | "utf8";
  switch?: string;
  size?: string;
  cases?: Record<string, string>;
  default?: "bytes" | "error";
}
export type RawCount = number | string | { count_of: string; where: { field: string; in?: string[]; not_in?: string[] } };
export interface RawDecl {
  doc: string;
  size?: number;
  fields?: RawField[] & RawBitField[];
  enum?: IntName;
  flags?: IntName;
  bits?: IntName;
  values?: { name: string; value?: number; bit?: number; doc?: string }[];
  closed?: boolean;
}
export interface RawBitField {
  name: string;
  doc?: string;
  bits: [number, number];
  type?: string;
  reserved?: true | "ignore";
  repr?: "number" | "bigint";
}
export interface RawBody {
  type?: string;
  fields?: RawField[];
  entries?: string;
  entry_size?: number;
  empty?: true;
}
export interface RawSection extends RawBody {
  id: number;
  optional?: boolean;
  doc: string;
  align?: number;
  since?: number;
  variants?: (RawBody & { when: Record<string, string | string[]>; doc?: string })[];
}
export interface RawRule {
  doc: string;
  when: Record<string, string | string[]>;
  sections: Record<string, Presence>;
  order?: (string | string[])[];
  phases?: { marker: string; sections: string[] };
}
export interface RawFile {
  doc: string;
  imports?: string[];
  endian?: "little" | "big";
  container?: { doc: string; header: string; entry: string; end: string; version: number; entry_crc_since?: number };
  types?: Record<string, RawDecl>;
  sections?: Record<string, RawSection>;
  rules?: Record<string, RawRule>;
}

export interface Located<T> {
  readonly raw: T;
  readonly file: SchemaFile;
  readonly path: YamlPath;
}
