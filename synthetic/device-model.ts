/**
 * A synthetic HVM guest's device model (QEMU): the blob QEMU's xen-save-devices-state writes, and the
 * xenstore keys libxl saves beside it.
 */
import { DeviceModelId, type ImageSection } from "../generated/index.js";
import type { SeededRandom } from "./random.js";

/** QEMU_VM_FILE_MAGIC, "QEVM" (migration/savevm.c). */
export const QEMU_VM_FILE_MAGIC = 0x5145_564d;
/** QEMU_VM_FILE_VERSION: the only savevm version QEMU loads (version 2 is refused as obsolete). */
export const QEMU_VM_FILE_VERSION = 3;

const QEMU_VM_EOF = 0x00;
const QEMU_VM_SECTION_FULL = 0x04;

/** Devices a qemu-xen HVM guest saves, with the vmstate version and a plausible state size. */
const DEVICES: readonly { readonly idstr: string; readonly version: number; readonly size: number }[] = [
  { idstr: "PCIBUS", version: 1, size: 20 },
  { idstr: "i440FX", version: 3, size: 276 },
  { idstr: "PIIX3-xen", version: 3, size: 288 },
  { idstr: "serial", version: 3, size: 28 },
  { idstr: "vga", version: 2, size: 344 },
  { idstr: "ide", version: 3, size: 160 },
];

/**
 * The blob QEMU writes for `xen-save-devices-state` (qemu_save_device_state in migration/savevm.c): the
 * file header (magic "QEVM", version 3, big-endian), one QEMU_VM_SECTION_FULL per device (section id,
 * idstr, instance id, version id, the device's fields) and QEMU_VM_EOF. A Xen machine sends neither the
 * configuration section nor section footers (QEMU's Xen accelerator turns both off). The device fields
 * here are seeded bytes: the header and the section framing are QEMU's, the states are not real.
 */
export function qemuDeviceState(rng: SeededRandom): Uint8Array {
  const parts: number[] = [];
  const u8 = (v: number) => parts.push(v & 0xff);
  const u32be = (v: number) => parts.push((v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff);
  u32be(QEMU_VM_FILE_MAGIC);
  u32be(QEMU_VM_FILE_VERSION);
  DEVICES.forEach((device, sectionId) => {
    u8(QEMU_VM_SECTION_FULL);
    u32be(sectionId);
    u8(device.idstr.length);
    for (const c of device.idstr) u8(c.charCodeAt(0));
    u32be(0); // instance id
    u32be(device.version);
    const state = new Uint8Array(device.size);
    rng.fill(state);
    parts.push(...state);
  });
  u8(QEMU_VM_EOF);
  return Uint8Array.from(parts);
}

/**
 * The physmap keys QEMU publishes for video RAM it mapped into the guest, as libxl's
 * libxl__save_emulator_xenstore_data collects them (start_addr, size, name per mapping; hex numbers).
 */
export function physmapXenstoreData(): Uint8Array {
  const text = ["physmap/f0000000/start_addr", "f0000000", "physmap/f0000000/size", "800000", "physmap/f0000000/name", "vga.vram"].map((s) => `${s}\0`).join("");
  return new TextEncoder().encode(text);
}

/**
 * The device-model sections of an HVM save image: the xenstore keys, then the state, of upstream QEMU
 * (emulator index 0), in the order libxl writes its emulator records. With `physmap` false the device
 * model published no keys (no mapped video RAM, as with vga="none").
 */
export function deviceModelSections(rng: SeededRandom, physmap: boolean): ImageSection[] {
  return [
    { type: "device_model_xenstore", body: { emulatorId: DeviceModelId.qemu_upstream, index: 0, data: physmap ? physmapXenstoreData() : new Uint8Array(0) } },
    { type: "device_model_state", body: { emulatorId: DeviceModelId.qemu_upstream, index: 0, state: qemuDeviceState(rng) } },
  ];
}
