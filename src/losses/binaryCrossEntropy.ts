// Sigmoid binary cross entropy, PyTorch F.binary_cross_entropy_with_logits / F.binary_cross_entropy.
import { boolean, ignoreIndex, perClass, scalarOrPerClass } from '../schema.js';
import { REDUCTION, defineLoss } from './define.js';
import { runSigmoid } from './sigmoid.js';

export const binaryCrossEntropy = defineLoss({
  name: 'binaryCrossEntropy',
  doc: 'Sigmoid binary cross entropy (PyTorch F.binary_cross_entropy_with_logits / F.binary_cross_entropy)',
  schema: {
    reduction: REDUCTION,
    posWeight: scalarOrPerClass({ default: 1, min: 0, what: 'channel', doc: 'weight of positives: a number or one per channel' }),
    weight: perClass('per-channel weights, finite and >= 0', 'channel'),
    fromLogits: boolean(true, 'false: the input holds probabilities, log clamped at -100 as in PyTorch'),
    ignoreIndex: ignoreIndex(undefined, 'label whose pixels drop out (index targets)', 'none'),
  },
  run(call, s) {
    if (!s.fromLogits) call.checkRange('input', call.input, 0, 1);
    return runSigmoid(call, {
      kernel: s.fromLogits ? 'bceLogits' : 'bceProbabilities',
      reduction: s.reduction, ignoreIndex: s.ignoreIndex, posWeight: s.posWeight, weight: s.weight,
    });
  },
});
