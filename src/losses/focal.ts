// Focal loss (Lin et al. 2017): sigmoid form (torchvision sigmoid_focal_loss) or softmax form
// -α_t (1 - p_t)^γ log p_t on an index target, whose 'mean' divides by the kept pixels.
import { Call } from '../call.js';
import { checkNumber, checkPerClass, depends, ignoreIndex, number, oneOf, show } from '../schema.js';
import { REDUCTION, defineLoss } from './define.js';
import { runSigmoid } from './sigmoid.js';

export const focal = defineLoss({
  name: 'focal',
  doc: 'Focal loss, sigmoid (torchvision) or softmax form',
  schema: {
    reduction: REDUCTION,
    activation: depends<'sigmoid' | 'softmax', 'sigmoid' | 'softmax'>(
      "'softmax' or 'sigmoid'", "'softmax' for an index target with C > 1, else 'sigmoid'",
      (v, name, env) => {
        if (v === undefined) return env.target === 'index' && env.g.C > 1 ? 'softmax' : 'sigmoid';
        if (v !== 'softmax' && v !== 'sigmoid') throw new TypeError(`${name} must be one of "sigmoid", "softmax", got ${show(v)}`);
        if (v === 'softmax' && env.target === 'dense') {
          throw new TypeError("focal: activation 'softmax' needs an index target (an integer typed array)");
        }
        return v;
      },
    ),
    gamma: number({ default: 2, min: 0, f32: true, doc: 'focusing exponent γ' }),
    alpha: depends<number | ArrayLike<number>, number | Float32Array>(
      'sigmoid: weight of positives (< 0 disables); softmax: a number or one per class', 'sigmoid 0.25, softmax 1',
      (v, name, env) => {
        const C = env.g.C;
        if (env.settings.activation === 'sigmoid') return v === undefined ? 0.25 : checkNumber(name, v, -Infinity, 1, true);
        if (v === undefined) return new Float32Array(C).fill(1);
        if (typeof v === 'number') return new Float32Array(C).fill(checkNumber(name, v, 0, Infinity, true));
        return checkPerClass(name, v, C);
      },
    ),
    ignoreIndex: ignoreIndex(-100, 'label whose pixels drop out (index targets)', '-100'),
  },
  run(call, s) {
    if (s.activation === 'sigmoid') {
      return runSigmoid(call, {
        kernel: 'focalSigmoid', reduction: s.reduction, ignoreIndex: s.ignoreIndex, gamma: s.gamma, alpha: s.alpha as number,
      });
    }
    const { C, nhwc } = call.g;
    const sum = call.lossSums();
    const alpha = call.putF32(s.alpha as Float32Array);
    const divisor = call.labels(C, s.ignoreIndex).kept;
    const grad = call.gradient();
    const losses = s.reduction === 'none' ? call.perPixelLosses('pixel') : undefined;
    const scale = Call.scale(s.reduction, divisor);
    call.pass({ labels: true, grad, losses }, (w) =>
      call.kernel('focalSoftmax', {
        ...w, target: w.labels, weight: alpha, C, nhwc: +nhwc, ignore: s.ignoreIndex!, smoothing: 0, gamma: s.gamma,
        scale, out: sum.at(w), stats: 0, squared: 0,
      }));
    return call.result(sum, s.reduction, divisor, grad, losses);
  },
});
