import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { pascal } from "../../generator/emit/names.js";
import type { ModuleDecl, StructDecl } from "../../generator/model/model.js";
import { compileLibrary, compileSchemas, libraryDirs } from "../../generator/pipeline.js";
import { ByteReader, ByteWriter } from "../../runtime/index.js";
import { structArbitrary } from "./arbitraries.js";

// Every fixed-size struct of every schema (the format and the libraries) has a lazy view. Its getters
// must give what the decoder gives, and creating one must fail exactly when decoding fails, with the
// same error: a view is the decoder with the building left for later.

const { model } = compileSchemas("schema");
if (model === undefined) throw new Error("schema/ does not compile");
const libraries = libraryDirs("schema").map((dir) => {
  const { library } = compileLibrary(`schema/${dir}`);
  if (library === undefined) throw new Error(`schema/${dir} does not compile`);
  return { dir: `${dir}/`, modules: library.modules };
});

type Codec = {
  decode(r: ByteReader): unknown;
  encode(w: ByteWriter, v: unknown): void;
  view(r: ByteReader): { toObject(): unknown };
};

const generated = new Map<string, Record<string, unknown>>();
async function codecOf(dir: string, module: ModuleDecl, struct: StructDecl): Promise<Codec> {
  const path = `../../generated/${dir}${module.name}.js`;
  if (!generated.has(path)) generated.set(path, (await import(path)) as Record<string, unknown>);
  const m = generated.get(path)!;
  const name = pascal(struct.name);
  return { decode: m[`decode${name}`], encode: m[`encode${name}`], view: m[`view${name}`] } as Codec;
}

/** A view read through its getters into the shape of `like` (the decoded value). */
function read(view: unknown, like: unknown): unknown {
  if (Array.isArray(like)) return (view as unknown[]).map((v, i) => read(v, like[i]));
  if (like !== null && typeof like === "object" && !ArrayBuffer.isView(like)) {
    return Object.fromEntries(Object.keys(like).map((k) => [k, read((view as Record<string, unknown>)[k], (like as Record<string, unknown>)[k])]));
  }
  return view;
}

/** What `f` returns, or the message it throws. */
function outcome(f: () => unknown): { value: unknown } | { error: string } {
  try {
    return { value: f() };
  } catch (e) {
    return { error: (e as Error).message };
  }
}

const cases = [{ dir: "", modules: model.modules }, ...libraries].flatMap(({ dir, modules }) =>
  modules.flatMap((module) =>
    module.decls.filter((d): d is StructDecl => d.kind === "struct" && d.positional).map((struct) => [`${dir}${module.name}: ${struct.name}`, dir, module, struct] as const),
  ),
);

describe("lazy views of fixed-size structs", () => {
  it("cover the fixed structs of every schema", () => {
    expect(cases.map(([name]) => name)).toEqual(expect.arrayContaining(["arch_x86_64: vcpu_guest_context_x86_64", "x86: cpuid_leaf", "hvm_records: hvm_hw_cpu"]));
    expect(cases.length).toBeGreaterThan(40);
  });

  it.each(cases)("%s: getters read what the decoder decodes, and a view encodes to the same bytes", async (_, dir, module, struct) => {
    const codec = await codecOf(dir, module, struct);
    fc.assert(
      fc.property(structArbitrary(struct), fc.boolean(), (value, littleEndian) => {
        const w = new ByteWriter({ littleEndian });
        codec.encode(w, value);
        const bytes = w.finish().slice();
        const decoded = codec.decode(new ByteReader(bytes, { littleEndian }));
        const view = codec.view(new ByteReader(bytes, { littleEndian }));
        expect(read(view, decoded)).toEqual(decoded);
        expect(view.toObject()).toEqual(decoded);
        const again = new ByteWriter({ littleEndian });
        codec.encode(again, view);
        expect(Buffer.from(again.finish()).equals(Buffer.from(bytes))).toBe(true);
      }),
      { numRuns: 25 },
    );
  });

  it.each(cases)("%s: a view fails exactly where and how the decoder fails", async (_, dir, module, struct) => {
    const codec = await codecOf(dir, module, struct);
    const size = struct.size!;
    fc.assert(
      fc.property(
        structArbitrary(struct),
        fc.array(fc.tuple(fc.nat(size - 1), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 3 }),
        fc.nat(size),
        (value, flips, cut) => {
          const w = new ByteWriter();
          codec.encode(w, value);
          const bytes = w.finish().slice();
          for (const [at, bits] of flips) bytes[at]! ^= bits;
          for (const input of [bytes, bytes.subarray(0, cut)]) {
            const decoded = outcome(() => codec.decode(new ByteReader(input)));
            const viewed = outcome(() => codec.view(new ByteReader(input)));
            if ("error" in decoded) expect(viewed).toEqual(decoded);
            else expect("value" in viewed && read(viewed.value, decoded.value)).toEqual(decoded.value);
          }
        },
      ),
      { numRuns: 40 },
    );
  });
});
