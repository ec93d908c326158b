// Generalized Dice loss (Sudre et al. 2017), MONAI's GeneralizedDiceLoss: per sample (or pooled over
// the batch), with plain sums I_c = Σpg, P_c = Σp, G_c = Σg over the kept pixels and weights from the
// target only, 1 - (2 Σ_c w_c I_c + sn) / (Σ_c w_c (P_c + G_c) + sd). It runs on the region kernels
// (plain sums) with its own finishing step.
import { boolean, number, oneOf } from '../schema.js';
import { defineLoss } from './define.js';
import { REGION_SCHEMA, type RegionResult, coefficients, runRegion } from './region.js';

export type WeightType = 'square' | 'simple' | 'uniform';

export interface GeneralizedDiceSettings {
  reduction: 'mean' | 'sum' | 'none';
  weightType: WeightType;
  sn: number;
  sd: number;
  perSample: boolean;
  includeBackground: boolean;
}

export const generalizedDice = defineLoss({
  name: 'generalizedDice',
  doc: "Generalized Dice loss (MONAI's GeneralizedDiceLoss)",
  schema: {
    reduction: oneOf(['mean', 'sum', 'none'], 'mean', "'mean' over samples, 'sum', or 'none' (one loss per sample, [N], or [1] pooled)"),
    activation: REGION_SCHEMA.activation,
    weightType: oneOf(['square', 'simple', 'uniform'], 'square', "w_c = 1/G_c² ('square'), 1/G_c ('simple') or 1 ('uniform')"),
    smoothNumerator: number({ default: 1e-5, min: 0, doc: 'added to the numerator' }),
    smoothDenominator: number({ default: 1e-5, min: 0, doc: 'added to the denominator' }),
    perSample: boolean(true, 'one loss per sample, then the mean; false pools the batch into one'),
    includeBackground: REGION_SCHEMA.includeBackground,
    ignoreIndex: REGION_SCHEMA.ignoreIndex,
  },
  run: (call, s) => {
    const settings: GeneralizedDiceSettings = {
      reduction: s.reduction, weightType: s.weightType, sn: s.smoothNumerator, sd: s.smoothDenominator,
      perSample: s.perSample, includeBackground: s.includeBackground,
    };
    return runRegion(call, { activation: s.activation, ignoreIndex: s.ignoreIndex, squared: false },
      (stats, N, C) => finishGeneralizedDice(stats, N, C, settings));
  },
});

/** w_c from the target sum G_c; Infinity where G_c = 0 (except 'uniform'). */
function classWeight(type: WeightType, G: number): number {
  if (type === 'uniform') return 1;
  return type === 'square' ? 1 / (G * G) : 1 / G;
}

/**
 * The finishing step in f64, from the per-(sample, class) sums (I, Sp, Sg) to the loss and the
 * coefficients A = dL/dI, B = dL/dSp of the region gradient kernel. The weights are constants (no
 * gradient flows through them); an infinite weight becomes the largest finite weight of its row
 * (the sample, or the batch when pooled), or 0 when there is none, as MONAI does.
 */
export function finishGeneralizedDice(stats: Float64Array, N: number, C: number, s: GeneralizedDiceSettings): RegionResult {
  const rows = s.perSample ? N : Math.min(N, 1);
  const pooled = s.perSample ? stats : new Float64Array(C * 3);
  if (!s.perSample) for (let i = 0; i < N * C * 3; i++) pooled[i % (C * 3)] += stats[i];
  const first = s.includeBackground ? 0 : 1;
  const losses = new Float64Array(rows);
  const dI = new Float64Array(rows * C);
  const dSp = new Float64Array(rows * C);
  const w = new Float64Array(C);
  for (let r = 0; r < rows; r++) {
    let largest = 0;
    for (let c = first; c < C; c++) {
      w[c] = classWeight(s.weightType, pooled[(r * C + c) * 3 + 2]);
      if (Number.isFinite(w[c]) && w[c] > largest) largest = w[c];
    }
    let num = s.sn;
    let den = s.sd;
    let inter = 0;
    for (let c = first; c < C; c++) {
      if (!Number.isFinite(w[c])) w[c] = largest;
      const o = (r * C + c) * 3;
      inter += w[c] * pooled[o];
      den += w[c] * (pooled[o + 1] + pooled[o + 2]);
    }
    num += 2 * inter;
    losses[r] = 1 - num / den;
    for (let c = first; c < C; c++) {
      dI[r * C + c] = (-2 * w[c]) / den;
      dSp[r * C + c] = (w[c] * num) / (den * den);
    }
  }
  let total = 0;
  for (let r = 0; r < rows; r++) total += losses[r];
  let loss: number | Float32Array = total;
  let scale = 1;
  if (s.reduction === 'mean') {
    scale = rows > 0 ? 1 / rows : 0;
    loss = total * scale;
  } else if (s.reduction === 'none') {
    loss = Float32Array.from(losses);
  }
  return { loss, ...coefficients(dI, dSp, N, C, s.perSample, scale) };
}
