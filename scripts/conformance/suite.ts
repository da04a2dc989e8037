/**
 * The conformance suite: small valid images of every image type, section variant, layout and byte
 * order, and invalid images that each break exactly one validity rule, every rule of the validity page
 * at least once, with the verdict, the error code and the byte offset a conforming reader reports. The
 * images are made with the reference encoder (valid ones), the raw writer of `raw-image.ts` (one thing
 * changed), and the codecs of a future schema (`future.ts`); the expected offsets come from where the
 * writer put the broken part, never from a reader. Deterministic: the same bytes every run.
 */
import { VALIDITY_RULES } from "../../generator/emit/docs/validity-rules.js";
import { compileSchemas } from "../../generator/pipeline.js";
import {
  Arch,
  ByteOrder,
  encodeImage,
  GuestType,
  HvmSaveType,
  ImageType,
  imageFormat,
  PageType,
  type ImageInit,
  type ImageSection,
} from "../../generated/index.js";
import { encodeStream, OPTIONAL_BIT, type DecodeErrorCode } from "../../runtime/index.js";
import { arm32Image, coreImage, deviceModel, guestImage, tinyImage, withCheckpoint } from "./bases.js";
import { loadFutureCodecs, type FutureCodecs } from "./future.js";
import { indexOf, takeApart, withBody, writeSeekable, writeStreamed, type RawImage, type WriteOptions, type Written } from "./raw-image.js";

/** One image of the suite, as the manifest lists it. */
export interface SuiteFile {
  /** The path under docs/conformance/. */
  readonly file: string;
  readonly verdict: "valid" | "invalid";
  readonly layout: "seekable" | "streamed";
  readonly byteOrder: "little" | "big";
  readonly description: string;
  /** Valid files: what they cover (image type, section variants, features). */
  readonly covers?: readonly string[];
  /** Invalid files: the rule broken, the code and the offset a reader reports. */
  readonly rule?: string;
  readonly code?: DecodeErrorCode;
  readonly offset?: number;
  readonly bytes: Uint8Array;
}

type Layout = "seekable" | "streamed";

/** Where each header field is (from the schema model, as the docs give it). */
function headerFields(): Map<string, { at: number; size: 1 | 2 | 4 | 8 }> {
  const { model } = compileSchemas("schema");
  if (model === undefined) throw new Error("the schemas do not compile");
  return new Map(model.container.header.fields.filter((f) => f.offset !== undefined && f.size !== undefined).map((f) => [f.name, { at: f.offset!, size: f.size as 1 | 2 | 4 | 8 }]));
}

const SECTION_ID = Object.fromEntries(imageFormat.sections.map((c) => [c.name, c.id])) as Record<string, number>;

/** The records of an HVM context body: where each starts, its type and length. */
function hvmRecords(body: Uint8Array): { at: number; type: number; length: number }[] {
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const out: { at: number; type: number; length: number }[] = [];
  for (let at = 0; at < body.length; ) {
    const length = view.getUint32(at + 4, true);
    out.push({ at, type: view.getUint16(at, true), length });
    at += 8 + length;
  }
  return out;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Builds every file of the suite. */
export async function buildSuite(): Promise<SuiteFile[]> {
  const H = headerFields();
  const field = (name: string, value: number | bigint) => ({ ...H.get(name)!, value });
  const files: SuiteFile[] = [];
  const order = (init: ImageInit) => (init.header.byteOrder === ByteOrder.big ? "big" : "little");
  const write = (raw: RawImage, layout: Layout, options: WriteOptions = {}): Written => (layout === "seekable" ? writeSeekable(raw, options) : writeStreamed(raw, options));
  const rawOf = (init: ImageInit) => takeApart(encodeImage(init));

  // ---- Valid images ----------------------------------------------------------------------------
  const valid = (name: string, layout: Layout, init: ImageInit, description: string, covers: string[]) => {
    const raw = rawOf(init);
    files.push({ file: `valid/${name}.img`, verdict: "valid", layout, byteOrder: order(init), description, covers, bytes: write(raw, layout).bytes });
  };
  const pv64 = guestImage("pv-x86_64", { vcpus: 2 });
  // Every page type: the words of a second batch, with contents only for the types that carry them.
  const pageTypes = [PageType.normal, PageType.l1_table, PageType.l4_table_pinned, PageType.broken, PageType.allocate_only, PageType.invalid];
  const typesBatch: ImageSection = {
    type: "page_data",
    body: { pfns: pageTypes.map((type, i) => ({ type, pfn: 0x100 + i })), pages: pageTypes.filter((t) => t < PageType.broken).map((t) => new Uint8Array(4096).fill(t + 1)) },
  };
  const xsave: ImageSection = { type: "vcpu_xsave", body: { vcpuId: 1, xcr0: 7n, xcr0Accum: 7n, area: new Uint8Array(576).fill(0x5a) } };
  const pvSections = [...pv64.sections];
  pvSections.splice(pvSections.findIndex((s) => s.type === "page_data") + 1, 0, typesBatch);
  pvSections.push(xsave);
  valid("pv-x86_64-save-little-seekable", "seekable", { header: pv64.header, sections: pvSections }, "A 64-bit PV guest's save image with every PV section, two vcpus and page_data words of every kind (pages with contents, and broken, allocate_only and invalid words without).", [
    "image_type save", "pv", "x86_64", "vcpu_context x86_64", "shared_info x86_64", "page types", "cpuid", "msr_policy", "extended_info", "p2m_frame_list", "unwritten_pages", "tsc_info", "vcpu_extended", "vcpu_xsave", "vcpu_msrs",
  ]);
  valid("pv-x86_32-save-big-streamed", "streamed", guestImage("pv-x86_32", { bigEndian: true }), "A 32-bit PV guest's save image, big-endian and streamed.", ["image_type save", "pv", "x86_32", "vcpu_context x86_32", "shared_info x86_32", "big-endian", "streamed"]);
  const hvm = guestImage("hvm-x86_64", { bigEndian: true });
  const hvmContextWithAll = (init: ImageInit): ImageInit => ({
    header: init.header,
    sections: init.sections.map((s) => {
      if (s.type !== "hvm_context") return s;
      const records = [...s.body.records];
      const end = records.pop()!;
      records.push(
        { instance: 0, body: { type: "cpu_xsave", value: { xfeatureMask: 7n, xcr0: 7n, xcr0Accum: 7n, saveArea: new Uint8Array(576).fill(0x11) } } },
        { instance: 0, body: { type: "cpu_msr", value: { msrs: [{ index: 0xc000_0103, value: 1n }, { index: 0x10, value: 0x1234n }] } } },
        // A record shorter than its current layout (an older hypervisor's LAPIC body): kept as bytes.
        { instance: 0, body: { type: "unknown", selector: HvmSaveType.lapic, bytes: new Uint8Array(16).fill(3) } },
        end,
      );
      return { type: "hvm_context", body: { records } };
    }),
  });
  valid("hvm-x86_64-save-big-seekable", "seekable", { header: hvm.header, sections: [...hvmContextWithAll(hvm).sections, ...deviceModel()] }, "An x86 HVM guest's save image, big-endian, with its device model's state and xenstore keys, variable-length HVM records and a record of an older, shorter layout kept as bytes.", [
    "image_type save", "hvm", "x86_64", "hvm_context", "hvm_params", "device_model_state", "device_model_xenstore", "big-endian",
  ]);
  valid("hvm-x86_64-migration-little-streamed", "streamed", withCheckpoint(guestImage("hvm-x86_64"), ["page_data", "hvm_context"]), "An x86 HVM guest's migration stream with one checkpoint.", ["image_type migration", "hvm", "checkpoint", "streamed"]);
  valid("pv-x86_64-migration-big-streamed", "streamed", withCheckpoint(guestImage("pv-x86_64", { bigEndian: true }), ["page_data", "vcpu_context"]), "A 64-bit PV guest's migration stream with one checkpoint, big-endian.", ["image_type migration", "pv", "checkpoint", "big-endian", "streamed"]);
  valid("pv-x86_64-migration-little-seekable", "seekable", guestImage("pv-x86_64", { imageType: ImageType.migration }), "A migration image stored seekable: any image type may have either layout.", ["image_type migration", "seekable"]);
  valid("arm64-save-little-streamed", "streamed", guestImage("arm64"), "An ARM64 guest's save image, streamed.", ["image_type save", "arm64", "vcpu_context arm", "shared_info arm", "streamed"]);
  valid("arm32-save-big-seekable", "seekable", arm32Image({ bigEndian: true }), "An ARM32 guest's save image, big-endian.", ["image_type save", "arm32", "big-endian"]);
  valid("pv-x86_64-core-little-seekable", "seekable", coreImage("pv-x86_64", { vcpus: 2 }), "A 64-bit PV guest's core image.", ["image_type core", "pv", "xen_version", "pfn_map pv"]);
  valid("pv-x86_32-core-big-streamed", "streamed", coreImage("pv-x86_32", { bigEndian: true }), "A 32-bit PV guest's core image, big-endian and streamed.", ["image_type core", "x86_32", "big-endian", "streamed"]);
  valid("hvm-x86_64-core-big-seekable", "seekable", coreImage("hvm-x86_64", { bigEndian: true }), "An x86 HVM guest's core image (its vcpus in the 64-bit layout).", ["image_type core", "hvm", "pfn_map hvm", "big-endian"]);
  valid("arm64-core-little-streamed", "streamed", coreImage("arm64"), "An ARM64 guest's core image.", ["image_type core", "arm64", "streamed"]);

  const arm = guestImage("arm64");
  const armRaw = rawOf(tinyImage());
  const armBe = rawOf(tinyImage({ bigEndian: true }));
  {
    const raw = { ...armRaw, sections: [...armRaw.sections] };
    raw.sections.splice(1, 0, { type: (0x7abc | OPTIONAL_BIT) >>> 0, flags: 0, entryCount: 0n, entrySize: 0, align: 8, body: new Uint8Array([1, 2, 3, 4, 5]) });
    files.push({ file: "valid/unknown-optional-section-little-seekable.img", verdict: "valid", layout: "seekable", byteOrder: "little", description: "An optional section of a type no version defines: readers skip it.", covers: ["unknown optional section"], bytes: writeSeekable(raw).bytes });
  }
  {
    const raw = { ...armRaw, sections: armRaw.sections.map((s, i) => (i === 0 ? { ...s, flags: 0x8000_0001 } : s)) };
    files.push({ file: "valid/entry-flags-little-streamed.img", verdict: "valid", layout: "streamed", byteOrder: "little", description: "A section with entry flags this version does not define: readers keep them.", covers: ["entry flags"], bytes: writeStreamed(raw).bytes });
  }
  {
    const entryFields = new Map(armRaw.sections.map((_, i) => [i, { entryCrc: 0 }] as const));
    entryFields.set(armRaw.sections.length, { entryCrc: 0 });
    const w = writeSeekable(armRaw, { headerFields: [field("format_version", 1)], entryFields });
    files.push({ file: "valid/format-version-1-little-seekable.img", verdict: "valid", layout: "seekable", byteOrder: "little", description: "A version-1 image: entry_crc is the zero reserved word it was then.", covers: ["format_version 1"], bytes: w.bytes });
  }

  // ---- Future images: written by the codecs of a later version's schema -----------------------
  const future = await loadFutureCodecs();
  await futureFiles(future, files, arm, pv64);

  // ---- Invalid images: one broken rule each ---------------------------------------------------
  const invalid = (rule: string, name: string, layout: Layout, raw: RawImage, options: WriteOptions, offset: (w: Written) => number, description: string, post?: (bytes: Uint8Array, w: Written) => Uint8Array) => {
    const spec = VALIDITY_RULES.find((r) => r.id === rule);
    if (spec === undefined) throw new Error(`no validity rule ${rule}`);
    const w = write(raw, layout, options);
    const bytes = post === undefined ? w.bytes : post(w.bytes, w);
    files.push({ file: `invalid/${rule}-${name}.img`, verdict: "invalid", layout, byteOrder: raw.littleEndian ? "little" : "big", rule, code: spec.code, offset: offset(w), description, bytes });
  };
  const headerCase = (rule: string, name: string, layout: Layout, raw: RawImage, fieldName: string, value: number | bigint, description: string) =>
    invalid(rule, name, layout, raw, { headerFields: [field(fieldName, value)] }, () => H.get(fieldName)!.at, description);
  const [gc, pd, vc] = [indexOf(armRaw, SECTION_ID.guest_config!), indexOf(armRaw, SECTION_ID.page_data!), indexOf(armRaw, SECTION_ID.vcpu_context!)];

  invalid("header.size", "little-seekable", "seekable", armRaw, {}, () => 100, "An image cut off after 100 bytes, inside its header.", (b) => b.slice(0, 100));
  invalid("header.magic", "little-seekable", "seekable", armRaw, {}, () => 0, "The magic's second byte changed.", (b) => {
    b[1] = 0x59;
    return b;
  });
  invalid("header.byte_order", "seekable", "seekable", armRaw, {}, () => H.get("byte_order")!.at, "byte_order 3.", (b) => {
    b[H.get("byte_order")!.at] = 3;
    return b;
  });
  headerCase("header.format_version", "zero-little-seekable", "seekable", armRaw, "format_version", 0, "format_version 0 (the header CRC matches).");
  headerCase("header.header_size", "small-big-streamed", "streamed", armBe, "header_size", 100, "header_size 100, less than the header.");
  invalid("header.crc", "little-seekable", "seekable", armRaw, { badHeaderCrc: true }, () => H.get("header_crc")!.at, "header_crc off by one bit.");
  invalid("header.crc", "big-streamed", "streamed", armBe, { badHeaderCrc: true }, () => H.get("header_crc")!.at, "header_crc off by one bit, in a stream.");
  invalid("header.padding", "pad-little-seekable", "seekable", armRaw, { headerFields: [{ at: 9, size: 1, value: 1 }] }, () => 9, "The header's padding byte (0x09) is 1; the header CRC matches.");
  // Big-endian 1: the field's last byte is its first non-zero one.
  invalid("header.padding", "reserved-big-streamed", "streamed", armBe, { headerFields: [field("reserved", 1)] }, () => H.get("reserved")!.at + 3, "The header's reserved field is 1 (big-endian: its first non-zero byte is its last).");
  headerCase("header.image_type", "99-little-seekable", "seekable", armRaw, "image_type", 99, "image_type 99.");
  headerCase("header.image_type", "33-big-streamed", "streamed", armBe, "image_type", 33, "image_type 33.");
  headerCase("header.guest_type", "little-seekable", "seekable", armRaw, "guest_type", 3, "guest_type 3.");
  headerCase("header.arch", "big-seekable", "seekable", armBe, "arch", 5, "arch 5.");
  headerCase("header.page_shift", "0-little-seekable", "seekable", armRaw, "page_shift", 0, "page_shift 0.");
  headerCase("header.page_shift", "64-big-streamed", "streamed", armBe, "page_shift", 64, "page_shift 64.");
  headerCase("header.page_shift", "13-little-streamed", "streamed", armRaw, "page_shift", 13, "page_shift 13 (8 KiB pages, which page_data cannot hold).");
  headerCase("header.vcpu_count", "0-little-seekable", "seekable", armRaw, "vcpu_count", 0, "vcpu_count 0.");
  headerCase("header.vcpu_count", "0-big-streamed", "streamed", armBe, "vcpu_count", 0, "vcpu_count 0, in a stream.");
  headerCase("header.memory_size", "little-seekable", "seekable", armRaw, "memory_size", 4097n, "memory_size 4097, not a whole number of pages.");
  {
    const name = H.get("name")!.at;
    invalid("header.name", "after-nul-little-seekable", "seekable", armRaw, { headerFields: [{ at: name + 40, size: 1, value: 0x41 }] }, () => name + 40, "A non-zero byte after the name's NUL.");
    invalid("header.name", "utf8-big-streamed", "streamed", armBe, { headerFields: [{ at: name, size: 1, value: 0xff }] }, () => name, "A name that is not UTF-8.");
  }
  headerCase("header.section_entry_size", "52-little-seekable", "seekable", armRaw, "section_entry_size", 52, "section_entry_size 52, not a multiple of 8.");
  headerCase("header.section_entry_size", "40-big-streamed", "streamed", armBe, "section_entry_size", 40, "section_entry_size 40, less than an entry.");
  headerCase("header.section_count", "0-little-seekable", "seekable", armRaw, "section_count", 0, "section_count 0 in a seekable image.");
  invalid("header.section_count", "wrong-big-streamed", "streamed", armBe, { sectionCount: armBe.sections.length + 2 }, () => H.get("section_count")!.at, "A stream whose header announces two sections more than it holds.");
  headerCase("header.section_table_offset", "inside-header-little-seekable", "seekable", armRaw, "section_table_offset", 16n, "A table offset inside the header.");
  invalid("image.truncated", "table-little-seekable", "seekable", armRaw, {}, (w) => w.bytes.length - 16, "A seekable image whose last 16 bytes (of its table) are missing.", (b) => b.slice(0, b.length - 16));
  invalid("image.truncated", "body-big-streamed", "streamed", armBe, {}, (w) => w.bodyAt[pd]! + 100, "A stream that ends inside a page_data body.", (b, w) => b.slice(0, w.bodyAt[pd]! + 100));
  invalid("image.truncated", "no-end-little-streamed", "streamed", armRaw, {}, (w) => w.entryAt[w.entryAt.length - 1]!, "A stream without its end entry.", (b, w) => b.slice(0, w.entryAt[w.entryAt.length - 1]!));

  // Entries.
  invalid("entry.crc", "little-seekable", "seekable", armRaw, { badEntryCrc: new Set([gc]) }, (w) => w.entryAt[gc]!, "guest_config's entry_crc off by one bit.");
  invalid("entry.crc", "big-streamed", "streamed", armBe, { badEntryCrc: new Set([vc]) }, (w) => w.entryAt[vc]!, "vcpu_context's entry_crc off by one bit, in a stream.");
  {
    const entryFields = new Map<number, { entryCrc: number }>(armRaw.sections.map((_, i) => [i, { entryCrc: i === pd ? 0x1234 : 0 }]));
    entryFields.set(armRaw.sections.length, { entryCrc: 0 });
    invalid("entry.reserved", "version-1-little-seekable", "seekable", armRaw, { headerFields: [field("format_version", 1)], entryFields }, (w) => w.entryAt[pd]!, "A version-1 image whose page_data entry has a non-zero entry_crc, reserved then.");
  }
  const end = armRaw.sections.length;
  invalid("entry.end", "crc-little-seekable", "seekable", armRaw, { entryFields: new Map([[end, { crc: 5 }]]) }, (w) => w.entryAt[end]!, "The end entry's crc is 5 (it must be 0, the CRC32C of nothing).");
  invalid("entry.end", "optional-bit-big-streamed", "streamed", armBe, { entryFields: new Map([[end, { type: OPTIONAL_BIT }]]) }, (w) => w.entryAt[end]!, "The end entry has the optional bit set.");
  invalid("entry.end", "not-last-little-seekable", "seekable", armRaw, { entryFields: new Map([[pd, { type: 0 }]]) }, (w) => w.entryAt[pd]!, "An end entry before the last entry.");
  invalid("entry.align", "little-seekable", "seekable", { ...armRaw, sections: armRaw.sections.map((s, i) => (i === gc ? { ...s, align: 16 } : s)) }, {}, (w) => w.entryAt[gc]!, "guest_config aligned to 16; its registry entry says 8.");
  invalid("entry.align", "not-power-big-streamed", "streamed", armBe, { entryFields: new Map([[gc, { align: 24 }]]) }, (w) => w.entryAt[gc]!, "An alignment of 24, not a power of two.");
  invalid("entry.optional_bit", "little-seekable", "seekable", { ...armRaw, sections: armRaw.sections.map((s, i) => (i === vc ? { ...s, type: (s.type | OPTIONAL_BIT) >>> 0 } : s)) }, {}, (w) => w.entryAt[vc]!, "vcpu_context, a mandatory section, with the optional bit set.");
  invalid("entry.shape", "count-5-little-seekable", "seekable", armRaw, { entryFields: new Map([[gc, { entryCount: 5n }]]) }, (w) => w.entryAt[gc]!, "guest_config, not an array section, with entry_count 5.");
  invalid("entry.shape", "entry-size-big-streamed", "streamed", armBe, { entryFields: new Map([[vc, { entrySize: 100 }]]) }, (w) => w.entryAt[vc]!, "vcpu_context with entry_size 100, not its layout's.");
  invalid("entry.shape", "size-little-streamed", "streamed", armRaw, { entryFields: new Map([[vc, { entryCount: 2n }]]) }, (w) => w.entryAt[vc]!, "vcpu_context's size is not entry_count × entry_size.");
  {
    // Overlap: vcpu_context's body placed inside page_data's.
    const sections = armRaw.sections;
    const overlapAt = writeSeekable(armRaw).bodyAt[pd]! + 8;
    invalid("entry.placement", "overlap-little-seekable", "seekable", armRaw, { offsets: new Map([[pd + 1, BigInt(overlapAt)]]) }, (w) => w.entryAt[pd + 1]!, `${sections.length > pd + 1 ? "The section after page_data" : "A body"} placed inside page_data's body (overlapping bodies).`);
    const normal = writeSeekable(armRaw);
    // Out of order: guest_config's body after page_data's, where the section after page_data would go.
    invalid("entry.placement", "order-little-seekable", "seekable", armRaw, { offsets: new Map([[gc, BigInt(normal.bodyAt[vc]!)], [vc, BigInt(normal.bodyAt[gc]!)]]) }, (w) => w.entryAt[gc]!, "Two bodies in the reverse of table order.");
    invalid("entry.placement", "gap-big-seekable", "seekable", armBe, { extraGap: new Map([[vc, 8]]) }, (w) => w.entryAt[vc]!, "8 bytes more than its alignment needs before vcpu_context's body.");
    invalid("entry.placement", "offset-little-streamed", "streamed", armRaw, { entryFields: new Map([[gc, { offset: 0n }]]) }, (w) => w.entryAt[gc]!, "A streamed entry with offset 0 instead of the sentinel.");
  }
  invalid("layout.gap", "little-seekable", "seekable", armRaw, { gapByte: new Map([[pd, 0x5a]]) }, (w) => w.gapAt[pd]!, "A non-zero byte in the alignment gap before page_data.");
  {
    // A body whose length is not a multiple of 8 has padding after it in a stream.
    const padded = armRaw.sections.findIndex((s) => s.body.length % 8 !== 0);
    invalid("layout.padding", "big-streamed", "streamed", armBe, { padding: new Map([[padded, 0x5a]]) }, (w) => w.gapAt[padded + 1]!, "A non-zero byte in a stream's padding after a body.");
  }
  invalid("layout.trailing", "little-seekable", "seekable", armRaw, { trailing: new Uint8Array(8) }, (w) => w.bytes.length - 8, "8 zero bytes after the table.");
  invalid("layout.trailing", "big-streamed", "streamed", armBe, { trailing: new Uint8Array(8) }, (w) => w.bytes.length - 8, "8 zero bytes after the end entry.");
  invalid("body.crc", "little-seekable", "seekable", { ...armRaw, sections: armRaw.sections.map((s, i) => (i === pd ? { ...s, crc: 0x1234 } : s)) }, {}, (w) => w.bodyAt[pd]!, "page_data's crc does not match its body.");
  invalid("body.crc", "big-streamed", "streamed", { ...armBe, sections: armBe.sections.map((s, i) => (i === vc ? { ...s, crc: 0x1234 } : s)) }, {}, (w) => w.bodyAt[vc]!, "vcpu_context's crc does not match its body, in a stream.");
  {
    const raw = { ...armRaw, sections: [...armRaw.sections] };
    raw.sections.splice(1, 0, { type: 0x7abc, flags: 0, entryCount: 0n, entrySize: 0, align: 8, body: new Uint8Array(8) });
    invalid("section.unknown_mandatory", "little-seekable", "seekable", raw, {}, (w) => w.bodyAt[1]!, "A section of type 0x7abc, which no version defines, without the optional bit.");
  }

  // Bodies.
  const pvRaw = rawOf(guestImage("pv-x86_64"));
  const pvBe = rawOf(guestImage("pv-x86_64", { bigEndian: true }));
  const tsc = indexOf(pvRaw, SECTION_ID.tsc_info!);
  invalid("body.reserved", "tsc-little-seekable", "seekable", withBody(pvRaw, tsc, (_, v) => v.setUint32(20, 1, true)), {}, (w) => w.bodyAt[tsc]! + 20, "tsc_info's reserved field is 1.");
  {
    const pdPv = indexOf(pvBe, SECTION_ID.page_data!);
    // Bits 59-52 of the first page-frame word (big-endian: its second byte holds bits 55-48).
    invalid("body.reserved", "pfn-word-big-streamed", "streamed", withBody(pvBe, pdPv, (b) => void (b[8 + 1] = b[8 + 1]! | 0x10)), {}, (w) => w.bodyAt[pdPv]! + 8, "Reserved bits 59-52 of a page-frame word set.");
  }
  {
    const raw = withBody(armRaw, gc, (b) => void (b[3] = 0));
    invalid("body.string", "nul-little-seekable", "seekable", raw, {}, (w) => w.bodyAt[gc]! + 3, "A NUL inside guest_config's text.");
    invalid("body.string", "utf8-big-streamed", "streamed", withBody(armBe, gc, (b) => void (b[0] = 0xff)), {}, (w) => w.bodyAt[gc]!, "guest_config's text is not UTF-8.");
  }
  invalid("body.truncated", "tsc-little-seekable", "seekable", withBody(pvRaw, tsc, (b) => b.slice(0, 16)), {}, (w) => w.bodyAt[tsc]!, "tsc_info's body is 16 bytes, its layout 24.");
  invalid("body.length", "tsc-big-streamed", "streamed", withBody(pvBe, tsc, (b) => concat(b, new Uint8Array(8))), {}, (w) => w.bodyAt[tsc]! + 24, "8 bytes more than tsc_info's layout in its body.");
  {
    const msrs = indexOf(pvRaw, SECTION_ID.vcpu_msrs!);
    invalid("body.length", "vcpu-msrs-little-seekable", "seekable", withBody(pvRaw, msrs, (b) => concat(b, new Uint8Array(8))), {}, (w) => w.bodyAt[msrs]! + 8, "vcpu_msrs with 8 bytes more than a whole number of MSRs.");
  }
  const hvmRaw = rawOf(hvmContextWithAll(guestImage("hvm-x86_64")));
  const hc = indexOf(hvmRaw, SECTION_ID.hvm_context!);
  const records = hvmRecords(hvmRaw.sections[hc]!.body);
  {
    const msr = records.find((r) => r.type === HvmSaveType.cpu_msr)!;
    invalid("body.length", "hvm-msr-count-little-seekable", "seekable", withBody(hvmRaw, hc, (_, v) => v.setUint32(msr.at + 8, 3, true)), {}, (w) => w.bodyAt[hc]! + msr.at + 16, "A CPU_MSR record whose count (3) needs more bytes than its length gives (2 MSRs).");
    const last = records[records.length - 1]!;
    invalid("body.length", "hvm-record-length-little-streamed", "streamed", withBody(hvmRaw, hc, (_, v) => v.setUint32(last.at + 4, 4, true)), {}, (w) => w.bodyAt[hc]! + last.at + 8, "The end record's length runs past the HVM context's body.");
  }
  const p2m = indexOf(pvRaw, SECTION_ID.p2m_frame_list!);
  invalid("p2m_frame_list.range", "little-seekable", "seekable", withBody(pvRaw, p2m, (_, v) => v.setBigUint64(0, 1n, true)), {}, (w) => w.bodyAt[p2m]!, "start_pfn 1 above end_pfn 0.");
  invalid("p2m_frame_list.frames", "big-streamed", "streamed", withBody(pvBe, p2m, (b) => concat(b, new Uint8Array(8))), {}, (w) => w.bodyAt[p2m]! + 16, "Two frames where pfns 0-0 need one.");

  // Across sections.
  {
    const two = rawOf(tinyImage({ vcpus: 2 }));
    const vc2 = indexOf(two, SECTION_ID.vcpu_context!);
    invalid("vcpu_context.count", "more-little-seekable", "seekable", two, { headerFields: [field("vcpu_count", 1)] }, (w) => w.bodyAt[vc2]!, "Two vcpu contexts with vcpu_count 1.");
    const none = { ...armBe, sections: armBe.sections.map((s, i) => (i === vc ? { ...s, entryCount: 0n, body: new Uint8Array(0) } : s)) };
    invalid("vcpu_context.count", "none-big-streamed", "streamed", none, {}, (w) => w.bodyAt[vc]!, "A vcpu_context section without entries.");
  }
  {
    const ext = indexOf(pvRaw, SECTION_ID.vcpu_extended!);
    invalid("vcpu.id", "extended-little-seekable", "seekable", withBody(pvRaw, ext, (_, v) => v.setUint32(0, 1, true)), {}, (w) => w.bodyAt[ext]!, "vcpu_extended for vcpu 1 with vcpu_count 1.");
    const cpu = records.find((r) => r.type === HvmSaveType.cpu)!;
    invalid("vcpu.id", "hvm-cpu-little-streamed", "streamed", withBody(hvmRaw, hc, (_, v) => v.setUint16(cpu.at + 2, 1, true)), {}, (w) => w.bodyAt[hc]! + cpu.at + 2, "A CPU record for vcpu 1 with vcpu_count 1.");
  }
  {
    const first = records[0]!;
    invalid("hvm_context.order", "header-not-first-little-seekable", "seekable", withBody(hvmRaw, hc, (_, v) => v.setUint16(first.at, 99, true)), {}, (w) => w.bodyAt[hc]!, "The first HVM record is not the header record.");
    const last = records[records.length - 1]!;
    const body = hvmRaw.sections[hc]!.body;
    invalid("hvm_context.order", "no-end-little-streamed", "streamed", withBody(hvmRaw, hc, (b) => b.slice(0, last.at)), {}, (w) => w.bodyAt[hc]! + records[records.length - 2]!.at, "An HVM context without its end record.");
    const pic = records.find((r) => r.type === HvmSaveType.pic)!;
    const after = concat(body, body.subarray(pic.at, pic.at + 8 + pic.length));
    invalid("hvm_context.order", "after-end-little-seekable", "seekable", withBody(hvmRaw, hc, () => after), {}, (w) => w.bodyAt[hc]! + last.at, "A record after the end record.");
  }
  const coreRaw = rawOf(coreImage("pv-x86_64"));
  const xv = indexOf(coreRaw, SECTION_ID.xen_version!);
  invalid("xen_version.match", "little-seekable", "seekable", coreRaw, { headerFields: [field("xen_minor", 20)] }, (w) => w.bodyAt[xv]! + 8, "The header says Xen 4.20, xen_version 4.19.");
  {
    const hvmX32 = rawOf(guestImage("hvm-x86_64"));
    invalid("rules.covered", "hvm-x86_32-little-seekable", "seekable", hvmX32, { headerFields: [field("arch", Arch.x86_32)] }, () => H.get("image_type")!.at, "An HVM guest with arch x86_32.");
    invalid("rules.covered", "pv-arm64-big-streamed", "streamed", armBe, { headerFields: [field("guest_type", GuestType.pv)] }, () => H.get("image_type")!.at, "A PV guest on ARM64.");
  }
  {
    const noVcpu = { ...armRaw, sections: armRaw.sections.filter((_, i) => i !== vc) };
    invalid("rules.presence", "missing-little-seekable", "seekable", noVcpu, {}, (w) => w.entryAt[w.entryAt.length - 1]!, "A save image without vcpu_context.");
    const twice = { ...armBe, sections: [armBe.sections[gc]!, ...armBe.sections] };
    invalid("rules.presence", "twice-big-streamed", "streamed", twice, {}, (w) => w.entryAt[1]!, "guest_config twice.");
    const pfnMap = rawOf(coreImage("arm64")).sections.find((s) => s.type === SECTION_ID.pfn_map)!;
    const forbidden = { ...armRaw, sections: [...armRaw.sections, pfnMap] };
    invalid("rules.presence", "forbidden-little-seekable", "seekable", forbidden, {}, (w) => w.entryAt[forbidden.sections.length - 1]!, "A pfn_map, which save images may not have.");
  }
  {
    const moved = { ...armRaw, sections: [armRaw.sections[gc]!, armRaw.sections[vc]!, ...armRaw.sections.filter((_, i) => i !== gc && i !== vc)] };
    invalid("rules.order", "little-seekable", "seekable", moved, {}, (w) => w.entryAt[2]!, "vcpu_context before page_data.");
    const mig = rawOf(withCheckpoint(guestImage("hvm-x86_64"), ["page_data"]));
    const phased = { ...mig, sections: [...mig.sections, mig.sections[indexOf(mig, SECTION_ID.guest_config!)]!] };
    invalid("rules.order", "phase-little-streamed", "streamed", phased, {}, (w) => w.entryAt[phased.sections.length - 1]!, "guest_config after a checkpoint, where only the pages and vcpu state may come again.");
  }
  {
    const pm = indexOf(coreRaw, SECTION_ID.pfn_map!);
    const extra = { ...coreRaw, sections: coreRaw.sections.map((s, i) => (i === pm ? { ...s, entryCount: s.entryCount + 1n, body: concat(s.body, s.body.subarray(0, 16)) } : s)) };
    invalid("pfn_map.words", "count-little-seekable", "seekable", extra, {}, (w) => w.bodyAt[pm]!, "A pfn_map with one entry more than the page-frame words.");
    const coreBe = rawOf(coreImage("hvm-x86_64", { bigEndian: true }));
    const pmBe = indexOf(coreBe, SECTION_ID.pfn_map!);
    invalid("pfn_map.words", "pfn-big-streamed", "streamed", withBody(coreBe, pmBe, (_, v) => v.setBigUint64(0, 0x777n, false)), {}, (w) => w.bodyAt[pmBe]!, "pfn_map's entry 0 names another pfn than page-frame word 0.");
  }
  return files;
}

/** The files written by the future schema's codecs: what a reader of this version reads, and what it rejects. */
async function futureFiles(future: FutureCodecs, files: SuiteFile[], arm: ImageInit, pv64: ImageInit): Promise<void> {
  const savedAt = 1_764_000_000n;
  const header = (init: ImageInit, bigEndian = false) => ({ ...init.header, byteOrder: bigEndian ? ByteOrder.big : ByteOrder.little, savedAt });
  const streamed = async (format: FutureCodecs["imageFormat"], init: { header: object; sections: readonly object[] }) => {
    const chunks: Uint8Array[] = [];
    for await (const c of encodeStream(format, init.header as never, init.sections as never)) chunks.push(c.slice());
    return concat(...chunks);
  };
  const push = (file: string, layout: Layout, byteOrder: "little" | "big", description: string, bytes: Uint8Array, extra: Partial<SuiteFile>) =>
    files.push({ file: `future/${file}.img`, verdict: extra.rule === undefined ? "valid" : "invalid", layout, byteOrder, description, bytes, ...extra });

  const longer = { header: header(arm), sections: arm.sections };
  push("longer-header-and-entries-little-seekable", "seekable", "little", "A later version's image: a 160-byte header (saved_at appended) and 56-byte entries (entry_tag appended). A reader reads the fields it knows and skips the rest.", future.encodeImage(longer as never), { covers: ["longer header", "longer entries"] });
  push("longer-header-and-entries-big-streamed", "streamed", "big", "The same in a big-endian stream: every streamed entry is section_entry_size (56) bytes.", await streamed(future.imageFormat, { header: header(arm, true), sections: arm.sections }), { covers: ["longer header", "longer entries", "streamed"] });

  // A page of a type this version does not name (l5_table, 5): it carries contents.
  const pageData = { type: "page_data", body: { pfns: [{ type: 5, pfn: 0 }], pages: [new Uint8Array(4096).fill(0x55)] } };
  const l5 = { header: header(arm), sections: arm.sections.map((s) => (s.type === "page_data" ? pageData : s)) };
  push("page-type-5-little-seekable", "seekable", "little", "A page_data word of a page type a later version names (l5_table, 5), with its page: every type but broken, allocate_only and invalid carries contents.", future.encodeImage(l5 as never), { covers: ["unknown page type"] });

  // A value of an open enum this version does not name: tsc_info's mode 7.
  const tsc = { header: header(pv64), sections: pv64.sections.map((s) => (s.type === "tsc_info" ? { ...s, body: { ...s.body, mode: 7 } } : s)) };
  push("open-enum-value-little-seekable", "seekable", "little", "tsc_info's mode 7, a value of an open enum a later version names: a reader keeps it.", future.encodeImage(tsc as never), { covers: ["unknown open enum value"] });

  // New sections: an optional one is skipped, a mandatory one rejects the image.
  const notes = { type: "guest_notes", body: { writtenAt: 1_764_000_000n, notes: "moved to a new host" } };
  const withNotes = { header: header(arm), sections: [arm.sections[0], notes, ...arm.sections.slice(1)] };
  push("optional-section-little-seekable", "seekable", "little", "A later version's optional section (guest_notes): a reader skips it.", future.encodeImage(withNotes as never), { covers: ["unknown optional section"] });
  const keys = { type: "memory_encryption", body: { keyId: 1 } };
  const withKeys = { header: header(arm), sections: [arm.sections[0], keys, ...arm.sections.slice(1)] };
  const keyBytes = future.encodeImage(withKeys as never);
  const keyEntry = takeApartFuture(future, keyBytes, 1);
  push("mandatory-section-little-seekable", "seekable", "little", "A later version's mandatory section (memory_encryption): a reader that does not know it rejects the image.", keyBytes, { rule: "section.unknown_mandatory", code: "unknown-mandatory", offset: keyEntry });

  // A later format_version: rejected before anything but the magic and byte order is read.
  const v3 = { ...future.imageFormat, version: imageFormat.version + 1 };
  const { encodeContainer } = await import("../../runtime/index.js");
  push("format-version-3-little-seekable", "seekable", "little", "An image of format version 3, made by the future schema declared version 3.", encodeContainer(v3 as never, longer as never), { rule: "header.format_version", code: "unsupported", offset: imageFormat.header.offsets.formatVersion });
}

/** Where section `index`'s body starts in an image the future codecs wrote (their table, their entry size). */
function takeApartFuture(future: FutureCodecs, bytes: Uint8Array, index: number): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const at = future.imageFormat.header.offsets;
  const table = Number(view.getBigUint64(at.sectionTableOffset, true));
  const entrySize = view.getUint32(at.sectionEntrySize, true);
  return Number(view.getBigUint64(table + index * entrySize + 8, true));
}
