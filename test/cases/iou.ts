// iou's cases (see ./types.ts for what each suite does with them).
import type { LossCases } from './types.js';

export const iou: LossCases = {
  parity: [
    { name: 'iou none activation', run: (s, _x, o, d) => s.iou(d.probs, d.dense, { ...o, activation: 'none', squared: false }) },
    { name: 'iou no background', multiClass: true, run: (s, x, o, d) => s.iou(x, d.t16, { ...o, includeBackground: false, ignoreIndex: 255 }) },
  ],
  gradcheck: [
    { name: 'iou no background weight', run: (s, x, o, d) => s.iou(x, d.t, { ...o, includeBackground: false, weight: d.weight, ignoreIndex: 255 }) },
    { name: 'iou probabilities', at: 'probs', run: (s, x, o, d) => s.iou(x, d.dense, { ...o, activation: 'none' }) },
  ],
  zeroCopy: [{ name: 'iou', target: 'index', peakMemory: true, run: (s, x, t, o) => s.iou(x, t, { ...o, ignoreIndex: 255 }) }],
  memory: [],
  // iou's options are region options: their errors are in ./dice.ts; the call's in ./call.ts (via iou too)
  errors: [],
};
