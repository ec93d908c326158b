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
} satisfies Schema;

export type RegionOptionSettings = Settings<typeof REGION_SCHEMA> & { alpha?: number; beta?: number; gamma?: number };

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
  };
}

/** A region loss: the statistics pass, the finishing step, then (with a gradient) the gradient pass,
 *  which reads the probabilities the statistics pass left in the gradient. */
export function runRegion(call: Call, kind: RegionKind, s: RegionOptionSettings): LossResult {
  const { N, C, nhwc } = call.g;
  const settings = regionSettings(kind, s);
  const index = call.targetKind === 'index';
  // a single sigmoid channel is binary: its index map holds 0 and 1, and g = [t == 1]
  const labelOffset = s.activation !== 'softmax' && C === 1 ? 1 : 0;
  if (index) call.labels(labelOffset ? 2 : C, s.ignoreIndex);
  else call.checkRange('target', call.target, 0, 1);
  if (s.activation === 'none') call.checkRange('input', call.input, 0, 1);
  const grad = call.gradient();
  const stats = call.zeros(N * C * 24);
  const fixed = {
    C, nhwc: +nhwc, labelOffset, ignore: s.ignoreIndex ?? NO_IGNORE, squared: +settings.squared, prior: 0, factor: 0,
    weight: 0, smoothing: 0, scale: 0,
  };
  const targets = { labels: index, dense: !index };
  call.pass({ ...targets, grad }, (w) =>
    call.kernel(STATS[s.activation], { ...fixed, ...w, stats: stats + w.n * C * 24, coefA: 0, coefB: 0 }));
  const done = finishRegion(call.f64(stats, N * C * 3), N, C, settings);
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
