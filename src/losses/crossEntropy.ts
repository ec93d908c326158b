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
    const sum = call.lossSums();
    const weight = call.putF32(s.weight ?? ones(C));
    const grad = call.gradient();
    const losses = s.reduction === 'none' ? call.perPixelLosses('pixel') : undefined;
    const fixed = { weight, C, nhwc: +nhwc, smoothing: s.labelSmoothing, gamma: 0, stats: 0, squared: 0 };
    if (call.targetKind === 'dense') {
      call.checkRange('target', call.target, 0, 1);
      const divisor = N * P; // PyTorch divides probability targets by the pixel count
      const scale = s.reduction === 'mean' ? 1 / divisor : 1;
      call.pass({ dense: true, grad, losses }, (w) =>
        call.kernel('crossEntropyDense', { ...fixed, ...w, target: w.y, ignore: 0, scale, out: sum.at(w) }));
      return call.result(sum, s.reduction, divisor, grad, losses);
    }
    const divisor = call.labels(C, s.ignoreIndex, s.weight ? weight : 0).weightSum; // unweighted: the kept count
    const scale = Call.scale(s.reduction, divisor);
    call.pass({ labels: true, grad, losses }, (w) =>
      call.kernel('crossEntropyIndex', { ...fixed, ...w, target: w.labels, ignore: s.ignoreIndex!, scale, out: sum.at(w) }));
    return call.result(sum, s.reduction, divisor, grad, losses);
  },
});
