/**
 * Decode and encode of our real sections' records (x86_64 vcpu contexts, CPUID leaves, HVM CPU records)
 * with the generated codecs, hand-written DataView code, binary-parser, restructure and Kaitai Struct,
 * in bigint and number modes where u64 fields make them differ. Three operations per struct:
 *
 * - decode: a whole body into an array of kept objects (what `decodeImage` does for a section);
 * - per-record: decode one record, use a field, drop it, for every record (a reader that streams);
 * - encode: values into a new body.
 *
 * Every implementation is checked against the generated codec before anything is timed.
 */
import type { ImageHeader } from "../generated/index.js";
import { cpuidData, entriesContext, hvmCpuData, toNumberMode, vcpuData, x86Header, type StructData } from "./data.js";
import type { CaseSpec } from "./harness.js";
import * as hwCpuid from "./handwritten/cpuid.js";
import * as hwHvm from "./handwritten/hvm-hw-cpu.js";
import * as hwVcpu from "./handwritten/vcpu-x86_64.js";
import * as ours from "./ours.js";
import * as bp from "./peers/binary-parser.js";
import * as kt from "./peers/kaitai.js";
import * as rs from "./peers/restructure.js";
import { assertSameBytes, assertSameValues, type Mode } from "./verify.js";

/** An implementation of the three operations for one struct (each one optional: not every peer encodes). */
export interface CodecImpl {
  readonly id: string;
  readonly label: string;
  /** How it represents u64: our comparisons are exact for bigint, to the nearest number for number. */
  readonly mode: Mode;
  readonly decode?: () => unknown[];
  readonly each?: () => number;
  readonly encode?: () => Uint8Array;
}

/** One struct's benchmark: its data and every implementation. */
export interface StructBench {
  /** The subject in case ids: `vcpu_x86_64`, `cpuid`, `hvm_hw_cpu`. */
  readonly key: string;
  readonly title: string;
  /** Whether it has u64 fields (and so bigint and number modes). */
  readonly hasU64: boolean;
  readonly data: StructData<unknown>;
  readonly impls: readonly CodecImpl[];
}

/** Record counts per struct. */
export interface Counts {
  readonly vcpu: number;
  readonly cpuid: number;
  readonly hvm: number;
}

/** The counts of a normal run: a body of a few MB per struct, a few ms per decode. */
export const DEFAULT_COUNTS: Counts = { vcpu: 256, cpuid: 20_000, hvm: 2_000 };

const OURS = { id: "ours", label: "xenimage (generated)" } as const;
/** Our lazy view (`viewX`): per-record only, since a view is for reading a few fields of a record. */
const OURS_VIEW = { id: "ours-view", label: "xenimage (generated view)", mode: "bigint" } as const;

function vcpuBench(count: number, header: ImageHeader): StructBench {
  const data = vcpuData(count);
  const { bytes, values } = data;
  const ctx = entriesContext(header, data);
  const numbers = toNumberMode(values);
  return {
    key: "vcpu_x86_64",
    title: `vcpu_guest_context_x86_64 (5168 B) × ${count}`,
    hasU64: true,
    data,
    impls: [
      { ...OURS, mode: "bigint", decode: () => ours.decodeVcpus(bytes, ctx), each: () => ours.eachVcpu(bytes, count), encode: () => ours.encodeVcpus(values, header) },
      { ...OURS_VIEW, each: () => ours.eachVcpuView(bytes, count) },
      { id: "hw-bigint", label: "hand-written, bigint", mode: "bigint", decode: () => hwVcpu.decodeVcpus(bytes, count), each: () => hwVcpu.eachVcpu(bytes, count), encode: () => hwVcpu.encodeVcpus(values) },
      { id: "hw-number", label: "hand-written, number", mode: "number", decode: () => hwVcpu.decodeVcpusN(bytes, count), each: () => hwVcpu.eachVcpuN(bytes, count), encode: () => hwVcpu.encodeVcpusN(numbers) },
      { id: "bp-bigint", label: "binary-parser, bigint", mode: "bigint", decode: () => bp.decodeVcpusBig(bytes), each: () => bp.eachVcpuBig(bytes, data.size) },
      { id: "bp-number", label: "binary-parser, number", mode: "number", decode: () => bp.decodeVcpusNum(bytes), each: () => bp.eachVcpuNum(bytes, data.size) },
      { id: "rs-bigint", label: "restructure, bigint", mode: "bigint", decode: () => rs.decodeVcpusBig(bytes, count), each: () => rs.eachVcpuBig(bytes, count), encode: () => rs.encodeVcpusBig(values) },
      { id: "rs-number", label: "restructure, number", mode: "number", decode: () => rs.decodeVcpusNum(bytes, count), each: () => rs.eachVcpuNum(bytes, count), encode: () => rs.encodeVcpusNum(numbers) },
      { id: "kaitai-number", label: "Kaitai Struct, number", mode: "number", decode: () => kt.decodeVcpus(bytes), each: () => kt.eachVcpu(bytes, count) },
    ],
  };
}

function hvmBench(count: number, header: ImageHeader): StructBench {
  const data = hvmCpuData(count);
  const { bytes, values } = data;
  const ctx = entriesContext(header, data);
  const numbers = toNumberMode(values);
  return {
    key: "hvm_hw_cpu",
    title: `hvm_hw_cpu (1032 B) × ${count}`,
    hasU64: true,
    data,
    impls: [
      { ...OURS, mode: "bigint", decode: () => ours.decodeHvmCpus(bytes, ctx), each: () => ours.eachHvmCpu(bytes, count), encode: () => ours.encodeHvmCpus(values) },
      { ...OURS_VIEW, each: () => ours.eachHvmCpuView(bytes, count) },
      { id: "hw-bigint", label: "hand-written, bigint", mode: "bigint", decode: () => hwHvm.decodeHvmCpus(bytes, count), each: () => hwHvm.eachHvmCpu(bytes, count), encode: () => hwHvm.encodeHvmCpus(values) },
      { id: "hw-number", label: "hand-written, number", mode: "number", decode: () => hwHvm.decodeHvmCpusN(bytes, count), each: () => hwHvm.eachHvmCpuN(bytes, count), encode: () => hwHvm.encodeHvmCpusN(numbers) },
      { id: "bp-bigint", label: "binary-parser, bigint", mode: "bigint", decode: () => bp.decodeHvmCpusBig(bytes), each: () => bp.eachHvmCpuBig(bytes, data.size) },
      { id: "bp-number", label: "binary-parser, number", mode: "number", decode: () => bp.decodeHvmCpusNum(bytes), each: () => bp.eachHvmCpuNum(bytes, data.size) },
      { id: "rs-bigint", label: "restructure, bigint", mode: "bigint", decode: () => rs.decodeHvmCpusBig(bytes, count), each: () => rs.eachHvmCpuBig(bytes, count), encode: () => rs.encodeHvmCpusBig(values) },
      { id: "rs-number", label: "restructure, number", mode: "number", decode: () => rs.decodeHvmCpusNum(bytes, count), each: () => rs.eachHvmCpuNum(bytes, count), encode: () => rs.encodeHvmCpusNum(numbers) },
      { id: "kaitai-number", label: "Kaitai Struct, number", mode: "number", decode: () => kt.decodeHvmCpus(bytes), each: () => kt.eachHvmCpu(bytes, count) },
    ],
  };
}

function cpuidBench(count: number, header: ImageHeader): StructBench {
  const data = cpuidData(count);
  const { bytes, values } = data;
  const ctx = entriesContext(header, data);
  return {
    key: "cpuid",
    title: `cpuid_leaf (24 B) × ${count}`,
    hasU64: false,
    data,
    impls: [
      { ...OURS, mode: "bigint", decode: () => ours.decodeCpuids(bytes, ctx), each: () => ours.eachCpuid(bytes, count), encode: () => ours.encodeCpuids(values, header) },
      { ...OURS_VIEW, each: () => ours.eachCpuidView(bytes, count) },
      { id: "hw", label: "hand-written", mode: "bigint", decode: () => hwCpuid.decodeCpuids(bytes, count), each: () => hwCpuid.eachCpuid(bytes, count), encode: () => hwCpuid.encodeCpuids(values) },
      { id: "bp", label: "binary-parser", mode: "bigint", decode: () => bp.decodeCpuids(bytes), each: () => bp.eachCpuid(bytes, data.size) },
      { id: "rs", label: "restructure", mode: "bigint", decode: () => rs.decodeCpuids(bytes, count), each: () => rs.eachCpuid(bytes, count), encode: () => rs.encodeCpuids(values) },
      { id: "kaitai", label: "Kaitai Struct", mode: "bigint", decode: () => kt.decodeCpuids(bytes), each: () => kt.eachCpuid(bytes, count) },
    ],
  };
}

/** The structs, by their key in case ids. */
export const STRUCT_KEYS = ["vcpu_x86_64", "cpuid", "hvm_hw_cpu"] as const;
export type StructKey = (typeof STRUCT_KEYS)[number];

/** The operations, by their name in case ids. */
export const OPERATIONS = ["decode", "per-record", "encode"] as const;

/** Every codec case id, in the order they run. */
export const CODEC_CASE_IDS: readonly string[] = STRUCT_KEYS.flatMap((key) => OPERATIONS.map((op) => `codecs/${op}/${key}`));

/** One struct's benchmark, with data of the given sizes. */
export function structBench(key: StructKey, counts: Counts = DEFAULT_COUNTS): StructBench {
  const header = x86Header();
  if (key === "vcpu_x86_64") return vcpuBench(counts.vcpu, header);
  if (key === "cpuid") return cpuidBench(counts.cpuid, header);
  return hvmBench(counts.hvm, header);
}

/** Every struct's benchmark, with data of the given sizes. */
export function structBenches(counts: Counts = DEFAULT_COUNTS): StructBench[] {
  return STRUCT_KEYS.map((key) => structBench(key, counts));
}

/** The case with this id (`codecs/OPERATION/STRUCT`), its data built, nothing run yet. */
export function codecCase(id: string, counts: Counts = DEFAULT_COUNTS): CaseSpec {
  const key = STRUCT_KEYS.find((k) => id.endsWith(`/${k}`));
  const spec = key === undefined ? undefined : codecCases(structBench(key, counts)).find((c) => c.id === id);
  if (spec === undefined) throw new Error(`no codec case ${id}`);
  return spec;
}

/**
 * Checks every implementation against ours: decoded values field by field (number-mode ones to the
 * nearest number), per-record sums, encoded bytes (number-mode encoders: their bytes, decoded by us,
 * equal their input to the nearest number). Throws on the first disagreement.
 */
export function verifyStruct(bench: StructBench): void {
  const [reference, ...others] = bench.impls;
  if (reference?.id !== OURS.id) throw new Error("the first implementation must be ours");
  const expected = reference.decode!();
  assertSameValues(`${reference.label}: decode`, expected, bench.data.values, "bigint");
  const sum = reference.each!();
  const bytes = reference.encode!();
  assertSameBytes(`${reference.label}: encode`, bytes, bench.data.bytes);
  for (const impl of others) {
    const label = `${bench.key}: ${impl.label}`;
    if (impl.decode) assertSameValues(`${label}: decode`, impl.decode(), expected, impl.mode);
    if (impl.each) {
      const s = impl.each();
      if (s !== sum) throw new Error(`${label}: per-record sum ${s}, the generated decoder's ${sum}`);
    }
    if (impl.encode) {
      const out = impl.encode();
      if (impl.mode === "bigint") assertSameBytes(`${label}: encode`, out, bytes);
      else assertSameValues(`${label}: encode (decoded by us)`, reference.decode === undefined ? [] : decodeWithOurs(bench, out), bench.data.values, "number");
    }
  }
}

/** Our decode of another encoder's output (same shape as the bench's data). */
function decodeWithOurs(bench: StructBench, bytes: Uint8Array): unknown[] {
  const ctx = entriesContext(x86Header(), bench.data);
  if (bench.key === "vcpu_x86_64") return ours.decodeVcpus(bytes, ctx);
  if (bench.key === "hvm_hw_cpu") return ours.decodeHvmCpus(bytes, ctx);
  return ours.decodeCpuids(bytes, ctx);
}

/** The three cases (decode, per-record, encode) of one struct. */
export function codecCases(bench: StructBench): CaseSpec[] {
  const { count, bytes } = bench.data;
  const reference = bench.hasU64 ? "hw-bigint" : "hw";
  const common = { reference, ours: OURS.id, records: count, bytes: bytes.length };
  const with_ = (op: "decode" | "each" | "encode") =>
    bench.impls.filter((i) => i[op] !== undefined).map((i) => ({ id: i.id, label: i.label, run: i[op]! as () => unknown }));
  return [
    { id: `codecs/decode/${bench.key}`, title: `Decode into an array: ${bench.title}`, impls: with_("decode"), ...common },
    { id: `codecs/per-record/${bench.key}`, title: `Per-record decode (decode, use, drop): ${bench.title}`, impls: with_("each"), ...common },
    {
      id: `codecs/encode/${bench.key}`,
      title: `Encode: ${bench.title}`,
      impls: with_("encode"),
      ...common,
      note: "binary-parser and Kaitai Struct (JavaScript) cannot encode.",
    },
  ];
}
