// The sigmoid pixel losses' shared run: binary cross entropy and sigmoid focal, element by element,
// with a dense target or an index map (C = 1: y = [t == 1]; C > 1: one-hot y_c = [t == c]).
import { Call } from '../call.js';
import type { LossResult } from '../options.js';
import { NO_IGNORE, ones } from './define.js';

export interface SigmoidParams {
  kernel: 'bceLogits' | 'bceProbabilities' | 'focalSigmoid';
  reduction: string;
  ignoreIndex: number | undefined;
  posWeight?: Float32Array;
  weight?: Float32Array;
  gamma?: number;
  alpha?: number;
  /** 'mean' divides by every element, ignored ones included */
  meanOverAll?: boolean;
}

export function runSigmoid(call: Call, p: SigmoidParams): LossResult {
  const { C, nhwc } = call.g;
  const index = call.targetKind === 'index';
  const sum = call.lossSums();
  const posWeight = call.putF32(p.posWeight ?? ones(C));
  const weight = call.putF32(p.weight ?? ones(C));
  let divisor = call.input.length;
  if (index) {
    const kept = call.labels(Math.max(C, 2), p.ignoreIndex).kept;
    if (!p.meanOverAll) divisor = kept * C; // kept elements
  } else {
    call.checkRange('target', call.target, 0, 1);
  }
  const grad = call.gradient();
  const losses = p.reduction === 'none' ? call.perPixelLosses('element') : undefined;
  const scale = Call.scale(p.reduction, divisor);
  call.pass({ labels: index, dense: !index, grad, losses }, (w) =>
    call.kernel(p.kernel, {
      ...w, posWeight, weight, C, nhwc: +nhwc, labelOffset: C === 1 ? 1 : 0, ignore: p.ignoreIndex ?? NO_IGNORE,
      gamma: p.gamma ?? 0, alpha: p.alpha ?? 0, scale, out: sum.at(w),
    }));
  return call.result(sum, p.reduction, divisor, grad, losses);
}
