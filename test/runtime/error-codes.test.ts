import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import ts from "typescript";
import { describe, expect, expectTypeOf, it } from "vitest";
import { DECODE_ERROR_CODES, ENCODE_ERROR_CODES, type DecodeErrorCode, type EncodeErrorCode } from "../../runtime/error-codes.js";
import { DecodeError, EncodeError } from "../../runtime/errors.js";

/**
 * Every code the runtime can raise is documented: the error classes take their codes from the list in
 * runtime/error-codes.ts (checked at compile time), a walk over the source finds every code literal
 * that reaches an error (so a cast cannot smuggle one in), and the docs' validity page prints every
 * code of the list with its meaning.
 */

const SOURCE_DIRS = ["runtime", "generated", "image", "interop", "cli"];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(path);
    return e.name.endsWith(".ts") && !e.name.endsWith(".d.ts") ? [path] : [];
  });
}

const ERROR_CLASSES = new Set(["DecodeError", "EncodeError", "XenImageError", "JsonShapeError", "TruncatedStreamError"]);

/** Where the `code` parameter is in a function's parameter list, when it has one. */
function codeIndex(params: ts.NodeArray<ts.ParameterDeclaration>): number {
  return params.findIndex((p) => ts.isIdentifier(p.name) && p.name.text === "code");
}

/** A literal's text, for a string literal (or a conditional of two); undefined otherwise. */
function literals(node: ts.Expression | undefined): string[] | undefined {
  if (node === undefined) return undefined;
  if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) return [node.text];
  if (ts.isParenthesizedExpression(node) || ts.isAsExpression(node) || ts.isSatisfiesExpression(node) || ts.isTypeAssertionExpression(node)) return literals(node.expression);
  if (ts.isConditionalExpression(node)) {
    const a = literals(node.whenTrue);
    const b = literals(node.whenFalse);
    return a === undefined || b === undefined ? undefined : [...a, ...b];
  }
  return undefined;
}

/**
 * Every code literal the source passes to an error: as the first argument of an error class, as the
 * argument of a parameter named `code` (functions of the same file, methods of any file, defaults
 * included), and as the `code` of an object literal (the entry rules' problems).
 */
function codesIn(files: readonly ts.SourceFile[]): { codes: Map<string, string[]>; calls: number } {
  const methods = new Map<string, number>();
  /** Exported functions with a code parameter, called from other files (checkGap). */
  const exported = new Map<string, number>();
  const visitDecls = (node: ts.Node) => {
    if (ts.isMethodDeclaration(node) && ts.isIdentifier(node.name) && codeIndex(node.parameters) >= 0) methods.set(node.name.text, codeIndex(node.parameters));
    const isExported = ts.canHaveModifiers(node) && ts.getModifiers(node)?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword);
    if (ts.isFunctionDeclaration(node) && node.name !== undefined && isExported && codeIndex(node.parameters) >= 0) exported.set(node.name.text, codeIndex(node.parameters));
    node.forEachChild(visitDecls);
  };
  for (const f of files) visitDecls(f);
  const codes = new Map<string, string[]>();
  let calls = 0;
  const add = (found: string[] | undefined, file: ts.SourceFile, node: ts.Node) => {
    if (found === undefined) return;
    calls++;
    const where = `${file.fileName}:${file.getLineAndCharacterOfPosition(node.getStart()).line + 1}`;
    for (const c of found) codes.set(c, [...(codes.get(c) ?? []), where]);
  };
  for (const file of files) {
    /** The code parameter's index of the function `name` declared in the scope of `node` or around it. */
    const resolve = (name: string, node: ts.Node): number | undefined => {
      for (let scope: ts.Node | undefined = node; scope !== undefined; scope = scope.parent) {
        // A function passed in as a parameter, typed (code, …) => never.
        if (ts.isFunctionLike(scope)) {
          for (const p of scope.parameters) {
            if (ts.isIdentifier(p.name) && p.name.text === name && p.type !== undefined && ts.isFunctionTypeNode(p.type)) return codeIndex(p.type.parameters);
          }
        }
        const statements = ts.isBlock(scope) || ts.isSourceFile(scope) ? scope.statements : undefined;
        for (const st of statements ?? []) {
          if (ts.isFunctionDeclaration(st) && st.name?.text === name) return codeIndex(st.parameters);
          if (!ts.isVariableStatement(st)) continue;
          for (const d of st.declarationList.declarations) {
            if (ts.isIdentifier(d.name) && d.name.text === name && d.initializer !== undefined && ts.isArrowFunction(d.initializer)) return codeIndex(d.initializer.parameters);
          }
        }
      }
      return exported.get(name);
    };
    const visit = (node: ts.Node) => {
      if (ts.isNewExpression(node) && ts.isIdentifier(node.expression) && ERROR_CLASSES.has(node.expression.text)) add(literals(node.arguments?.[0]), file, node);
      if (ts.isCallExpression(node)) {
        const callee = node.expression;
        const index = ts.isIdentifier(callee) ? resolve(callee.text, node) : ts.isPropertyAccessExpression(callee) ? methods.get(callee.name.text) : undefined;
        if (index !== undefined && index >= 0 && node.arguments.length > index) add(literals(node.arguments[index]), file, node);
      }
      if (ts.isParameter(node) && ts.isIdentifier(node.name) && node.name.text === "code") add(literals(node.initializer), file, node);
      // A broken rule as data ({ code, reason, path }), not Node's system errors ({ code: "EIO" }).
      const isProblem = (o: ts.ObjectLiteralExpression) => o.properties.some((p) => p.name !== undefined && ts.isIdentifier(p.name) && p.name.text === "reason");
      if (ts.isPropertyAssignment(node) && ts.isIdentifier(node.name) && node.name.text === "code" && ts.isObjectLiteralExpression(node.parent) && isProblem(node.parent)) add(literals(node.initializer), file, node);
      node.forEachChild(visit);
    };
    visit(file);
  }
  return { codes, calls };
}

describe("error codes", () => {
  it("the error classes take exactly the documented codes (checked at compile time)", () => {
    expectTypeOf<ConstructorParameters<typeof DecodeError>[0]>().toEqualTypeOf<keyof typeof DECODE_ERROR_CODES>();
    expectTypeOf<ConstructorParameters<typeof EncodeError>[0]>().toEqualTypeOf<keyof typeof ENCODE_ERROR_CODES>();
    expectTypeOf<DecodeError["code"]>().toEqualTypeOf<DecodeErrorCode>();
    expectTypeOf<EncodeError["code"]>().toEqualTypeOf<EncodeErrorCode>();
  });

  it("every code the source raises is documented, and every documented code is raised somewhere", () => {
    const files = SOURCE_DIRS.flatMap(sourceFiles).map((path) => ts.createSourceFile(path, readFileSync(path, "utf8"), ts.ScriptTarget.ES2022, true));
    const { codes, calls } = codesIn(files);
    const documented = new Set([...Object.keys(DECODE_ERROR_CODES), ...Object.keys(ENCODE_ERROR_CODES)]);
    // The walk must find the codes: hundreds of raising sites and most of the list.
    expect(calls).toBeGreaterThan(150);
    const undocumented = [...codes.entries()].filter(([c]) => !documented.has(c)).map(([c, where]) => `${c} (${where.join(", ")})`);
    expect(undocumented, "codes raised but not in runtime/error-codes.ts").toEqual([]);
    // Raised through a variable the compiler types (ImageWriter's state), not as a literal.
    const typedOnly = new Set(["complete", "finished", "aborted"]);
    expect(readFileSync("runtime/node/file-writer.ts", "utf8")).toMatch(/"open" \| "complete" \| "finished" \| "aborted"/);
    const unused = [...documented].filter((c) => !codes.has(c) && !typedOnly.has(c));
    expect(unused, "codes documented but raised nowhere").toEqual([]);
  });

  it("the walk finds codes however they are passed, casts included", () => {
    const snippet = [
      'throw new DecodeError("made-up" as never, "r");',
      'function fail(reason: string, code = "default-code") {}',
      'fail("r", cond ? "one" : "two");',
      'reader.fail("r", 0, undefined, "method-code");',
      'const problem = { code: "object-code", reason: "r" };',
      'const system = { code: "EIO", syscall: "write" };',
      'function other() { const fail = (a: string, b: string, c: string) => 0; fail("x", "y", "not-a-code"); }',
      'function check(fail: (code: string, reason: string) => never) { fail("passed-code", "r"); }',
      'class R { fail(reason: string, at: number, path?: string, code = "invalid") {} }',
    ].join("\n");
    const { codes } = codesIn([ts.createSourceFile("x.ts", snippet, ts.ScriptTarget.ES2022, true)]);
    expect([...codes.keys()].sort()).toEqual(["default-code", "invalid", "made-up", "method-code", "object-code", "one", "passed-code", "two"]);
  });

  it("the validity page lists every code with its meaning", () => {
    const page = readFileSync("docs/validity.md", "utf8");
    for (const [code, doc] of Object.entries(DECODE_ERROR_CODES)) expect(page, code).toContain(`| <a id="code-${code}"></a>\`${code}\` | ${doc.meaning} |`);
    for (const [code, doc] of Object.entries(ENCODE_ERROR_CODES)) expect(page, code).toContain(`| <a id="encode-${code}"></a>\`${code}\` | ${doc.meaning} |`);
  });
});
