// Arrays kept in the backend's memory (seg.alloc) are used in place as input, target and gradient:
// every zero-copy case of the loss tables (test/cases/), then the buffers' own rules.
import { afterEach, describe, expect, it } from 'vitest';
import { type InitOptions, type Segloss, init as initSegloss } from '../src/index.js';
import { casesOf } from './cases/index.js';
import { firstBitDifference, labels, logits, rng } from './helpers.js';

const N = 2;
const C = 21;
const H = 64;
const W = 64;
const P = H * W;
const shape = [N, C, H, W];

/** init(), and the instance's pool (threads 'auto' by default) ends after the test. */
const opened: Segloss[] = [];
async function init(options: InitOptions): Promise<Segloss> {
  const seg = await initSegloss(options);
  opened.push(seg);
  return seg;
}
afterEach(() => opened.splice(0).forEach((s) => s.dispose()));

/** The zero-copy cases of every loss's table (test/cases/). */
const zeroCopy = casesOf('zeroCopy').map(({ case: c }) => c);

describe.each(['wasm', 'js'] as const)('%s zero-copy buffers', (backend) => {
  it.each(zeroCopy.map((c) => [c.name, c] as const))(
    '%s gives the same bits as the copying path, with the gradient written in place',
    async (_, c) => {
      const seg = await init({ backend });
      const rand = rng(3);
      const x = logits(rand, N * C * P);
      const t = labels(rand, N * P, C, 255);
      const y = Float32Array.from(x, (v) => (v > 1 ? 1 : 0));
      const input = seg.alloc(Float32Array, x.length);
      const target = c.target === 'index' ? seg.alloc(Int32Array, t.length) : seg.alloc(Float32Array, y.length);
      const out = seg.alloc(Float32Array, x.length);
      input.view.set(x);
      target.view.set(c.target === 'index' ? t : y);
      // grows memory first; a returned in-place gradient is a view, so the copy is made before it
      const copied = c.run(seg, x, c.target === 'index' ? t : y, { shape, grad: true });
      const inPlace = c.run(seg, input, target, { shape, out });
      expect(firstBitDifference(copied.loss as number, inPlace.loss as number), c.name).toBe(-1);
      expect(inPlace.grad).toBe(out.view);
      expect(firstBitDifference(copied.grad!, out.view), c.name).toBe(-1);
      expect(inPlace.terms).toEqual(copied.terms);
    },
  );

  it('keep peak memory near the bytes of logits, labels and gradient (one thread)', async () => {
    const seg = await init({ backend, threads: 1 });
    const rand = rng(4);
    const input = seg.alloc(Float32Array, N * C * P);
    const target = seg.alloc(Int32Array, N * P);
    const out = seg.alloc(Float32Array, N * C * P);
    input.view.set(logits(rand, N * C * P));
    target.view.set(labels(rand, N * P, C));
    const payload = (2 * N * C * P + N * P) * 4;
    const peak = zeroCopy.filter((c) => c.peakMemory);
    expect(peak.length).toBeGreaterThan(0);
    for (const c of [...peak, ...peak]) {
      c.run(seg, input, target, { shape, out });
      expect(seg.memoryBytes, c.name).toBeLessThanOrEqual(1.1 * payload);
    }
  });

  it('write the gradient into a caller-supplied Float32Array', async () => {
    const seg = await init({ backend });
    const rand = rng(5);
    const x = logits(rand, N * C * P);
    const t = labels(rand, N * P, C);
    const out = new Float32Array(x.length);
    const r = seg.dice(x, t, { shape, out });
    expect(r.grad).toBe(out);
    expect(firstBitDifference(out, seg.dice(x, t, { shape, grad: true }).grad!)).toBe(-1);
  });

  it('keep WasmArray valid across memory growth; a stale view fails loudly (one thread: non-shared memory detaches)', async () => {
    const seg = await init({ backend, threads: 1 });
    const rand = rng(6);
    const x = logits(rand, N * C * P);
    const t = labels(rand, N * P, C);
    const input = seg.alloc(Float32Array, x.length);
    input.view.set(x);
    const stale = input.view;
    const before = seg.memoryBytes;
    const big = seg.alloc(Float32Array, 4_000_000); // grows the memory
    expect(seg.memoryBytes).toBeGreaterThan(before);
    expect(stale.length).toBe(0); // detached, never silently zeros
    expect(() => seg.crossEntropy(stale, t, { shape })).toThrow(/detached/);
    expect(firstBitDifference(input.view, x)).toBe(-1);
    expect(seg.crossEntropy(input, t, { shape }).loss).toBe(seg.crossEntropy(x, t, { shape }).loss);
    big.free();
  });

  it('reuse freed blocks and reject freed or overlapping buffers', async () => {
    const seg = await init({ backend });
    const a = seg.alloc(Float32Array, 100_000);
    const grown = seg.memoryBytes;
    for (let i = 0; i < 100; i++) {
      a.free();
      const b = seg.alloc(Float32Array, 100_000);
      expect(b.ptr).toBe(a.ptr);
      b.free();
    }
    expect(seg.memoryBytes).toBe(grown);
    expect(() => seg.dice(a, new Int32Array(1), { shape: [1, 1, 100_000] })).toThrow(/input is a WasmArray that was freed/);
    const x = seg.alloc(Float32Array, 8);
    expect(() => seg.crossEntropy(x, new Int32Array(4), { shape: [1, 2, 4], out: x })).toThrow(/out must not overlap input/);
    expect(() => seg.crossEntropy(x, new Int32Array(4), { shape: [1, 2, 4], out: new Float32Array(7) })).toThrow(
      /out must have the input's length 8, got 7/,
    );
    expect(() => seg.alloc(Float64Array as never, 3)).toThrow(TypeError);
  });
});
