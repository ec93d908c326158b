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
  const { N, C, P, nhwc } = call.g;
  const sum = call.zeros(32);
  const posWeight = call.putF32(p.posWeight ?? ones(C));
  const weight = call.putF32(p.weight ?? ones(C));
  let labels = 0;
  let y = 0;
  let divisor = call.input.length;
  if (call.targetKind === 'index') {
    const scan = call.labels(Math.max(C, 2), p.ignoreIndex);
    labels = scan.ptr;
    if (!p.meanOverAll) divisor = scan.kept * C; // kept elements
  } else {
    call.checkRange('target', call.target, 0, 1);
  }
  const grad = call.gradTarget();
  const x = call.placeInput();
  if (call.targetKind === 'dense') y = call.placeDense();
  const losses = p.reduction === 'none' ? call.alloc(call.input.length * 4) : 0;
  call.kernel(p.kernel, {
    x, labels, y, posWeight, weight, N, C, P, nhwc: +nhwc, labelOffset: C === 1 ? 1 : 0,
    ignore: p.ignoreIndex ?? NO_IGNORE, gamma: p.gamma ?? 0, alpha: p.alpha ?? 0,
    scale: Call.scale(p.reduction, divisor), grad: grad.ptr, losses, out: sum,
  });
  return call.result(sum, p.reduction, divisor, grad, losses, call.input.length);
}
