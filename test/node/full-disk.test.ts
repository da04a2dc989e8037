/**
 * Every library writer of a file onto a disk that fills up (a 1 MiB tmpfs, outputs of 4 MiB): each
 * rejects with a FileWriteError (ENOSPC, the destination named), and leaves neither a file under the
 * final name nor a temporary.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { encodeImage, ImageType, imageFormat, type ImageHeader, type KnownSection } from "../../generated/index.js";
import { writeDumpCoreFile } from "../../interop/dump-core/file.js";
import { MemorySink } from "../../runtime/index.js";
import {
  AtomicFile,
  FileWriteError,
  ImageWriter,
  liveTemporaries,
  streamToImageFile,
  streamToImageTarget,
  writeFileAtomic,
  writeImageFile,
} from "../../runtime/node/index.js";
import { syntheticCoreImage, syntheticGuest } from "../../synthetic/guest.js";
import { syntheticGuestStream } from "../../synthetic/stream.js";
import { rejection, streamBytes } from "../streams/helpers.js";
import { emptyDir, filesUnder, mountTmpfs } from "./tmpfs.js";

const dir = mountTmpfs("lib-full", "1m");
const save = syntheticGuest("pv-x86_64", { seed: 4, vcpus: 2 }, ImageType.save);
const saveBytes = encodeImage(save);
const core = syntheticCoreImage("pv-x86_64", { seed: 4, vcpus: 2 });

/** Chunks of `bytes` of 256 KiB, as a socket would hand them over. */
function* chunks(bytes: Uint8Array, size = 256 * 1024): Iterable<Uint8Array> {
  for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size);
}

const writers: Record<string, (dest: string, dir: string) => Promise<unknown>> = {
  writeFileAtomic: (dest) => writeFileAtomic(dest, saveBytes),
  "AtomicFile, appended in chunks": async (dest) => {
    const file = await AtomicFile.open(dest);
    for (const c of chunks(saveBytes)) await file.write(c);
    await file.commit();
  },
  "AtomicFile.writev": async (dest) => {
    const file = await AtomicFile.open(dest);
    await file.writev([...chunks(saveBytes, 4096)]);
    await file.commit();
  },
  writeImageFile: (dest) => writeImageFile(imageFormat, dest, save),
  "writeImageFile, sync: false": (dest) => writeImageFile(imageFormat, dest, save, { sync: false }),
  "ImageWriter from a lazy guest": async (dest) => {
    const guest = syntheticGuestStream({ seed: 4, memoryBytes: 4 << 20 });
    const writer = await ImageWriter.create<ImageHeader, KnownSection>(imageFormat, dest, guest.header);
    try {
      for await (const s of guest.sections) await writer.write(s);
      await writer.finish();
    } catch (e) {
      await writer.abort();
      throw e;
    }
  },
  streamToImageFile: async (dest) => streamToImageFile(imageFormat, chunks(await streamBytes(imageFormat, save.header, save.sections)), dest),
  "streamToImageTarget (its scratch file)": async (_, dir) =>
    streamToImageTarget(imageFormat, chunks(await streamBytes(imageFormat, save.header, save.sections)), new MemorySink(), { scratchDirectory: dir }),
  writeDumpCoreFile: (dest) => writeDumpCoreFile(core, dest),
};

describe("library writers on a full disk (1 MiB tmpfs)", () => {

  it.each(Object.entries(writers))("%s: a FileWriteError naming the file, nothing left", async (name, write) => {
    emptyDir(dir);
    const dest = name.startsWith("streamToImageTarget") ? join(dir, "xenimage-scratch.img") : join(dir, "out.img");
    const e = (await rejection(() => write(dest, dir))) as FileWriteError;
    expect(e).toBeInstanceOf(FileWriteError);
    expect(e.code).toBe("ENOSPC");
    expect(e.path).toBe(dest);
    expect(e.message).toBe(`${dest}: no space left on device (ENOSPC)`);
    expect(existsSync(dest)).toBe(false);
    expect(filesUnder(dir)).toEqual([]);
    expect(liveTemporaries()).toEqual([]);
  });

  it("an existing file is kept as it was, and the next write that fits replaces it whole", async () => {
    emptyDir(dir);
    const dest = join(dir, "guest.img");
    writeFileSync(dest, "the previous image");
    await expect(writeImageFile(imageFormat, dest, save)).rejects.toThrowError(FileWriteError);
    expect(readFileSync(dest, "utf8")).toBe("the previous image");
    const small = encodeImage(syntheticGuest("pv-x86_64", { seed: 4, vcpus: 1, memoryBytes: 16 * 4096 }, ImageType.save));
    await writeFileAtomic(dest, small);
    expect(readFileSync(dest).equals(small)).toBe(true);
    expect(filesUnder(dir)).toEqual(["guest.img"]);
  });
});
