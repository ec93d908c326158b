// One pass over an i32 label map before any loss is computed: it validates every label and yields the
// divisor of a 'mean'. Bad labels are counted, never trapped on; TypeScript turns them into a RangeError.

import { LabelArgs } from './args';

// out (f64 x 4): [sum of weight[t] over kept pixels (their count when weight == 0), kept count,
//                 bad count, flat index of the first bad label (-1 if none)]
export function labelScan(args: usize): void {
  const a = changetype<LabelArgs>(args);
  const labels = a.labels, count = a.count, limit = a.limit, ignore = a.ignore, hasIgnore = a.hasIgnore;
  const weight = a.weight, out = a.out;
  let weightSum: f64 = a.carry ? load<f64>(out) : 0;
  let kept = a.carry ? <i32>load<f64>(out, 8) : 0;
  let bad = 0;
  let firstBad = -1;
  for (let i = 0; i < count; i++) {
    const t = load<i32>(labels + (<usize>i << 2));
    if (hasIgnore && t == ignore) continue;
    if (<u32>t >= <u32>limit) {
      if (bad == 0) firstBad = i;
      bad++;
      continue;
    }
    kept++;
    if (weight) weightSum += <f64>load<f32>(weight + (<usize>t << 2));
  }
  store<f64>(out, weight ? weightSum : <f64>kept);
  store<f64>(out, <f64>kept, 8);
  store<f64>(out, <f64>bad, 16);
  store<f64>(out, <f64>firstBad, 24);
}
