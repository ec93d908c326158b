// The case-table registry: loss name -> its table (test/cases/<loss>.ts). It must cover every name
// of the library's LOSS_NAMES plus 'combined' (test/registry.test.ts checks it); the parity,
// gradcheck, zero-copy, memory and errors suites read every table from here.
import type { LossName } from '../../src/index.js';
import { binaryCrossEntropy } from './binaryCrossEntropy.js';
import { combined } from './combined.js';
import { crossEntropy } from './crossEntropy.js';
import { dice } from './dice.js';
import { focal } from './focal.js';
import { iou } from './iou.js';
import { tversky } from './tversky.js';
import type { LossCases } from './types.js';

export { CALL_ERRORS } from './call.js';
export type * from './types.js';

export const CASES: Record<LossName | 'combined', LossCases> = { crossEntropy, binaryCrossEntropy, focal, dice, iou, tversky, combined };

/** Every table's `key` cases, in registry order, with the loss each belongs to. */
export function casesOf<K extends keyof LossCases>(key: K): { loss: string; case: LossCases[K][number] }[] {
  return Object.entries(CASES).flatMap(([loss, table]) => table[key].map((c) => ({ loss, case: c as LossCases[K][number] })));
}
