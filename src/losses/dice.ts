// Soft Dice loss: per (sample, class) 1 - (2I + sn) / (Sp + Sg + sd).
import { REGION_SCHEMA, runRegion } from './region.js';
import { defineLoss } from './define.js';

export const dice = defineLoss({
  name: 'dice',
  doc: 'Soft Dice loss',
  schema: REGION_SCHEMA,
  run: (call, s) => runRegion(call, 'dice', s),
});
