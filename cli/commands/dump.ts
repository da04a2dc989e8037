import { parseArgs } from "node:util";
import { checkedArgs, checkSectionNames } from "../args.js";
import type { ImageHeader, KnownSection } from "../../generated/index.js";
import type { UnknownSection } from "../../runtime/index.js";
import { EXIT } from "../errors.js";
import { dumpHead, dumpsSection, imageToJson, sectionToJson, type DumpOptions } from "../image-json.js";
import { onePositional, type Io } from "../io.js";
import { JsonArrayText } from "../json-array.js";
import { withInput, type OpenedInput } from "../open-input.js";
import { outputSink } from "../output-target.js";
import { DeferredText } from "../spool.js";
import { TextOutput } from "../text-output.js";
import { routeInput, xenInputImage } from "../xen-input.js";

/**
 * `xenimage dump FILE [--pages] [--section NAME…] [-o OUT]`: the whole image as JSON, written a
 * section at a time as the sections are read (the text is what `JSON.stringify(dump, null, 2)` gives),
 * so memory holds one section whatever the image's size. `-o FILE` appears only complete; on standard
 * output a failure mid-way leaves the JSON unterminated (and the exit code says so).
 */
export async function dump(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs(checkedArgs("dump", {
    args,
    options: { pages: { type: "boolean" }, section: { type: "string", multiple: true }, output: { type: "string", short: "o" }, json: { type: "boolean" } },
    allowPositionals: true,
  }));
  const file = onePositional(positionals, "dump");
  checkSectionNames("dump", values.section);
  const options: DumpOptions = { pages: values.pages ?? false, ...(values.section ? { sections: values.section } : {}) };
  const write = async (body: (write: Write) => Promise<void>) => {
    const out = new TextOutput(await outputSink(values.output ?? "-", io));
    try {
      await body((text) => out.write(text));
      await out.write("\n");
      await out.close();
    } catch (e) {
      await out.abort(e);
      throw e;
    }
  };
  const routed = await routeInput(file, io);
  // Xen's formats: the image they import to (read whole, as the importers work in memory).
  if ("xen" in routed) await write((w) => w(JSON.stringify(imageToJson(xenInputImage(routed.xen), options), null, 2)));
  else await withInput(file, routed.io, (input) => write((w) => writeDump(input, options, w)));
  return EXIT.ok;
}

type Write = (text: string | Uint8Array) => Promise<void>;

/** Stands in for a page_data section's pages in its JSON, so the pages can be written one by one. */
const PAGES_MARK = JSON.stringify("\u0000pages\u0000");

/**
 * The text of one section as an element of `json`. The pages of a page_data section (4 MiB of them in
 * a Xen batch, a third more in base64) are written one at a time into the text around them, not built
 * into one string first: the same text, without a copy of every page held several times over.
 */
async function writeSection(json: JsonArrayText, section: KnownSection | UnknownSection, header: ImageHeader, options: DumpOptions, write: Write): Promise<void> {
  if (section.type !== "page_data" || options.pages !== true || section.body.pages.length === 0) {
    await write(json.element(sectionToJson(section, header, options.pages ?? false)));
    return;
  }
  const value = sectionToJson(section, header, false) as { body: { pages: unknown } };
  value.body.pages = [JSON.parse(PAGES_MARK) as string];
  const text = json.element(value);
  const at = text.indexOf(PAGES_MARK);
  const before = text.slice(0, at);
  const indent = before.slice(before.lastIndexOf("\n") + 1);
  await write(before);
  const pages = section.body.pages;
  for (let i = 0; i < pages.length; i++) {
    const page = pages[i]!;
    await write(`${i === 0 ? "" : `,\n${indent}`}"${Buffer.from(page.buffer, page.byteOffset, page.byteLength).toString("base64")}"`);
  }
  await write(text.slice(at + PAGES_MARK.length));
}

/** Writes the JSON of an opened input, a section at a time. */
async function writeDump(input: OpenedInput, options: DumpOptions, write: Write): Promise<void> {
  if (input.kind === "seekable") {
    const { image } = input;
    const json = JsonArrayText.lastMemberOf(dumpHead(image.header, { ...options, hasPageData: image.indicesOf("page_data").length > 0 }), "sections");
    await write(json.opening);
    // Each section is written before the next is read, so its bytes may live in reused buffers.
    for await (const s of image.sections({ transient: true })) if (dumpsSection(s.type, options)) await writeSection(json, s, image.header, options, write);
    await write(json.end());
    return;
  }
  await writeStreamDump(input.stream.header, input.stream.sections(), options, write);
}

/**
 * A stream's dump. Without `--pages` the head says whether page contents were left out, which a
 * stream tells only when its first page_data section arrives (or it ends without one): the sections
 * before that wait (in memory, or in a temporary file when they are large).
 */
async function writeStreamDump(header: ImageHeader, sections: AsyncIterable<KnownSection | UnknownSection>, options: DumpOptions, write: Write): Promise<void> {
  // The elements' text does not depend on the head, so elements can be made before the head is known.
  const elements = JsonArrayText.lastMemberOf({}, "sections");
  let waiting: DeferredText | undefined;
  const start = async (hasPageData: boolean) => {
    await write(JsonArrayText.lastMemberOf(dumpHead(header, { ...options, hasPageData }), "sections").opening);
    await waiting?.flush(write);
    waiting = undefined;
  };
  if (options.pages === true) await start(true);
  else waiting = new DeferredText();
  try {
    for await (const s of sections) {
      if (waiting !== undefined && s.type === "page_data") await start(true);
      if (!dumpsSection(s.type, options)) continue;
      const to = waiting;
      await writeSection(elements, s, header, options, to === undefined ? write : async (text) => to.add(text as string));
    }
    if (waiting !== undefined) await start(false);
    await write(elements.end());
  } finally {
    await waiting?.discard();
  }
}
