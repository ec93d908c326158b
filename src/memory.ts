// Linear memory shared by TypeScript and the kernels. TypeScript owns it: it places every array the
// kernels read or write, grows the memory when a call needs more, and re-creates its views after a
// grow (growing detaches the old ArrayBuffer). Each call rewinds the arena to where it started, so
// memory stays at the high-water mark of the largest call instead of growing with the call count.

export interface LinearMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}

const PAGE = 65536;

export class Arena {
  private top: number;

  constructor(
    readonly memory: LinearMemory,
    private readonly base: number,
  ) {
    this.top = base;
  }

  /** Start of a call: everything allocated by the previous call is free again. */
  reset(): void {
    this.top = this.base;
  }

  /** 16-aligned block of `bytes` bytes; its contents are unspecified. */
  alloc(bytes: number): number {
    const ptr = (this.top + 15) & ~15;
    const end = ptr + bytes;
    const size = this.memory.buffer.byteLength;
    if (end > size) {
      try {
        this.memory.grow(Math.ceil((end - size) / PAGE));
      } catch (cause) {
        throw new RangeError(`segloss: cannot grow memory to ${end} bytes`, { cause });
      }
    }
    this.top = end;
    return ptr;
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

  /** A copy of `data` as i32 in the arena (any integer typed array). */
  putI32(data: ArrayLike<number>): number {
    const ptr = this.alloc(data.length * 4);
    new Int32Array(this.memory.buffer, ptr, data.length).set(data);
    return ptr;
  }
}
