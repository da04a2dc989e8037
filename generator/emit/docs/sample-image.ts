import type { SampleImage } from "./hex-dump.js";

/**
 * Makes the sample image of the hex-dump page with our own encoder. The generated codecs and the
 * synthetic guest are imported lazily, only here, so compiling the schemas never depends on them:
 * when generated/ is stale or half-written, schema problems still print, and this step fails with a
 * message that says what to fix.
 */

/** The options of the sample guest: one vcpu and two pages keep the dump short. */
const OPTIONS = { seed: 1, vcpus: 1, memoryBytes: 2 * 4096, batchPages: 2 } as const;

/** Thrown when the sample image cannot be made. */
export class SampleImageError extends Error {
  constructor(cause: unknown) {
    super(
      `docs: cannot make the sample image for the hex dump from generated/ and synthetic/ (${cause instanceof Error ? cause.message : String(cause)}); the schemas compiled, so fix the synthetic guest or the generated code and run npm run generate again (npm run generate -- --codecs-only writes the codecs alone meanwhile)`,
      { cause },
    );
    this.name = "SampleImageError";
  }
}

/** Encodes a small synthetic PV guest with the generated `encodeImage`. */
export async function buildSampleImage(): Promise<SampleImage> {
  try {
    const [{ encodeImage }, { syntheticPvGuest }] = await Promise.all([import("../../../generated/index.js"), import("../../../synthetic/guest.js")]);
    const bytes = encodeImage(syntheticPvGuest(OPTIONS));
    const recipe = [
      `import { encodeImage } from "xenimage";`,
      `import { syntheticPvGuest } from "./synthetic/guest.js";`,
      "",
      `const bytes = encodeImage(syntheticPvGuest(${JSON.stringify(OPTIONS).replace(/"/g, "").replace(/:/g, ": ").replace(/,/g, ", ").replace(/^\{/, "{ ").replace(/\}$/, " }")}));`,
    ].join("\n");
    return { bytes, recipe };
  } catch (e) {
    throw new SampleImageError(e);
  }
}
