// binaryCrossEntropy's cases (see ./types.ts for what each suite does with them).
import { type LossCases, bad } from './types.js';

const { shape, x, dense } = bad;

export const binaryCrossEntropy: LossCases = {
  parity: [
    { name: 'binaryCrossEntropy dense posWeight', run: (s, x, o, d) => s.binaryCrossEntropy(x, d.dense, { ...o, posWeight: d.weight, weight: d.weight }) },
    { name: 'binaryCrossEntropy index ignore', run: (s, x, o, d) => s.binaryCrossEntropy(x, d.bin, { ...o, ignoreIndex: 7 }) },
    {
      name: 'binaryCrossEntropy probabilities',
      run: (s, _x, o, d) => s.binaryCrossEntropy(d.probs, d.soft, { ...o, fromLogits: false, posWeight: 1.5, reduction: 'none' }),
    },
  ],
  gradcheck: [
    { name: 'binaryCrossEntropy posWeight', run: (s, x, o, d) => s.binaryCrossEntropy(x, d.dense, { ...o, posWeight: [3, 1, 0.5], weight: d.weight }) },
    { name: 'binaryCrossEntropy probabilities', at: 'probs', run: (s, x, o, d) => s.binaryCrossEntropy(x, d.soft, { ...o, fromLogits: false, posWeight: 2 }) },
  ],
  zeroCopy: [{ name: 'binaryCrossEntropy', target: 'dense', run: (s, x, t, o) => s.binaryCrossEntropy(x, t, o) }],
  memory: [],
  errors: [
    {
      name: 'binary label 2',
      run: (s) => s.binaryCrossEntropy(new Float32Array(8), Uint8Array.of(0, 1, 1, 0, 2, 0, 0, 0), { shape: [2, 1, 2, 2] }),
      type: RangeError,
      message: /target\[4\] = 2 is out of range: labels must be in \{0, 1\}/,
    },
    { name: 'posWeight of a wrong length', run: (s) => s.binaryCrossEntropy(x, dense, { shape, posWeight: [1, 2, 3, 4] }), type: RangeError, message: /posWeight must have one entry per channel \(C = 3\), got length 4/ },
    { name: 'negative posWeight', run: (s) => s.binaryCrossEntropy(x, dense, { shape, posWeight: -1 }), type: RangeError, message: /posWeight must be a finite number >= 0, got -1/ },
    {
      name: 'probability out of [0, 1]',
      run: (s) => s.binaryCrossEntropy(Float32Array.of(0.5, 1.5), Float32Array.of(1, 0), { shape: [1, 1, 2], fromLogits: false }),
      type: RangeError,
      message: /input\[1\] = 1.5 must be in \[0, 1\]/,
    },
  ],
};
