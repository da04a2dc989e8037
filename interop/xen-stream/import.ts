/**
 * Xen stream → xenimage image. Every record becomes a section or part of one; a record no section holds
 * is kept verbatim as an optional carrier section; what the stream says outside its records (layers,
 * headers, record order) goes into a xen_stream_layout section, so exporting the image gives the stream
 * back byte for byte. A stream Xen's restorer refuses is refused here too, and a stream it accepts gives
 * an image `verifyImage` accepts (or a DecodeError for the few places README.md lists where we are
 * stricter). A stream exported with a XENIMAGE record gives back the image it was made from, as long as
 * the records Xen restores from agree with that record's copy.
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
  verifyImage,
} from "../../generated/index.js";
import {
  decodeXenimageSources,
  DomainType,
  encodeXenOfflineVcpus,
  encodeXenStreamLayout,
  RecordLayer,
  RecordType,
  type XenStreamToken,
  XlConfigForm,
  type XenimageSectionSource,
} from "../../generated/xen_libxc/index.js";
import { LibxlRecordType } from "../../generated/xen_libxl/index.js";
import { decodeXlConfigData } from "../../generated/xen_xl/index.js";
import { ByteReader, ByteWriter, DecodeError, NIL_UUID, OPTIONAL_BIT, type UnknownSection } from "../../runtime/index.js";
import { headerInit } from "./compare.js";
import { LIBXC_STRUCTURAL, LIBXL_STRUCTURAL, MAX_BATCH_PFNS, recordLabel, SECTION, XENIMAGE_RECORD, type RecordLayerName } from "./constants.js";
import { readXenStream, type XenRecord, type XenStream } from "./framing.js";
import {
  combinePieces,
  frameRecord,
  type GuestShape,
  libxlRecordToPiece,
  type Piece,
  rebuilds,
  recordToPiece,
  sameBytes,
  sectionToRecords,
  SINGLE_PER_PHASE,
  unframeRecords,
  type VcpuContext,
  vcpuArray,
} from "./mapping.js";

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

/** The xen_offline_vcpus section listing vcpus that had no BASIC record. */
function offlineSection(ids: readonly number[]): UnknownSection {
  const w = new ByteWriter({ littleEndian: true, initialCapacity: 4 * ids.length + 8 });
  encodeXenOfflineVcpus(w, { vcpuIds: [...ids] });
  return { type: "unknown", id: SECTION.offline, optional: true, flags: 0, entryCount: 0n, entrySize: 0, align: 8, bytes: w.finish() };
}

function recordLayerName(layer: number): RecordLayerName | undefined {
  return layer === RecordLayer.libxc ? "libxc" : layer === RecordLayer.libxl ? "libxl" : undefined;
}

function pieceOf(rec: XenRecord, guest: GuestShape): Piece {
  return rec.layer === "libxl" ? libxlRecordToPiece(rec, guest) : recordToPiece(rec, guest);
}

/**
 * Whether the records Xen restores from say what XENIMAGE's copy of a section says. X86_PV_INFO holds
 * only extended_info's width and levels; other sections must give exactly their records, or be what the
 * records decode to.
 */
function recordsAgree(section: ImageSection, records: readonly XenRecord[], guest: GuestShape): boolean {
  if (section.type === "unknown") return true;
  if (section.type === "extended_info") {
    const piece = records.length === 1 ? recordToPiece(records[0]!, guest) : undefined;
    return piece?.kind === "pv_info" && piece.guestWidth === section.body.guestWidth && piece.ptLevels === section.body.ptLevels;
  }
  try {
    const own = sectionToRecords(section, guest);
    if (own !== undefined && own.length === records.length && own.every((r, i) => r.type === records[i]!.type && sameBytes(r.body, records[i]!.body))) return true;
  } catch {
    // the copy cannot be written as records: compare by decoding the records instead
  }
  return rebuilds(section, records, guest);
}

/**
 * Rebuilds the image an exporter of ours wrote, from its XENIMAGE record; undefined when the stream does
 * not match it, or when a record Xen restores from disagrees with the record's copy (the records win:
 * the stream is then imported as a foreign one).
 */
function importNative(stream: XenStream, xenimage: XenRecord, pvWidth: number | undefined): ImageInit | undefined {
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
  // The domain header and X86_PV_INFO decide the guest Xen restores; the copy must say the same.
  const pv = stream.domain.type === DomainType.x86_pv;
  if ((header.guestType === GuestType.pv) !== pv) return undefined;
  if (pv && header.arch !== (pvWidth === 4 ? Arch.x86_32 : Arch.x86_64)) return undefined;
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
        const records = take(layer, source.recordType, source.recordCount);
        if (section === undefined || records === undefined) return undefined;
        if (records.length > 0 && !recordsAgree(section, records, guest)) return undefined;
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
      const pieces = records.map((r) => pieceOf(r, guest));
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
  device_model_xenstore: 7,
  device_model_state: 7,
  checkpoint: 8,
};

interface Unit {
  section: ImageSection;
  followers: ImageSection[];
  group: number;
  phase: number;
  order: number;
  /** The records the section is made of, in stream order. */
  readonly records: XenRecord[];
  readonly pieces: Piece[];
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
  uuid?: string;
  vcpus?: number;
  memory?: bigint;
}

/** The only uuid form libxl parses (libxl_uuid_from_string, libuuid's uuid_parse): 8-4-4-4-12 hex digits. */
const LIBXL_UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/**
 * Facts libxl's JSON configuration states (c_info.name/uuid, b_info.max_vcpus/max_memkb), when it parses.
 * A uuid libxl cannot parse is a DecodeError: libxl_domain_config_from_json stops there, and xl (which
 * ignores that failure) would restore with the configuration cut short.
 */
function configFacts(text: string, where: { section: string; offset?: number }): ConfigFacts {
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
  const uuid = c?.["uuid"];
  if (uuid !== undefined) {
    if (typeof uuid !== "string" || !LIBXL_UUID.test(uuid)) {
      throw new DecodeError("invalid", `c_info.uuid ${JSON.stringify(uuid)} is not the 8-4-4-4-12 form libxl parses (libxl_uuid_from_string): xl would restore the guest with its configuration cut short there`, {
        ...where,
        path: "config.c_info.uuid",
      });
    }
    // libxl reads either case; the image holds the bytes, shown in lower case.
    out.uuid = uuid.toLowerCase();
  }
  if (typeof b?.["max_vcpus"] === "number" && Number.isInteger(b["max_vcpus"]) && b["max_vcpus"] > 0 && b["max_vcpus"] <= 0xffff_ffff) out.vcpus = b["max_vcpus"];
  // Whole pages, as Xen takes it (max_pages = max_memkb >> 2): an image's memory_size is a multiple of the page size.
  if (typeof b?.["max_memkb"] === "number" && Number.isSafeInteger(b["max_memkb"]) && b["max_memkb"] > 0) out.memory = (BigInt(b["max_memkb"]) / 4n) * 4096n;
  return out;
}

/**
 * Records Xen's PV restorer handles only after X86_PV_INFO: P2M_FRAMES and SHARED_INFO check for it
 * (xg_sr_restore_x86_pv.c: "Not yet received X86_PV_INFO record"); the vcpu records need the guest's
 * width for their layout (stricter than Xen, which sizes them by the domain's current width).
 */
const NEEDS_PV_INFO: ReadonlySet<number> = new Set([
  RecordType.x86_pv_p2m_frames,
  RecordType.x86_pv_vcpu_basic,
  RecordType.x86_pv_vcpu_extended,
  RecordType.x86_pv_vcpu_xsave,
  RecordType.x86_pv_vcpu_msrs,
  RecordType.shared_info,
]);

/** The guest a stream holds: PV or HVM from the domain header, a PV guest's width from X86_PV_INFO. */
function guestOf(stream: XenStream): { guest: GuestShape; pvInfo: XenRecord | undefined; width: number | undefined } {
  if (stream.domain.type !== DomainType.x86_pv) return { guest: { guestType: GuestType.hvm, arch: Arch.x86_64 }, pvInfo: undefined, width: undefined };
  let pvInfo: XenRecord | undefined;
  let width = 8;
  for (const rec of stream.records) {
    if (rec.layer !== "libxc") continue;
    if (rec.type === RecordType.x86_pv_info) {
      // handle_x86_pv_info: "Already received X86_PV_INFO record".
      if (pvInfo !== undefined) throw new DecodeError("invalid", "a second X86_PV_INFO record: Xen's restorer refuses it", { offset: rec.offset, section: recordLabel("libxc", rec.index, rec.type) });
      const piece = recordToPiece(rec, undefined);
      if (piece.kind === "pv_info") width = piece.guestWidth;
      pvInfo = rec;
    } else if (pvInfo === undefined && NEEDS_PV_INFO.has(rec.type)) {
      throw new DecodeError("invalid", "a PV record before X86_PV_INFO: Xen's restorer needs the guest's width first", { offset: rec.offset, section: recordLabel("libxc", rec.index, rec.type) });
    }
  }
  if (pvInfo === undefined) throw new DecodeError("invalid", "a PV stream without an X86_PV_INFO record", { offset: stream.records[0]?.offset ?? 0, section: "libxc records" });
  return { guest: { guestType: GuestType.pv, arch: width === 8 ? Arch.x86_64 : Arch.x86_32 }, pvInfo, width };
}

/** Whether writing a unit's section gives back exactly the records it was imported from. */
function writesBack(unit: Unit, guest: GuestShape, version: number, offline: readonly number[]): boolean {
  const section = unit.section as KnownSection;
  // One PAGE_DATA of at most 1024 pfns is written back as it was (its decoding checked every reserved
  // bit), so its pages need not be copied to tell.
  if (section.type === "page_data") return unit.records.length === 1 && section.body.pfns.length <= MAX_BATCH_PFNS;
  const again = sectionToRecords(section, guest, { version, offline: new Set(offline) });
  return again !== undefined && again.length === unit.records.length && again.every((r, i) => r.type === unit.records[i]!.type && sameBytes(r.body, unit.records[i]!.body));
}

/** The libxc END record (or the last record), for errors about what a whole stream lacks. */
function endOf(stream: XenStream): XenRecord {
  return stream.records.find((r) => r.layer === "libxc" && r.type === RecordType.end) ?? stream.records.at(-1)!;
}

/** Imports a stream no exporter of ours wrote (or whose XENIMAGE record does not match it). */
function importForeign(stream: XenStream, options: ImportOptions): ImageInit {
  const { guest } = guestOf(stream);
  const pv = guest.guestType === GuestType.pv;
  const arch = guest.arch;

  const units: Unit[] = [];
  const unitOf = new Map<XenRecord, Unit>();
  const single = new Map<string, Unit>();
  let phase = 0;
  let inCheckpoint = false; // libxl: between a CHECKPOINT and its CHECKPOINT_END
  const vcpuUnits: Unit[] = [];
  let vcpuUnit: Unit | undefined;
  let extendedUnit: Unit | undefined;
  let pvInfoValue = { guestWidth: 8, ptLevels: 4 };
  let sawExtended = false;
  let xsaveSize = 0;
  let maxPfn = -1;
  let hasCheckpoint = false;
  let vcpu0 = false;
  let hvmContext = false;
  const add = (section: ImageSection, group: number, rec: XenRecord, piece: Piece | undefined, unitPhase = phase): Unit => {
    const unit: Unit = { section, followers: [], group, phase: unitPhase, order: units.length, records: [rec], pieces: piece === undefined ? [] : [piece] };
    units.push(unit);
    unitOf.set(rec, unit);
    return unit;
  };
  const join = (unit: Unit, rec: XenRecord, piece: Piece): void => {
    unit.records.push(rec);
    unit.pieces.push(piece);
    unitOf.set(rec, unit);
  };
  const inherit = (): number => {
    const last = units.at(-1);
    return last !== undefined && last.phase === phase ? last.group : -1;
  };
  for (const rec of stream.records) {
    if (rec.layer === "libxl") {
      if (rec.type === LibxlRecordType.checkpoint_end) inCheckpoint = false;
      if (LIBXL_STRUCTURAL.has(rec.type)) continue;
      const piece = libxlRecordToPiece(rec, guest);
      // The emulator records after a CHECKPOINT belong to the round it ended.
      if (piece.kind === "section") add(piece.section, GROUP[piece.section.type]!, rec, piece, inCheckpoint ? phase - 1 : phase);
      else add(carrierSection(SECTION.libxlRecord, [rec]), inherit(), rec, undefined);
      continue;
    }
    if (LIBXC_STRUCTURAL.has(rec.type)) continue;
    if (rec.type === XENIMAGE_RECORD) {
      add(carrierSection(SECTION.libxcRecord, [rec]), inherit(), rec, undefined);
      continue;
    }
    const piece = recordToPiece(rec, guest);
    if (piece.kind === "carrier") {
      add(carrierSection(SECTION.libxcRecord, [rec]), inherit(), rec, undefined);
    } else if (piece.kind === "pv_info") {
      pvInfoValue = { guestWidth: piece.guestWidth, ptLevels: piece.ptLevels };
      extendedUnit = add({ type: "extended_info", body: { guestWidth: 0, ptLevels: 0, flags: 0, vcpuContextSize: 0, xsaveSize: 0 } }, GROUP["extended_info"]!, rec, piece);
    } else if (piece.kind === "vcpu") {
      if (piece.vcpuId === 0) vcpu0 = true;
      if (vcpuUnit === undefined || vcpuUnit.phase !== phase) {
        vcpuUnit = add({ type: "vcpu_context", body: [] } as KnownSection, GROUP["vcpu_context"]!, rec, piece);
        vcpuUnits.push(vcpuUnit);
      } else {
        join(vcpuUnit, rec, piece);
      }
    } else {
      const s = piece.section;
      const key = `${phase}:${s.type}`;
      const same = SINGLE_PER_PHASE.has(s.type) ? single.get(key) : undefined;
      if (same !== undefined) {
        join(same, rec, piece);
      } else {
        const unit = add(s, GROUP[s.type] ?? inherit(), rec, piece);
        if (SINGLE_PER_PHASE.has(s.type)) single.set(key, unit);
      }
      if (s.type === "page_data") for (const p of s.body.pfns) if (p.type !== 0xf && p.pfn > maxPfn) maxPfn = p.pfn;
      if (s.type === "vcpu_extended") sawExtended = true;
      if (s.type === "vcpu_xsave" && xsaveSize === 0) xsaveSize = rec.body.length - 8;
      if (s.type === "hvm_context") hvmContext = true;
      if (s.type === "checkpoint") {
        hasCheckpoint = true;
        phase++;
        inCheckpoint = stream.layer !== "libxc";
      }
    }
  }
  // update_vcpu_context (xg_sr_restore_x86_pv.c): "Sender didn't send vcpu0's basic state".
  if (pv && !vcpu0) {
    const end = endOf(stream);
    throw new DecodeError("invalid", "no X86_PV_VCPU_BASIC record gives vcpu 0's state: Xen's PV restorer fails without it", { offset: end.offset, section: recordLabel(end.layer, end.index, end.type) });
  }
  // x86_hvm_stream_complete (xg_sr_restore_x86_hvm.c) loads the HVM context; with none, hvm_load fails.
  if (!pv && !hvmContext) {
    const end = endOf(stream);
    throw new DecodeError("invalid", "no HVM_CONTEXT record: Xen's HVM restorer cannot load the guest's state without one", { offset: end.offset, section: recordLabel(end.layer, end.index, end.type) });
  }

  let extendedCr3 = false;
  for (const unit of units) {
    if (unit.pieces.length === 0 || unit === extendedUnit) continue;
    unit.section = combinePieces(unit.pieces, guest);
    let offline: number[] = [];
    if (unit.section.type === "vcpu_context") {
      const present = new Set(unit.pieces.map((p) => (p as Piece & { kind: "vcpu" }).vcpuId));
      offline = (unit.section.body as VcpuContext[]).map((_, id) => id).filter((id) => !present.has(id));
      for (const p of unit.pieces) if (p.kind === "vcpu" && (BigInt(p.context.vmAssist) >> 3n) & 1n) extendedCr3 = true;
    }
    // The records the section came from, when writing the section would not give them back exactly
    // (several records, ignored padding, trailing bytes after an HVM context's END).
    if (!writesBack(unit, guest, stream.libxcVersion, offline)) unit.followers.push(carrierSection(SECTION.override, unit.records));
    if (offline.length > 0) unit.followers.push(offlineSection(offline));
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
  const facts =
    xl?.text !== undefined
      ? configFacts(xl.text, { section: "xl header", offset: 52 })
      : configFacts(configText, { section: options.config === undefined ? "xl header" : "the configuration given" });
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
    for (const v of vcpuUnits) max = Math.max(max, ((v.section as KnownSection & { type: "vcpu_context" }).body as VcpuContext[]).length - 1);
    for (const s of sections) {
      if (s.type === "hvm_context") for (const r of s.body.records) if (r.body.type === "cpu") max = Math.max(max, r.instance);
    }
    vcpuCount = Math.max(1, max + 1);
  }
  const imageType = options.imageType ?? (stream.layer === "xl" && !hasCheckpoint ? ImageType.save : ImageType.migration);
  const image: ImageInit = {
    header: {
      byteOrder: 1,
      imageType,
      guestType: guest.guestType,
      arch,
      pageShift: stream.domain.pageShift,
      xenMajor: stream.domain.xenMajor,
      xenMinor: stream.domain.xenMinor,
      domainId: 0,
      vcpuCount,
      memorySize: facts.memory ?? (maxPfn < 0 ? 0n : BigInt(maxPfn + 1) << BigInt(stream.domain.pageShift)),
      uuid: facts.uuid ?? NIL_UUID,
      name: facts.name ?? "",
    },
    sections,
  };
  return image;
}

/**
 * An image our verify refuses is not made: the stream is refused, naming every rule it breaks (README.md
 * lists the few streams Xen restores that this refuses).
 */
function checkRules(image: ImageInit, stream: XenStream): ImageInit {
  const violations = verifyImage(image);
  if (violations.length > 0) {
    const end = endOf(stream);
    throw new DecodeError("unsupported", `the stream's records do not make a valid ${violations[0]!.rule} image: ${violations.map((v) => v.message).join("; ")}`, {
      offset: end.offset,
      section: recordLabel(end.layer, end.index, end.type),
    });
  }
  return image;
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
 * an image. Every check Xen's restorers make is made here (each names its Xen source in a comment), and
 * a stream they refuse is a DecodeError naming the byte offset, the record (layer, index, type) and the
 * field. Nothing is lost: every record maps to a section or is kept verbatim in an optional carrier
 * section, and a xen_stream_layout section keeps the stream's framing and record order, so that
 * {@link exportXenStream} gives the same records back. A stream one of our exports wrote with a XENIMAGE
 * record gives back the image it was made from, unless its records disagree with that record's copy.
 * Pure and in memory; bodies are views of `bytes`.
 */
export function importXenStream(bytes: Uint8Array, options: ImportOptions = {}): ImageInit {
  const stream = readXenStream(bytes);
  // Everything Xen's restorer checks, checked on the records themselves, whatever XENIMAGE says.
  const foreign = importForeign(stream, options);
  const xenimage = stream.records.filter((r) => r.layer === "libxc" && r.type === XENIMAGE_RECORD);
  const inXl = xenimageInXlTail(stream);
  if (inXl !== undefined) xenimage.push(inXl);
  if (xenimage.length === 1) {
    const image = importNative(stream, xenimage[0]!, foreign.header.arch === Arch.x86_32 ? 4 : 8);
    if (image !== undefined) return image;
  }
  return checkRules(foreign, stream);
}
