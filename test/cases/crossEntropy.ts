// crossEntropy's cases (see ./types.ts for what each suite does with them).
import { type LossCases, bad } from './types.js';

const { shape, x, t, dense } = bad;

export const crossEntropy: LossCases = {
  parity: [
    { name: 'crossEntropy int32', run: (s, x, o, d) => s.crossEntropy(x, d.tNeg, o) },
    { name: 'crossEntropy uint8 ignore sum', run: (s, x, o, d) => s.crossEntropy(x, d.t8, { ...o, ignoreIndex: 255, reduction: 'sum' }) },
    {
      name: 'crossEntropy weight smoothing none',
      run: (s, x, o, d) => s.crossEntropy(x, d.t16, { ...o, ignoreIndex: 255, weight: d.weight, labelSmoothing: 0.1, reduction: 'none' }),
    },
    { name: 'crossEntropy dense', run: (s, x, o, d) => s.crossEntropy(x, d.soft, { ...o, weight: d.weight, labelSmoothing: 0.05 }) },
  ],
  gradcheck: [
    {
      name: 'crossEntropy weight ignore smoothing',
      run: (s, x, o, d) => s.crossEntropy(x, d.t, { ...o, ignoreIndex: 255, weight: d.weight, labelSmoothing: 0.2 }),
    },
    { name: 'crossEntropy dense soft', run: (s, x, o, d) => s.crossEntropy(x, d.soft, { ...o, weight: d.weight }) },
  ],
  zeroCopy: [
    { name: 'crossEntropy', target: 'index', peakMemory: true, run: (s, x, t, o) => s.crossEntropy(x, t, { ...o, ignoreIndex: 255 }) },
  ],
  memory: [(s, x, t, shape) => s.crossEntropy(x, t, { shape, ignoreIndex: 255, grad: true })],
  errors: [
    { name: 'weight of a wrong length', run: (s) => s.crossEntropy(x, t, { shape, weight: [1, 2] }), type: RangeError, message: /weight must have one entry per class \(C = 3\), got length 2/ },
    { name: 'negative weight', run: (s) => s.crossEntropy(x, t, { shape, weight: [1, -2, 1] }), type: RangeError, message: /weight\[1\] must be a finite number >= 0, got -2/ },
    { name: 'weight not an array', run: (s) => s.crossEntropy(x, t, { shape, weight: 3 as never }), type: TypeError, message: /weight must be an array of 3 numbers/ },
    { name: 'labelSmoothing > 1', run: (s) => s.crossEntropy(x, t, { shape, labelSmoothing: 1.5 }), type: RangeError, message: /labelSmoothing must be a finite number in \[0, 1\], got 1.5/ },
    { name: 'labelSmoothing < 0', run: (s) => s.crossEntropy(x, t, { shape, labelSmoothing: -0.1 }), type: RangeError, message: /labelSmoothing .* got -0.1/ },
    { name: 'bad reduction', run: (s) => s.crossEntropy(x, t, { shape, reduction: 'avg' as never }), type: TypeError, message: /reduction must be one of "mean", "sum", "none", got "avg"/ },
    { name: 'ignoreIndex not an integer', run: (s) => s.crossEntropy(x, t, { shape, ignoreIndex: 2.5 }), type: TypeError, message: /ignoreIndex must be an integer \(32-bit\), got 2.5/ },
    { name: 'ignoreIndex with a dense target', run: (s) => s.crossEntropy(x, dense, { shape, ignoreIndex: 255 }), type: TypeError, message: /ignoreIndex applies to index targets only, got 255/ },
  ],
};
