// Linear memory stays bounded: after the largest call has grown it, 10,000 further calls of mixed
// sizes and losses do not grow it again, and results stay correct after a grow.
import { describe, expect, it } from 'vitest';
import { init } from '../src/index.js';
import { labels, logits, rng } from './helpers.js';

describe.each(['wasm', 'js'] as const)('%s memory', (backend) => {
  it('is bounded over 10,000 calls of mixed sizes', async () => {
    const seg = await init({ backend });
    const rand = rng(1);
    const sizes = [1, 7, 64, 300, 2048].map((P) => {
      const C = 1 + Math.floor(rand() * 8);
      return { P, C, x: logits(rand, 2 * C * P), t: labels(rand, 2 * P, C, 255) };
    });
    const call = (k: number) => {
      const { P, C, x, t } = sizes[k % sizes.length];
      const shape = [2, C, P];
      switch (k % 4) {
        case 0: return seg.crossEntropy(x, t, { shape, ignoreIndex: 255, grad: true });
        case 1: return seg.dice(x, t, { shape, ignoreIndex: 255, grad: true });
        case 2: return seg.focal(x, t, { shape, ignoreIndex: 255, grad: true, activation: 'sigmoid' as const });
        default: return seg.combined(x, t, { shape, ignoreIndex: 255, grad: true, terms: [{ loss: 'crossEntropy' }, { loss: 'iou' }] });
      }
    };
    for (let k = 0; k < 20; k++) call(k); // every size with every loss once
    const high = seg.memoryBytes;
    const reference = call(4);
    const n = backend === 'wasm' ? 10_000 : 2_000; // the fallback is ~15x slower; the arena is the same code
    for (let k = 0; k < n; k++) call(k);
    expect(seg.memoryBytes).toBe(high);
    expect(call(4)).toEqual(reference);
  });

  it('gives the same result before and after the memory grows', async () => {
    const seg = await init({ backend });
    const rand = rng(2);
    const x = logits(rand, 3 * 4 * 50);
    const t = labels(rand, 3 * 50, 4, 255);
    const first = seg.crossEntropy(x, t, { shape: [3, 4, 50], ignoreIndex: 255, grad: true });
    const before = seg.memoryBytes;
    const big = logits(rand, 4 * 300_000);
    seg.dice(big, labels(rand, 300_000, 4), { shape: [1, 4, 300_000], grad: true });
    expect(seg.memoryBytes).toBeGreaterThan(before);
    expect(seg.crossEntropy(x, t, { shape: [3, 4, 50], ignoreIndex: 255, grad: true })).toEqual(first);
  });
});
