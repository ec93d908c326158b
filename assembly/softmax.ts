// Softmax pixel losses: cross entropy (index or dense target) and softmax focal loss (index target).
// Per group of four pixels: (1) the max over classes, (2) e = exp(x - max) and its sum, stored in the
// gradient buffer when a gradient is wanted, (3) the loss of each pixel, (4) the gradient from the
// stored e: one exp per logit. See common.ts for the iteration and summation order.
import { exp4, log4, pow4 } from './math';
import { laneMask, load4, store4, loadLabels4, gather4, low2, high2, combine } from './common';

const ZERO = f32x4.splat(0);

// @ts-ignore: decorator
@inline function rowMax(xg: usize, cs: usize, ps: usize, k: i32, C: i32): v128 {
  let m = load4(xg, ps, k);
  for (let c = 1; c < C; c++) m = f32x4.max(m, load4(xg + <usize>c * cs, ps, k));
  return m;
}

// Index target. focal == 0: cross entropy with class weights `w` and label smoothing;
// focal != 0: -alpha_t (1 - p_t)^gamma log p_t with per-class alpha in `w`.
// `scale` multiplies the gradient (1 / divisor of a 'mean'). out: f64 sum of the pixel losses.
export function softmaxIndex(
  x: usize, labels: usize, w: usize, N: i32, C: i32, P: i32, nhwc: i32,
  ignore: i32, smoothing: f32, focal: i32, gamma: f32, scale: f32,
  grad: usize, losses: usize, out: usize,
): void {
  const cs: usize = nhwc ? 4 : <usize>P << 2;
  const ps: usize = nhwc ? <usize>C << 2 : 4;
  // cross entropy with smoothing: l = (1-eps) w_t (-log p_t) + (eps/C) sum_c w_c (-log p_c)
  const keep = f32x4.splat(1 - smoothing);
  const epsC = f32x4.splat(smoothing / <f32>C);
  let wSum: f32 = 0;
  for (let c = 0; c < C; c++) wSum += load<f32>(w + (<usize>c << 2));
  const vwSum = f32x4.splat(wSum);
  const vscale = f32x4.splat(scale);
  const vgamma = f32x4.splat(gamma);
  const smooth = !focal && smoothing != 0;
  let lo = f64x2.splat(0);
  let hi = f64x2.splat(0);
  for (let n = 0; n < N; n++) {
    const xs = x + ((<usize>n * <usize>C * <usize>P) << 2);
    const gs = grad + ((<usize>n * <usize>C * <usize>P) << 2);
    for (let i0 = 0; i0 < P; i0 += 4) {
      const k = min(4, P - i0);
      const xg = xs + <usize>i0 * ps;
      const gg = gs + <usize>i0 * ps;
      let t = loadLabels4(labels + ((<usize>n * <usize>P + <usize>i0) << 2), k);
      const valid = v128.and(laneMask(k), v128.not(i32x4.eq(t, i32x4.splat(ignore))));
      t = v128.and(t, valid);
      const m = rowMax(xg, cs, ps, k, C);
      let s = ZERO;
      let xt = ZERO; // x_t - max
      let et = ZERO; // e_t
      let sumOther = ZERO; // sum of e_c over c != t: 1 - p_t without cancellation
      let sumWeighted = ZERO; // sum of w_c (x_c - max)
      for (let c = 0; c < C; c++) {
        const d = f32x4.sub(load4(xg + <usize>c * cs, ps, k), m);
        const e = exp4(d);
        s = f32x4.add(s, e);
        const isT = i32x4.eq(t, i32x4.splat(c));
        xt = v128.bitselect(d, xt, isT);
        if (focal) {
          et = v128.bitselect(e, et, isT);
          sumOther = f32x4.add(sumOther, v128.andnot(e, isT));
        }
        if (smooth) sumWeighted = f32x4.add(sumWeighted, f32x4.mul(f32x4.splat(load<f32>(w + (<usize>c << 2))), d));
        if (grad) store4(gg + <usize>c * cs, ps, k, e);
      }
      const logS = log4(s);
      const nll = f32x4.sub(logS, xt); // -log p_t
      const wt = gather4(w, t);
      let loss: v128;
      let coef: v128; // d loss / d x_c = coef * p_c - [c == t] * coefT - [smoothing] epsC * w_c
      let coefT: v128;
      if (focal) {
        const rest = f32x4.div(sumOther, s); // 1 - p_t
        let mod = f32x4.splat(1);
        let slope = ZERO; // gamma p_t (1-p_t)^(gamma-1) (-log p_t)
        if (gamma != 0) {
          mod = pow4(rest, vgamma);
          const pt = f32x4.div(et, s);
          slope = f32x4.div(f32x4.mul(f32x4.mul(f32x4.mul(vgamma, pt), mod), nll), rest);
          slope = v128.and(slope, f32x4.gt(rest, ZERO));
        }
        loss = f32x4.mul(f32x4.mul(wt, mod), nll);
        coef = f32x4.mul(wt, f32x4.add(mod, slope));
        coefT = coef;
      } else {
        loss = f32x4.mul(f32x4.mul(keep, wt), nll);
        coef = f32x4.mul(keep, wt);
        coefT = coef;
        if (smooth) {
          loss = f32x4.add(loss, f32x4.mul(epsC, f32x4.sub(f32x4.mul(vwSum, logS), sumWeighted)));
          coef = f32x4.add(coef, f32x4.mul(epsC, vwSum));
        }
      }
      loss = v128.and(loss, valid);
      lo = f64x2.add(lo, low2(loss));
      hi = f64x2.add(hi, high2(loss));
      if (losses) store4(losses + ((<usize>n * <usize>P + <usize>i0) << 2), 4, k, loss);
      if (!grad) continue;
      const q = f32x4.mul(f32x4.mul(coef, vscale), f32x4.div(f32x4.splat(1), s));
      const qT = f32x4.mul(coefT, vscale);
      const qW = f32x4.mul(epsC, vscale);
      for (let c = 0; c < C; c++) {
        const gp = gg + <usize>c * cs;
        let g = f32x4.sub(f32x4.mul(load4(gp, ps, k), q), v128.and(qT, i32x4.eq(t, i32x4.splat(c))));
        if (smooth) g = f32x4.sub(g, f32x4.mul(f32x4.splat(load<f32>(w + (<usize>c << 2))), qW));
        store4(gp, ps, k, v128.and(g, valid));
      }
    }
  }
  store<f64>(out, combine(lo, hi));
}

// Dense target y (one-hot or soft), class weights w, label smoothing:
// l = -sum_c w_c y'_c log p_c with y' = (1-eps) y + eps/C.
export function softmaxDense(
  x: usize, y: usize, w: usize, N: i32, C: i32, P: i32, nhwc: i32,
  smoothing: f32, scale: f32, grad: usize, losses: usize, out: usize,
): void {
  const cs: usize = nhwc ? 4 : <usize>P << 2;
  const ps: usize = nhwc ? <usize>C << 2 : 4;
  const keep = f32x4.splat(1 - smoothing);
  const epsC = f32x4.splat(smoothing / <f32>C);
  const smooth = smoothing != 0;
  const vscale = f32x4.splat(scale);
  let lo = f64x2.splat(0);
  let hi = f64x2.splat(0);
  for (let n = 0; n < N; n++) {
    const base = (<usize>n * <usize>C * <usize>P) << 2;
    for (let i0 = 0; i0 < P; i0 += 4) {
      const k = min(4, P - i0);
      const xg = x + base + <usize>i0 * ps;
      const yg = y + base + <usize>i0 * ps;
      const gg = grad + base + <usize>i0 * ps;
      const valid = laneMask(k);
      const m = rowMax(xg, cs, ps, k, C);
      let s = ZERO;
      let ySum = ZERO; // sum of w_c y'_c
      let yd = ZERO; // sum of w_c y'_c (x_c - max)
      for (let c = 0; c < C; c++) {
        const d = f32x4.sub(load4(xg + <usize>c * cs, ps, k), m);
        const e = exp4(d);
        s = f32x4.add(s, e);
        let yc = load4(yg + <usize>c * cs, ps, k);
        if (smooth) yc = f32x4.add(f32x4.mul(keep, yc), epsC);
        const wy = f32x4.mul(f32x4.splat(load<f32>(w + (<usize>c << 2))), yc);
        ySum = f32x4.add(ySum, wy);
        yd = f32x4.add(yd, f32x4.mul(wy, d));
        if (grad) store4(gg + <usize>c * cs, ps, k, e);
      }
      const loss = v128.and(f32x4.sub(f32x4.mul(ySum, log4(s)), yd), valid);
      lo = f64x2.add(lo, low2(loss));
      hi = f64x2.add(hi, high2(loss));
      if (losses) store4(losses + ((<usize>n * <usize>P + <usize>i0) << 2), 4, k, loss);
      if (!grad) continue;
      const q = f32x4.mul(f32x4.mul(ySum, vscale), f32x4.div(f32x4.splat(1), s));
      for (let c = 0; c < C; c++) {
        let yc = load4(yg + <usize>c * cs, ps, k);
        if (smooth) yc = f32x4.add(f32x4.mul(keep, yc), epsC);
        const wy = f32x4.mul(f32x4.splat(load<f32>(w + (<usize>c << 2))), yc);
        const gp = gg + <usize>c * cs;
        store4(gp, ps, k, f32x4.sub(f32x4.mul(load4(gp, ps, k), q), f32x4.mul(wy, vscale)));
      }
    }
  }
  store<f64>(out, combine(lo, hi));
}
