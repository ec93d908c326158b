// dice's cases (see ./types.ts for what each suite does with them).
import { type LossCases, bad } from './types.js';

const { shape, x, t } = bad;

export const dice: LossCases = {
  parity: [
    { name: 'dice squared', run: (s, x, o, d) => s.dice(x, d.t, { ...o, ignoreIndex: 255 }) },
    {
      name: 'dice batch weight',
      run: (s, x, o, d) =>
        s.dice(x, d.dense, { ...o, squared: false, perSample: false, weight: d.weight, smoothNumerator: 1, smoothDenominator: 1 }),
    },
    { name: 'dice sigmoid', run: (s, x, o, d) => s.dice(x, d.dense, { ...o, activation: 'sigmoid', reduction: 'none' }) },
  ],
  gradcheck: [
    { name: 'dice squared', run: (s, x, o, d) => s.dice(x, d.t, { ...o, ignoreIndex: 255 }) },
    {
      name: 'dice unsquared batch sigmoid',
      run: (s, x, o, d) =>
        s.dice(x, d.dense, { ...o, activation: 'sigmoid', squared: false, perSample: false, smoothNumerator: 1, smoothDenominator: 1 }),
    },
  ],
  zeroCopy: [{ name: 'dice', target: 'index', peakMemory: true, run: (s, x, t, o) => s.dice(x, t, { ...o, ignoreIndex: 255 }) }],
  memory: [(s, x, t, shape) => s.dice(x, t, { shape, ignoreIndex: 255, grad: true })],
  errors: [
    { name: 'non-finite weight', run: (s) => s.dice(x, t, { shape, weight: [1, 1, NaN] }), type: RangeError, message: /weight\[2\] must be a finite number >= 0, got NaN/ },
    { name: 'bad activation', run: (s) => s.dice(x, t, { shape, activation: 'relu' as never }), type: TypeError, message: /activation must be one of "softmax", "sigmoid", "none", got "relu"/ },
    {
      name: 'includeBackground false with C = 1',
      run: (s) => s.dice(new Float32Array(8), t, { shape: [2, 1, 2, 2], includeBackground: false }),
      type: RangeError,
      message: /includeBackground: false needs C >= 2 classes, got C = 1/,
    },
  ],
};
