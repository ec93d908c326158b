// Every bad input throws a TypeError or RangeError naming the argument and the offending value,
// on both backends, before any number is produced.
import { describe, expect, it } from 'vitest';
import { init } from '../src/index.js';
import { CALL_ERRORS, casesOf } from './cases/index.js';
import { backends } from './helpers.js';

/** The call plumbing's bad input (test/cases/call.ts), then every loss table's own (test/cases/<loss>.ts). */
const cases = [...CALL_ERRORS, ...casesOf('errors').map(({ case: c }) => c)].map((c) => [c.name, c.run, c.type, c.message] as const);

it('names every bad-input case once', () => {
  const names = cases.map(([name]) => name);
  expect(names.length).toBeGreaterThanOrEqual(40);
  expect(new Set(names).size).toBe(names.length);
});

describe.each(['wasm', 'js'] as const)('%s rejects bad input', async (name) => {
  const seg = await backends[name];
  it.each(cases)('%s', (_, call, type, message) => {
    expect(() => call(seg)).toThrow(type);
    expect(() => call(seg)).toThrow(message);
  });
});

it('init rejects an unknown backend', async () => {
  await expect(init({ backend: 'gpu' as never })).rejects.toThrow(/backend must be 'wasm' or 'js', got "gpu"/);
});

describe.each(['wasm', 'js'] as const)('%s finds the first bad label wherever it lies', async (name) => {
  const seg = await backends[name];
  // the label scan counts four labels at a time until a group holds a bad one: a bad label in every
  // lane of the first groups, after ignored ones, with and without class weights
  const P = 23;
  for (let at = 0; at < 12; at++) {
    it(`bad label at pixel ${at}`, () => {
      const x = new Float32Array(3 * P);
      const t = Int32Array.from({ length: P }, (_, i) => (i % 5 === 1 ? 255 : i % 3));
      t[at] = 7;
      if (at + 3 < P) t[at + 3] = -1; // a later bad label is not the one reported
      const message = `target[${at}] = 7 is out of range: labels must be in [0, 3) (ignoreIndex 255)`;
      for (const weight of [undefined, Float32Array.of(1, 2, 3)]) {
        expect(() => seg.crossEntropy(x, t, { shape: [1, 3, P], ignoreIndex: 255, weight })).toThrow(message);
      }
      expect(() => seg.dice(x, t, { shape: [1, 3, P], ignoreIndex: 255 })).toThrow(message);
    });
  }
  it('counts the kept pixels exactly: the mean divides by them', () => {
    const t = Int32Array.from({ length: 1001 }, (_, i) => (i % 7 === 0 ? 255 : i % 2));
    const kept = t.filter((v) => v !== 255).length;
    const sum = seg.crossEntropy(new Float32Array(2 * 1001), t, { shape: [1, 2, 1001], ignoreIndex: 255, reduction: 'sum' }).loss as number;
    const mean = seg.crossEntropy(new Float32Array(2 * 1001), t, { shape: [1, 2, 1001], ignoreIndex: 255 }).loss as number;
    expect(mean).toBe(sum / kept);
  });
});
