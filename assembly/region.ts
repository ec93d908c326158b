// Region losses (Dice, IoU, Tversky) in two passes, so that statistics can be merged across chunks
// before any gradient is taken:
//   regionStats: per (block, class) the sums I = sum p g, Sp = sum p (or p^2), Sg = sum g (or g^2)
//                over the kept pixels, written as f64 (a sample's blocks are added in TypeScript);
//   regionGrad:  given per (sample, class) a = dL/dI and b = dL/dSp (computed in TypeScript from the
//                merged statistics), dL/dx through the activation.
// One export per activation (softmax over the classes, sigmoid per channel, or probabilities as given),
// each an @inline body with the activation constant: regionStats{Softmax,Sigmoid,Probabilities},
// regionGrad{Softmax,Sigmoid,Probabilities} and regionGradSharedSoftmax (combined with cross entropy).
// Scratch (common.ts): the tile slots, C x 96 bytes of f64 accumulators at CLASS_SUMS, then C rows
// holding the tile's probabilities (stats) or dL/dp (grad). Each logit's exp is taken once: the
// statistics pass leaves p in the gradient buffer and the gradient pass reads it.
import { expNonPositive4 } from './math';
import { RegionArgs } from './args';
import {
  TILE, GROUPS, SLOT, blockEnds, laneMask, load4, store4, gather4, tileLabels, tileMax, accumulate, combineAt,
  MAX, SUM, XT, LABEL, VALID, DOT, Q, QT, CLASS_SUMS,
} from './common';

const ZERO = f32x4.splat(0);
const ONE = f32x4.splat(1);

const SOFTMAX = 0;
const SIGMOID = 1;
const PROBABILITIES = 2;

// (0 + prior * g_ce) + factor * d: the region gradient d of a group of class c added to the cross
// entropy's, g_ce = p Q - [c == t] QT - w_c qW as softmax.ts's pass D computes it.
// @ts-ignore: decorator
@inline function blendCrossEntropy(
  d: v128, p: v128, c: i32, valid: v128, wqW: v128, smooth: bool, prior: v128, factor: v128, tmp: usize, o: usize,
): v128 {
  const isT = i32x4.eq(v128.load(tmp + LABEL * SLOT + o), i32x4.splat(c));
  let gce = f32x4.sub(f32x4.mul(p, v128.load(tmp + Q * SLOT + o)), v128.and(v128.load(tmp + QT * SLOT + o), isT));
  if (smooth) gce = f32x4.sub(gce, wqW);
  gce = v128.and(gce, valid);
  return f32x4.add(f32x4.add(ZERO, f32x4.mul(prior, gce)), f32x4.mul(factor, d));
}

// The cross-entropy gradient's per-pixel coefficients Q and QT of a tile (softmax.ts's pass C, without
// focal): d CE / d x_c = e_c Q - [c == t] QT - w_c qW.
// @ts-ignore: decorator
@inline function ceCoefficients(tmp: usize, groups: i32, w: usize, keep: v128, epsC: v128, wSum: v128, smooth: bool, scale: v128): void {
  for (let g = 0; g < groups; g++) {
    const o = <usize>g << 4;
    const wt = gather4(w, v128.load(tmp + LABEL * SLOT + o));
    const coefT = f32x4.mul(keep, wt);
    const coef = smooth ? f32x4.add(coefT, f32x4.mul(epsC, wSum)) : coefT;
    v128.store(tmp + Q * SLOT + o, f32x4.mul(coef, scale));
    v128.store(tmp + QT * SLOT + o, f32x4.mul(coefT, scale));
  }
}

// Where the scratch's per-class rows start (after the class sums).
// @ts-ignore: decorator
@inline export function rows(C: i32): usize {
  return CLASS_SUMS + <usize>C * 96;
}

// Probabilities (softmax: the exps, SUM holds their sum) of one group of class c into its row.
// @ts-ignore: decorator
@inline function activateGroup(xp: usize, ps: usize, k: i32, activation: i32, tmp: usize, r: usize, o: usize): void {
  const xc = load4(xp, ps, k);
  if (activation == 0) {
    const e = expNonPositive4(f32x4.sub(xc, v128.load(tmp + MAX * SLOT + o)));
    v128.store(tmp + SUM * SLOT + o, f32x4.add(v128.load(tmp + SUM * SLOT + o), e));
    v128.store(r + o, e);
  } else if (activation == 1) {
    const e = expNonPositive4(f32x4.neg(f32x4.abs(xc)));
    const q = f32x4.div(ONE, f32x4.add(ONE, e));
    v128.store(r + o, v128.bitselect(q, f32x4.mul(e, q), f32x4.ge(xc, ZERO)));
  } else {
    v128.store(r + o, xc);
  }
}

// A whole NCHW softmax tile's exps into the rows at r, and the sum (its reciprocal with `invert`) into
// the SUM slot; without `invert` (cross entropy) also the max and x_t - max (label t) into MAX and XT, a block of four groups (a cache line of each class row) at a
// time across the classes, so that the max and the sum stay in registers. Per lane, the operations and
// their order are tileMax's, activateGroup's and invertSums' (softmax.ts: passes A and B).
// @ts-ignore: decorator
@inline export function softmaxRows(xt: usize, cs: usize, C: i32, r: usize, tmp: usize, invert: bool): void {
  for (let g = 0; g < GROUPS; g += 4) {
    const o = <usize>g << 4;
    let m0 = v128.load(xt + o), m1 = v128.load(xt + o, 16), m2 = v128.load(xt + o, 32), m3 = v128.load(xt + o, 48);
    for (let c = 1; c < C; c++) {
      const row = xt + <usize>c * cs + o;
      m0 = f32x4.pmax(m0, v128.load(row));
      m1 = f32x4.pmax(m1, v128.load(row, 16));
      m2 = f32x4.pmax(m2, v128.load(row, 32));
      m3 = f32x4.pmax(m3, v128.load(row, 48));
    }
    if (!invert) {
      // cross entropy: the max, and x_t - max of the block's pixels while their rows are in cache
      const mx = tmp + MAX * SLOT + o;
      v128.store(mx, m0); v128.store(mx, m1, 16); v128.store(mx, m2, 32); v128.store(mx, m3, 48);
      for (let i: usize = 0; i < 64; i += 4) {
        const t = load<i32>(tmp + LABEL * SLOT + o + i);
        store<f32>(tmp + XT * SLOT + o + i, load<f32>(xt + <usize>t * cs + o + i) - load<f32>(mx + i));
      }
    }
    let s0 = ZERO, s1 = ZERO, s2 = ZERO, s3 = ZERO;
    for (let c = 0; c < C; c++) {
      const row = xt + <usize>c * cs + o;
      const rr = r + <usize>c * SLOT + o;
      const e0 = expNonPositive4(f32x4.sub(v128.load(row), m0));
      s0 = f32x4.add(s0, e0);
      v128.store(rr, e0);
      const e1 = expNonPositive4(f32x4.sub(v128.load(row, 16), m1));
      s1 = f32x4.add(s1, e1);
      v128.store(rr, e1, 16);
      const e2 = expNonPositive4(f32x4.sub(v128.load(row, 32), m2));
      s2 = f32x4.add(s2, e2);
      v128.store(rr, e2, 32);
      const e3 = expNonPositive4(f32x4.sub(v128.load(row, 48), m3));
      s3 = f32x4.add(s3, e3);
      v128.store(rr, e3, 48);
    }
    if (invert) {
      s0 = f32x4.div(ONE, s0); s1 = f32x4.div(ONE, s1); s2 = f32x4.div(ONE, s2); s3 = f32x4.div(ONE, s3);
    }
    const sm = tmp + SUM * SLOT + o;
    v128.store(sm, s0); v128.store(sm, s1, 16); v128.store(sm, s2, 32); v128.store(sm, s3, 48);
  }
}

// statsTile's probabilities and Sp of a whole NCHW softmax tile over an index target, into the
// gradient buffer pt: row by row, p = e * (1 / sum), Sp's lane sums in registers along the row.
// @ts-ignore: decorator
@inline function indexProbabilities(pt: usize, cs: usize, C: i32, squared: bool, tmp: usize): void {
  const rs = tmp + SUM * SLOT, valid = tmp + VALID * SLOT;
  for (let c = 0; c < C; c++) {
    const r = tmp + rows(C) + <usize>c * SLOT;
    const row = pt + <usize>c * cs;
    const a = tmp + CLASS_SUMS + <usize>c * 96;
    let s0 = v128.load(a, 32), s1 = v128.load(a, 48);
    for (let o: usize = 0; o < SLOT; o += 16) {
      const p = f32x4.mul(v128.load(r + o), v128.load(rs + o));
      v128.store(row + o, p);
      let q = v128.and(p, v128.load(valid + o));
      if (squared) q = f32x4.mul(q, q);
      s0 = f64x2.add(s0, f64x2.promote_low_f32x4(q));
      s1 = f64x2.add(s1, f64x2.promote_low_f32x4(v128.shuffle<f32>(q, q, 2, 3, 2, 3)));
    }
    v128.store(a, s0, 32); v128.store(a, s1, 48);
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
  labels: usize, labelOffset: i32, ignore: i32, squared: bool, probs: usize, tmp: usize, index: bool,
): void {
  const groups = (len + 3) >> 2;
  if (labels) tileLabels(lt, len, ignore, tmp + LABEL * SLOT, tmp + VALID * SLOT);
  else for (let g = 0; g < groups; g++) v128.store(tmp + VALID * SLOT + (<usize>g << 4), laneMask(len - (g << 2)));
  const full = len >> 2;
  const k = len & 3;
  if (activation == 0 && ps == 4 && len == TILE) {
    softmaxRows(xt, cs, C, tmp + rows(C), tmp, true);
    if (index && probs) {
      indexProbabilities(pt, cs, C, squared, tmp);
      scatterStats(pt, cs, 4, len, C, labelOffset, tmp);
      return;
    }
  } else {
    if (activation == 0) {
      tileMax(xt, cs, ps, len, C, tmp + MAX * SLOT);
      memory.fill(tmp + SUM * SLOT, 0, SLOT);
    }
    for (let c = 0; c < C; c++) {
      const row = xt + <usize>c * cs;
      const r = tmp + rows(C) + <usize>c * SLOT;
      for (let g = 0; g < full; g++) activateGroup(row + <usize>g * 4 * ps, ps, 4, activation, tmp, r, <usize>g << 4);
      if (k) activateGroup(row + <usize>full * 4 * ps, ps, k, activation, tmp, r, <usize>full << 4);
    }
    if (activation == 0) invertSums(tmp, groups);
  }
  for (let c = 0; c < C; c++) {
    const r = tmp + rows(C) + <usize>c * SLOT;
    const a = tmp + CLASS_SUMS + <usize>c * 96;
    // the lane sums of (I, Sp, Sg), held in locals along the row (lanes 0-1, 2-3 of each); an index
    // target adds only Sp here, and I and Sg pixel by pixel below
    let i0 = v128.load(a), i1 = v128.load(a, 16), s0 = v128.load(a, 32), s1 = v128.load(a, 48);
    let g0 = v128.load(a, 64), g1 = v128.load(a, 80);
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
      const pv = v128.and(p, valid);
      const sv = squared ? f32x4.mul(pv, pv) : pv;
      s0 = f64x2.add(s0, f64x2.promote_low_f32x4(sv));
      s1 = f64x2.add(s1, f64x2.promote_low_f32x4(v128.shuffle<f32>(sv, sv, 2, 3, 2, 3)));
      if (index) {
        if (activation == 0 && !probs) v128.store(r + o, p); // for scatterStats
        continue;
      }
      const gv = targetOf(yt + at, ps, k, c, labels, labelOffset, tmp, o, valid);
      const iv = f32x4.mul(pv, gv);
      const qv = squared ? f32x4.mul(gv, gv) : gv;
      i0 = f64x2.add(i0, f64x2.promote_low_f32x4(iv));
      i1 = f64x2.add(i1, f64x2.promote_low_f32x4(v128.shuffle<f32>(iv, iv, 2, 3, 2, 3)));
      g0 = f64x2.add(g0, f64x2.promote_low_f32x4(qv));
      g1 = f64x2.add(g1, f64x2.promote_low_f32x4(v128.shuffle<f32>(qv, qv, 2, 3, 2, 3)));
    }
    v128.store(a, s0, 32); v128.store(a, s1, 48);
    if (!index) {
      v128.store(a, i0); v128.store(a, i1, 16);
      v128.store(a, g0, 64); v128.store(a, g1, 80);
    }
  }
  if (index) {
    if (probs) scatterStats(pt, cs, ps, len, C, labelOffset, tmp);
    else scatterStats(tmp + rows(C), SLOT, 4, len, C, labelOffset, tmp);
  }
}

// I and Sg of an index target, pixel by pixel: g is 1 for the pixel's class c = t - labelOffset (when in
// range) and 0 elsewhere, so of all the terms p g and g (or g^2) only I_c += p_c and Sg_c += 1 are
// not +0; adding them alone, into pixel i's lane i & 3, gives the bits of adding every term. p_c of
// pixel i is read at rowsAt + c * cs + i * ps (bytes).
// @ts-ignore: decorator
@inline export function scatterStats(rowsAt: usize, cs: usize, ps: usize, len: i32, C: i32, labelOffset: i32, tmp: usize): void {
  for (let i = 0; i < len; i++) {
    if (!load<i32>(tmp + VALID * SLOT + (<usize>i << 2))) continue;
    const c = load<i32>(tmp + LABEL * SLOT + (<usize>i << 2)) - labelOffset;
    if (<u32>c >= <u32>C) continue;
    const p = load<f32>(rowsAt + <usize>c * cs + <usize>i * ps);
    const a = tmp + CLASS_SUMS + <usize>c * 96 + (<usize>(i & 3) << 3);
    store<f64>(a, load<f64>(a) + <f64>p);
    store<f64>(a + 64, load<f64>(a + 64) + 1.0);
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

// stats: f64 [blocks, C, 3] = (I, Sp, Sg) of each block (args.ts). grad (optional) receives the probabilities, in the input's
// layout, for the gradient pass.
// @ts-ignore: decorator
@inline function regionStats(a: RegionArgs, activation: i32): void {
  const x = a.x, labels = a.labels, y = a.y, N = a.N, C = a.C, P = a.P, nhwc = a.nhwc;
  const labelOffset = a.labelOffset, ignore = a.ignore, squared = a.squared;
  const probs = a.grad, out = a.stats, tmp = a.tmp;
  const cs: usize = nhwc ? 4 : <usize>P << 2;
  const ps: usize = nhwc ? <usize>C << 2 : 4;
  let written: usize = 0; // blocks
  for (let n = 0; n < N; n++) {
    const sample = (<usize>n * <usize>C * <usize>P) << 2;
    const end = n == N - 1 ? a.last : P;
    let fresh = !(n == 0 && a.carrySample);
    for (let i0 = n == 0 ? a.first : 0; i0 < end; i0 += TILE) {
      if (fresh) memory.fill(tmp + CLASS_SUMS, 0, <usize>C * 96);
      const len = min(TILE, end - i0);
      const at = sample + <usize>i0 * ps;
      const lt = labels + ((<usize>n * <usize>P + <usize>i0) << 2);
      if (labels) {
        if (nhwc) statsTile(x + at, y + at, probs + at, lt, cs, ps, len, C, activation, labels, labelOffset, ignore, squared != 0, probs, tmp, true);
        else statsTile(x + at, y + at, probs + at, lt, cs, 4, len, C, activation, labels, labelOffset, ignore, squared != 0, probs, tmp, true);
      } else {
        if (nhwc) statsTile(x + at, y + at, probs + at, lt, cs, ps, len, C, activation, 0, labelOffset, ignore, squared != 0, probs, tmp, false);
        else statsTile(x + at, y + at, probs + at, lt, cs, 4, len, C, activation, 0, labelOffset, ignore, squared != 0, probs, tmp, false);
      }
      fresh = blockEnds(a.origin + i0 + len, a.pixels);
      if (!fresh) continue;
      for (let c = 0; c < C; c++) {
        const o = out + ((written * <usize>C + <usize>c) * 24);
        const acc = tmp + CLASS_SUMS + <usize>c * 96;
        store<f64>(o, combineAt(acc));
        store<f64>(o, combineAt(acc + 32), 8);
        store<f64>(o, combineAt(acc + 64), 16);
      }
      written++;
    }
  }
}

// dL/dp of one group of class c: u = a g + b (2p if squared, else 1).
// @ts-ignore: decorator
@inline function lossSlope(p: v128, g: v128, a: v128, b: v128, squared: bool): v128 {
  return f32x4.add(f32x4.mul(a, g), squared ? f32x4.mul(b, f32x4.add(p, p)) : b);
}

// The gradient of one tile, from the probabilities regionStats (or, with `ce`, the shared-softmax cross
// entropy) left in the gradient buffer. With `ce` the buffer becomes (0 + prior * g_ce) + factor * dL/dx,
// g_ce being the cross-entropy gradient with the operations of softmax.ts's pass D, which is how
// combined sums its terms: the same bits as the two losses run apart.
// @ts-ignore: decorator
@inline function gradTile(
  gt: usize, yt: usize, lt: usize, cs: usize, ps: usize, len: i32, C: i32, activation: i32,
  labels: usize, labelOffset: i32, ignore: i32, squared: bool, an: usize, bn: usize, tmp: usize,
  ce: bool, w: usize, keep: v128, epsC: v128, wSum: v128, smooth: bool, scale: v128, prior: v128, factor: v128,
): void {
  const groups = (len + 3) >> 2;
  if (labels) tileLabels(lt, len, ignore, tmp + LABEL * SLOT, tmp + VALID * SLOT);
  else for (let g = 0; g < groups; g++) v128.store(tmp + VALID * SLOT + (<usize>g << 4), laneMask(len - (g << 2)));
  if (ce) {
    // the cross entropy's per-pixel coefficients, as softmax.ts's pass C computes them
    ceCoefficients(tmp, groups, w, keep, epsC, wSum, smooth, scale);
  }
  memory.fill(tmp + DOT * SLOT, 0, SLOT);
  if (activation == 0 && !squared) {
    softmaxUnsquaredTile(gt, yt, cs, ps, len, C, labels, labelOffset, an, bn, tmp, ce, w, epsC, smooth, scale, prior, factor);
    return;
  }
  for (let c = 0; c < C; c++) {
    const a = f32x4.splat(load<f32>(an + (<usize>c << 2)));
    const b = f32x4.splat(load<f32>(bn + (<usize>c << 2)));
    const r = tmp + rows(C) + <usize>c * SLOT;
    for (let g = 0; g < groups; g++) {
      const o = <usize>g << 4;
      const k = min(4, len - (g << 2));
      const at = <usize>c * cs + <usize>g * 4 * ps;
      const p = k == 4 ? load4(gt + at, ps, 4) : load4(gt + at, ps, k);
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
  const qW = f32x4.mul(epsC, scale);
  for (let c = 0; c < C; c++) {
    const r = tmp + rows(C) + <usize>c * SLOT;
    const wqW = ce ? f32x4.mul(f32x4.splat(load<f32>(w + (<usize>c << 2))), qW) : ZERO;
    for (let g = 0; g < groups; g++) {
      const o = <usize>g << 4;
      const k = min(4, len - (g << 2));
      const at = gt + <usize>c * cs + <usize>g * 4 * ps;
      const p = k == 4 ? load4(at, ps, 4) : load4(at, ps, k);
      const valid = v128.load(tmp + VALID * SLOT + o);
      let d = v128.and(f32x4.mul(p, f32x4.sub(v128.load(r + o), v128.load(tmp + DOT * SLOT + o))), valid);
      if (ce) d = blendCrossEntropy(d, p, c, valid, wqW, smooth, prior, factor, tmp, o);
      if (k == 4) store4(at, ps, 4, d);
      else store4(at, ps, k, d);
    }
  }
}

// gradTileIndexSoftmax's order for any target (a dense one here; DOT zeroed, Q and QT set with `ce`):
//   dot = 0, then dot += a_c g_c p_c for the c with g_c != 0, then dot += b_c p_c for c = 0..C-1;
//   d_c = p_c (b_c - dot), then d_c += p_c (a_c g_c) where g_c != 0.
// A one-hot target thus gives the bits of its index map.
// @ts-ignore: decorator
@inline function softmaxUnsquaredTile(
  gt: usize, yt: usize, cs: usize, ps: usize, len: i32, C: i32, labels: usize, labelOffset: i32,
  an: usize, bn: usize, tmp: usize, ce: bool, w: usize, epsC: v128, smooth: bool, scale: v128, prior: v128, factor: v128,
): void {
  const groups = (len + 3) >> 2;
  for (let c = 0; c < C; c++) {
    const a = f32x4.splat(load<f32>(an + (<usize>c << 2)));
    for (let g = 0; g < groups; g++) {
      const o = <usize>g << 4;
      const k = min(4, len - (g << 2));
      const at = <usize>c * cs + <usize>g * 4 * ps;
      const p = k == 4 ? load4(gt + at, ps, 4) : load4(gt + at, ps, k);
      const gv = targetOf(yt + at, ps, k, c, labels, labelOffset, tmp, o, v128.load(tmp + VALID * SLOT + o));
      const dot = v128.load(tmp + DOT * SLOT + o);
      const term = f32x4.mul(f32x4.mul(a, gv), p);
      v128.store(tmp + DOT * SLOT + o, v128.bitselect(f32x4.add(dot, term), dot, f32x4.ne(gv, ZERO)));
    }
  }
  for (let c = 0; c < C; c++) {
    const b = f32x4.splat(load<f32>(bn + (<usize>c << 2)));
    for (let g = 0; g < groups; g++) {
      const o = <usize>g << 4;
      const k = min(4, len - (g << 2));
      const at = gt + <usize>c * cs + <usize>g * 4 * ps;
      const p = k == 4 ? load4(at, ps, 4) : load4(at, ps, k);
      v128.store(tmp + DOT * SLOT + o, f32x4.add(v128.load(tmp + DOT * SLOT + o), f32x4.mul(b, p)));
    }
  }
  const qW = f32x4.mul(epsC, scale);
  for (let c = 0; c < C; c++) {
    const a = f32x4.splat(load<f32>(an + (<usize>c << 2)));
    const b = f32x4.splat(load<f32>(bn + (<usize>c << 2)));
    const wqW = ce ? f32x4.mul(f32x4.splat(load<f32>(w + (<usize>c << 2))), qW) : ZERO;
    for (let g = 0; g < groups; g++) {
      const o = <usize>g << 4;
      const k = min(4, len - (g << 2));
      const at = <usize>c * cs + <usize>g * 4 * ps;
      const p = k == 4 ? load4(gt + at, ps, 4) : load4(gt + at, ps, k);
      const valid = v128.load(tmp + VALID * SLOT + o);
      const gv = targetOf(yt + at, ps, k, c, labels, labelOffset, tmp, o, valid);
      let d = v128.and(f32x4.mul(p, f32x4.sub(b, v128.load(tmp + DOT * SLOT + o))), valid);
      d = v128.bitselect(f32x4.add(d, f32x4.mul(p, f32x4.mul(a, gv))), d, f32x4.ne(gv, ZERO));
      if (ce) d = blendCrossEntropy(d, p, c, valid, wqW, smooth, prior, factor, tmp, o);
      if (k == 4) store4(gt + at, ps, 4, d);
      else store4(gt + at, ps, k, d);
    }
  }
}

// gradTileIndexSoftmax without `ce` on a whole NCHW tile: the same operations, in loops without masks.
// @ts-ignore: decorator
@inline function gradIndexSoftmaxTile(gt: usize, lt: usize, cs: usize, C: i32, ignore: i32, an: usize, bn: usize, tmp: usize): void {
  const valid = tmp + VALID * SLOT, label = tmp + LABEL * SLOT, dot = tmp + DOT * SLOT, ptAt = tmp + MAX * SLOT;
  tileLabels(lt, TILE, ignore, label, valid);
  for (let i = 0; i < TILE; i++) {
    const o = <usize>i << 2;
    let pt: f32 = 0;
    let d: f32 = 0;
    if (load<i32>(valid + o)) {
      const t = load<i32>(label + o);
      pt = load<f32>(gt + <usize>t * cs + o);
      d = <f32>0 + load<f32>(an + (<usize>t << 2)) * pt;
    }
    store<f32>(ptAt + o, pt);
    store<f32>(dot + o, d);
  }
  for (let c = 0; c < C; c++) {
    const b = f32x4.splat(load<f32>(bn + (<usize>c << 2)));
    const row = gt + <usize>c * cs;
    for (let o: usize = 0; o < SLOT; o += 16) v128.store(dot + o, f32x4.add(v128.load(dot + o), f32x4.mul(b, v128.load(row + o))));
  }
  for (let c = 0; c < C; c++) {
    const b = f32x4.splat(load<f32>(bn + (<usize>c << 2)));
    const row = gt + <usize>c * cs;
    for (let o: usize = 0; o < SLOT; o += 16) {
      v128.store(row + o, v128.and(f32x4.mul(v128.load(row + o), f32x4.sub(b, v128.load(dot + o))), v128.load(valid + o)));
    }
  }
  for (let i = 0; i < TILE; i++) {
    const o = <usize>i << 2;
    if (!load<i32>(valid + o)) continue;
    const t = load<i32>(label + o);
    const at = gt + <usize>t * cs + o;
    store<f32>(at, load<f32>(at) + load<f32>(ptAt + o) * load<f32>(an + (<usize>t << 2)));
  }
}

// The gradient of one tile of a softmax over an index target, unsquared (u_c = b_c + [c == t] a_t):
//   dot = 0 + a_t p_t, then dot += b_c p_c for c = 0..C-1;  d_c = p_c (b_c - dot), then d_t += p_t a_t;
// masked pixels get 0. With `ce`, as in gradTile.
// @ts-ignore: decorator
@inline function gradTileIndexSoftmax(
  gt: usize, lt: usize, cs: usize, ps: usize, len: i32, C: i32, ignore: i32, an: usize, bn: usize, tmp: usize,
  ce: bool, w: usize, keep: v128, epsC: v128, wSum: v128, smooth: bool, scale: v128, prior: v128, factor: v128,
): void {
  const groups = (len + 3) >> 2;
  const full = len >> 2;
  const k = len & 3;
  tileLabels(lt, len, ignore, tmp + LABEL * SLOT, tmp + VALID * SLOT);
  // per pixel: p_t (MAX slot) and dot = a_t p_t (DOT slot); 0 for masked pixels
  for (let i = 0; i < groups << 2; i++) {
    const o = <usize>i << 2;
    let pt: f32 = 0;
    let dot: f32 = 0;
    if (i < len && load<i32>(tmp + VALID * SLOT + o)) {
      const t = load<i32>(tmp + LABEL * SLOT + o);
      pt = load<f32>(gt + <usize>t * cs + <usize>i * ps);
      dot = <f32>0 + load<f32>(an + (<usize>t << 2)) * pt; // from 0, as softmaxUnsquaredTile adds it
    }
    store<f32>(tmp + MAX * SLOT + o, pt);
    store<f32>(tmp + DOT * SLOT + o, dot);
  }
  const dRows = tmp + rows(C);
  for (let c = 0; c < C; c++) {
    const b = f32x4.splat(load<f32>(bn + (<usize>c << 2)));
    const row = gt + <usize>c * cs;
    for (let g = 0; g < full; g++) {
      const o = <usize>g << 4;
      v128.store(tmp + DOT * SLOT + o, f32x4.add(v128.load(tmp + DOT * SLOT + o), f32x4.mul(b, load4(row + <usize>g * 4 * ps, ps, 4))));
    }
    if (k) {
      const o = <usize>full << 4;
      v128.store(tmp + DOT * SLOT + o, f32x4.add(v128.load(tmp + DOT * SLOT + o), f32x4.mul(b, load4(row + <usize>full * 4 * ps, ps, k))));
    }
  }
  // d (without its target term) into the grad, or with `ce` into the row scratch
  for (let c = 0; c < C; c++) {
    const b = f32x4.splat(load<f32>(bn + (<usize>c << 2)));
    const row = gt + <usize>c * cs;
    for (let g = 0; g < full; g++) {
      const o = <usize>g << 4;
      const d = v128.and(f32x4.mul(load4(row + <usize>g * 4 * ps, ps, 4), f32x4.sub(b, v128.load(tmp + DOT * SLOT + o))), v128.load(tmp + VALID * SLOT + o));
      if (ce) v128.store(dRows + <usize>c * SLOT + o, d);
      else store4(row + <usize>g * 4 * ps, ps, 4, d);
    }
    if (k) {
      const o = <usize>full << 4;
      const d = v128.and(f32x4.mul(load4(row + <usize>full * 4 * ps, ps, k), f32x4.sub(b, v128.load(tmp + DOT * SLOT + o))), v128.load(tmp + VALID * SLOT + o));
      if (ce) v128.store(dRows + <usize>c * SLOT + o, d);
      else store4(row + <usize>full * 4 * ps, ps, k, d);
    }
  }
  // the target term d_t += p_t a_t
  for (let i = 0; i < len; i++) {
    const o = <usize>i << 2;
    if (!load<i32>(tmp + VALID * SLOT + o)) continue;
    const t = load<i32>(tmp + LABEL * SLOT + o);
    const at = ce ? dRows + <usize>t * SLOT + o : gt + <usize>t * cs + <usize>i * ps;
    store<f32>(at, load<f32>(at) + load<f32>(tmp + MAX * SLOT + o) * load<f32>(an + (<usize>t << 2)));
  }
  if (!ce) return;
  // (0 + prior * g_ce) + factor * d, g_ce as softmax.ts's pass D computes it
  ceCoefficients(tmp, groups, w, keep, epsC, wSum, smooth, scale);
  const qW = f32x4.mul(epsC, scale);
  for (let c = 0; c < C; c++) {
    const wqW = f32x4.mul(f32x4.splat(load<f32>(w + (<usize>c << 2))), qW);
    for (let g = 0; g < groups; g++) {
      const o = <usize>g << 4;
      const kk = min(4, len - (g << 2));
      const at = gt + <usize>c * cs + <usize>g * 4 * ps;
      const p = kk == 4 ? load4(at, ps, 4) : load4(at, ps, kk);
      const isT = i32x4.eq(v128.load(tmp + LABEL * SLOT + o), i32x4.splat(c));
      let gce = f32x4.sub(f32x4.mul(p, v128.load(tmp + Q * SLOT + o)), v128.and(v128.load(tmp + QT * SLOT + o), isT));
      if (smooth) gce = f32x4.sub(gce, wqW);
      gce = v128.and(gce, v128.load(tmp + VALID * SLOT + o));
      const d = f32x4.add(f32x4.add(ZERO, f32x4.mul(prior, gce)), f32x4.mul(factor, v128.load(dRows + <usize>c * SLOT + o)));
      if (kk == 4) store4(at, ps, 4, d);
      else store4(at, ps, kk, d);
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

// Combined with cross entropy (index target, softmax): grad holds the probabilities that
// crossEntropyIndexWithRegion left there; weight, smoothing and scale are the cross entropy's, ignore its
// ignore index. grad becomes (0 + prior * g_ce) + factor * dL/dx.
export function regionGradSharedSoftmax(args: usize): void {
  regionGrad(changetype<RegionArgs>(args), SOFTMAX, true);
}

// @ts-ignore: decorator
@inline function regionGrad(a: RegionArgs, activation: i32, ce: bool): void {
  const grad = a.grad, labels = a.labels, y = a.y, N = a.N, C = a.C, P = a.P, nhwc = a.nhwc;
  const labelOffset = a.labelOffset, ignore = a.ignore, squared = a.squared;
  const coefA = a.coefA, coefB = a.coefB, tmp = a.tmp;
  const w = a.weight, smoothing = a.smoothing;
  const cs: usize = nhwc ? 4 : <usize>P << 2;
  const ps: usize = nhwc ? <usize>C << 2 : 4;
  const vprior = f32x4.splat(a.prior);
  const vfactor = f32x4.splat(a.factor);
  const vscale = f32x4.splat(a.scale);
  let wSum: f32 = 0;
  if (ce) for (let c = 0; c < C; c++) wSum += load<f32>(w + (<usize>c << 2));
  const keep = f32x4.splat(1 - smoothing);
  const epsC = f32x4.splat(smoothing / <f32>C);
  const vwSum = f32x4.splat(wSum);
  const smooth = ce && smoothing != 0;
  for (let n = 0; n < N; n++) {
    const sample = (<usize>n * <usize>C * <usize>P) << 2;
    const an = coefA + ((<usize>n * <usize>C) << 2);
    const bn = coefB + ((<usize>n * <usize>C) << 2);
    const end = n == N - 1 ? a.last : P;
    for (let i0 = n == 0 ? a.first : 0; i0 < end; i0 += TILE) {
      const len = min(TILE, end - i0);
      const at = sample + <usize>i0 * ps;
      const lt = labels + ((<usize>n * <usize>P + <usize>i0) << 2);
      if (activation == 0 && labels && !squared) {
        if (nhwc) gradTileIndexSoftmax(grad + at, lt, cs, ps, len, C, ignore, an, bn, tmp, ce, w, keep, epsC, vwSum, smooth, vscale, vprior, vfactor);
        else if (len == TILE && !ce) gradIndexSoftmaxTile(grad + at, lt, cs, C, ignore, an, bn, tmp);
        else gradTileIndexSoftmax(grad + at, lt, cs, 4, len, C, ignore, an, bn, tmp, ce, w, keep, epsC, vwSum, smooth, vscale, vprior, vfactor);
      } else if (nhwc) gradTile(grad + at, y + at, lt, cs, ps, len, C, activation, labels, labelOffset, ignore, squared != 0, an, bn, tmp, ce, w, keep, epsC, vwSum, smooth, vscale, vprior, vfactor);
      else gradTile(grad + at, y + at, lt, cs, 4, len, C, activation, labels, labelOffset, ignore, squared != 0, an, bn, tmp, ce, w, keep, epsC, vwSum, smooth, vscale, vprior, vfactor);
    }
  }
}
