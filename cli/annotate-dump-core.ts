import { schema as elfSchema } from "../generated/elf/schema.js";
import { ElfMachine, SectionType, XenDumpcoreNoteType } from "../generated/elf/index.js";
import { schema as imageSchema } from "../generated/schema.js";
import { ElfPlan, type ElfSection } from "../interop/elf/reader.js";
import { SECTION } from "../interop/dump-core/format.js";
import { XenImageError } from "../runtime/index.js";
import { ByteReader, elementLines, enumName, hex, structLines, walkStruct, zeros, type DumpLine, type ElementOptions, type EnumType, type StructType } from "../runtime/reflect/index.js";
import { paddingRegion, SHOWN, windowOf, type AnnotatedRegion, type AnnotateSelection, type ReadAt } from "./annotate-source.js";
import { UsageError } from "./errors.js";

/**
 * `annotate` of a Xen dump-core file (any ELF file, in either class and byte order): the file header,
 * the program and section header tables, then every section in file order with the bytes between them.
 * Layouts come from the reflection walk over schema/elf (headers, note headers, the dump-core notes and
 * tables) and the image schemas (vcpu contexts, shared info). Reads lazily: the file header, the section
 * headers and the name table, then only what is selected; tables (.xen_p2m, .xen_pfn, .xen_prstatus)
 * read only the entries they spell out, and .xen_pages is never read, only the first bytes of each page
 * line. The depth-0 lines of an unselective run tile the file.
 */

/** Sections read whole to be annotated (notes, string tables, shared info) up to this size; bigger ones are one range. */
const WHOLE_LIMIT = 16 << 20;
/** Gaps between sections up to this size are read to check that they are zero. */
const GAP_LIMIT = 1 << 20;

const struct = (name: string) => elfSchema.struct(name);
const xenNoteTypes = elfSchema.types.get("xen_dumpcore_note_type") as EnumType;
const gnuNoteTypes = elfSchema.types.get("gnu_note_type") as EnumType;
const sectionTypes = elfSchema.types.get("section_type") as EnumType;

/** A part of the file some header places: the headers, the tables, a section. */
interface Part {
  readonly offset: number;
  readonly length: number;
  readonly annotate: () => Promise<AnnotatedRegion>;
  /** The section, for `--section`; the file header and program headers have none (shown only without it). */
  readonly section?: string;
  /** Shown with `--section` too (the section headers, of the selected sections only). */
  readonly withSelection?: boolean;
}

export async function* annotateDumpCore(read: ReadAt, size: number, selection: AnnotateSelection = {}): AsyncGenerator<AnnotatedRegion> {
  const { inRange, wanted, whole, keep, elements } = windowOf(selection);
  const plan = ElfPlan.start(await read(0, Math.min(size, 64)), size);
  const { littleEndian, elfClass, headerSize } = plan.info;
  const machine = plan.header.eMachine;
  const walk = (s: StructType, bytes: Uint8Array, base: number, prefix: string, depth: number): DumpLine[] => {
    const lines: DumpLine[] = [];
    structLines(walkStruct(s, new ByteReader(bytes, { littleEndian, base })).nodes, depth, prefix, lines, elements);
    return lines;
  };
  const extent = plan.extent(plan.needsFirstHeader ? await read(plan.firstHeaderRange.offset, plan.firstHeaderRange.length) : undefined);
  const table = await read(extent.offset, extent.count * extent.entrySize);
  const headers = plan.sectionHeaders(table, extent);
  const names = plan.strtabRange(headers, extent.shstrndx);
  const sections = plan.nameSections(headers, extent.shstrndx, names === undefined ? undefined : await read(names.offset, Math.min(names.length, WHOLE_LIMIT)));
  const unknown = selection.sections?.filter((n) => !sections.some((s) => s.name === n)) ?? [];
  if (unknown.length > 0) {
    const present = sections.filter((s) => s.name !== "").map((s) => s.name);
    throw new UsageError(`annotate: no section ${unknown.map((n) => `"${n}"`).join(", ")} in this ELF file; --section takes one of: ${present.join(", ")}`, "annotate");
  }
  const keepRegion = (r: AnnotatedRegion): AnnotatedRegion => ({ ...r, lines: keep(r.lines) });

  /** The dump-core header note's page size (4096 when the file has none that reads). */
  const pageSize = async (): Promise<number> => {
    const note = sections.find((s) => s.name === SECTION.note);
    if (note === undefined || note.header.shSize > BigInt(WHOLE_LIMIT)) return 4096;
    const range = plan.dataRange(note.header, note.index, note.name);
    const bytes = await read(range.offset, range.length);
    const h = noteExtents(bytes, littleEndian).find((n) => n.owner === "Xen" && n.type === XenDumpcoreNoteType.dumpcore_header && n.descSize >= 32);
    if (h === undefined) return 4096;
    const v = new ByteReader(bytes, { littleEndian }).u64At(h.desc + 24, littleEndian);
    return v > 0n && v <= 1n << 30n ? Number(v) : 4096;
  };

  /**
   * A table of fixed-size entries (.xen_p2m, .xen_pfn, .xen_prstatus, .xen_pages): only the entries
   * spelled out are read (in one run), and 16 bytes of each summary range.
   */
  const tableRegion = async (title: string, name: string, offset: number, length: number, entrySize: number, layout: StructType | undefined, what: string): Promise<AnnotatedRegion> => {
    const count = Math.floor(length / entrySize);
    const start = (i: number) => offset + i * entrySize;
    const lines: DumpLine[] = [];
    const excerpts = new Map<number, Uint8Array>();
    const shown = new Set<DumpLine>();
    elementLines(
      count,
      { start, end: (i) => start(i + 1) },
      (i) => {
        const line = { offset: start(i), length: entrySize, depth: 0, label: `${name}[${i}]`, value: `${what}, ${i + 1} of ${count}` };
        shown.add(line);
        lines.push(line);
      },
      { label: name, what, depth: 0 },
      lines,
      elements,
    );
    // The entries spelled out are consecutive: one read for all of them, decoded with the layout.
    const first = [...shown][0];
    const base = first?.offset ?? offset;
    const bytes = layout === undefined || first === undefined ? new Uint8Array(0) : await read(base, shown.size * entrySize);
    if (layout !== undefined) {
      const expanded: DumpLine[] = [];
      for (const l of lines) {
        expanded.push(l);
        if (!shown.has(l)) continue;
        const at = l.offset - base;
        const used = Math.min(entrySize, layout.size ?? entrySize);
        const inner = tryWalk(() => walk(layout, bytes.subarray(at, at + used), l.offset, `${l.label}.`, 1));
        if (!inner.ok) expanded.push({ offset: l.offset, length: entrySize, depth: 1, label: `${l.label}.(bytes)`, value: `${entrySize} bytes that do not decode as ${layout.name}: ${inner.reason}` });
        else {
          expanded.push(...inner.lines);
          if (used < entrySize) expanded.push(restLine(bytes.subarray(at + used, at + entrySize), l.offset + used, `${l.label}.(rest of the slot)`, 1));
        }
      }
      lines.splice(0, lines.length, ...expanded);
    }
    for (const l of lines) if (l.depth === 0 && (layout === undefined || !shown.has(l)) && inRange(l.offset, l.length)) excerpts.set(l.offset, await read(l.offset, Math.min(SHOWN, l.length)));
    const rest = length - count * entrySize;
    if (rest > 0) {
      lines.push({ offset: start(count), length: rest, depth: 0, label: `${name}.(rest)`, value: `${rest} bytes after the last whole ${entrySize}-byte entry` });
      if (inRange(start(count), rest)) excerpts.set(start(count), await read(start(count), Math.min(SHOWN, rest)));
    }
    return { title, bytes, base, lines, excerpts };
  };

  /** A section's region, laid out by its name (the dump-core sections) or its type (notes, strings). */
  const sectionRegion = async (s: ElfSection, offset: number, length: number): Promise<AnnotatedRegion> => {
    const type = s.header.shType;
    const label = s.name === "" ? `section[${s.index}]` : s.name;
    const title = `section ${s.index} ${s.name === "" ? "(no name)" : s.name}: ${enumName(sectionTypes, type)}, ${length} bytes at ${hex(offset)}`;
    const entrySize = Number(s.header.shEntsize);
    if (s.name === SECTION.pages) return tableRegion(title, label, offset, length, await pageSize(), undefined, "page");
    if (s.name === SECTION.p2m || s.name === SECTION.pfn) {
      const layout = struct(s.name === SECTION.p2m ? "xen_dumpcore_p2m" : "xen_dumpcore_pfn");
      return tableRegion(title, label, offset, length, entrySize > 0 ? entrySize : layout.size!, layout, layout.name);
    }
    if (s.name === SECTION.prstatus && entrySize > 0) {
      const layout = machine === ElfMachine.x86_64 ? "vcpu_guest_context_x86_64" : machine === ElfMachine.i386 ? "vcpu_guest_context_x86_32" : machine === ElfMachine.arm ? "vcpu_guest_context_arm" : undefined;
      return tableRegion(title, label, offset, length, entrySize, layout === undefined ? undefined : imageSchema.struct(layout), layout ?? "vcpu context");
    }
    // Only notes, string tables and the shared-info page are read whole; anything else is one range.
    const laidOut = type === SectionType.note || type === SectionType.strtab || s.name === SECTION.sharedInfo;
    if (!laidOut || length > WHOLE_LIMIT) {
      return { title, bytes: await read(offset, Math.min(SHOWN, length)), base: offset, lines: [{ offset, length, depth: 0, label, value: `${length} bytes, ${laidOut ? "not annotated" : "no layout known"}` }] };
    }
    const bytes = await read(offset, length);
    if (type === SectionType.note) return { title, bytes, base: offset, lines: noteLines(bytes, offset, label, s.header.shAddralign === 8n ? 8 : 4) };
    if (type === SectionType.strtab) return { title, bytes, base: offset, lines: stringLines(bytes, offset, label, elements) };
    return { title, bytes, base: offset, lines: sharedInfoLines(bytes, offset, label) };
  };

  /** The shared-info page, in the layout of the guest's architecture. */
  function sharedInfoLines(bytes: Uint8Array, offset: number, label: string): DumpLine[] {
    const name = machine === ElfMachine.x86_64 ? "shared_info_page_x86_64" : machine === ElfMachine.i386 ? "shared_info_page_x86_32" : machine === ElfMachine.arm ? "shared_info_page_arm" : undefined;
    const layout = name === undefined ? undefined : imageSchema.struct(name);
    const used = Math.min(layout?.size ?? bytes.length, bytes.length);
    const inner = layout === undefined ? { ok: false as const, reason: "no layout for this machine" } : tryWalk(() => walk(layout, bytes.subarray(0, used), offset, `${label}.`, 0));
    if (!inner.ok) return [{ offset, length: bytes.length, depth: 0, label, value: `${bytes.length} bytes that do not decode: ${inner.reason}` }];
    return used < bytes.length ? [...inner.lines, restLine(bytes.subarray(used), offset + used, `${label}.(rest)`, 0)] : inner.lines;
  }

  /** The notes of a note section: each note's header, owner name, descriptor (decoded for Xen's) and padding. */
  function noteLines(bytes: Uint8Array, base: number, label: string, align: 4 | 8): DumpLine[] {
    const notes = noteExtents(bytes, littleEndian, align);
    const lines: DumpLine[] = [];
    const end = notes.length === 0 ? 0 : notes.at(-1)!.end;
    elementLines(
      notes.length,
      { start: (i) => base + notes[i]!.at, end: (i) => base + notes[i]!.end },
      (i) => {
        const n = notes[i]!;
        const xen = n.owner === "Xen";
        // Note types mean something only with their owner's name.
        const types = xen ? xenNoteTypes : n.owner === "GNU" ? gnuNoteTypes : undefined;
        const typeName = types === undefined ? hex(n.type) : enumName(types, n.type);
        const p = `${label}[${i}]`;
        lines.push({ offset: base + n.at, length: n.end - n.at, depth: 0, label: p, value: `${JSON.stringify(n.owner)} note, type ${typeName}` });
        for (const l of walk(struct("elf64_nhdr"), bytes.subarray(n.at, n.at + 12), base + n.at, `${p}.`, 1)) lines.push(l.label === `${p}.n_type` && types !== undefined ? { ...l, value: `${l.value} (${typeName})` } : l);
        const nameEnd = n.at + 12 + n.nameSize;
        if (n.nameSize > 0) lines.push({ offset: base + n.at + 12, length: n.nameSize, depth: 1, label: `${p}.name`, value: JSON.stringify(n.owner) });
        if (n.desc > nameEnd) lines.push({ offset: base + nameEnd, length: n.desc - nameEnd, depth: 1, label: `${p}.(padding)`, value: zeros(n.desc - nameEnd) });
        if (n.descSize > 0) {
          const layout = xen ? descLayout(n.type, n.descSize) : undefined;
          lines.push({ offset: base + n.desc, length: n.descSize, depth: 1, label: `${p}.desc`, value: layout === undefined ? `${n.descSize} bytes` : layout.name });
          if (layout !== undefined) {
            const used = Math.min(layout.size ?? n.descSize, n.descSize);
            const inner = tryWalk(() => walk(layout, bytes.subarray(n.desc, n.desc + used), base + n.desc, `${p}.desc.`, 2));
            if (inner.ok) {
              lines.push(...inner.lines);
              if (used < n.descSize) lines.push(restLine(bytes.subarray(n.desc + used, n.desc + n.descSize), base + n.desc + used, `${p}.desc.(rest)`, 2));
            }
          }
        }
        const descEnd = n.desc + n.descSize;
        if (n.end > descEnd) lines.push({ offset: base + descEnd, length: n.end - descEnd, depth: 1, label: `${p}.(padding)`, value: zeros(n.end - descEnd) });
      },
      { label, what: "note", depth: 0 },
      lines,
      elements,
    );
    if (end < bytes.length) lines.push({ offset: base + end, length: bytes.length - end, depth: 0, label: `${label}.(rest)`, value: `${bytes.length - end} bytes that are no whole note` });
    return lines;
  }

  /** The layout of a Xen dump-core note's descriptor: the 32-bit version note by its size, or on EM_386. */
  function descLayout(type: number, descSize: number): StructType | undefined {
    switch (type) {
      case XenDumpcoreNoteType.dumpcore_header:
        return struct("xen_dumpcore_header");
      case XenDumpcoreNoteType.dumpcore_xen_version:
        return struct(descSize === 1276 || machine === ElfMachine.i386 ? "xen_dumpcore_xen_version_x86_32" : "xen_dumpcore_xen_version");
      case XenDumpcoreNoteType.dumpcore_format_version:
        return struct("xen_dumpcore_format_version");
      default:
        return undefined;
    }
  }

  // Every part the headers place, in file order; what lies between them is padding.
  const fileHeader = async (): Promise<AnnotatedRegion> => {
    const bytes = await read(0, headerSize);
    return { title: `ELF${elfClass} file header: ${headerSize} bytes at 0x0`, bytes, base: 0, lines: walk(struct(elfClass === 64 ? "elf64_ehdr" : "elf32_ehdr"), bytes, 0, "elf_header.", 0) };
  };
  const parts: Part[] = [{ offset: 0, length: headerSize, annotate: fileHeader }];
  const phnum = plan.header.ePhnum;
  const phentsize = plan.header.ePhentsize;
  if (phnum > 0 && plan.header.ePhoff > 0n) {
    const at = Number(plan.header.ePhoff);
    const layout = elfClass === 64 && phentsize >= 56 ? struct("elf64_phdr") : undefined;
    parts.push({ offset: at, length: phnum * phentsize, annotate: () => tableRegion(`program headers: ${phnum} of ${phentsize} bytes at ${hex(at)}`, "program_headers", at, phnum * phentsize, phentsize, layout, layout?.name ?? "program header") });
  }
  if (extent.count > 0) {
    parts.push({
      offset: extent.offset,
      length: extent.count * extent.entrySize,
      withSelection: true,
      annotate: async () => {
        const region = await tableRegion(`section headers: ${extent.count} of ${extent.entrySize} bytes at ${hex(extent.offset)}`, "section_headers", extent.offset, extent.count * extent.entrySize, extent.entrySize, struct(elfClass === 64 ? "elf64_shdr" : "elf32_shdr"), "section header");
        // Each header says which section it is; with --section, only the selected ones.
        const named = region.lines.map((l) => {
          const m = /^section_headers\[(\d+)\](\.sh_name)?$/.exec(l.label);
          const s = m === null ? undefined : sections[Number(m[1])];
          if (s === undefined) return l;
          return m![2] === undefined ? { ...l, value: `${s.name === "" ? "(no name)" : s.name}, ${enumName(sectionTypes, s.header.shType)}` } : { ...l, value: `${l.value} → ${JSON.stringify(s.name)}` };
        });
        const selected = whole ? named : named.filter((l) => wanted(sections[Number(/^section_headers\[(\d+)\]/.exec(l.label)?.[1] ?? -1)]?.name));
        return { ...region, lines: selected };
      },
    });
  }
  for (const s of sections) {
    if (s.header.shType === SectionType.nobits || s.header.shType === SectionType.null || s.header.shSize === 0n) continue;
    const { offset, length } = plan.dataRange(s.header, s.index, s.name);
    parts.push({ offset, length, section: s.name, annotate: () => sectionRegion(s, offset, length) });
  }
  parts.sort((a, b) => a.offset - b.offset);

  let pos = 0;
  for (const part of parts) {
    if (part.offset > pos && whole && inRange(pos, part.offset - pos)) yield await gapRegion(read, pos, part.offset - pos);
    pos = Math.max(pos, part.offset + part.length);
    const selected = part.section === undefined ? whole || part.withSelection === true : wanted(part.section);
    if (selected && inRange(part.offset, part.length)) {
      const region = keepRegion(await part.annotate());
      if (region.lines.length > 0) yield region;
    }
  }
  if (pos < size && whole && inRange(pos, size - pos)) yield await gapRegion(read, pos, size - pos);
}

/** Bytes no header places: padding when zero (checked up to {@link GAP_LIMIT}), otherwise marked. */
async function gapRegion(read: ReadAt, offset: number, length: number): Promise<AnnotatedRegion> {
  if (length <= GAP_LIMIT) return paddingRegion(`bytes no header places, at ${hex(offset)}`, await read(offset, length), offset, length, "between the parts the headers place");
  return { title: `bytes no header places, at ${hex(offset)}`, bytes: await read(offset, SHOWN), base: offset, lines: [{ offset, length, depth: 0, label: "(unplaced)", value: `${length} bytes no header places, not read` }] };
}

/** Trailing bytes of a slot or descriptor the layout does not cover. */
function restLine(bytes: Uint8Array, offset: number, label: string, depth: number): DumpLine {
  return { offset, length: bytes.length, depth, label, value: bytes.some((b) => b !== 0) ? `${bytes.length} bytes the layout does not cover` : zeros(bytes.length) };
}

/** A walk's lines, or why it failed (a typed decode error, never an internal one). */
function tryWalk(run: () => DumpLine[]): { ok: true; lines: DumpLine[] } | { ok: false; lines: []; reason: string } {
  try {
    return { ok: true, lines: run() };
  } catch (e) {
    if (e instanceof XenImageError) return { ok: false, lines: [], reason: e.message };
    throw e;
  }
}

/** Where each note of a note section is (name and descriptor padded to `align`), up to the first that does not fit. */
function noteExtents(bytes: Uint8Array, littleEndian: boolean, align: 4 | 8 = 4): { at: number; end: number; owner: string; type: number; nameSize: number; desc: number; descSize: number }[] {
  const out = [];
  const r = new ByteReader(bytes, { littleEndian });
  const padded = (n: number) => (n + align - 1) & ~(align - 1);
  for (let at = 0; at + 12 <= bytes.length; ) {
    const nameSize = r.u32At(at, littleEndian);
    const descSize = r.u32At(at + 4, littleEndian);
    const type = r.u32At(at + 8, littleEndian);
    const desc = at + 12 + padded(nameSize);
    const end = desc + padded(descSize);
    if (end > bytes.length) break;
    const name = bytes.subarray(at + 12, at + 12 + nameSize);
    const nul = name.indexOf(0);
    out.push({ at, end, owner: new TextDecoder("latin1").decode(nul < 0 ? name : name.subarray(0, nul)), type, nameSize, desc, descSize });
    at = end;
  }
  return out;
}

/** A string table's strings, each with its NUL, element by element. */
function stringLines(bytes: Uint8Array, base: number, label: string, elements: ElementOptions): DumpLine[] {
  const starts: number[] = [];
  for (let at = 0; at < bytes.length; ) {
    starts.push(at);
    const nul = bytes.indexOf(0, at);
    at = nul < 0 ? bytes.length : nul + 1;
  }
  const ends = starts.map((s, i) => starts[i + 1] ?? bytes.length);
  const lines: DumpLine[] = [];
  const utf8 = new TextDecoder();
  elementLines(
    starts.length,
    { start: (i) => base + starts[i]!, end: (i) => base + ends[i]! },
    (i) => {
      const text = utf8.decode(bytes.subarray(starts[i]!, ends[i]! - (bytes[ends[i]! - 1] === 0 ? 1 : 0)));
      lines.push({ offset: base + starts[i]!, length: ends[i]! - starts[i]!, depth: 0, label: `${label}[${i}]`, value: `${JSON.stringify(text)} at +${starts[i]}` });
    },
    { label, what: "string", depth: 0 },
    lines,
    elements,
  );
  return lines;
}
