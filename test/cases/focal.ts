// focal's cases (see ./types.ts for what each suite does with them).
import { type LossCases, bad } from './types.js';

const { shape, x, t, dense } = bad;

export const focal: LossCases = {
  parity: [
    { name: 'focal sigmoid', run: (s, x, o, d) => s.focal(x, d.dense, { ...o, activation: 'sigmoid', gamma: 1.5 }) },
    { name: 'focal sigmoid soft alpha off', run: (s, x, o, d) => s.focal(x, d.soft, { ...o, alpha: -1, reduction: 'sum' }) },
    { name: 'focal softmax alpha', multiClass: true, run: (s, x, o, d) => s.focal(x, d.tNeg, { ...o, alpha: d.weight }) },
  ],
  gradcheck: [
    { name: 'focal sigmoid gamma 2', run: (s, x, o, d) => s.focal(x, d.soft, { ...o, activation: 'sigmoid' }) },
    {
      name: 'focal sigmoid index gamma 0.5',
      run: (s, x, o, d) => s.focal(x, d.bin, { ...o, shape: [d.N, 1, d.P * d.C], gamma: 0.5, ignoreIndex: 255 }),
    },
    { name: 'focal softmax gamma 1.5 alpha', run: (s, x, o, d) => s.focal(x, d.t, { ...o, gamma: 1.5, alpha: d.weight, ignoreIndex: 255 }) },
  ],
  zeroCopy: [{ name: 'focal', target: 'index', peakMemory: true, run: (s, x, t, o) => s.focal(x, t, { ...o, ignoreIndex: 255 }) }],
  memory: [(s, x, t, shape) => s.focal(x, t, { shape, ignoreIndex: 255, grad: true, activation: 'sigmoid' })],
  errors: [
    { name: 'gamma < 0', run: (s) => s.focal(x, t, { shape, gamma: -0.5 }), type: RangeError, message: /gamma must be a finite number >= 0, got -0.5/ },
    { name: 'gamma not a number', run: (s) => s.focal(x, t, { shape, gamma: '2' as never }), type: TypeError, message: /gamma must be a number, got "2"/ },
    { name: 'softmax focal with a dense target', run: (s) => s.focal(x, dense, { shape, activation: 'softmax' }), type: TypeError, message: /activation 'softmax' needs an index target/ },
  ],
};
