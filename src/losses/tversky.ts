// Tversky loss, focal Tversky when gamma != 1: per (sample, class)
// (1 - (I + sn) / (I + α(Sp - I) + β(Sg - I) + sd))^γ, always on plain sums.
import { number } from '../schema.js';
import { REGION_SCHEMA, runRegion } from './region.js';
import { defineLoss } from './define.js';

export const tversky = defineLoss({
  name: 'tversky',
  doc: 'Tversky loss; focal Tversky when gamma != 1',
  schema: {
    ...REGION_SCHEMA,
    alpha: number({ default: 0.5, min: 0, doc: 'weight of false positives' }),
    beta: number({ default: 0.5, min: 0, doc: 'weight of false negatives' }),
    gamma: number({ default: 1, min: 0, doc: 'focal exponent of the loss' }),
  },
  run: (call, s) => runRegion(call, 'tversky', s),
});
