import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { checkedArgs } from "../args.js";
import { encodeImage, ImageType } from "../../generated/index.js";
import { syntheticCoreImage, syntheticGuest } from "../../synthetic/guest.js";
import { EXIT } from "../errors.js";
import { writeFileAtomic } from "../../runtime/node/index.js";
import type { Io } from "../io.js";
import { inspect } from "./inspect.js";

/** `xenimage demo [--out DIR]`: sample images of every guest kind, written and inspected. */
export async function demo(args: string[], io: Io): Promise<number> {
  const { values } = parseArgs(checkedArgs("demo", { args, options: { out: { type: "string", default: "demo" } }, allowPositionals: false }));
  const dir = values.out!;
  await mkdir(dir, { recursive: true });
  const options = { seed: 1, vcpus: 2 };
  const samples = [
    { file: "pv-x86_64-save.img", image: syntheticGuest("pv-x86_64", { ...options, name: "demo-pv64" }, ImageType.save) },
    { file: "pv-x86_32-save.img", image: syntheticGuest("pv-x86_32", { ...options, name: "demo-pv32" }, ImageType.save) },
    { file: "hvm-x86_64-save.img", image: syntheticGuest("hvm-x86_64", { ...options, name: "demo-hvm64" }, ImageType.save) },
    { file: "arm64-save.img", image: syntheticGuest("arm64", { ...options, name: "demo-arm64" }, ImageType.save) },
    { file: "pv-x86_64-core.img", image: syntheticCoreImage("pv-x86_64", { ...options, name: "demo-pv64" }) },
  ];
  let code: number = EXIT.ok;
  for (const { file, image } of samples) {
    const path = join(dir, file);
    const bytes = encodeImage(image);
    await writeFileAtomic(path, bytes);
    io.out(`wrote ${path} (${bytes.length} bytes)\n`);
    code = Math.max(code, await inspect([path], io));
    io.out("");
  }
  return code;
}
