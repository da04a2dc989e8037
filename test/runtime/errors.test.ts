import { describe, expect, expectTypeOf, it } from "vitest";
import { ByteReader } from "../../runtime/byte-reader.js";
import { ByteWriter } from "../../runtime/byte-writer.js";
import { asDecodeError, asEncodeError, DecodeError, EncodeError, hex, XenImageError, type DecodeErrorCode, type EncodeErrorCode, type XenImageErrorCode } from "../../runtime/errors.js";
import { JsonShapeError } from "../../runtime/json-shape.js";
import { TruncatedStreamError } from "../../runtime/stream-decoder.js";

describe("error codes", () => {
  // Checked by the typecheck of the tests (npm test runs it first): each class's code is its own union.
  it("are typed per class, and an unknown code does not compile", () => {
    expectTypeOf<DecodeError["code"]>().toEqualTypeOf<DecodeErrorCode>();
    expectTypeOf<TruncatedStreamError["code"]>().toEqualTypeOf<DecodeErrorCode>();
    expectTypeOf<EncodeError["code"]>().toEqualTypeOf<EncodeErrorCode>();
    expectTypeOf<JsonShapeError["code"]>().toEqualTypeOf<"json">();
    expectTypeOf<XenImageError["code"]>().toEqualTypeOf<XenImageErrorCode>();
    // @ts-expect-error not a decode error's code
    const wrong = new DecodeError("invalid-value", "r");
    expect(wrong.code).toBe("invalid-value");
  });
});

describe("hex", () => {
  it("formats offsets as 0x and lower-case hex", () => {
    expect(hex(0)).toBe("0x0");
    expect(hex(0x1004)).toBe("0x1004");
    expect(hex(0xabcdef)).toBe("0xabcdef");
    expect(hex(0xffff_ffff_ffffn)).toBe("0xffffffffffff");
  });
});

describe("XenImageError", () => {
  it("keeps a cause passed to the constructor", () => {
    const cause = new Error("root");
    expect(new DecodeError("internal", "r", {}, cause).cause).toBe(cause);
    expect(new DecodeError("internal", "r").cause).toBeUndefined();
  });

  it("carries code, reason and location, with a message naming them", () => {
    const e = new DecodeError("truncated", "needs 4 bytes, 2 left", { offset: 0x1004, section: "x86_pv_info", path: "guest_width" });
    expect(e.code).toBe("truncated");
    expect(e.reason).toBe("needs 4 bytes, 2 left");
    expect(e.offset).toBe(0x1004);
    expect(e.section).toBe("x86_pv_info");
    expect(e.path).toBe("guest_width");
    expect(e.message).toBe("needs 4 bytes, 2 left (section x86_pv_info, field guest_width, offset 0x1004)");
    expect(e.name).toBe("DecodeError");
    expect(e).toBeInstanceOf(Error);
    expect(e).toBeInstanceOf(XenImageError);
    expect(e).toBeInstanceOf(DecodeError);
    expect(e).not.toBeInstanceOf(EncodeError);
  });

  it("has a bare message when no location is known", () => {
    const e = new EncodeError("invalid-value", "bad");
    expect(e.message).toBe("bad");
    expect(e.offset).toBeUndefined();
    expect(e.section).toBeUndefined();
    expect(e.path).toBeUndefined();
    expect(e.name).toBe("EncodeError");
  });

  it("omits an empty path and includes offset 0", () => {
    expect(new XenImageError("invalid", "r", { path: "", offset: 0 }).message).toBe("r (offset 0x0)");
    expect(new XenImageError("invalid", "r", { section: "s" }).message).toBe("r (section s)");
  });
});

describe("XenImageError.within", () => {
  it("fills missing section, offset and path", () => {
    const inner = new DecodeError("invalid", "bad value");
    const e = inner.within({ section: "shared_info", offset: 0x2a0, path: "vcpu_info" });
    expect(e.section).toBe("shared_info");
    expect(e.offset).toBe(0x2a0);
    expect(e.path).toBe("vcpu_info");
    expect(e.code).toBe("invalid");
    expect(e.reason).toBe("bad value");
    expect(e.message).toBe("bad value (section shared_info, field vcpu_info, offset 0x2a0)");
  });

  it("lets inner offset and section win", () => {
    const inner = new DecodeError("invalid", "r", { offset: 0x10, section: "inner" });
    const e = inner.within({ offset: 0x99, section: "outer" });
    expect(e.offset).toBe(0x10);
    expect(e.section).toBe("inner");
  });

  it("joins a field name with a dot", () => {
    const e = new DecodeError("invalid", "r", { path: "cs" }).within({ path: "user_regs" });
    expect(e.path).toBe("user_regs.cs");
    expect(e.message).toContain("field user_regs.cs");
  });

  it("joins an index without a dot", () => {
    const e = new DecodeError("invalid", "r", { path: "[3]" }).within({ path: "trap_ctxt" });
    expect(e.path).toBe("trap_ctxt[3]");
  });

  it("joins an indexed path with a following field", () => {
    const e = new DecodeError("invalid", "r", { path: "[3].cs" }).within({ path: "trap_ctxt" });
    expect(e.path).toBe("trap_ctxt[3].cs");
  });

  it("keeps the inner path when the outer has none, and vice versa", () => {
    expect(new DecodeError("invalid", "r", { path: "a" }).within({}).path).toBe("a");
    expect(new DecodeError("invalid", "r", { path: "a" }).within({ path: "" }).path).toBe("a");
    expect(new DecodeError("invalid", "r").within({ path: "b" }).path).toBe("b");
    expect(new DecodeError("invalid", "r", { path: "" }).within({ path: "b" }).path).toBe("b");
    expect(new DecodeError("invalid", "r").within({}).path).toBeUndefined();
  });

  it("builds a path outwards through nested calls", () => {
    const e = new DecodeError("truncated", "needs 8 bytes, 0 left", { offset: 0x1004 })
      .within({ path: "cs" })
      .within({ path: "[3]" })
      .within({ path: "trap_ctxt" })
      .within({ section: "vcpu_context #2" });
    expect(e.path).toBe("trap_ctxt[3].cs");
    expect(e.message).toBe("needs 8 bytes, 0 left (section vcpu_context #2, field trap_ctxt[3].cs, offset 0x1004)");
  });

  it("keeps the class: a DecodeError stays a DecodeError", () => {
    const d = new DecodeError("invalid", "r").within({ section: "s" });
    expect(d).toBeInstanceOf(DecodeError);
    expect(d).toBeInstanceOf(XenImageError);
    expect(d).toBeInstanceOf(Error);
    expect(d).not.toBeInstanceOf(EncodeError);
    expect(d.name).toBe("DecodeError");
    const en = new EncodeError("invalid-value", "r").within({ path: "p" });
    expect(en).toBeInstanceOf(EncodeError);
    expect(en).not.toBeInstanceOf(DecodeError);
    expect(en.name).toBe("EncodeError");
  });

  it("keeps the cause", () => {
    const cause = new TypeError("root");
    const e = new DecodeError("internal", "r", { offset: 1 }, cause).within({ path: "f" });
    expect(e.cause).toBe(cause);
  });

  it("keeps the stack frames of where the error was thrown, under the new message", () => {
    function throwsDeepInsideADecoder(): never {
      throw new DecodeError("invalid", "bad magic", { offset: 4 });
    }
    let inner: DecodeError | undefined;
    try {
      throwsDeepInsideADecoder();
    } catch (e) {
      inner = e as DecodeError;
    }
    const e = inner!.within({ section: "header #0", path: "magic" });
    const lines = e.stack!.split("\n");
    expect(lines[0]).toBe(`DecodeError: ${e.message}`);
    expect(lines[0]).toContain("section header #0");
    expect(lines.slice(1).join("\n")).toBe(inner!.stack!.split("\n").slice(1).join("\n"));
    expect(e.stack).toContain("throwsDeepInsideADecoder");
    // Nested wrapping keeps them too, with the message stated once.
    const outer = e.within({ offset: 0 }).within({ path: "header" });
    expect(outer.stack).toContain("throwsDeepInsideADecoder");
    expect(outer.stack!.split(outer.message)).toHaveLength(2);
  });

  it("keeps the frames of a multi-line message, and the cause, through asDecodeError", () => {
    const cause = new TypeError("x is not a function");
    const e = asDecodeError(new DecodeError("internal", "line one\nline two", { offset: 2 }, cause), "field", 2);
    expect(e.stack!.startsWith(`DecodeError: ${e.message}\n    at `)).toBe(true);
    expect(e.stack!.split("line two")).toHaveLength(2);
    expect(e.cause).toBe(cause);
  });

  it("returns a new error and leaves the original unchanged", () => {
    const inner = new DecodeError("invalid", "r", { path: "cs" });
    const e = inner.within({ path: "user_regs", section: "s", offset: 4 });
    expect(e).not.toBe(inner);
    expect(inner.path).toBe("cs");
    expect(inner.section).toBeUndefined();
    expect(inner.offset).toBeUndefined();
    expect(inner.message).toBe("r (field cs)");
  });

  it("names section, field and hex offset in the message and the stack", () => {
    const e = new DecodeError("invalid", "bad", { offset: 0xdead }).within({ section: "X", path: "Y" });
    expect(e.message).toContain("section X");
    expect(e.message).toContain("field Y");
    expect(e.message).toContain("0xdead");
    expect(e.stack).toContain("DecodeError");
    expect(e.stack).toContain("section X");
  });

  it("is thrown and caught like any error", () => {
    const e = new DecodeError("invalid", "bad").within({ path: "f" });
    expect(() => {
      throw e;
    }).toThrow(DecodeError);
    expect(() => {
      throw e;
    }).toThrow("bad (field f)");
  });
});

describe("asDecodeError", () => {
  it("adds a field segment to a xenimage error and keeps its class, offset and code", () => {
    const inner = new DecodeError("truncated", "r", { path: "cs", offset: 8 });
    const e = asDecodeError(inner, "user_regs", 0x999);
    expect(e).toBeInstanceOf(DecodeError);
    expect(e.code).toBe("truncated");
    expect(e.path).toBe("user_regs.cs");
    expect(e.offset).toBe(8);
  });

  it("adds an index segment without a dot", () => {
    const e = asDecodeError(new DecodeError("invalid", "r", { path: "cs" }), "[2]", 0);
    expect(e.path).toBe("[2].cs");
    expect(e.message).toContain("field [2].cs");
  });

  it("keeps an EncodeError an EncodeError (xenimage errors are not re-wrapped)", () => {
    const e = asDecodeError(new EncodeError("invalid-value", "r"), "f", 3);
    expect(e).toBeInstanceOf(EncodeError);
    expect(e.code).toBe("invalid-value");
    expect(e.path).toBe("f");
  });

  it("wraps a foreign error in a DecodeError at the offset, with the field", () => {
    const bug = new TypeError("oops");
    const e = asDecodeError(bug, "[1]", 0x40);
    expect(e).toBeInstanceOf(DecodeError);
    expect(e.code).toBe("internal");
    expect(e.offset).toBe(0x40);
    expect(e.path).toBe("[1]");
    expect(e.reason).toContain("oops");
    expect(e.message).toBe("decoder failed: TypeError: oops (field [1], offset 0x40)");
    expect(bug.message).toBe("oops");
  });

  it("keeps the foreign error as the cause", () => {
    const bug = new TypeError("oops");
    const e = asDecodeError(bug, "[1]", 0x40);
    expect(e.cause).toBe(bug);
  });

  it("wraps non-error values", () => {
    const e = asDecodeError("text", "x", 1);
    expect(e).toBeInstanceOf(DecodeError);
    expect(e.reason).toContain("text");
    expect(e.path).toBe("x");
  });
});

describe("asEncodeError", () => {
  it("adds a segment to a xenimage error and keeps its class", () => {
    const e = asEncodeError(new EncodeError("invalid-value", "r", { path: "cs", offset: 12 }), "user_regs", 0);
    expect(e).toBeInstanceOf(EncodeError);
    expect(e.path).toBe("user_regs.cs");
    expect(e.offset).toBe(12);
  });

  it("wraps a foreign error in an EncodeError at the offset, naming its message", () => {
    const bug = new TypeError("Cannot read properties of undefined (reading 'cs')");
    const e = asEncodeError(bug, "user_regs", 0x18);
    expect(e).toBeInstanceOf(EncodeError);
    expect(e.code).toBe("invalid-value");
    expect(e.offset).toBe(0x18);
    expect(e.path).toBe("user_regs");
    expect(e.reason).toBe("bad value: Cannot read properties of undefined (reading 'cs')");
    expect(e.message).toContain("field user_regs");
    expect(e.message).toContain("offset 0x18");
  });

  it("wraps non-error values", () => {
    const e = asEncodeError(42, "[0]", 0);
    expect(e).toBeInstanceOf(EncodeError);
    expect(e.reason).toBe("bad value: 42");
    expect(e.path).toBe("[0]");
  });
});

describe("rethrow on ByteReader / ByteWriter", () => {
  it("ByteReader.rethrow wraps at the reader's absolute offset", () => {
    const r = new ByteReader(new Uint8Array(8), { base: 0x100 });
    r.pos = 4;
    const e = r.rethrow(new RangeError("x"), "f");
    expect(e).toBeInstanceOf(DecodeError);
    expect(e.offset).toBe(0x104);
    expect(e.path).toBe("f");
    const inner = r.rethrow(new DecodeError("truncated", "t", { offset: 2, path: "a" }), "b");
    expect(inner.offset).toBe(2);
    expect(inner.path).toBe("b.a");
  });

  it("ByteWriter.rethrow wraps at the writer's position", () => {
    const w = new ByteWriter();
    w.zeros(6);
    const e = w.rethrow(new TypeError("x"), "[3]");
    expect(e).toBeInstanceOf(EncodeError);
    expect(e.offset).toBe(6);
    expect(e.path).toBe("[3]");
  });
});
