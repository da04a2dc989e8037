/** The part of restructure 3's API the benchmarks use (the package ships no type declarations). */
declare module "restructure" {
  export class DecodeStream {
    constructor(buffer: Uint8Array);
    pos: number;
    readonly length: number;
    readUInt32LE(): number;
  }
  export class EncodeStream {
    constructor(buffer: Uint8Array);
    pos: number;
    writeUInt32LE(value: number): void;
  }
  /** Anything restructure can decode, size and encode; custom types implement the same three. */
  export interface Type<T = any> {
    decode(stream: DecodeStream, parent?: unknown): T;
    size(value?: T, parent?: unknown): number;
    encode(stream: EncodeStream, value: T, parent?: unknown): void;
  }
  export interface Codec<T = any> extends Type<T> {
    fromBuffer(buffer: Uint8Array): T;
    toBuffer(value: T): Uint8Array;
  }
  export class Struct<T = any> implements Codec<T> {
    constructor(fields: Record<string, Type>);
    decode(stream: DecodeStream, parent?: unknown): T;
    size(value?: T, parent?: unknown): number;
    encode(stream: EncodeStream, value: T, parent?: unknown): void;
    fromBuffer(buffer: Uint8Array): T;
    toBuffer(value: T): Uint8Array;
  }
  class ArrayT<T = any> implements Codec<T[]> {
    constructor(type: Type<T>, length?: number, lengthType?: "count" | "bytes");
    decode(stream: DecodeStream, parent?: unknown): T[];
    size(value?: T[], parent?: unknown): number;
    encode(stream: EncodeStream, value: T[], parent?: unknown): void;
    fromBuffer(buffer: Uint8Array): T[];
    toBuffer(value: T[]): Uint8Array;
  }
  export { ArrayT as Array };
  class BufferT implements Type<Uint8Array> {
    constructor(length: number);
    decode(stream: DecodeStream): Uint8Array;
    size(value?: Uint8Array): number;
    encode(stream: EncodeStream, value: Uint8Array): void;
  }
  export { BufferT as Buffer };
  export class Reserved implements Type<undefined> {
    constructor(type: Type<number>, count?: number);
    decode(stream: DecodeStream): undefined;
    size(): number;
    encode(stream: EncodeStream, value: undefined): void;
  }
  export const uint8: Type<number>;
  export const uint16le: Type<number>;
  export const uint32le: Type<number>;
}
