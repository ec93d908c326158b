// Both backends against the golden fixtures. The rules live in test/conformance/check.mjs, which
// every runtime and the browser run too: tolerances come with each case (gen.py sets them, never
// looser than loss rel 1e-5, grad 1e-6 abs + 1e-4 rel);
//   loss: |got - want| <= max(lossRel |want|, lossAbs); grad: |got - want| <= gradAbs + gradRel |want|
import { describe, expect, it } from 'vitest';
import { LOSS_NAMES } from '../src/index.js';
import { checkCase, lossesOf, uncovered } from './conformance/check.mjs';
import { loadFixtures } from './fixtures.js';
import { backends } from './helpers.js';

const cases = loadFixtures();

describe.each(['wasm', 'js'] as const)('%s backend matches the references', async (name) => {
  const seg = await backends[name];

  it('has fixtures for every registered loss and combined', () => {
    expect(lossesOf(LOSS_NAMES)).toContain('combined');
    expect(uncovered(LOSS_NAMES, cases)).toEqual([]);
    expect(cases.length).toBeGreaterThan(100);
  });

  it.each(cases.map((c) => [c.name, c] as const))('%s', (_, c) => {
    expect(checkCase(seg, c)).toBeUndefined();
  });
});
