import { describe, expect, it } from "vitest";
import { decodeImage, encodeHvmContext, encodeImage, type ImageInit, type KnownSection, verifyImage } from "../../generated/index.js";
import { exportXenStream, importXenStream, sameImage } from "../../interop/xen-stream/index.js";
import { ByteWriter } from "../../runtime/index.js";
import { syntheticGuest } from "../../synthetic/guest.js";
import { legacyBatch, legacyHvmStream, legacyParam, legacyPhysmap, legacyPvStream, legacyTsc, legacyVcpuContext, legacyVcpuInfo } from "./legacy-stream.js";
import { checkXenStream } from "./xen-stream-checker.js";
import { recordsOf, sameBytes, typeSequence } from "./xen-stream-helpers.js";
import { convertLegacyStream, verifyStreamV2 } from "./xen-tools.js";

// Streams written by Xen's own convert-legacy-stream (tools/python/scripts) from legacy streams built by
// hand: what a Xen 4.5 guest's save file becomes on its way to a newer Xen. Each must import, give an
// image our verify accepts, and export back to the very records the converter wrote.

function section<T extends KnownSection["type"]>(image: ImageInit, type: T): (KnownSection & { type: T })[] {
  return image.sections.filter((s) => s.type === type) as (KnownSection & { type: T })[];
}

/** The round trip every converted stream must survive, through our image file too. */
function roundTrip(stream: Uint8Array, layer: "libxc" | "libxl"): ImageInit {
  expect(checkXenStream(stream, { strictTypes: true }).problems).toEqual([]);
  const image = importXenStream(stream);
  expect(verifyImage(image)).toEqual([]);
  expect(sameBytes(exportXenStream(image, { layer }), stream)).toBe(true);
  // Written to our format and read back, the image still exports to the same bytes.
  const file = decodeImage(encodeImage(image));
  expect(sameImage(file, image)).toBe(true);
  expect(sameBytes(exportXenStream(file, { layer }), stream)).toBe(true);
  return image;
}

function pvLegacy(width: 4 | 8): Uint8Array {
  const p2mSize = 2048;
  const perFrame = 4096 / width;
  const frames = Array.from({ length: Math.ceil(p2mSize / perFrame) }, (_, i) => BigInt(2000 - i));
  return legacyPvStream({
    p2mSize,
    width,
    frames,
    online: [0, 1, 3],
    // vcpu 1's context is all zeros: still a record Xen's converter writes and its restorer applies.
    contexts: [legacyVcpuContext(0, width), new Uint8Array(width === 8 ? 5168 : 2800), legacyVcpuContext(3, width)],
    chunks: [
      legacyVcpuInfo([0, 1, 3]),
      legacyBatch([{ pfn: 0x1000, type: width === 8 ? 0xc : 0xb }, { pfn: 1 }, { pfn: 2 }, { pfn: 0x7ff, type: 0xf }]),
      legacyBatch([{ pfn: 3, fill: 0xaa }, { pfn: 4, type: 0xe }]),
      legacyTsc(0, 123_456_789n, 2_400_000, 2),
    ],
  });
}

describe("PV streams from Xen's convert-legacy-stream", () => {
  for (const width of [8, 4] as const) {
    for (const format of ["libxc", "libxl"] as const) {
      it(`a ${width * 8}-bit guest (${format}): imports, verifies, and exports back to the same records`, () => {
        const stream = convertLegacyStream(pvLegacy(width), { width: 64, guest: "pv", format });
        // The converter's shape: xen_major 0, STATIC_DATA_END without policies, vcpus before shared info.
        expect(new DataView(stream.buffer, stream.byteOffset + (format === "libxl" ? 24 + 24 : 24)).getUint32(8, true)).toBe(0);
        const libxc = ["2", "10", "3", "1", "1", "8", "4", "5", "4", "5", "4", "5", "7", "0"];
        expect(typeSequence(stream)).toEqual(format === "libxc" ? libxc : ["l1", ...libxc, "l0"]);
        expect(verifyStreamV2(stream, format)).toEqual({ status: 0, stderr: "" });
        const image = roundTrip(stream, format);
        // Every BASIC record Xen sent is kept, vcpu 1's all-zero one included; vcpu 2 sent none.
        const [vcpus] = section(image, "vcpu_context");
        expect(vcpus!.body).toHaveLength(4);
        const basics = recordsOf(exportXenStream(image, { layer: "libxc" })).filter((r) => r.type === 4);
        expect(basics).toHaveLength(3);
        expect(section(image, "vcpu_extended").map((s) => s.body.context.length)).toEqual([128, 128, 128]);
        expect(section(image, "extended_info")[0]!.body).toMatchObject({ guestWidth: width, ptLevels: width === 8 ? 4 : 3 });
      });
    }
  }
});

describe("HVM streams from Xen's convert-legacy-stream", () => {
  const hvm = syntheticGuest("hvm-x86_64");
  const w = new ByteWriter({ littleEndian: true });
  encodeHvmContext(w, (hvm.sections.find((s) => s.type === "hvm_context") as KnownSection & { type: "hvm_context" }).body);
  const blob = w.finish();
  const qemu = (hvm.sections.find((s) => s.type === "device_model_state") as KnownSection & { type: "device_model_state" }).body.state;
  const legacy = legacyHvmStream({
    p2mSize: 1024,
    chunks: [
      legacyBatch([{ pfn: 0 }, { pfn: 1 }, { pfn: 0xfeff }]),
      legacyParam(-3, 0xfeffc000n), // identity page table
      legacyParam(-8, 0xfefffn), // console pfn
      legacyTsc(0, 99n, 2_000_000, 1),
      legacyPhysmap([{ physOffset: 0xf0000000n, start: 0xf0000000n, size: 0x800000n, name: "vga.vram" }]),
    ],
    magic: [0xfeff0n, 0xfeff1n, 0xfeff2n],
    hvmContext: blob,
    qemu,
  });

  it("libxc, HVM_PARAMS twice (the chunks' parameters, then the magic pfns): one section, merged as Xen applies them", () => {
    const stream = convertLegacyStream(legacy, { width: 64, guest: "hvm", format: "libxc", skipQemu: true });
    expect(typeSequence(stream)).toEqual(["10", "1", "8", "a", "a", "9", "0"]);
    expect(verifyStreamV2(stream, "libxc")).toEqual({ status: 0, stderr: "" });
    const image = roundTrip(stream, "libxc");
    const params = section(image, "hvm_params");
    expect(params).toHaveLength(1);
    expect(params[0]!.body.map((p) => [Number(p.index), p.value])).toEqual([
      [12, 0xfeffc000n],
      [17, 0xfefffn],
      [5, 0xfeff0n],
      [6, 0xfeff1n],
      [1, 0xfeff2n],
    ]);
  });

  it("libxl: QEMU's record and the physmap become the device model's sections (emulator id 0, unknown)", () => {
    const stream = convertLegacyStream(legacy, { width: 64, guest: "hvm", format: "libxl" });
    expect(typeSequence(stream)).toEqual(["l1", "10", "1", "8", "a", "a", "9", "0", "l2", "l3", "l0"]);
    const image = roundTrip(stream, "libxl");
    const [store] = section(image, "device_model_xenstore");
    expect(store!.body.emulatorId).toBe(0);
    expect(new TextDecoder().decode(store!.body.data).split("\0")).toEqual([
      "physmap/f0000000/start_addr",
      "f0000000",
      "physmap/f0000000/size",
      "800000",
      "physmap/f0000000/name",
      "vga.vram",
      "",
    ]);
    const [state] = section(image, "device_model_state");
    expect(state!.body).toEqual({ emulatorId: 0, index: 0, state: qemu });
  });
});
