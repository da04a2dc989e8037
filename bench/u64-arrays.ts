/**
 * u64 arrays: the p2m frame list (`frames: u64, count: rest, repr: typed_array` after two u64s) and the
 * unwritten-pages pfn list (`pfns: u64, count: entries, repr: typed_array`), at three lengths. The target
 * is zero-copy: an aligned little-endian u64 array comes back as a BigUint64Array view of the body, so
 * decoding costs the same at any length; a misaligned one is one bulk copy. Each implementation's result
 * is inspected once: "zero-copy" means it is a typed array on the body's own buffer.
 */
import { type ImageHeader, p2mFrameListSection, unwrittenPagesSection } from "../generated/index.js";
import { ByteReader, type SectionContext } from "../runtime/index.js";
import { misaligned, p2mFrameListBody, unwrittenPagesBody, x86Header } from "./data.js";
import type { CaseSpec } from "./harness.js";
import * as hw from "./handwritten/u64-array.js";
import * as bp from "./peers/binary-parser.js";
import * as rs from "./peers/restructure.js";
import { assertSameValues } from "./verify.js";

/** The lengths measured (elements): 262,144 frames map a 512 GiB guest's p2m table. */
export const LENGTHS = [1024, 16_384, 262_144] as const;

/** A u64-array case and, per implementation, whether its result was a view of the input. */
export interface U64Case {
  readonly spec: CaseSpec;
  /** Implementation id → zero-copy. */
  readonly zeroCopy: ReadonlyMap<string, boolean>;
  readonly length: number;
  readonly family: "p2m_frame_list" | "unwritten_pages";
  readonly aligned: boolean;
}

/** What a decoder returns: a BigUint64Array (ours, hw-view) or a bigint[]. */
type U64s = ArrayLike<bigint>;

/** The element values of whatever a decoder returned (for the agreement check). */
function values(list: U64s | ArrayLike<{ pfn: bigint }>): bigint[] {
  return Array.from(list as ArrayLike<unknown>, (v) => (typeof v === "bigint" ? v : (v as { pfn: bigint }).pfn));
}

/** A typed array sharing `input`'s buffer: nothing was copied. */
function isView(result: unknown, input: Uint8Array): boolean {
  return ArrayBuffer.isView(result) && result.buffer === input.buffer;
}

/** First + last element: touches the result without walking it (a walk would hide zero-copy). */
function ends(list: ArrayLike<unknown>): number {
  const first = list[0];
  const last = list[list.length - 1];
  const n = (v: unknown) => (typeof v === "bigint" ? Number(v & 0xffn) : typeof v === "object" && v !== null ? Number((v as { pfn: bigint }).pfn & 0xffn) : 0);
  return n(first) + n(last);
}

function p2mCase(length: number, aligned: boolean, header: ImageHeader): U64Case {
  const body = aligned ? p2mFrameListBody(length) : misaligned(p2mFrameListBody(length), 4);
  const ctx: SectionContext<ImageHeader> = { header, entryCount: 0n, entrySize: 0 };
  const oursDecode = () => p2mFrameListSection.decode(new ByteReader(body), ctx);
  const impls = [
    { id: "ours", label: "xenimage (generated)", decode: () => oursDecode().frames as U64s },
    { id: "hw-view", label: "hand-written, BigUint64Array view (copy if unaligned)", decode: () => hw.u64View(body, 16) },
    { id: "hw-halves", label: "hand-written, two u32 halves → bigint[]", decode: () => hw.u64Halves(body, 16) },
    { id: "hw-getbiguint64", label: "hand-written, getBigUint64 → bigint[]", decode: () => hw.u64GetBig(body, 16) },
    { id: "bp-bigint", label: "binary-parser, uint64le array", decode: () => bpFrames(body) },
    { id: "rs-bigint", label: "restructure, custom u64 array", decode: () => rs.decodeU64Array(body, 16) },
  ];
  const expected = values(oursDecode().frames);
  const zeroCopy = new Map<string, boolean>();
  for (const impl of impls) {
    const result = impl.decode();
    assertSameValues(`p2m_frame_list frames: ${impl.label}`, values(result), expected, "bigint");
    zeroCopy.set(impl.id, isView(result, body));
  }
  return {
    family: "p2m_frame_list",
    length,
    aligned,
    zeroCopy,
    spec: {
      id: `u64/p2m_frame_list/${aligned ? "aligned" : "unaligned"}/${length}`,
      title: `p2m_frame_list frames: ${length.toLocaleString("en")} u64${aligned ? "" : " (body misaligned by 4 bytes)"}`,
      reference: "hw-view",
      baselineReference: "hw-halves",
      ours: "ours",
      records: length,
      bytes: body.length,
      impls: impls.map((i) => ({ id: i.id, label: i.label, run: () => ends(i.decode()) })),
    },
  };
}

const bpFramesParser = bp.u64ArrayParser(16);
function bpFrames(body: Uint8Array): bigint[] {
  return bpFramesParser.parse(body).values;
}

function unwrittenCase(length: number, header: ImageHeader): U64Case {
  const body = unwrittenPagesBody(length);
  const ctx: SectionContext<ImageHeader> = { header, entryCount: BigInt(length), entrySize: 8 };
  const oursDecode = () => unwrittenPagesSection.decode(new ByteReader(body), ctx);
  const impls = [
    { id: "ours", label: "xenimage (generated)", decode: () => oursDecode().pfns as U64s },
    { id: "hw-view", label: "hand-written, BigUint64Array view", decode: () => hw.u64View(body, 0) },
    { id: "hw-halves", label: "hand-written, two u32 halves → bigint[]", decode: () => hw.u64Halves(body, 0) },
  ];
  const expected = values(oursDecode().pfns);
  const zeroCopy = new Map<string, boolean>();
  for (const impl of impls) {
    const result = impl.decode();
    assertSameValues(`unwritten_pages: ${impl.label}`, values(result as U64s), expected, "bigint");
    zeroCopy.set(impl.id, isView(result, body));
  }
  return {
    family: "unwritten_pages",
    length,
    aligned: true,
    zeroCopy,
    spec: {
      id: `u64/unwritten_pages/aligned/${length}`,
      title: `unwritten_pages (pfn list counted by the table): ${length.toLocaleString("en")} pfns`,
      reference: "hw-view",
      baselineReference: "hw-halves",
      ours: "ours",
      records: length,
      bytes: body.length,
      impls: impls.map((i) => ({ id: i.id, label: i.label, run: () => ends(i.decode()) })),
    },
  };
}

/** Every u64-array case id, in the order they run. */
export function u64CaseIds(lengths: readonly number[] = LENGTHS): string[] {
  return [
    ...lengths.map((n) => `u64/p2m_frame_list/aligned/${n}`),
    `u64/p2m_frame_list/unaligned/${lengths[1] ?? lengths[0]!}`,
    ...lengths.map((n) => `u64/unwritten_pages/aligned/${n}`),
  ];
}

/** The case with this id, its input built and every implementation's values checked. */
export function u64Case(id: string): U64Case {
  const [, family, alignment, length] = id.split("/");
  const n = Number(length);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`no u64 case ${id}`);
  if (family === "p2m_frame_list") return p2mCase(n, alignment === "aligned", x86Header());
  if (family === "unwritten_pages" && alignment === "aligned") return unwrittenCase(n, x86Header());
  throw new Error(`no u64 case ${id}`);
}

/** Every u64-array case, inputs built and agreement checked. */
export function u64Cases(lengths: readonly number[] = LENGTHS): U64Case[] {
  return u64CaseIds(lengths).map(u64Case);
}
