import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { GuestType } from "../../generated/index.js";
import { writeDumpCoreFile } from "../../interop/dump-core/file.js";
import { exportDumpCore } from "../../interop/dump-core/index.js";
import { decodeElf } from "../../interop/elf/index.js";
import { syntheticCoreImage, type GuestKind } from "../../synthetic/guest.js";
import { listing, tempDir } from "../node/tmp.js";
import { compareSections, parseSections, readelf } from "./readelf.js";

// Our dump-core exports as GNU readelf sees them, against the layout xg_core.c produces: its section order,
// string-table order, note layout and page alignment. The expected values below are worked out from
// xg_core.c's rules, not taken from our exporter.

const dir = tempDir("dump-core-readelf");
const VCPUS = 3;
const PAGES = 40;

interface Case {
  readonly kind: GuestKind;
  readonly machine: string;
  readonly entry: number;
  readonly table: ".xen_p2m" | ".xen_pfn";
  readonly pages: number; // pages with contents (a PV guest's synthetic core image has one pfn without)
}
const cases: Case[] = [
  { kind: "pv-x86_64", machine: "Advanced Micro Devices X86-64", entry: 5168, table: ".xen_p2m", pages: PAGES - 1 },
  { kind: "pv-x86_32", machine: "Intel 80386", entry: 5168, table: ".xen_p2m", pages: PAGES - 1 },
  { kind: "hvm-x86_64", machine: "Advanced Micro Devices X86-64", entry: 5168, table: ".xen_pfn", pages: PAGES },
  { kind: "arm64", machine: "ARM", entry: 352, table: ".xen_pfn", pages: PAGES },
];

/** The field values `readelf -h` prints, by label. */
function headerFields(stdout: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of stdout.split("\n")) {
    const m = /^\s+([^:]+):\s+(.*?)\s*$/.exec(line);
    if (m !== null) out[m[1]!] = m[2]!;
  }
  return out;
}

/** The notes `readelf -n -W` prints: owner, descriptor size, type, descriptor bytes. */
function notes(stdout: string): { owner: string; size: number; type: number; desc: Uint8Array }[] {
  const out = [];
  for (const line of stdout.split("\n")) {
    const m = /^\s+(\S+)\s+0x([0-9a-f]+)\s+Unknown note type: \(0x([0-9a-f]+)\)\s*(?:description data: ([0-9a-f ]*))?/.exec(line);
    if (m === null) continue;
    const hexBytes = (m[4] ?? "").trim();
    out.push({
      owner: m[1]!,
      size: parseInt(m[2]!, 16),
      type: parseInt(m[3]!, 16),
      desc: Uint8Array.from(hexBytes === "" ? [] : hexBytes.split(/\s+/).map((b) => parseInt(b, 16))),
    });
  }
  return out;
}

describe("readelf on our dump-core exports", () => {
  for (const c of cases) {
    it(`${c.kind}: ELF header, section order, alignments, string table and notes as xg_core.c writes them`, async () => {
      const image = syntheticCoreImage(c.kind, { seed: 11, vcpus: VCPUS, memoryBytes: PAGES * 4096 });
      const path = join(dir, `${c.kind}.core`);
      const plan = await writeDumpCoreFile(image, path);
      const bytes = readFileSync(path);
      expect(Buffer.compare(bytes, exportDumpCore(image))).toBe(0);
      expect(bytes.length).toBe(plan.size);

      // ELF header.
      const h = headerFields((await readelf(["-h", "-W", path])).stdout);
      expect(h).toMatchObject({
        Class: "ELF64",
        Data: "2's complement, little endian",
        "OS/ABI": "UNIX - System V",
        "ABI Version": "1",
        Type: "CORE (Core file)",
        Machine: c.machine,
        "Entry point address": "0x0",
        "Start of program headers": "0 (bytes into file)",
        "Start of section headers": "64 (bytes into file)",
        Flags: "0x0",
        "Size of this header": "64 (bytes)",
        "Size of program headers": "56 (bytes)",
        "Number of program headers": "0",
        "Size of section headers": "64 (bytes)",
        "Number of section headers": "7",
        "Section header string table index": "1",
      });

      // Section headers: order, types, sizes, alignments, entry sizes; offsets one after another, only the
      // pages page-aligned; .shstrtab last in the file.
      const result = await readelf(["-S", "-W", path]);
      expect(result.code).toBe(0);
      const rows = parseSections(result.stdout).rows;
      const notesAt = 64 + 7 * 64;
      const notesSize = 16 + (16 + 32) + (16 + 1280) + (16 + 8);
      const prstatusAt = notesAt + notesSize;
      const sharedAt = prstatusAt + VCPUS * c.entry;
      const pagesAt = Math.ceil((sharedAt + 4096) / 4096) * 4096;
      const tableAt = pagesAt + c.pages * 4096;
      const entsize = c.table === ".xen_p2m" ? 16 : 8;
      const strtabAt = tableAt + c.pages * entsize;
      const expected = [
        ["", "NULL", 0, 0, 0, 0],
        [".shstrtab", "STRTAB", strtabAt, bytes.length - strtabAt, 0, 0],
        [".note.Xen", "NOTE", notesAt, notesSize, 0, 0],
        [".xen_prstatus", "PROGBITS", prstatusAt, VCPUS * c.entry, c.entry, 8],
        [".xen_shared_info", "PROGBITS", sharedAt, 4096, 4096, 8],
        [".xen_pages", "PROGBITS", pagesAt, c.pages * 4096, 4096, 4096],
        [c.table, "PROGBITS", tableAt, c.pages * entsize, entsize, 8],
      ];
      expect(rows.map((r) => [r.head.split(/\s+/)[0] === "NULL" ? "" : r.head.split(/\s+/)[0], r.head.trim().split(/\s+/).at(-1), Number(r.offset), Number(r.size), Number(r.entsize), Number(r.align)])).toEqual(expected);
      expect(rows.every((r) => r.address === 0n && r.flags === "" && r.link === 0 && r.info === 0)).toBe(true);
      expect(bytes.length - strtabAt).toBe("\0.shstrtab\0.note.Xen\0.xen_prstatus\0.xen_shared_info\0.xen_pages\0.xen_p2m\0".length);
      expect(bytes.subarray(sharedAt + 4096, pagesAt).every((b) => b === 0)).toBe(true);
      // Our decoder reads the same table.
      const elf = decodeElf(bytes);
      expect(compareSections(result.stdout, elf.sections, elf.header.eShoff)).toEqual([]);

      // The section-name table: the names in section order.
      const strings = (await readelf(["-p", ".shstrtab", path])).stdout;
      const names = [...strings.matchAll(/\[\s*([0-9a-f]+)\]\s+(\S+)/g)].map((m) => [parseInt(m[1]!, 16), m[2]]);
      expect(names).toEqual([
        [1, ".shstrtab"],
        [11, ".note.Xen"],
        [21, ".xen_prstatus"],
        [35, ".xen_shared_info"],
        [52, ".xen_pages"],
        [63, c.table],
      ]);

      // The notes. readelf shows note sections only for files that are not ET_CORE (for core files it reads
      // PT_NOTE segments, and dump-core files have none), so it reads a copy whose e_type says ET_REL.
      const copy = Uint8Array.from(bytes);
      copy[16] = 1;
      const relPath = join(dir, `${c.kind}.as-rel`);
      writeFileSync(relPath, copy);
      const found = notes((await readelf(["-n", "-W", relPath])).stdout);
      expect(found.map((n) => [n.owner, n.size, n.type])).toEqual([
        ["Xen", 0, 0x2000000],
        ["Xen", 32, 0x2000001],
        ["Xen", 1280, 0x2000002],
        ["Xen", 8, 0x2000003],
      ]);
      const header = new DataView(found[1]!.desc.buffer);
      const pv = image.header.guestType === GuestType.pv;
      expect([header.getBigUint64(0, true), header.getBigUint64(8, true), header.getBigUint64(16, true), header.getBigUint64(24, true)]).toEqual([
        pv ? 0xf00febedn : 0xf00febeen,
        BigInt(VCPUS),
        BigInt(c.pages),
        4096n,
      ]);
      const version = new DataView(found[2]!.desc.buffer);
      expect([version.getBigUint64(0, true), version.getBigUint64(8, true)]).toEqual([4n, 19n]);
      // pagesize: at 1272 (64-bit layout), or moved back to 1268 for a 32-bit PV guest.
      expect(version.getBigUint64(c.kind === "pv-x86_32" ? 1268 : 1272, true)).toBe(4096n);
      expect(new DataView(found[3]!.desc.buffer).getBigUint64(0, true)).toBe(1n);
    });
  }

  it("writes through a temporary name and leaves nothing else behind", () => {
    expect(listing(dir).filter((n) => n.endsWith(".tmp"))).toEqual([]);
  });
});
