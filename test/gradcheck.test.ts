// Gradients against central finite differences of the loss itself, on random cases, both backends.
// The losses are computed in f32, so the step is large (h = 1e-2 on logits of scale ~2) and the
// tolerance |analytic - numeric| <= 2e-3 + 2e-2 |numeric| covers f32 noise and O(h^2) truncation
// while any wrong term in a gradient formula (errors of order 1e-1 and up) still fails.
import { describe, expect, it } from 'vitest';
import { type GradcheckData, casesOf } from './cases/index.js';
import { backends, labels, logits, rng } from './helpers.js';

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
const data: GradcheckData = { N, C, P, t, bin, dense, soft, weight };

/** The gradcheck cases of every loss's table (test/cases/). */
const losses = casesOf('gradcheck').map(({ case: c }) => [c.name, c] as const);

describe.each(['wasm', 'js'] as const)('%s gradients match finite differences', async (name) => {
  const seg = await backends[name];
  it.each(losses)('%s', (_, c) => {
    const given = c.at === 'probs' ? probs : undefined;
    const x = given ?? logits(rng(5), N * C * P, 2);
    const h = c.step ?? (given ? 1e-3 : 1e-2);
    const loss = (v: Float32Array) => c.run(seg, v, { shape, grad: true }, data);
    const { grad } = loss(x);
    const value = (v: Float32Array) => loss(v).loss as number;
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
