// Linear memory shared by TypeScript and the kernels. TypeScript owns it: it places every array the
// kernels read or write, grows the memory when a call needs more, and re-creates its views after a
// grow (growing detaches the old ArrayBuffer).
//
// Two kinds of blocks: the arrays a user keeps in memory (`WasmArray`, from `seg.alloc`), placed
// first-fit from the bottom and freed explicitly, and the per-call arena above the highest of them,
// rewound at the start of every call, so memory stays at the high-water mark of the largest call
// instead of growing with the call count.

export interface LinearMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}

const PAGE = 65536;
/** wasm32 addresses 4 GiB; the TypeScript heap keeps the same limit so both backends agree. */
export const MAX_MEMORY_BYTES = 2 ** 32;
// arithmetic, not 32-bit bit operations: offsets go up to 4 GiB
const align = (n: number) => Math.ceil(n / 16) * 16;
const dispose: symbol = (Symbol as { dispose?: symbol }).dispose ?? Symbol.for('Symbol.dispose');

export type TypedArray = Float32Array | Int32Array | Uint32Array | Int16Array | Uint16Array | Int8Array | Uint8Array;
export type TypedArrayConstructor<T extends TypedArray> = {
  new (buffer: ArrayBuffer, byteOffset: number, length: number): T;
  readonly BYTES_PER_ELEMENT: number;
  readonly name: string;
};

export class Arena {
  private top: number;
  /** live user blocks, sorted by address: [ptr, end) */
  private readonly blocks: { ptr: number; end: number }[] = [];

  constructor(
    readonly memory: LinearMemory,
    private readonly base: number,
  ) {
    this.top = base;
  }

  /** Start of a call: everything the previous call allocated is free again. */
  reset(): void {
    this.top = this.blocks.length ? this.blocks[this.blocks.length - 1].end : this.base;
  }

  /** A per-call block of `bytes` bytes (16-aligned, contents unspecified), free at the next reset. */
  alloc(bytes: number): number {
    const ptr = align(this.top);
    this.ensure(ptr, bytes);
    this.top = ptr + bytes;
    return ptr;
  }

  /** A block that lives until `release`: the first gap between live blocks that fits. */
  keep(bytes: number): number {
    let ptr = this.base;
    let at = 0;
    for (; at < this.blocks.length; at++) {
      if (align(ptr) + bytes <= this.blocks[at].ptr) break;
      ptr = this.blocks[at].end;
    }
    ptr = align(ptr);
    this.ensure(ptr, bytes);
    this.blocks.splice(at, 0, { ptr, end: ptr + Math.max(bytes, 1) });
    this.reset();
    return ptr;
  }

  /** The arena's top, to `rewind` to once the blocks allocated after it are done with. */
  mark(): number {
    return this.top;
  }

  rewind(mark: number): void {
    this.top = mark;
  }

  release(ptr: number): void {
    const at = this.blocks.findIndex((b) => b.ptr === ptr);
    if (at >= 0) this.blocks.splice(at, 1);
    this.reset();
  }

  /** Grows the memory to hold `bytes` bytes at `ptr`. */
  private ensure(ptr: number, bytes: number): void {
    const end = ptr + bytes;
    const size = this.memory.buffer.byteLength;
    if (end <= size) return;
    if (end > MAX_MEMORY_BYTES) {
      throw new RangeError(
        `segloss: a block of ${bytes} bytes (${gib(bytes)}) at offset ${ptr} needs ${end} bytes of linear memory ` +
          `(${gib(end)}), beyond the wasm32 limit of ${MAX_MEMORY_BYTES} bytes (4 GiB); pass smaller batches, ` +
          'or plain arrays instead of WasmArrays',
      );
    }
    try {
      this.memory.grow(Math.ceil((end - size) / PAGE));
    } catch (cause) {
      throw new RangeError(`segloss: the runtime refused to grow linear memory from ${size} to ${end} bytes (${gib(end)})`, { cause });
    }
  }

  f32(ptr: number, length: number): Float32Array {
    return new Float32Array(this.memory.buffer, ptr, length);
  }

  f64(ptr: number, length: number): Float64Array {
    return new Float64Array(this.memory.buffer, ptr, length);
  }

  /** A copy of `data` as f32 in the arena. */
  putF32(data: ArrayLike<number>): number {
    const ptr = this.alloc(data.length * 4);
    this.f32(ptr, data.length).set(data);
    return ptr;
  }

}

const gib = (bytes: number) => `${(bytes / 2 ** 30).toFixed(2)} GiB`;

/**
 * A typed array that lives in the backend's linear memory: passed as an input, a target or an `out`
 * buffer, the kernels use it in place, with no copy. Its `view` is re-created whenever the memory
 * has grown, so read `view` again after any segloss call instead of keeping an old one (an old view
 * of grown wasm memory is detached: length 0, and segloss rejects it with a clear error).
 * Call `free()` when done; the memory is reused by later allocations.
 */
export class WasmArray<T extends TypedArray = Float32Array> {
  private cached?: T;
  private freed = false;

  constructor(
    private readonly arena: Arena,
    readonly type: TypedArrayConstructor<T>,
    readonly ptr: number,
    readonly length: number,
  ) {}

  get view(): T {
    if (this.freed) throw new TypeError(`this ${this.type.name} WasmArray was freed`);
    if (this.cached?.buffer !== this.arena.memory.buffer) {
      this.cached = new this.type(this.arena.memory.buffer, this.ptr, this.length);
    }
    return this.cached;
  }

  get isFreed(): boolean {
    return this.freed;
  }

  /** Whether this array lives in the memory of `arena` (one segloss instance). */
  belongsTo(arena: Arena): boolean {
    return this.arena === arena;
  }

  free(): void {
    if (this.freed) return;
    this.freed = true;
    this.cached = undefined;
    this.arena.release(this.ptr);
  }

  /** `using x = seg.alloc(...)` frees it at the end of the block. */
  [dispose](): void {
    this.free();
  }
}
