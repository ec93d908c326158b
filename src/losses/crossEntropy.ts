// Softmax cross entropy, PyTorch F.cross_entropy: index targets (class weights, ignoreIndex, label
// smoothing; 'mean' divides by the summed weights of the kept pixels) or dense ones (divided by N*P).
import { Call } from '../call.js';
import { ignoreIndex, number, perClass } from '../schema.js';
import { REDUCTION, defineLoss, ones } from './define.js';

export const crossEntropy = defineLoss({
  name: 'crossEntropy',
  doc: 'Softmax cross entropy (PyTorch F.cross_entropy)',
  schema: {
    reduction: REDUCTION,
    weight: perClass('per-class weights, finite and >= 0'),
    ignoreIndex: ignoreIndex(-100, 'label whose pixels drop out of every sum and divisor', '-100'),
    labelSmoothing: number({ default: 0, min: 0, max: 1, f32: true, doc: 'ε: targets become (1-ε)·y + ε/C' }),
  },
  run(call, s) {
    const { N, C, P, nhwc } = call.g;
    const sum = call.zeros(32);
    const weight = call.putF32(s.weight ?? ones(C));
    const pixels = { N, C, P, nhwc: +nhwc, smoothing: s.labelSmoothing, gamma: 0, stats: 0, squared: 0 };
    if (call.targetKind === 'dense') {
      call.checkRange('target', call.target, 0, 1);
      const divisor = N * P; // PyTorch divides probability targets by the pixel count
      const grad = call.gradTarget();
      const x = call.placeInput();
      const target = call.placeDense();
      const losses = s.reduction === 'none' ? call.alloc(N * P * 4) : 0;
      const scale = s.reduction === 'mean' ? 1 / divisor : 1;
      call.kernel('crossEntropyDense', { ...pixels, x, target, weight, ignore: 0, scale, grad: grad.ptr, losses, out: sum });
      return call.result(sum, s.reduction, divisor, grad, losses, N * P);
    }
    const labels = call.labels(C, s.ignoreIndex, weight);
    const divisor = labels.weightSum;
    const grad = call.gradTarget();
    const x = call.placeInput();
    const losses = s.reduction === 'none' ? call.alloc(N * P * 4) : 0;
    const scale = Call.scale(s.reduction, divisor);
    call.kernel('crossEntropyIndex', {
      ...pixels, x, target: labels.ptr, weight, ignore: s.ignoreIndex!, scale, grad: grad.ptr, losses, out: sum,
    });
    return call.result(sum, s.reduction, divisor, grad, losses, N * P);
  },
});
