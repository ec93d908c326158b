// Region losses (Dice, IoU, Tversky) in two passes, so that statistics can be merged across chunks
// before any gradient is taken:
//   regionStats: per (sample, class) the sums I = sum p g, Sp = sum p (or p^2), Sg = sum g (or g^2)
//                over the kept pixels, written as f64;
//   regionGrad:  given per (sample, class) a = dL/dI and b = dL/dSp (computed in TypeScript from the
//                merged statistics), dL/dx through the activation.
// One export per activation (softmax over the classes, sigmoid per channel, or probabilities as given),
// each an @inline body with the activation constant: regionStats{Softmax,Sigmoid,Probabilities},
// regionGrad{Softmax,Sigmoid,Probabilities} and regionGradSharedSoftmax (combined with cross entropy).
// Scratch (common.ts): the tile slots, C x 96 bytes of f64 accumulators at CLASS_SUMS, then C rows
// holding the tile's probabilities (stats) or dL/dp (grad), then C rows of a recomputed softmax's exps.
import { exp4 } from './math';
import { RegionArgs } from './args';
import {
  TILE, SLOT, laneMask, load4, store4, tileLabels, tileMax, accumulate, combineAt,
  MAX, SUM, LABEL, VALID, DOT, CLASS_SUMS,
} from './common';

const ZERO = f32x4.splat(0);
const ONE = f32x4.splat(1);

const SOFTMAX = 0;
const SIGMOID = 1;
const PROBABILITIES = 2;

// @ts-ignore: decorator
@inline function rows(C: i32): usize {
  return CLASS_SUMS + <usize>C * 96;
}

// Probabilities (softmax: the exps, SUM holds their sum) of one group of class c into its row.
// @ts-ignore: decorator
@inline function activateGroup(xp: usize, ps: usize, k: i32, activation: i32, tmp: usize, r: usize, o: usize): void {
  const xc = load4(xp, ps, k);
  if (activation == 0) {
    const e = exp4(f32x4.sub(xc, v128.load(tmp + MAX * SLOT + o)));
    v128.store(tmp + SUM * SLOT + o, f32x4.add(v128.load(tmp + SUM * SLOT + o), e));
    v128.store(r + o, e);
  } else if (activation == 1) {
    const e = exp4(f32x4.neg(f32x4.abs(xc)));
    const q = f32x4.div(ONE, f32x4.add(ONE, e));
    v128.store(r + o, v128.bitselect(q, f32x4.mul(e, q), f32x4.ge(xc, ZERO)));
  } else {
    v128.store(r + o, xc);
  }
}

// The softmax sums become their reciprocals: p = e * (1 / sum), one division per pixel.
// @ts-ignore: decorator
@inline function invertSums(tmp: usize, groups: i32): void {
  for (let g = 0; g < groups; g++) {
    const at = tmp + SUM * SLOT + (<usize>g << 4);
    v128.store(at, f32x4.div(ONE, v128.load(at)));
  }
}

// g of channel c for one group: the dense target, or [label == c + labelOffset]; 0 on masked lanes.
// @ts-ignore: decorator
@inline function targetOf(yp: usize, ps: usize, k: i32, c: i32, labels: usize, labelOffset: i32, tmp: usize, o: usize, valid: v128): v128 {
  const g = labels ? v128.and(ONE, i32x4.eq(v128.load(tmp + LABEL * SLOT + o), i32x4.splat(c + labelOffset))) : load4(yp, ps, k);
  return v128.and(g, valid);
}

// @ts-ignore: decorator
@inline function statsTile(
  xt: usize, yt: usize, pt: usize, lt: usize, cs: usize, ps: usize, len: i32, C: i32, activation: i32,
  labels: usize, labelOffset: i32, ignore: i32, squared: bool, probs: usize, tmp: usize,
): void {
  const groups = (len + 3) >> 2;
  if (labels) tileLabels(lt, len, ignore, tmp + LABEL * SLOT, tmp + VALID * SLOT);
  else for (let g = 0; g < groups; g++) v128.store(tmp + VALID * SLOT + (<usize>g << 4), laneMask(len - (g << 2)));
  if (activation == 0) {
    tileMax(xt, cs, ps, len, C, tmp + MAX * SLOT);
    memory.fill(tmp + SUM * SLOT, 0, SLOT);
  }
  const full = len >> 2;
  const k = len & 3;
  for (let c = 0; c < C; c++) {
    const row = xt + <usize>c * cs;
    const r = tmp + rows(C) + <usize>c * SLOT;
    for (let g = 0; g < full; g++) activateGroup(row + <usize>g * 4 * ps, ps, 4, activation, tmp, r, <usize>g << 4);
    if (k) activateGroup(row + <usize>full * 4 * ps, ps, k, activation, tmp, r, <usize>full << 4);
  }
  if (activation == 0) invertSums(tmp, groups);
  for (let c = 0; c < C; c++) {
    const r = tmp + rows(C) + <usize>c * SLOT;
    const a = tmp + CLASS_SUMS + <usize>c * 96;
    for (let g = 0; g < groups; g++) {
      const o = <usize>g << 4;
      const k = min(4, len - (g << 2));
      let p = v128.load(r + o);
      if (activation == 0) p = f32x4.mul(p, v128.load(tmp + SUM * SLOT + o));
      const at = <usize>c * cs + <usize>g * 4 * ps;
      if (probs) {
        if (k == 4) store4(pt + at, ps, 4, p);
        else store4(pt + at, ps, k, p);
      }
      const valid = v128.load(tmp + VALID * SLOT + o);
      addStats(a, v128.and(p, valid), targetOf(yt + at, ps, k, c, labels, labelOffset, tmp, o, valid), squared);
    }
  }
}

// Adds one group's p g, p (or p^2) and g (or g^2), masked, into the lane sums of (I, Sp, Sg) at a.
// @ts-ignore: decorator
@inline export function addStats(a: usize, pv: v128, gv: v128, squared: bool): void {
  accumulate(a, f32x4.mul(pv, gv));
  accumulate(a + 32, squared ? f32x4.mul(pv, pv) : pv);
  accumulate(a + 64, squared ? f32x4.mul(gv, gv) : gv);
}

export function regionStatsSoftmax(args: usize): void {
  regionStats(changetype<RegionArgs>(args), SOFTMAX);
}

export function regionStatsSigmoid(args: usize): void {
  regionStats(changetype<RegionArgs>(args), SIGMOID);
}

export function regionStatsProbabilities(args: usize): void {
  regionStats(changetype<RegionArgs>(args), PROBABILITIES);
}

// stats: f64 [N, C, 3] = (I, Sp, Sg). grad (optional) receives the probabilities, in the input's
// layout, for the gradient pass.
// @ts-ignore: decorator
@inline function regionStats(a: RegionArgs, activation: i32): void {
  const x = a.x, labels = a.labels, y = a.y, N = a.N, C = a.C, P = a.P, nhwc = a.nhwc;
  const labelOffset = a.labelOffset, ignore = a.ignore, squared = a.squared;
  const probs = a.grad, out = a.stats, tmp = a.tmp;
  const cs: usize = nhwc ? 4 : <usize>P << 2;
  const ps: usize = nhwc ? <usize>C << 2 : 4;
  for (let n = 0; n < N; n++) {
    if (!(n == 0 && a.carrySample)) memory.fill(tmp + CLASS_SUMS, 0, <usize>C * 96);
    const sample = (<usize>n * <usize>C * <usize>P) << 2;
    for (let i0 = 0; i0 < P; i0 += TILE) {
      const len = min(TILE, P - i0);
      const at = sample + <usize>i0 * ps;
      const lt = labels + ((<usize>n * <usize>P + <usize>i0) << 2);
      if (nhwc) statsTile(x + at, y + at, probs + at, lt, cs, ps, len, C, activation, labels, labelOffset, ignore, squared != 0, probs, tmp);
      else statsTile(x + at, y + at, probs + at, lt, cs, 4, len, C, activation, labels, labelOffset, ignore, squared != 0, probs, tmp);
    }
    for (let c = 0; c < C; c++) {
      const o = out + ((<usize>n * <usize>C + <usize>c) * 24);
      const a = tmp + CLASS_SUMS + <usize>c * 96;
      store<f64>(o, combineAt(a));
      store<f64>(o, combineAt(a + 32), 8);
      store<f64>(o, combineAt(a + 64), 16);
    }
  }
}

// dL/dp of one group of class c: u = a g + b (2p if squared, else 1).
// @ts-ignore: decorator
@inline function lossSlope(p: v128, g: v128, a: v128, b: v128, squared: bool): v128 {
  return f32x4.add(f32x4.mul(a, g), squared ? f32x4.mul(b, f32x4.add(p, p)) : b);
}

// The gradient of one tile. Probabilities come from the gradient buffer (regionStats left them
// there), or, with `logits`, from a softmax recomputed here; then the result is added to what the
// buffer holds as (0 + prior * held) + factor * dL/dx, which is how combined sums its terms.
// @ts-ignore: decorator
@inline function gradTile(
  gt: usize, yt: usize, lt: usize, xt: usize, cs: usize, ps: usize, len: i32, C: i32, activation: i32,
  labels: usize, labelOffset: i32, ignore: i32, squared: bool, an: usize, bn: usize, tmp: usize,
  logits: usize, prior: v128, factor: v128,
): void {
  const groups = (len + 3) >> 2;
  if (labels) tileLabels(lt, len, ignore, tmp + LABEL * SLOT, tmp + VALID * SLOT);
  else for (let g = 0; g < groups; g++) v128.store(tmp + VALID * SLOT + (<usize>g << 4), laneMask(len - (g << 2)));
  const probs = tmp + rows(C) + <usize>C * SLOT; // the recomputed softmax's exps
  if (logits) {
    tileMax(xt, cs, ps, len, C, tmp + MAX * SLOT);
    memory.fill(tmp + SUM * SLOT, 0, SLOT);
    for (let c = 0; c < C; c++) {
      const row = xt + <usize>c * cs;
      const r = probs + <usize>c * SLOT;
      for (let g = 0; g < groups; g++) {
        const k = min(4, len - (g << 2));
        if (k == 4) activateGroup(row + <usize>g * 4 * ps, ps, 4, 0, tmp, r, <usize>g << 4);
        else activateGroup(row + <usize>g * 4 * ps, ps, k, 0, tmp, r, <usize>g << 4);
      }
    }
    invertSums(tmp, groups);
  }
  memory.fill(tmp + DOT * SLOT, 0, SLOT);
  for (let c = 0; c < C; c++) {
    const a = f32x4.splat(load<f32>(an + (<usize>c << 2)));
    const b = f32x4.splat(load<f32>(bn + (<usize>c << 2)));
    const r = tmp + rows(C) + <usize>c * SLOT;
    for (let g = 0; g < groups; g++) {
      const o = <usize>g << 4;
      const k = min(4, len - (g << 2));
      const at = <usize>c * cs + <usize>g * 4 * ps;
      const p = logits
        ? f32x4.mul(v128.load(probs + <usize>c * SLOT + o), v128.load(tmp + SUM * SLOT + o))
        : k == 4 ? load4(gt + at, ps, 4) : load4(gt + at, ps, k);
      const valid = v128.load(tmp + VALID * SLOT + o);
      const u = lossSlope(p, targetOf(yt + at, ps, k, c, labels, labelOffset, tmp, o, valid), a, b, squared);
      if (activation == 0) {
        v128.store(tmp + DOT * SLOT + o, f32x4.add(v128.load(tmp + DOT * SLOT + o), f32x4.mul(p, u)));
        v128.store(r + o, u);
      } else {
        const d = activation == 1 ? f32x4.mul(u, f32x4.mul(p, f32x4.sub(ONE, p))) : u;
        if (k == 4) store4(gt + at, ps, 4, v128.and(d, valid));
        else store4(gt + at, ps, k, v128.and(d, valid));
      }
    }
  }
  if (activation != 0) return;
  for (let c = 0; c < C; c++) {
    const r = tmp + rows(C) + <usize>c * SLOT;
    for (let g = 0; g < groups; g++) {
      const o = <usize>g << 4;
      const k = min(4, len - (g << 2));
      const at = gt + <usize>c * cs + <usize>g * 4 * ps;
      const held = k == 4 ? load4(at, ps, 4) : load4(at, ps, k);
      const p = logits ? f32x4.mul(v128.load(probs + <usize>c * SLOT + o), v128.load(tmp + SUM * SLOT + o)) : held;
      let d = v128.and(f32x4.mul(p, f32x4.sub(v128.load(r + o), v128.load(tmp + DOT * SLOT + o))), v128.load(tmp + VALID * SLOT + o));
      if (logits) d = f32x4.add(f32x4.add(ZERO, f32x4.mul(prior, held)), f32x4.mul(factor, d));
      if (k == 4) store4(at, ps, 4, d);
      else store4(at, ps, k, d);
    }
  }
}

// grad holds the probabilities written by regionStats and is overwritten with dL/dx.
// coefA, coefB: f32 [N, C]; u_c = a g_c + b (2 p_c if squared, else 1) is dL/dp_c.
export function regionGradSoftmax(args: usize): void {
  regionGrad(changetype<RegionArgs>(args), SOFTMAX, false);
}

export function regionGradSigmoid(args: usize): void {
  regionGrad(changetype<RegionArgs>(args), SIGMOID, false);
}

export function regionGradProbabilities(args: usize): void {
  regionGrad(changetype<RegionArgs>(args), PROBABILITIES, false);
}

// Combined with cross entropy: grad holds the cross-entropy gradient instead; the softmax is
// recomputed from the logits x and grad becomes (0 + prior * grad) + factor * dL/dx.
export function regionGradSharedSoftmax(args: usize): void {
  regionGrad(changetype<RegionArgs>(args), SOFTMAX, true);
}

// @ts-ignore: decorator
@inline function regionGrad(a: RegionArgs, activation: i32, shared: bool): void {
  const grad = a.grad, labels = a.labels, y = a.y, N = a.N, C = a.C, P = a.P, nhwc = a.nhwc;
  const labelOffset = a.labelOffset, ignore = a.ignore, squared = a.squared;
  const coefA = a.coefA, coefB = a.coefB, tmp = a.tmp, prior = a.prior, factor = a.factor;
  const logits: usize = shared ? a.x : 0;
  const cs: usize = nhwc ? 4 : <usize>P << 2;
  const ps: usize = nhwc ? <usize>C << 2 : 4;
  const vprior = f32x4.splat(prior);
  const vfactor = f32x4.splat(factor);
  for (let n = 0; n < N; n++) {
    const sample = (<usize>n * <usize>C * <usize>P) << 2;
    const an = coefA + ((<usize>n * <usize>C) << 2);
    const bn = coefB + ((<usize>n * <usize>C) << 2);
    for (let i0 = 0; i0 < P; i0 += TILE) {
      const len = min(TILE, P - i0);
      const at = sample + <usize>i0 * ps;
      const lt = labels + ((<usize>n * <usize>P + <usize>i0) << 2);
      if (nhwc) gradTile(grad + at, y + at, lt, logits + at, cs, ps, len, C, activation, labels, labelOffset, ignore, squared != 0, an, bn, tmp, logits, vprior, vfactor);
      else gradTile(grad + at, y + at, lt, logits + at, cs, 4, len, C, activation, labels, labelOffset, ignore, squared != 0, an, bn, tmp, logits, vprior, vfactor);
    }
  }
}
