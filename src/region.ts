// From the per-(sample, class) statistics (I, Sp, Sg) of the region kernel to the loss and to the
// coefficients of its gradient, in f64, shared by both backends. Statistics are plain sums, so those of
// several chunks of a batch or a volume can be added before this step.

export type RegionKind = 'dice' | 'iou' | 'tversky';

export interface RegionSettings {
  kind: RegionKind;
  reduction: 'mean' | 'sum' | 'none';
  squared: boolean;
  sn: number;
  sd: number;
  perSample: boolean;
  includeBackground: boolean;
  weight?: Float32Array;
  alpha: number;
  beta: number;
  gamma: number;
}

export interface RegionResult {
  loss: number | Float32Array;
  /** dL/dI and dL/dSp per (sample, class), for the gradient kernel */
  coefA: Float32Array;
  coefB: Float32Array;
}

/** Loss of one score and its derivatives with respect to I and Sp. */
function scoreLoss(s: RegionSettings, I: number, Sp: number, Sg: number): [number, number, number] {
  if (s.kind === 'dice') {
    const num = 2 * I + s.sn;
    const den = Sp + Sg + s.sd;
    return [1 - num / den, -2 / den, num / (den * den)];
  }
  if (s.kind === 'iou') {
    const num = I + s.sn;
    const den = Sp + Sg - I + s.sd;
    return [1 - num / den, -(den + num) / (den * den), num / (den * den)];
  }
  const num = I + s.sn;
  const den = I + s.alpha * (Sp - I) + s.beta * (Sg - I) + s.sd;
  const score = num / den;
  const dScoreDI = (den - num * (1 - s.alpha - s.beta)) / (den * den);
  const dScoreDSp = (-num * s.alpha) / (den * den);
  const base = 1 - score;
  let loss = base;
  let slope = -1; // d loss / d score
  if (s.gamma !== 1) {
    loss = base > 0 ? base ** s.gamma : 0;
    slope = base > 0 ? -s.gamma * base ** (s.gamma - 1) : 0;
  }
  return [loss, slope * dScoreDI, slope * dScoreDSp];
}

export function finishRegion(stats: Float64Array, N: number, C: number, s: RegionSettings): RegionResult {
  // perSample: false pools the statistics of the whole batch, sample by sample in order
  const rows = s.perSample ? N : Math.min(N, 1);
  const pooled = s.perSample ? stats : new Float64Array(C * 3);
  if (!s.perSample) for (let i = 0; i < N * C * 3; i++) pooled[i % (C * 3)] += stats[i];
  const first = s.includeBackground ? 0 : 1;
  const kept = C - first;
  const losses = new Float64Array(rows * kept);
  const dI = new Float64Array(rows * C);
  const dSp = new Float64Array(rows * C);
  let weightSum = 0;
  let total = 0;
  for (let r = 0; r < rows; r++) {
    for (let c = first; c < C; c++) {
      const o = (r * C + c) * 3;
      const [loss, a, b] = scoreLoss(s, pooled[o], pooled[o + 1], pooled[o + 2]);
      const w = s.weight ? s.weight[c] : 1;
      losses[r * kept + c - first] = w * loss;
      total += w * loss;
      weightSum += w;
      dI[r * C + c] = w * a;
      dSp[r * C + c] = w * b;
    }
  }
  let loss: number | Float32Array = total;
  let scale = 1;
  if (s.reduction === 'mean') {
    scale = weightSum > 0 ? 1 / weightSum : 0;
    loss = total * scale;
  } else if (s.reduction === 'none') {
    loss = Float32Array.from(losses);
  }
  const coefA = new Float32Array(N * C);
  const coefB = new Float32Array(N * C);
  for (let n = 0; n < N; n++) {
    const r = s.perSample ? n : 0;
    for (let c = 0; c < C; c++) {
      coefA[n * C + c] = dI[r * C + c] * scale;
      coefB[n * C + c] = dSp[r * C + c] * scale;
    }
  }
  return { loss, coefA, coefB };
}
