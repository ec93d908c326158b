// Twin of assembly/softmax.ts, one pixel (wasm lane) at a time. Pointers are byte offsets into `heap`.
import { fr, pmax, expNonPositive, log, pow } from './math.js';
import { Heap, LaneSums, forTiles } from './heap.js';
import { type ArgsOf, LOSS_SUMS_AT, SOFTMAX_ARGS, readArgs } from '../abi.js';

type SoftmaxArgs = ArgsOf<typeof SOFTMAX_ARGS>;
const read = (heap: Heap, args: number): SoftmaxArgs => readArgs(heap.buffer, args, SOFTMAX_ARGS);

export const crossEntropyIndex = (heap: Heap, args: number) => softmaxIndex(heap, read(heap, args), false, false);
export const focalSoftmax = (heap: Heap, args: number) => softmaxIndex(heap, read(heap, args), true, false);
export const crossEntropyIndexWithRegion = (heap: Heap, args: number) => softmaxIndex(heap, read(heap, args), false, true);
export const crossEntropyDense = (heap: Heap, args: number) => softmaxDense(heap, read(heap, args));
import { classSums, writeStats } from './region.js';

function softmaxIndex(heap: Heap, a: SoftmaxArgs, focal: boolean, withRegion: boolean): void {
  const { x, target: labels, weight: w, N, C, P, nhwc, ignore, smoothing, gamma, scale, grad, losses, out, squared } = a;
  const stats = withRegion ? a.stats : 0;
  const { f32, i32, f64 } = heap.views();
  const region = classSums(heap, a.tmp, C); // [class][I, Sp, Sg][lane], as in region.ts
  const cs = nhwc ? 1 : P;
  const ps = nhwc ? C : 1;
  const w0 = w >>> 2;
  const keep = fr(1 - smoothing);
  const epsC = fr(smoothing / C);
  let wSum = 0;
  for (let c = 0; c < C; c++) wSum = fr(wSum + f32[w0 + c]);
  const smooth = !focal && smoothing !== 0;
  const sums = new LaneSums(heap, a.tmp + LOSS_SUMS_AT);
  forTiles(a, (n, i0, i1, starts, ends, block) => {
    if (starts) {
      sums.reset();
      if (stats) region.fill(0);
    }
    for (let i = i0; i < i1; i++) {
      const xi = (x >>> 2) + n * C * P + i * ps;
      const gi = (grad >>> 2) + n * C * P + i * ps;
      const label = i32[(labels >>> 2) + n * P + i];
      const valid = label !== ignore;
      const t = valid ? label : 0;
      let m = f32[xi];
      for (let c = 1; c < C; c++) m = pmax(m, f32[xi + c * cs]);
      let s = 0;
      let xt = 0;
      let et = 0;
      let sumOther = 0;
      let sumWeighted = 0;
      for (let c = 0; c < C; c++) {
        const d = fr(f32[xi + c * cs] - m);
        const e = expNonPositive(d);
        s = fr(s + e);
        if (c === t) xt = d;
        if (focal) {
          if (c === t) et = e;
          sumOther = fr(sumOther + (c === t ? 0 : e));
        }
        if (smooth) sumWeighted = fr(sumWeighted + fr(f32[w0 + c] * d));
        if (grad) f32[gi + c * cs] = e;
      }
      const logS = log(s);
      const nll = fr(logS - xt);
      const wt = f32[w0 + t];
      let loss: number;
      let coef: number;
      let coefT: number;
      if (focal) {
        const rest = fr(sumOther / s);
        let mod = 1;
        let slope = 0;
        if (gamma !== 0) {
          mod = pow(rest, gamma);
          const pt = fr(et / s);
          slope = fr(fr(fr(fr(gamma * pt) * mod) * nll) / rest);
          if (!(rest > 0)) slope = 0;
        }
        loss = fr(fr(wt * mod) * nll);
        coef = fr(wt * fr(mod + slope));
        coefT = coef;
      } else {
        loss = fr(fr(keep * wt) * nll);
        coef = fr(keep * wt);
        coefT = coef;
        if (smooth) {
          loss = fr(loss + fr(epsC * fr(fr(wSum * logS) - sumWeighted)));
          coef = fr(coef + fr(epsC * wSum));
        }
      }
      if (!valid) loss = 0;
      sums.add(i, loss);
      if (losses) f32[(losses >>> 2) + n * P + i] = loss;
      if (!grad) continue;
      const rs = fr(1 / s);
      const q = fr(coef * scale);
      const qT = fr(coefT * scale);
      const qW = fr(epsC * scale);
      for (let c = 0; c < C; c++) {
        const at = gi + c * cs;
        const p = fr(f32[at] * rs);
        if (stats) {
          // shared softmax: the region statistics, and p left in grad for regionGradSharedSoftmax
          const pv = valid ? p : 0;
          const g = valid && c === t ? 1 : 0;
          const a = c * 12 + (i & 3);
          region[a] += g ? pv : 0; // region.ts scatterStats: only the pixel's own class adds to I
          region[a + 4] += squared ? fr(pv * pv) : pv;
          region[a + 8] += g;
          f32[at] = p;
          continue;
        }
        let g = fr(fr(p * q) - (c === t ? qT : 0));
        if (smooth) g = fr(g - fr(f32[w0 + c] * qW));
        f32[at] = valid ? g : 0;
      }
    }
    if (!ends) return;
    f64[(out >>> 3) + block] = sums.total();
    if (stats) writeStats(f64, stats, region, block, C);
  });
}

function softmaxDense(heap: Heap, a: SoftmaxArgs): void {
  const { x, target: y, weight: w, N, C, P, nhwc, smoothing, scale, grad, losses, out } = a;
  const { f32 } = heap.views();
  const cs = nhwc ? 1 : P;
  const ps = nhwc ? C : 1;
  const w0 = w >>> 2;
  const keep = fr(1 - smoothing);
  const epsC = fr(smoothing / C);
  const smooth = smoothing !== 0;
  const sums = new LaneSums(heap, a.tmp + LOSS_SUMS_AT);
  forTiles(a, (n, i0, i1, starts, ends, block) => {
    if (starts) sums.reset();
    for (let i = i0; i < i1; i++) {
      const e0 = n * C * P + i * ps;
      const xi = (x >>> 2) + e0;
      const yi = (y >>> 2) + e0;
      const gi = (grad >>> 2) + e0;
      let m = f32[xi];
      for (let c = 1; c < C; c++) m = pmax(m, f32[xi + c * cs]);
      let s = 0;
      let ySum = 0;
      let yd = 0;
      for (let c = 0; c < C; c++) {
        const d = fr(f32[xi + c * cs] - m);
        const e = expNonPositive(d);
        s = fr(s + e);
        let yc = f32[yi + c * cs];
        if (smooth) yc = fr(fr(keep * yc) + epsC);
        const wy = fr(f32[w0 + c] * yc);
        ySum = fr(ySum + wy);
        yd = fr(yd + fr(wy * d));
        if (grad) f32[gi + c * cs] = e;
      }
      const loss = fr(fr(ySum * log(s)) - yd);
      sums.add(i, loss);
      if (losses) f32[(losses >>> 2) + n * P + i] = loss;
      if (!grad) continue;
      const q = fr(fr(ySum * scale) * fr(1 / s));
      for (let c = 0; c < C; c++) {
        let yc = f32[yi + c * cs];
        if (smooth) yc = fr(fr(keep * yc) + epsC);
        const wy = fr(f32[w0 + c] * yc);
        const at = gi + c * cs;
        f32[at] = fr(fr(f32[at] * q) - fr(wy * scale));
      }
    }
    if (ends) heap.views().f64[(out >>> 3) + block] = sums.total();
  });
}
