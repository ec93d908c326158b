// Lovász-softmax and Lovász-hinge beyond the golden fixtures: wasm and the TypeScript twin agree bit
// for bit (with many ties, both layouts, P not a multiple of 4, P = 1), gradients match central finite
// differences on tie-free inputs, layouts agree, WasmArrays are used in place, and bad arguments throw
// errors that name them.
import { describe, expect, it } from 'vitest';
import type { Segloss } from '../src/index.js';
import { backends, firstBitDifference, labels, logits, rng, toNHWC } from './helpers.js';

type Call = (seg: Segloss, x: Float32Array, grad: boolean) => { loss: unknown; grad?: Float32Array };

/** Logits on a coarse grid (multiples of 0.5 in [-2, 2]): many exact ties among the errors. */
function tied(rand: () => number, n: number): Float32Array {
  return Float32Array.from({ length: n }, () => Math.round(rand() * 8) / 2 - 2);
}

interface Setup {
  name: string;
  N: number;
  C: number;
  S: number[];
  call: (x: Float32Array, t: Int32Array | Float32Array, shape: number[]) => Call;
  target: (rand: () => number, N: number, C: number, P: number) => Int32Array | Float32Array;
  nhwc?: boolean;
}

const softmaxIdx = (rand: () => number, N: number, C: number, P: number) => labels(rand, N * P, C, 255, 0.15);
const binIdx = (rand: () => number, N: number, C: number, P: number) => labels(rand, N * P, C === 1 ? 2 : C, 255, 0.15);
const binDense = (rand: () => number, N: number, C: number, P: number) =>
  Float32Array.from({ length: N * C * P }, () => (rand() < 0.4 ? 1 : 0));

const setups: Setup[] = [];
for (const layout of ['NCHW', 'NHWC'] as const) {
  const nhwc = layout === 'NHWC';
  for (const [N, C, S] of [[2, 4, [5, 7]], [3, 3, [1]], [1, 5, [3, 3, 3]], [2, 2, [17]], [4, 21, [6]], [2, 3, [40, 51]]] as [number, number, number[]][]) {
    for (const variant of [
      {},
      { perImage: true },
      { classes: 'all' },
      { classes: [C - 1, 0] },
      { activation: 'none', perImage: true, classes: 'all' },
      { reduction: 'sum', perImage: true },
    ]) {
      setups.push({
        name: `lovaszSoftmax ${layout} [${N}, ${C}, ${S}] ${JSON.stringify(variant)}`, N, C, S, nhwc, target: softmaxIdx,
        call: (_x, t, shape) => (seg, x, grad) => seg.lovaszSoftmax(x, t, { shape, layout, ignoreIndex: 255, grad, ...(variant as object) }),
      });
    }
    setups.push({
      name: `lovaszHinge index ${layout} [${N}, ${C}, ${S}]`, N, C, S, nhwc, target: binIdx,
      call: (_x, t, shape) => (seg, x, grad) => seg.lovaszHinge(x, t, { shape, layout, ignoreIndex: 255, grad }),
    });
    setups.push({
      name: `lovaszHinge dense perImage ${layout} [${N}, ${C}, ${S}]`, N, C, S, nhwc, target: binDense,
      call: (_x, t, shape) => (seg, x, grad) => seg.lovaszHinge(x, t, { shape, layout, perImage: true, grad }),
    });
  }
}

function shapeOf(s: Setup): number[] {
  return s.nhwc ? [s.N, ...s.S, s.C] : [s.N, s.C, ...s.S];
}

describe('wasm and the TypeScript twin agree bit for bit', async () => {
  const wasm = await backends.wasm;
  const js = await backends.js;
  it.each(setups.map((s, i) => [s.name, s, i] as const))('%s', (_, s, i) => {
    const P = s.S.reduce((a, b) => a * b, 1);
    for (const [seed, make] of [[11 + i, tied], [1000 + i, (r: () => number, n: number) => logits(r, n, 2)]] as const) {
      const rand = rng(seed);
      let x = make(rand, s.N * s.C * P);
      const activation = s.name.includes('"none"');
      if (activation) x = Float32Array.from(x, (v) => Math.min(1, Math.max(0, Math.round((v + 2) * 2) / 8))); // probabilities, tied
      const t = s.target(rand, s.N, s.C, P);
      const call = s.call(x, t, shapeOf(s));
      for (const grad of [true, false]) {
        const a = call(wasm, x, grad);
        const b = call(js, x, grad);
        expect(firstBitDifference(a.loss as number, b.loss as number)).toBe(-1);
        expect(Number.isFinite(a.loss as number)).toBe(true);
        if (grad) expect(firstBitDifference(a.grad!, b.grad!)).toBe(-1);
      }
    }
  });
});

describe.each(['wasm', 'js'] as const)('%s', async (name) => {
  const seg = await backends[name];

  describe('gradients match central finite differences (tie-free inputs)', () => {
    const N = 2;
    const C = 3;
    const P = 6;
    const shape = [N, C, 2, 3];
    const rand = rng(4242);
    const t = labels(rand, N * P, C, 255, 0.2);
    const y = Float32Array.from({ length: N * C * P }, () => (rand() < 0.5 ? 1 : 0));
    const cases: [string, (x: Float32Array, grad: boolean) => { loss: unknown; grad?: Float32Array }, Float32Array?][] = [
      ['softmax present', (x, grad) => seg.lovaszSoftmax(x, t, { shape, ignoreIndex: 255, grad })],
      ['softmax all perImage', (x, grad) => seg.lovaszSoftmax(x, t, { shape, ignoreIndex: 255, classes: 'all', perImage: true, grad })],
      ['softmax list NHWC', (x, grad) => seg.lovaszSoftmax(x, t, { shape: [N, 2, 3, C], layout: 'NHWC', ignoreIndex: 255, classes: [2, 0], grad })],
      ['probabilities', (x, grad) => seg.lovaszSoftmax(x, t, { shape, ignoreIndex: 255, activation: 'none', grad }),
        Float32Array.from({ length: N * C * P }, () => 0.05 + 0.9 * rand())],
      ['hinge dense', (x, grad) => seg.lovaszHinge(x, y, { shape, grad })],
      ['hinge index perImage', (x, grad) => seg.lovaszHinge(x, t, { shape, ignoreIndex: 255, perImage: true, grad })],
    ];
    it.each(cases)('%s', (_, loss, given) => {
      const x = given ?? logits(rng(77), N * C * P, 2);
      const h = 1e-3;
      const { grad } = loss(x, true);
      for (let i = 0; i < x.length; i++) {
        const up = x.slice();
        const down = x.slice();
        up[i] += h;
        down[i] -= h;
        const numeric = ((loss(up, false).loss as number) - (loss(down, false).loss as number)) / (up[i] - down[i]);
        expect(Math.abs(grad![i] - numeric), `element ${i}: ${grad![i]} vs ${numeric}`).toBeLessThanOrEqual(2e-3 + 2e-2 * Math.abs(numeric));
      }
    });
  });

  it('NHWC gives the NCHW loss and the transposed gradient', () => {
    const [N, C, P] = [2, 5, 13];
    const rand = rng(3);
    const x = tied(rand, N * C * P);
    const t = labels(rand, N * P, C, 255, 0.2);
    const a = seg.lovaszSoftmax(x, t, { shape: [N, C, P], ignoreIndex: 255, grad: true });
    const b = seg.lovaszSoftmax(toNHWC(x, N, C, P), t, { shape: [N, P, C], layout: 'NHWC', ignoreIndex: 255, grad: true });
    expect(b.loss).toBe(a.loss);
    expect(firstBitDifference(b.grad!, toNHWC(a.grad!, N, C, P))).toBe(-1);
  });

  it('nothing kept, or no class present: loss 0 and a zero gradient', () => {
    const x = logits(rng(9), 2 * 3 * 4);
    const none = seg.lovaszSoftmax(x, new Uint8Array(8).fill(255), { shape: [2, 3, 4], ignoreIndex: 255, grad: true });
    expect(none.loss).toBe(0);
    expect(none.grad!.every((g) => g === 0)).toBe(true);
    const hinge = seg.lovaszHinge(x, new Int32Array(8).fill(7), { shape: [2, 3, 4], ignoreIndex: 7, grad: true });
    expect(hinge.loss).toBe(0);
    expect(hinge.grad!.every((g) => g === 0)).toBe(true);
    for (const perImage of [false, true]) {
      const none = seg.lovaszSoftmax(new Float32Array(0), new Uint8Array(0), { shape: [0, 3, 4], perImage, grad: true });
      expect(none.loss).toBe(0);
      expect(seg.lovaszHinge(new Float32Array(0), new Float32Array(0), { shape: [2, 1, 0], perImage }).loss).toBe(0);
    }
    const empty = seg.lovaszSoftmax(x, new Uint8Array(8), { shape: [2, 3, 4], classes: [], grad: true });
    expect(empty.loss).toBe(0);
    expect(empty.grad!.every((g) => g === 0)).toBe(true);
  });

  it('uses WasmArrays in place and re-derives views after the memory grows', () => {
    const [N, C, H, W] = [2, 4, 64, 64];
    const n = N * C * H * W;
    const rand = rng(5);
    const x = logits(rand, n);
    const t = labels(rand, N * H * W, C);
    const want = seg.lovaszSoftmax(x, t, { shape: [N, C, H, W], grad: true });
    const X = seg.alloc(Float32Array, n);
    X.view.set(x);
    const T = seg.alloc(Uint8Array, N * H * W);
    T.view.set(t);
    const O = seg.alloc(Float32Array, n);
    try {
      const before = seg.memoryBytes;
      const got = seg.lovaszSoftmax(X, T, { shape: [N, C, H, W], out: O });
      expect(got.loss).toBe(want.loss);
      expect(got.grad).toBe(O.view);
      expect(firstBitDifference(O.view, want.grad!)).toBe(-1);
      expect(seg.memoryBytes).toBeGreaterThanOrEqual(before);
      const copy = new Float32Array(n);
      const viaCopy = seg.lovaszHinge(X, T, { shape: [N, C, H, W], out: copy });
      expect(firstBitDifference(copy, seg.lovaszHinge(x, t, { shape: [N, C, H, W], grad: true }).grad!)).toBe(-1);
      expect(viaCopy.grad).toBe(copy);
    } finally {
      X.free();
      T.free();
      O.free();
    }
  });

  it('rejects bad arguments, naming them', () => {
    const x = new Float32Array(2 * 3 * 4);
    const t = new Uint8Array(8);
    const shape = [2, 3, 4];
    expect(() => seg.lovaszSoftmax(x, t, { shape, bogus: 1 } as never)).toThrow(/unknown option 'bogus'/);
    expect(() => seg.lovaszSoftmax(x, t, { shape, classes: [3] })).toThrow(/classes\[0\] must be a class index in \[0, 3\), got 3/);
    expect(() => seg.lovaszSoftmax(x, t, { shape, classes: [1, 1] })).toThrow(/classes\[1\] = 1 is listed twice/);
    expect(() => seg.lovaszSoftmax(x, t, { shape, classes: 'some' as never })).toThrow(/classes must be 'present', 'all' or an array/);
    expect(() => seg.lovaszSoftmax(x, t, { shape, activation: 'sigmoid' as never })).toThrow(/activation must be one of "softmax", "none", got "sigmoid"/);
    expect(() => seg.lovaszSoftmax(x, t, { shape, reduction: 'none' as never })).toThrow(/reduction must be one of "mean", "sum", got "none"/);
    expect(() => seg.lovaszSoftmax(x, t, { shape, perImage: 1 as never })).toThrow(/perImage must be a boolean, got 1/);
    expect(() => seg.lovaszSoftmax(x, t, { shape, ignoreIndex: 0.5 })).toThrow(/ignoreIndex must be an integer/);
    expect(() => seg.lovaszSoftmax(x, new Float32Array(24), { shape })).toThrow(/lovaszSoftmax: target must be an index map/);
    expect(() => seg.lovaszSoftmax(x, Uint8Array.of(0, 1, 2, 3, 0, 0, 0, 0), { shape })).toThrow(/target\[3\] = 3 is out of range/);
    expect(() => seg.lovaszSoftmax(x, t, { shape: [2, 3, 5] })).toThrow(/input length 24 does not match shape/);
    expect(() => seg.lovaszSoftmax(x, t, { shape, out: new Float32Array(24), grad: false })).toThrow(/out is given with grad: false/);
    expect(() => seg.lovaszSoftmax(x, t, { shape, out: new Float32Array(5) })).toThrow(/out must have the input's length 24/);
    const y = new Float32Array(24);
    y[5] = 0.5;
    expect(() => seg.lovaszHinge(x, y, { shape })).toThrow(/target\[5\] = 0.5 must be 0 or 1/);
    expect(() => seg.lovaszHinge(x, new Float32Array(24), { shape, ignoreIndex: 255 })).toThrow(/ignoreIndex applies to index targets only/);
    expect(() => seg.lovaszHinge(new Float32Array(8), Uint8Array.of(0, 1, 2, 0, 1, 0, 1, 0), { shape: [2, 1, 4] })).toThrow(/target\[2\] = 2 is out of range: labels must be in \{0, 1\}/);
    expect(() => seg.lovaszHinge(x, t, { shape, classes: 'all' } as never)).toThrow(/lovaszHinge: unknown option 'classes'/);
  });
});
