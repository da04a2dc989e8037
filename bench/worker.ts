/**
 * Runs one case in a process of its own and sends its result to the parent (bench/main.ts). A fresh
 * process per comparison keeps cases from shaping each other: V8 learns from what a process has run
 * (allocation sites that saw their objects survive get pretenured, call sites go polymorphic), so a
 * per-record decode measured after a decode into an array, in the same process, ran up to 3× slower
 * than on its own. Every implementation of a case still runs in the one process, on the same data.
 */
import { decodeImage, encodeImage, ImageType } from "../generated/index.js";
import { GUEST_KINDS, syntheticCoreImage, syntheticGuest } from "../synthetic/guest.js";
import { codecCase } from "./codecs.js";
import { FULL, QUICK, runCase, type CaseResult, type CaseSpec } from "./harness.js";
import type { WrittenImage } from "./open-section.js";
import { u64Case } from "./u64-arrays.js";

/** What the parent asks for. */
export interface WorkerRequest {
  readonly id: string;
  readonly quick: boolean;
  /** This process takes 1/share of the case's samples (the others run in processes of their own). */
  readonly share?: number;
  /** The images, for the open/ cases. */
  readonly images?: readonly WrittenImage[];
}

/** What the worker answers. */
export interface WorkerResponse {
  readonly result?: CaseResult;
  /** u64 cases: which implementations returned a view of their input. */
  readonly zeroCopy?: ReadonlyMap<string, boolean>;
  readonly error?: string;
}

/**
 * Runs every section codec once, on all four kinds of guest, before any timing: the generated code and
 * the runtime's shared helpers (decodeEntries, ByteReader) are then in the state a real application's
 * are in, having seen every section type. Small bodies: no allocation site learns to pretenure here.
 */
function warmEverything(): void {
  for (const kind of GUEST_KINDS) {
    decodeImage(encodeImage(syntheticGuest(kind, { memoryBytes: 64 * 4096 }, ImageType.save)));
    decodeImage(encodeImage(syntheticCoreImage(kind, { memoryBytes: 64 * 4096 })));
  }
}

async function handle(request: WorkerRequest): Promise<WorkerResponse> {
  const base = request.quick ? QUICK : FULL;
  const share = request.share ?? 1;
  const options = { ...base, minSamples: Math.ceil(base.minSamples / share), maxSamples: Math.ceil(base.maxSamples / share), budgetMs: base.budgetMs / share };
  warmEverything();
  let spec: CaseSpec;
  let zeroCopy: ReadonlyMap<string, boolean> | undefined;
  if (request.id.startsWith("codecs/")) spec = codecCase(request.id);
  else if (request.id.startsWith("u64/")) {
    const c = u64Case(request.id);
    spec = c.spec;
    zeroCopy = c.zeroCopy;
  } else if (request.id.startsWith("open/")) spec = (await import("./open-section.js")).openCase(request.id, request.images ?? []);
  else throw new Error(`unknown case ${request.id}`);
  const result = await runCase(spec, options);
  return zeroCopy === undefined ? { result } : { result, zeroCopy };
}

process.once("message", (request: WorkerRequest) => {
  handle(request).then(
    (response) => process.send!(response, undefined, {}, () => process.exit(0)),
    (e: unknown) => process.send!({ error: e instanceof Error ? (e.stack ?? e.message) : String(e) }, undefined, {}, () => process.exit(1)),
  );
});
