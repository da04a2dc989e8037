import {
  Arch,
  ByteOrder,
  ExtendedInfoFlags,
  GuestType,
  ImageType,
  type ImageInit,
  type ImageSection,
} from "../generated/index.js";
import { deviceModelSections } from "./device-model.js";
import { hvmContext, hvmParams } from "./hvm.js";
import { hvmPageType, pageBatches, pvPageType } from "./pages.js";
import { SeededRandom } from "./random.js";
import { uuidText } from "../runtime/uuid.js";
import { sharedInfoPage } from "./shared-info.js";
import { armVcpu, pvVcpuX8632, pvVcpuX8664 } from "./vcpus.js";
import { cpuidPolicy, msrPolicy, tscInfo } from "./x86.js";

/** The kinds of guest the generator makes. */
export const GUEST_KINDS = ["pv-x86_64", "pv-x86_32", "hvm-x86_64", "arm64"] as const;
export type GuestKind = (typeof GUEST_KINDS)[number];

/** What synthetic guest to make. Every option has a default; the same options give the same guest. */
export interface SyntheticGuestOptions {
  /** The PRNG seed. Default 1. */
  readonly seed?: number;
  /** Number of vcpus. Default 2. */
  readonly vcpus?: number;
  /** Guest memory in bytes (a multiple of 4096). Default 4 MiB. */
  readonly memoryBytes?: number;
  /** Pages per page_data section (Xen batches at most 1024). Default 1024. */
  readonly batchPages?: number;
  /** The domain's name. Default "synthetic-KIND". */
  readonly name?: string;
  /**
   * HVM: whether the device model published physmap keys (mapped video RAM), saved as its xenstore data.
   * Default false: the device model's xenstore section is empty (Xen 4.17's verify-stream-v2, under
   * Python 3, refuses every non-empty EMULATOR_XENSTORE_DATA record; see interop/xen-stream/README.md).
   */
  readonly physmap?: boolean;
}

const PAGE = 4096;

interface Shape {
  readonly arch: number;
  readonly guestType: number;
}
const SHAPES: Record<GuestKind, Shape> = {
  "pv-x86_64": { arch: Arch.x86_64, guestType: GuestType.pv },
  "pv-x86_32": { arch: Arch.x86_32, guestType: GuestType.pv },
  "hvm-x86_64": { arch: Arch.x86_64, guestType: GuestType.hvm },
  arm64: { arch: Arch.arm64, guestType: GuestType.hvm },
};

function setup(kind: GuestKind, options: SyntheticGuestOptions, imageType: number) {
  const seed = options.seed ?? 1;
  const vcpus = options.vcpus ?? 2;
  const memory = options.memoryBytes ?? 4 * 1024 * 1024;
  if (!Number.isInteger(memory / PAGE) || memory <= 0) throw new RangeError(`memoryBytes must be a positive multiple of ${PAGE}`);
  if (!Number.isInteger(vcpus) || vcpus < 1) throw new RangeError("vcpus must be a positive integer");
  const rng = new SeededRandom(seed ^ (GUEST_KINDS.indexOf(kind) << 24) ^ (imageType << 28));
  const name = options.name ?? `synthetic-${kind}`;
  const bytes = new Uint8Array(16);
  rng.fill(bytes);
  bytes[6] = (bytes[6]! & 0x0f) | 0x40;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  // A version-4 uuid, in the dashed lower-case form (the only one libxl_uuid_from_string and the header both take).
  const uuid = uuidText(bytes);
  const { arch, guestType } = SHAPES[kind];
  const header: ImageInit["header"] = {
    byteOrder: ByteOrder.little,
    imageType,
    guestType,
    arch,
    pageShift: 12,
    xenMajor: 4,
    xenMinor: 19,
    domainId: 1 + (seed % 1000),
    vcpuCount: vcpus,
    memorySize: BigInt(memory),
    uuid,
    name,
  };
  const type = guestType === GuestType.pv ? "pv" : arch === Arch.arm64 ? "pvh" : "hvm";
  const config = JSON.stringify({ c_info: { type, name, uuid }, b_info: { max_vcpus: vcpus, max_memkb: memory / 1024 } });
  return { rng, vcpus, pages: memory / PAGE, batch: options.batchPages ?? 1024, header, config, arch };
}

/** The vcpu_context body for the guest's architecture. */
function vcpuContexts(rng: SeededRandom, arch: number, vcpus: number): ImageSection {
  const body =
    arch === Arch.x86_64
      ? Array.from({ length: vcpus }, (_, v) => pvVcpuX8664(rng, v, 1, 16))
      : arch === Arch.x86_32
        ? Array.from({ length: vcpus }, (_, v) => pvVcpuX8632(rng, v, 1, 16))
        : Array.from({ length: vcpus }, (_, v) => armVcpu(rng, v, 0x100));
  return { type: "vcpu_context", body } as ImageSection;
}

/** A PV guest's p2m frame list: the frames that hold its p2m (its last pages), one per 512 (64-bit) or 1024 entries. */
export function p2mFrameList(pages: number, wide: boolean): ImageSection {
  const perFrame = PAGE / (wide ? 8 : 4);
  const frames = BigUint64Array.from({ length: Math.ceil(pages / perFrame) }, (_, i) => BigInt(Math.max(0, pages - 2 - i)));
  return { type: "p2m_frame_list", body: { startPfn: 0n, endPfn: BigInt(pages - 1), frames } };
}

/** The pages a PV save leaves unwritten: the last one. */
export function unwrittenPages(pages: number): ImageSection {
  return { type: "unwritten_pages", body: { pfns: BigUint64Array.of(BigInt(pages - 1)) } };
}

/**
 * A save image of a synthetic guest, with its sections in the order a saver writes them and every
 * section its image-type rule requires: PV guests with extended info, p2m frames, page tables among
 * their pages and per-vcpu extended state; HVM guests with an HVM context and parameters and their
 * device model's (QEMU's) state and xenstore keys; ARM guests with their vcpu contexts.
 * Deterministic: the same kind and options give the same bytes.
 */
export function syntheticGuest(kind: GuestKind, options: SyntheticGuestOptions = {}, imageType: number = ImageType.save): ImageInit {
  const { rng, vcpus, pages, batch, header, config, arch } = setup(kind, options, imageType);
  const sections: ImageSection[] = [{ type: "guest_config", body: { config } }];
  if (kind === "pv-x86_64" || kind === "pv-x86_32") {
    const wide = kind === "pv-x86_64";
    const levels = wide ? 4 : 3;
    sections.push(
      { type: "cpuid", body: cpuidPolicy(rng, false) },
      { type: "msr_policy", body: msrPolicy() },
      {
        type: "extended_info",
        body: { guestWidth: wide ? 8 : 4, ptLevels: levels, flags: ExtendedInfoFlags.vcpu_extended | (wide ? 0 : ExtendedInfoFlags.extended_cr3), vcpuContextSize: wide ? 5168 : 2800, xsaveSize: 0 },
      },
    );
    sections.push(p2mFrameList(pages, wide));
    sections.push(...pageBatches(rng, pages, batch, (pfn) => pvPageType(pfn, pages, levels)));
    sections.push(unwrittenPages(pages));
    sections.push({ type: "tsc_info", body: tscInfo(rng) });
    sections.push({ type: "shared_info", body: sharedInfoPage(rng, arch, vcpus, pages - 1) });
    sections.push(vcpuContexts(rng, arch, vcpus));
    for (let v = 0; v < vcpus; v++) {
      const context = new Uint8Array(64);
      rng.fill(context);
      sections.push({ type: "vcpu_extended", body: { vcpuId: v, context } });
      sections.push({ type: "vcpu_msrs", body: { vcpuId: v, msrs: [{ index: 0xc000_0103, value: BigInt(v) }] } });
    }
  } else if (kind === "hvm-x86_64") {
    sections.push({ type: "cpuid", body: cpuidPolicy(rng, true) }, { type: "msr_policy", body: msrPolicy() });
    sections.push(...pageBatches(rng, pages, batch, hvmPageType));
    sections.push({ type: "tsc_info", body: tscInfo(rng) });
    sections.push({ type: "hvm_context", body: { records: hvmContext(rng, vcpus) } });
    sections.push({ type: "hvm_params", body: hvmParams(pages) });
    sections.push(...deviceModelSections(rng, options.physmap ?? false));
  } else {
    sections.push(...pageBatches(rng, pages, batch, () => 0));
    sections.push({ type: "shared_info", body: sharedInfoPage(rng, arch, vcpus, pages - 1) });
    sections.push(vcpuContexts(rng, arch, vcpus));
  }
  return { header, sections };
}

/**
 * A core image of a synthetic guest, as a debugger wants it: the hypervisor's version, the vcpu
 * registers, the shared-info page, every page and the pfn each page is.
 */
export function syntheticCoreImage(kind: GuestKind, options: SyntheticGuestOptions = {}): ImageInit {
  const { rng, vcpus, pages, batch, header, arch } = setup(kind, options, ImageType.core);
  const pv = header.guestType === GuestType.pv;
  const typeOf = pv ? (pfn: number) => pvPageType(pfn, pages, arch === Arch.x86_64 ? 4 : 3) : () => 0;
  const pageData = pageBatches(rng, pages, batch, typeOf);
  const pfns = pageData.flatMap((s) => (s.type === "page_data" ? s.body.pfns.map((p) => BigInt(p.pfn)) : []));
  const compileInfo = { compiler: "gcc (Debian 12.2.0-14) 12.2.0", compileBy: "xen", compileDomain: "example.org", compileDate: "Thu Nov 20 12:00:00 UTC 2026" };
  const sections: ImageSection[] = [
    {
      type: "xen_version",
      body: {
        majorVersion: 4n, minorVersion: 19n, extraVersion: ".1", compileInfo,
        capabilities: arch === Arch.arm64 ? "xen-3.0-aarch64 xen-3.0-armv7l" : "xen-3.0-x86_64 hvm-3.0-x86_32 hvm-3.0-x86_32p hvm-3.0-x86_64",
        changeset: "Mon Nov 17 10:00:00 2026 +0000 git:0123456789ab", virtStart: arch === Arch.arm64 ? 0n : 0xffff_8000_0000_0000n, pagesize: 4096n,
      },
    },
    vcpuContexts(rng, arch, vcpus),
    { type: "shared_info", body: sharedInfoPage(rng, arch, vcpus, pages - 1) },
    ...pageData,
    { type: "pfn_map", body: pv ? pfns.map((pfn) => ({ pfn, gmfn: 0x10_0000n + pfn })) : pfns.map((pfn) => ({ pfn })) } as ImageSection,
  ];
  return { header, sections };
}

/** A 64-bit PV guest's save image (the first demo image; kept for callers that want just that). */
export function syntheticPvGuest(options: SyntheticGuestOptions = {}): ImageInit {
  return syntheticGuest("pv-x86_64", { name: "synthetic-pv", ...options });
}
