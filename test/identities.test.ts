// Identities between losses, layouts and target types that must hold on both backends.
import { describe, expect, it } from 'vitest';
import { backends, firstBitDifference, labels, logits, oneHot, rng, toNCHW, toNHWC, worstRatio } from './helpers.js';

const N = 2;
const C = 5;
const S = [3, 7];
const P = 21;
const shape = [N, C, ...S];
const rand = rng(2024);
const x = logits(rand, N * C * P);
const t = labels(rand, N * P, C, 255, 0.15);
const tFull = labels(rand, N * P, C);
const dense = Float32Array.from({ length: N * C * P }, () => (rand() < 0.3 ? 1 : 0));
const probs = Float32Array.from({ length: N * C * P }, () => rand());

const close = (a: Float32Array | number, b: Float32Array | number, rel: number, abs: number) => {
  const A = typeof a === 'number' ? [a] : a;
  const B = typeof b === 'number' ? [b] : b;
  return worstRatio(A, B, abs, rel).ratio;
};

describe.each(['wasm', 'js'] as const)('%s identities', async (name) => {
  const seg = await backends[name];

  it('softmax focal with gamma 0 and no alpha is cross entropy, to the bit', () => {
    const a = seg.focal(x, t, { shape, gamma: 0, ignoreIndex: 255, grad: true });
    const b = seg.crossEntropy(x, t, { shape, ignoreIndex: 255, grad: true });
    expect(firstBitDifference(a.loss as number, b.loss as number)).toBe(-1);
    expect(firstBitDifference(a.grad!, b.grad!)).toBe(-1);
  });

  it('sigmoid focal with gamma 0 and alpha disabled is binary cross entropy, to the bit', () => {
    const a = seg.focal(x, dense, { shape, gamma: 0, alpha: -1, grad: true });
    const b = seg.binaryCrossEntropy(x, dense, { shape, grad: true });
    expect(firstBitDifference(a.loss as number, b.loss as number)).toBe(-1);
    expect(firstBitDifference(a.grad!, b.grad!)).toBe(-1);
  });

  it('tversky (0.5, 0.5) is unsquared dice without smoothing', () => {
    const o = { shape, smoothNumerator: 0, smoothDenominator: 0, grad: true, ignoreIndex: 255 };
    const a = seg.tversky(x, t, { ...o, alpha: 0.5, beta: 0.5 });
    const b = seg.dice(x, t, { ...o, squared: false });
    expect(close(a.loss as number, b.loss as number, 1e-12, 0)).toBeLessThanOrEqual(1);
    expect(close(a.grad!, b.grad!, 1e-5, 1e-9)).toBeLessThanOrEqual(1);
  });

  it('tversky (1, 1) is iou, with any smoothing', () => {
    for (const [sn, sd] of [[0, 1e-6], [1, 1], [0.3, 2]]) {
      const o = { shape, smoothNumerator: sn, smoothDenominator: sd, grad: true };
      const a = seg.tversky(x, dense, { ...o, alpha: 1, beta: 1 });
      const b = seg.iou(x, dense, { ...o, squared: false });
      expect(close(a.loss as number, b.loss as number, 1e-12, 0)).toBeLessThanOrEqual(1);
      expect(close(a.grad!, b.grad!, 1e-5, 1e-9)).toBeLessThanOrEqual(1);
    }
  });

  it('NHWC on transposed data equals NCHW, to the bit', () => {
    const xh = toNHWC(x, N, C, P);
    const dh = toNHWC(dense, N, C, P);
    const shapeH = [N, ...S, C];
    const pairs: [string, (layout: 'NCHW' | 'NHWC') => { loss: number | Float32Array; grad?: Float32Array }][] = [
      ['crossEntropy', (l) => seg.crossEntropy(l === 'NCHW' ? x : xh, t, { shape: l === 'NCHW' ? shape : shapeH, layout: l, ignoreIndex: 255, labelSmoothing: 0.1, grad: true })],
      ['binaryCrossEntropy', (l) => seg.binaryCrossEntropy(l === 'NCHW' ? x : xh, l === 'NCHW' ? dense : dh, { shape: l === 'NCHW' ? shape : shapeH, layout: l, posWeight: [1, 2, 3, 4, 5], grad: true })],
      ['focal', (l) => seg.focal(l === 'NCHW' ? x : xh, t, { shape: l === 'NCHW' ? shape : shapeH, layout: l, ignoreIndex: 255, grad: true })],
      ['dice', (l) => seg.dice(l === 'NCHW' ? x : xh, t, { shape: l === 'NCHW' ? shape : shapeH, layout: l, ignoreIndex: 255, grad: true })],
      ['iou', (l) => seg.iou(l === 'NCHW' ? x : xh, l === 'NCHW' ? dense : dh, { shape: l === 'NCHW' ? shape : shapeH, layout: l, activation: 'sigmoid', grad: true })],
      ['tversky', (l) => seg.tversky(l === 'NCHW' ? x : xh, t, { shape: l === 'NCHW' ? shape : shapeH, layout: l, ignoreIndex: 255, alpha: 0.3, beta: 0.7, grad: true })],
    ];
    for (const [loss, run] of pairs) {
      const a = run('NCHW');
      const b = run('NHWC');
      expect(firstBitDifference(a.loss as number, b.loss as number), loss).toBe(-1);
      expect(firstBitDifference(a.grad!, toNCHW(b.grad!, N, C, P)), loss).toBe(-1);
    }
  });

  it('uint8, uint16 and int32 targets agree, to the bit', () => {
    for (const loss of ['crossEntropy', 'focal', 'dice', 'iou', 'tversky'] as const) {
      const [a, b, c] = [Uint8Array, Uint16Array, Int32Array].map((T) =>
        seg[loss](x, T.from(t), { shape, ignoreIndex: 255, grad: true }),
      );
      for (const other of [b, c]) {
        expect(firstBitDifference(a.loss as number, other.loss as number), loss).toBe(-1);
        expect(firstBitDifference(a.grad!, other.grad!), loss).toBe(-1);
      }
    }
  });

  it('one-hot dense targets equal index targets', () => {
    const y = oneHot(tFull, N, C, P);
    for (const loss of ['dice', 'iou', 'tversky'] as const) {
      const a = seg[loss](x, tFull, { shape, grad: true });
      const b = seg[loss](x, y, { shape, grad: true });
      expect(firstBitDifference(a.loss as number, b.loss as number), loss).toBe(-1);
      expect(firstBitDifference(a.grad!, b.grad!), loss).toBe(-1);
    }
    const multi = seg.binaryCrossEntropy(x, tFull, { shape, grad: true });
    const multiDense = seg.binaryCrossEntropy(x, y, { shape, grad: true });
    expect(firstBitDifference(multi.loss as number, multiDense.loss as number)).toBe(-1);
    expect(firstBitDifference(multi.grad!, multiDense.grad!)).toBe(-1);
    // cross entropy: the dense path rounds differently (w y log-sum-exp form), same value to f32 accuracy
    const weight = [1, 2, 0.5, 1, 3];
    const ce = seg.crossEntropy(x, tFull, { shape, grad: true, weight, reduction: 'sum' });
    const ceDense = seg.crossEntropy(x, y, { shape, grad: true, weight, reduction: 'sum' });
    expect(close(ce.loss as number, ceDense.loss as number, 1e-6, 0)).toBeLessThanOrEqual(1);
    expect(close(ce.grad!, ceDense.grad!, 1e-5, 1e-7)).toBeLessThanOrEqual(1);
  });

  it('combined cross entropy + region loss (one shared softmax) equals its terms summed, to the bit', () => {
    const fr = Math.fround;
    const shapeH = [N, ...S, C];
    const xh = toNHWC(x, N, C, P);
    const cases: [string, Float32Array, number[], Record<string, unknown>, Record<string, unknown>, Record<string, unknown>][] = [
      ['dice', x, shape, { ignoreIndex: 255 }, { classWeight: [1, 2, 0.5, 1, 3], labelSmoothing: 0.1 }, { squared: false }],
      ['iou', x, shape, { ignoreIndex: 255, reduction: 'sum' }, {}, { perSample: false, includeBackground: false }],
      ['tversky', xh, shapeH, { layout: 'NHWC', ignoreIndex: 255 }, {}, { alpha: 0.3, beta: 0.7, gamma: 1.5, ignoreIndex: 255 }],
      ['dice', x, shape, {}, {}, { classWeight: [1, 1, 2, 2, 0] }],
    ];
    for (const [region, input, shp, top, ceOwn, regionOwn] of cases) {
      const tgt = 'ignoreIndex' in top ? t : tFull;
      const common = { shape: shp, grad: true, ...top } as Record<string, unknown>;
      // a term's classWeight is its loss's own weight option
      const own = ({ classWeight, ...rest }: Record<string, unknown>) => (classWeight ? { ...rest, weight: classWeight } : rest);
      const ce = seg.crossEntropy(input, tgt, { ...common, ...own(ceOwn) } as never);
      const reg = seg[region as 'dice'](input, tgt, { ...common, ...own(regionOwn) } as never);
      for (const order of [0, 1]) {
        const terms = [{ loss: 'crossEntropy' as const, weight: 0.7, ...ceOwn }, { loss: region as 'dice', weight: 0.4, ...regionOwn }];
        if (order) terms.reverse();
        const both = seg.combined(input, tgt, { ...common, terms } as never);
        const [gA, gB] = order ? [reg.grad!, ce.grad!] : [ce.grad!, reg.grad!];
        const [fA, fB] = order ? [0.4, 0.7] : [0.7, 0.4];
        const want = gA.map((v, i) => fr(fr(0 + fr(fr(fA) * v)) + fr(fr(fB) * gB[i])));
        expect(both.terms).toEqual(order ? [reg.loss, ce.loss] : [ce.loss, reg.loss]);
        expect(firstBitDifference(both.grad!, want), `${region} order ${order}`).toBe(-1);
      }
    }
  });

  it('every pixel ignored: cross entropy mean is 0 with a zero gradient (PyTorch gives NaN)', () => {
    const all = new Uint8Array(N * P).fill(255);
    const r = seg.crossEntropy(x, all, { shape, ignoreIndex: 255, grad: true });
    expect(r.loss).toBe(0);
    expect(r.grad!.every((v) => v === 0)).toBe(true);
  });

  it('region losses on probabilities reproduce the seed V-Net soft Dice formula', () => {
    // 1 - mean(2 sum(p g) / (sum(p^2 + g^2) + 1e-6)) over samples and classes
    let total = 0;
    for (let n = 0; n < N; n++)
      for (let c = 0; c < C; c++) {
        let num = 0;
        let den = 0;
        for (let i = 0; i < P; i++) {
          const at = (n * C + c) * P + i;
          num += probs[at] * dense[at];
          den += probs[at] ** 2 + dense[at] ** 2;
        }
        total += (2 * num) / (den + 1e-6);
      }
    const want = 1 - total / (N * C);
    const got = seg.dice(probs, dense, { shape, activation: 'none' }).loss as number;
    expect(Math.abs(got - want)).toBeLessThanOrEqual(1e-6 * want);
  });
});
