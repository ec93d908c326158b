// combined's cases (see ./types.ts for what each suite does with them).
import { type LossCases, bad } from './types.js';

const { shape, x, t } = bad;

export const combined: LossCases = {
  parity: [
    {
      name: 'combined',
      multiClass: true,
      run: (s, x, o, d) =>
        s.combined(x, d.t, { ...o, ignoreIndex: 255, terms: [{ loss: 'crossEntropy', weight: 0.5 }, { loss: 'dice', weight: 0.5, squared: false }] }),
    },
    // the Lovász losses place the whole batch even when combined streams the other terms through windows
    {
      name: 'combined ce + lovaszSoftmax',
      multiClass: true,
      run: (s, x, o, d) =>
        s.combined(x, d.t, { ...o, ignoreIndex: 255, terms: [{ loss: 'crossEntropy', weight: 0.5 }, { loss: 'lovaszSoftmax', weight: 0.5, perImage: true }] }),
    },
    {
      name: 'combined lovaszHinge + bce, dense',
      run: (s, x, o, d) => s.combined(x, d.dense, { ...o, terms: [{ loss: 'lovaszHinge' }, { loss: 'binaryCrossEntropy', weight: 0.25 }] }),
    },
  ],
  gradcheck: [
    {
      name: 'combined ce + dice',
      run: (s, x, o, d) =>
        s.combined(x, d.t, { ...o, ignoreIndex: 255, terms: [{ loss: 'crossEntropy', weight: 0.5 }, { loss: 'dice', weight: 0.5, squared: false }] }),
    },
  ],
  zeroCopy: [
    {
      name: 'combined ce + dice',
      target: 'index',
      peakMemory: true,
      run: (s, x, t, o) => s.combined(x, t, { ...o, ignoreIndex: 255, terms: [{ loss: 'crossEntropy' }, { loss: 'dice' }] }),
    },
  ],
  memory: [(s, x, t, shape) => s.combined(x, t, { shape, ignoreIndex: 255, grad: true, terms: [{ loss: 'crossEntropy' }, { loss: 'iou' }] })],
  errors: [
    {
      name: 'combined classWeight for generalizedDice',
      run: (s) => s.combined(x, t, { shape, terms: [{ loss: 'generalizedDice', classWeight: [1, 2, 3] } as never] }),
      type: TypeError,
      message: /terms\[0\]\.classWeight: generalizedDice takes no per-class weight/,
    },
    { name: 'combined without terms', run: (s) => s.combined(x, t, { shape, terms: [] }), type: TypeError, message: /terms must be a non-empty array/ },
    { name: 'combined with an unknown loss', run: (s) => s.combined(x, t, { shape, terms: [{ loss: 'lovasz' as never }] }), type: TypeError, message: /terms\[0\]\.loss must be one of .* got lovasz/ },
    {
      name: "combined with reduction 'none'",
      run: (s) => s.combined(x, t, { shape, reduction: 'none' as never, terms: [{ loss: 'dice' }] }),
      type: TypeError,
      message: /reduction must be one of "mean", "sum", got "none"/,
    },
    {
      name: 'combined term with a bad option',
      run: (s) => s.combined(x, t, { shape, terms: [{ loss: 'dice', gamma: 2 } as never] }),
      type: TypeError,
      message: /dice: unknown option 'gamma'/,
    },
  ],
};
