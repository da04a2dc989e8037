import type { SampleImage } from "./hex-dump.js";

/**
 * Makes the sample images of the hex-dump page with our own encoders. The generated codecs and the
 * synthetic guests are imported lazily, only here, so compiling the schemas never depends on them:
 * when generated/ is stale or half-written, schema problems still print, and this step fails with a
 * message that says what to fix.
 */

/** The options of the first sample guest: one vcpu and two pages keep the dump short. */
const OPTIONS = { seed: 1, vcpus: 1, memoryBytes: 2 * 4096, batchPages: 2 } as const;

/** Thrown when the sample images cannot be made. */
export class SampleImageError extends Error {
  constructor(cause: unknown) {
    super(
      `docs: cannot make the sample images for the hex dump from generated/ and synthetic/ (${cause instanceof Error ? cause.message : String(cause)}); the schemas compiled, so fix the synthetic guest or the generated code and run npm run generate again (npm run generate -- --codecs-only writes the codecs alone meanwhile)`,
      { cause },
    );
    this.name = "SampleImageError";
  }
}

/** `{ seed: 1, vcpus: 1 }` as the recipes print options. */
function shown(options: object): string {
  return JSON.stringify(options).replace(/"/g, "").replace(/:/g, ": ").replace(/,/g, ", ").replace(/^\{/, "{ ").replace(/\}$/, " }");
}

/**
 * The samples, in the order of the page: a PV save file (seekable, little-endian), the same guest's
 * migration stream (streamed), an ARM guest's big-endian save file, an HVM guest's save file, and a
 * PV guest's core file.
 */
export async function buildSampleImages(): Promise<SampleImage[]> {
  try {
    const [{ encodeImage, imageFormat, ImageType, ByteOrder }, { encodeStream }, { syntheticCoreImage, syntheticGuest, syntheticPvGuest }] = await Promise.all([
      import("../../../generated/index.js"),
      import("../../../runtime/index.js"),
      import("../../../synthetic/guest.js"),
    ]);
    const header = `import { encodeImage, ImageType } from "xenimage";\nimport { syntheticCoreImage, syntheticGuest, syntheticPvGuest } from "./synthetic/guest.js";\n\n`;
    const migration = syntheticGuest("pv-x86_64", OPTIONS, ImageType.migration);
    const chunks: Uint8Array[] = [];
    for await (const c of encodeStream(imageFormat, migration.header, migration.sections)) chunks.push(c.slice());
    const stream = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
    chunks.reduce((at, c) => (stream.set(c, at), at + c.length), 0);
    const armOptions = { seed: 1, vcpus: 1, memoryBytes: 4096 };
    const arm = syntheticGuest("arm64", armOptions);
    const hvmOptions = { seed: 1, vcpus: 1, memoryBytes: 8 * 4096, batchPages: 8 };
    const coreOptions = { seed: 1, vcpus: 1, memoryBytes: 2 * 4096 };
    return [
      {
        id: "pv-save",
        title: "A PV guest's save file",
        about: "A 64-bit PV guest's save file: seekable, little-endian, with every section a PV save file holds.",
        layout: "seekable",
        bytes: encodeImage(syntheticPvGuest(OPTIONS)),
        recipe: `${header}const bytes = encodeImage(syntheticPvGuest(${shown(OPTIONS)}));`,
      },
      {
        id: "pv-migration-stream",
        title: "The same guest's migration stream",
        about: "The streamed layout: the header with the all-ones table offset, then each section's entry right before its body, zeros to a multiple of 8 after each, and the end entry last.",
        layout: "streamed",
        bytes: stream,
        recipe: `${header}import { encodeStream, imageFormat } from "xenimage";\n\nconst image = syntheticGuest("pv-x86_64", ${shown(OPTIONS)}, ImageType.migration);\nfor await (const chunk of encodeStream(imageFormat, image.header, image.sections)) send(chunk);`,
      },
      {
        id: "arm-big-endian",
        title: "An ARM guest's big-endian save file",
        about: "A big-endian image: the header, the table and the image's own fields most significant byte first; the vcpu context and the shared-info page stay little-endian, the bytes Xen hands out.",
        layout: "seekable",
        bytes: encodeImage({ header: { ...arm.header, byteOrder: ByteOrder.big }, sections: arm.sections }),
        recipe: `${header}const image = syntheticGuest("arm64", ${shown(armOptions)});\nconst bytes = encodeImage({ header: { ...image.header, byteOrder: ByteOrder.big }, sections: image.sections });`,
      },
      {
        id: "hvm-save",
        title: "An HVM guest's save file",
        about: "An x86 HVM guest's save file: its vcpus are in the HVM context's records, each a descriptor and a body.",
        layout: "seekable",
        bytes: encodeImage(syntheticGuest("hvm-x86_64", hvmOptions)),
        recipe: `${header}const bytes = encodeImage(syntheticGuest("hvm-x86_64", ${shown(hvmOptions)}));`,
      },
      {
        id: "pv-core",
        title: "A PV guest's core file",
        about: "A core image: the hypervisor's version, the vcpus as Xen reports them, the pages and the pfn_map that names each page-frame word's machine frame.",
        layout: "seekable",
        bytes: encodeImage(syntheticCoreImage("pv-x86_64", coreOptions)),
        recipe: `${header}const bytes = encodeImage(syntheticCoreImage("pv-x86_64", ${shown(coreOptions)}));`,
      },
    ];
  } catch (e) {
    throw new SampleImageError(e);
  }
}
