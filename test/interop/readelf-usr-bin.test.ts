import { closeSync, openSync, readdirSync, readSync, statSync } from "node:fs";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { decodeElf, SectionType } from "../../interop/elf/index.js";
import { ElfFileReader, readElfFile } from "../../interop/elf/file.js";
import { tempDir } from "../node/tmp.js";
import { compareSections, readelf } from "./readelf.js";

// Our ELF decoder against GNU readelf (binutils): the section table of every ELF file in /usr/bin, and of
// hand-made files of the classes and byte orders /usr/bin may not have.

const BIN = "/usr/bin";

/** Every name in /usr/bin that is (or links to) a regular file starting with the ELF magic, grouped by file. */
function elfFilesInUsrBin(): { files: Map<string, string[]>; names: number } {
  const files = new Map<string, string[]>();
  let names = 0;
  for (const name of readdirSync(BIN).sort()) {
    const path = join(BIN, name);
    let stat;
    try {
      stat = statSync(path);
    } catch {
      continue; // a dangling link
    }
    if (!stat.isFile() || stat.size < 4) continue;
    const magic = new Uint8Array(4);
    let fd: number | undefined;
    try {
      fd = openSync(path, "r");
      readSync(fd, magic, 0, 4, 0);
    } catch {
      continue; // not readable
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
    if (magic[0] !== 0x7f || magic[1] !== 0x45 || magic[2] !== 0x4c || magic[3] !== 0x46) continue;
    names++;
    const key = `${stat.dev}:${stat.ino}`;
    files.set(key, [...(files.get(key) ?? []), path]);
  }
  return { files, names };
}

/** Runs `work` over `items`, `limit` at a time. */
async function pool<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) await work(items[next++]!);
    }),
  );
}

describe("the ELF decoder agrees with readelf", () => {
  it("on the section table of every ELF file in /usr/bin", async () => {
    const { files, names } = elfFilesInUsrBin();
    const disagreements: string[] = [];
    const unreadable: string[] = [];
    const byKind = new Map<string, number>();
    let rows = 0;
    await pool([...files.values()], 4, async (paths) => {
      const path = paths[0]!;
      const result = await readelf(["-S", "-W", path]);
      if (result.code !== 0 || !/Section Headers:|There are no sections/.test(result.stdout)) {
        unreadable.push(`${path}: readelf exit ${result.code}: ${result.stderr.trim().split("\n")[0] ?? ""}`);
        return;
      }
      let ours;
      try {
        ours = await readElfFile(path);
      } catch (e) {
        disagreements.push(`${path}: readelf reads it, our decoder fails: ${e instanceof Error ? e.message : String(e)}`);
        return;
      }
      const kind = `ELF${ours.elfClass} ${ours.littleEndian ? "LSB" : "MSB"}`;
      byKind.set(kind, (byKind.get(kind) ?? 0) + 1);
      rows += ours.sections.length;
      for (const d of compareSections(result.stdout, ours.sections, ours.header.eShoff)) disagreements.push(`${path}: ${d}`);
    });
    const compared = [...byKind.values()].reduce((a, b) => a + b, 0);
    console.log(
      `readelf agreement over ${BIN}: ${names} ELF names, ${files.size} distinct files; compared ${compared} files (${[...byKind].map(([k, n]) => `${n} ${k}`).join(", ")}), ` +
        `${rows} section headers; ${unreadable.length} files readelf cannot read${unreadable.length > 0 ? `:\n  ${unreadable.join("\n  ")}` : ""}; ${disagreements.length} disagreements`,
    );
    expect(disagreements).toEqual([]);
    expect(compared + unreadable.length).toBe(files.size);
    expect(compared).toBeGreaterThan(50);
  });

  it("the file reader matches the in-memory decoder on the biggest ELF file", async () => {
    const { files } = elfFilesInUsrBin();
    const biggest = [...files.values()].map((p) => p[0]!).sort((a, b) => statSync(b).size - statSync(a).size)[0]!;
    const reader = await ElfFileReader.open(biggest);
    console.log(`file reader on the biggest ELF file in ${BIN}: ${biggest} (${statSync(biggest).size} bytes, ${reader.sections.length} sections)`);
    try {
      const { readFileSync } = await import("node:fs");
      const whole = decodeElf(readFileSync(biggest));
      expect(reader.sections.map((s) => [s.name, s.header])).toEqual(whole.sections.map((s) => [s.name, s.header]));
      const text = reader.section(".text") ?? reader.sections.find((s) => s.header.shType === SectionType.progbits)!;
      const fromFile = await reader.data(text);
      expect(fromFile.length).toBe(Number(text.header.shSize));
      expect(Buffer.compare(fromFile, whole.data(text))).toBe(0);
    } finally {
      await reader.close();
    }
  });
});

// Hand-made ELF files, written with DataView here (not with our codecs), in both classes and byte orders.

interface Spec {
  readonly name: string;
  readonly type: number;
  readonly flags: number;
  readonly addr: number;
  readonly data: Uint8Array;
  readonly link: number;
  readonly info: number;
  readonly align: number;
  readonly entsize: number;
}

function makeElf(wide: boolean, little: boolean, machine: number, extendedNumbering: boolean): Uint8Array {
  const strtab = new TextEncoder().encode("\0.text\0.data\0.bss\0.note.test\0.symtab\0.strtab\0.shstrtab\0");
  const nameAt = (n: string) => new TextDecoder().decode(strtab).indexOf(`\0${n}\0`) + 1;
  const note = new Uint8Array([4, 0, 0, 0, 4, 0, 0, 0, 1, 0, 0, 0, 0x47, 0x4e, 0x55, 0, 1, 2, 3, 4]);
  if (!little) for (const at of [0, 4, 8]) note.subarray(at, at + 4).reverse();
  const symsize = wide ? 24 : 16;
  const sections: Spec[] = [
    { name: ".text", type: 1, flags: 0x6, addr: 0x401000, data: new Uint8Array(48).fill(0x90), link: 0, info: 0, align: 16, entsize: 0 },
    { name: ".data", type: 1, flags: 0x3, addr: 0x402000, data: new Uint8Array(12).fill(7), link: 0, info: 0, align: 8, entsize: 0 },
    { name: ".bss", type: 8, flags: 0x3, addr: 0x403000, data: new Uint8Array(0), link: 0, info: 0, align: 32, entsize: 0 },
    { name: ".note.test", type: 7, flags: 0x2, addr: 0, data: note, link: 0, info: 0, align: 4, entsize: 0 },
    { name: ".symtab", type: 2, flags: 0, addr: 0, data: new Uint8Array(symsize * 2), link: 6, info: 1, align: 8, entsize: symsize },
    { name: ".strtab", type: 3, flags: 0, addr: 0, data: new Uint8Array([0, 0x61, 0]), link: 0, info: 0, align: 1, entsize: 0 },
    { name: ".shstrtab", type: 3, flags: 0, addr: 0, data: strtab, link: 0, info: 0, align: 1, entsize: 0 },
  ];
  const ehsize = wide ? 64 : 52;
  const shentsize = wide ? 64 : 40;
  let offset = ehsize;
  const offsets = sections.map((s) => {
    offset = Math.ceil(offset / Math.max(1, s.align)) * Math.max(1, s.align);
    const at = offset;
    if (s.type !== 8) offset += s.data.length;
    return at;
  });
  const shoff = Math.ceil(offset / 8) * 8;
  const count = sections.length + 1;
  const bytes = new Uint8Array(shoff + count * shentsize);
  const v = new DataView(bytes.buffer);
  bytes.set([0x7f, 0x45, 0x4c, 0x46, wide ? 2 : 1, little ? 1 : 2, 1, 0]);
  v.setUint16(16, 2, little);
  v.setUint16(18, machine, little);
  v.setUint32(20, 1, little);
  const word = (at: number, value: number) => (wide ? v.setBigUint64(at, BigInt(value), little) : v.setUint32(at, value, little));
  const w = wide ? 8 : 4;
  word(24, 0x401000); // e_entry
  word(24 + w, 0); // e_phoff
  word(24 + 2 * w, shoff); // e_shoff
  const rest = 24 + 3 * w;
  v.setUint32(rest, 0, little);
  v.setUint16(rest + 4, ehsize, little);
  v.setUint16(rest + 6, wide ? 56 : 32, little);
  v.setUint16(rest + 8, 0, little);
  v.setUint16(rest + 10, shentsize, little);
  v.setUint16(rest + 12, extendedNumbering ? 0 : count, little);
  v.setUint16(rest + 14, extendedNumbering ? 0xffff : count - 1, little);
  sections.forEach((s, i) => {
    if (s.type !== 8) bytes.set(s.data, offsets[i]!);
  });
  const header = (index: number, s: Spec | undefined, at: number) => {
    const h = shoff + index * shentsize;
    const size = s === undefined ? (extendedNumbering ? count : 0) : s.type === 8 ? 0x200 : s.data.length;
    v.setUint32(h, s === undefined ? 0 : nameAt(s.name), little);
    v.setUint32(h + 4, s?.type ?? 0, little);
    if (wide) {
      v.setBigUint64(h + 8, BigInt(s?.flags ?? 0), little);
      v.setBigUint64(h + 16, BigInt(s?.addr ?? 0), little);
      v.setBigUint64(h + 24, BigInt(at), little);
      v.setBigUint64(h + 32, BigInt(size), little);
      v.setUint32(h + 40, s === undefined ? (extendedNumbering ? count - 1 : 0) : s.link, little);
      v.setUint32(h + 44, s?.info ?? 0, little);
      v.setBigUint64(h + 48, BigInt(s?.align ?? 0), little);
      v.setBigUint64(h + 56, BigInt(s?.entsize ?? 0), little);
    } else {
      v.setUint32(h + 8, s?.flags ?? 0, little);
      v.setUint32(h + 12, s?.addr ?? 0, little);
      v.setUint32(h + 16, at, little);
      v.setUint32(h + 20, size, little);
      v.setUint32(h + 24, s === undefined ? (extendedNumbering ? count - 1 : 0) : s.link, little);
      v.setUint32(h + 28, s?.info ?? 0, little);
      v.setUint32(h + 32, s?.align ?? 0, little);
      v.setUint32(h + 36, s?.entsize ?? 0, little);
    }
  };
  header(0, undefined, 0);
  sections.forEach((s, i) => header(i + 1, s, offsets[i]!));
  return bytes;
}

describe("hand-made ELF files of every class and byte order", () => {
  const dir = tempDir("elf-kinds");
  const kinds = [
    { label: "ELF64 LSB (x86_64)", wide: true, little: true, machine: 62, extended: false },
    { label: "ELF64 MSB (s390x)", wide: true, little: false, machine: 22, extended: false },
    { label: "ELF32 LSB (i386)", wide: false, little: true, machine: 3, extended: false },
    { label: "ELF32 MSB (ppc)", wide: false, little: false, machine: 20, extended: false },
    { label: "ELF64 LSB, extended section numbering", wide: true, little: true, machine: 62, extended: true },
    { label: "ELF32 MSB, extended section numbering", wide: false, little: false, machine: 20, extended: true },
  ];
  for (const kind of kinds) {
    it(`${kind.label}: same section table as readelf`, async () => {
      const bytes = makeElf(kind.wide, kind.little, kind.machine, kind.extended);
      const path = join(dir, kind.label.replace(/[^a-z0-9]+/gi, "_"));
      writeFileSync(path, bytes);
      const result = await readelf(["-S", "-W", path]);
      expect(result.code).toBe(0);
      const ours = decodeElf(bytes);
      expect(ours.elfClass).toBe(kind.wide ? 64 : 32);
      expect(ours.littleEndian).toBe(kind.little);
      expect(ours.sections.map((s) => s.name)).toEqual(["", ".text", ".data", ".bss", ".note.test", ".symtab", ".strtab", ".shstrtab"]);
      expect(compareSections(result.stdout, ours.sections, ours.header.eShoff)).toEqual([]);
      const fromFile = await readElfFile(path);
      expect(fromFile.sections).toEqual(ours.sections);
    });
  }
});
