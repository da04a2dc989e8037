import { cpSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { emitCodecs } from "../../generator/emit/codecs.js";
import { compileSchemas } from "../../generator/pipeline.js";
import { decodeImage as oldDecode, encodeImage as oldEncode, type ImageInit } from "../../generated/index.js";
import { DecodeError } from "../../runtime/index.js";
import { syntheticGuest } from "../../synthetic/guest.js";

// The format grows by schema edits alone: a maintainer adds a section in YAML and regenerates. This
// test does exactly that, in a scratch copy of schema/, and plays the new writer against the reader
// that was generated before the change ("old reader"). The new section uses constructs of every
// sort (a number, a uuid, a string), so none of them needs code of its own either.

const SCRATCH = join("test", `.ext-scratch-${process.pid}`);

/** Copies schema/, adds `extra` as a new schema file, and generates codecs from it into SCRATCH/NAME. */
async function generateWith(name: string, extra: string): Promise<typeof import("../../generated/index.js")> {
  const dir = join(SCRATCH, name);
  mkdirSync(join(dir, "generated"), { recursive: true });
  cpSync("schema", join(dir, "schema"), { recursive: true });
  writeFileSync(join(dir, "schema", "telemetry.yaml"), extra);
  const { model, diagnostics } = compileSchemas(join(dir, "schema"));
  expect(diagnostics).toEqual([]);
  const files = await emitCodecs(model!, { version: "test", runtimeModule: "../../../../runtime/index.js" });
  for (const [file, text] of files) writeFileSync(join(dir, "generated", file), text);
  const url = pathToFileURL(resolve(dir, "generated", "index.ts")).href;
  return (await import(/* @vite-ignore */ url)) as typeof import("../../generated/index.js");
}

const section = (optional: boolean) => `doc: A section added after the reader was built.
sections:
  guest_notes:
    id: 0x7001
    optional: ${optional}
    doc: Free-form notes an operator attached to the guest, with the time they were written.
    fields:
      - { name: written_at, type: u64, units: seconds since 1970, doc: When the notes were written. }
      - { name: host, type: uuid, doc: The host that wrote them (a construct the format gained after the reader). }
      - { name: notes, string: rest, doc: The notes. }
`;

let newOptional: Awaited<ReturnType<typeof generateWith>>;
let newMandatory: Awaited<ReturnType<typeof generateWith>>;
const base = syntheticGuest("pv-x86_64", { vcpus: 1, memoryBytes: 8 * 4096 });
const notes = { type: "guest_notes", body: { writtenAt: 1_764_000_000n, host: "4c4c4544-0031-3910-8051-b4c04f4e3232", notes: "migrated for maintenance" } };
const withNotes = { ...base, sections: [base.sections[0]!, notes, ...base.sections.slice(1)] } as unknown as ImageInit;

beforeAll(async () => {
  newOptional = await generateWith("optional", section(true));
  newMandatory = await generateWith("mandatory", section(false));
}, 240_000);
afterAll(() => rmSync(SCRATCH, { recursive: true, force: true }));

describe("a new optional section, added in YAML only", () => {
  it("is decoded by the new reader", () => {
    const bytes = newOptional.encodeImage(withNotes as never);
    expect(newOptional.decodeImage(bytes).sections[1]).toEqual(notes);
  });

  it("is skipped by the old reader, which keeps it and writes it back unchanged", () => {
    const bytes = newOptional.encodeImage(withNotes as never);
    const decoded = oldDecode(bytes);
    expect(decoded.sections[1]).toMatchObject({ type: "unknown", id: 0x7001, optional: true });
    expect(decoded.sections.filter((s) => s.type !== "unknown")).toEqual(base.sections);
    expect(Buffer.from(oldEncode(decoded)).equals(Buffer.from(bytes))).toBe(true);
  });
});

describe("a new mandatory section, added in YAML only", () => {
  it("makes the old reader fail with a clear error naming the type", () => {
    const bytes = newMandatory.encodeImage(withNotes as never);
    expect(newMandatory.decodeImage(bytes).sections[1]).toEqual(notes);
    let error: unknown;
    try {
      oldDecode(bytes);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DecodeError);
    expect((error as DecodeError).message).toMatch(/^unknown mandatory section type 0x7001: this reader cannot skip it \(section type 0x7001 #1, offset 0x[0-9a-f]+\)$/);
  });
});
