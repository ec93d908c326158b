// tversky's cases (see ./types.ts for what each suite does with them).
import { type LossCases, bad } from './types.js';

const { shape, x, t } = bad;

export const tversky: LossCases = {
  parity: [
    { name: 'tversky focal', run: (s, x, o, d) => s.tversky(x, d.t8, { ...o, alpha: 0.7, beta: 0.3, gamma: 0.75, ignoreIndex: 255 }) },
  ],
  gradcheck: [
    { name: 'tversky focal', run: (s, x, o, d) => s.tversky(x, d.t, { ...o, alpha: 0.7, beta: 0.3, gamma: 1.5, ignoreIndex: 255 }) },
  ],
  zeroCopy: [{ name: 'tversky', target: 'index', peakMemory: true, run: (s, x, t, o) => s.tversky(x, t, { ...o, ignoreIndex: 255, alpha: 0.3, beta: 0.7 }) }],
  memory: [],
  errors: [{ name: 'tversky gamma < 0', run: (s) => s.tversky(x, t, { shape, gamma: -1 }), type: RangeError, message: /gamma must be .* got -1/ }],
};
