/**
 * Every writer of the command onto a disk that fills up: a 1 MiB tmpfs, and outputs of 4 MiB and
 * more. None may exit 0, leave a file under the final name, or leave a temporary; each says, in one
 * line, which file could not be written and why.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { decodeImage, encodeImage, ImageType, imageFormat } from "../../generated/index.js";
import { exportDumpCore } from "../../interop/dump-core/index.js";
import { exportXenStream } from "../../interop/xen-stream/index.js";
import { imageToJson } from "../../cli/image-json.js";
import { syntheticCoreImage, syntheticGuest } from "../../synthetic/guest.js";
import { streamBytes } from "../streams/helpers.js";
import { tempDir } from "../node/tmp.js";
import { emptyDir, filesUnder, mountTmpfs } from "../node/tmpfs.js";

const BIN = join(process.cwd(), "dist/cli/main.js");

function run(args: string[], env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: "buffer", timeout: 120_000, env: { ...process.env, ...env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr.toString() };
}

const dir = mountTmpfs("full", "1m");
const inputs = tempDir("full-inputs");
const input = (name: string) => join(inputs, name);

beforeAll(async () => {
  expect(existsSync(BIN), "build first: npm run build").toBe(true);
  const save = syntheticGuest("pv-x86_64", { seed: 3, vcpus: 2, name: "full-disk" }, ImageType.save);
  const core = syntheticCoreImage("pv-x86_64", { seed: 3, vcpus: 2, name: "full-disk" });
  const saveBytes = encodeImage(save);
  writeFileSync(input("save.img"), saveBytes);
  writeFileSync(input("core.img"), encodeImage(core));
  writeFileSync(input("save.stream"), await streamBytes(imageFormat, save.header, save.sections));
  for (const layer of ["libxc", "libxl", "xl"] as const) writeFileSync(input(`save.${layer}`), exportXenStream(save, { layer }));
  writeFileSync(input("core.elf"), exportDumpCore(core));
  writeFileSync(input("save.json"), JSON.stringify(imageToJson(decodeImage(saveBytes), { pages: true }), null, 2));
  const pages = run(["pages", input("save.img"), "-o", input("pages")]);
  expect(pages.code, pages.stderr).toBe(0);
  // Every output below must be far larger than the disk.
  for (const name of ["save.img", "core.img", "save.stream", "save.libxc", "save.libxl", "save.xl", "core.elf", "save.json"]) {
    expect(readFileSync(input(name)).length, name).toBeGreaterThan(2 << 20);
  }
}, 120_000);

const ENOSPC = "no space left on device (ENOSPC)";

/** One writer: its arguments given the tmpfs, and the file it fails to write. */
interface Case {
  readonly args: (dir: string) => string[];
  readonly dest: (dir: string) => string;
  readonly env?: (dir: string) => NodeJS.ProcessEnv;
}

const single: Record<string, Case> = {
  "convert → seekable (from a stream)": { args: (d) => ["convert", input("save.stream"), join(d, "out.img")], dest: (d) => join(d, "out.img") },
  "convert → streamed": { args: (d) => ["convert", input("save.img"), join(d, "out.stream"), "--to", "streamed"], dest: (d) => join(d, "out.stream") },
  "convert → xen-libxc": { args: (d) => ["convert", input("save.img"), join(d, "out.libxc"), "--to", "xen-libxc"], dest: (d) => join(d, "out.libxc") },
  "convert → xen-libxl": { args: (d) => ["convert", input("save.img"), join(d, "out.libxl"), "--to", "xen-libxl"], dest: (d) => join(d, "out.libxl") },
  "convert → xen-xl": { args: (d) => ["convert", input("save.img"), join(d, "out.xl"), "--to", "xen-xl"], dest: (d) => join(d, "out.xl") },
  "convert → dump-core": { args: (d) => ["convert", input("core.img"), join(d, "out.elf"), "--to", "dump-core"], dest: (d) => join(d, "out.elf") },
  "convert xen-libxc → seekable": { args: (d) => ["convert", input("save.libxc"), join(d, "out.img")], dest: (d) => join(d, "out.img") },
  "convert xen-libxl → seekable": { args: (d) => ["convert", input("save.libxl"), join(d, "out.img")], dest: (d) => join(d, "out.img") },
  "convert xen-xl → seekable": { args: (d) => ["convert", input("save.xl"), join(d, "out.img")], dest: (d) => join(d, "out.img") },
  "convert xen-libxc → streamed": { args: (d) => ["convert", input("save.libxc"), join(d, "out.stream"), "--to", "streamed"], dest: (d) => join(d, "out.stream") },
  "convert dump-core → seekable": { args: (d) => ["convert", input("core.elf"), join(d, "out.img")], dest: (d) => join(d, "out.img") },
  "convert a stream → seekable on stdout (scratch file in TMPDIR)": {
    args: () => ["convert", input("save.stream"), "-", "--to", "seekable"],
    dest: (d) => join(d, "xenimage-scratch.img"),
    env: (d) => ({ TMPDIR: d }),
  },
  "build -o": { args: (d) => ["build", input("save.json"), "-o", join(d, "out.img")], dest: (d) => join(d, "out.img") },
  "dump --pages -o": { args: (d) => ["dump", "--pages", input("save.img"), "-o", join(d, "out.json")], dest: (d) => join(d, "out.json") },
  "demo --out": { args: (d) => ["demo", "--out", join(d, "demo")], dest: (d) => join(d, "demo", "pv-x86_64-save.img") },
};

describe("writers on a full disk (1 MiB tmpfs)", () => {

  it.each(Object.entries(single))("%s: exit 3, one line naming the file, nothing left", (_, c) => {
    emptyDir(dir);
    const r = run(c.args(dir), c.env?.(dir));
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toBe(`xenimage: ${c.dest(dir)}: ${ENOSPC}\n`);
    expect(r.stdout.length).toBe(0);
    expect(existsSync(c.dest(dir))).toBe(false);
    // demo makes its output directory; nothing may be in it.
    expect(filesUnder(dir)).toEqual([]);
  });

  it("pages -o: exit 3 naming the page that did not fit; every page written is whole, no temporary", () => {
    emptyDir(dir);
    const out = join(dir, "pages");
    const r = run(["pages", input("save.img"), "-o", out]);
    expect(r.code, r.stderr).toBe(3);
    const failed = /^xenimage: (.*\/pfn-[0-9a-f]{8}\.page): no space left on device \(ENOSPC\)\n$/.exec(r.stderr);
    expect(failed, r.stderr).not.toBeNull();
    expect(existsSync(failed![1]!)).toBe(false);
    const written = readdirSync(out);
    // Some pages fit before the disk filled up (each is renamed into place whole), not all of them.
    expect(written.length).toBeGreaterThan(0);
    expect(written.length).toBeLessThan(readdirSync(input("pages")).length);
    for (const name of written) {
      expect(name).toMatch(/^pfn-[0-9a-f]{8}\.page$/);
      expect(readFileSync(join(out, name)).equals(readFileSync(join(input("pages"), name))), name).toBe(true);
    }
  });

  it("a file already under the final name is left as it was", () => {
    emptyDir(dir);
    const dest = join(dir, "guest.libxc");
    writeFileSync(dest, "the previous export");
    const r = run(["convert", input("save.img"), dest, "--to", "xen-libxc"]);
    expect(r.code).toBe(3);
    expect(r.stderr).toBe(`xenimage: ${dest}: ${ENOSPC}\n`);
    expect(readFileSync(dest, "utf8")).toBe("the previous export");
    expect(filesUnder(dir)).toEqual(["guest.libxc"]);
  });
});

describe("writers over the file-size limit (ulimit -f: EFBIG after a short write)", () => {
  const dir = tempDir("efbig");
  it.each([
    ["convert → xen-libxl", (out: string) => ["convert", input("save.img"), out, "--to", "xen-libxl"]],
    ["convert → seekable (from a stream)", (out: string) => ["convert", input("save.stream"), out]],
    ["dump --pages -o", (out: string) => ["dump", "--pages", input("save.img"), "-o", out]],
  ])("%s: exit 3 naming the file, nothing left", (_, args) => {
    const sub = join(dir, String(readdirSync(dir).length));
    mkdirSync(sub);
    const out = join(sub, "out");
    // 1024 blocks of 1 KiB: the first write of the output is cut short, the next fails with EFBIG
    // (Node ignores SIGXFSZ, so the process is told rather than killed).
    const quoted = [process.execPath, BIN, ...args(out)].map((a) => `'${a}'`).join(" ");
    const r = spawnSync("bash", ["-c", `ulimit -f 1024 && exec ${quoted}`], { encoding: "utf8", timeout: 120_000 });
    expect(r.status, r.stderr).toBe(3);
    expect(r.stderr).toBe(`xenimage: ${out}: file too large (EFBIG)\n`);
    expect(readdirSync(sub)).toEqual([]);
  });
});
