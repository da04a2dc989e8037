import { existsSync, mkdirSync } from "node:fs";
import { once } from "node:events";
import { createServer, connect, type AddressInfo, type Server, type Socket } from "node:net";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { imageFormat, ImageType, type ImageHeader, type ImageSection, type KnownSection } from "../../generated/index.js";
import { PageIndex } from "../../image/page-index.js";
import { StreamEncoder, TruncatedStreamError, writeStream } from "../../runtime/index.js";
import { openImageFile, streamToImageFile, type ConversionSummary } from "../../runtime/node/index.js";
import { syntheticGuestStream, syntheticPage } from "../../synthetic/stream.js";
import { canonical, labelOf, rejection, streamBytes, walkStream } from "../streams/helpers.js";
import { listing, tempDir } from "./tmp.js";

// Live migration over loopback TCP: the sender streams a synthetic guest as it produces it; the receiver
// turns the stream into a seekable save image as it arrives.

const dir = tempDir("migration");
const SEED = 31;
const MEMORY = 8 * 1024 * 1024;
const options = { seed: SEED, memoryBytes: MEMORY, batchPages: 256, checkpoints: 2 } as const;
let server: Server | undefined;

afterEach(async () => {
  if (server?.listening) await new Promise((resolve) => server!.close(resolve));
});

/** A receiver on 127.0.0.1 that converts the first connection's stream into `path`. */
async function receiver(path: string, onProgress?: (sections: number) => void): Promise<{ port: number; done: Promise<ConversionSummary<ImageHeader>> }> {
  server = createServer();
  const done = new Promise<ConversionSummary<ImageHeader>>((resolve, reject) => {
    server!.once("connection", (socket: Socket) => {
      streamToImageFile(imageFormat, socket, path, {
        mapHeader: (h) => ({ ...h, imageType: ImageType.save }),
        onProgress: (p) => onProgress?.(p.sections),
      }).then(resolve, reject);
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return { port: (server.address() as AddressInfo).port, done };
}

async function sender(port: number): Promise<{ socket: Socket; encoder: StreamEncoder<ImageHeader, KnownSection>; sections: AsyncGenerator<ImageSection>; total: number }> {
  const socket = connect(port, "127.0.0.1");
  await once(socket, "connect");
  const guest = syntheticGuestStream(options);
  return { socket, encoder: new StreamEncoder<ImageHeader, KnownSection>(imageFormat, guest.header, socket), sections: guest.sections, total: guest.sectionCount };
}

describe("live migration over TCP (127.0.0.1)", () => {
  it("streams a guest to a receiver that writes it as a seekable save image while it arrives", async () => {
    const sub = join(dir, "ok");
    const path = join(sub, "guest.img");
    mkdirSync(sub);
    let received = 0;
    let halfway!: () => void;
    const reachedHalf = new Promise<void>((resolve) => (halfway = resolve));
    const { port, done } = await receiver(path, (n) => {
      received = n;
      if (n >= 10) halfway();
    });
    const { socket, encoder, sections, total } = await sender(port);
    let sent = 0;
    for await (const section of sections) {
      await encoder.write(section);
      if (++sent === Math.floor(total / 2)) {
        // Pause the sender midway: the receiver has already put sections on disk, under a temporary name.
        await reachedHalf;
        expect(received).toBeGreaterThanOrEqual(10);
        expect(existsSync(path)).toBe(false);
        expect(listing(sub).filter((f) => f.endsWith(".tmp"))).toHaveLength(1);
      }
    }
    await encoder.end();
    const summary = await done;
    expect(socket.destroyed || socket.writableEnded).toBe(true);
    expect(summary.sections).toBe(total);
    expect(listing(sub)).toEqual(["guest.img"]);

    // The image on disk is the guest that was sent, as a save image.
    const image = await openImageFile<ImageHeader, KnownSection>(imageFormat, path);
    try {
      expect(image.header.imageType).toBe(ImageType.save);
      expect(image.header.memorySize).toBe(BigInt(MEMORY));
      const again = syntheticGuestStream(options);
      let i = 0;
      for await (const expected of again.sections) {
        expect(canonical(await image.section(i)), `section ${i}`).toEqual(canonical(expected));
        i++;
      }
      expect(i).toBe(image.sectionCount);
      const pages = await PageIndex.build(image);
      for (const pfn of [3, 300, 1500]) {
        const phase = pfn < 256 ? 2 : 0;
        expect(Buffer.from((await pages.page(pfn))!).equals(Buffer.from(syntheticPage(SEED, pfn, "random", phase)))).toBe(true);
      }
    } finally {
      await image.close();
    }
  });

  it("a connection cut mid-stream: the receiver names the last complete section and leaves no file", async () => {
    const sub = join(dir, "cut");
    const path = join(sub, "guest.img");
    mkdirSync(sub);
    const guest = syntheticGuestStream(options);
    const bytes = await streamBytes<ImageHeader, KnownSection>(imageFormat, guest.header, guest.sections);
    const entries = walkStream(bytes);
    const cutSection = entries.findIndex((e, i) => i > 8 && e.type === 0x40);
    const cut = entries[cutSection]!.bodyAt + 100_000;
    const { port, done } = await receiver(path);
    const socket = connect(port, "127.0.0.1");
    await once(socket, "connect");
    // The sender's host goes away in the middle of a page batch.
    await new Promise<void>((resolve, reject) => socket.write(bytes.subarray(0, cut), (e) => (e ? reject(e) : resolve())));
    socket.destroy();
    const e = (await rejection(() => done)) as TruncatedStreamError;
    expect(e).toBeInstanceOf(TruncatedStreamError);
    expect(e.lastComplete).toBe(labelOf(entries[cutSection - 1]!.type, cutSection - 1));
    expect(e.section).toBe(`page_data #${cutSection}`);
    expect(e.offset).toBe(cut);
    expect(e.message).toContain(`the last complete section is ${e.lastComplete}`);
    expect(listing(sub)).toEqual([]);
  });

  it("a sender whose guest fails mid-stream aborts the connection; the receiver keeps nothing", async () => {
    const sub = join(dir, "aborted");
    const path = join(sub, "guest.img");
    mkdirSync(sub);
    let got!: () => void;
    const gotSome = new Promise<void>((resolve) => (got = resolve));
    const { port, done } = await receiver(path, (n) => n >= 6 && got());
    const socket = connect(port, "127.0.0.1");
    await once(socket, "connect");
    const guest = syntheticGuestStream(options);
    async function* failing() {
      let n = 0;
      for await (const s of guest.sections) {
        yield s;
        if (++n === 8) {
          await gotSome;
          throw new Error("the guest's memory went away");
        }
      }
    }
    // The socket has no 'error' listener of the test's own: the encoder's abort must not crash the process.
    await expect(writeStream(imageFormat, guest.header, failing(), socket)).rejects.toThrowError(/memory went away/);
    const e = (await rejection(() => done)) as TruncatedStreamError;
    expect(e).toBeInstanceOf(TruncatedStreamError);
    expect(e.lastComplete).toMatch(/ #[5-7]$/);
    expect(listing(sub)).toEqual([]);
  });
});
