// lovaszHinge's cases (see ./types.ts and ./lovaszSoftmax.ts).
import { type LossCases, bad } from './types.js';

const { shape, x } = bad;

export const lovaszHinge: LossCases = {
  parity: [
    { name: 'lovaszHinge dense', run: (s, x, o, d) => s.lovaszHinge(x, d.dense, o) },
    { name: 'lovaszHinge index perImage', run: (s, x, o, d) => s.lovaszHinge(x, d.bin, { ...o, ignoreIndex: 7, perImage: true }) },
  ],
  gradcheck: [
    { name: 'lovaszHinge dense', step: 1e-3, run: (s, x, o, d) => s.lovaszHinge(x, d.dense, o) },
    { name: 'lovaszHinge index perImage', step: 1e-3, run: (s, x, o, d) => s.lovaszHinge(x, d.t, { ...o, ignoreIndex: 255, perImage: true }) },
  ],
  zeroCopy: [{ name: 'lovaszHinge', target: 'dense', run: (s, x, t, o) => s.lovaszHinge(x, t, o) }],
  memory: [],
  errors: [
    {
      name: 'lovaszHinge soft target',
      run: (s) => s.lovaszHinge(x, Float32Array.from({ length: 24 }, (_, i) => (i === 5 ? 0.5 : 0)), { shape }),
      type: RangeError,
      message: /target\[5\] = 0.5 must be 0 or 1/,
    },
  ],
};
