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
  let i = 0;
  if (!weight) {
    // without weights only counts: four labels at a time, up to the first group holding a bad label
    const vIgnore = i32x4.splat(ignore);
    const vLimit = i32x4.splat(limit);
    const useIgnore = i32x4.splat(hasIgnore ? -1 : 0);
    let counts = i32x4.splat(0);
    for (; i + 4 <= count; i += 4) {
      const t = v128.load(labels + (<usize>i << 2));
      const skip = v128.and(i32x4.eq(t, vIgnore), useIgnore);
      const inRange = i32x4.lt_u(t, vLimit);
      if (v128.any_true(v128.andnot(v128.not(inRange), skip))) break;
      counts = i32x4.sub(counts, v128.andnot(inRange, skip)); // a kept lane is -1
    }
    kept += i32x4.extract_lane(counts, 0) + i32x4.extract_lane(counts, 1) + i32x4.extract_lane(counts, 2) + i32x4.extract_lane(counts, 3);
  }
  for (; i < count; i++) {
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
