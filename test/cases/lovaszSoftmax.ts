// lovaszSoftmax's cases (see ./types.ts for what each suite does with them). Its gradient is
// piecewise linear in the sorted errors: finite differences take a step too small to reorder them
// (test/lovasz.test.ts has tie-free inputs, ties, and the other Lovász-specific checks).
import { type LossCases, bad } from './types.js';

const { shape, x, t } = bad;

export const lovaszSoftmax: LossCases = {
  parity: [
    { name: 'lovaszSoftmax present', multiClass: true, run: (s, x, o, d) => s.lovaszSoftmax(x, d.t, { ...o, ignoreIndex: 255 }) },
    {
      name: 'lovaszSoftmax all perImage sum',
      multiClass: true,
      run: (s, x, o, d) => s.lovaszSoftmax(x, d.t8, { ...o, ignoreIndex: 255, classes: 'all', perImage: true, reduction: 'sum' }),
    },
    { name: 'lovaszSoftmax probabilities', run: (s, _x, o, d) => s.lovaszSoftmax(d.probs, d.tNeg, { ...o, activation: 'none', ignoreIndex: -100 }) },
  ],
  gradcheck: [
    { name: 'lovaszSoftmax present', step: 1e-3, run: (s, x, o, d) => s.lovaszSoftmax(x, d.t, { ...o, ignoreIndex: 255 }) },
    { name: 'lovaszSoftmax all perImage', step: 1e-3, run: (s, x, o, d) => s.lovaszSoftmax(x, d.t, { ...o, ignoreIndex: 255, classes: 'all', perImage: true }) },
  ],
  zeroCopy: [{ name: 'lovaszSoftmax', target: 'index', run: (s, x, t, o) => s.lovaszSoftmax(x, t, { ...o, ignoreIndex: 255 }) }],
  memory: [(s, x, t, shape) => s.lovaszSoftmax(x, t, { shape, ignoreIndex: 255, grad: true })],
  errors: [
    { name: 'lovaszSoftmax class listed twice', run: (s) => s.lovaszSoftmax(x, t, { shape, classes: [1, 1] }), type: RangeError, message: /classes\[1\] = 1 is listed twice/ },
    { name: 'lovaszSoftmax dense target', run: (s) => s.lovaszSoftmax(x, new Float32Array(24), { shape }), type: TypeError, message: /lovaszSoftmax: target must be an index map/ },
  ],
};
