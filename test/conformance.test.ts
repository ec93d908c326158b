// Both backends against the golden fixtures. The rules live in test/runtimes/conformance.mjs, which
// every runtime and the browser run too: tolerances come with each case (gen.py sets them, never
// looser than loss rel 1e-5, grad 1e-6 abs + 1e-4 rel);
//   loss: |got - want| <= max(lossRel |want|, lossAbs); grad: |got - want| <= gradAbs + gradRel |want|
import { describe, expect, it } from 'vitest';
import { LOSSES, checkCase } from './runtimes/conformance.mjs';
import { loadFixtures } from './fixtures.js';
import { backends } from './helpers.js';

const cases = loadFixtures();

describe.each(['wasm', 'js'] as const)('%s backend matches the references', async (name) => {
  const seg = await backends[name];

  it('has fixtures for every loss', () => {
    const fns = new Set(cases.map((c) => c.fn));
    for (const fn of LOSSES) expect(fns.has(fn as never), fn).toBe(true);
    expect(cases.length).toBeGreaterThan(100);
  });

  it.each(cases.map((c) => [c.name, c] as const))('%s', (_, c) => {
    expect(checkCase(seg, c)).toBeUndefined();
  });
});
