import { imageFormat, type ImageHeader, type KnownSection } from "../generated/index.js";
import { decodeStream, memorySource, openImage, type ImageReader, type StreamDecoder } from "../runtime/index.js";
import { openImageFile } from "../runtime/node/index.js";
import { inFile } from "./errors.js";
import { HEAD, layoutOf, peekInput, type PeekedInput } from "./input-source.js";
import { displayName, type Io } from "./io.js";
import { Spool } from "./spool.js";

/**
 * An input opened to be read lazily, whatever its size: a seekable image (the header and table read,
 * each section when asked for) or a streamed one (the header read, then one section at a time).
 */
export type OpenedInput =
  | { readonly kind: "seekable"; readonly image: ImageReader<ImageHeader, KnownSection> }
  | { readonly kind: "streamed"; readonly stream: StreamDecoder<ImageHeader, KnownSection> };

/** An opened input and how to release it. */
interface Opened {
  readonly input: OpenedInput;
  close(): Promise<void>;
}

/**
 * Decides what an input is from its first bytes and opens it for lazy reading: the one place that
 * does, so every command reads inputs alike. A streamed image goes through the stream decoder. A
 * seekable file is read in place; a seekable image on standard input is first copied to a temporary
 * file (its table comes last, so nothing can be checked before the end), which keeps memory bounded.
 * Bytes that are no image of ours are handed to the seekable reader, whose header check says why.
 */
async function openPeeked(peeked: PeekedInput): Promise<Opened> {
  const layout = layoutOf(peeked.head);
  if (layout === "streamed") {
    const stream = await decodeStream<ImageHeader, KnownSection>(imageFormat, peeked.chunks());
    const close = async () => {
      await stream.cancel();
      await peeked.close();
    };
    return { input: { kind: "streamed", stream }, close };
  }
  if (peeked.handle !== undefined) {
    const image = await openImageFile<ImageHeader, KnownSection>(imageFormat, peeked.handle);
    return { input: { kind: "seekable", image }, close: () => image.close() };
  }
  // Not ours at all: the header check names what is wrong without reading the rest of the input.
  if (layout === undefined) await openImage(imageFormat, memorySource(peeked.head));
  const spool = await Spool.create();
  try {
    for await (const chunk of peeked.chunks()) await spool.write(chunk);
    const image = await openImageFile<ImageHeader, KnownSection>(imageFormat, {
      read: (buffer, offset, length, position) => spool.handle.read(buffer, offset, length, position),
      stat: async () => ({ size: spool.size }),
      close: () => spool.close(),
    });
    return { input: { kind: "seekable", image }, close: () => image.close() };
  } catch (e) {
    await spool.close().catch(() => undefined);
    throw e;
  }
}

/**
 * Opens `file` (standard input for `-`), runs `use` on it and closes it. Every error carries the
 * file's name for the one-line message.
 */
export async function withInput<T>(file: string, io: Io, use: (input: OpenedInput) => Promise<T>): Promise<T> {
  const peeked = await peekInput(file, io, HEAD);
  let close = () => peeked.close();
  try {
    const opened = await openPeeked(peeked);
    close = () => opened.close();
    return await use(opened.input);
  } catch (e) {
    throw inFile(e, displayName(file));
  } finally {
    await close();
  }
}
