/**
 * A "future" version of the format, made the way a maintainer would make it: the schemas copied and
 * edited as a later version may edit them without a new format_version (a field appended to the header
 * and to the table entry, a page type, a value of an open enum, new section types), compiled by the
 * project's own generator into codecs, and loaded. The conformance suite writes its future-* images
 * with these codecs, so they are what a later writer would really write, and a reader of today's
 * version must read them as the versioning page says.
 */
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { emitCodecs } from "../../generator/emit/codecs.js";
import { formatDiagnostic } from "../../generator/diagnostics.js";
import { compileSchemas } from "../../generator/pipeline.js";

/** The future format's codecs: the generated module's exports, as loosely typed as a plugin's. */
export type FutureCodecs = typeof import("../../generated/index.js");

/** One edit of a schema file: `find` must occur exactly once. */
interface Edit {
  readonly file: string;
  readonly find: string;
  readonly replace: string;
}

/** The edits a later, compatible version makes (format_version stays what it is). */
export const FUTURE_EDITS: readonly Edit[] = [
  {
    file: "image.yaml",
    find: "    size: 152\n",
    replace: "    size: 160\n",
  },
  {
    file: "image.yaml",
    find: '      - { name: header_crc, type: u32, doc: "CRC32C of the header\'s header_size bytes with this field taken as zero." }\n',
    replace:
      '      - { name: header_crc, type: u32, doc: "CRC32C of the header\'s header_size bytes with this field taken as zero." }\n' +
      '      - { name: saved_at, type: u64, units: seconds since 1970, doc: "A field a later version appends: when the image was written." }\n',
  },
  { file: "image.yaml", find: "    size: 48\n", replace: "    size: 56\n" },
  {
    file: "image.yaml",
    find: '          checked, whatever its value, so no bit flip can turn it into "no CRC".\n',
    replace:
      '          checked, whatever its value, so no bit flip can turn it into "no CRC".\n' +
      // A constant, so that the container (which fills the entry fields it knows) writes it without being told.
      '      - { name: entry_tag, type: u64, const: "0x5845494d47454e54", doc: "A field a later version appends to every entry." }\n',
  },
  {
    file: "guest.yaml",
    find: "      - { name: normal, value: 0x0, doc: An ordinary page (NOTAB). }\n",
    replace: "      - { name: normal, value: 0x0, doc: An ordinary page (NOTAB). }\n      - { name: l5_table, value: 0x5, doc: A level-5 page table (a page type a later version names). }\n",
  },
  {
    file: "x86.yaml",
    find: '      - { name: pvrdtscp, value: 3, doc: "Paravirtualised RDTSCP (obsolete)." }\n',
    replace: '      - { name: pvrdtscp, value: 3, doc: "Paravirtualised RDTSCP (obsolete)." }\n      - { name: scaled, value: 7, doc: "A TSC mode a later version names." }\n',
  },
];

/** New section types of the future schema, in a file of their own. */
export const FUTURE_SECTIONS = `# yaml-language-server: $schema=../docs/schema-language.json
doc: Sections a later version adds.
sections:
  guest_notes:
    id: 0x7001
    optional: true
    doc: Notes an operator attached to the guest; optional, so older readers skip it.
    fields:
      - { name: written_at, type: u64, units: seconds since 1970, doc: When the notes were written. }
      - { name: notes, string: rest, doc: The notes. }
  memory_encryption:
    id: 0x7002
    doc: The guest's memory encryption keys; mandatory, so older readers must reject the image.
    fields:
      - { name: key_id, type: u32, doc: Which key. }
      - { name: reserved, type: u32, reserved: true, doc: "Reserved, zero." }
`;

/** The future schema's files: schema/ with the edits and the new sections applied. */
export function futureSchemaFiles(schemaDir = "schema"): Map<string, string> {
  const files = new Map<string, string>();
  for (const edit of FUTURE_EDITS) {
    const text = files.get(edit.file) ?? readFileSync(join(schemaDir, edit.file), "utf8");
    const at = text.indexOf(edit.find);
    if (at < 0 || text.indexOf(edit.find, at + 1) >= 0) throw new Error(`future schema: "${edit.find.trim()}" is not exactly once in ${edit.file}`);
    files.set(edit.file, text.replace(edit.find, edit.replace));
  }
  files.set("future.yaml", FUTURE_SECTIONS);
  return files;
}

/**
 * Compiles the future schema with the generator into a scratch folder inside the repository (so its
 * codecs import this checkout's runtime, the same module instance as the reader's), loads the codecs
 * and removes the folder.
 */
export async function loadFutureCodecs(): Promise<FutureCodecs> {
  const dir = resolve("scripts", "conformance", `.future-${process.pid}`);
  rmSync(dir, { recursive: true, force: true });
  try {
    mkdirSync(join(dir, "generated"), { recursive: true });
    cpSync("schema", join(dir, "schema"), { recursive: true });
    for (const [file, text] of futureSchemaFiles()) writeFileSync(join(dir, "schema", file), text);
    const { model, diagnostics } = compileSchemas(join(dir, "schema"));
    if (model === undefined) throw new Error(`the future schema does not compile:\n${diagnostics.map(formatDiagnostic).join("\n")}`);
    // Unformatted: the code is loaded, never read or committed, and prettier would only cost time.
    const files = await emitCodecs(model, { version: "future", runtimeModule: "../../../../runtime/index.js", format: async (text) => text });
    for (const [file, text] of files) writeFileSync(join(dir, "generated", file), text);
    return (await import(pathToFileURL(join(dir, "generated", "index.ts")).href)) as FutureCodecs;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
