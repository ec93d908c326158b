// Segmentation metrics: golden counts and metrics from a float64 numpy transcription of mmsegmentation
// (test/fixtures/metrics.json) on both backends, merging across any split, JSON round trips, exact
// counts past 2^24 and 2^32, wasm = js on random inputs, and the errors.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfusionMatrix, type ConfusionMatrixOptions, type Segloss } from '../src/index.js';
import { backends, labels, logits, rng, toNHWC } from './helpers.js';

interface MetricsResult {
  counts: number[];
  iou: (number | null)[];
  dice: (number | null)[];
  precision: (number | null)[];
  recall: (number | null)[];
  meanIoU: number | null;
  meanDice: number | null;
  pixelAccuracy: number | null;
  meanAccuracy: number | null;
  frequencyWeightedIoU: number | null;
}
interface MetricsCase {
  name: string;
  prediction: { dtype: string; data: number[] };
  target: { dtype: string; data: number[] };
  options: ConfusionMatrixOptions;
  numClasses: number;
  results: MetricsResult[];
}

const fixture = JSON.parse(readFileSync(new URL('./fixtures/metrics.json', import.meta.url), 'utf8'));
const CASES = fixture.cases as MetricsCase[];
const TYPES = { float32: Float32Array, int32: Int32Array, uint8: Uint8Array, uint16: Uint16Array } as const;
const typed = (a: { dtype: string; data: number[] }) => TYPES[a.dtype as keyof typeof TYPES].from(a.data);

/** got equals want to 1e-12 relative; null (NaN in the fixture) only as NaN. */
function close(got: number, want: number | null, what: string): void {
  if (want === null) {
    expect(got, what).toBeNaN();
    return;
  }
  expect(Math.abs(got - want), `${what}: got ${got}, want ${want}`).toBeLessThanOrEqual(1e-12 * Math.abs(want));
}

function checkMetrics(m: ConfusionMatrix, want: MetricsResult, where: string): void {
  expect(Array.from(m.counts), `${where} counts`).toEqual(want.counts);
  for (const key of ['iou', 'dice', 'precision', 'recall'] as const) {
    const got = m[key]();
    expect(got.length).toBe(want[key].length);
    got.forEach((v, c) => close(v, want[key][c], `${where} ${key}[${c}]`));
  }
  for (const key of ['meanIoU', 'meanDice', 'pixelAccuracy', 'meanAccuracy', 'frequencyWeightedIoU'] as const) {
    close(m[key](), want[key], `${where} ${key}`);
  }
}

const flat = (m: ConfusionMatrix | ConfusionMatrix[]) => (Array.isArray(m) ? m : [m]);

describe.each(['wasm', 'js'] as const)('%s: golden metrics (numpy mmsegmentation)', (backend) => {
  it.each(CASES.map((c) => [c.name, c] as const))('%s', async (_, c) => {
    const seg = await backends[backend];
    const got = flat(seg.confusionMatrix(typed(c.prediction) as never, typed(c.target) as never, c.options));
    expect(got).toHaveLength(c.results.length);
    got.forEach((m, i) => {
      expect(m.numClasses).toBe(c.numClasses);
      checkMetrics(m, c.results[i], `${c.name} #${i}`);
    });
  });

  it('uses WasmArray predictions and targets in place, with the same counts', async () => {
    const seg = await backends[backend];
    for (const c of CASES) {
      const x = typed(c.prediction);
      const t = typed(c.target);
      const xa = seg.alloc(x.constructor as Float32ArrayConstructor, x.length);
      const ta = seg.alloc(t.constructor as Uint8ArrayConstructor, t.length);
      xa.view.set(x);
      ta.view.set(t);
      try {
        const got = flat(seg.confusionMatrix(xa as never, ta as never, c.options));
        got.forEach((m, i) => expect(Array.from(m.counts), c.name).toEqual(c.results[i].counts));
      } finally {
        xa.free();
        ta.free();
      }
    }
  });
});

/** [N, C, D, H, W] slice of depths [d0, d1). */
function slab(x: Float32Array, N: number, C: number, D: number, HW: number, d0: number, d1: number): Float32Array {
  const out = new Float32Array(N * C * (d1 - d0) * HW);
  let o = 0;
  for (let n = 0; n < N; n++)
    for (let c = 0; c < C; c++) {
      const base = ((n * C + c) * D + d0) * HW;
      out.set(x.subarray(base, base + (d1 - d0) * HW), o);
      o += (d1 - d0) * HW;
    }
  return out;
}

describe.each(['wasm', 'js'] as const)('%s: merging', (backend) => {
  it('any split of a batch by sample merges to the matrix of one call', async () => {
    const seg = await backends[backend];
    const rand = rng(91);
    const [N, C, H, W] = [7, 6, 9, 11];
    const P = H * W;
    const x = logits(rand, N * C * P);
    const t = Uint8Array.from(labels(rand, N * P, C, 255, 0.1));
    const whole = seg.confusionMatrix(x, t, { shape: [N, C, H, W], ignoreIndex: 255 });
    for (const cuts of [[0, 7], [0, 1, 7], [0, 3, 4, 7], [0, 1, 2, 3, 4, 5, 6, 7]]) {
      let acc = new ConfusionMatrix(C);
      for (let k = 0; k + 1 < cuts.length; k++) {
        const [a, b] = [cuts[k], cuts[k + 1]];
        const part = seg.confusionMatrix(x.subarray(a * C * P, b * C * P), t.subarray(a * P, b * P), {
          shape: [b - a, C, H, W], ignoreIndex: 255,
        });
        acc = acc.merge(part);
      }
      expect(Array.from(acc.counts), `cuts ${cuts}`).toEqual(Array.from(whole.counts));
    }
    // per-sample matrices sum to the batch's
    const each = seg.confusionMatrix(x, t, { shape: [N, C, H, W], ignoreIndex: 255, perSample: true });
    expect(each).toHaveLength(N);
    expect(Array.from(each.reduce((a, b) => a.merge(b)).counts)).toEqual(Array.from(whole.counts));
  });

  it('a 3-D volume cut along depth into slabs merges to the matrix of the whole volume', async () => {
    const seg = await backends[backend];
    const rand = rng(17);
    const [N, C, D, H, W] = [2, 4, 12, 7, 9];
    const HW = H * W;
    const x = logits(rand, N * C * D * HW);
    const t = labels(rand, N * D * HW, C, -1, 0.05);
    const whole = seg.confusionMatrix(x, t, { shape: [N, C, D, H, W], ignoreIndex: -1 });
    const wholeNHWC = seg.confusionMatrix(toNHWC(x, N, C, D * HW), t, { shape: [N, D, H, W, C], layout: 'NHWC', ignoreIndex: -1 });
    expect(Array.from(wholeNHWC.counts)).toEqual(Array.from(whole.counts));
    for (const cuts of [[0, 12], [0, 5, 12], [0, 1, 4, 8, 11, 12]]) {
      let acc = new ConfusionMatrix(C);
      for (let k = 0; k + 1 < cuts.length; k++) {
        const [d0, d1] = [cuts[k], cuts[k + 1]];
        const xs = slab(x, N, C, D, HW, d0, d1);
        const ts = new Int32Array(N * (d1 - d0) * HW);
        for (let n = 0; n < N; n++) ts.set(t.subarray((n * D + d0) * HW, (n * D + d1) * HW), n * (d1 - d0) * HW);
        acc = acc.merge(seg.confusionMatrix(xs, ts, { shape: [N, C, d1 - d0, H, W], ignoreIndex: -1 }));
        // NHWC slabs: [N, d, H, W, C]
        const part = seg.confusionMatrix(toNHWC(xs, N, C, (d1 - d0) * HW), ts, {
          shape: [N, d1 - d0, H, W, C], layout: 'NHWC', ignoreIndex: -1,
        });
        expect(part.numClasses).toBe(C);
      }
      expect(Array.from(acc.counts), `slabs ${cuts}`).toEqual(Array.from(whole.counts));
    }
  });
});

describe('ConfusionMatrix', () => {
  const m = new ConfusionMatrix(3, [5, 1, 0, 2, 7, 0, 0, 0, 0]);

  it('computes the metrics from the counts, NaN where a denominator is 0', () => {
    expect(Array.from(m.iou())).toEqual([5 / 8, 7 / 10, NaN]);
    expect(Array.from(m.dice())).toEqual([10 / 13, 14 / 17, NaN]);
    expect(Array.from(m.precision())).toEqual([5 / 7, 7 / 8, NaN]);
    expect(Array.from(m.recall())).toEqual([5 / 6, 7 / 9, NaN]);
    expect(m.meanIoU()).toBe((5 / 8 + 7 / 10) / 2);
    expect(m.pixelAccuracy()).toBe(12 / 15);
    expect(m.meanAccuracy()).toBe((5 / 6 + 7 / 9) / 2);
    expect(m.frequencyWeightedIoU()).toBeCloseTo((6 / 15) * (5 / 8) + (9 / 15) * (7 / 10), 15);
    const empty = new ConfusionMatrix(2);
    for (const v of [empty.meanIoU(), empty.meanDice(), empty.pixelAccuracy(), empty.meanAccuracy(), empty.frequencyWeightedIoU()]) {
      expect(v).toBeNaN();
    }
  });

  it('round-trips through toJSON / JSON.stringify / fromJSON', () => {
    const back = ConfusionMatrix.fromJSON(JSON.parse(JSON.stringify(m)));
    expect(back.numClasses).toBe(3);
    expect(Array.from(back.counts)).toEqual(Array.from(m.counts));
    expect(m.toJSON()).toEqual({ numClasses: 3, counts: [5, 1, 0, 2, 7, 0, 0, 0, 0] });
    expect(Array.from(ConfusionMatrix.fromJSON(JSON.stringify(m)).counts)).toEqual(Array.from(m.counts));
  });

  it('rejects bad JSON and bad merges with typed errors naming the value', () => {
    const bad: [unknown, ErrorConstructor, RegExp][] = [
      [null, TypeError, /expected \{ numClasses, counts \}, got null/],
      [[1, 2], TypeError, /expected/],
      [{ numClasses: 2 }, TypeError, /counts must be an array of numbers, got undefined/],
      [{ numClasses: 2, counts: [1, 2, 3] }, RangeError, /numClasses² = 4 numbers, got 3/],
      [{ numClasses: 2.5, counts: [] }, TypeError, /numClasses must be an integer, got 2.5/],
      [{ numClasses: 0, counts: [] }, RangeError, /numClasses must be in \[1, 4096\], got 0/],
      [{ numClasses: 2, counts: [1, -1, 0, 0] }, RangeError, /counts\[1\] must be an integer in \[0, 2\^53\), got -1/],
      [{ numClasses: 2, counts: [1, 0.5, 0, 0] }, RangeError, /counts\[1\] .* got 0.5/],
      [{ numClasses: 2, counts: [1, 0, 0, '3'] }, RangeError, /counts\[3\] .* got "3"/],
      [{ numClasses: 2, counts: [0, 0, 0, 2 ** 53] }, RangeError, /counts\[3\]/],
      [{ numClasses: 1, counts: [1], extra: 1 }, TypeError, /unknown option 'extra'/],
    ];
    for (const [json, type, message] of bad) {
      expect(() => ConfusionMatrix.fromJSON(json), JSON.stringify(json)).toThrow(type);
      expect(() => ConfusionMatrix.fromJSON(json), JSON.stringify(json)).toThrow(message);
    }
    expect(() => m.merge(new ConfusionMatrix(4))).toThrow(RangeError);
    expect(() => m.merge(new ConfusionMatrix(4))).toThrow(/3 and 4 classes/);
    expect(() => m.merge({ numClasses: 3, counts: m.counts } as never)).toThrow(TypeError);
    const big = new ConfusionMatrix(1, [2 ** 52 + 1]);
    expect(() => big.merge(big)).toThrow(/exceed 2\^53/);
  });

  it('keeps counts above 2^24 and 2^32 exact when merging', () => {
    const a = new ConfusionMatrix(2, [2 ** 24 + 1, 3, 2 ** 32 + 7, 2 ** 40 + 11]);
    const b = new ConfusionMatrix(2, [2 ** 24 + 1, 2 ** 32 - 1, 2 ** 32 + 9, 2 ** 45 + 1]);
    const s = a.merge(b).merge(ConfusionMatrix.fromJSON(JSON.parse(JSON.stringify(a))));
    expect(Array.from(s.counts)).toEqual([3 * 2 ** 24 + 3, 2 ** 32 + 5, 3 * 2 ** 32 + 23, 2 ** 41 + 2 ** 45 + 23]);
    expect(s.counts[0] % 2).toBe(1); // a float32 count would have stopped at 2^24
    expect(s.total()).toBe(3 * 2 ** 24 + 3 + 2 ** 32 + 5 + 3 * 2 ** 32 + 23 + 2 ** 41 + 2 ** 45 + 23);
  });
});

describe.each(['wasm', 'js'] as const)('%s: large inputs', (backend) => {
  it('counts more than 2^24 pixels of one class exactly in one call', async () => {
    const seg = await backends[backend];
    const n = 2 ** 24 + 777;
    const target = new Uint8Array(n).fill(1);
    const prediction = new Uint8Array(n).fill(1);
    target[5] = 255;
    prediction[9] = 0;
    const m = seg.confusionMatrix(prediction, target, { shape: [1, n], numClasses: 3, ignoreIndex: 255 });
    expect(Array.from(m.counts)).toEqual([0, 0, 0, 1, n - 2, 0, 0, 0, 0]);
    expect(m.counts[4]).toBe(2 ** 24 + 775);
    // the first n - 1 pixels as two samples, perSample: each exact too
    const half = (n - 1) / 2;
    const [p, q] = seg.confusionMatrix(prediction.subarray(0, n - 1), target.subarray(0, n - 1), {
      shape: [2, half], numClasses: 3, ignoreIndex: 255, perSample: true,
    });
    expect(Array.from(p.counts)).toEqual([0, 0, 0, 1, half - 2, 0, 0, 0, 0]);
    expect(Array.from(q.counts)).toEqual([0, 0, 0, 0, half, 0, 0, 0, 0]);
  });
});

/** Straightforward reference: argmax (first max; NaN greatest) or threshold, then counts. */
function reference(
  x: ArrayLike<number>, t: ArrayLike<number>, N: number, C: number, P: number, nhwc: boolean, K: number,
  ignore: number | undefined, threshold: number, labelsMode: boolean,
): number[] {
  const counts = new Array(K * K).fill(0);
  for (let n = 0; n < N; n++)
    for (let i = 0; i < P; i++) {
      const tt = t[n * P + i];
      if (tt === ignore) continue;
      let p = 0;
      if (labelsMode) p = x[n * P + i];
      else if (C === 1) p = x[n * P + i] > threshold ? 1 : 0;
      else {
        const at = (c: number) => (nhwc ? x[(n * P + i) * C + c] : x[(n * C + c) * P + i]);
        let m = at(0);
        for (let c = 1; c < C; c++) {
          const v = at(c);
          if (!Number.isNaN(m) && (v > m || Number.isNaN(v))) {
            m = v;
            p = c;
          }
        }
      }
      counts[tt * K + p]++;
    }
  return counts;
}

describe('wasm and TypeScript count the same on random inputs', async () => {
  const wasm = await backends.wasm;
  const js = await backends.js;
  const shapes: [number, number, number[]][] = [
    [2, 3, [3, 5]], [3, 4, [1]], [5, 2, []], [2, 1, [3, 3]], [2, 1, [131]], [2, 21, [5, 7]], [1, 150, [3, 6]],
    [2, 4, [3, 4, 5]], [2, 5, [13, 23]], [1, 19, [32, 32]], [3, 2, [129]],
  ];
  for (const [N, C, S] of shapes) {
    for (const layout of ['NCHW', 'NHWC'] as const) {
      it(`N=${N} C=${C} S=[${S}] ${layout}`, () => {
        const rand = rng(N * 7919 + C * 31 + S.length);
        const P = S.reduce((a, b) => a * b, 1);
        const x = logits(rand, N * C * P);
        // ties, NaN, infinities and signed zeros among ordinary scores
        for (let i = 0; i < x.length; i++) {
          const r = rand();
          if (r < 0.05) x[i] = Math.round(x[i]);
          else if (r < 0.06) x[i] = NaN;
          else if (r < 0.07) x[i] = rand() < 0.5 ? Infinity : -Infinity;
          else if (r < 0.08) x[i] = rand() < 0.5 ? 0 : -0;
        }
        const K = C === 1 ? 2 : C;
        const shape = layout === 'NCHW' ? [N, C, ...S] : [N, ...S, C];
        const t = labels(rand, N * P, K, 255, 0.15);
        const targets = [Uint8Array.from(t), t, Uint16Array.from(t)];
        const threshold = C === 1 ? 0.3 : undefined;
        const want = reference(x, t, N, C, P, layout === 'NHWC', K, 255, 0.3, false);
        for (const target of targets) {
          for (const perSample of [false, true]) {
            const o = { shape, layout, ignoreIndex: 255, threshold, perSample };
            const a = flat(wasm.confusionMatrix(x, target, o));
            const b = flat(js.confusionMatrix(x, target, o));
            expect(a.map((m) => Array.from(m.counts))).toEqual(b.map((m) => Array.from(m.counts)));
            const sum = a.reduce((p, q) => p.merge(q));
            expect(Array.from(sum.counts)).toEqual(want);
          }
        }
        // label predictions of the same pixels
        const pl = Uint8Array.from(labels(rand, N * P, K));
        const pred = [pl, Int32Array.from(pl), Int16Array.from(pl)];
        const wantL = reference(pl, t, N, K, P, false, K, 255, 0, true);
        for (const p of pred) {
          const o = { shape: [N, ...S], numClasses: K, ignoreIndex: 255 };
          expect(Array.from(wasm.confusionMatrix(p, t, o).counts)).toEqual(wantL);
          expect(Array.from(js.confusionMatrix(p, t, o).counts)).toEqual(wantL);
        }
      });
    }
  }
});

describe.each(['wasm', 'js'] as const)('%s: semantics', (backend) => {
  it('argmax: the first maximum wins and NaN is the greatest score (torch.argmax)', async () => {
    const seg = await backends[backend];
    // pixels (NCHW, C = 3, P = 5): tie 1-1-0 -> 0; 0-2-2 -> 1; NaN-5-6 -> 0; 1-NaN-NaN -> 1; -0,+0,-1 -> 0
    const x = Float32Array.of(1, 0, NaN, 1, -0, 1, 2, 5, NaN, 0, 0, 2, 6, NaN, -1);
    const m = seg.confusionMatrix(x, Int32Array.of(0, 0, 0, 0, 0), { shape: [1, 3, 5] });
    expect(Array.from(m.counts.subarray(0, 3))).toEqual([3, 2, 0]);
  });

  it('C = 1: score > threshold is foreground; NaN and ties are background; threshold is exact', async () => {
    const seg = await backends[backend];
    const x = Float32Array.of(0, 1e-30, -1, NaN, 0.5, Math.fround(0.3));
    const t = Uint8Array.of(1, 1, 0, 1, 1, 1);
    expect(Array.from(seg.confusionMatrix(x, t, { shape: [1, 1, 6] }).counts)).toEqual([1, 0, 2, 3]);
    expect(Array.from(seg.confusionMatrix(x, t, { shape: [1, 1, 6], threshold: 0.5 }).counts)).toEqual([1, 0, 5, 0]);
    // fround(0.3) > 0.3: that score is above 0.3, and not above fround(0.3)
    expect(Math.fround(0.3) > 0.3).toBe(true);
    expect(seg.confusionMatrix(x, t, { shape: [1, 1, 6], threshold: 0.3 }).counts[3]).toBe(2);
    expect(seg.confusionMatrix(x, t, { shape: [1, 1, 6], threshold: Math.fround(0.3) }).counts[3]).toBe(1);
  });

  it('ignored pixels count nowhere and their predicted labels are not checked', async () => {
    const seg = await backends[backend];
    const m = seg.confusionMatrix(Uint8Array.of(0, 200, 1), Uint8Array.of(0, 255, 1), { shape: [3], numClasses: 2, ignoreIndex: 255 });
    expect(Array.from(m.counts)).toEqual([1, 0, 0, 1]);
    // an ignoreIndex inside the class range drops that class's target pixels
    const z = seg.confusionMatrix(Uint8Array.of(0, 1, 1), Uint8Array.of(0, 1, 1), { shape: [3], numClasses: 2, ignoreIndex: 0 });
    expect(Array.from(z.counts)).toEqual([0, 0, 0, 2]);
    // no unsigned label equals a negative ignoreIndex
    expect(() => seg.confusionMatrix(Uint32Array.of(0), Uint32Array.of(2 ** 32 - 1), { shape: [1], numClasses: 2, ignoreIndex: -1 }))
      .toThrow(/target\[0\] = 4294967295 is out of range/);
  });
});

type Bad = [string, (s: Segloss) => unknown, ErrorConstructor, RegExp];
const x6 = new Float32Array(12);
const t6 = new Uint8Array(6);
const bad: Bad[] = [
  ['no options', (s) => s.confusionMatrix(x6, t6, undefined as never), TypeError, /options with a 'shape' are required/],
  ['unknown option', (s) => s.confusionMatrix(x6, t6, { shape: [1, 2, 6], ignore: 255 } as never), TypeError, /unknown option 'ignore'/],
  ['float64 prediction', (s) => s.confusionMatrix(new Float64Array(12) as never, t6, { shape: [1, 2, 6] }), TypeError, /prediction must be a Float32Array .* got Float64Array\(12\)/],
  ['float target', (s) => s.confusionMatrix(x6, new Float32Array(6) as never, { shape: [1, 2, 6] }), TypeError, /target must be an integer typed array .* got Float32Array\(6\)/],
  ['shape mismatch', (s) => s.confusionMatrix(x6, t6, { shape: [1, 3, 6] }), RangeError, /prediction length 12 does not match shape \[1, 3, 6\]/],
  ['shape too short', (s) => s.confusionMatrix(x6, t6, { shape: [12] }), TypeError, /shape must be an array/],
  ['negative dim', (s) => s.confusionMatrix(x6, t6, { shape: [1, 2, -6] }), RangeError, /shape\[2\] must be a non-negative integer, got -6/],
  ['target length', (s) => s.confusionMatrix(x6, new Uint8Array(5), { shape: [1, 2, 6] }), RangeError, /target must hold N\*P = 6 labels, got 5/],
  ['bad layout', (s) => s.confusionMatrix(x6, t6, { shape: [1, 2, 6], layout: 'NWHC' as never }), TypeError, /layout must be one of "NCHW", "NHWC", got "NWHC"/],
  ['target out of range', (s) => s.confusionMatrix(x6, Uint8Array.of(0, 1, 0, 2, 3, 1), { shape: [1, 2, 6] }), RangeError, /target\[3\] = 2 is out of range: labels must be in \{0, 1\} \(no ignoreIndex\)/],
  ['negative target', (s) => s.confusionMatrix(x6, Int32Array.of(0, 1, 0, 1, -3, 1), { shape: [1, 2, 6], ignoreIndex: 255 }), RangeError, /target\[4\] = -3 is out of range: .*ignoreIndex 255/],
  ['predicted label out of range', (s) => s.confusionMatrix(Int16Array.of(0, 1, 2, 9), Uint8Array.of(0, 0, 1, 1), { shape: [2, 2], numClasses: 3 }), RangeError, /prediction\[3\] = 9 is out of range: predicted labels must be in \[0, 3\)/],
  ['labels without numClasses', (s) => s.confusionMatrix(t6, t6, { shape: [1, 6] }), TypeError, /numClasses is required with label predictions/],
  ['numClasses not an integer', (s) => s.confusionMatrix(t6, t6, { shape: [1, 6], numClasses: 2.5 }), TypeError, /numClasses must be an integer, got 2.5/],
  ['numClasses 0', (s) => s.confusionMatrix(t6, t6, { shape: [1, 6], numClasses: 0 }), RangeError, /numClasses must be in \[1, 4096\], got 0/],
  ['numClasses vs scores', (s) => s.confusionMatrix(x6, t6, { shape: [1, 2, 6], numClasses: 3 }), RangeError, /numClasses 3 does not match the scores: C = 2/],
  ['threshold with C > 1', (s) => s.confusionMatrix(x6, t6, { shape: [1, 2, 6], threshold: 0.5 }), TypeError, /threshold applies to scores with C = 1 only/],
  ['threshold with labels', (s) => s.confusionMatrix(t6, t6, { shape: [1, 6], numClasses: 2, threshold: 0.5 }), TypeError, /threshold applies to score predictions only/],
  ['threshold NaN', (s) => s.confusionMatrix(x6, new Uint8Array(12), { shape: [1, 1, 12], threshold: NaN }), TypeError, /threshold must be a number, got NaN/],
  ['ignoreIndex not an integer', (s) => s.confusionMatrix(x6, t6, { shape: [1, 2, 6], ignoreIndex: 0.5 }), TypeError, /ignoreIndex must be an integer \(32-bit\), got 0.5/],
  ['perSample not boolean', (s) => s.confusionMatrix(x6, t6, { shape: [1, 2, 6], perSample: 1 as never }), TypeError, /perSample must be a boolean, got 1/],
  ['too many classes', (s) => s.confusionMatrix(new Float32Array(5000), new Uint8Array(1), { shape: [1, 5000, 1] }), RangeError, /at most 4096 classes, got C = 5000/],
];

describe.each(['wasm', 'js'] as const)('%s: bad inputs', (backend) => {
  it.each(bad)('%s', async (_, call, type, message) => {
    const seg = await backends[backend];
    expect(() => call(seg)).toThrow(type);
    expect(() => call(seg)).toThrow(message);
  });

  it('rejects a freed WasmArray and a stale view of grown memory', async () => {
    const seg = await backends[backend];
    const a = seg.alloc(Float32Array, 12);
    a.free();
    expect(() => seg.confusionMatrix(a, t6, { shape: [1, 2, 6] })).toThrow(/prediction is a WasmArray that was freed/);
    const b = seg.alloc(Uint8Array, 6);
    b.view.fill(0);
    const stale = b.view;
    const grow = seg.alloc(Float32Array, 1 << 20); // grows the memory: `stale` is detached
    try {
      if (stale.length === 0) {
        expect(() => seg.confusionMatrix(x6, stale, { shape: [1, 2, 6] })).toThrow(/detached/);
      }
      expect(Array.from(seg.confusionMatrix(x6, b, { shape: [1, 2, 6] }).counts)).toEqual([6, 0, 0, 0]);
    } finally {
      b.free();
      grow.free();
    }
  });
});
