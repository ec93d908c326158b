// Tversky loss, focal Tversky when gamma != 1: per (sample, class)
// (1 - (I + sn) / (I + α(Sp - I) + β(Sg - I) + sd))^γ, always on plain sums; with gammaAfterMean
// (smp) γ applies to the mean instead.
import { boolean, depends, number } from '../schema.js';
import { REGION_SCHEMA, runRegionLoss } from './region.js';
import { defineLoss } from './define.js';

export const tversky = defineLoss({
  name: 'tversky',
  doc: 'Tversky loss; focal Tversky when gamma != 1',
  schema: {
    ...REGION_SCHEMA,
    alpha: number({ default: 0.5, min: 0, f32: true, doc: 'weight of false positives' }),
    beta: number({ default: 0.5, min: 0, f32: true, doc: 'weight of false negatives' }),
    gamma: number({ default: 1, min: 0, f32: true, doc: 'focal exponent of the loss' }),
    gammaAfterMean: depends<boolean, boolean>("true: γ applies to the mean, (mean (1 - T))^γ, as smp's TverskyLoss; needs reduction 'mean'", 'false',
      (v, name, env) => {
        const after = boolean(false, '').parse(v, name, env);
        if (after && env.settings.reduction !== 'mean') {
          throw new TypeError(`gammaAfterMean: true needs reduction 'mean', got ${JSON.stringify(env.settings.reduction)}`);
        }
        return after;
      }),
  },
  run: (call, s) => runRegionLoss(call, 'tversky', s),
});
