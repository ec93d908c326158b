// Twin of assembly/metrics.ts: the same predictions (first maximum wins, NaN counts as the greatest
// score; C = 1: score > threshold), the same checks and the same counts. Counts are integers, so the
// order of the additions does not matter: this walks pixel by pixel and adds into f64 counters, which
// are exact up to 2^53, and reports the first bad label in the same (pixel) order as the wasm.
import { CONFUSION_ARGS, readArgs } from '../abi.js';
import type { Heap } from './heap.js';

type Args = ReturnType<typeof readArgs<typeof CONFUSION_ARGS>>;

function labelView(buffer: ArrayBuffer, ptr: number, bytes: number, length: number): Uint8Array | Int32Array {
  return bytes === 1 ? new Uint8Array(buffer, ptr, length) : new Int32Array(buffer, ptr, length);
}

/** Predicted class of pixel i of sample n from the scores. */
function argmax(f32: Float32Array, base: number, cs: number, C: number): number {
  let m = f32[base];
  let best = 0;
  for (let c = 1; c < C; c++) {
    const v = f32[base + c * cs];
    // v > m, or v is NaN; never once m is NaN
    if (!(v <= m) && m === m) {
      m = v;
      best = c;
    }
  }
  return best;
}

function run(heap: Heap, a: Args, mode: 'scores' | 'labels'): void {
  const { N, P, K, C, ignore, hasIgnore } = a;
  const buffer = heap.buffer;
  const { f32, f64 } = heap.views();
  const target = labelView(buffer, a.target, a.targetBytes, N * P);
  const predLabels = mode === 'labels' ? labelView(buffer, a.x, a.predBytes, N * P) : undefined;
  const threshold = a.threshold;
  const blocks = a.perSample ? N : 1;
  const counts = f64.subarray(a.counts >>> 3, (a.counts >>> 3) + blocks * K * K);
  counts.fill(0);
  const stats = a.stats >>> 3;
  let badTarget = 0;
  let firstTarget = -1;
  let badPred = 0;
  let firstPred = -1;
  const x = a.x >>> 2;
  const cs = a.nhwc ? 1 : P; // class stride, in elements
  const ps = a.nhwc ? C : 1; // pixel stride
  for (let n = 0; n < N; n++) {
    const block = a.perSample ? n * K * K : 0;
    const sample = x + n * C * P;
    for (let i = 0; i < P; i++) {
      const at = n * P + i;
      const t = target[at];
      if (hasIgnore && t === ignore) continue;
      let p: number;
      if (predLabels) p = predLabels[at];
      else if (C === 1) p = f32[sample + i] > threshold ? 1 : 0;
      else p = argmax(f32, sample + i * ps, cs, C);
      if (t >>> 0 >= K >>> 0) {
        if (badTarget++ === 0) firstTarget = at;
        continue;
      }
      if (p >>> 0 >= K >>> 0) {
        if (badPred++ === 0) firstPred = at;
        continue;
      }
      counts[block + t * K + p] += 1;
    }
  }
  f64[stats] = badTarget;
  f64[stats + 1] = firstTarget;
  f64[stats + 2] = badPred;
  f64[stats + 3] = firstPred;
}

export function confusionScores(heap: Heap, args: number): void {
  run(heap, readArgs(heap.buffer, args, CONFUSION_ARGS), 'scores');
}

export function confusionLabels(heap: Heap, args: number): void {
  run(heap, readArgs(heap.buffer, args, CONFUSION_ARGS), 'labels');
}
