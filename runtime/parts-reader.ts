/**
 * A {@link ByteReader} over a body that arrived in several chunks, for decoding it without joining the
 * chunks first (joining was 23 % of a stream decode). Byte runs (`bytesView`, `bytesAt`, `rest`, typed
 * arrays, `sub`) that lie inside one chunk are views of that chunk: a page of a page_data batch stays a
 * view of the read buffer it arrived in. Everything else the generated decoders read goes through `take`,
 * which copies just the claimed bytes into a scratch buffer at their body position, so the positional
 * reads (`u32At`, `zerosAt`, …) of the base class work unchanged.
 *
 * The scratch buffer is reused from body to body, so nothing handed out may be a view of it: every
 * method that returns bytes returns a chunk view or a copy, never `this.bytes`.
 */
import { ByteReader, type ByteReaderOptions } from "./byte-reader.js";
import type { NumericArrays, NumericArrayType } from "./typed-arrays.js";
import { NUMERIC_ARRAYS } from "./typed-arrays.js";

export class PartsReader extends ByteReader {
  /** The body position where each part starts, plus the end: `starts[i] … starts[i + 1]` is part i. */
  private readonly starts: number[];
  /** The part the last lookup found: reads go front to back, so the next one is usually here or next. */
  private cursor = 0;

  /**
   * @param parts the body, in the chunks it arrived in
   * @param scratch a buffer at least as long as the body, overwritten; reusable once decoding is done
   */
  constructor(
    private readonly parts: readonly Uint8Array[],
    scratch: Uint8Array,
    options: ByteReaderOptions = {},
  ) {
    const starts = [0];
    for (const p of parts) starts.push(starts[starts.length - 1]! + p.length);
    super(scratch.subarray(0, starts[starts.length - 1]!), options);
    this.starts = starts;
  }

  /** The index of the part holding body position `at` (`at` < the body's length). */
  private partAt(at: number): number {
    const starts = this.starts;
    let i = this.cursor;
    if (at < starts[i]!) i = 0;
    while (at >= starts[i + 1]!) i++;
    this.cursor = i;
    return i;
  }

  /** Bytes `at … at + n` as a view of the one part that holds them all, or undefined when they straddle parts. */
  private within(at: number, n: number): Uint8Array | undefined {
    if (n === 0) return new Uint8Array(0);
    const i = this.partAt(at);
    const start = this.starts[i]!;
    if (at + n > this.starts[i + 1]!) return undefined;
    return this.parts[i]!.subarray(at - start, at - start + n);
  }

  /** Copies bytes `at … at + n` from the parts into the scratch buffer, at the same positions. */
  private fill(at: number, n: number): void {
    const end = at + n;
    let i = this.partAt(at);
    while (at < end) {
      const start = this.starts[i]!;
      const take = Math.min(end, this.starts[i + 1]!) - at;
      this.bytes.set(this.parts[i]!.subarray(at - start, at - start + take), at);
      at += take;
      i++;
    }
  }

  override take(n: number): number {
    const at = super.take(n);
    this.fill(at, n);
    return at;
  }

  override bytesView(n: number): Uint8Array {
    return this.bytesAt(super.take(n), n);
  }

  /** A view of the part when the run lies in one, else a copy (never a view of the scratch buffer). */
  override bytesAt(at: number, n: number): Uint8Array {
    const view = this.within(at, n);
    if (view !== undefined) return view;
    this.fill(at, n);
    return this.bytes.slice(at, at + n);
  }

  override typedArray<K extends NumericArrayType>(type: K, n: number, le = this.littleEndian): NumericArrays[K] {
    return this.typedArrayAt(type, super.take(n * NUMERIC_ARRAYS[type].BYTES_PER_ELEMENT), n, le);
  }

  override typedArrayAt<K extends NumericArrayType>(type: K, at: number, n: number, le = this.littleEndian): NumericArrays[K] {
    const size = NUMERIC_ARRAYS[type].BYTES_PER_ELEMENT;
    const view = this.within(at, n * size);
    // Inside one part: a view of it where alignment and byte order allow, as for a contiguous body.
    if (view !== undefined) return new ByteReader(view, { littleEndian: this.littleEndian }).typedArrayAt(type, 0, n, le);
    this.fill(at, n * size);
    const result = super.typedArrayAt(type, at, n, le);
    return (result as { buffer: ArrayBufferLike }).buffer === this.bytes.buffer ? (result.slice() as NumericArrays[K]) : result;
  }

  override sub(n: number): ByteReader {
    const at = super.take(n);
    const options = { littleEndian: this.littleEndian, base: this.base + at };
    const view = this.within(at, n);
    if (view !== undefined) return new ByteReader(view, options);
    this.fill(at, n);
    return new ByteReader(this.bytes.slice(at, at + n), options);
  }
}
