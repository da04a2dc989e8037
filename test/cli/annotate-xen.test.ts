import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodeImage } from "../../generated/index.js";
import { GUEST_KINDS, syntheticCoreImage } from "../../synthetic/guest.js";
import { legacyBatch, legacyPvStream, legacyTsc, legacyVcpuContext, legacyVcpuInfo } from "../interop/legacy-stream.js";
import { convertLegacyStream } from "../interop/xen-tools.js";
import { annotateXenStream } from "../../cli/annotate-xen-stream.js";
import { concat, libxcHeaders, libxlHeader, pageData, record, u32le, u64le } from "../interop/xen-stream-helpers.js";
import { annotateJson, BIN, leavesUntiled, run, untiled, type Line } from "./annotate-helpers.js";

// `xenimage annotate` on Xen's own formats, made the way an operator makes them: `xenimage convert` of
// the demo images to libxc, libxl and xl streams of both versions, dump-core files of every guest kind,
// and streams Xen's own convert-legacy-stream wrote. Every byte of each is accounted for.

let dir: string;
const streams: string[] = [];
const cores: string[] = [];
const legacy: string[] = [];

/** A legacy (Xen 4.5) stream of a 64-bit PV guest, as test/interop builds them for Xen's converter. */
function legacyPv(): Uint8Array {
  const frames = Array.from({ length: 4 }, (_, i) => BigInt(2000 - i));
  return legacyPvStream({
    p2mSize: 2048,
    width: 8,
    frames,
    online: [0, 1],
    contexts: [legacyVcpuContext(0, 8), legacyVcpuContext(1, 8)],
    chunks: [legacyVcpuInfo([0, 1]), legacyBatch([{ pfn: 0x1000, type: 0xc }, { pfn: 1 }, { pfn: 2 }, { pfn: 0x7ff, type: 0xf }]), legacyTsc(0, 123_456_789n, 2_400_000, 2)],
  });
}

function convert(from: string, to: string, ...options: string[]): string {
  const r = run(["convert", from, to, ...options]);
  expect(r.code, r.stderr).toBe(0);
  return to;
}

beforeAll(() => {
  expect(existsSync(BIN), "build first: npm run build").toBe(true);
  dir = mkdtempSync(join(tmpdir(), "xenimage-annotate-xen-"));
  const demo = run(["demo", "--out", join(dir, "demo")]);
  expect(demo.code, demo.stderr).toBe(0);
  for (const guest of ["pv-x86_64", "hvm-x86_64"]) {
    for (const layer of ["libxc", "libxl", "xl"]) {
      for (const version of ["2", "3"]) streams.push(convert(join(dir, "demo", `${guest}-save.img`), join(dir, `${guest}.${layer}.v${version}`), "--to", `xen-${layer}`, "--xen-version", version));
    }
  }
  streams.push(convert(join(dir, "demo", "pv-x86_32-save.img"), join(dir, "pv-x86_32.xl.v3"), "--to", "xen-xl"));
  cores.push(convert(join(dir, "demo", "pv-x86_64-core.img"), join(dir, "pv-x86_64.core"), "--to", "dump-core"));
  for (const kind of GUEST_KINDS.filter((k) => k !== "pv-x86_64")) {
    const image = join(dir, `${kind}-core.img`);
    writeFileSync(image, encodeImage(syntheticCoreImage(kind, { seed: 4, vcpus: 2, memoryBytes: 48 * 4096 })));
    cores.push(convert(image, join(dir, `${kind}.core`), "--to", "dump-core"));
  }
  writeFileSync(join(dir, "legacy.raw"), legacyPv());
  for (const format of ["libxc", "libxl"] as const) {
    const path = join(dir, `legacy-converted.${format}`);
    writeFileSync(path, convertLegacyStream(legacyPv(), { width: 64, guest: "pv", format }));
    legacy.push(path);
  }
}, 300_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const name = (path: string) => path.slice(dir.length + 1);
const field = (lines: readonly Line[], f: string) => lines.find((l) => l.field === f);

describe("xenimage annotate on Xen's formats", () => {
  it("accounts for every byte of libxc, libxl and xl streams of versions 2 and 3, and of converted legacy streams", () => {
    expect(streams).toHaveLength(13);
    for (const path of [...streams, ...legacy]) {
      const lines = annotateJson([path]);
      const size = statSync(path).size;
      expect(untiled(lines, size), name(path)).toEqual([]);
      expect(leavesUntiled(lines, size), name(path)).toEqual([]);
      // Every record is one depth-0 run, its header, body fields and padding inside it; END closes it.
      const records = lines.filter((l) => /^records\[\d+\]$/.test(l.field));
      expect(records.at(-1)?.value, name(path)).toMatch(/ END$/);
      const version = field(lines, "libxc.image_header.version")!.value;
      expect(version, name(path)).toBe(path.endsWith(".v2") ? "2" : "3");
    }
  });

  it("decodes every layer's header and each record's body with the Xen schemas", () => {
    const xl = annotateJson([join(dir, "pv-x86_64.xl.v3")]);
    expect(field(xl, "xl.mandatory_flags")?.value).toBe("0x3 = json | stream_v2");
    expect(field(xl, "xl.optional_data.config")?.value).toMatch(/"\{\\"c_info\\"/);
    expect(field(xl, "libxl.ident")?.value).toBe("the constant, as required");
    expect(field(xl, "libxc.domain_header.type")?.value).toBe("1 (x86_pv)");
    const info = xl.find((l) => /^records\[\d+\]\.body\.guest_width$/.test(l.field));
    expect(info?.value).toBe("8");
    // Arrays element by element: cpuid leaves, pfn words, pages (one line each), the rest summarised.
    expect(xl.some((l) => /^records\[\d+\]\.body\.leaves\[3\]\.eax$/.test(l.field))).toBe(true);
    expect(xl.find((l) => /\.body\.pfns\[1\]$/.test(l.field))?.value).toMatch(/type 12 \(l4tab_pinned\), pfn 1$/);
    expect(xl.find((l) => /\.body\.pages\[5\]$/.test(l.field))).toMatchObject({ length: 4096, value: "4096 bytes" });
    expect(xl.find((l) => /\.body\.pfns\[256…1023\]$/.test(l.field))?.value).toBe("768 × pfn_word, not annotated");
    // A stream Xen's convert-legacy-stream wrote says so in its headers.
    const converted = annotateJson([legacy[1]!]);
    expect(field(converted, "libxl.options")?.value).toMatch(/legacy 1/);
    expect(field(converted, "libxc.domain_header.xen_major")?.value).toBe("0");
  });

  it("accounts for every byte of dump-core files of every guest kind", () => {
    expect(cores).toHaveLength(4);
    for (const path of cores) {
      const lines = annotateJson([path]);
      const size = statSync(path).size;
      expect(untiled(lines, size), name(path)).toEqual([]);
      expect(leavesUntiled(lines, size), name(path)).toEqual([]);
      expect(field(lines, "elf_header.e_type")?.value).toBe("4 (core)");
      expect(field(lines, ".note.Xen[1].desc.xch_page_size")?.value).toBe("4096 (0x1000)");
      expect(field(lines, ".xen_pages[0]")?.length).toBe(4096);
      expect(field(lines, ".xen_prstatus[1]")?.value).toMatch(/^vcpu_guest_context_(x86_64|x86_32|arm), 2 of 2$/);
    }
    const pv32 = annotateJson([join(dir, "pv-x86_32.core")]);
    // A 32-bit PV guest's contexts fill the first 2800 bytes of each 5168-byte slot.
    expect(field(pv32, ".xen_prstatus[0].(rest of the slot)")).toMatchObject({ length: 5168 - 2800 });
    expect(field(pv32, ".note.Xen[2].desc")?.value).toBe("xen_dumpcore_xen_version_x86_32");
    const hvm = annotateJson([join(dir, "hvm-x86_64.core")]);
    expect(field(hvm, ".xen_pfn[2].pfn")?.depth).toBe(1);
    expect(field(hvm, "section_headers[1].sh_name")?.value).toMatch(/→ "\.shstrtab"$/);
  });

  it("a checkpointed (Remus) libxl stream: the layers hand over at CHECKPOINT and CHECKPOINT_END; bytes after END marked", async () => {
    const params = concat(u32le(1, 0), u64le(2n, 0xfeedn));
    const emulator = concat(u32le(2, 0), Uint8Array.of(1, 2, 3, 4, 5));
    const stream = concat(libxlHeader(), record(1), libxcHeaders({ domainType: 2 }), record(0x0a, params), record(0x0e), record(3, emulator), record(4), record(0x01, pageData([{ type: 0, pfn: 7 }])), record(0x0e), record(4), record(0), record(0), Uint8Array.of(9, 9));
    const lines: Line[] = [];
    for await (const r of annotateXenStream(async (o, n) => stream.slice(o, o + n), stream.length, "libxl")) {
      for (const l of r.lines) lines.push({ offset: l.offset, length: l.length, depth: l.depth, field: l.label, value: l.value ?? null, region: r.title });
    }
    expect(lines.filter((l) => /^records\[\d+\]$/.test(l.field)).map((l) => l.value)).toEqual([
      "libxl LIBXC_CONTEXT",
      "libxc HVM_PARAMS",
      "libxc CHECKPOINT",
      "libxl EMULATOR_CONTEXT",
      "libxl CHECKPOINT_END",
      "libxc PAGE_DATA",
      "libxc CHECKPOINT",
      "libxl CHECKPOINT_END",
      "libxc END",
      "libxl END",
    ]);
    expect(lines.find((l) => l.field.endsWith(".body.params[0].value"))?.value).toBe("65261 (0xfeed)");
    expect(lines.find((l) => l.field.endsWith(".body.emulator_id"))?.value).toBe("2 (qemu_upstream)");
    expect(lines.at(-1)).toMatchObject({ field: "(trailing bytes)", length: 2 });
    expect(untiled(lines, stream.length)).toEqual([]);
    expect(leavesUntiled(lines, stream.length)).toEqual([]);
  });

  it("any ELF file: program headers, GNU notes, string tables, sections of no known layout as one range", () => {
    const lines = annotateJson(["/usr/bin/true"]);
    const size = statSync("/usr/bin/true").size;
    expect(untiled(lines, size)).toEqual([]);
    expect(leavesUntiled(lines, size)).toEqual([]);
    expect(field(lines, "program_headers[0]")?.value).toMatch(/^elf64_phdr, 1 of \d+$/);
    expect(field(lines, ".note.gnu.build-id[0].n_type")?.value).toBe("3 (build_id)");
    expect(field(lines, ".text")?.value).toMatch(/^\d+ bytes, no layout known$/);
  });

  it("--section takes record types of a stream and ELF section names of a dump-core file", () => {
    const stream = join(dir, "hvm-x86_64.libxl.v3");
    const params = annotateJson([stream, "--section", "hvm_params", "--section", "emulator_context"]);
    const records = params.filter((l) => /^records\[\d+\]$/.test(l.field)).map((l) => l.value);
    expect(records).toEqual(["libxc HVM_PARAMS", "libxl EMULATOR_CONTEXT"]);
    expect(params.every((l) => l.field.startsWith("records["))).toBe(true);
    const core = join(dir, "pv-x86_64.core");
    const p2m = annotateJson([core, "--section", ".xen_p2m"]);
    expect(new Set(p2m.map((l) => l.field.split("[")[0]))).toEqual(new Set(["section_headers", ".xen_p2m"]));
    expect(p2m.filter((l) => /^section_headers\[\d+\]$/.test(l.field)).map((l) => l.value)).toEqual([".xen_p2m, progbits"]);
  });

  it("--offset/--length: only the lines over the range, the elements there spelled out", () => {
    const core = join(dir, "pv-x86_64.core");
    const all = annotateJson([core, "--elements", "1"]);
    const pages = field(all, ".xen_pages[0]")!;
    const at = pages.offset + 300 * 4096 + 10;
    const range = annotateJson([core, "--offset", String(at), "--length", "4"]);
    expect(range.map((l) => l.field)).toEqual([".xen_pages[300]"]);
    const stream = join(dir, "pv-x86_64.libxc.v3");
    const pfn = annotateJson([stream]).find((l) => /\.body\.pfns\[700…/.test(l.field) || /\.body\.pfns\[256…1023\]$/.test(l.field))!;
    const word = annotateJson([stream, "--offset", String(pfn.offset + (700 - 256) * 8), "--length", "8"]);
    expect(word.map((l) => l.field.replace(/^records\[\d+\]/, "R"))).toEqual(["R", "R.body.pfns[700]"]);
  });

  it("text output names each record and ELF section", () => {
    const r = run(["annotate", join(dir, "pv-x86_64.libxl.v2"), "--section", "x86_pv_info"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^--- libxc record #\d+ X86_PV_INFO: 8-byte body at 0x[0-9a-f]+ ---$/m);
    expect(r.stdout).toMatch(/^[0-9a-f]{8} {2}08 {47} *records\[\d+\]\.body\.guest_width = 8$/m);
    const c = run(["annotate", join(dir, "arm64.core"), "--section", ".xen_pages", "--elements", "1"]);
    expect(c.code, c.stderr).toBe(0);
    expect(c.stdout).toMatch(/^[0-9a-f]{8} {2}([0-9a-f]{2} ){16}… \.xen_pages\[1…\d+\] = \d+ × page, not annotated \[\d+ bytes\]$/m);
  });

  it("a wrong --section name is a usage error listing the format's names", () => {
    const s = run(["annotate", join(dir, "pv-x86_64.xl.v3"), "--section", "cpuid"]);
    expect(s.code).toBe(2);
    expect(s.stderr).toMatch(/no record type "cpuid" in a Xen stream; --section takes one of: end, page_data, /);
    const c = run(["annotate", "--json", join(dir, "pv-x86_64.core"), "--section", "page_data"]);
    expect(c.code).toBe(2);
    expect(c.stdout).toBe("");
    expect(c.stderr).toMatch(/no section "page_data" in this ELF file; --section takes one of: \.shstrtab, \.note\.Xen, /);
  });

  it("a legacy stream is refused with the hint to convert it; a truncated stream or core file is a typed error", () => {
    const l = run(["annotate", join(dir, "legacy.raw")]);
    expect(l.code).toBe(1);
    expect(l.stderr).toMatch(/convert-legacy-stream/);
    for (const [file, keep] of [["pv-x86_64.xl.v3", 5000], ["pv-x86_64.core", 0x5000]] as const) {
      const cut = join(dir, `cut-${file}`);
      writeFileSync(cut, readFileSync(join(dir, file)).subarray(0, keep));
      const r = run(["annotate", cut]);
      expect(r.code, file).toBe(1);
      expect(r.stderr, file).toMatch(/lies outside the image|past the end of the file/);
      expect(r.stderr, file).not.toMatch(/internal error/);
    }
    // Cut inside a record that --section does not show: still said, not an empty dump.
    const s = run(["annotate", join(dir, "cut-pv-x86_64.xl.v3"), "--section", "end"]);
    expect(s.code).toBe(1);
    expect(s.stderr).toMatch(/the stream ends at 0x1388, inside its last record/);
  });
});
