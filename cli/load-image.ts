import { decodeImage, imageFormat, type Image, type ImageHeader, type KnownSection } from "../generated/index.js";
import { decodeStreamToImage } from "../runtime/index.js";
import { inFile } from "./errors.js";
import { HEAD, layoutOf, peekInput, readAll } from "./input-source.js";
import { displayName, type Io } from "./io.js";

/**
 * Reads a whole image, seekable or streamed (told apart by its header), from a file or standard
 * input. Errors carry the file's name for the one-line message.
 */
export async function loadImage(file: string, io: Io): Promise<Image> {
  const input = await peekInput(file, io, HEAD);
  try {
    if (layoutOf(input.head) === "streamed") return await decodeStreamToImage<ImageHeader, KnownSection>(imageFormat, input.chunks());
    return decodeImage(await readAll(input));
  } catch (e) {
    throw inFile(e, displayName(file));
  } finally {
    await input.close();
  }
}
