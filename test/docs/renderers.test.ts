import { describe, expect, it } from "vitest";
import type { Page } from "../../generator/emit/docs/doc-tree.js";
import { escapeMarkdown, markdownCode } from "../../generator/emit/docs/escape.js";
import { renderHtml } from "../../generator/emit/docs/html.js";
import { markdownPath, renderMarkdown } from "../../generator/emit/docs/markdown.js";
import { buildOctetDiagram, renderDiagramAscii, renderDiagramHtml } from "../../generator/emit/docs/octet-diagram.js";
import { layoutStruct } from "../../generator/emit/docs/struct-layout.js";
import { byteOrderText, fieldTable } from "../../generator/emit/docs/type-blocks.js";
import { context, enumDecl, field, int, struct } from "./helpers.js";

// Small structs with every situation the diagram meets: narrow cells, padding, a field crossing rows,
// an array collapsed into a block, and fields after a variable-size one.
const color = enumDecl("color", [
  ["red", 1],
  ["green", 2],
]);
const box = struct(
  "box",
  [
    field("kind", color, 1, 0),
    field("_pad1", { kind: "pad", size: 1 }, 1, 1),
    field("len", int("u16"), 2, 2),
    field("checksum", int("u32"), 4, 4, { reserved: "check", hidden: true }),
    field("value", int("u64"), 8, 8, { units: "bytes", endian: "context" }),
  ],
  16,
);
const crossing = struct(
  "crossing",
  [field("a", int("u32"), 4, 0), field("blob", { kind: "bytes" }, 12, 4, { count: { kind: "fixed", value: 12 } }), field("b", int("u32"), 4, 16)],
  20,
);
const elem = struct("elem", [field("lo", int("u64"), 8, 0), field("hi", int("u64"), 8, 8)], 16);
const outer = struct("outer", [field("x", int("u64"), 8, 0), field("elems", elem, 64, 8, { count: { kind: "fixed", value: 4 } }), field("y", int("u64"), 8, 72)], 80);
const count = field("count", int("u32"), 4, 0, { computed: true, hidden: true });
const batch = struct(
  "batch",
  [
    count,
    field("_pad1", { kind: "pad", size: 4 }, 4, 4),
    field("items", int("u64"), undefined, 8, { count: { kind: "field", field: count } }),
    field("_pad3", { kind: "align", alignment: 16 }, undefined, undefined),
    field("tail", { kind: "bytes" }, undefined, undefined, { count: { kind: "rest" } }),
  ],
  undefined,
);

const lines = (...l: string[]) => l.join("\n");

describe("octet diagram, ASCII", () => {
  it("puts each field in cells spanning its octets, with keys for names too long for their cell", () => {
    expect(renderDiagramAscii(buildOctetDiagram(box))).toBe(
      lines(
        "         0       1       2       3       4       5       6       7   octet",
        "     +-------+-------+---------------+-------------------------------+",
        "0x00 | kind  | [1]   | len           | checksum                      |",
        "     +-------+-------+---------------+-------------------------------+",
        "0x08 | value                                                         |",
        "     +---------------------------------------------------------------+",
        "",
        "     [1] (padding)",
      ),
    );
  });

  it("splits a field that crosses rows and draws a short last row", () => {
    expect(renderDiagramAscii(buildOctetDiagram(crossing))).toBe(
      lines(
        "         0       1       2       3       4       5       6       7   octet",
        "     +-------------------------------+-------------------------------+",
        "0x00 | a                             | blob                          |",
        "     +-------------------------------+-------------------------------+",
        "0x08 | blob (cont.)                                                  |",
        "     +-------------------------------+-------------------------------+",
        "0x10 | b                             |",
        "     +-------------------------------+",
      ),
    );
  });

  it("collapses an array covering whole rows into one block naming its element type and count", () => {
    expect(renderDiagramAscii(buildOctetDiagram(outer))).toBe(
      lines(
        "         0       1       2       3       4       5       6       7   octet",
        "     +---------------------------------------------------------------+",
        "0x00 | x                                                             |",
        "     +---------------------------------------------------------------+",
        "0x08 | elems: elem × 4 (64 bytes)                                    |",
        "     ~                                                               ~",
        "     +---------------------------------------------------------------+",
        "0x48 | y                                                             |",
        "     +---------------------------------------------------------------+",
      ),
    );
  });

  it("draws fields after a variable-size one as blocks with their size expressions", () => {
    expect(renderDiagramAscii(buildOctetDiagram(batch))).toBe(
      lines(
        "         0       1       2       3       4       5       6       7   octet",
        "     +-------------------------------+-------------------------------+",
        "0x00 | count                         | (padding)                     |",
        "     +-------------------------------+-------------------------------+",
        "0x08 | items: u64 × count (8 × count bytes)                          |",
        "     ~                                                               ~",
        "     +---------------------------------------------------------------+",
        " ... | (align 16) (zeros to a multiple of 16)                        |",
        "     ~                                                               ~",
        "     +---------------------------------------------------------------+",
        " ... | tail (the rest of the body)                                   |",
        "     ~                                                               ~",
        "     +---------------------------------------------------------------+",
      ),
    );
  });
});

describe("octet diagram, HTML", () => {
  it("is a table of 8 octet columns whose cells link to the field rows and to the element's diagram", () => {
    expect(renderDiagramHtml(buildOctetDiagram(outer, (f) => `f-${f.name}`, (d) => `type-${d.name}`))).toBe(
      lines(
        '<table class="octets" data-struct="outer">',
        "<caption>outer: 80 bytes, 8 octets per row</caption>",
        '<thead><tr><th class="off">offset</th><th>0</th><th>1</th><th>2</th><th>3</th><th>4</th><th>5</th><th>6</th><th>7</th></tr></thead>',
        "<tbody>",
        '<tr><th class="off">0x00</th><td colspan="8"><a href="#f-x">x</a></td></tr>',
        '<tr class="block"><th class="off">0x08</th><td colspan="8"><a href="#f-elems">elems: elem × 4 (64 bytes)</a><span class="rows">8 rows · <a href="#type-elem">layout of elem</a></span></td></tr>',
        '<tr><th class="off">0x48</th><td colspan="8"><a href="#f-y">y</a></td></tr>',
        "</tbody>",
        "</table>",
      ),
    );
  });

  it("greys padding and leaves the octets past a short last row empty", () => {
    const html = renderDiagramHtml(buildOctetDiagram(struct("short", [field("a", int("u16"), 2, 0), field("_pad1", { kind: "pad", size: 2 }, 2, 2)], 4)));
    expect(html).toContain('<tr><th class="off">0x00</th><td colspan="2">a</td><td colspan="2" class="pad">(padding)</td><td colspan="4" class="beyond"></td></tr>');
  });
});

describe("struct layout", () => {
  it("gives fixed offsets while it can, then expressions over earlier fields", () => {
    expect(layoutStruct(batch).map((e) => [e.offsetText, e.sizeText])).toEqual([
      ["0x00", "4"],
      ["0x04", "4"],
      ["0x08", "8 × count"],
      ["0x8 + 8 × count", "0 … 15, up to align_up(0x8 + 8 × count, 16)"],
      ["align_up(0x8 + 8 × count, 16)", "rest of the body"],
    ]);
  });

  it("tiles a fixed struct: each field starts where the previous ended, the last ends at the size", () => {
    for (const s of [box, crossing, outer]) {
      let at = 0;
      for (const e of layoutStruct(s)) {
        expect(e.offset).toBe(at);
        at += e.size!;
      }
      expect(at).toBe(s.size);
    }
  });
});

describe("field table", () => {
  it("lists offset, size, name, type, byte order, units, allowed values and meaning of every field", () => {
    const page: Page = { id: "t", title: "T", navLabel: "T", group: "format", blocks: [fieldTable(box, context([color]))] };
    expect(renderMarkdown(page, [])).toBe(
      lines(
        "<!-- Generated by xenimage from schema/*.yaml. Do not edit: run npm run docs. -->",
        "",
        "# T",
        "",
        "| Offset | Size | Field | Type | Byte order | Units | Values | Meaning |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
        '| <a id="f-box-kind"></a>0x00 | 1 | `kind` | [`color`](#type-color) (enum u8) | — |  | red (1), green (2); see [`color`](#type-color) | The kind. |',
        '| <a id="f-box-_pad1"></a>0x01 | 1 | (padding) | zero bytes | — |  | zero (readers reject non-zero) | The \\_pad1. |',
        '| <a id="f-box-len"></a>0x02 | 2 | `len` | `u16` | little |  |  | The len. |',
        '| <a id="f-box-checksum"></a>0x04 | 4 | `checksum` | `u32` | little |  | zero (readers reject non-zero) | The checksum. |',
        '| <a id="f-box-value"></a>0x08 | 8 | `value` | `u64` | header | bytes |  | The value. |',
        "",
      ),
    );
  });
});

describe("escaping", () => {
  it("keeps snake_case readable in Markdown but escapes what would turn into markup", () => {
    expect(escapeMarkdown("byte_order a *b* [c] x|y _lead")).toBe("byte_order a \\*b\\* \\[c\\] x\\|y \\_lead");
    expect(markdownCode("a`b")).toBe("``a`b``");
  });
});

describe("library pages", () => {
  it("put an index page at its folder's README.md (Markdown) and index.html (site)", () => {
    expect(markdownPath("index")).toBe("README.md");
    expect(markdownPath("formats/elf/index")).toBe("formats/elf/README.md");
    expect(markdownPath("formats/elf/elf")).toBe("formats/elf/elf.md");
  });

  it("are listed under Other formats in the site's navigation, a schema file's page indented under its library", () => {
    const page = (id: string, navLabel: string, group: Page["group"], parent?: string): Page => ({ id, title: navLabel, navLabel, group, parent, blocks: [] });
    const pages = [page("index", "Overview", "format"), page("formats/elf/index", "elf", "formats"), page("formats/elf/elf", "elf.yaml", "formats", "formats/elf/index")];
    const html = renderHtml(pages[2]!, pages, "site");
    expect(html).toContain(
      lines(
        "<h2>Other formats</h2>",
        "<ul>",
        '<li><a href="index.html">elf</a></li>',
        '<li class="sub"><a href="elf.html" aria-current="page">elf.yaml</a></li>',
        "</ul>",
      ),
    );
    expect(html).toContain('<link rel="stylesheet" href="../../style.css">');
    expect(html.indexOf("<h2>The format</h2>")).toBeLessThan(html.indexOf("<h2>Other formats</h2>"));
  });

  it("name the byte order a context field follows as the page says (the image's header, a library's caller)", () => {
    const f = field("x", int("u32"), 4, 0, { endian: "context" });
    expect(byteOrderText(f)).toBe("header");
    expect(byteOrderText(f, "context")).toBe("context");
    expect(byteOrderText(field("b", int("u8"), 1, 0, { endian: "context" }), "context")).toBe("—");
    expect(byteOrderText(field("y", int("u32"), 4, 0, { endian: "big" }), "context")).toBe("big");
  });
});
