// wasm and TypeScript backends give bitwise identical losses and gradients (NaN equals NaN), for every
// parity case of the loss tables (test/cases/) on every geometry below, in both layouts.
import { availableParallelism } from 'node:os';
import { afterAll, describe, expect, it } from 'vitest';
import { init } from '../src/index.js';
import { type ParityCase, type ParityData, casesOf, drawParityData as draw } from './cases/index.js';
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
  { name: 'P=16500 (two blocks of 16384 pixels, the second short)', N: 2, C: 2, S: [16500] },
];

/** The parity cases of every loss's table (test/cases/), those of multi-class losses only where C > 1. */
const parity = casesOf('parity');

type Compare = (c: ParityCase, x: Float32Array, base: { shape: number[]; layout: 'NCHW' | 'NHWC'; grad: true }, d: ParityData) => void;

/** One test per geometry (of those `only` keeps), parity case and layout, on the geometry's logits (saturated ones included). */
function eachCase(compare: Compare, only?: (g: Geometry) => boolean): void {
  for (const g of only ? geometries.filter(only) : geometries) {
    describe(g.name, () => {
      const rand = rng(g.C * 1000 + g.N);
      const P = g.S.reduce((a, b) => a * b, 1);
      const x = logits(rand, g.N * g.C * P);
      x[0] = 40; // saturated logits next to ordinary ones
      if (x.length > 2) x[2] = -40;
      const d = draw(g, rand);
      for (const { case: c } of parity) {
        if (c.multiClass && g.C === 1) continue;
        for (const layout of ['NCHW', 'NHWC'] as const) {
          const shape = layout === 'NCHW' ? [g.N, g.C, ...g.S] : [g.N, ...g.S, g.C];
          it(`${c.name} ${layout}`, () => compare(c, x, { shape, layout, grad: true }, d));
        }
      }
    });
  }
}

function expectSameBits(a: { loss: unknown; grad?: Float32Array; terms?: number[] }, b: typeof a): void {
  expect(firstBitDifference(a.loss as number, b.loss as number)).toBe(-1);
  expect(a.grad).toBeDefined();
  expect(firstBitDifference(a.grad!, b.grad!)).toBe(-1);
  if ('terms' in a) expect(a.terms).toEqual(b.terms);
}

describe('wasm and TypeScript give the same bits', async () => {
  const wasm = await backends.wasm;
  const js = await backends.js;
  eachCase((c, x, base, d) => expectSameBits(c.run(wasm, x, base, d), c.run(js, x, base, d)));

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

describe('the softmax exp in its tail (src/fallback/math.ts expNonPositive)', async () => {
  const wasm = await backends.wasm;
  const js = await backends.js;
  // one pixel per sample, logit 0 beside one 87-200 nats below: e^-87.6 is a subnormal, and below
  // -87.683 (where 2^n, n = -127, is +0) the exp is exactly +0
  const below = [87.2, 87.34, 87.4, 87.6, 87.67, 87.7, 87.9, 88, 88.01, 90, 200, Infinity];
  const x = Float32Array.from(below.flatMap((d) => [0, -d]));
  const target = new Int32Array(below.length);
  const o = { shape: [below.length, 2], reduction: 'sum' as const, grad: true as const };
  it('cross entropy: the same bits, d loss / d x_1 = p_1 = e^-d down to -87.683 and +0 below', () => {
    const [a, b] = [wasm, js].map((s) => s.crossEntropy(x, target, o));
    expect(firstBitDifference(a.grad!, b.grad!)).toBe(-1);
    below.forEach((d, n) => {
      const p1 = a.grad![2 * n + 1];
      if (d > 87.683) expect(p1).toBe(0);
      else expect(Math.abs(p1 / Math.exp(Math.fround(-d)) - 1)).toBeLessThan(d > 87.336548 ? 1e-2 : 1e-6); // subnormals keep fewer bits
    });
  });
  it('every softmax and sigmoid loss: the same bits', () => {
    for (const run of [
      (s: typeof wasm) => s.focal(x, target, o),
      (s: typeof wasm) => s.dice(x, target, o),
      (s: typeof wasm) => s.lovaszSoftmax(x, target, o),
      (s: typeof wasm) => s.binaryCrossEntropy(x, Float32Array.from(x, (_, i) => i & 1), { shape: [x.length, 1], grad: true }),
    ]) {
      const [a, b] = [wasm, js].map(run);
      expectSameBits(a, b);
    }
  });
});

/** What init() runs on by default here: threads 'auto', the hardware concurrency capped at 8. */
const AUTO = Math.min(8, availableParallelism());

/** The default's run: three geometries of several samples (so every call splits), fewer than the
 *  explicit counts above, which cover every geometry. */
const splitting = (g: Geometry) => g.name === '3-D volume' || g.name === 'C=21' || g.name.startsWith('P=299');

describe.each([
  ['init({ threads: 2 })', { threads: 2 }, 2, undefined],
  ['init({ threads: 3 })', { threads: 3 }, 3, undefined],
  ['init({ threads: 8 })', { threads: 8 }, 8, undefined],
  [`init() (threads 'auto': ${AUTO} here)`, {}, AUTO, splitting],
] as const)('%s gives the bits of TypeScript (copying and zero-copy inputs)', async (_, options, threads, only) => {
  const js = await backends.js;
  const seg = await init(options);
  afterAll(() => seg.dispose());
  it(`runs ${threads} thread(s)`, () => expect(seg.threads).toBe(threads));
  eachCase((c, x, base, d) => {
    const b = c.run(js, x, base, d);
    expectSameBits(c.run(seg, x, base, d), b);
    const zx = seg.alloc(Float32Array, x.length);
    zx.view.set(x);
    expectSameBits(c.run(seg, zx as unknown as Float32Array, base, d), b);
    zx.free();
  }, only);
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
