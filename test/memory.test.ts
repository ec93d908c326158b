// Linear memory stays bounded: after the largest call has grown it, 10,000 further calls of mixed
// sizes and losses do not grow it again (one thread), and results stay correct after a grow (one
// thread, and a pool over shared memory).
import { describe, expect, it } from 'vitest';
import { init } from '../src/index.js';
import { casesOf } from './cases/index.js';
import { labels, logits, rng } from './helpers.js';

/** The memory calls of every loss's table (test/cases/), mixed in this order. */
const calls = casesOf('memory').map(({ case: c }) => c);
const lcm = (a: number, b: number): number => {
  const gcd = (p: number, q: number): number => (q ? gcd(q, p % q) : p);
  return (a * b) / gcd(a, b);
};

describe.each(['wasm', 'js'] as const)('%s memory', (backend) => {
  it('mixes calls of several losses', () => {
    expect(new Set(casesOf('memory').map((c) => c.loss)).size).toBeGreaterThanOrEqual(4);
  });

  it('is bounded over 10,000 calls of mixed sizes (one thread)', async () => {
    const seg = await init({ backend, threads: 1 });
    const rand = rng(1);
    const sizes = [1, 7, 64, 300, 2048].map((P) => {
      const C = 1 + Math.floor(rand() * 8);
      return { P, C, x: logits(rand, 2 * C * P), t: labels(rand, 2 * P, C, 255) };
    });
    const call = (k: number) => {
      const { P, C, x, t } = sizes[k % sizes.length];
      return calls[k % calls.length](seg, x, t, [2, C, P]);
    };
    const cycle = lcm(calls.length, sizes.length);
    for (let k = 0; k < cycle; k++) call(k); // every size with every call once
    const high = seg.memoryBytes;
    const reference = call(4);
    const n = backend === 'wasm' ? 10_000 : 2_000; // the fallback is ~15x slower; the arena is the same code
    for (let k = 0; k < n; k++) call(k);
    expect(seg.memoryBytes).toBe(high);
    expect(call(4)).toEqual(reference);
  });

  it.each(backend === 'wasm' ? [1, 3] : [1])('gives the same result before and after the memory grows (%i thread(s))', async (threads) => {
    const seg = await init({ backend, threads });
    const rand = rng(2);
    const x = logits(rand, 3 * 4 * 50);
    const t = labels(rand, 3 * 50, 4, 255);
    const first = seg.crossEntropy(x, t, { shape: [3, 4, 50], ignoreIndex: 255, grad: true });
    const before = seg.memoryBytes;
    const big = logits(rand, 4 * 300_000);
    seg.dice(big, labels(rand, 300_000, 4), { shape: [2, 4, 150_000], grad: true }); // two samples: with threads, a worker's part lies in the grown memory
    expect(seg.memoryBytes).toBeGreaterThan(before);
    expect(seg.crossEntropy(x, t, { shape: [3, 4, 50], ignoreIndex: 255, grad: true })).toEqual(first);
    expect(seg.threads).toBe(threads);
    seg.dispose();
  });
});
