// Arrays kept in the backend's memory (seg.alloc) are used in place as input, target and gradient.
import { describe, expect, it } from 'vitest';
import { init } from '../src/index.js';
import { firstBitDifference, labels, logits, rng } from './helpers.js';

const N = 2;
const C = 21;
const H = 64;
const W = 64;
const P = H * W;
const shape = [N, C, H, W];

describe.each(['wasm', 'js'] as const)('%s zero-copy buffers', (backend) => {
  it('give the same bits as the copying path, with the gradient written in place', async () => {
    const seg = await init({ backend });
    const rand = rng(3);
    const x = logits(rand, N * C * P);
    const t = labels(rand, N * P, C, 255);
    const input = seg.alloc(Float32Array, x.length);
    const target = seg.alloc(Int32Array, t.length);
    const out = seg.alloc(Float32Array, x.length);
    input.view.set(x);
    target.view.set(t);
    for (const loss of ['crossEntropy', 'focal', 'dice', 'iou'] as const) {
      const copied = seg[loss](x, t, { shape, ignoreIndex: 255, grad: true }); // grows memory first
      const inPlace = seg[loss](input, target, { shape, ignoreIndex: 255, out });
      expect(firstBitDifference(copied.loss as number, inPlace.loss as number), loss).toBe(-1);
      expect(inPlace.grad).toBe(out.view);
      expect(firstBitDifference(copied.grad!, out.view), loss).toBe(-1);
    }
    const y = Float32Array.from(x, (v) => (v > 1 ? 1 : 0));
    const dense = seg.alloc(Float32Array, y.length);
    dense.view.set(y);
    // a returned in-place gradient is a view: read it before a later call may grow the memory
    const reference = seg.binaryCrossEntropy(x, y, { shape, grad: true }).grad!;
    const bce = seg.binaryCrossEntropy(input, dense, { shape, out });
    expect(firstBitDifference(bce.grad!, reference)).toBe(-1);
    const both = seg.combined(input, target, { shape, out, ignoreIndex: 255, terms: [{ loss: 'crossEntropy' }, { loss: 'dice' }] });
    expect(both.grad).toBe(out.view);
  });

  it('keep peak memory near the bytes of logits, labels and gradient', async () => {
    const seg = await init({ backend });
    const rand = rng(4);
    const input = seg.alloc(Float32Array, N * C * P);
    const target = seg.alloc(Int32Array, N * P);
    const out = seg.alloc(Float32Array, N * C * P);
    input.view.set(logits(rand, N * C * P));
    target.view.set(labels(rand, N * P, C));
    seg.crossEntropy(input, target, { shape, out });
    const payload = (2 * N * C * P + N * P) * 4;
    expect(seg.memoryBytes).toBeLessThanOrEqual(1.1 * payload);
    for (const loss of ['dice', 'focal', 'crossEntropy'] as const) seg[loss](input, target, { shape, out });
    expect(seg.memoryBytes).toBeLessThanOrEqual(1.1 * payload);
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

  it('keep WasmArray valid across memory growth; a stale view fails loudly', async () => {
    const seg = await init({ backend });
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
