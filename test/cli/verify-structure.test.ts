import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeImage, encodeImage, pageDataSection } from "../../generated/index.js";
import { inspectFile } from "../../cli/commands/inspect.js";
import type { Io } from "../../cli/io.js";
import { XenImageError } from "../../runtime/index.js";
import { indexOf, takeApart, withBody, writeSeekable, type RawImage } from "../../scripts/conformance/raw-image.js";
import { syntheticGuest } from "../../synthetic/guest.js";

// `xenimage verify` checks page_data with the codec's structure check (pages claimed by length, no
// view per page), in large reads. A page_data whose structure is broken behind a correct CRC must give
// the code, offset, section and field a full decode gives, whichever way the scan read it.

const silent: Io = { out: () => undefined, err: () => undefined, outBytes: async () => undefined, stdin: (async function* () {})(), interactive: false };

let dir: string;
let raw: RawImage;
/** The third batch of 1024 pages: a section in the middle of a 24 MiB image. */
let batch: number;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "xenimage-verify-structure-"));
  raw = takeApart(encodeImage(syntheticGuest("pv-x86_64", { memoryBytes: 24 * 1024 * 1024, batchPages: 1024 })));
  batch = indexOf(raw, pageDataSection.id, indexOf(raw, pageDataSection.id, indexOf(raw, pageDataSection.id) + 1) + 1);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The first error a full decode of the image meets, as verify reports a problem. */
function decodeProblem(bytes: Uint8Array): { code: string; section: string | null; offset: number | null; field: string | null } {
  try {
    decodeImage(bytes);
  } catch (e) {
    if (!(e instanceof XenImageError)) throw e;
    return { code: e.code, section: e.section ?? null, offset: e.offset ?? null, field: e.path === undefined || e.path === "" ? null : e.path };
  }
  throw new Error("the image decodes");
}

const TYPE_INVALID = 0xf;
const cases: [string, (body: Uint8Array, view: DataView) => void, string][] = [
  ["a reserved bit set in frame word 700", (_, v) => v.setUint8(8 + 8 * 700 + 6, v.getUint8(8 + 8 * 700 + 6) | 0x10), "reserved"],
  ["a non-zero byte in the padding before the pages", (b) => void (b[8 + 8 * 1024 + 5] = 1), "reserved"],
  ["the reserved word after the count", (_, v) => v.setUint32(4, 1, true), "reserved"],
  ["a count one higher (a word more, read from the padding: a page more than the body has)", (_, v) => v.setUint32(0, v.getUint32(0, true) + 1, true), "truncated"],
  ["a count above what the body holds", (_, v) => v.setUint32(0, 0x10_0000, true), "length"],
  ["a word whose type carries no page (a page left over)", (_, v) => v.setUint8(8 + 8 * 3 + 7, (v.getUint8(8 + 8 * 3 + 7) & 0x0f) | (TYPE_INVALID << 4)), "length"],
];

describe("verify of a broken page_data behind a correct CRC", () => {
  it.each(cases)("%s: the code, offset and field a decode gives, in 8 MiB and in 1 MiB reads", async (_, edit, code) => {
    const { bytes } = writeSeekable(withBody(raw, batch, edit));
    const expected = decodeProblem(bytes);
    expect(expected.code).toBe(code);
    expect(expected.section).toBe(`page_data #${batch}`);
    const file = join(dir, "broken.img");
    writeFileSync(file, bytes);
    for (const chunkSize of [undefined, 1024 * 1024]) {
      const report = await inspectFile(file, silent, chunkSize === undefined ? {} : { chunkSize });
      expect(report.problems).toHaveLength(1);
      const { code: got, section, offset, field } = report.problems[0]!;
      expect({ code: got, section, offset, field }, `chunk ${chunkSize ?? "default"}`).toEqual(expected);
      expect(report.sections[batch]!.status).not.toBe("ok");
      expect(report.sections.filter((s) => s.status !== "ok")).toHaveLength(1);
    }
  });

  it("the image unbroken checks out", async () => {
    const file = join(dir, "whole.img");
    writeFileSync(file, writeSeekable(raw).bytes);
    expect((await inspectFile(file, silent)).problems).toEqual([]);
  });
});
