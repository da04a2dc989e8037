/**
 * Legacy (Xen 4.5 and older) migration streams, built by hand for the tests from the format Xen's
 * tools/python/xen/migration/legacy.py describes, as a 64-bit toolstack wrote them (unsigned longs of 8
 * bytes). They are the input of Xen's own convert-legacy-stream, whose output the tests import.
 */
import { concat, u32le, u64le } from "./xen-stream-helpers.js";

/** A chunk's i32 marker. */
function i32(v: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setInt32(0, v, true);
  return out;
}

/** A page batch: the count, the pfn words (type in bits 31-28), one page per word with contents. */
export function legacyBatch(pages: readonly { pfn: number; type?: number; fill?: number }[]): Uint8Array {
  const words = u64le(...pages.map((p) => (BigInt(p.type ?? 0) << 28n) | BigInt(p.pfn)));
  const data = pages.filter((p) => (p.type ?? 0) < 0xd).map((p) => new Uint8Array(4096).fill(p.fill ?? p.pfn & 0xff));
  return concat(i32(pages.length), words, ...data);
}

/** A chunk carrying one u64 (an HVM parameter): marker, 4 bytes of padding, the value. */
export function legacyParam(marker: number, value: bigint): Uint8Array {
  return concat(i32(marker), u32le(0), u64le(value));
}

/** XC_SAVE_ID_TSC_INFO: mode, nsec, khz, incarnation, packed (20 bytes). */
export function legacyTsc(mode: number, nsec: bigint, khz: number, incarnation: number): Uint8Array {
  return concat(i32(-7), u32le(mode), u64le(nsec), u32le(khz, incarnation));
}

/** XC_SAVE_ID_VCPU_INFO: the highest vcpu id and the online bitmap. */
export function legacyVcpuInfo(online: readonly number[]): Uint8Array {
  const max = Math.max(...online);
  const words = new BigUint64Array(Math.floor(max / 64) + 1);
  for (const v of online) words[Math.floor(v / 64)]! |= 1n << BigInt(v % 64);
  return concat(i32(-2), i32(max), u64le(...words));
}

/** XC_SAVE_ID_TOOLSTACK with libxl's version-1 physmap (64-bit: 4 stray bytes after each name). */
export function legacyPhysmap(entries: readonly { physOffset: bigint; start: bigint; size: bigint; name: string }[]): Uint8Array {
  const body = concat(
    u32le(1, entries.length),
    ...entries.map((e) => {
      const name = concat(new TextEncoder().encode(e.name), new Uint8Array(1));
      return concat(u64le(e.physOffset, e.start, e.size), u32le(name.length), name, new Uint8Array(4));
    }),
  );
  return concat(i32(-18), u32le(body.length), body);
}

/** The end of the chunks. */
export const LEGACY_END = i32(0);

/** A PV guest's vcpu context with a few recognisable registers (5168 bytes for width 8, 2800 for 4). */
export function legacyVcpuContext(vcpu: number, width: 4 | 8 = 8): Uint8Array {
  const c = new Uint8Array(width === 8 ? 5168 : 2800);
  const dv = new DataView(c.buffer);
  if (width === 8) {
    dv.setBigUint64(512, 0x21n, true); // flags: online, i387 valid
    dv.setBigUint64(520 + 16 * 8, 0xffff_ffff_8100_0000n + BigInt(vcpu), true); // rip
    dv.setBigUint64(4984 + 3 * 8, 0x1000n << 12n, true); // ctrlreg[3]
  } else {
    dv.setUint32(512, 0x21, true);
    dv.setUint32(516 + 32, 0xc100_0000 + vcpu, true); // eip
    dv.setUint32(2716 + 3 * 4, 0x1000 << 12, true); // ctrlreg[3]
  }
  return c;
}

/**
 * A PV guest's legacy stream: p2m size, the extended-info block ("vcpu" giving the context size, so the
 * guest's width; "extv"), the p2m frame list, the chunks, the tail (no unmapped pfns, each online vcpu's
 * context and 128-byte extended context, the shared-info page).
 */
export function legacyPvStream(o: { p2mSize: number; width: 4 | 8; chunks: readonly Uint8Array[]; online: readonly number[]; contexts: readonly Uint8Array[]; frames: readonly bigint[] }): Uint8Array {
  const vcpuSize = o.width === 8 ? 5168 : 2800;
  const blocks = concat(new TextEncoder().encode("vcpu"), u32le(vcpuSize), new Uint8Array(vcpuSize), new TextEncoder().encode("extv"), u32le(0));
  const ext = concat(u64le(0xffff_ffff_ffff_ffffn), u32le(blocks.length), blocks);
  const tail = concat(u32le(0), ...o.online.flatMap((v, i) => [o.contexts[i]!, new Uint8Array(128).fill(v + 1)]), new Uint8Array(4096).fill(3));
  return concat(u64le(BigInt(o.p2mSize)), ext, u64le(...o.frames), ...o.chunks, LEGACY_END, tail);
}

/**
 * An HVM guest's legacy stream: p2m size, the chunks, the magic pfns (ioreq, bufioreq, store), the HVM
 * context, and QEMU's record ("DeviceModelRecord0002", length, state).
 */
export function legacyHvmStream(o: { p2mSize: number; chunks: readonly Uint8Array[]; magic: readonly [bigint, bigint, bigint]; hvmContext: Uint8Array; qemu: Uint8Array }): Uint8Array {
  return concat(
    u64le(BigInt(o.p2mSize)),
    ...o.chunks,
    LEGACY_END,
    u64le(...o.magic),
    u32le(o.hvmContext.length),
    o.hvmContext,
    new TextEncoder().encode("DeviceModelRecord0002"),
    u32le(o.qemu.length),
    o.qemu,
  );
}
