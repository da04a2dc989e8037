/**
 * Readers never write into the bytes they are given. A Node Buffer's slice() is a view, not a copy:
 * checksumming "a copy with the CRC field zeroed" made that way zeroed the caller's header and entry
 * CRCs, and the second decode of the same buffer then failed.
 */
import { describe, expect, it } from "vitest";
import { decodeImage, encodeImage, imageFormat } from "../../generated/index.js";
import { decodeStreamToImage, encodeStream } from "../../runtime/index.js";
import { syntheticPvGuest } from "../../synthetic/guest.js";

const image = syntheticPvGuest({ seed: 11, vcpus: 2, memoryBytes: 32 * 4096, batchPages: 16 });

async function streamed(): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const chunk of encodeStream(imageFormat, image.header, image.sections)) parts.push(chunk);
  return Buffer.concat(parts);
}

describe("decoding leaves its input as it was", () => {
  it("decodeImage of a Buffer, twice", () => {
    const input = Buffer.from(encodeImage(image));
    const before = Buffer.from(input);
    decodeImage(input);
    expect(input.equals(before)).toBe(true);
    expect(() => decodeImage(input)).not.toThrow();
  });

  it("the stream decoder over Buffer chunks", async () => {
    const input = await streamed();
    const before = Buffer.from(input);
    await decodeStreamToImage(imageFormat, [input.subarray(0, 1000), input.subarray(1000)]);
    expect(input.equals(before)).toBe(true);
  });
});
