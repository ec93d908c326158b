// Twin of assembly/labels.ts.
import type { Heap } from './heap.js';
import { LABEL_ARGS, readArgs } from '../abi.js';

export function labelScan(heap: Heap, args: number): void {
  const { labels, count, limit, ignore, hasIgnore, weight, out, carry } = readArgs(heap.buffer, args, LABEL_ARGS);
  const { f32, i32, f64 } = heap.views();
  let weightSum = carry ? f64[out >>> 3] : 0;
  let kept = carry ? f64[(out >>> 3) + 1] : 0;
  let bad = 0;
  let firstBad = -1;
  for (let i = 0; i < count; i++) {
    const t = i32[(labels >>> 2) + i];
    if (hasIgnore && t === ignore) continue;
    if (t >>> 0 >= limit >>> 0) {
      if (bad === 0) firstBad = i;
      bad++;
      continue;
    }
    kept++;
    if (weight) weightSum += f32[(weight >>> 2) + t];
  }
  const o = out >>> 3;
  f64[o] = weight ? weightSum : kept;
  f64[o + 1] = kept;
  f64[o + 2] = bad;
  f64[o + 3] = firstBad;
}
