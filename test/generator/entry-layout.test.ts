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

/** The `entry: { … }` part of the generated index for image.yaml, with `extraLine` (a 4-byte field) appended to its entry. */
async function entryDescriptor(extraLine = ""): Promise<string> {
  let text = readFileSync(IMAGE, "utf8");
  if (extraLine !== "") {
    const entryAt = text.indexOf("  section_entry:");
    const sizeAt = text.indexOf("    size: 48\n", entryAt);
    const endAt = text.indexOf("\nsections:\n", entryAt);
    expect(sizeAt).toBeGreaterThan(entryAt);
    expect(endAt).toBeGreaterThan(sizeAt);
    text = text.slice(0, sizeAt) + "    size: 52\n" + text.slice(sizeAt + "    size: 48\n".length, endAt + 1) + extraLine + text.slice(endAt + 1);
  }
  const file = parseSchemaFile(text, "image.yaml", "image", []);
  const { model, diagnostics } = compileFiles([file, parseSchemaFile(NOTE, "note.yaml", "note", [])]);
  expect(diagnostics).toEqual([]);
  const index = (await emitCodecs(model!, { version: "test" })).get("index.ts")!;
  return index.slice(index.indexOf("  entry: {"), index.indexOf("  endId:"));
}

describe("the generated entry layout", () => {
  it("names each container field's offset, where the entry CRC is and from which version, and no reserved bytes", async () => {
    const entry = await entryDescriptor();
    expect(entry).toMatch(/crcOffset: 44,\s+crcSince: 2,\s+layout: \{/);
    expect(entry).toMatch(/align: 36,\s+crc: 40,\s+zeros: \[\],/);
  });

  it("names the reserved bytes to check", async () => {
    expect(await entryDescriptor(RESERVED)).toMatch(/crc: 40,\s+zeros: \[\[48, 4\]\],/);
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
