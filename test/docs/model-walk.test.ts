import { posix } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import type { Decl, Model, StructDecl } from "../../generator/model/model.js";
import { buildDocs, type BuiltDocs } from "./build.js";

/**
 * Walks the model and checks the docs describe all of it: every section (with a diagram and a field
 * table per layout), every field of every struct it reaches, every type and every enum value, flag
 * and bit field. It reads the model, so a section added to the schemas is covered without a change here.
 */

let docs: BuiltDocs;
beforeAll(async () => {
  docs = await buildDocs();
});

const html = (page: string) => {
  const text = docs.files.get(`site/${page}.html`);
  if (text === undefined) throw new Error(`no page site/${page}.html`);
  return text;
};
const markdown = (page: string) => {
  const text = docs.files.get(page === "index" ? "README.md" : page.endsWith("/index") ? `${page.slice(0, -"index".length)}README.md` : `${page}.md`);
  if (text === undefined) throw new Error(`no page ${page}.md`);
  return text;
};

/** Every struct a struct reaches, itself first. */
function structsOf(root: StructDecl, out = new Set<StructDecl>()): Set<StructDecl> {
  if (out.has(root)) return out;
  out.add(root);
  for (const f of root.fields) {
    if (f.type.kind === "struct") structsOf(f.type, out);
    if (f.type.kind === "switch") for (const c of f.type.cases) if (c.struct !== undefined) structsOf(c.struct, out);
  }
  return out;
}

function allDecls(model: Model): Decl[] {
  return model.modules.flatMap((m) => m.decls);
}

/** Checks a page describes every field of `struct`: an anchored row in both formats, the name in the text. */
function expectFields(page: string, struct: StructDecl): void {
  const h = html(page);
  const md = markdown(page);
  for (const f of struct.fields) {
    const anchor = `f-${struct.name}-${f.name}`;
    expect(h, `${page}: ${struct.name}.${f.name}`).toContain(`<tr id="${anchor}">`);
    expect(md, `${page}: ${struct.name}.${f.name}`).toContain(`<a id="${anchor}"></a>`);
    if (f.type.kind !== "pad" && f.type.kind !== "align") expect(h).toContain(`<code>${f.name}</code>`);
  }
}

describe("every part of the model is in the docs", () => {
  it("every section has a page in both formats, listed in the site's navigation and the registry", () => {
    expect(docs.model.sections.length).toBeGreaterThan(0);
    const index = html("index");
    for (const s of docs.model.sections) {
      const page = `sections/${s.name}`;
      expect(html(page)).toContain(`<h1>Section ${s.name} (0x${s.id.toString(16)})</h1>`);
      expect(markdown(page)).toContain(`# Section ${s.name} (0x${s.id.toString(16)})`);
      expect(index).toContain(`href="sections/${s.name}.html"`);
      expect(html("registry")).toContain(`href="sections/${s.name}.html"`);
      expect(s.doc.length).toBeGreaterThan(0);
      expect(html(page)).toContain(s.doc.slice(0, 40).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#39;"));
    }
  });

  it("every layout of every section has its octet diagram and field table, with a row for every field it reaches", () => {
    for (const s of docs.model.sections) {
      const page = `sections/${s.name}`;
      const h = html(page);
      for (const v of s.variants) {
        if (v.body.kind === "empty") {
          expect(h).toContain("The body is empty");
          continue;
        }
        expect(h).toContain(`<table class="octets" data-struct="${v.body.struct.name}">`);
        for (const st of structsOf(v.body.struct)) {
          expect(h, `${page}: diagram of ${st.name}`).toContain(`data-struct="${st.name}"`);
          expectFields(page, st);
        }
      }
      expect((h.match(/<table class="fields">/g) ?? []).length).toBe((h.match(/<table class="octets"/g) ?? []).length);
    }
  });

  it("the header and the section-table entry have every field on their pages", () => {
    for (const st of structsOf(docs.model.container.header)) expectFields("header", st);
    for (const st of structsOf(docs.model.container.entry)) expectFields("section-table", st);
  });

  it("every declared type is described somewhere in full, with every value, flag and bit field", () => {
    // The format's own pages: a library may declare a type of the same name on its pages.
    const pages = [...docs.files.entries()].filter(([name]) => name.startsWith("site/") && !name.startsWith("site/formats/") && name.endsWith(".html"));
    for (const decl of allDecls(docs.model)) {
      const home = pages.find(([, text]) => text.includes(`id="type-${decl.name}"`));
      expect(home, `type ${decl.name}`).toBeDefined();
      const text = home![1];
      expect(html("types")).toContain(`<code>${decl.name}</code>`);
      const names =
        decl.kind === "enum" ? decl.values.map((v) => v.name) : decl.kind === "flags" ? decl.bits.map((b) => b.name) : decl.kind === "bits" ? decl.fields.map((f) => f.name) : [];
      for (const n of names) expect(text, `${decl.name}.${n} on ${home![0]}`).toContain(`<code>${n}</code>`);
      if (decl.kind === "struct") expect(text).toContain(`data-struct="${decl.name}"`);
    }
  });

  it("every image-type rule is on the rules page, with every section it lists", () => {
    for (const rule of docs.model.rules) {
      const h = html("rules");
      expect(h).toContain(`id="rule-${rule.name}"`);
      for (const p of rule.sections) expect(h).toContain(`href="sections/${p.section.name}.html"`);
    }
  });

  it("in every rendered field table of a fixed-size struct, the offsets and sizes tile the struct with no gap or overlap", () => {
    const structs = new Set<StructDecl>();
    for (const d of allDecls(docs.model)) if (d.kind === "struct") structsOf(d, structs);
    for (const s of docs.model.sections) for (const v of s.variants) if (v.body.kind !== "empty") structsOf(v.body.struct, structs);
    // Each library's structs on its own pages, the format's on the others (names may repeat across them).
    const scopes: { prefix: string; structs: Set<StructDecl> }[] = docs.libraries.map(({ name, library }) => ({
      prefix: `site/formats/${name}/`,
      structs: new Set(library.modules.flatMap((m) => m.decls.filter((d): d is StructDecl => d.kind === "struct"))),
    }));
    const scopeOf = (file: string) => scopes.find((sc) => file.startsWith(sc.prefix))?.structs ?? (file.startsWith("site/formats/") ? new Set<StructDecl>() : structs);
    const all = scopes.reduce((n, sc) => n + sc.structs.size, structs.size);
    let checked = 0;
    for (const [name, text] of docs.files) {
      if (!name.startsWith("site/")) continue;
      for (const st of scopeOf(name)) {
        if (st.size === undefined) continue;
        const rows = [...text.matchAll(new RegExp(`<tr id="f-${st.name}-[^"]+"><td>(0x[0-9a-f]+)</td><td>(\\d+)</td>`, "g"))];
        if (rows.length === 0) continue;
        expect(rows.length, `${name}: ${st.name}`).toBe(st.fields.length);
        let at = 0;
        for (const [, offset, size] of rows) {
          expect(Number(offset), `${name}: ${st.name} at ${offset}`).toBe(at);
          at += Number(size);
        }
        expect(at, `${name}: ${st.name}`).toBe(st.size);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(all / 2);
  });
});

describe("every library (schema/NAME/) is in the docs", () => {
  const escaped = (text: string) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#39;");

  it("has an overview in both formats, linked from the docs' overview and from every page's navigation under Other formats", () => {
    expect(docs.libraries.length).toBeGreaterThan(0);
    const siteFiles = [...docs.files.keys()].filter((f) => f.startsWith("site/") && f.endsWith(".html"));
    for (const { name, library } of docs.libraries) {
      const overview = `formats/${name}/index`;
      expect(html(overview)).toContain(`<h1>The ${name} schemas</h1>`);
      expect(markdown(overview)).toContain(`# The ${name} schemas`);
      expect(html("index")).toContain(`href="formats/${name}/index.html"`);
      expect(markdown("index")).toContain(`](formats/${name}/README.md)`);
      for (const m of library.modules) {
        expect(html(overview), `${name}: ${m.name}`).toContain(escaped(m.doc.slice(0, 60)));
        for (const d of m.decls) expect(html(overview), `${name}: ${d.name}`).toContain(`href="${m.name}.html#type-${d.name}"`);
      }
      for (const file of siteFiles) {
        const text = docs.files.get(file)!;
        const nav = text.slice(text.indexOf('<nav class="sidebar"'), text.indexOf("</nav>"));
        expect(nav, file).toContain("<h2>Other formats</h2>");
        const from = posix.dirname(file.slice("site/".length));
        expect(nav, file).toContain(`href="${posix.relative(from, `formats/${name}/index.html`)}"`);
        for (const m of library.modules) expect(nav, `${file}: ${m.name}`).toContain(`<li class="sub"><a href="${posix.relative(from, `formats/${name}/${m.name}.html`)}"`);
      }
    }
  });

  it("every type, field, enum value, flag and bit field of every library is on its schema file's page, in both formats", () => {
    let types = 0;
    for (const { name, library } of docs.libraries) {
      for (const m of library.modules) {
        const page = `formats/${name}/${m.name}`;
        const h = html(page);
        const md = markdown(page);
        expect(h).toContain(`<h1>${name}: ${m.name}.yaml</h1>`);
        expect(h).toContain(escaped(m.doc.slice(0, 60)));
        for (const d of m.decls) {
          types++;
          expect(h, `${page}: ${d.name}`).toContain(`id="type-${d.name}"`);
          expect(md, `${page}: ${d.name}`).toContain(`<a id="type-${d.name}"></a>`);
          expect(h, `${page}: ${d.name}`).toContain(escaped(d.doc.slice(0, 60)));
          if (d.kind === "struct") {
            expect(h, `${page}: diagram of ${d.name}`).toContain(`<table class="octets" data-struct="${d.name}">`);
            expect(md, `${page}: diagram of ${d.name}`).toContain("octet\n");
            expectFields(page, d);
          } else if (d.kind === "enum") {
            for (const v of d.values) {
              expect(h, `${page}: ${d.name}.${v.name}`).toContain(`<tr><td>${v.value}</td><td>0x${v.value.toString(16)}</td><td><code>${v.name}</code></td>`);
              expect(md, `${page}: ${d.name}.${v.name}`).toContain(`| ${v.value} | 0x${v.value.toString(16)} | \`${v.name}\` |`);
            }
          } else if (d.kind === "flags") {
            for (const b of d.bits) {
              expect(h, `${page}: ${d.name}.${b.name}`).toContain(`<tr><td>${b.bit}</td><td>0x${(1n << BigInt(b.bit)).toString(16)}</td><td><code>${b.name}</code></td>`);
              expect(md, `${page}: ${d.name}.${b.name}`).toContain(`\`${b.name}\``);
            }
          } else {
            for (const f of d.fields) {
              const bits = f.high === f.low ? String(f.high) : `${f.high}–${f.low}`;
              expect(h, `${page}: ${d.name}.${f.name}`).toContain(`<tr><td>${bits}</td><td>${f.width}</td>`);
              expect(h, `${page}: ${d.name}.${f.name}`).toContain(`<td><code>${f.name}</code></td>`);
              expect(md, `${page}: ${d.name}.${f.name}`).toContain(`\`${f.name}\``);
            }
          }
        }
      }
    }
    expect(types).toBeGreaterThan(docs.libraries.length);
  });
});

describe("links", () => {
  /** Every relative link of every page, as [from file, target file, anchor]. */
  function links(prefix: string, pattern: RegExp): [string, string, string | undefined][] {
    const out: [string, string, string | undefined][] = [];
    for (const [name, text] of docs.files) {
      if (!name.startsWith(prefix) || (prefix === "" && name.startsWith("site/"))) continue;
      for (const m of text.matchAll(pattern)) {
        const href = m[1]!.replace(/&amp;/g, "&");
        if (/^[a-z]+:/.test(href)) continue;
        const [path, anchor] = href.split("#");
        out.push([name, path === "" ? name : posix.join(posix.dirname(name), path!), anchor]);
      }
    }
    return out;
  }

  it("every link of the site and of the Markdown reaches an existing page and anchor", () => {
    const all = [...links("site/", /href="([^"]+)"/g), ...links("", /\]\(([^)\s]+)\)/g)].filter(([from]) => from.endsWith(".html") || from.endsWith(".md"));
    expect(all.length).toBeGreaterThan(100);
    for (const [from, target, anchor] of all) {
      const text = docs.files.get(target);
      expect(text, `${from} → ${target}`).toBeDefined();
      if (anchor !== undefined) expect(text!.includes(`id="${anchor}"`), `${from} → ${target}#${anchor}`).toBe(true);
    }
  });
});
