import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { emitCodecs } from "../../generator/emit/codecs.js";
import { parseSchemaFile } from "../../generator/parse/load-schemas.js";
import { compileFiles } from "../../generator/pipeline.js";

// The format descriptor's entry layout lets the runtime check a table in one pass; it may only be
// emitted when the layout's offsets and zero runs say everything the entry decoder checks.

const IMAGE = fileURLToPath(new URL("../../schema/image.yaml", import.meta.url));
const RESERVED = `      - { name: reserved, type: u32, reserved: true, doc: "Reserved, zero." }\n`;
/** One section besides the end section, so the registry has something to list. */
const NOTE = ["doc: A note.", "sections:", "  note:", "    id: 0x10", "    doc: A note.", "    fields:", "      - { name: value, type: u32 }", ""].join("\n");

/** The `entry: { … }` part of the generated index for image.yaml with its entry's reserved word replaced. */
async function entryDescriptor(reservedLine: string): Promise<string> {
  const text = readFileSync(IMAGE, "utf8");
  const at = text.indexOf(RESERVED, text.indexOf("  section_entry:"));
  expect(at).toBeGreaterThan(0);
  const file = parseSchemaFile(text.slice(0, at) + reservedLine + text.slice(at + RESERVED.length), "image.yaml", "image", []);
  const { model, diagnostics } = compileFiles([file, parseSchemaFile(NOTE, "note.yaml", "note", [])]);
  expect(diagnostics).toEqual([]);
  const index = (await emitCodecs(model!, { version: "test" })).get("index.ts")!;
  return index.slice(index.indexOf("  entry: {"), index.indexOf("  endId:"));
}

describe("the generated entry layout", () => {
  it("names each container field's offset and the reserved bytes to check", async () => {
    const entry = await entryDescriptor(RESERVED);
    expect(entry).toContain("layout: {");
    expect(entry).toMatch(/align: 36,\s+crc: 40,\s+zeros: \[\[44, 4\]\],/);
  });

  it("leaves out reserved bytes that are not checked", async () => {
    expect(await entryDescriptor(`      - { name: reserved, type: u32, reserved: ignore, doc: "Reserved." }\n`)).toMatch(/zeros: \[\],/);
  });

  it("is left out when the entry has a field the layout cannot check", async () => {
    const entry = await entryDescriptor(`      - { name: generation, type: u32, doc: "A field beyond the container's." }\n`);
    expect(entry).toContain("decode: decodeSectionEntry,");
    expect(entry).not.toContain("layout");
  });
});
