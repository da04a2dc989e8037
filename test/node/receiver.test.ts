import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { imageFormat, type ImageHeader } from "../../generated/index.js";
import { TruncatedStreamError } from "../../runtime/index.js";
import { defaultImageName, MigrationReceiver, ReceiverClosedError, streamToImageFile, type MigrationResult, type ReceiverOptions } from "../../runtime/node/index.js";
import { guestStream, sameBytes } from "../streams/helpers.js";
import { listing, tempDir } from "./tmp.js";

const root = tempDir("receiver");
let dirs = 0;
/** A new empty directory for one receiver. */
function freshDir(): string {
  const dir = join(root, `r${++dirs}`);
  mkdirSync(dir);
  return dir;
}

/** Four small guests with different names; their streams and the seekable images they must become. */
const guests = await Promise.all(
  ["alpha", "bravo", "charlie", "delta"].map(async (name, i) => {
    const g = await guestStream({ seed: 10 + i, name, memoryBytes: 64 * 4096, batchPages: 16, vcpus: 2 });
    const reference = join(root, `${name}.reference.img`);
    await streamToImageFile(imageFormat, [g.bytes], reference, { sync: false });
    return { name, bytes: g.bytes, image: readFileSync(reference) };
  }),
);

async function startReceiver(options: Partial<ReceiverOptions<ImageHeader>> & { dir: string }) {
  const results: MigrationResult<ImageHeader>[] = [];
  const receiver = await MigrationReceiver.listen<ImageHeader>(imageFormat, { sync: false, ...options, onResult: (r) => results.push(r) });
  return { receiver, results };
}

function dial(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(port, "127.0.0.1", () => resolve(s));
    s.once("error", reject);
  });
}

function send(socket: Socket, bytes: Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => socket.write(bytes, (e) => (e ? reject(e) : resolve())));
}

const until = async (what: () => boolean) => {
  for (let i = 0; i < 2000 && !what(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(what()).toBe(true);
};

describe("MigrationReceiver", () => {
  it("receives several migrations at once, each into its own file; a sender that dies mid-stream leaves nothing and the others complete", async () => {
    const dir = freshDir();
    const { receiver, results } = await startReceiver({ dir, maxConcurrent: 3 });
    const port = receiver.address.port;
    const sockets = await Promise.all(guests.map(() => dial(port)));
    await until(() => receiver.receiving + receiver.queued === guests.length);
    // Interleave the four streams in 8 KiB pieces, so the migrations are under way at the same time.
    let mostAtOnce = 0;
    let mostQueued = 0;
    const dying = 2;
    const piece = 8192;
    for (let at = 0; guests.some((g) => at < g.bytes.length); at += piece) {
      for (const [i, g] of guests.entries()) {
        if (at >= g.bytes.length) continue;
        if (i === dying && at >= g.bytes.length / 2) {
          sockets[i]!.destroy(); // half-way through its stream: the sender dies
          continue;
        }
        await send(sockets[i]!, g.bytes.subarray(at, at + piece));
      }
      await new Promise((resolve) => setImmediate(resolve)); // let the receiver read this round
      mostAtOnce = Math.max(mostAtOnce, receiver.receiving);
      mostQueued = Math.max(mostQueued, receiver.queued);
    }
    for (const [i, s] of sockets.entries()) if (i !== dying) s.end();
    await until(() => results.length === 4);
    await receiver.close();

    expect(mostAtOnce).toBe(3);
    expect(mostQueued).toBeGreaterThanOrEqual(1);
    const failed = results.filter((r) => !r.ok);
    expect(failed).toHaveLength(1);
    expect(failed[0]!.ok === false && failed[0]!.error).toBeInstanceOf(TruncatedStreamError);
    const received = results.filter((r): r is Extract<MigrationResult<ImageHeader>, { ok: true }> => r.ok);
    expect(received.map((r) => r.header.name).sort()).toEqual(["alpha", "bravo", "delta"]);
    // Exactly the three images, no temporary left, each byte for byte what a file conversion gives.
    expect(listing(dir)).toEqual(received.map((r) => r.path.slice(dir.length + 1)).sort());
    for (const r of received) {
      const g = guests.find((x) => x.name === r.header.name)!;
      expect(r.streamBytes).toBe(g.bytes.length);
      expect(sameBytes(readFileSync(r.path), g.image), r.path).toBe(true);
      expect(r.path).toMatch(new RegExp(`/${g.name}-dom\\d+-\\d{8}T\\d{6}Z-${r.id}\\.img$`));
    }
  });

  it("close() fails the migrations under way and those waiting, leaves no file, and stops listening", async () => {
    const dir = freshDir();
    const { receiver, results } = await startReceiver({ dir, maxConcurrent: 1 });
    const port = receiver.address.port;
    const first = await dial(port);
    await send(first, guests[0]!.bytes.subarray(0, 100_000));
    const second = await dial(port);
    await until(() => receiver.receiving === 1 && receiver.queued === 1);
    await receiver.close();
    expect(results).toHaveLength(2);
    for (const r of results) expect(!r.ok && r.error).toBeInstanceOf(ReceiverClosedError);
    expect(listing(dir)).toEqual([]);
    await expect(dial(port)).rejects.toThrow(/ECONNREFUSED/);
    first.destroy();
    second.destroy();
  });

  it("close('drain') lets the migrations under way finish", async () => {
    const dir = freshDir();
    const { receiver, results } = await startReceiver({ dir });
    const socket = await dial(receiver.address.port);
    await send(socket, guests[1]!.bytes.subarray(0, 50_000));
    await until(() => receiver.receiving === 1);
    const closing = receiver.close("drain");
    await send(socket, guests[1]!.bytes.subarray(50_000));
    socket.end();
    await closing;
    expect(results.map((r) => r.ok)).toEqual([true]);
    expect(listing(dir)).toHaveLength(1);
  });

  it("fails a sender that goes quiet, after the idle timeout", async () => {
    const dir = freshDir();
    const { receiver, results } = await startReceiver({ dir, idleTimeoutMs: 100 });
    const socket = await dial(receiver.address.port);
    await send(socket, guests[0]!.bytes.subarray(0, 10_000));
    await until(() => results.length === 1);
    await receiver.close();
    const r = results[0]!;
    expect(r.ok).toBe(false);
    expect(String(!r.ok && r.error)).toMatch(/no data for 0\.1 s/);
    expect(listing(dir)).toEqual([]);
    socket.destroy();
  });

  it("never gives two migrations, or an existing file, the same name", async () => {
    const dir = freshDir();
    writeFileSync(join(dir, "same.img"), "taken");
    const { receiver, results } = await startReceiver({ dir, fileName: () => "same.img" });
    const sockets = await Promise.all([0, 1].map(() => dial(receiver.address.port)));
    // Both headers arrive before either migration ends, so both names are claimed at once.
    for (const [i, s] of sockets.entries()) await send(s, guests[i]!.bytes.subarray(0, 20_000));
    await until(() => receiver.receiving === 2);
    for (const [i, s] of sockets.entries()) await send(s, guests[i]!.bytes.subarray(20_000));
    for (const s of sockets) s.end();
    await until(() => results.length === 2);
    await receiver.close();
    expect(listing(dir)).toEqual(["same-2.img", "same-3.img", "same.img"]);
    expect(readFileSync(join(dir, "same.img"), "utf8")).toBe("taken");
  });

  it("names files after the guest, made safe for a file system", () => {
    const info = { id: 7, peer: "127.0.0.1:1", accepted: new Date(Date.UTC(2026, 11, 5, 4, 23, 1, 500)) };
    const header = (name: string) => ({ name, domainId: 12 }) as unknown as ImageHeader;
    expect(defaultImageName(header("web01"), info)).toBe("web01-dom12-20261205T042301Z-7.img");
    expect(defaultImageName(header("../../etc/passwd x"), info)).toBe("etc_passwd_x-dom12-20261205T042301Z-7.img");
    expect(defaultImageName(header(""), info)).toBe("image-dom12-20261205T042301Z-7.img");
  });
});
