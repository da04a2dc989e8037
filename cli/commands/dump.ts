import { parseArgs } from "node:util";
import { EXIT } from "../errors.js";
import { writeFileAtomic } from "../../runtime/node/index.js";
import { imageToJson } from "../image-json.js";
import { onePositional, type Io } from "../io.js";
import { loadImage } from "../load-image.js";
import { routeInput, xenInputImage } from "../xen-input.js";

/** `xenimage dump FILE [--pages] [--section NAME…] [-o OUT]`: the whole image as JSON. */
export async function dump(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: { pages: { type: "boolean" }, section: { type: "string", multiple: true }, output: { type: "string", short: "o" }, json: { type: "boolean" } },
    allowPositionals: true,
  });
  const file = onePositional(positionals, "dump");
  const routed = await routeInput(file, io); // Xen's formats: the image they import to
  const image = "xen" in routed ? xenInputImage(routed.xen) : await loadImage(file, routed.io);
  const text = JSON.stringify(imageToJson(image, { pages: values.pages, ...(values.section ? { sections: values.section } : {}) }), null, 2);
  if (values.output === undefined || values.output === "-") io.out(text);
  else await writeFileAtomic(values.output, new TextEncoder().encode(text + "\n"));
  return EXIT.ok;
}
