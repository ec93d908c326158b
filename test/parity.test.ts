// wasm and TypeScript backends give bitwise identical losses and gradients (NaN equals NaN).
import { afterAll, describe, expect, it } from 'vitest';
import { init, type Segloss } from '../src/index.js';
import { backends, elementwise, firstBitDifference, labels, logits, rng } from './helpers.js';

interface Geometry {
  name: string;
  N: number;
  C: number;
  S: number[];
}

const geometries: Geometry[] = [
  { name: 'P=15 (not a multiple of 4)', N: 2, C: 3, S: [3, 5] },
  { name: 'P=1', N: 3, C: 4, S: [1] },
  { name: 'no spatial dims', N: 5, C: 2, S: [] },
  { name: 'C=1', N: 2, C: 1, S: [3, 3] },
  { name: 'C=2', N: 2, C: 2, S: [4, 5] },
  { name: 'C=21', N: 2, C: 21, S: [5, 7] },
  { name: 'C=150', N: 1, C: 150, S: [3, 6] },
  { name: '3-D volume', N: 2, C: 4, S: [3, 4, 5] },
  { name: 'P=299 (tiles of 128 and a short group)', N: 2, C: 5, S: [13, 23] },
  { name: 'C=19, P=1024 (eight full tiles)', N: 1, C: 19, S: [32, 32] },
];

type Call = (seg: Segloss, x: Float32Array, shape: number[], layout: 'NCHW' | 'NHWC') => { loss: unknown; grad?: Float32Array };

function cases(g: Geometry, rand: () => number): [string, Call][] {
  const P = g.S.reduce((a, b) => a * b, 1);
  const { N, C } = g;
  const t = labels(rand, N * P, C, 255, 0.15);
  const t8 = Uint8Array.from(t);
  const t16 = Uint16Array.from(t);
  const tNeg = labels(rand, N * P, C, -100, 0.15);
  const bin = labels(rand, N * P, Math.max(C, 2), 7, 0.1).map((v) => (C === 1 ? v % 2 || (v === 7 ? 7 : 0) : v));
  const dense = Float32Array.from({ length: N * C * P }, () => (rand() < 0.4 ? 1 : 0));
  const soft = Float32Array.from({ length: N * C * P }, () => rand());
  const probs = Float32Array.from({ length: N * C * P }, () => rand());
  const weight = Array.from({ length: C }, () => 0.2 + rand() * 2);
  const list: [string, Call][] = [
    ['crossEntropy int32', (s, x, shape, layout) => s.crossEntropy(x, tNeg, { shape, layout, grad: true })],
    ['crossEntropy uint8 ignore sum', (s, x, shape, layout) => s.crossEntropy(x, t8, { shape, layout, grad: true, ignoreIndex: 255, reduction: 'sum' })],
    ['crossEntropy weight smoothing none', (s, x, shape, layout) =>
      s.crossEntropy(x, t16, { shape, layout, grad: true, ignoreIndex: 255, weight, labelSmoothing: 0.1, reduction: 'none' })],
    ['crossEntropy dense', (s, x, shape, layout) => s.crossEntropy(x, soft, { shape, layout, grad: true, weight, labelSmoothing: 0.05 })],
    ['binaryCrossEntropy dense posWeight', (s, x, shape, layout) =>
      s.binaryCrossEntropy(x, dense, { shape, layout, grad: true, posWeight: weight, weight })],
    ['binaryCrossEntropy index ignore', (s, x, shape, layout) => s.binaryCrossEntropy(x, bin, { shape, layout, grad: true, ignoreIndex: 7 })],
    ['binaryCrossEntropy probabilities', (s, _x, shape, layout) =>
      s.binaryCrossEntropy(probs, soft, { shape, layout, grad: true, fromLogits: false, posWeight: 1.5, reduction: 'none' })],
    ['focal sigmoid', (s, x, shape, layout) => s.focal(x, dense, { shape, layout, grad: true, activation: 'sigmoid', gamma: 1.5 })],
    ['focal sigmoid soft alpha off', (s, x, shape, layout) => s.focal(x, soft, { shape, layout, grad: true, alpha: -1, reduction: 'sum' })],
    ['dice squared', (s, x, shape, layout) => s.dice(x, t, { shape, layout, grad: true, ignoreIndex: 255 })],
    ['dice batch weight', (s, x, shape, layout) =>
      s.dice(x, dense, { shape, layout, grad: true, squared: false, perSample: false, weight, smoothNumerator: 1, smoothDenominator: 1 })],
    ['dice sigmoid', (s, x, shape, layout) => s.dice(x, dense, { shape, layout, grad: true, activation: 'sigmoid', reduction: 'none' })],
    ['iou none activation', (s, _x, shape, layout) => s.iou(probs, dense, { shape, layout, grad: true, activation: 'none', squared: false })],
    ['tversky focal', (s, x, shape, layout) => s.tversky(x, t8, { shape, layout, grad: true, alpha: 0.7, beta: 0.3, gamma: 0.75, ignoreIndex: 255 })],
  ];
  if (C > 1) {
    list.push(
      ['focal softmax alpha', (s, x, shape, layout) => s.focal(x, tNeg, { shape, layout, grad: true, alpha: weight })],
      ['iou no background', (s, x, shape, layout) => s.iou(x, t16, { shape, layout, grad: true, includeBackground: false, ignoreIndex: 255 })],
      ['combined', (s, x, shape, layout) =>
        s.combined(x, t, { shape, layout, grad: true, ignoreIndex: 255, terms: [{ loss: 'crossEntropy', weight: 0.5 }, { loss: 'dice', weight: 0.5, squared: false }] })],
    );
  }
  return list;
}

describe('wasm and TypeScript give the same bits', async () => {
  const wasm = await backends.wasm;
  const js = await backends.js;
  for (const g of geometries) {
    describe(g.name, () => {
      const rand = rng(g.C * 1000 + g.N);
      const P = g.S.reduce((a, b) => a * b, 1);
      const x = logits(rand, g.N * g.C * P);
      x[0] = 40; // saturated logits next to ordinary ones
      if (x.length > 2) x[2] = -40;
      for (const [name, call] of cases(g, rand)) {
        for (const layout of ['NCHW', 'NHWC'] as const) {
          it(`${name} ${layout}`, () => {
            const shape = layout === 'NCHW' ? [g.N, g.C, ...g.S] : [g.N, ...g.S, g.C];
            const a = call(wasm, x, shape, layout);
            const b = call(js, x, shape, layout);
            expect(firstBitDifference(a.loss as number, b.loss as number)).toBe(-1);
            expect(a.grad).toBeDefined();
            expect(firstBitDifference(a.grad!, b.grad!)).toBe(-1);
            if ('terms' in a) expect(a.terms).toEqual((b as typeof a).terms);
          });
        }
      }
    });
  }

  it('exp and log kernels agree on specials and across the range', () => {
    const specials = [0, -0, 1, -1, 1e-45, 1e-38, 1.1754942e-38, 0.5, 2, 88, 89, -87.3, -87.4, -103, -200, 1e30, 3.4e38, Infinity, -Infinity, NaN];
    const rand = rng(7);
    const xs = Float32Array.from([...specials, ...Array.from({ length: 4001 }, () => (rand() - 0.7) * 200)]);
    for (const kernel of ['expArray', 'logArray'] as const) {
      const outs = [wasm, js].map((s) => elementwise(s, kernel, xs));
      expect(firstBitDifference(outs[0], outs[1])).toBe(-1);
    }
  });
});

describe.each([2, 3, 8])('%i threads give the bits of TypeScript (copying and zero-copy inputs)', async (threads) => {
  const js = await backends.js;
  const seg = await init({ threads });
  afterAll(() => seg.dispose());
  it('runs a pool', () => expect(seg.threads).toBe(threads));
  for (const g of geometries) {
    describe(g.name, () => {
      const rand = rng(g.C * 1000 + g.N);
      const P = g.S.reduce((a, b) => a * b, 1);
      const x = logits(rand, g.N * g.C * P);
      x[0] = 40;
      if (x.length > 2) x[2] = -40;
      for (const [name, call] of cases(g, rand)) {
        for (const layout of ['NCHW', 'NHWC'] as const) {
          it(`${name} ${layout}`, () => {
            const shape = layout === 'NCHW' ? [g.N, g.C, ...g.S] : [g.N, ...g.S, g.C];
            const b = call(js, x, shape, layout);
            const a = call(seg, x, shape, layout);
            expect(firstBitDifference(a.loss as number, b.loss as number)).toBe(-1);
            expect(firstBitDifference(a.grad!, b.grad!)).toBe(-1);
            if ('terms' in a) expect(a.terms).toEqual((b as typeof a).terms);
            const zx = seg.alloc(Float32Array, x.length);
            zx.view.set(x);
            const z = call(seg, zx as unknown as Float32Array, shape, layout);
            expect(firstBitDifference(z.loss as number, b.loss as number)).toBe(-1);
            expect(firstBitDifference(z.grad!, b.grad!)).toBe(-1);
            zx.free();
          });
        }
      }
    });
  }
});

describe('wasm and TypeScript give the same confusion counts', async () => {
  const wasm = await backends.wasm;
  const js = await backends.js;
  for (const g of geometries) {
    for (const layout of ['NCHW', 'NHWC'] as const) {
      it(`${g.name} ${layout}`, () => {
        const rand = rng(g.C * 2000 + g.N);
        const P = g.S.reduce((a, b) => a * b, 1);
        const x = logits(rand, g.N * g.C * P);
        for (let i = 0; i < x.length; i += 7) x[i] = i % 3 ? Math.round(x[i]) : NaN; // ties and NaN
        const K = g.C === 1 ? 2 : g.C;
        const t = Uint8Array.from(labels(rand, g.N * P, K, 255, 0.15));
        const shape = layout === 'NCHW' ? [g.N, g.C, ...g.S] : [g.N, ...g.S, g.C];
        for (const perSample of [false, true]) {
          const o = { shape, layout, ignoreIndex: 255, perSample };
          const a = [wasm.confusionMatrix(x, t, o)].flat();
          const b = [js.confusionMatrix(x, t, o)].flat();
          expect(a.map((m) => Array.from(m.counts))).toEqual(b.map((m) => Array.from(m.counts)));
        }
        const p = Int32Array.from(labels(rand, g.N * P, K));
        const o = { shape: [g.N, ...g.S], numClasses: K, ignoreIndex: 255 };
        expect(Array.from(wasm.confusionMatrix(p, t, o).counts)).toEqual(Array.from(js.confusionMatrix(p, t, o).counts));
      });
    }
  }
});
