// Twin of assembly/region.ts, one pixel (wasm lane) at a time.
import { fr, exp } from './math.js';
import type { Heap } from './heap.js';
import { type ArgsOf, CLASS_SUMS_AT, REGION_ARGS, readArgs } from '../abi.js';

type RegionArgs = ArgsOf<typeof REGION_ARGS>;
const read = (heap: Heap, args: number): RegionArgs => readArgs(heap.buffer, args, REGION_ARGS);
const SOFTMAX = 0;
const SIGMOID = 1;
const PROBABILITIES = 2;

export const regionStatsSoftmax = (heap: Heap, args: number) => regionStats(heap, read(heap, args), SOFTMAX);
export const regionStatsSigmoid = (heap: Heap, args: number) => regionStats(heap, read(heap, args), SIGMOID);
export const regionStatsProbabilities = (heap: Heap, args: number) => regionStats(heap, read(heap, args), PROBABILITIES);
export const regionGradSoftmax = (heap: Heap, args: number) => regionGrad(heap, read(heap, args), SOFTMAX, false);
export const regionGradSigmoid = (heap: Heap, args: number) => regionGrad(heap, read(heap, args), SIGMOID, false);
export const regionGradProbabilities = (heap: Heap, args: number) => regionGrad(heap, read(heap, args), PROBABILITIES, false);
export const regionGradSharedSoftmax = (heap: Heap, args: number) => regionGrad(heap, read(heap, args), SOFTMAX, true);

// Probabilities of one pixel's C channels into p (activation: 0 softmax, 1 sigmoid, 2 none).
function activate(f32: Float32Array, xi: number, cs: number, C: number, activation: number, p: Float64Array): void {
  if (activation === 0) {
    let m = f32[xi];
    for (let c = 1; c < C; c++) m = Math.max(m, f32[xi + c * cs]);
    let s = 0;
    for (let c = 0; c < C; c++) {
      p[c] = exp(fr(f32[xi + c * cs] - m));
      s = fr(s + p[c]);
    }
    const rs = fr(1 / s);
    for (let c = 0; c < C; c++) p[c] = fr(p[c] * rs);
  } else if (activation === 1) {
    for (let c = 0; c < C; c++) {
      const xc = f32[xi + c * cs];
      const e = exp(-Math.abs(xc));
      const r = fr(1 / fr(1 + e));
      p[c] = xc >= 0 ? r : fr(e * r);
    }
  } else {
    for (let c = 0; c < C; c++) p[c] = f32[xi + c * cs];
  }
}

function regionStats(heap: Heap, a: RegionArgs, activation: number): void {
  const { x, labels, y, N, C, P, nhwc, labelOffset, ignore, squared, grad: probs, stats: out } = a;
  const { f32, i32, f64 } = heap.views();
  const cs = nhwc ? 1 : P;
  const ps = nhwc ? C : 1;
  const p = new Float64Array(C);
  const acc = classSums(heap, a.tmp, C); // [class][I, Sp, Sg][lane]
  for (let n = 0; n < N; n++) {
    if (!(n === 0 && a.carrySample)) acc.fill(0);
    for (let i = 0; i < P; i++) {
      const j = i & 3; // lane; see LaneSums
      const e0 = n * C * P + i * ps;
      const label = labels ? i32[(labels >>> 2) + n * P + i] : 0;
      const valid = !labels || label !== ignore;
      activate(f32, (x >>> 2) + e0, cs, C, activation, p);
      for (let c = 0; c < C; c++) {
        if (probs) f32[(probs >>> 2) + e0 + c * cs] = p[c];
        const pv = valid ? p[c] : 0;
        const g = !valid ? 0 : labels ? (label === c + labelOffset ? 1 : 0) : f32[(y >>> 2) + e0 + c * cs];
        const a = c * 12 + j;
        acc[a] += fr(pv * g);
        acc[a + 4] += squared ? fr(pv * pv) : pv;
        acc[a + 8] += squared ? fr(g * g) : g;
      }
    }
    writeStats(f64, out, acc, n, C);
  }
}

/** The per-class lane sums [class][I, Sp, Sg][lane] in the scratch, where the kernels keep theirs. */
export function classSums(heap: Heap, tmp: number, C: number): Float64Array {
  const at = (tmp + CLASS_SUMS_AT) >>> 3;
  return heap.views().f64.subarray(at, at + C * 12);
}

/** Sample n's (I, Sp, Sg) per class from the lane sums acc[class][stat][lane]. */
export function writeStats(f64: Float64Array, out: number, acc: Float64Array, n: number, C: number): void {
  for (let c = 0; c < C; c++) {
    const o = (out >>> 3) + (n * C + c) * 3;
    for (let s = 0; s < 3; s++) {
      const a = c * 12 + s * 4;
      f64[o + s] = (acc[a] + acc[a + 1]) + (acc[a + 2] + acc[a + 3]);
    }
  }
}

function regionGrad(heap: Heap, a: RegionArgs, activation: number, shared: boolean): void {
  const { grad, labels, y, N, C, P, nhwc, labelOffset, ignore, squared, coefA, coefB, prior, factor } = a;
  const logits = shared ? a.x : 0;
  const { f32, i32 } = heap.views();
  const cs = nhwc ? 1 : P;
  const ps = nhwc ? C : 1;
  const u = new Float64Array(C);
  const probs = new Float64Array(C);
  for (let n = 0; n < N; n++) {
    const an = (coefA >>> 2) + n * C;
    const bn = (coefB >>> 2) + n * C;
    for (let i = 0; i < P; i++) {
      const e0 = n * C * P + i * ps;
      const gi = (grad >>> 2) + e0;
      const label = labels ? i32[(labels >>> 2) + n * P + i] : 0;
      const valid = !labels || label !== ignore;
      let dot = 0;
      if (logits) activate(f32, (logits >>> 2) + e0, cs, C, 0, probs);
      for (let c = 0; c < C; c++) {
        const at = gi + c * cs;
        const p = logits ? probs[c] : f32[at];
        const g = !valid ? 0 : labels ? (label === c + labelOffset ? 1 : 0) : f32[(y >>> 2) + e0 + c * cs];
        const b = f32[bn + c];
        u[c] = fr(fr(f32[an + c] * g) + (squared ? fr(b * fr(p + p)) : b));
        if (activation === 0) dot = fr(dot + fr(p * u[c]));
        else if (activation === 1) f32[at] = valid ? fr(u[c] * fr(p * fr(1 - p))) : 0;
        else f32[at] = valid ? u[c] : 0;
      }
      if (activation !== 0) continue;
      for (let c = 0; c < C; c++) {
        const at = gi + c * cs;
        const p = logits ? probs[c] : f32[at];
        const d = valid ? fr(p * fr(u[c] - dot)) : 0;
        f32[at] = logits ? fr(fr(0 + fr(prior * f32[at])) + fr(factor * d)) : d;
      }
    }
  }
}
