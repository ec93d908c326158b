// generalizedDice's cases (see ./types.ts for what each suite does with them).
import { type LossCases, bad } from './types.js';

const { shape, x, t } = bad;

export const generalizedDice: LossCases = {
  parity: [
    { name: 'generalizedDice', run: (s, x, o, d) => s.generalizedDice(x, d.t, { ...o, ignoreIndex: 255 }) },
    {
      name: 'generalizedDice simple pooled none',
      run: (s, x, o, d) => s.generalizedDice(x, d.t8, { ...o, ignoreIndex: 255, weightType: 'simple', perSample: false, reduction: 'none' }),
    },
    { name: 'generalizedDice dense sigmoid', run: (s, x, o, d) => s.generalizedDice(x, d.soft, { ...o, activation: 'sigmoid', reduction: 'sum' }) },
    {
      name: 'generalizedDice no background',
      multiClass: true,
      run: (s, x, o, d) => s.generalizedDice(x, d.t16, { ...o, includeBackground: false, ignoreIndex: 255 }),
    },
  ],
  gradcheck: [
    { name: 'generalizedDice square', run: (s, x, o, d) => s.generalizedDice(x, d.t, { ...o, ignoreIndex: 255 }) },
    {
      name: 'generalizedDice simple pooled no background',
      run: (s, x, o, d) => s.generalizedDice(x, d.t, { ...o, ignoreIndex: 255, weightType: 'simple', perSample: false, includeBackground: false }),
    },
    { name: 'generalizedDice uniform sigmoid dense', run: (s, x, o, d) => s.generalizedDice(x, d.soft, { ...o, weightType: 'uniform', activation: 'sigmoid' }) },
  ],
  zeroCopy: [{ name: 'generalizedDice', target: 'index', run: (s, x, t, o) => s.generalizedDice(x, t, { ...o, ignoreIndex: 255 }) }],
  memory: [(s, x, t, shape) => s.generalizedDice(x, t, { shape, ignoreIndex: 255, grad: true })],
  errors: [
    { name: 'generalizedDice bad weightType', run: (s) => s.generalizedDice(x, t, { shape, weightType: 'cube' as never }), type: TypeError, message: /weightType must be one of "square", "simple", "uniform", got "cube"/ },
    { name: 'generalizedDice negative smoothDenominator', run: (s) => s.generalizedDice(x, t, { shape, smoothDenominator: -1 }), type: RangeError, message: /smoothDenominator must be a finite number >= 0, got -1/ },
    {
      name: 'generalizedDice includeBackground false with C = 1',
      run: (s) => s.generalizedDice(new Float32Array(8), t, { shape: [2, 1, 2, 2], includeBackground: false }),
      type: RangeError,
      message: /includeBackground: false needs C >= 2/,
    },
    { name: 'generalizedDice has no weight', run: (s) => s.generalizedDice(x, t, { shape, weight: [1, 1, 1] } as never), type: TypeError, message: /generalizedDice: unknown option 'weight'/ },
  ],
};
