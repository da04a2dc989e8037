import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { imageToJson } from "../../cli/image-json.js";
import { decodeImage, encodeImage } from "../../generated/index.js";
import { syntheticGuest } from "../../synthetic/guest.js";

// `xenimage build` rejects, as invalid input (exit 1, one line naming the section and field), every
// value the format's readers would reject: it never dies (exit 70), never writes an image `verify`
// then rejects, and never allocates what a huge alignment asks for.
const BIN = join(process.cwd(), "dist/cli/main.js");
const dir = mkdtempSync(join(tmpdir(), "xenimage-build-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const image = decodeImage(encodeImage(syntheticGuest("pv-x86_64", { seed: 3, vcpus: 1, memoryBytes: 4 * 4096, batchPages: 4 })));
const dump = imageToJson(image, { pages: true });

/** The dump with an unknown section of these fields added after the first section. */
function withUnknown(fields: Record<string, unknown>): unknown {
  const unknown = { type: "unknown", id: 0x7e01, optional: true, flags: 0, entryCount: "0", entrySize: 0, align: 8, bytes: "AQID", ...fields };
  return { ...dump, sections: [dump.sections[0], unknown, ...dump.sections.slice(1)] };
}

function build(doc: unknown) {
  const input = join(dir, "in.json");
  const output = join(dir, "out.img");
  rmSync(output, { force: true });
  // JSON.stringify cannot write a bigint; the dump has none (u64 values are decimal strings).
  writeFileSync(input, JSON.stringify(doc));
  const r = spawnSync(process.execPath, [BIN, "build", input, "-o", output], { encoding: "utf8", timeout: 120_000 });
  return { code: r.status, stderr: r.stderr, input, written: existsSync(output) };
}

describe("xenimage build validates like the readers", () => {
  it("builds a dump with a well-formed unknown section, which verify accepts", () => {
    const r = build(withUnknown({ align: 64 }));
    expect(r.code, r.stderr).toBe(0);
    const verify = spawnSync(process.execPath, [BIN, "verify", join(dir, "out.img")], { encoding: "utf8" });
    expect(verify.status, verify.stderr).toBe(0);
  });

  const bad: [string, unknown, RegExp][] = [
    ["alignment 0", withUnknown({ align: 0 }), /alignment 0 is not a power of two \(section type 0x7e01 #1, field align/],
    ["alignment 3", withUnknown({ align: 3 }), /alignment 3 is not a power of two \(section type 0x7e01 #1, field align/],
    ["alignment 2^31", withUnknown({ align: 2 ** 31 }), /alignment 2147483648 is above the maximum, 2097152 \(section type 0x7e01 #1, field align/],
    ["a type id of 2^31", withUnknown({ id: 2 ** 31 }), /type id 2147483648 is not an integer in 0…0x7fffffff.*\(section #1, field id/],
    ["the end section's type id", withUnknown({ id: 0 }), /type id 0x0 is the end section's.*field id/],
    ["a known type id", withUnknown({ id: 0x10 }), /section type 0x10 is known; give it as a decoded section.*field id/],
    ["an unknown mandatory section", withUnknown({ optional: false }), /section type 0x7e01 is unknown and mandatory.*field optional/],
    ["a negative entry size", withUnknown({ entrySize: -1 }), /-1 is not a valid u32 \(section type 0x7e01 #1, field entry_size/],
    ["flags past 32 bits", withUnknown({ flags: 2 ** 32 }), /4294967296 is not a valid u32 \(section type 0x7e01 #1, field flags/],
    ["byte order 7", { ...dump, header: { ...(dump.header as object), byteOrder: 7 } }, /byte order 7 is neither little \(1\) nor big \(2\) \(section header, field byte_order\)/],
    ["flags on a known section past 32 bits", { ...dump, sections: [{ ...(dump.sections[0] as object), flags: -5 }, ...dump.sections.slice(1)] }, /-5 is not a valid u32 \(section guest_config #0, field flags/],
  ];

  it.each(bad)("%s: exit 1, one line naming the section and field, no file", (_, doc, message) => {
    const r = build(doc);
    expect(r.code, r.stderr).toBe(1);
    const lines = r.stderr.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`xenimage: ${r.input}: `);
    expect(lines[0]).toMatch(message);
    expect(r.written).toBe(false);
  });
});
