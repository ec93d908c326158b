// The restructuring guard: every fixture case's loss and gradient bits on both backends, hashed and
// compared with test/fixtures/digests.json, which was recorded before the code was reorganised.
// SEGLOSS_WRITE_DIGESTS=1 npx vitest run test/digests.test.ts records it again (only on purpose).
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { targetOf } from './conformance/check.mjs';
import { loadFixtures } from './fixtures.js';
import { backends } from './helpers.js';

const file = new URL('./fixtures/digests.json', import.meta.url);
const cases = loadFixtures();

function digest(result: { loss: number | Float32Array; terms?: number[]; grad?: Float32Array }): string {
  const h = createHash('sha256');
  const loss = typeof result.loss === 'number' ? Float64Array.of(result.loss) : result.loss;
  h.update(new Uint8Array(loss.buffer, loss.byteOffset, loss.byteLength));
  if (result.terms) h.update(new Uint8Array(Float64Array.from(result.terms).buffer));
  if (result.grad) h.update(new Uint8Array(result.grad.buffer, result.grad.byteOffset, result.grad.byteLength));
  return h.digest('hex').slice(0, 32);
}

describe('output bits are those recorded before the restructuring', async () => {
  const digests: Record<string, string> = {};
  for (const name of ['wasm', 'js'] as const) {
    const seg = await backends[name];
    for (const c of cases) {
      const call = (seg as unknown as Record<string, (...a: unknown[]) => never>)[c.fn].bind(seg);
      const input = Float32Array.from(c.input);
      digests[`${name} ${c.name}`] = digest(call(input, targetOf(c), { ...c.options, shape: c.shape, grad: true }));
      digests[`${name} ${c.name} (no grad)`] = digest(call(input, targetOf(c), { ...c.options, shape: c.shape }));
    }
  }
  if (process.env.SEGLOSS_WRITE_DIGESTS === '1') writeFileSync(file, `${JSON.stringify(digests, null, 1)}\n`);
  const recorded: Record<string, string> = JSON.parse(readFileSync(file, 'utf8'));

  it('covers every case on both backends', () => {
    expect(Object.keys(recorded).sort()).toEqual(Object.keys(digests).sort());
  });
  it.each(Object.keys(recorded))('%s', (key) => {
    expect(digests[key]).toBe(recorded[key]);
  });
});
