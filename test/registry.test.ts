// The lists of losses outside src/ come from the library's registry (LOSS_NAMES, plus 'combined'):
// the case tables (test/cases/), the bench's cases table (bench/cases.mjs) and the fixtures'
// conformance census (test/conformance/check.mjs) cover every registered loss.
import { describe, expect, it } from 'vitest';
import { BENCH_EXEMPT, BENCH_LOSSES } from '../bench/cases.mjs';
import { LOSS_NAMES } from '../src/index.js';
import { CASES, type LossCases, casesOf } from './cases/index.js';
import { lossesOf } from './conformance/check.mjs';
import { KINDS } from './arbitraries.js';

const ALL = lossesOf(LOSS_NAMES);

describe('the case tables (test/cases/)', () => {
  it("cover every name in LOSS_NAMES plus 'combined', and nothing else", () => {
    expect(ALL).toEqual([...LOSS_NAMES, 'combined']);
    expect(Object.keys(CASES).sort()).toEqual([...ALL].sort());
  });

  it.each(ALL)('%s has parity, gradcheck and zero-copy cases', (loss) => {
    const table = CASES[loss as keyof typeof CASES];
    expect(table.parity.length, 'parity').toBeGreaterThan(0);
    expect(table.gradcheck.length, 'gradcheck').toBeGreaterThan(0);
    expect(table.zeroCopy.length, 'zero-copy').toBeGreaterThan(0);
  });

  it.each(['parity', 'gradcheck', 'zeroCopy', 'errors'] as const)('%s case names are unique across the tables', (key: keyof LossCases) => {
    const names = casesOf(key).map(({ case: c }) => (c as { name: string }).name);
    expect(new Set(names).size).toBe(names.length);
  });
});

describe('the bench (bench/cases.mjs)', () => {
  it("BENCH_LOSSES covers every name in LOSS_NAMES plus 'combined', but the exempted ones", () => {
    const missing = ALL.filter((loss) => !BENCH_LOSSES.includes(loss));
    expect(missing.sort()).toEqual(Object.keys(BENCH_EXEMPT).sort());
  });

  it('exempts a loss only with a reason, and only a loss of the library', () => {
    for (const [loss, why] of Object.entries(BENCH_EXEMPT)) {
      expect(ALL, loss).toContain(loss);
      expect(why.trim().length, `${loss}: why`).toBeGreaterThan(10);
    }
  });

  it('benches no loss the library does not have', () => {
    for (const loss of BENCH_LOSSES) expect(ALL).toContain(loss);
  });
});

describe('the property suite (test/arbitraries.ts)', () => {
  it('generates calls of every registered loss (focal in both forms)', () => {
    const losses = new Set(KINDS.map((k) => (k.startsWith('focal') ? 'focal' : k)));
    expect([...losses].sort()).toEqual([...ALL].sort());
  });
});
