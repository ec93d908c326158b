// The region losses (Dice, IoU, Tversky): their shared options and run, and the finishing step in
// f64, shared by both backends, from the per-(sample, class) statistics (I, Sp, Sg) of the region
// kernel to the loss and the coefficients of its gradient. Statistics are plain sums, so those of
// several chunks of a batch or a volume can be added before the finishing step.
import type { Call } from '../call.js';
import type { KernelName } from '../abi.js';
import type { LossResult } from '../options.js';
import { type Schema, type Settings, boolean, depends, ignoreIndex, number, oneOf, perClass } from '../schema.js';
import { NO_IGNORE, REDUCTION } from './define.js';

export type RegionKind = 'dice' | 'iou' | 'tversky';

/** The options of every region loss; Tversky adds its own. */
export const REGION_SCHEMA = {
  reduction: REDUCTION,
  activation: oneOf(['softmax', 'sigmoid', 'none'], (env) => (env.g.C > 1 ? 'softmax' : 'sigmoid'),
    "'softmax', 'sigmoid' or 'none' (the input holds probabilities)", "'softmax' when C > 1, else 'sigmoid'"),
  squared: boolean(true, 'Σp² and Σg² in the denominator (V-Net); Tversky accepts it and uses plain sums'),
  smoothNumerator: number({ default: 0, min: 0, doc: 'added to the numerator' }),
  smoothDenominator: number({ default: 1e-6, min: 0, doc: 'added to the denominator' }),
  perSample: boolean(true, 'scores per (sample, class); false pools the batch per class'),
  includeBackground: depends<boolean, boolean>('false drops class 0 from the mean (it stays in the softmax)', 'true',
    (v, name, env) => {
      const include = boolean(true, '').parse(v, name, env);
      if (!include && env.g.C < 2) throw new RangeError(`includeBackground: false needs C >= 2 classes, got C = ${env.g.C}`);
      return include;
    }),
  ignoreIndex: ignoreIndex(undefined, 'label whose pixels drop out (index targets)', 'none'),
  weight: perClass('per-class weights of the class mean, finite and >= 0'),
  absentClasses: oneOf(['score', 'zero'], 'score',
    "'zero': loss 0 for a (sample, class) whose target sum is 0, still counted in the mean (smp)"),
  clampDenominator: number({ default: 0, min: 0, doc: "the score's denominator becomes max(denominator, clampDenominator) (smp's eps)" }),
} satisfies Schema;

export type RegionOptionSettings = Settings<typeof REGION_SCHEMA> & {
  alpha?: number; beta?: number; gamma?: number; gammaAfterMean?: boolean;
};

const STATS: Record<string, KernelName> = {
  softmax: 'regionStatsSoftmax', sigmoid: 'regionStatsSigmoid', none: 'regionStatsProbabilities',
};
const GRADS: Record<string, KernelName> = {
  softmax: 'regionGradSoftmax', sigmoid: 'regionGradSigmoid', none: 'regionGradProbabilities',
};

export function regionSettings(kind: RegionKind, s: RegionOptionSettings): RegionSettings {
  return {
    kind,
    reduction: s.reduction,
    squared: kind === 'tversky' ? false : s.squared,
    sn: s.smoothNumerator,
    sd: s.smoothDenominator,
    perSample: s.perSample,
    includeBackground: s.includeBackground,
    weight: s.weight,
    alpha: s.alpha ?? 0,
    beta: s.beta ?? 0,
    gamma: s.gamma ?? 1,
    absentZero: s.absentClasses === 'zero',
    clamp: s.clampDenominator,
    gammaAfterMean: s.gammaAfterMean ?? false,
  };
}

/** What the statistics and gradient passes of a region loss need. */
export interface RegionPass {
  activation: 'softmax' | 'sigmoid' | 'none';
  ignoreIndex: number | undefined;
  squared: boolean;
}

/** The finishing step: per-(sample, class) statistics (I, Sp, Sg) in f64 to the loss and the
 *  gradient coefficients A = dL/dI, B = dL/dSp. */
export type RegionFinish = (stats: Float64Array, N: number, C: number) => RegionResult;

/** Dice, IoU and Tversky: runRegion with finishRegion. */
export function runRegionLoss(call: Call, kind: RegionKind, s: RegionOptionSettings): LossResult {
  const settings = regionSettings(kind, s);
  return runRegion(call, { activation: s.activation, ignoreIndex: s.ignoreIndex, squared: settings.squared },
    (stats, N, C) => finishRegion(stats, N, C, settings));
}

/** A region loss: the statistics pass, the finishing step, then (with a gradient) the gradient pass,
 *  which reads the probabilities the statistics pass left in the gradient. */
export function runRegion(call: Call, s: RegionPass, finish: RegionFinish): LossResult {
  const { N, C, nhwc } = call.g;
  const index = call.targetKind === 'index';
  // a single sigmoid channel is binary: its index map holds 0 and 1, and g = [t == 1]
  const labelOffset = s.activation !== 'softmax' && C === 1 ? 1 : 0;
  if (index) call.labels(labelOffset ? 2 : C, s.ignoreIndex);
  else call.checkRange('target', call.target, 0, 1);
  if (s.activation === 'none') call.checkRange('input', call.input, 0, 1);
  const grad = call.gradient();
  const stats = call.blockSums(3 * C);
  const fixed = {
    C, nhwc: +nhwc, labelOffset, ignore: s.ignoreIndex ?? NO_IGNORE, squared: +s.squared, prior: 0, factor: 0,
    weight: 0, smoothing: 0, scale: 0,
  };
  const targets = { labels: index, dense: !index };
  call.pass({ ...targets, grad }, (w) =>
    call.kernel(STATS[s.activation], { ...fixed, ...w, stats: stats.at(w), coefA: 0, coefB: 0 }));
  const done = finish(stats.perSample(), N, C);
  if (!grad) return { loss: done.loss };
  const coefA = call.putF32(done.coefA);
  const coefB = call.putF32(done.coefB);
  call.pass({ ...targets, input: false, grad, gradIn: true }, (w) =>
    call.kernel(GRADS[s.activation], { ...fixed, ...w, stats: 0, coefA: coefA + w.n * C * 4, coefB: coefB + w.n * C * 4 }));
  return { loss: done.loss, grad: grad.result(call) };
}

/** What the finishing step needs, resolved from a region loss's options. */
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
  /** absentClasses 'zero': loss 0 (and no gradient) where the target sum is 0 */
  absentZero: boolean;
  /** clampDenominator: the score's denominator is max(den, clamp), with no derivative through it when clamped */
  clamp: number;
  /** Tversky: γ applies to the reduced mean instead of each score */
  gammaAfterMean: boolean;
}
export interface RegionResult {
  loss: number | Float32Array;
  /** dL/dI and dL/dSp per (sample, class), for the gradient kernel */
  coefA: Float32Array;
  coefB: Float32Array;
}

/** Loss of one score and its derivatives with respect to I and Sp. A denominator below `clamp` is
 *  replaced by `clamp`, a constant: no derivative flows through it then. */
function scoreLoss(s: RegionSettings, I: number, Sp: number, Sg: number, gamma: number): [number, number, number] {
  if (s.kind === 'dice') {
    const num = 2 * I + s.sn;
    let den = Sp + Sg + s.sd;
    const free = !(den < s.clamp);
    if (!free) den = s.clamp;
    return [1 - num / den, -2 / den, free ? num / (den * den) : 0];
  }
  if (s.kind === 'iou') {
    const num = I + s.sn;
    const den = Sp + Sg - I + s.sd;
    if (den < s.clamp) return [1 - num / s.clamp, -1 / s.clamp, 0];
    return [1 - num / den, -(den + num) / (den * den), num / (den * den)];
  }
  const num = I + s.sn;
  let den = I + s.alpha * (Sp - I) + s.beta * (Sg - I) + s.sd;
  const free = !(den < s.clamp);
  if (!free) den = s.clamp;
  const score = num / den;
  const dScoreDI = free ? (den - num * (1 - s.alpha - s.beta)) / (den * den) : 1 / den;
  const dScoreDSp = free ? (-num * s.alpha) / (den * den) : 0;
  const base = 1 - score;
  let loss = base;
  let slope = -1; // d loss / d score
  if (gamma !== 1) {
    loss = base > 0 ? base ** gamma : 0;
    slope = base > 0 ? -gamma * base ** (gamma - 1) : 0;
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
      const absent = s.absentZero && pooled[o + 2] === 0;
      const [loss, a, b] = absent ? [0, 0, 0] : scoreLoss(s, pooled[o], pooled[o + 1], pooled[o + 2], s.gammaAfterMean ? 1 : s.gamma);
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
  if (s.gammaAfterMean && s.gamma !== 1) {
    // smp's TverskyLoss: (mean loss)^γ, clamped as the per-score form (0 with zero slope unless > 0)
    const m = loss as number;
    loss = m > 0 ? m ** s.gamma : 0;
    scale *= m > 0 ? s.gamma * m ** (s.gamma - 1) : 0;
  }
  return { loss, ...coefficients(dI, dSp, N, C, s.perSample, scale) };
}

/** The gradient coefficients per (sample, class) as the kernels read them (f32 [N, C]): dL/dI and dL/dSp
 *  of each row of scores (one per sample, or one pooled row for every sample), times `scale`. */
export function coefficients(dI: Float64Array, dSp: Float64Array, N: number, C: number, perSample: boolean, scale: number) {
  const coefA = new Float32Array(N * C);
  const coefB = new Float32Array(N * C);
  for (let n = 0; n < N; n++) {
    const r = perSample ? n : 0;
    for (let c = 0; c < C; c++) {
      coefA[n * C + c] = dI[r * C + c] * scale;
      coefB[n * C + c] = dSp[r * C + c] * scale;
    }
  }
  return { coefA, coefB };
}
