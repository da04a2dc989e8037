/**
 * Xen stream → xenimage image. Every record becomes a section or part of one; a record no section holds
 * is kept verbatim as an optional carrier section; what the stream says outside its records (layers,
 * headers, record order) goes into a xen_stream_layout section, so exporting the image gives the stream
 * back byte for byte. A stream an exporter of ours wrote carries a XENIMAGE record, from which the
 * original image is rebuilt exactly instead.
 */
import {
  Arch,
  decodeImage,
  ExtendedInfoFlags,
  GuestType,
  type ImageInit,
  type ImageSection,
  ImageType,
  type KnownSection,
  type PageData,
  sectionCodecById,
} from "../../generated/index.js";
import {
  decodeXenimageSources,
  encodeXenStreamLayout,
  RecordLayer,
  RecordType,
  type XenStreamToken,
  XlConfigForm,
  type XenimageSectionSource,
} from "../../generated/xen_libxc/index.js";
import { decodeXlConfigData } from "../../generated/xen_xl/index.js";
import { ByteReader, ByteWriter, DecodeError, OPTIONAL_BIT, type UnknownSection } from "../../runtime/index.js";
import { headerInit } from "./compare.js";
import { LIBXC_STRUCTURAL, LIBXL_STRUCTURAL, recordLabel, SECTION, XENIMAGE_RECORD, type RecordLayerName } from "./constants.js";
import { readXenStream, type XenRecord, type XenStream } from "./framing.js";
import { decodeLibxcBody, encodeVcpuContext, frameRecord, type GuestShape, recordToPiece, sameBytes, sectionToRecords, unframeRecords, type VcpuContext, vcpuArray } from "./mapping.js";

/** Options of {@link importXenStream}. */
export interface ImportOptions {
  /**
   * The image type to give the image (ImageType.save or .migration). Default: save for an xl save file
   * without CHECKPOINT records, migration otherwise. Ignored when the stream carries a XENIMAGE record.
   */
  readonly imageType?: number;
  /**
   * The guest configuration, for a stream that carries none (a libxc or libxl stream), as `xl restore`
   * takes a config file. Default: empty. An xl save file's own configuration wins.
   */
  readonly config?: string;
}

/** A carrier section: an optional section of ours holding Xen records verbatim. */
export function carrierSection(id: number, records: readonly { readonly type: number; readonly body: Uint8Array }[]): UnknownSection {
  const parts = records.map(frameRecord);
  const bytes = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    bytes.set(p, at);
    at += p.length;
  }
  return { type: "unknown", id, optional: true, flags: 0, entryCount: 0n, entrySize: 0, align: 8, bytes };
}

function recordLayerName(layer: number): RecordLayerName | undefined {
  return layer === RecordLayer.libxc ? "libxc" : layer === RecordLayer.libxl ? "libxl" : undefined;
}

/** Rebuilds the image an exporter of ours wrote, from its XENIMAGE record; undefined when the stream does not match it. */
function importNative(stream: XenStream, xenimage: XenRecord): ImageInit | undefined {
  // xenimage is the XENIMAGE record (one of the stream's records, or one framed in an xl header's tail).
  let sources: XenimageSectionSource[];
  let embedded: ImageSection[];
  let header: ImageInit["header"];
  try {
    const image = decodeImage(xenimage.body);
    const first = image.sections[0];
    if (first === undefined || first.type !== "unknown" || first.id !== SECTION.sources) return undefined;
    sources = decodeXenimageSources(new ByteReader(first.bytes, { littleEndian: true })).sources;
    embedded = image.sections.slice(1) as ImageSection[];
    header = headerInit(image.header);
  } catch {
    return undefined;
  }
  const guest: GuestShape = { guestType: header.guestType, arch: header.arch };
  const queues = new Map<string, XenRecord[]>();
  for (const rec of stream.records) {
    if (rec.layer === "libxc" && (LIBXC_STRUCTURAL.has(rec.type) || rec === xenimage)) continue;
    if (rec.layer === "libxl" && LIBXL_STRUCTURAL.has(rec.type)) continue;
    const key = `${rec.layer}:${rec.type >>> 0}`;
    let q = queues.get(key);
    if (q === undefined) queues.set(key, (q = []));
    q.push(rec);
  }
  const taken = new Map<string, number>();
  const take = (layer: RecordLayerName, type: number, n: number): XenRecord[] | undefined => {
    const key = `${layer}:${type >>> 0}`;
    const q = queues.get(key) ?? [];
    const at = taken.get(key) ?? 0;
    if (at + n > q.length) return undefined;
    taken.set(key, at + n);
    return q.slice(at, at + n);
  };
  const sections: ImageSection[] = [];
  let next = 0;
  try {
    for (const source of sources) {
      const layer = recordLayerName(source.layer);
      if (layer === undefined) return undefined;
      if (source.source === 2) {
        const section = embedded[next++];
        if (section === undefined || take(layer, source.recordType, source.recordCount) === undefined) return undefined;
        sections.push(section);
        continue;
      }
      const records = take(layer, source.recordType, source.recordCount);
      if (records === undefined || records.length === 0) return undefined;
      const id = source.sectionType & ~OPTIONAL_BIT;
      const optional = (source.sectionType & OPTIONAL_BIT) !== 0;
      if (optional && (id === SECTION.libxcRecord || id === SECTION.libxlRecord)) {
        sections.push(carrierSection(id, records));
        continue;
      }
      const codec = sectionCodecById.get(id);
      if (codec === undefined || codec.optional !== optional) return undefined;
      const name = codec.name;
      const pieces = records.map((r) => recordToPiece(r, guest));
      if (name === "vcpu_context") {
        const vcpus = pieces.map((p) => (p.kind === "vcpu" ? p : undefined));
        if (vcpus.some((v) => v === undefined)) return undefined;
        sections.push({ type: "vcpu_context", body: vcpuArray(vcpus as { vcpuId: number; context: VcpuContext }[], guest.arch) } as KnownSection);
      } else if (name === "page_data") {
        const body: PageData = { pfns: [], pages: [] };
        for (const p of pieces) {
          if (p.kind !== "section" || p.section.type !== "page_data") return undefined;
          body.pfns.push(...p.section.body.pfns);
          body.pages.push(...p.section.body.pages);
        }
        sections.push({ type: "page_data", body });
      } else {
        const p = pieces[0]!;
        if (pieces.length !== 1 || p.kind !== "section" || p.section.type !== name) return undefined;
        sections.push(p.section);
      }
    }
  } catch {
    return undefined;
  }
  if (next !== embedded.length) return undefined;
  for (const [key, q] of queues) if ((taken.get(key) ?? 0) !== q.length) return undefined;
  return { header, sections };
}

/** Where a section goes among the groups our image-type rules order (carriers follow their predecessor). */
const GROUP: Record<string, number> = {
  guest_config: 0,
  cpuid: 1,
  msr_policy: 1,
  extended_info: 2,
  p2m_frame_list: 3,
  page_data: 4,
  tsc_info: 5,
  shared_info: 5,
  vcpu_context: 6,
  vcpu_extended: 6,
  vcpu_xsave: 6,
  vcpu_msrs: 6,
  hvm_context: 6,
  hvm_params: 6,
  checkpoint: 7,
};

interface Unit {
  section: ImageSection;
  followers: ImageSection[];
  group: number;
  phase: number;
  order: number;
}

function utf8Strict(bytes: Uint8Array): string | undefined {
  if (bytes.includes(0)) return undefined;
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

/** The configuration an xl header holds, and how it held it. */
function xlConfig(optionalData: Uint8Array): { text: string | undefined; form: number; tail: Uint8Array } {
  if (optionalData.length === 0) return { text: undefined, form: XlConfigForm.absent, tail: new Uint8Array(0) };
  try {
    const { config, tail } = decodeXlConfigData(new ByteReader(optionalData, { littleEndian: true }));
    const nul = config.length > 0 && config[config.length - 1] === 0;
    const text = utf8Strict(nul ? config.subarray(0, config.length - 1) : config);
    if (text !== undefined) return { text, form: nul ? XlConfigForm.nul_terminated : XlConfigForm.unterminated, tail };
  } catch {
    // not config_len + config: kept verbatim below
  }
  return { text: undefined, form: XlConfigForm.verbatim, tail: optionalData };
}

interface ConfigFacts {
  name?: string;
  uuid?: Uint8Array;
  vcpus?: number;
  memory?: bigint;
}

/** Facts libxl's JSON configuration states (c_info.name/uuid, b_info.max_vcpus/max_memkb), when it parses. */
function configFacts(text: string): ConfigFacts {
  const out: ConfigFacts = {};
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return out;
  }
  const obj = (v: unknown): Record<string, unknown> | undefined => (typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined);
  const c = obj(obj(json)?.["c_info"]);
  const b = obj(obj(json)?.["b_info"]);
  if (typeof c?.["name"] === "string") {
    let name = c["name"];
    while (new TextEncoder().encode(name).length > 64) name = name.slice(0, -1);
    out.name = name;
  }
  if (typeof c?.["uuid"] === "string") {
    const hex = c["uuid"].replace(/-/g, "");
    if (/^[0-9a-fA-F]{32}$/.test(hex)) out.uuid = Uint8Array.from({ length: 16 }, (_, i) => parseInt(hex.slice(2 * i, 2 * i + 2), 16));
  }
  if (typeof b?.["max_vcpus"] === "number" && Number.isInteger(b["max_vcpus"]) && b["max_vcpus"] > 0 && b["max_vcpus"] <= 0xffff_ffff) out.vcpus = b["max_vcpus"];
  if (typeof b?.["max_memkb"] === "number" && Number.isSafeInteger(b["max_memkb"]) && b["max_memkb"] > 0) out.memory = BigInt(b["max_memkb"]) * 1024n;
  return out;
}

/** Records Xen's PV restorer handles only after X86_PV_INFO. */
const NEEDS_PV_INFO: ReadonlySet<number> = new Set([
  RecordType.x86_pv_p2m_frames,
  RecordType.x86_pv_vcpu_basic,
  RecordType.x86_pv_vcpu_extended,
  RecordType.x86_pv_vcpu_xsave,
  RecordType.x86_pv_vcpu_msrs,
  RecordType.shared_info,
  RecordType.page_data,
]);

/** Imports a stream no exporter of ours wrote (or whose XENIMAGE record does not match it). */
function importForeign(stream: XenStream, options: ImportOptions): ImageInit {
  const pv = stream.domain.type === 1;
  const guestType = pv ? GuestType.pv : GuestType.hvm;
  let arch: number = Arch.x86_64;
  let pvInfo: XenRecord | undefined;
  if (pv) {
    for (const rec of stream.records) {
      if (rec.layer !== "libxc") continue;
      if (rec.type === RecordType.x86_pv_info) {
        if (pvInfo !== undefined) throw new DecodeError("invalid", "a second X86_PV_INFO record", { offset: rec.offset, section: recordLabel("libxc", rec.index, rec.type) });
        const piece = recordToPiece(rec, undefined);
        if (piece.kind === "pv_info") arch = piece.guestWidth === 8 ? Arch.x86_64 : Arch.x86_32;
        pvInfo = rec;
      } else if (pvInfo === undefined && NEEDS_PV_INFO.has(rec.type)) {
        throw new DecodeError("invalid", "a PV record before X86_PV_INFO: Xen's restorer needs the guest's width first", { offset: rec.offset, section: recordLabel("libxc", rec.index, rec.type) });
      }
    }
    if (pvInfo === undefined) throw new DecodeError("invalid", "a PV stream without an X86_PV_INFO record", { offset: stream.records[0]?.offset ?? 0, section: "libxc records" });
  }
  const guest: GuestShape = { guestType, arch };

  const units: Unit[] = [];
  const unitOf = new Map<XenRecord, Unit>();
  let phase = 0;
  let vcpuUnit: { unit: Unit; vcpus: { vcpuId: number; context: VcpuContext; record: XenRecord }[] } | undefined;
  const vcpuUnits: NonNullable<typeof vcpuUnit>[] = [];
  let extendedUnit: Unit | undefined;
  let pvInfoValue = { guestWidth: 8, ptLevels: 4 };
  let sawExtended = false;
  let xsaveSize = 0;
  let maxPfn = -1;
  let hasCheckpoint = false;
  const add = (section: ImageSection, group: number, rec: XenRecord): Unit => {
    const unit: Unit = { section, followers: [], group, phase, order: units.length };
    units.push(unit);
    unitOf.set(rec, unit);
    return unit;
  };
  const inherit = (): number => {
    const last = units.at(-1);
    return last !== undefined && last.phase === phase ? last.group : -1;
  };
  for (const rec of stream.records) {
    if (rec.layer === "libxl") {
      if (!LIBXL_STRUCTURAL.has(rec.type)) add(carrierSection(SECTION.libxlRecord, [rec]), inherit(), rec);
      continue;
    }
    if (LIBXC_STRUCTURAL.has(rec.type)) continue;
    if (rec.type === XENIMAGE_RECORD) {
      add(carrierSection(SECTION.libxcRecord, [rec]), inherit(), rec);
      continue;
    }
    const piece = recordToPiece(rec, guest);
    if (piece.kind === "carrier") {
      add(carrierSection(SECTION.libxcRecord, [rec]), inherit(), rec);
    } else if (piece.kind === "pv_info") {
      pvInfoValue = { guestWidth: piece.guestWidth, ptLevels: piece.ptLevels };
      extendedUnit = add({ type: "extended_info", body: { guestWidth: 0, ptLevels: 0, flags: 0, vcpuContextSize: 0, xsaveSize: 0 } }, GROUP["extended_info"]!, rec);
    } else if (piece.kind === "vcpu") {
      if (vcpuUnit === undefined || vcpuUnit.unit.phase !== phase) {
        vcpuUnit = { unit: add({ type: "vcpu_context", body: [] } as KnownSection, GROUP["vcpu_context"]!, rec), vcpus: [] };
        vcpuUnits.push(vcpuUnit);
      } else {
        unitOf.set(rec, vcpuUnit.unit);
      }
      vcpuUnit.vcpus.push(piece);
    } else {
      const s = piece.section;
      const unit = add(s, GROUP[s.type] ?? inherit(), rec);
      if (s.type === "page_data") {
        for (const p of s.body.pfns) if (p.type !== 0xf && p.pfn > maxPfn) maxPfn = p.pfn;
      } else {
        // A section whose decoding drops bytes (ignored padding) keeps the record it came from.
        const again = sectionToRecords(s, guest);
        if (again === undefined || again.length !== 1 || again[0]!.type !== rec.type || !sameBytes(again[0]!.body, rec.body)) {
          unit.followers.push(carrierSection(SECTION.override, [rec]));
        }
      }
      if (s.type === "vcpu_extended") sawExtended = true;
      if (s.type === "vcpu_xsave" && xsaveSize === 0) xsaveSize = rec.body.length - 8;
      if (s.type === "checkpoint") {
        hasCheckpoint = true;
        phase++;
      }
    }
  }
  let extendedCr3 = false;
  for (const v of vcpuUnits) {
    v.unit.section = { type: "vcpu_context", body: vcpuArray(v.vcpus, arch) } as KnownSection;
    if (v.vcpus.some((c) => !sameBytes(encodeVcpuContext(c.context, arch), decodeLibxcBodyContext(c.record)))) {
      v.unit.followers.push(carrierSection(SECTION.override, v.vcpus.map((c) => c.record)));
    }
    for (const c of v.vcpus) if ((BigInt(c.context.vmAssist) >> 3n) & 1n) extendedCr3 = true;
  }
  if (extendedUnit !== undefined) {
    const width = pvInfoValue.guestWidth;
    extendedUnit.section = {
      type: "extended_info",
      body: {
        guestWidth: width,
        ptLevels: pvInfoValue.ptLevels,
        flags: (extendedCr3 ? ExtendedInfoFlags.extended_cr3 : 0) | (sawExtended ? ExtendedInfoFlags.vcpu_extended : 0) | (xsaveSize > 0 ? ExtendedInfoFlags.xsave : 0),
        vcpuContextSize: width === 8 ? 5168 : 2800,
        xsaveSize,
      },
    };
  }

  // Our image-type rules order the groups; Xen's order differs only in where X86_PV_INFO goes.
  const byPhase = [...units].sort((a, b) => a.phase - b.phase || a.group - b.group || a.order - b.order);
  const xl = stream.xl === undefined ? undefined : xlConfig(stream.xl.optionalData);
  const configText = xl?.text ?? options.config ?? "";
  const facts = configFacts(configText);
  const sections: ImageSection[] = [];
  const indexOf = new Map<Unit, number>();
  sections.push({ type: "unknown", id: SECTION.layout, optional: true, flags: 0, entryCount: 0n, entrySize: 0, align: 8, bytes: new Uint8Array(0) });
  sections.push({ type: "guest_config", body: { config: configText } });
  for (const unit of byPhase) {
    indexOf.set(unit, sections.length);
    sections.push(unit.section, ...unit.followers);
  }
  const tokens: XenStreamToken[] = stream.records.map((rec) => {
    const unit = unitOf.get(rec);
    return { layer: rec.layer === "libxc" ? RecordLayer.libxc : RecordLayer.libxl, type: rec.type >>> 0, section: unit === undefined ? 0xffff_ffff : indexOf.get(unit)! };
  });
  const w = new ByteWriter({ littleEndian: true, initialCapacity: 64 + tokens.length * 12 });
  encodeXenStreamLayout(w, {
    layer: stream.layer === "libxc" ? 1 : stream.layer === "libxl" ? 2 : 3,
    libxcVersion: stream.libxcVersion,
    xlConfigForm: xl?.form ?? XlConfigForm.absent,
    domainType: stream.domain.type,
    libxlOptions: stream.libxlOptions ?? 0,
    xlMandatoryFlags: stream.xl?.mandatoryFlags ?? 0,
    xlOptionalFlags: stream.xl?.optionalFlags ?? 0,
    xlTail: xl?.tail ?? new Uint8Array(0),
    tokens,
  });
  sections[0] = { ...(sections[0] as UnknownSection), bytes: w.finish() };

  let vcpuCount = facts.vcpus;
  if (vcpuCount === undefined) {
    let max = -1;
    for (const v of vcpuUnits) for (const c of v.vcpus) max = Math.max(max, c.vcpuId);
    for (const s of sections) {
      if (s.type === "hvm_context") for (const r of s.body.records) if (r.body.type === "cpu") max = Math.max(max, r.instance);
    }
    vcpuCount = Math.max(1, max + 1);
  }
  const imageType = options.imageType ?? (stream.layer === "xl" && !hasCheckpoint ? ImageType.save : ImageType.migration);
  return {
    header: {
      byteOrder: 1,
      imageType,
      guestType,
      arch,
      pageShift: stream.domain.pageShift,
      xenMajor: stream.domain.xenMajor,
      xenMinor: stream.domain.xenMinor,
      domainId: 0,
      vcpuCount,
      memorySize: facts.memory ?? (maxPfn < 0 ? 0n : BigInt(maxPfn + 1) << BigInt(stream.domain.pageShift)),
      uuid: facts.uuid ?? new Uint8Array(16),
      name: facts.name ?? "",
    },
    sections,
  };
}

function decodeLibxcBodyContext(rec: XenRecord): Uint8Array {
  const body = decodeLibxcBody(rec);
  return body.type === "x86_pv_vcpu_basic" ? body.value.context : new Uint8Array(0);
}

/** The XENIMAGE record an exporter of ours put after the configuration in an xl header's optional data. */
function xenimageInXlTail(stream: XenStream): XenRecord | undefined {
  if (stream.xl === undefined) return undefined;
  const { form, tail } = xlConfig(stream.xl.optionalData);
  if (form !== XlConfigForm.nul_terminated && form !== XlConfigForm.unterminated) return undefined;
  try {
    const recs = unframeRecords(tail, "libxc");
    return recs.length === 1 && recs[0]!.type === XENIMAGE_RECORD ? recs[0] : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Reads a Xen stream (an xl save file, a libxl stream or a libxc stream, version 2 or 3, PV or HVM) into
 * an image. Nothing is lost: every record maps to a section or is kept verbatim in an optional carrier
 * section, and a xen_stream_layout section keeps the stream's framing and record order, so that
 * {@link exportXenStream} gives the same bytes back. A stream one of our exports wrote (it carries a
 * XENIMAGE record) gives back the image it was made from. Pure and in memory; bodies are views of `bytes`.
 * Bad input is a DecodeError naming the byte offset, the record (layer, index, type) and the field.
 */
export function importXenStream(bytes: Uint8Array, options: ImportOptions = {}): ImageInit {
  const stream = readXenStream(bytes);
  const xenimage = stream.records.filter((r) => r.layer === "libxc" && r.type === XENIMAGE_RECORD);
  const inXl = xenimageInXlTail(stream);
  if (inXl !== undefined) xenimage.push(inXl);
  if (xenimage.length === 1) {
    const image = importNative(stream, xenimage[0]!);
    if (image !== undefined) return image;
  }
  return importForeign(stream, options);
}
