import { readFileSync } from "node:fs";
import ts from "typescript";
import { describe, expect, it } from "vitest";

// The public API is a list: every name an entry point exports is pinned here, so that adding one is a
// deliberate act (a line in the entry point and a line here), and internals cannot leak in unnoticed.

/** Every name a module exports (values and types), as TypeScript sees it. */
function exportedNames(file: string): string[] {
  const program = ts.createProgram([file], { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2022, strict: true, skipLibCheck: true, noEmit: true });
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(file)!;
  const symbol = checker.getSymbolAtLocation(source)!;
  return checker.getExportsOfModule(symbol).map((s) => s.name).sort();
}

const MAIN = [
  "Arch",
  "BlobLike",
  "ByteOrder",
  "ByteReader",
  "ByteReaderOptions",
  "ByteSink",
  "ByteSource",
  "ByteTarget",
  "ByteWriter",
  "ByteWriterOptions",
  "DECODE_ERROR_CODES",
  "DecodeError",
  "DecodeErrorCode",
  "ENCODE_ERROR_CODES",
  "EncodeError",
  "EncodeErrorCode",
  "ErrorCodeDoc",
  "GuestType",
  "HeaderInit",
  "Image",
  "ImageHeader",
  "ImageInit",
  "ImageReader",
  "ImageReaderOptions",
  "ImageSection",
  "ImageType",
  "ImageVerdict",
  "KnownSection",
  "Location",
  "NodeWritableLike",
  "PageIndex",
  "RandomAccessSource",
  "RawImageSection",
  "RuleViolation",
  "SectionEntry",
  "StreamDecoder",
  "StreamDecoderOptions",
  "StreamEncoder",
  "StreamEncoderOptions",
  "StreamedSection",
  "TableEntry",
  "TruncatedStreamError",
  "UnknownSection",
  "XenImageError",
  "XenImageErrorCode",
  "blobSource",
  "crc32c",
  "crc32cKernel",
  "decodeImage",
  "decodeStream",
  "decodeStreamToImage",
  "encodeImage",
  "encodeStream",
  "imageFormat",
  "imageToStream",
  "memorySource",
  "openImage",
  "validateImage",
  "verifyImage",
  "writeStream",
];

const NODE = [
  "AtomicFile",
  "AtomicFileOptions",
  "FileWriteError",
  "cleanupTemporaries",
  "removeStaleTemporaries",
  "removeStaleTemporariesIn",
  "syncDirectory",
  "writeFileAtomic",
  "ConversionSummary",
  "MigrationInfo",
  "MigrationReceiver",
  "MigrationResult",
  "ReceiverClosedError",
  "ReceiverOptions", "FileChunks", "FileChunksOptions", "FileHandleLike", "ImageWriter", "ImageWriterOptions", "StreamToImageOptions", "fileSource", "imageFileToStream", "openImageFile", "streamToImageFile", "writeImageFile"];

const INTEROP = [
  "DETECT_BYTES",
  "DumpCoreFile",
  "DumpCorePlan",
  "DumpCoreSection",
  "ElfBytes",
  "ElfFile",
  "ElfFileReader",
  "ElfNote",
  "ElfSection",
  "ExportDumpCoreOptions",
  "ExportOptions",
  "ImportDumpCoreOptions",
  "ImportOptions",
  "MAX_BATCH_PFNS",
  "REC_LENGTH_MAX",
  "SameImageOptions",
  "XENIMAGE_RECORD",
  "XEN_CARRIER_SECTIONS",
  "XenLayerName",
  "XenRecord",
  "XenFormat",
  "XenStream",
  "XlHeaderInfo",
  "decodeDumpCore",
  "decodeElf",
  "decodeNotes",
  "detectXenFormat",
  "detectXenStream",
  "dumpCoreLosses",
  "encodeNote",
  "exportDumpCore",
  "exportXenStream",
  "headerInit",
  "importDumpCore",
  "importXenStream",
  "legacyHint",
  "planDumpCore",
  "readElfFile",
  "readXenStream",
  "recordTypeName",
  "sameImage",
  "sameSection",
  "writeDumpCoreFile",
];

const sorted = (names: readonly string[]) => [...names].sort();

describe("the main entry point (xenimage)", () => {
  const names = exportedNames("index.ts");

  it("exports exactly the pinned names", () => {
    expect(names).toEqual(sorted(MAIN));
  });

  it("exports at most 60 names", () => {
    expect(names.length).toBeLessThanOrEqual(60);
  });

  it("exports by name, never with export *", () => {
    expect(readFileSync("index.ts", "utf8")).not.toMatch(/export \*/);
  });

  it("documents every name in the README's API section", () => {
    const readme = readFileSync("README.md", "utf8");
    const api = readme.slice(readme.indexOf("## API"), readme.indexOf("Other entry points:"));
    const missing = names.filter((n) => !new RegExp("`" + n + "[`(]").test(api));
    expect(missing).toEqual([]);
  });

  it("has the same values at run time (types aside)", async () => {
    const values = Object.keys(await import("../../index.js")).sort();
    expect(values.every((v) => MAIN.includes(v))).toBe(true);
    expect(values).toContain("decodeImage");
  });
});

describe("the other curated entry points", () => {
  it("xenimage/node exports exactly the pinned names", () => {
    expect(exportedNames("node.ts")).toEqual(sorted(NODE));
  });

  it("xenimage/interop exports exactly the pinned names", () => {
    expect(exportedNames("interop/index.ts")).toEqual(sorted(INTEROP));
  });
});

describe("the package's subpaths", () => {
  const pkg = JSON.parse(readFileSync("package.json", "utf8")) as { exports: Record<string, unknown> };

  it("give every schema module with declarations its own entry point, named after it", () => {
    const modules = readFileSync("generated/index.ts", "utf8")
      .split("\n")
      .map((l) => /^export \* from "\.\/(\w+)\.js";$/.exec(l)?.[1])
      .filter((m): m is string => m !== undefined && readFileSync(`generated/${m}.ts`, "utf8").includes("\nexport "));
    expect(modules.length).toBeGreaterThan(5);
    for (const m of modules) expect(pkg.exports[`./${m}`], m).toEqual({ types: `./dist/generated/${m}.d.ts`, default: `./dist/generated/${m}.js` });
  });

  it("keep generated internals out of a module's declarations (byte-order specialisations, checks, count tables)", () => {
    // The build strips @internal declarations (tsconfig stripInternal); the modules use them among themselves.
    const names = exportedNames("dist/generated/x86.d.ts");
    expect(names).toContain("decodeCpuidLeaf");
    expect(names).toContain("viewCpuidLeaf");
    expect(names.filter((n) => /(Le|Be)At$|^check[A-Z]\w*At$|_COUNTED$|^section(Decoders|CodecBy)|Shape$/.test(n))).toEqual([]);
    expect(exportedNames("dist/generated/guest.d.ts").filter((n) => /(Le|Be)At$|^check[A-Z]\w*At$|_COUNTED$/.test(n))).toEqual([]);
  });
});
