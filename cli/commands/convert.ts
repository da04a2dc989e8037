import { parseArgs } from "node:util";
import { checkedArgs } from "../args.js";
import { decodeImage, encodeImage, imageFormat, type Image, type ImageHeader, type ImageInit, type KnownSection } from "../../generated/index.js";
import { exportDumpCore, importDumpCore } from "../../interop/dump-core/index.js";
import { detectXenStream, exportXenStream, importXenStream, legacyHint } from "../../interop/xen-stream/index.js";
import { DecodeError, decodeStreamToImage, writeStream, type ByteSink } from "../../runtime/index.js";
import { imageFileToStream, streamToImageFile, streamToImageTarget } from "../../runtime/node/index.js";
import { EXIT, inFile, UsageError } from "../errors.js";
import { HEAD, layoutOf, peekInput, readAll, type PeekedInput } from "../input-source.js";
import { displayName, type Io } from "../io.js";
import { outputSink, writeOutput } from "../output-target.js";
import { progress } from "../progress.js";

/** The layouts and formats `convert` reads and writes. */
const TARGETS = ["seekable", "streamed", "xen-libxc", "xen-libxl", "xen-xl", "dump-core"] as const;
type Target = (typeof TARGETS)[number];
type InputKind = "seekable" | "streamed" | "xen" | "dump-core";

const ELF = [0x7f, 0x45, 0x4c, 0x46];

/** Which format the input is, from its first bytes. */
function kindOf(head: Uint8Array): InputKind | undefined {
  const layout = layoutOf(head);
  if (layout !== undefined) return layout;
  if (ELF.every((b, i) => head[i] === b)) return "dump-core";
  if (detectXenStream(head) !== undefined) return "xen";
  return undefined;
}

/** The whole image in memory, from any input kind. */
async function loadImage(kind: InputKind, input: PeekedInput): Promise<Image | ImageInit> {
  if (kind === "streamed") return decodeStreamToImage<ImageHeader, KnownSection>(imageFormat, input.chunks());
  const bytes = await readAll(input);
  if (kind === "seekable") return decodeImage(bytes);
  if (kind === "dump-core") return importDumpCore(bytes);
  return importXenStream(bytes);
}

/** How to write a Xen stream (`--xen-version`, `--xenimage-record`). */
interface XenOptions {
  readonly version: 2 | 3 | undefined;
  readonly xenimageRecord: boolean;
}

/**
 * `xenimage convert IN OUT [--to FORMAT] [--xen-version 2|3] [--xenimage-record]`: between the seekable and
 * streamed layouts without decoding (a migration stream piped in becomes a save file as it arrives), and
 * from or to Xen's formats. A Xen stream is written as Xen's saver writes it (libxc stream version 3, or
 * 2 with `--xen-version 2`); `--xenimage-record` adds our XENIMAGE record so that converting back gives
 * the image exactly, which makes a libxc or libxl stream fail Xen's verify-stream-v2.
 */
export async function convert(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs(checkedArgs("convert", {
    args,
    options: { to: { type: "string" }, "xen-version": { type: "string" }, "xenimage-record": { type: "boolean" } },
    allowPositionals: true,
  }));
  if (positionals.length !== 2) throw new UsageError("convert takes IN and OUT (either may be -)");
  const [inPath, outPath] = positionals as [string, string];
  const to = values.to as Target | undefined;
  if (to !== undefined && !TARGETS.includes(to)) throw new UsageError(`--to takes ${TARGETS.join(", ")}; not "${to}"`);
  const xenVersion = values["xen-version"];
  if (xenVersion !== undefined && xenVersion !== "2" && xenVersion !== "3") throw new UsageError(`--xen-version takes 2 or 3; not "${xenVersion}"`);
  const toXen = to?.startsWith("xen-") === true;
  if (!toXen && (xenVersion !== undefined || values["xenimage-record"] === true)) throw new UsageError("--xen-version and --xenimage-record go with --to xen-libxc, xen-libxl or xen-xl");
  const xen: XenOptions = { version: xenVersion === undefined ? undefined : (Number(xenVersion) as 2 | 3), xenimageRecord: values["xenimage-record"] === true };
  const name = displayName(inPath);
  const input = await peekInput(inPath, io, HEAD);
  try {
    const kind = kindOf(input.head);
    if (kind === undefined) {
      const legacy = legacyHint(input.head);
      throw inFile(new DecodeError(legacy === undefined ? "unknown-format" : "unsupported", legacy ?? "not a xenimage image, a Xen migration stream, an xl save file or a Xen dump-core file", { offset: 0 }), name);
    }
    const target: Target = to ?? (kind === "seekable" ? "streamed" : "seekable");
    if (target === kind) throw new UsageError(`${name} is already ${kind}`);
    try {
      await run(kind, target, input, inPath, outPath, io, xen);
    } catch (e) {
      throw inFile(e, name);
    }
    return EXIT.ok;
  } finally {
    await input.close();
  }
}

async function run(kind: InputKind, target: Target, input: PeekedInput, inPath: string, outPath: string, io: Io, xen: XenOptions): Promise<void> {
  // Our two layouts convert into each other without decoding a body, and without holding the image.
  if (kind === "streamed" && target === "seekable") {
    const bar = progress(io.interactive, "converting", input.size ?? 0);
    const options = { onProgress: (p: { streamBytes: number }) => bar.update(p.streamBytes) };
    try {
      // To a pipe, the image is laid out in a scratch file first: its table comes last.
      if (outPath === "-") await streamToImageTarget(imageFormat, input.chunks(), await outputSink("-", io), options);
      else await streamToImageFile(imageFormat, input.chunks(), outPath, options);
    } finally {
      bar.stop();
    }
    return;
  }
  if (kind === "seekable" && target === "streamed" && inPath !== "-") {
    await toOutput(outPath, io, (sink) => imageFileToStream(imageFormat, inPath, sink));
    return;
  }
  const image = await loadImage(kind, input);
  switch (target) {
    case "seekable":
      await writeOutput(outPath, encodeImage(image as ImageInit), io);
      return;
    case "streamed":
      await toOutput(outPath, io, (sink) => writeStream(imageFormat, (image as ImageInit).header, image.sections, sink));
      return;
    case "dump-core":
      await writeOutput(outPath, exportDumpCore(image as ImageInit), io);
      return;
    default:
      await writeOutput(
        outPath,
        exportXenStream(image, {
          layer: target.slice(4) as "libxc" | "libxl" | "xl",
          ...(xen.version === undefined ? {} : { version: xen.version }),
          xenimageRecord: xen.xenimageRecord ? "auto" : "never",
        }),
        io,
      );
  }
}

/** Runs `write` into the output sink of `outPath`, aborting the sink (removing its temporary) if anything fails. */
async function toOutput(outPath: string, io: Io, write: (sink: ByteSink) => Promise<void>): Promise<void> {
  const sink = await outputSink(outPath, io);
  try {
    await write(sink);
  } catch (e) {
    await sink.abort(e);
    throw e;
  }
}
