import { open, type FileHandle } from "node:fs/promises";
import { joinParts, STREAMED } from "../runtime/index.js";
import { FileChunks } from "../runtime/node/index.js";
import type { Io } from "./io.js";

/** How many bytes tell a xenimage image's layout (its header). */
export const HEAD = 152;
const MAGIC = [0x7f, 0x58, 0x45, 0x4e, 0x49, 0x4d, 0x47, 0x00];

/**
 * A xenimage image's layout from its first bytes: `streamed` when the header's table offset is the
 * sentinel, `seekable` otherwise; undefined when the magic is not ours.
 */
export function layoutOf(head: Uint8Array): "seekable" | "streamed" | undefined {
  if (!MAGIC.every((b, i) => head[i] === b)) return undefined;
  if (head.length < 136) return "seekable"; // too short to tell: the seekable decoder says what is wrong
  const v = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const le = head[8] !== 2;
  const lo = v.getUint32(le ? 128 : 132, le);
  const hi = v.getUint32(le ? 132 : 128, le);
  return ((BigInt(hi) << 32n) | BigInt(lo)) === STREAMED ? "streamed" : "seekable";
}

/**
 * An input that may be a file or standard input, whose first bytes can be looked at (to tell which
 * format it is) without losing them: `chunks()` replays them, then goes on with the rest.
 */
export interface PeekedInput {
  /** At least `want` bytes from the start (fewer only when the input is shorter). */
  readonly head: Uint8Array;
  /** The whole input as chunks, the head included. */
  chunks(): AsyncIterable<Uint8Array>;
  /** The input's size when known (a file). */
  readonly size: number | undefined;
  /** The open file, for positional reads; undefined for standard input. Closed by {@link close}, or by whoever takes it over. */
  readonly handle: FileHandle | undefined;
  close(): Promise<void>;
}

/** Opens `file` (or standard input for `-`) and reads its first `want` bytes. */
export async function peekInput(file: string, io: Io, want: number): Promise<PeekedInput> {
  if (file !== "-") {
    let handle: FileHandle;
    try {
      handle = await open(file, "r");
    } catch (e) {
      throw Object.assign(e as object, { path: file });
    }
    const stat = await handle.stat();
    if (stat.isDirectory()) {
      await handle.close();
      throw Object.assign(new Error("is a directory"), { code: "EISDIR", syscall: "read", path: file });
    }
    const head = new Uint8Array(Math.min(want, stat.size));
    await handle.read(head, 0, head.length, 0);
    return { head, size: stat.size, handle, chunks: () => FileChunks.of(handle), close: () => handle.close() };
  }
  const iterator = io.stdin[Symbol.asyncIterator]();
  const taken: Uint8Array[] = [];
  let length = 0;
  while (length < want) {
    const next = await iterator.next();
    if (next.done) break;
    taken.push(next.value);
    length += next.value.length;
  }
  const joined = joinParts(taken, length);
  async function* replay(): AsyncIterable<Uint8Array> {
    yield* taken;
    for (;;) {
      const next = await iterator.next();
      if (next.done) return;
      yield next.value;
    }
  }
  return { head: joined.subarray(0, Math.min(want, length)), size: undefined, handle: undefined, chunks: replay, close: async () => undefined };
}

/** Collects a whole input into one buffer (for formats converted in memory). */
export async function readAll(input: PeekedInput): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const c of input.chunks()) parts.push(c);
  return joinParts(parts);
}
