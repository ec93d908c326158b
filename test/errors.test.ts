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
