// Softmax pixel losses: cross entropy (index or dense target) and softmax focal loss (index target).
// Exports: crossEntropyIndex, focalSoftmax, crossEntropyIndexWithRegion, crossEntropyDense.
// Per tile, four passes over the class rows: (A) the max over classes, (B) e = exp(x - max) and its
// sum, e stored in the gradient buffer when a gradient is wanted, (C) the loss of each pixel and its
// gradient coefficients, (D) the gradient from the stored e: one exp per logit. A whole NCHW tile of
// plain cross entropy runs A and B four groups at a time (region.ts softmaxRows) with e in the scratch
// rows, the same operations per lane. See common.ts for the iteration and summation order.
import { expNonPositive4, log4, pow4 } from './math';
import { rows, scatterStats, softmaxRows } from './region';
import { SoftmaxArgs } from './args';
import {
  TILE, GROUPS, SLOT, blockEnds, laneMask, load4, store4, gather4, accumulate, combineAt, tileLabels, tileMax,
  MAX, SUM, XT, ET, OTHER, WSUM, LABEL, VALID, Q, QT, LOSS_ACC, RS, CLASS_SUMS,
} from './common';

const ZERO = f32x4.splat(0);
const ONE = f32x4.splat(1);

// Pass B of an index target for group g of class c: e = exp(x - max), stored into the gradient.
// @ts-ignore: decorator
@inline function indexExp(
  xp: usize, gp: usize, ps: usize, k: i32, c: i32, wc: v128, tmp: usize, o: usize,
  focal: bool, smooth: bool, grad: usize,
): void {
  const d = f32x4.sub(load4(xp, ps, k), v128.load(tmp + MAX * SLOT + o));
  const e = expNonPositive4(d);
  v128.store(tmp + SUM * SLOT + o, f32x4.add(v128.load(tmp + SUM * SLOT + o), e));
  const isT = i32x4.eq(v128.load(tmp + LABEL * SLOT + o), i32x4.splat(c));
  v128.store(tmp + XT * SLOT + o, v128.bitselect(d, v128.load(tmp + XT * SLOT + o), isT));
  if (focal) {
    v128.store(tmp + ET * SLOT + o, v128.bitselect(e, v128.load(tmp + ET * SLOT + o), isT));
    v128.store(tmp + OTHER * SLOT + o, f32x4.add(v128.load(tmp + OTHER * SLOT + o), v128.andnot(e, isT)));
  }
  if (smooth) v128.store(tmp + WSUM * SLOT + o, f32x4.add(v128.load(tmp + WSUM * SLOT + o), f32x4.mul(wc, d)));
  if (grad) store4(gp, ps, k, e);
}

// Pass D of an index target: p = e * (1 / sum), g = p * Q - [c == t] QT - w_c qW, zero on masked lanes.
// With a shared region loss (combined), p itself is stored and added to the region statistics;
// regionGradSharedSoftmax turns it into both gradients.
// @ts-ignore: decorator
@inline function indexGrad(
  gp: usize, ep: usize, ps: usize, k: i32, c: i32, wqW: v128, tmp: usize, o: usize, smooth: bool, region: bool, squared: bool,
  fromRows: bool,
): void {
  const isT = i32x4.eq(v128.load(tmp + LABEL * SLOT + o), i32x4.splat(c));
  const p = f32x4.mul(fromRows ? v128.load(ep) : load4(gp, ps, k), v128.load(tmp + RS * SLOT + o));
  const valid = v128.load(tmp + VALID * SLOT + o);
  if (region) {
    // Sp with the very operations and order of regionStats, so both give the same bits (I and Sg:
    // scatterStats once the tile's p are stored)
    const pv = v128.and(p, valid);
    accumulate(tmp + CLASS_SUMS + <usize>c * 96 + 32, squared ? f32x4.mul(pv, pv) : pv);
    store4(gp, ps, k, p);
    return;
  }
  let g = f32x4.sub(f32x4.mul(p, v128.load(tmp + Q * SLOT + o)), v128.and(v128.load(tmp + QT * SLOT + o), isT));
  if (smooth) g = f32x4.sub(g, wqW);
  store4(gp, ps, k, v128.and(g, valid));
}

// One tile of an index target (all passes); ps is a literal 4 at the NCHW call site.
// @ts-ignore: decorator
@inline function indexTile(
  xt: usize, gt: usize, lt: usize, ot: usize, cs: usize, ps: usize, len: i32, C: i32, w: usize,
  ignore: i32, keep: v128, epsC: v128, wSum: v128, smooth: bool, focal: bool, gamma: f32, scale: v128,
  grad: usize, losses: usize, tmp: usize, stats: usize, squared: bool,
): void {
  const full = len >> 2;
  const k = len & 3;
  const groups = (len + 3) >> 2;
  tileLabels(lt, len, ignore, tmp + LABEL * SLOT, tmp + VALID * SLOT);
  // a whole NCHW tile of plain cross entropy: passes A and B four groups at a time across the classes,
  // the exps into the scratch rows, x_t - max gathered pixel by pixel (masked pixels: class 0's)
  const blocked = ps == 4 && len == TILE && !focal && !smooth;
  if (blocked) {
    softmaxRows(xt, cs, C, tmp + rows(C), tmp, false);
  } else {
    tileMax(xt, cs, ps, len, C, tmp + MAX * SLOT);
    memory.fill(tmp + SUM * SLOT, 0, 5 * SLOT); // SUM, XT, ET, OTHER, WSUM
  }
  for (let c = 0; !blocked && c < C; c++) {
    const row = xt + <usize>c * cs;
    const grow = gt + <usize>c * cs;
    const wc = f32x4.splat(load<f32>(w + (<usize>c << 2)));
    for (let g = 0; g < full; g++) {
      const at = <usize>g * 4 * ps;
      indexExp(row + at, grow + at, ps, 4, c, wc, tmp, <usize>g << 4, focal, smooth, grad);
    }
    if (k) {
      const at = <usize>full * 4 * ps;
      indexExp(row + at, grow + at, ps, k, c, wc, tmp, <usize>full << 4, focal, smooth, grad);
    }
  }
  // pass C: per-pixel loss and the gradient's coefficients
  const vgamma = f32x4.splat(gamma);
  for (let g = 0; g < groups; g++) {
    const o = <usize>g << 4;
    const s = v128.load(tmp + SUM * SLOT + o);
    const t = v128.load(tmp + LABEL * SLOT + o);
    const logS = log4(s);
    const nll = f32x4.sub(logS, v128.load(tmp + XT * SLOT + o)); // -log p_t
    const wt = gather4(w, t);
    let loss: v128;
    let coef: v128; // d loss / d x_c = coef * p_c - [c == t] * coefT - [smoothing] epsC * w_c
    let coefT: v128;
    if (focal) {
      const rest = f32x4.div(v128.load(tmp + OTHER * SLOT + o), s); // 1 - p_t
      let mod = ONE;
      let slope = ZERO; // gamma p_t (1-p_t)^(gamma-1) (-log p_t)
      if (gamma != 0) {
        mod = pow4(rest, vgamma);
        const pt = f32x4.div(v128.load(tmp + ET * SLOT + o), s);
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
        loss = f32x4.add(loss, f32x4.mul(epsC, f32x4.sub(f32x4.mul(wSum, logS), v128.load(tmp + WSUM * SLOT + o))));
        coef = f32x4.add(coef, f32x4.mul(epsC, wSum));
      }
    }
    loss = v128.and(loss, v128.load(tmp + VALID * SLOT + o));
    accumulate(tmp + LOSS_ACC * SLOT, loss);
    if (losses) store4(ot + o, 4, min(4, len - (g << 2)), loss);
    v128.store(tmp + RS * SLOT + o, f32x4.div(ONE, s));
    v128.store(tmp + Q * SLOT + o, f32x4.mul(coef, scale));
    v128.store(tmp + QT * SLOT + o, f32x4.mul(coefT, scale));
  }
  if (!grad) return;
  const qW = f32x4.mul(epsC, scale);
  const region = stats != 0;
  for (let c = 0; c < C; c++) {
    const grow = gt + <usize>c * cs;
    const erow = tmp + rows(C) + <usize>c * SLOT;
    const wqW = f32x4.mul(f32x4.splat(load<f32>(w + (<usize>c << 2))), qW);
    if (blocked) {
      for (let g = 0; g < GROUPS; g++) indexGrad(grow + (<usize>g << 4), erow + (<usize>g << 4), 4, 4, c, wqW, tmp, <usize>g << 4, smooth, region, squared, true);
      continue;
    }
    for (let g = 0; g < full; g++) indexGrad(grow + <usize>g * 4 * ps, 0, ps, 4, c, wqW, tmp, <usize>g << 4, smooth, region, squared, false);
    if (k) indexGrad(grow + <usize>full * 4 * ps, 0, ps, k, c, wqW, tmp, <usize>full << 4, smooth, region, squared, false);
  }
  if (region) scatterStats(gt, cs, ps, len, C, 0, tmp);
}

// Index target, cross entropy with class weights `weight` and label smoothing.
export function crossEntropyIndex(args: usize): void {
  softmaxIndex(changetype<SoftmaxArgs>(args), false, false);
}

// Index target, softmax focal loss -alpha_t (1 - p_t)^gamma log p_t, per-class alpha in `weight`.
export function focalSoftmax(args: usize): void {
  softmaxIndex(changetype<SoftmaxArgs>(args), true, false);
}

// Cross entropy that also writes the statistics of a softmax region loss (combined terms sharing one
// softmax): stats = f64 [blocks, C, 3] as regionStats writes them (index target, same ignore, `squared`),
// and leaves the probabilities p in grad (not the gradient): regionGradSharedSoftmax (region.ts)
// computes both gradients from them, so each logit's exp is taken once.
export function crossEntropyIndexWithRegion(args: usize): void {
  softmaxIndex(changetype<SoftmaxArgs>(args), false, true);
}

// `scale` multiplies the gradient (1 / divisor of a 'mean'). out: f64, each block's sum of pixel losses.
// @ts-ignore: decorator
@inline function softmaxIndex(a: SoftmaxArgs, focal: bool, withRegion: bool): void {
  const x = a.x, labels = a.target, w = a.weight, N = a.N, C = a.C, P = a.P, nhwc = a.nhwc;
  const ignore = a.ignore, smoothing = a.smoothing, gamma = a.gamma, scale = a.scale;
  const grad = a.grad, losses = a.losses, out = a.out, tmp = a.tmp;
  const stats: usize = withRegion ? a.stats : 0;
  const cs: usize = nhwc ? 4 : <usize>P << 2;
  const ps: usize = nhwc ? <usize>C << 2 : 4;
  let wSum: f32 = 0;
  for (let c = 0; c < C; c++) wSum += load<f32>(w + (<usize>c << 2));
  // cross entropy with smoothing: l = (1-eps) w_t (-log p_t) + (eps/C) sum_c w_c (-log p_c)
  const keep = f32x4.splat(1 - smoothing);
  const epsC = f32x4.splat(smoothing / <f32>C);
  const vwSum = f32x4.splat(wSum);
  const smooth = !focal && smoothing != 0;
  const vscale = f32x4.splat(scale);
  const sq = a.squared != 0;
  let written: usize = 0; // blocks
  for (let n = 0; n < N; n++) {
    const sample = (<usize>n * <usize>C * <usize>P) << 2;
    const end = n == N - 1 ? a.last : P;
    let fresh = !(n == 0 && a.carrySample);
    for (let i0 = n == 0 ? a.first : 0; i0 < end; i0 += TILE) {
      if (fresh) {
        memory.fill(tmp + LOSS_ACC * SLOT, 0, 32);
        if (stats) memory.fill(tmp + CLASS_SUMS, 0, <usize>C * 96);
      }
      const len = min(TILE, end - i0);
      const xt = x + sample + <usize>i0 * ps;
      const gt = grad + sample + <usize>i0 * ps;
      const pix = (<usize>n * <usize>P + <usize>i0) << 2;
      if (nhwc) {
        indexTile(xt, gt, labels + pix, losses + pix, cs, ps, len, C, w, ignore, keep, epsC, vwSum, smooth, focal, gamma, vscale, grad, losses, tmp, stats, sq);
      } else {
        indexTile(xt, gt, labels + pix, losses + pix, cs, 4, len, C, w, ignore, keep, epsC, vwSum, smooth, focal, gamma, vscale, grad, losses, tmp, stats, sq);
      }
      fresh = blockEnds(a.origin + i0 + len, a.pixels);
      if (!fresh) continue;
      store<f64>(out + (written << 3), combineAt(tmp + LOSS_ACC * SLOT));
      if (stats) {
        for (let c = 0; c < C; c++) {
          const o = stats + ((written * <usize>C + <usize>c) * 24);
          const acc = tmp + CLASS_SUMS + <usize>c * 96;
          store<f64>(o, combineAt(acc));
          store<f64>(o, combineAt(acc + 32), 8);
          store<f64>(o, combineAt(acc + 64), 16);
        }
      }
      written++;
    }
  }
}

// Pass B of a dense target for group g of class c.
// @ts-ignore: decorator
@inline function denseExp(
  xp: usize, yp: usize, gp: usize, ps: usize, k: i32, wc: v128, keep: v128, epsC: v128, smooth: bool,
  tmp: usize, o: usize, grad: usize,
): void {
  const d = f32x4.sub(load4(xp, ps, k), v128.load(tmp + MAX * SLOT + o));
  const e = expNonPositive4(d);
  v128.store(tmp + SUM * SLOT + o, f32x4.add(v128.load(tmp + SUM * SLOT + o), e));
  let yc = load4(yp, ps, k);
  if (smooth) yc = f32x4.add(f32x4.mul(keep, yc), epsC);
  const wy = f32x4.mul(wc, yc);
  v128.store(tmp + OTHER * SLOT + o, f32x4.add(v128.load(tmp + OTHER * SLOT + o), wy));
  v128.store(tmp + XT * SLOT + o, f32x4.add(v128.load(tmp + XT * SLOT + o), f32x4.mul(wy, d)));
  if (grad) store4(gp, ps, k, e);
}

// Pass D of a dense target: g = e * Q - w_c y'_c scale.
// @ts-ignore: decorator
@inline function denseGrad(
  yp: usize, gp: usize, ps: usize, k: i32, wc: v128, keep: v128, epsC: v128, smooth: bool, scale: v128,
  tmp: usize, o: usize,
): void {
  let yc = load4(yp, ps, k);
  if (smooth) yc = f32x4.add(f32x4.mul(keep, yc), epsC);
  const wy = f32x4.mul(wc, yc);
  store4(gp, ps, k, f32x4.sub(f32x4.mul(load4(gp, ps, k), v128.load(tmp + Q * SLOT + o)), f32x4.mul(wy, scale)));
}

// @ts-ignore: decorator
@inline function denseTile(
  xt: usize, yt: usize, gt: usize, ot: usize, cs: usize, ps: usize, len: i32, C: i32, w: usize,
  keep: v128, epsC: v128, smooth: bool, scale: v128, grad: usize, losses: usize, tmp: usize,
): void {
  const full = len >> 2;
  const k = len & 3;
  const groups = (len + 3) >> 2;
  tileMax(xt, cs, ps, len, C, tmp + MAX * SLOT);
  memory.fill(tmp + SUM * SLOT, 0, 4 * SLOT); // SUM, XT, ET, OTHER
  for (let c = 0; c < C; c++) {
    const off = <usize>c * cs;
    const wc = f32x4.splat(load<f32>(w + (<usize>c << 2)));
    for (let g = 0; g < full; g++) {
      const at = off + <usize>g * 4 * ps;
      denseExp(xt + at, yt + at, gt + at, ps, 4, wc, keep, epsC, smooth, tmp, <usize>g << 4, grad);
    }
    if (k) {
      const at = off + <usize>full * 4 * ps;
      denseExp(xt + at, yt + at, gt + at, ps, k, wc, keep, epsC, smooth, tmp, <usize>full << 4, grad);
    }
  }
  for (let g = 0; g < groups; g++) {
    const o = <usize>g << 4;
    const s = v128.load(tmp + SUM * SLOT + o);
    const ySum = v128.load(tmp + OTHER * SLOT + o);
    const loss = v128.and(f32x4.sub(f32x4.mul(ySum, log4(s)), v128.load(tmp + XT * SLOT + o)), laneMask(len - (g << 2)));
    accumulate(tmp + LOSS_ACC * SLOT, loss);
    if (losses) store4(ot + o, 4, min(4, len - (g << 2)), loss);
    v128.store(tmp + Q * SLOT + o, f32x4.mul(f32x4.mul(ySum, scale), f32x4.div(ONE, s)));
  }
  if (!grad) return;
  for (let c = 0; c < C; c++) {
    const off = <usize>c * cs;
    const wc = f32x4.splat(load<f32>(w + (<usize>c << 2)));
    for (let g = 0; g < full; g++) {
      const at = off + <usize>g * 4 * ps;
      denseGrad(yt + at, gt + at, ps, 4, wc, keep, epsC, smooth, scale, tmp, <usize>g << 4);
    }
    if (k) {
      const at = off + <usize>full * 4 * ps;
      denseGrad(yt + at, gt + at, ps, k, wc, keep, epsC, smooth, scale, tmp, <usize>full << 4);
    }
  }
}

// Dense target y (one-hot or soft) in `target`, class weights, label smoothing:
// l = -sum_c w_c y'_c log p_c with y' = (1-eps) y + eps/C.
export function crossEntropyDense(args: usize): void {
  const a = changetype<SoftmaxArgs>(args);
  const x = a.x, y = a.target, w = a.weight, N = a.N, C = a.C, P = a.P, nhwc = a.nhwc;
  const smoothing = a.smoothing, grad = a.grad, losses = a.losses, tmp = a.tmp;
  const cs: usize = nhwc ? 4 : <usize>P << 2;
  const ps: usize = nhwc ? <usize>C << 2 : 4;
  const keep = f32x4.splat(1 - smoothing);
  const epsC = f32x4.splat(smoothing / <f32>C);
  const smooth = smoothing != 0;
  const vscale = f32x4.splat(a.scale);
  let written: usize = 0; // blocks
  for (let n = 0; n < N; n++) {
    const sample = (<usize>n * <usize>C * <usize>P) << 2;
    const end = n == N - 1 ? a.last : P;
    let fresh = !(n == 0 && a.carrySample);
    for (let i0 = n == 0 ? a.first : 0; i0 < end; i0 += TILE) {
      if (fresh) memory.fill(tmp + LOSS_ACC * SLOT, 0, 32);
      const len = min(TILE, end - i0);
      const at = sample + <usize>i0 * ps;
      const ot = losses + ((<usize>n * <usize>P + <usize>i0) << 2);
      if (nhwc) denseTile(x + at, y + at, grad + at, ot, cs, ps, len, C, w, keep, epsC, smooth, vscale, grad, losses, tmp);
      else denseTile(x + at, y + at, grad + at, ot, cs, 4, len, C, w, keep, epsC, smooth, vscale, grad, losses, tmp);
      fresh = blockEnds(a.origin + i0 + len, a.pixels);
      if (fresh) store<f64>(a.out + (written++ << 3), combineAt(tmp + LOSS_ACC * SLOT));
    }
  }
}
