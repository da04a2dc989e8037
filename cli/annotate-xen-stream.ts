import { schema as libxcSchema } from "../generated/xen_libxc/schema.js";
import { schema as libxlSchema } from "../generated/xen_libxl/schema.js";
import { schema as xlSchema } from "../generated/xen_xl/schema.js";
import { RecordType } from "../generated/xen_libxc/index.js";
import { LibxlRecordType } from "../generated/xen_libxl/index.js";
import { padding8, REC_LENGTH_MAX, recordLabel, recordTypeName, type RecordLayerName } from "../interop/xen-stream/constants.js";
import type { XenLayerName } from "../interop/xen-stream/framing.js";
import { DecodeError, XenImageError } from "../runtime/index.js";
import { ByteReader, hex, structLines, walkStruct, type DumpLine, type ElementOptions, type StructType } from "../runtime/reflect/index.js";
import { windowOf, type AnnotatedRegion, type AnnotateSelection, type ReadAt } from "./annotate-source.js";

/**
 * `annotate` of a Xen stream: an xl save file, a libxl stream or a libxc stream (versions 2 and 3, and
 * what Xen's convert-legacy-stream writes). Every layer's headers and every record (header, body with its
 * fields, zero padding) come from the reflection walk over the Xen schemas (schema/xen_*), in stream
 * order. Reads lazily: the headers, each record's 8-byte header, and only the records selected, one at a
 * time (a record is at most REC_LENGTH_MAX bytes). The depth-0 lines of an unselective run tile the file.
 */

const LIBXC_RECORD = libxcSchema.struct("libxc_record");
const LIBXL_RECORD = libxlSchema.struct("libxl_record");

/** The names `--section` takes for a Xen stream: its record types, as the schemas name them. */
export function xenRecordNames(): string[] {
  const names = (enumName: string, s: typeof libxcSchema) => {
    const t = s.types.get(enumName);
    return t?.kind === "enum" ? t.values.map((v) => v.name) : [];
  };
  return [...new Set([...names("record_type", libxcSchema), "xenimage", ...names("libxl_record_type", libxlSchema), "unknown"])];
}

/** A record's name as `--section` matches it. */
function selectorName(layer: RecordLayerName, type: number): string {
  const name = recordTypeName(layer, type);
  return name.startsWith("type ") ? "unknown" : name.toLowerCase();
}

/** Walks `struct` over `bytes` (at `base`, little-endian unless its fields say otherwise): its lines under `prefix`. */
function structRegionLines(struct: StructType, bytes: Uint8Array, base: number, prefix: string, depth: number, elements: ElementOptions): { lines: DumpLine[]; value: Record<string, unknown> } {
  const walked = walkStruct(struct, new ByteReader(bytes, { littleEndian: true, base }));
  const lines: DumpLine[] = [];
  structLines(walked.nodes, depth, prefix, lines, elements);
  return { lines, value: walked.value };
}

export async function* annotateXenStream(read: ReadAt, size: number, layer: XenLayerName, selection: AnnotateSelection = {}): AsyncGenerator<AnnotatedRegion> {
  const { inRange, wanted, whole, keep, elements, end } = windowOf(selection);
  let pos = 0;
  const headerRegion = async function* (title: string, struct: StructType, length: number, prefix: string): AsyncGenerator<AnnotatedRegion> {
    if (!whole || !inRange(pos, length)) return;
    const bytes = await read(pos, length);
    const { lines } = structRegionLines(struct, bytes, pos, prefix, 0, elements);
    yield { title, bytes, base: pos, lines: keep(lines) };
  };

  if (layer === "xl") {
    // The fixed part says how long the optional data (the configuration) is.
    const fixed = await read(0, 48);
    const optional = new DataView(fixed.buffer).getUint32(44, true);
    const length = 48 + optional;
    if (whole && inRange(0, length)) {
      const bytes = await read(0, length);
      const { lines } = structRegionLines(xlSchema.struct("xl_save_header"), bytes, 0, "xl.", 0, elements);
      yield { title: `xl save-file header: ${length} bytes at 0x0`, bytes, base: 0, lines: keep(withConfig(lines, bytes.subarray(48), elements)) };
    }
    pos = length;
  }
  if (layer !== "libxc") {
    yield* headerRegion(`libxl stream header: 16 bytes at ${hex(pos)}`, libxlSchema.struct("libxl_stream_header"), 16, "libxl.");
    pos += 16;
  }
  /** The libxc image and domain headers, which open the libxc stream (in a libxl stream, after LIBXC_CONTEXT). */
  const libxcHeaders = async function* (): AsyncGenerator<AnnotatedRegion> {
    yield* headerRegion(`libxc image header: 24 bytes at ${hex(pos)}`, libxcSchema.struct("libxc_image_header"), 24, "libxc.image_header.");
    pos += 24;
    yield* headerRegion(`libxc domain header: 16 bytes at ${hex(pos)}`, libxcSchema.struct("domain_header"), 16, "libxc.domain_header.");
    pos += 16;
  };
  let mode: RecordLayerName = layer === "libxc" ? "libxc" : "libxl";
  if (layer === "libxc") yield* libxcHeaders();

  // Past the byte range nothing more is shown: the scan stops there.
  for (let index = 0; pos < size && pos < end; index++) {
    const head = new DataView((await read(pos, 8)).buffer);
    const type = head.getUint32(0, true);
    const length = head.getUint32(4, true);
    const label = recordLabel(mode, index, type);
    // read_record (xg_sr_common.c): a length over the limit is refused before anything is read.
    if (length > REC_LENGTH_MAX) throw new DecodeError("invalid", `body length ${length} exceeds Xen's limit of ${REC_LENGTH_MAX} bytes (REC_LENGTH_MAX)`, { offset: pos + 4, section: label, path: "length" });
    const total = 8 + length + padding8(length);
    if (wanted(selectorName(mode, type)) && inRange(pos, total)) {
      const bytes = await read(pos, total);
      yield { title: `${label}: ${length}-byte body at ${hex(pos + 8)}`, bytes, base: pos, lines: keep(recordLines(mode, index, type, bytes, pos, elements)) };
    }
    pos += total;
    // The layers hand the stream to each other as Xen's readers do (framing.ts).
    if (mode === "libxl") {
      if (type === LibxlRecordType.end) break;
      if (type === LibxlRecordType.libxc_context) {
        mode = "libxc";
        yield* libxcHeaders();
      } else if (type === LibxlRecordType.checkpoint_end) mode = "libxc";
    } else if (type === RecordType.end || type === RecordType.checkpoint) {
      if (layer === "libxc" && type === RecordType.end) break;
      if (layer !== "libxc") mode = "libxl";
    }
  }
  // A record that runs past the end, even one not shown, means the stream was cut short.
  if (pos > size) throw new DecodeError("truncated", `the stream ends at ${hex(size)}, inside its last record, which runs to ${hex(pos)}`, { offset: size });
  if (pos < size && whole && inRange(pos, size - pos)) {
    yield { title: "after the stream's END", bytes: await read(pos, Math.min(size - pos, 16)), base: pos, lines: [{ offset: pos, length: size - pos, depth: 0, label: "(trailing bytes)", value: `${size - pos} bytes after the END record, which should end the stream` }] };
  }
}

/** A record's lines: the record, then its header, body fields and padding from the walk. */
function recordLines(layer: RecordLayerName, index: number, type: number, bytes: Uint8Array, base: number, elements: ElementOptions): DumpLine[] {
  const name = recordTypeName(layer, type);
  const prefix = `records[${index}]`;
  const length = bytes.length;
  const lines: DumpLine[] = [{ offset: base, length, depth: 0, label: prefix, value: `${layer} ${name}` }];
  try {
    lines.push(...structRegionLines(layer === "libxc" ? LIBXC_RECORD : LIBXL_RECORD, bytes, base, `${prefix}.`, 1, elements).lines);
  } catch (e) {
    if (!(e instanceof XenImageError)) throw e;
    // A body the layout does not decode (Xen's restorer would refuse it): its framing, and the reason.
    const body = new DataView(bytes.buffer, bytes.byteOffset).getUint32(4, true);
    lines.push(
      { offset: base, length: 4, depth: 1, label: `${prefix}.type`, value: `${hex(type)} (${name})` },
      { offset: base + 4, length: 4, depth: 1, label: `${prefix}.length`, value: String(body) },
    );
    if (body > 0) lines.push({ offset: base + 8, length: body, depth: 1, label: `${prefix}.body`, value: `${body} bytes that do not decode: ${e.message}` });
    if (length > 8 + body) lines.push({ offset: base + 8 + body, length: length - 8 - body, depth: 1, label: `${prefix}.(align 8)`, value: `${length - 8 - body} padding bytes` });
  }
  return lines;
}

/** The xl header's lines, with its optional data spelled out as xl reads it (length, configuration, tail) when it is one. */
function withConfig(lines: DumpLine[], data: Uint8Array, elements: ElementOptions): DumpLine[] {
  const at = lines.findIndex((l) => l.label === "xl.optional_data");
  if (at < 0 || data.length < 4) return lines;
  const line = lines[at]!;
  let config: DumpLine[];
  try {
    config = structRegionLines(xlSchema.struct("xl_config_data"), data, 48, "xl.optional_data.", line.depth + 1, elements).lines;
  } catch (e) {
    if (e instanceof XenImageError) return lines;
    throw e;
  }
  const length = new DataView(data.buffer, data.byteOffset).getUint32(0, true);
  const text = new TextDecoder().decode(data.subarray(4, 4 + Math.min(length, 64))).replace(/\0+$/, "");
  const shown = config.map((l) => (l.label === "xl.optional_data.config" ? { ...l, value: `${l.value}: ${JSON.stringify(text)}${length > 64 ? "…" : ""}` } : l));
  return [...lines.slice(0, at + 1), ...shown, ...lines.slice(at + 1)];
}
