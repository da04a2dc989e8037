import { schema } from "../generated/schema.js";
import { crc32c, decodeHeader, OPTIONAL_BIT, STREAMED, streamPadding, type RandomAccessSource } from "../runtime/index.js";
import { ByteReader, hex, lazyStructLines, structElementLines, structLines, walkSectionBody, walkStruct, type DumpLine, type WalkNode } from "../runtime/reflect/index.js";
import { imageFormat } from "../generated/index.js";
import { fileReader, paddingRegion, windowOf, type AnnotatedRegion, type AnnotateSelection } from "./annotate-source.js";

export type { AnnotatedRegion, AnnotateSelection } from "./annotate-source.js";

/**
 * The annotated regions of an image file, in file order. Seekable: the header, each body (and the
 * zero padding before it), the padding before the table, the table's entries. Streamed: the header,
 * then each entry (with the padding before it) followed by its body. Every field comes from
 * the reflection walk over the embedded schema model. Reads lazily: the header and the table, then
 * only the bodies selected (one at a time, each as big as its section). Depth-0 lines of an
 * unselective run tile the file exactly. `handle` is a Node `FileHandle` or any positional reader (the
 * docs' inspector reads a dropped file through `blobSource`).
 */
export async function* annotateImageFile(handle: Pick<RandomAccessSource, "read">, size: number, selection: AnnotateSelection = {}): AsyncGenerator<AnnotatedRegion> {
  const container = schema.container!;
  const read = fileReader(handle, size);
  /**
   * The streamed layout: after the header, each section's table entry (8-aligned, zero padding before
   * it) then its body, up to the end section's entry. Every entry is read; bodies only when selected.
   */
  async function* streamed(): AsyncGenerator<AnnotatedRegion> {
    const stride = header.sectionEntrySize;
    let pos = header.headerSize;
    for (let index = 0; pos < size; index++) {
      const pad = streamPadding(pos);
      if (pad > 0 && whole && inRange(pos, pad)) {
        const gap = await read(pos, Math.min(pad, size - pos));
        yield paddingRegion(`padding before table entry #${index}`, gap, pos, gap.length, "up to the entry's 8-byte alignment");
      }
      const at = pos + pad;
      const e0 = entryAt(await read(at, stride), at, index);
      const e = { ...e0, offset: at + stride };
      const isEnd = e.section?.name === container.end.name;
      const title = `section #${index}: ${e.name}, body of ${e.size} bytes at ${hex(e.offset)}`;
      // The body is checked before its entry is shown, so the entry can say whether its CRC checks out.
      const body = wanted(e.section?.name) && inRange(e.offset, e.size) && !isEnd ? await bodyRegion(e, title) : undefined;
      if ((whole || wanted(e.section?.name)) && inRange(at, stride)) yield { title: `table entry #${index}: ${e.name} at ${hex(at)}`, bytes: await read(at, stride), base: at, lines: keep(entryLinesOf(e, stride)) };
      if (body !== undefined) yield body;
      pos = e.offset + e.size;
      if (isEnd) break;
    }
    if (pos < size && whole && inRange(pos, size - pos)) {
      yield { title: "after the end section", bytes: await read(pos, Math.min(size - pos, 16)), base: pos, lines: [{ offset: pos, length: size - pos, depth: 0, label: "(trailing bytes)", value: `${size - pos} bytes after the end section, which should end the stream` }] };
    }
  }
  const headerStruct = container.header;
  const headerBytes = await read(0, Math.min(headerStruct.size!, size));
  // decodeHeader checks magic, byte order, version and the header CRC: the dump marks the CRC as checked.
  const { header, littleEndian } = decodeHeader(imageFormat, headerBytes);
  const reader = (bytes: Uint8Array, base: number) => new ByteReader(bytes, { littleEndian, base });
  const { inRange, wanted, whole, keep, elements } = windowOf(selection);

  const h = walkStruct(headerStruct, reader(headerBytes, 0));
  const headerLines: DumpLine[] = [];
  structLines(h.nodes, 0, "header.", headerLines, elements);
  const marked = headerLines.map((l) => (l.label === "header.header_crc" ? { ...l, value: `${l.value}, CRC32C of the header (this field as zero): checks out` } : l));
  if (whole && inRange(0, header.headerSize)) yield { title: `header: ${header.headerSize} bytes at 0x0`, bytes: headerBytes, base: 0, lines: keep(marked) };

  type Entry = { index: number; at: number; nodes: WalkNode[]; section: ReturnType<typeof schema.sectionById>; name: string; offset: number; size: number; entryCount: bigint; entrySize: number; crc: number };
  const crcStatus = new Map<number, string>();
  const entryAt = (bytes: Uint8Array, at: number, index: number): Entry => {
    const walked = walkStruct(container.entry, reader(bytes, at));
    const v = walked.value;
    const type = Number(v.type);
    const section = schema.sectionById((type & ~OPTIONAL_BIT) >>> 0);
    return { index, at, nodes: walked.nodes, section, name: section?.name ?? `unknown type ${hex(type)}`, offset: Number(v.offset), size: Number(v.size), entryCount: v.entryCount as bigint, entrySize: Number(v.entrySize), crc: Number(v.crc) };
  };
  /** A body's region, read whole, its CRC checked (one section in memory at a time). */
  const bodyRegion = async (e: Entry, title: string): Promise<AnnotatedRegion> => {
    const body = await read(e.offset, e.size);
    const ok = crc32c(body) === e.crc;
    crcStatus.set(e.index, ok ? "checks out" : "MISMATCH");
    const lines: DumpLine[] = [];
    if (e.size === 0) lines.push({ offset: e.offset, length: 0, depth: 0, label: `${e.name}`, value: "empty body" });
    else if (e.section === undefined || schema.variantFor(e.section, h.value) === undefined) {
      lines.push({ offset: e.offset, length: e.size, depth: 0, label: `${e.name}`, value: `${e.size} bytes, no layout known` });
    } else {
      const layout = schema.variantFor(e.section, h.value)!.body;
      const size = e.entrySize;
      if (layout.kind === "entries" && size === layout.entrySize && e.entryCount * BigInt(size) === BigInt(e.size)) {
        // A table: only the entries spelled out are walked, so a pfn_map of millions of entries walks a few hundred.
        const start = (i: number) => e.offset + i * size;
        const walkEntry = (i: number) => walkStruct(layout.struct, reader(body.subarray(i * size, (i + 1) * size), start(i))).nodes;
        lazyStructLines(e.size / size, { start, end: (i) => start(i + 1) }, walkEntry, layout.struct.name, 0, e.name, lines, elements);
      } else {
        // Anything else (a struct body, or a table whose entry count or size does not fit) through the section's own walk.
        const walked = walkSectionBody(e.section, reader(body, e.offset), { header: h.value, entryCount: e.entryCount, entrySize: e.entrySize });
        const prefix = `${e.name}.`;
        if (layout.kind === "entries") structElementLines(walked.nodes, layout.struct.name, 0, e.name, lines, elements);
        else structLines(walked.nodes, 0, prefix, lines, elements);
        const end = walked.nodes.reduce((m, n) => Math.max(m, n.offset + n.size), e.offset);
        if (end < e.offset + e.size) lines.push({ offset: end, length: e.offset + e.size - end, depth: 0, label: `${prefix}(rest)`, value: `${e.offset + e.size - end} bytes the layout does not cover` });
      }
    }
    return { title: `${title}, CRC32C ${ok ? "checks out" : "MISMATCH"}`, bytes: body, base: e.offset, lines: keep(lines) };
  };
  /** A table entry's lines: the entry, then each of its fields, the body's CRC marked once checked. */
  const entryLinesOf = (e: Entry, stride: number): DumpLine[] => {
    const out: DumpLine[] = [{ offset: e.at, length: stride, depth: 0, label: `table[${e.index}]`, value: e.name }];
    const fields: DumpLine[] = [];
    structLines(e.nodes, 1, `table[${e.index}].`, fields);
    const status = crcStatus.get(e.index);
    for (const f of fields) out.push(f.label === `table[${e.index}].crc` && status !== undefined ? { ...f, value: `${f.value}, CRC32C of the body: ${status}` } : f);
    return out;
  };

  if (header.sectionTableOffset === STREAMED) {
    yield* streamed();
    return;
  }
  const tableOffset = Number(header.sectionTableOffset);
  const stride = header.sectionEntrySize;
  const tableBytes = await read(tableOffset, header.sectionCount * stride);
  const entries = Array.from({ length: header.sectionCount }, (_, index) => entryAt(tableBytes.subarray(index * stride, (index + 1) * stride), tableOffset + index * stride, index));

  let pos = header.headerSize;
  for (const e of [...entries].sort((a, b) => a.offset - b.offset || a.index - b.index)) {
    if (e.offset > pos) {
      if (whole && inRange(pos, e.offset - pos)) yield paddingRegion(`padding before section #${e.index}`, await read(pos, e.offset - pos), pos, e.offset - pos, "up to the next body's alignment");
      pos = e.offset;
    }
    const title = `section #${e.index}: ${e.name}, body of ${e.size} bytes at ${hex(e.offset)}`;
    pos = Math.max(pos, e.offset + e.size);
    if (!wanted(e.section?.name) || !inRange(e.offset, e.size)) continue;
    yield await bodyRegion(e, title);
  }
  if (tableOffset > pos && whole && inRange(pos, tableOffset - pos)) {
    yield paddingRegion("padding before the section table", await read(pos, tableOffset - pos), pos, tableOffset - pos, "up to the table's 8-byte alignment");
  }
  const tableLines: DumpLine[] = [];
  for (const e of entries) {
    if (!wanted(e.section?.name)) continue;
    tableLines.push(...entryLinesOf(e, stride));
  }
  if (tableLines.length > 0) yield { title: `section table: ${entries.length} entries of ${stride} bytes at ${hex(tableOffset)}`, bytes: tableBytes, base: tableOffset, lines: keep(tableLines) };
  const end = tableOffset + tableBytes.length;
  if (end < size && whole && inRange(end, size - end)) {
    yield { title: "after the table", bytes: await read(end, Math.min(size - end, 16)), base: end, lines: [{ offset: end, length: size - end, depth: 0, label: "(trailing bytes)", value: `${size - end} bytes after the table, which should end the image` }] };
  }
}
