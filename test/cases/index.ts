// The case-table registry: loss name -> its table (test/cases/<loss>.ts). It must cover every name
// of the library's LOSS_NAMES plus 'combined' (test/registry.test.ts checks it); the parity,
// gradcheck, zero-copy, memory and errors suites read every table from here.
import type { LossName } from '../../src/index.js';
import { binaryCrossEntropy } from './binaryCrossEntropy.js';
import { combined } from './combined.js';
import { crossEntropy } from './crossEntropy.js';
import { dice } from './dice.js';
import { focal } from './focal.js';
import { generalizedDice } from './generalizedDice.js';
import { iou } from './iou.js';
import { lovaszHinge } from './lovaszHinge.js';
import { lovaszSoftmax } from './lovaszSoftmax.js';
import { tversky } from './tversky.js';
import type { LossCases, ParityData } from './types.js';
import { labels } from '../helpers.js';

export { CALL_ERRORS } from './call.js';
export type * from './types.js';

export const CASES: Record<LossName | 'combined', LossCases> = {
  crossEntropy, binaryCrossEntropy, focal, dice, iou, tversky, generalizedDice, lovaszSoftmax, lovaszHinge, combined,
};

/** Every table's `key` cases, in registry order, with the loss each belongs to. */
export function casesOf<K extends keyof LossCases>(key: K): { loss: string; case: LossCases[K][number] }[] {
  return Object.entries(CASES).flatMap(([loss, table]) => table[key].map((c) => ({ loss, case: c as LossCases[K][number] })));
}

/** The data every parity case may use, drawn in this order from the geometry's generator. */
export function drawParityData(g: { N: number; C: number; S: number[] }, rand: () => number): ParityData {
  const P = g.S.reduce((a, b) => a * b, 1);
  const { N, C } = g;
  const t = labels(rand, N * P, C, 255, 0.15);
  const t8 = Uint8Array.from(t);
  const t16 = Uint16Array.from(t);
  const tNeg = labels(rand, N * P, C, -100, 0.15);
  const bin = labels(rand, N * P, Math.max(C, 2), 7, 0.1).map((v) => (C === 1 ? v % 2 || (v === 7 ? 7 : 0) : v));
  const dense = Float32Array.from({ length: N * C * P }, () => (rand() < 0.4 ? 1 : 0));
  const soft = Float32Array.from({ length: N * C * P }, () => rand());
  const probs = Float32Array.from({ length: N * C * P }, () => rand());
  const weight = Array.from({ length: C }, () => 0.2 + rand() * 2);
  return { N, C, P, t, t8, t16, tNeg, bin, dense, soft, probs, weight };
}

