// The copying path streams a batch through a window of the backend's memory, carrying a block's lane
// sums from one window to the next. Whatever the window's size and the thread count, the bits are those
// of one pass on one thread: every parity case of the loss tables (test/cases/), with the smallest window
// (one tile of 128 pixels), windows of whole blocks and one window holding the whole batch, on 1, 2, 3
// and 8 threads, against one window on one thread, on shapes that cut samples into windows and blocks.
import { afterAll, describe, expect, it } from 'vitest';
import { init } from '../src/index.js';
import { casesOf, drawParityData } from './cases/index.js';
import { firstBitDifference, logits, rng } from './helpers.js';

const geometries = [
  { N: 3, C: 4, S: [7, 45] }, // P = 315: samples cut into windows mid-sample, a short last group
  { N: 5, C: 3, S: [2, 3] }, // P = 6: several samples per window
  { N: 2, C: 1, S: [300] }, // one channel
  { N: 2, C: 19, S: [16, 16] }, // P = 256: windows on sample boundaries
  { N: 1, C: 2, S: [2 * 16384 + 300] }, // three blocks of one sample: threads split it, windows cut blocks
  { N: 2, C: 2, S: [16384 + 1024] }, // two blocks a sample, the second short
];

describe.each([
  ['wasm', 1], ['js', 1], ['wasm', 2], ['wasm', 3], ['wasm', 8],
] as const)('%s, %i threads: streaming through a window gives the bits of one pass on one thread', async (backend, threads) => {
  const whole = await init({ backend, threads: 1 });
  whole.host.windowBytes = 2 ** 31; // the whole batch in one window
  const tiny = await init({ backend, threads });
  tiny.host.windowBytes = 1; // one tile per window
  const wholeThreads = await init({ backend, threads });
  wholeThreads.host.windowBytes = 2 ** 31;
  const blocks = await init({ backend, threads });
  blocks.host.windowBytes = 2 ** 20; // windows of whole blocks (BLOCK = 16384 pixels) on the large shapes
  afterAll(() => [tiny, wholeThreads, blocks].forEach((s) => s.dispose()));
  for (const g of geometries) {
    const P = g.S.reduce((a, b) => a * b, 1);
    const rand = rng(g.N * 100 + g.C);
    const x = logits(rand, g.N * g.C * P);
    const d = drawParityData(g, rand);
    for (const { case: c } of casesOf('parity')) {
      if (c.multiClass && g.C === 1) continue;
      for (const layout of ['NCHW', 'NHWC'] as const) {
        it(`${c.name}, [${g.N}, ${g.C}, ${g.S}] ${layout}`, () => {
          const base = { shape: layout === 'NCHW' ? [g.N, g.C, ...g.S] : [g.N, ...g.S, g.C], layout, grad: true } as const;
          const a = c.run(whole, x, base, d);
          for (const seg of [tiny, wholeThreads, blocks]) {
            const b = c.run(seg, x, base, d);
            expect(firstBitDifference(a.loss as number, b.loss as number)).toBe(-1);
            if (a.grad) expect(firstBitDifference(a.grad, b.grad!)).toBe(-1);
            expect(a.terms).toEqual(b.terms);
          }
        });
      }
    }
  }

  it('keeps the copying path in bounded memory: a 64 MB batch leaves wasm memory far below it', async () => {
    const seg = await init({ backend, threads });
    const [N, C, P] = [2, 8, 1 << 20];
    const rand = rng(3);
    const x = Float32Array.from({ length: N * C * P }, () => rand() * 4 - 2);
    const t = Uint8Array.from({ length: N * P }, () => Math.floor(rand() * C));
    const out = new Float32Array(x.length);
    const r = seg.crossEntropy(x, t, { shape: [N, C, P], out });
    expect(r.grad).toBe(out);
    seg.dice(x, t, { shape: [N, C, P], out });
    seg.combined(x, t, { shape: [N, C, P], out, terms: [{ loss: 'focal' }, { loss: 'iou' }] });
    expect(seg.memoryBytes).toBeLessThan(8 * 2 ** 20); // the window, scratch and per-class sums
    seg.dispose();
  });
});
