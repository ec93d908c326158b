// Property tests (fast-check) of the confusion matrix, the metric of the property suite:
//  (a) wasm and TypeScript give identical counts on random score and label predictions, both layouts,
//      every target dtype, C = 1 with a threshold, ignore labels, perSample;
//  (b) the counts equal a plain per-pixel count (argmax, first maximum wins) and add up to the kept
//      pixels;
//  (c) any split of the batch into samples merges back to the matrix of one call;
//  (d) bad inputs always throw a TypeError or RangeError.
// CI runs a fixed seed; `npm run fuzz` runs it long (FUZZ_RUNS, FUZZ_SEED), as test/property.test.ts.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfusionMatrix } from '../src/index.js';
import { backends, rng } from './helpers.js';

const FUZZ_RUNS = Number(process.env.FUZZ_RUNS ?? 0);
const SEED = process.env.FUZZ_SEED !== undefined ? Number(process.env.FUZZ_SEED)
  : FUZZ_RUNS > 0 ? (Date.now() ^ Math.floor(Math.random() * 2 ** 31)) | 0 : 20261209;
const runs = (ci: number) => ({ seed: SEED, numRuns: FUZZ_RUNS > 0 ? FUZZ_RUNS : ci });

const TYPES = [Uint8Array, Int8Array, Uint16Array, Int16Array, Int32Array, Uint32Array] as const;

const callArb = fc.record({
  N: fc.integer({ min: 1, max: 3 }),
  C: fc.integer({ min: 1, max: 7 }),
  S: fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 0, maxLength: 3 }),
  nhwc: fc.boolean(),
  labels: fc.boolean(), // label predictions instead of scores
  dtype: fc.integer({ min: 0, max: TYPES.length - 1 }),
  ignore: fc.option(fc.constantFrom(255, -1, 0), { nil: undefined }),
  threshold: fc.option(fc.double({ min: -2, max: 2, noNaN: true }), { nil: undefined }),
  ties: fc.boolean(), // scores drawn from a few values: ties in the argmax
  perSample: fc.boolean(),
  seed: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
});
type CallParams = typeof callArb extends fc.Arbitrary<infer T> ? T : never;

function build(p: CallParams) {
  const rand = rng(p.seed);
  const P = p.S.reduce((a, b) => a * b, 1);
  const K = p.labels ? Math.max(p.C, 2) : p.C === 1 ? 2 : p.C;
  const Type = TYPES[p.dtype];
  const signed = Type === Int8Array || Type === Int16Array || Type === Int32Array;
  // an ignore label the dtype holds: 255 (100 in an Int8Array), -1 for signed types only, or class 0
  let ignore: number | undefined = p.ignore;
  if (ignore === 255 && Type === Int8Array) ignore = 100;
  if (ignore === -1 && !signed) ignore = 255;
  const target = new Type(p.N * P);
  for (let i = 0; i < target.length; i++) target[i] = ignore !== undefined && rand() < 0.15 ? ignore : Math.floor(rand() * K);
  let prediction: Float32Array | Int32Array;
  let shape: number[];
  if (p.labels) {
    prediction = Int32Array.from({ length: p.N * P }, () => Math.floor(rand() * K));
    shape = [p.N, ...p.S];
  } else {
    prediction = Float32Array.from({ length: p.N * p.C * P }, () => (p.ties ? Math.floor(rand() * 3) : rand() * 4 - 2));
    shape = p.nhwc ? [p.N, ...p.S, p.C] : [p.N, p.C, ...p.S];
  }
  const options: Record<string, unknown> = { shape, perSample: p.perSample };
  if (!p.labels && p.nhwc) options.layout = 'NHWC';
  if (p.labels) options.numClasses = K;
  if (ignore !== undefined) options.ignoreIndex = ignore;
  if (!p.labels && p.C === 1 && p.threshold !== undefined) options.threshold = p.threshold;
  return { prediction, target, options, K, P, ignore };
}

/** The predicted class of pixel i of sample n, by a plain loop. */
function predicted(b: ReturnType<typeof build>, p: CallParams, n: number, i: number): number {
  if (p.labels) return b.prediction[n * b.P + i];
  const at = (c: number) => (p.nhwc ? (n * b.P + i) * p.C + c : (n * p.C + c) * b.P + i);
  if (p.C === 1) return b.prediction[at(0)] > ((b.options.threshold as number | undefined) ?? 0) ? 1 : 0;
  let best = 0;
  for (let c = 1; c < p.C; c++) if (b.prediction[at(c)] > b.prediction[at(best)]) best = c;
  return best;
}

describe('confusion matrix properties', async () => {
  const wasm = await backends.wasm;
  const js = await backends.js;
  const counts = (m: ConfusionMatrix | ConfusionMatrix[]) => [m].flat().map((q) => Array.from(q.counts));

  it('(a, b) both backends count the same, and as a plain loop does', () => {
    fc.assert(fc.property(callArb, (p) => {
      const b = build(p);
      const a = wasm.confusionMatrix(b.prediction, b.target, b.options as never);
      const j = js.confusionMatrix(b.prediction, b.target, b.options as never);
      expect(counts(a)).toEqual(counts(j));
      const want = Array.from({ length: p.perSample ? p.N : 1 }, () => new Array(b.K * b.K).fill(0));
      for (let n = 0; n < p.N; n++) {
        for (let i = 0; i < b.P; i++) {
          const t = b.target[n * b.P + i];
          if (t === b.ignore) continue;
          want[p.perSample ? n : 0][t * b.K + predicted(b, p, n, i)]++;
        }
      }
      expect(counts(a)).toEqual(want);
    }), runs(300));
  });

  it('(c) a batch split by sample merges to the matrix of one call', () => {
    fc.assert(fc.property(callArb, (p) => {
      const b = build(p);
      const whole = wasm.confusionMatrix(b.prediction, b.target, { ...b.options, perSample: false } as never) as unknown as ConfusionMatrix;
      const per = b.prediction.length / p.N;
      let merged: ConfusionMatrix | undefined;
      for (let n = 0; n < p.N; n++) {
        const shape = [1, ...(b.options.shape as number[]).slice(1)];
        const part = js.confusionMatrix(b.prediction.subarray(n * per, (n + 1) * per), b.target.subarray(n * b.P, (n + 1) * b.P),
          { ...b.options, shape, perSample: false } as never) as unknown as ConfusionMatrix;
        merged = merged ? merged.merge(ConfusionMatrix.fromJSON(JSON.parse(JSON.stringify(part.toJSON())))) : part;
      }
      expect(Array.from(merged!.counts)).toEqual(Array.from(whole.counts));
    }), runs(150));
  });

  it('(d) bad inputs throw a TypeError or RangeError', () => {
    const mutations = fc.constantFrom('label', 'length', 'option', 'type', 'numClasses');
    fc.assert(fc.property(callArb, mutations, (p, m) => {
      const b = build(p);
      const o = { ...b.options } as Record<string, unknown>;
      let prediction: unknown = b.prediction;
      let target: unknown = b.target;
      if (m === 'label') {
        const t = Int32Array.from(b.target);
        t[t.length - 1] = b.K + 3;
        target = t;
      } else if (m === 'length') target = b.target.subarray(1);
      else if (m === 'option') o.bogus = 1;
      else if (m === 'type') prediction = Array.from(b.prediction);
      else o.numClasses = p.labels ? 0 : b.K + 1;
      for (const seg of [wasm, js]) {
        try {
          seg.confusionMatrix(prediction as never, target as never, o as never);
        } catch (e) {
          expect(e instanceof TypeError || e instanceof RangeError, String(e)).toBe(true);
          continue;
        }
        throw new Error(`${m}: no error`);
      }
    }), runs(200));
  });
});
