/**
 * xenimage image → Xen stream (libxc v3, a libxl stream around it, or an xl save file around that).
 * Records come out in the order Xen's saver writes them, at most 1024 pfns per PAGE_DATA, padding and
 * reserved fields zero, STATIC_DATA_END once before the page data, END last and nothing after it. An
 * image imported from a Xen stream is written back in that stream's record order (its
 * xen_stream_layout section). What the image holds that no Xen record can (its header, sections
 * without a record, the order of its sections) travels, only when asked for, in one optional XENIMAGE
 * record, which Xen's restorer skips but Xen's verify-stream-v2 refuses.
 */
import {
  Arch,
  encodeImage,
  GuestType,
  type Image,
  type ImageInit,
  type ImageSection,
  ImageType,
  type KnownSection,
  sectionCodecByName,
} from "../../generated/index.js";
import {
  decodeXenOfflineVcpus,
  decodeXenStreamLayout,
  DomainType,
  encodeXenimageSources,
  RecordLayer,
  RecordType,
  XlConfigForm,
  type XenimageSectionSource,
  type XenStreamLayout,
} from "../../generated/xen_libxc/index.js";
import { LibxlRecordType } from "../../generated/xen_libxl/index.js";
import { encodeXlConfigData, XlMandatoryFlags } from "../../generated/xen_xl/index.js";
import { ByteReader, ByteWriter, EncodeError, hex, OPTIONAL_BIT, sectionLabel, type UnknownSection, XenImageError } from "../../runtime/index.js";
import { headerInit, sameImage, sameSection } from "./compare.js";
import { LIBXC_STRUCTURAL, LIBXL_STRUCTURAL, SECTION, XEN_PAGE_SHIFT, XENIMAGE_RECORD, type RecordLayerName } from "./constants.js";
import { type XenLayerName, type XenRecord, type XlHeaderInfo, writeXenStream } from "./framing.js";
import { importXenStream } from "./import.js";
import { frameRecord, type GuestShape, libxlRecordToPiece, rebuilds, recordToPiece, sectionToRecords, unframeRecords, vcpuIdOf } from "./mapping.js";
import { checkImageShape, checkSectionBodies } from "../image-check.js";

/** Options of {@link exportXenStream}. */
export interface ExportOptions {
  /** What to write: a libxc stream, a libxl stream (the libxc stream inside), or an xl save file. */
  readonly layer: XenLayerName;
  /**
   * The libxc stream's version: 3 (Xen 4.15 on: STATIC_DATA_END, CPUID and MSR policy records) or 2
   * (Xen 4.6-4.14: neither; the cpuid and msr_policy sections are then left out). Default: the version
   * of the stream the image was imported from, else 3.
   */
  readonly version?: 2 | 3;
  /**
   * Whether to add xenimage's own XENIMAGE record, which carries what Xen's records cannot (the image's
   * header, its sections without a Xen record, their order), so that importing the stream gives the
   * image back exactly. `never` (default): only what Xen's saver writes, so the stream passes Xen's own
   * tools. `auto`: add it when the Xen records alone would not give the image back. `always`.
   * **A stream with XENIMAGE fails Xen's verify-stream-v2** (libxc.py refuses every record type it does
   * not know, optional ones included), although Xen's restorer skips it as the specification says; in
   * an xl save file it rides in the header's optional data instead, where xl and the verifier skip it,
   * but xl save never writes anything there.
   */
  readonly xenimageRecord?: "auto" | "always" | "never";
}

function made(layer: RecordLayerName, type: number, body: Uint8Array = new Uint8Array(0)): XenRecord {
  return { layer, type, body, offset: -1, index: -1 };
}

/** The order Xen's saver writes libxc records in, within one round (xg_sr_save*.c). */
const RANK: Record<number, number> = {
  [RecordType.x86_pv_info]: 1,
  [RecordType.x86_cpuid_policy]: 2,
  [RecordType.x86_msr_policy]: 3,
  [RecordType.x86_pv_p2m_frames]: 5,
  [RecordType.page_data]: 6,
  [RecordType.x86_tsc_info]: 7,
  [RecordType.shared_info]: 8,
  [RecordType.hvm_context]: 9,
  [RecordType.hvm_params]: 10,
  [RecordType.x86_pv_vcpu_basic]: 11,
  [RecordType.x86_pv_vcpu_extended]: 11,
  [RecordType.x86_pv_vcpu_xsave]: 11,
  [RecordType.x86_pv_vcpu_msrs]: 11,
  [RecordType.checkpoint]: 100,
};
/** The rank before which STATIC_DATA_END goes: the PV p2m frames and the page data follow it. */
const AFTER_STATIC_DATA = 5;
const VCPU_KIND: Record<number, number> = {
  [RecordType.x86_pv_vcpu_basic]: 0,
  [RecordType.x86_pv_vcpu_extended]: 1,
  [RecordType.x86_pv_vcpu_xsave]: 2,
  [RecordType.x86_pv_vcpu_msrs]: 3,
};

/**
 * Xen's order: per round, X86_PV_INFO, the policies, STATIC_DATA_END (first round only), the p2m frames,
 * the pages, TSC, shared info, then per vcpu BASIC, EXTENDED, XSAVE, MSRS (HVM: HVM_CONTEXT, HVM_PARAMS);
 * a record with no place of its own (a carried one) stays right after the record before it.
 */
function arrangeCanonical(gen: readonly (XenRecord[] | undefined)[], layer: XenLayerName, version: number, xenimage: XenRecord | undefined): XenRecord[] {
  interface Item {
    rec: XenRecord;
    phase: number;
    rank: number;
    sub: number;
    seq: number;
  }
  const items: Item[] = [];
  const libxl: { rec: XenRecord; phase: number }[] = [];
  let phase = 0;
  let lastRank = 0;
  let lastSub = 0;
  for (const recs of gen) {
    for (const rec of recs ?? []) {
      if (rec.layer === "libxl") {
        libxl.push({ rec, phase });
        continue;
      }
      let rank = RANK[rec.type];
      let sub = 0;
      if (rank === undefined) {
        rank = lastRank;
        sub = lastSub;
      } else if (VCPU_KIND[rec.type] !== undefined) {
        sub = vcpuIdOf(rec) * 4 + VCPU_KIND[rec.type]!;
      }
      items.push({ rec, phase, rank, sub, seq: items.length });
      lastRank = rank;
      lastSub = sub;
      if (rec.type === RecordType.checkpoint) {
        phase++;
        lastRank = 0;
        lastSub = 0;
      }
    }
  }
  items.sort((a, b) => a.phase - b.phase || a.rank - b.rank || a.sub - b.sub || a.seq - b.seq);
  const libxc: XenRecord[] = xenimage === undefined ? [] : [xenimage];
  let staticDone = version < 3; // version 2 has no STATIC_DATA_END: its restorer implies it
  for (const item of items) {
    if (!staticDone && (item.phase > 0 || item.rank >= AFTER_STATIC_DATA)) {
      libxc.push(made("libxc", RecordType.static_data_end));
      staticDone = true;
    }
    libxc.push(item.rec);
  }
  if (!staticDone) libxc.push(made("libxc", RecordType.static_data_end));
  libxc.push(made("libxc", RecordType.end));
  if (layer === "libxc") return libxc;

  const out: XenRecord[] = [made("libxl", LibxlRecordType.libxc_context)];
  let round = 0;
  const libxlRound = (p: number): void => {
    for (const l of libxl) if (l.phase === p) out.push(l.rec);
  };
  for (const rec of libxc) {
    out.push(rec);
    if (rec.type === RecordType.checkpoint) {
      libxlRound(round++);
      out.push(made("libxl", LibxlRecordType.checkpoint_end));
    }
  }
  for (let p = round; p <= phase; p++) libxlRound(p);
  out.push(made("libxl", LibxlRecordType.end));
  return out;
}

const LAYER_CODE: Record<XenLayerName, number> = { libxc: 1, libxl: 2, xl: 3 };

/** The records in the order an imported stream had them; undefined when the image no longer matches it. */
function arrangeByLayout(
  layout: XenStreamLayout,
  gen: readonly (XenRecord[] | undefined)[],
  layer: XenLayerName,
  version: number,
  xenimage: XenRecord | undefined,
): XenRecord[] | undefined {
  if (layout.layer !== LAYER_CODE[layer]) return undefined;
  const used = gen.map(() => 0);
  const out: XenRecord[] = [];
  let staticDone = version < 3; // version 2: STATIC_DATA_END is neither written nor inserted
  let libxcEnded = false;
  if (layer === "libxc" && xenimage !== undefined) out.push(xenimage);
  for (const tok of layout.tokens) {
    const tokLayer: RecordLayerName | undefined = tok.layer === RecordLayer.libxc ? "libxc" : tok.layer === RecordLayer.libxl ? "libxl" : undefined;
    if (tokLayer === undefined) return undefined;
    const structural = tokLayer === "libxc" ? LIBXC_STRUCTURAL.has(tok.type) : LIBXL_STRUCTURAL.has(tok.type);
    if (structural) {
      if (tok.section !== 0xffff_ffff) return undefined;
      if (tokLayer === "libxc" && tok.type === RecordType.static_data_end) {
        if (version < 3) continue;
        if (staticDone) return undefined;
        staticDone = true;
      }
      if (tokLayer === "libxc" && tok.type === RecordType.end) {
        if (!staticDone) out.push(made("libxc", RecordType.static_data_end)); // a version 2 stream without page data
        staticDone = true;
        libxcEnded = true;
      }
      out.push(made(tokLayer, tok.type));
      if (tokLayer === "libxl" && tok.type === LibxlRecordType.libxc_context && xenimage !== undefined) out.push(xenimage);
      continue;
    }
    const recs = gen[tok.section];
    const k = used[tok.section];
    if (recs === undefined || k === undefined || k >= recs.length) return undefined;
    const rec = recs[k]!;
    if (rec.layer !== tokLayer || rec.type >>> 0 !== tok.type >>> 0) return undefined;
    if (tokLayer === "libxc" && !staticDone && (rec.type === RecordType.page_data || rec.type === RecordType.checkpoint || libxcEnded)) {
      // A version 2 stream: STATIC_DATA_END goes where its restorer assumed it, before the first pages.
      out.push(made("libxc", RecordType.static_data_end));
      staticDone = true;
    }
    out.push(rec);
    used[tok.section] = k + 1;
  }
  if (!gen.every((recs, i) => recs === undefined || recs.length === used[i])) return undefined;
  return out;
}

/** The carrier sections right after section `i` that describe it (xen_record_override, xen_offline_vcpus). */
function followersOf(sections: readonly ImageSection[], i: number): UnknownSection[] {
  const out: UnknownSection[] = [];
  for (let k = i + 1; k < sections.length; k++) {
    const s = sections[k]!;
    if (s.type !== "unknown" || !s.optional || (s.id !== SECTION.override && s.id !== SECTION.offline)) break;
    out.push(s);
  }
  return out;
}

/** The vcpu ids a xen_offline_vcpus section lists. */
function offlineIds(section: UnknownSection | undefined): Set<number> {
  if (section === undefined) return new Set();
  return new Set(decodeXenOfflineVcpus(new ByteReader(section.bytes, { littleEndian: true })).vcpuIds);
}

/** The records each section gives in a stream of this layer (undefined: none; it travels in XENIMAGE). */
function generate(sections: readonly ImageSection[], guest: GuestShape, layer: XenLayerName, version: number): (XenRecord[] | undefined)[] {
  return sections.map((section, i) => {
    try {
      if (section.type === "unknown") {
        if (!section.optional) return undefined;
        if (section.id === SECTION.libxcRecord || (section.id === SECTION.libxlRecord && layer !== "libxc")) {
          const recs = unframeRecords(section.bytes, section.id === SECTION.libxcRecord ? "libxc" : "libxl");
          const rec = recs[0];
          if (recs.length !== 1 || rec === undefined) return undefined;
          if (rec.layer === "libxc" && (LIBXC_STRUCTURAL.has(rec.type) || rec.type === RecordType.checkpoint)) return undefined;
          if (rec.layer === "libxl" && (LIBXL_STRUCTURAL.has(rec.type) || !([LibxlRecordType.emulator_xenstore_data, LibxlRecordType.emulator_context] as number[]).includes(rec.type))) return undefined;
          try {
            if (rec.layer === "libxc") recordToPiece(rec, guest);
            else libxlRecordToPiece(rec, guest);
          } catch {
            return undefined; // a record Xen would refuse is not written (it travels in XENIMAGE)
          }
          return recs;
        }
        return undefined;
      }
      const followers = followersOf(sections, i);
      const offline = offlineIds(followers.find((f) => f.id === SECTION.offline));
      const recs = sectionToRecords(section, guest, { version, offline });
      if (recs === undefined || (layer === "libxc" && recs[0]?.layer === "libxl")) return undefined;
      // The records an imported section came from, while they still decode to it.
      const override = followers.find((f) => f.id === SECTION.override);
      if (override !== undefined) {
        const original = unframeRecords(override.bytes, recs[0]?.layer ?? "libxc");
        if (original.length > 0 && original.every((r) => r.type === recs[0]?.type) && rebuilds(section, original, guest)) return original;
      }
      return recs;
    } catch (e) {
      if (e instanceof XenImageError) throw e.within({ section: sectionLabel(section.type === "unknown" ? `type ${hex(section.id)}` : section.type, i) });
      throw e;
    }
  });
}

function layoutOf(sections: readonly ImageSection[]): XenStreamLayout | undefined {
  const s = sections.find((x) => x.type === "unknown" && x.optional && x.id === SECTION.layout);
  if (s === undefined || s.type !== "unknown") return undefined;
  try {
    return decodeXenStreamLayout(new ByteReader(s.bytes, { littleEndian: true }));
  } catch {
    return undefined;
  }
}

/**
 * xl's header: the configuration as xl save writes it, or as the imported file had it; `tail` (a framed
 * XENIMAGE record) after the configuration, in place of an imported file's own tail.
 */
function xlHeader(sections: readonly ImageSection[], layout: XenStreamLayout | undefined, tail?: Uint8Array): XlHeaderInfo {
  const config = sections.find((s) => s.type === "guest_config");
  const text = config?.type === "guest_config" ? config.body.config : "";
  const bytes = new TextEncoder().encode(text);
  const withConfig = (config: Uint8Array, rest: Uint8Array): Uint8Array => {
    const w = new ByteWriter({ littleEndian: true, initialCapacity: config.length + rest.length + 8 });
    encodeXlConfigData(w, { config, tail: rest });
    return w.finish();
  };
  const nulTerminated = (): Uint8Array => {
    const z = new Uint8Array(bytes.length + 1);
    z.set(bytes);
    return z;
  };
  if (layout?.layer === LAYER_CODE.xl) {
    const flags = { mandatoryFlags: layout.xlMandatoryFlags | XlMandatoryFlags.stream_v2, optionalFlags: layout.xlOptionalFlags };
    const form = layout.xlConfigForm;
    if (form === XlConfigForm.nul_terminated) return { ...flags, optionalData: withConfig(nulTerminated(), tail ?? layout.xlTail) };
    if (form === XlConfigForm.unterminated) return { ...flags, optionalData: withConfig(bytes, tail ?? layout.xlTail) };
    if (tail === undefined && form === XlConfigForm.absent && text === "") return { ...flags, optionalData: new Uint8Array(0) };
    if (tail === undefined && form === XlConfigForm.verbatim && text === "") return { ...flags, optionalData: layout.xlTail };
  }
  // What xl save writes: the JSON and its NUL (a zero length without one), JSON flag when there is one.
  const c = bytes.length === 0 ? bytes : nulTerminated();
  return {
    mandatoryFlags: XlMandatoryFlags.stream_v2 | (c.length > 0 ? XlMandatoryFlags.json : 0),
    optionalFlags: 0,
    optionalData: withConfig(c, tail ?? new Uint8Array(0)),
  };
}

interface Plan {
  readonly header: ImageInit["header"];
  readonly sections: readonly ImageSection[];
  readonly guest: GuestShape;
  readonly gen: readonly (XenRecord[] | undefined)[];
  readonly layout: XenStreamLayout | undefined;
  readonly layer: XenLayerName;
  /** The libxc stream version written: 2 or 3. */
  readonly version: number;
}

/** The XENIMAGE record: the header, the sections marked embedded, and where every section comes from. */
function xenimageRecord(plan: Plan, embed: ReadonlySet<number>): XenRecord {
  const sources: XenimageSectionSource[] = [];
  const embedded: ImageSection[] = [];
  plan.sections.forEach((section, i) => {
    const recs = plan.gen[i] ?? [];
    const first = recs[0];
    const layer = first?.layer === "libxl" ? RecordLayer.libxl : RecordLayer.libxc;
    const type = section.type === "unknown" ? (section.id | (section.optional ? OPTIONAL_BIT : 0)) >>> 0 : sectionId(section.type);
    if (embed.has(i) || first === undefined) {
      embedded.push(section);
      sources.push({ source: 2, layer, sectionType: type, recordType: first?.type ?? 0, recordCount: recs.length });
    } else {
      sources.push({ source: 1, layer, sectionType: type, recordType: first.type >>> 0, recordCount: recs.length });
    }
  });
  const w = new ByteWriter({ littleEndian: true, initialCapacity: 16 * sources.length + 16 });
  encodeXenimageSources(w, { sources });
  const body = encodeImage({ header: plan.header, sections: [{ type: "unknown", id: SECTION.sources, optional: true, flags: 0, entryCount: 0n, entrySize: 0, align: 8, bytes: w.finish() }, ...embedded] });
  return made("libxc", XENIMAGE_RECORD, body);
}

function sectionId(name: string): number {
  const c = sectionCodecByName.get(name);
  if (c === undefined) throw new EncodeError("invalid-value", `unknown section type "${name}"`);
  return (c.id | (c.optional ? OPTIONAL_BIT : 0)) >>> 0;
}

function build(plan: Plan, xenimage: XenRecord | undefined): Uint8Array {
  // In an xl save file the XENIMAGE record goes into the header's optional data, after the configuration,
  // where xl (and Xen's verifier) skip what they do not know; elsewhere it is an optional libxc record.
  const inRecords = plan.layer === "xl" ? undefined : xenimage;
  const records =
    (plan.layout !== undefined ? arrangeByLayout(plan.layout, plan.gen, plan.layer, plan.version, inRecords) : undefined) ??
    arrangeCanonical(plan.gen, plan.layer, plan.version, inRecords);
  const domainType = plan.guest.guestType === GuestType.pv ? DomainType.x86_pv : DomainType.x86_hvm;
  const fromLibxl = plan.layout !== undefined && plan.layout.layer !== LAYER_CODE.libxc;
  return writeXenStream(
    {
      layer: plan.layer,
      version: plan.version,
      ...(plan.layer === "xl" ? { xl: xlHeader(plan.sections, plan.layout, xenimage === undefined ? undefined : frameRecord(xenimage)) } : {}),
      libxlOptions: fromLibxl ? plan.layout!.libxlOptions & 0x2 : 0,
      domain: { type: domainType, pageShift: plan.header.pageShift, xenMajor: plan.header.xenMajor, xenMinor: plan.header.xenMinor },
    },
    records,
  );
}

/**
 * Writes an image (a save or migration image of an x86 PV or HVM guest) as a Xen stream: a libxc
 * stream (version 3, or 2), a libxl stream with it inside (the device model's sections as its emulator
 * records), or an xl save file with the guest_config section as its JSON configuration: by default
 * exactly the records Xen's saver writes, which Xen's verify-stream-v2 accepts. Pure and in memory. A
 * value no Xen record can hold, or that Xen's restorer would refuse, is an EncodeError naming the
 * section and the field, and so is a value of the wrong shape (it is checked by the writers' rules first).
 */
export function exportXenStream(image: ImageInit | Image, options: ExportOptions): Uint8Array {
  const checked = checkImageShape(image as ImageInit);
  const header = headerInit(image.header);
  const where = (reason: string, path: string): EncodeError => new EncodeError("invalid-value", reason, { section: "header", path });
  if (header.imageType !== ImageType.save && header.imageType !== ImageType.migration) throw where(`image type ${header.imageType}: only save and migration images are Xen streams`, "image_type");
  if (header.guestType !== GuestType.pv && header.guestType !== GuestType.hvm) throw where(`guest type ${header.guestType}: Xen streams hold PV or HVM guests`, "guest_type");
  if (header.arch !== Arch.x86_64 && header.arch !== Arch.x86_32) throw where(`architecture ${header.arch}: Xen streams are specified for x86 only`, "arch");
  if (header.pageShift !== XEN_PAGE_SHIFT) throw where(`page_shift ${header.pageShift}: Xen's x86 restorer needs 12`, "page_shift");
  if (!["libxc", "libxl", "xl"].includes(options.layer)) throw new EncodeError("invalid-value", `unknown layer "${String(options.layer)}"`, { path: "layer" });
  const sections = image.sections as readonly ImageSection[];
  // Once the header is known to be a Xen stream's: the bodies are checked against its layouts.
  checkSectionBodies(image as ImageInit, checked, "indexed");
  const guest: GuestShape = { guestType: header.guestType, arch: header.arch };
  if (options.version !== undefined && options.version !== 2 && options.version !== 3) {
    throw new EncodeError("invalid-value", `version ${String(options.version)}: Xen's restorers read libxc streams of version 2 and 3`, { path: "version" });
  }
  const layout = layoutOf(sections);
  const version = options.version ?? (layout?.libxcVersion === 2 ? 2 : 3);
  const plan: Plan = { header, sections, guest, gen: generate(sections, guest, options.layer, version), layout, layer: options.layer, version };
  const mode = options.xenimageRecord ?? "never";
  if (!["auto", "always", "never"].includes(mode)) throw new EncodeError("invalid-value", `xenimageRecord "${String(mode)}": auto, always or never`, { path: "xenimageRecord" });
  const target: ImageInit = { header, sections };

  const reimport = (stream: Uint8Array): ImageInit => {
    try {
      return importXenStream(stream);
    } catch (e) {
      throw new EncodeError("internal", `the stream written does not read back (a bug in the exporter): ${e instanceof Error ? e.message : String(e)}`, {}, e);
    }
  };
  if (mode !== "always") {
    const plain = build(plan, undefined);
    if (mode === "never") return plain;
    let back: ImageInit | undefined;
    try {
      back = importXenStream(plain);
    } catch {
      back = undefined; // the records alone do not make an image our rules accept: XENIMAGE is needed
    }
    if (back !== undefined && sameImage(back, target, { ignoreStreamLayout: true })) return plain;
  }
  // Sections without records travel embedded; so does any section the records do not give back exactly.
  const embed = new Set<number>();
  sections.forEach((s, i) => {
    if (s.type === "guest_config" || s.type === "extended_info") embed.add(i);
  });
  for (let round = 0; round < 3; round++) {
    const stream = build(plan, xenimageRecord(plan, embed));
    const back = reimport(stream);
    if (sameImage(back, target)) return stream;
    if (back.sections.length !== sections.length) {
      sections.forEach((_, i) => embed.add(i));
    } else {
      back.sections.forEach((s, i) => {
        if (!sameSection(s, sections[i]!)) embed.add(i);
      });
    }
  }
  throw new EncodeError("internal", "the XENIMAGE record does not give the image back (a bug in the exporter)", { section: "XENIMAGE" });
}
