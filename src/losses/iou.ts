// Soft IoU (Jaccard) loss: per (sample, class) 1 - (I + sn) / (Sp + Sg - I + sd).
import { REGION_SCHEMA, runRegion } from './region.js';
import { defineLoss } from './define.js';

export const iou = defineLoss({
  name: 'iou',
  doc: 'Soft IoU (Jaccard) loss',
  schema: REGION_SCHEMA,
  run: (call, s) => runRegion(call, 'iou', s),
});
