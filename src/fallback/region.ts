// Twin of assembly/region.ts, one pixel (wasm lane) at a time.
import { fr, pmax, expNonPositive } from './math.js';
import { type Heap, forTiles } from './heap.js';
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
    for (let c = 1; c < C; c++) m = pmax(m, f32[xi + c * cs]);
    let s = 0;
    for (let c = 0; c < C; c++) {
      p[c] = expNonPositive(fr(f32[xi + c * cs] - m));
      s = fr(s + p[c]);
    }
    const rs = fr(1 / s);
    for (let c = 0; c < C; c++) p[c] = fr(p[c] * rs);
  } else if (activation === 1) {
    for (let c = 0; c < C; c++) {
      const xc = f32[xi + c * cs];
      const e = expNonPositive(-Math.abs(xc));
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
  forTiles(a, (n, i0, i1, starts, ends, block) => {
    if (starts) acc.fill(0);
    for (let i = i0; i < i1; i++) {
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
        acc[a] += labels ? (g ? pv : 0) : fr(pv * g); // an index target: scatterStats
        acc[a + 4] += squared ? fr(pv * pv) : pv;
        acc[a + 8] += squared ? fr(g * g) : g;
      }
    }
    if (ends) writeStats(f64, out, acc, block, C);
  });
}

/** The per-class lane sums [class][I, Sp, Sg][lane] in the scratch, where the kernels keep theirs. */
export function classSums(heap: Heap, tmp: number, C: number): Float64Array {
  const at = (tmp + CLASS_SUMS_AT) >>> 3;
  return heap.views().f64.subarray(at, at + C * 12);
}

/** Block k's (I, Sp, Sg) per class from the lane sums acc[class][stat][lane]. */
export function writeStats(f64: Float64Array, out: number, acc: Float64Array, n: number, C: number): void {
  for (let c = 0; c < C; c++) {
    const o = (out >>> 3) + (n * C + c) * 3;
    for (let s = 0; s < 3; s++) {
      const a = c * 12 + s * 4;
      f64[o + s] = (acc[a] + acc[a + 1]) + (acc[a + 2] + acc[a + 3]);
    }
  }
}

function regionGrad(heap: Heap, a: RegionArgs, activation: number, ce: boolean): void {
  const { grad, labels, y, N, C, P, nhwc, labelOffset, ignore, squared, coefA, coefB, prior, factor } = a;
  const { weight, smoothing, scale } = a;
  const { f32, i32 } = heap.views();
  const cs = nhwc ? 1 : P;
  const ps = nhwc ? C : 1;
  const u = new Float64Array(C);
  // the shared-softmax cross entropy's constants, as softmax.ts computes them
  const w0 = weight >>> 2;
  let wSum = 0;
  if (ce) for (let c = 0; c < C; c++) wSum = fr(wSum + f32[w0 + c]);
  const keep = fr(1 - smoothing);
  const epsC = fr(smoothing / C);
  const smooth = ce && smoothing !== 0;
  const qW = fr(epsC * scale);
  // (0 + prior * g_ce) + factor * d, g_ce = p q - [c == t] qT - w_c qW as softmax.ts's pass D computes it
  const blend = (d: number, p: number, q: number, qT: number, isT: boolean, valid: boolean, wqW: number): number => {
    let gce = fr(fr(p * q) - (isT ? qT : 0));
    if (smooth) gce = fr(gce - wqW);
    if (!valid) gce = 0;
    return fr(fr(0 + fr(prior * gce)) + fr(factor * d));
  };
  forTiles(a, (n, i0, i1) => {
    const an = (coefA >>> 2) + n * C;
    const bn = (coefB >>> 2) + n * C;
    for (let i = i0; i < i1; i++) {
      const e0 = n * C * P + i * ps;
      const gi = (grad >>> 2) + e0;
      const label = labels ? i32[(labels >>> 2) + n * P + i] : 0;
      const valid = !labels || label !== ignore;
      let q = 0;
      let qT = 0;
      if (ce) {
        const wt = f32[w0 + (valid ? label : 0)];
        const coefT = fr(keep * wt);
        const coef = smooth ? fr(coefT + fr(epsC * wSum)) : coefT;
        q = fr(coef * scale);
        qT = fr(coefT * scale);
      }
      if (activation === 0 && !squared) {
        // region.ts softmaxUnsquaredTile (gradTileIndexSoftmax for an index target):
        // dot = 0 + sum over g_c != 0 of (a_c g_c) p_c, + sum b_c p_c; d_c = p_c (b_c - dot) (+ p_c (a_c g_c))
        const target = (c: number) =>
          !valid ? 0 : labels ? (label === c + labelOffset ? 1 : 0) : f32[(y >>> 2) + e0 + c * cs];
        let dot = 0;
        for (let c = 0; c < C; c++) {
          const g = target(c);
          if (g !== 0) dot = fr(dot + fr(fr(f32[an + c] * g) * f32[gi + c * cs]));
        }
        for (let c = 0; c < C; c++) dot = fr(dot + fr(f32[bn + c] * f32[gi + c * cs]));
        for (let c = 0; c < C; c++) {
          const at = gi + c * cs;
          const p = f32[at];
          let d = valid ? fr(p * fr(f32[bn + c] - dot)) : 0;
          const g = target(c);
          if (g !== 0) d = fr(d + fr(p * fr(f32[an + c] * g)));
          if (!ce) {
            f32[at] = d;
            continue;
          }
          f32[at] = blend(d, p, q, qT, valid && c === label, valid, fr(f32[w0 + c] * qW));
        }
        continue;
      }
      let dot = 0;
      for (let c = 0; c < C; c++) {
        const at = gi + c * cs;
        const p = f32[at];
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
        const p = f32[at];
        const d = valid ? fr(p * fr(u[c] - dot)) : 0;
        if (!ce) {
          f32[at] = d;
          continue;
        }
        f32[at] = blend(d, p, q, qT, valid && c === label, valid, fr(f32[w0 + c] * qW));
      }
    }
  });
}
