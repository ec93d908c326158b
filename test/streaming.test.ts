// The copying path streams a batch through a window of the backend's memory, carrying a sample's lane
// sums from one window to the next. Whatever the window's size and the thread count, the bits are those
// of one pass on one thread: here the smallest window (one tile of 128 pixels) and one window holding the
// whole batch, on 1, 2, 3 and 8 threads, against one window on one thread.
import { afterAll, describe, expect, it } from 'vitest';
import { init, type Segloss } from '../src/index.js';
import { firstBitDifference, labels, logits, oneHot, rng } from './helpers.js';

type Call = (s: Segloss, x: Float32Array, shape: number[], layout: 'NCHW' | 'NHWC') => { loss: unknown; grad?: Float32Array; terms?: number[] };

const geometries = [
  { N: 3, C: 4, S: [7, 45] }, // P = 315: samples cut into windows mid-sample, a short last group
  { N: 5, C: 3, S: [2, 3] }, // P = 6: several samples per window
  { N: 2, C: 1, S: [300] }, // one channel
  { N: 2, C: 19, S: [16, 16] }, // P = 256: windows on sample boundaries
];

function calls(N: number, C: number, P: number, rand: () => number): [string, Call][] {
  const t = labels(rand, N * P, C, 255, 0.2);
  const bin = Int32Array.from(t, (v) => (v === 255 ? 255 : v % 2));
  const dense = oneHot(t, N, C, P);
  const probs = Float32Array.from({ length: N * C * P }, () => rand());
  const weight = Array.from({ length: C }, () => 0.5 + rand());
  const list: [string, Call][] = [
    ['crossEntropy', (s, x, shape, layout) => s.crossEntropy(x, t, { shape, layout, ignoreIndex: 255, weight, grad: true })],
    ['crossEntropy none', (s, x, shape, layout) => s.crossEntropy(x, Uint8Array.from(t), { shape, layout, ignoreIndex: 255, reduction: 'none', grad: true })],
    ['crossEntropy dense smoothing', (s, x, shape, layout) => s.crossEntropy(x, dense, { shape, layout, labelSmoothing: 0.1, grad: true })],
    ['binaryCrossEntropy index', (s, x, shape, layout) => s.binaryCrossEntropy(x, C === 1 ? bin : t, { shape, layout, ignoreIndex: 255, posWeight: 2, grad: true })],
    ['binaryCrossEntropy none', (s, x, shape, layout) => s.binaryCrossEntropy(x, dense, { shape, layout, reduction: 'none', grad: true })],
    ['focal sigmoid', (s, x, shape, layout) => s.focal(x, dense, { shape, layout, activation: 'sigmoid', grad: true })],
    ['dice', (s, x, shape, layout) => s.dice(x, C === 1 ? bin : t, { shape, layout, ignoreIndex: 255, grad: true })],
    ['dice pooled, no gradient', (s, x, shape, layout) => s.dice(x, dense, { shape, layout, perSample: false, squared: false })],
    ['iou probabilities', (s, _x, shape, layout) => s.iou(probs, dense, { shape, layout, activation: 'none', grad: true })],
    ['tversky sigmoid', (s, x, shape, layout) => s.tversky(x, dense, { shape, layout, activation: 'sigmoid', alpha: 0.7, beta: 0.3, grad: true })],
  ];
  if (C > 1) {
    list.push(
      ['focal softmax', (s, x, shape, layout) => s.focal(x, t, { shape, layout, ignoreIndex: 255, gamma: 1.5, grad: true })],
      ['combined, shared softmax', (s, x, shape, layout) =>
        s.combined(x, t, { shape, layout, ignoreIndex: 255, grad: true, terms: [{ loss: 'crossEntropy', weight: 0.5 }, { loss: 'dice', weight: 0.5, squared: false }] })],
      ['combined, three terms', (s, x, shape, layout) =>
        s.combined(x, t, { shape, layout, ignoreIndex: 255, grad: true, terms: [{ loss: 'crossEntropy' }, { loss: 'focal', weight: 0.5 }, { loss: 'iou', weight: 0.25 }] })],
    );
  }
  return list;
}

describe.each([
  ['wasm', 1], ['js', 1], ['wasm', 2], ['wasm', 3], ['wasm', 8],
] as const)('%s, %i threads: streaming through a window gives the bits of one pass on one thread', async (backend, threads) => {
  const whole = await init({ backend });
  whole.host.windowBytes = 2 ** 31; // the whole batch in one window
  const tiny = await init({ backend, threads });
  tiny.host.windowBytes = 1; // one tile per window
  const wholeThreads = await init({ backend, threads });
  wholeThreads.host.windowBytes = 2 ** 31;
  afterAll(() => [tiny, wholeThreads].forEach((s) => s.dispose()));
  for (const { N, C, S } of geometries) {
    const P = S.reduce((a, b) => a * b, 1);
    const rand = rng(N * 100 + C);
    const x = logits(rand, N * C * P);
    for (const [name, call] of calls(N, C, P, rand)) {
      for (const layout of ['NCHW', 'NHWC'] as const) {
        it(`${name}, [${N}, ${C}, ${S}] ${layout}`, () => {
          const shape = layout === 'NCHW' ? [N, C, ...S] : [N, ...S, C];
          const a = call(whole, x, shape, layout);
          for (const seg of [tiny, wholeThreads]) {
            const b = call(seg, x, shape, layout);
            expect(firstBitDifference(a.loss as number, b.loss as number)).toBe(-1);
            if (a.grad) expect(firstBitDifference(a.grad, b.grad!)).toBe(-1);
            expect(a.terms).toEqual(b.terms);
          }
        });
      }
    }
  }

  it('keeps the copying path in bounded memory: a 64 MB batch leaves wasm memory far below it', async () => {
    const seg = await init({ backend });
    const [N, C, P] = [2, 8, 1 << 20];
    const rand = rng(3);
    const x = Float32Array.from({ length: N * C * P }, () => rand() * 4 - 2);
    const t = Uint8Array.from({ length: N * P }, () => Math.floor(rand() * C));
    const out = new Float32Array(x.length);
    const r = seg.crossEntropy(x, t, { shape: [N, C, P], out });
    expect(r.grad).toBe(out);
    seg.dice(x, t, { shape: [N, C, P], out });
    expect(seg.memoryBytes).toBeLessThan(8 * 2 ** 20); // the window, labels scratch and per-class sums
  });
});
