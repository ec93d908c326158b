// Both backends against the golden fixtures. Tolerances come with each case (gen.py sets them, never
// looser than loss rel 1e-5, grad 1e-6 abs + 1e-4 rel):
//   loss: |got - want| <= max(lossRel |want|, lossAbs); grad: |got - want| <= gradAbs + gradRel |want|
import { describe, expect, it } from 'vitest';
import { FAMILIES, loadFixtures, targetOf } from './fixtures.js';
import { backends, worstRatio } from './helpers.js';

const cases = FAMILIES.flatMap(loadFixtures);

describe.each(['wasm', 'js'] as const)('%s backend matches the references', async (name) => {
  const seg = await backends[name];

  it('has fixtures for every loss', () => {
    const fns = new Set(cases.map((c) => c.fn));
    for (const fn of ['crossEntropy', 'binaryCrossEntropy', 'focal', 'dice', 'iou', 'tversky', 'combined']) {
      expect(fns.has(fn as never)).toBe(true);
    }
    expect(cases.length).toBeGreaterThan(100);
  });

  it.each(cases.map((c) => [c.name, c] as const))('%s', (_, c) => {
    const { tolerance: tol } = c;
    expect(tol.lossRel).toBeLessThanOrEqual(1e-5);
    expect(tol.gradAbs).toBeLessThanOrEqual(1e-6);
    expect(tol.gradRel).toBeLessThanOrEqual(1e-4);
    const input = Float32Array.from(c.input);
    const options = { ...c.options, shape: c.shape, grad: true } as never;
    const result = (seg[c.fn] as (x: Float32Array, t: unknown, o: never) => { loss: number | Float32Array; grad?: Float32Array; terms?: number[] })(
      input, targetOf(c), options,
    );
    const want = Array.isArray(c.loss) ? c.loss : [c.loss];
    const got = typeof result.loss === 'number' ? [result.loss] : Array.from(result.loss);
    expect(got.length).toBe(want.length);
    const loss = worstRatio(got, want, 0, tol.lossRel);
    const lossAbs = worstRatio(got, want, tol.lossAbs, 0);
    const within = got.every((_, i) => Math.abs(got[i] - want[i]) <= Math.max(tol.lossRel * Math.abs(want[i]), tol.lossAbs));
    expect(within, `loss ${got[loss.at]} vs ${want[loss.at]} (rel ratio ${loss.ratio}, abs ratio ${lossAbs.ratio})`).toBe(true);
    if (c.terms) {
      c.terms.forEach((t, i) => expect(Math.abs(result.terms![i] - t)).toBeLessThanOrEqual(Math.max(tol.lossRel * Math.abs(t), tol.lossAbs)));
    }
    expect(result.grad!.length).toBe(c.grad.length);
    const grad = worstRatio(result.grad!, c.grad, tol.gradAbs, tol.gradRel);
    expect(grad.ratio, `grad[${grad.at}] = ${result.grad![grad.at]}, want ${c.grad[grad.at]}`).toBeLessThanOrEqual(1);
  });
});
