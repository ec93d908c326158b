// Gradients against central finite differences of the loss itself, on random cases, both backends.
// The losses are computed in f32, so the step is large (h = 1e-2 on logits of scale ~2) and the
// tolerance |analytic - numeric| <= 2e-3 + 2e-2 |numeric| covers f32 noise and O(h^2) truncation
// while any wrong term in a gradient formula (errors of order 1e-1 and up) still fails.
import { describe, expect, it } from 'vitest';
import type { Segloss } from '../src/index.js';
import { backends, labels, logits, rng } from './helpers.js';

type Loss = (seg: Segloss, x: Float32Array) => { loss: unknown; grad?: Float32Array };

const N = 2;
const C = 3;
const S = [2, 3];
const P = 6;
const shape = [N, C, ...S];
const rand = rng(99);
const t = labels(rand, N * P, C, 255, 0.2);
const bin = Int32Array.from(labels(rand, N * C * P, 2, 255, 0.2));
const dense = Float32Array.from({ length: N * C * P }, () => (rand() < 0.4 ? 1 : 0));
const soft = Float32Array.from({ length: N * C * P }, () => rand());
const probs = Float32Array.from({ length: N * C * P }, () => 0.05 + 0.9 * rand());
const weight = [0.5, 2, 1.25];

const losses: [string, Loss, Float32Array?][] = [
  ['crossEntropy weight ignore smoothing', (s, x) => s.crossEntropy(x, t, { shape, grad: true, ignoreIndex: 255, weight, labelSmoothing: 0.2 })],
  ['crossEntropy dense soft', (s, x) => s.crossEntropy(x, soft, { shape, grad: true, weight })],
  ['binaryCrossEntropy posWeight', (s, x) => s.binaryCrossEntropy(x, dense, { shape, grad: true, posWeight: [3, 1, 0.5], weight })],
  ['binaryCrossEntropy probabilities', (s, x) => s.binaryCrossEntropy(x, soft, { shape, grad: true, fromLogits: false, posWeight: 2 }), probs],
  ['focal sigmoid gamma 2', (s, x) => s.focal(x, soft, { shape, grad: true, activation: 'sigmoid' })],
  ['focal sigmoid index gamma 0.5', (s, x) => s.focal(x, bin, { shape: [N, 1, P * C], grad: true, gamma: 0.5, ignoreIndex: 255 }), undefined],
  ['focal softmax gamma 1.5 alpha', (s, x) => s.focal(x, t, { shape, grad: true, gamma: 1.5, alpha: weight, ignoreIndex: 255 })],
  ['dice squared', (s, x) => s.dice(x, t, { shape, grad: true, ignoreIndex: 255 })],
  ['dice unsquared batch sigmoid', (s, x) => s.dice(x, dense, { shape, grad: true, activation: 'sigmoid', squared: false, perSample: false, smoothNumerator: 1, smoothDenominator: 1 })],
  ['iou no background weight', (s, x) => s.iou(x, t, { shape, grad: true, includeBackground: false, weight, ignoreIndex: 255 })],
  ['iou probabilities', (s, x) => s.iou(x, dense, { shape, grad: true, activation: 'none' }), probs],
  ['tversky focal', (s, x) => s.tversky(x, t, { shape, grad: true, alpha: 0.7, beta: 0.3, gamma: 1.5, ignoreIndex: 255 })],
  ['tversky smp compat (gamma after the mean, absent classes zero, clamp)', (s, x) =>
    s.tversky(x, t, { shape, grad: true, alpha: 0.3, beta: 0.7, gamma: 2, gammaAfterMean: true, absentClasses: 'zero', clampDenominator: 1e-7, perSample: false, ignoreIndex: 255 })],
  ['dice clamp acting', (s, x) => s.dice(x, t, { shape, grad: true, squared: false, clampDenominator: 4, ignoreIndex: 255 })],
  ['iou clamp acting', (s, x) => s.iou(x, t, { shape, grad: true, squared: false, clampDenominator: 4, ignoreIndex: 255 })],
  ['binaryCrossEntropy meanOver all', (s, x) => s.binaryCrossEntropy(x, bin, { shape: [N, 1, P * C], grad: true, ignoreIndex: 255, meanOver: 'all' })],
  ['generalizedDice square', (s, x) => s.generalizedDice(x, t, { shape, grad: true, ignoreIndex: 255 })],
  ['generalizedDice simple pooled no background', (s, x) =>
    s.generalizedDice(x, t, { shape, grad: true, ignoreIndex: 255, weightType: 'simple', perSample: false, includeBackground: false })],
  ['generalizedDice uniform sigmoid dense', (s, x) => s.generalizedDice(x, soft, { shape, grad: true, weightType: 'uniform', activation: 'sigmoid' })],
  ['combined ce + dice', (s, x) => s.combined(x, t, { shape, grad: true, ignoreIndex: 255, terms: [{ loss: 'crossEntropy', weight: 0.5 }, { loss: 'dice', weight: 0.5, squared: false }] })],
];

describe.each(['wasm', 'js'] as const)('%s gradients match finite differences', async (name) => {
  const seg = await backends[name];
  it.each(losses)('%s', (_, loss, given) => {
    const x = given ?? logits(rng(5), N * C * P, 2);
    const h = given ? 1e-3 : 1e-2;
    const { grad } = loss(seg, x);
    const value = (v: Float32Array) => loss(seg, v).loss as number;
    for (let i = 0; i < x.length; i++) {
      const up = x.slice();
      const down = x.slice();
      up[i] += h;
      down[i] -= h;
      const numeric = (value(up) - value(down)) / (up[i] - down[i]);
      expect(Math.abs(grad![i] - numeric), `element ${i}: ${grad![i]} vs ${numeric}`).toBeLessThanOrEqual(2e-3 + 2e-2 * Math.abs(numeric));
    }
  });
});
