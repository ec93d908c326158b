// The TypeScript backend's linear memory: the same byte-offset pointers as the wasm kernels, over an
// ArrayBuffer that grows like WebAssembly.Memory (64 KiB pages, re-created on growth).
import type { LinearMemory } from '../memory.js';
import { BLOCK, TILE } from '../abi.js';

const PAGE = 65536;

export class Heap implements LinearMemory {
  buffer: ArrayBuffer;
  private cached?: { buffer: ArrayBuffer; f32: Float32Array; i32: Int32Array; f64: Float64Array };

  constructor(pages = 1) {
    this.buffer = new ArrayBuffer(pages * PAGE);
  }

  grow(pages: number): number {
    const before = this.buffer.byteLength / PAGE;
    const next = new ArrayBuffer(this.buffer.byteLength + pages * PAGE);
    // transferring detaches the old buffer, as a wasm memory.grow does: stale views read nothing
    new Uint8Array(next).set(new Uint8Array(structuredClone(this.buffer, { transfer: [this.buffer] })));
    this.buffer = next;
    return before;
  }

  views(): { f32: Float32Array; i32: Int32Array; f64: Float64Array } {
    if (this.cached?.buffer !== this.buffer) {
      const b = this.buffer;
      this.cached = { buffer: b, f32: new Float32Array(b), i32: new Int32Array(b), f64: new Float64Array(b) };
    }
    return this.cached;
  }
}

// The four per-lane f64 accumulators of assembly/common.ts, combined as (a0 + a1) + (a2 + a3), kept in
// the scratch where the wasm keeps them (a block streamed through windows carries them to the next).
// Pixel i of a sample is lane i & 3. The wasm also adds 0 for the masked lanes of a short group;
// that changes nothing, since an accumulator that starts at +0 can never become -0.
export class LaneSums {
  private readonly lanes: Float64Array;
  constructor(heap: Heap, at: number) {
    this.lanes = heap.views().f64.subarray(at >>> 3, (at >>> 3) + 4);
  }
  reset(): void {
    this.lanes.fill(0);
  }
  add(pixel: number, value: number): void {
    this.lanes[pixel & 3] += value;
  }
  total(): number {
    const a = this.lanes;
    return (a[0] + a[1]) + (a[2] + a[3]);
  }
}

/** The pixel range and block fields of a kernel's arguments (assembly/args.ts). */
interface Span {
  N: number;
  P: number;
  first: number;
  last: number;
  origin: number;
  pixels: number;
  carrySample: number;
}

/**
 * The tiles of a call in the kernels' order: sample n, its pixels [i0, i1) (in memory), whether the
 * tile starts a block (its sums from 0) and whether it ends one (its sums written, to the `block`-th
 * slot of the call's output).
 */
export function forTiles(a: Span, body: (n: number, i0: number, i1: number, starts: boolean, ends: boolean, block: number) => void): void {
  let block = 0;
  let starts = !a.carrySample;
  for (let n = 0; n < a.N; n++) {
    const end = n === a.N - 1 ? a.last : a.P;
    if (n > 0) starts = true;
    for (let i0 = n === 0 ? a.first : 0; i0 < end; i0 += TILE) {
      const i1 = Math.min(end, i0 + TILE);
      const q = a.origin + i1;
      const ends = q % BLOCK === 0 || q === a.pixels;
      body(n, i0, i1, starts, ends, block);
      if (ends) block++;
      starts = ends;
    }
  }
}
