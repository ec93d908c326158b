// Sigmoid pixel losses, element by element: binary cross entropy (from logits or from probabilities,
// with per-channel posWeight and weight) and sigmoid focal loss. Targets are dense (y) or an index map
// (labels), where channel c of a pixel with label t has y = [t == c + labelOffset]: labelOffset is 1
// for a single-channel binary map (y = [t == 1]) and 0 for a multi-label one-hot map.
import { expNonPositive4, log4, log1pWith, pow4 } from './math';
import { SigmoidArgs } from './args';
import { TILE, SLOT, LABEL, VALID, LOSS_ACC, blockEnds, laneMask, load4, store4, tileLabels } from './common';

const ZERO = f32x4.splat(0);
const ONE = f32x4.splat(1);
const LOG_FLOOR = f32x4.splat(-100);
const SIGN = i32x4.splat(0x80000000);
const ALL = i32x4.splat(-1); // PyTorch clamps log p and log(1 - p) at -100 in binary_cross_entropy

// The loss and gradient of one group of k elements of channel c; the gradient is stored (scaled,
// zero on masked lanes) and the masked loss returned.
// @ts-ignore: decorator
@inline function sigmoidGroup(
  xp: usize, yp: usize, gp: usize, lp: usize, ps: usize, k: i32, c: i32, valid: v128, t: v128,
  labels: bool, labelOffset: i32, pw: v128, wc: v128, fromLogits: bool, focal: bool, gamma: f32, alpha: f32,
  scale: v128, grad: usize, losses: usize,
): v128 {
  const xc = load4(xp, ps, k);
  const yc = labels ? v128.and(ONE, i32x4.eq(t, i32x4.splat(c + labelOffset))) : load4(yp, ps, k);
  const notY = f32x4.sub(ONE, yc);
  let loss: v128;
  let g: v128;
  if (fromLogits) {
    const e = expNonPositive4(v128.or(xc, SIGN)); // exp(-|x|) never overflows
    const u = f32x4.add(ONE, e);
    const r = f32x4.div(ONE, u);
    // -log sigmoid(x) = log(1 + e) + max(-x, 0); pmax (one instruction, where max is several) keeps a
    // NaN -x and may give -0 for +0, which the sum with log(1 + e) > 0 absorbs
    const softplus = f32x4.add(log1pWith(e, u, r), f32x4.pmax(f32x4.neg(xc), ZERO));
    const positive = f32x4.ge(xc, ZERO);
    const p = v128.bitselect(r, f32x4.mul(e, r), positive); // sigmoid(x)
    if (focal) {
      const q = v128.bitselect(f32x4.mul(e, r), r, positive); // sigmoid(-x) = 1 - p
      const ce = f32x4.add(f32x4.mul(notY, xc), softplus);
      const rest = f32x4.add(f32x4.mul(yc, q), f32x4.mul(notY, p)); // 1 - p_t
      let mod = ONE;
      let slope = ZERO; // d(1-p_t)^gamma / dx times ce
      if (gamma != 0) {
        const vgamma = f32x4.splat(gamma);
        mod = gamma == 2 ? f32x4.mul(rest, rest) : pow4(rest, vgamma);
        slope = f32x4.mul(f32x4.mul(f32x4.mul(vgamma, f32x4.div(ce, rest)), mod), f32x4.mul(p, q));
        slope = f32x4.mul(slope, f32x4.sub(ONE, f32x4.add(yc, yc)));
        slope = v128.and(slope, f32x4.gt(rest, ZERO));
      }
      const alphaT = alpha >= 0
        ? f32x4.add(f32x4.mul(f32x4.splat(alpha), yc), f32x4.mul(f32x4.splat(1 - alpha), notY))
        : ONE;
      loss = f32x4.mul(alphaT, f32x4.mul(ce, mod));
      g = f32x4.mul(alphaT, f32x4.add(f32x4.mul(f32x4.sub(p, yc), mod), slope));
    } else {
      const lift = f32x4.add(ONE, f32x4.mul(f32x4.sub(pw, ONE), yc)); // 1 + (pw - 1) y
      loss = f32x4.mul(wc, f32x4.add(f32x4.mul(notY, xc), f32x4.mul(lift, softplus)));
      g = f32x4.mul(wc, f32x4.sub(f32x4.mul(lift, p), f32x4.mul(pw, yc)));
    }
  } else {
    const q = f32x4.sub(ONE, xc);
    const logP = log4(xc);
    const logQ = log4(q);
    const pwy = f32x4.mul(pw, yc);
    loss = f32x4.add(f32x4.mul(pwy, f32x4.pmax(logP, LOG_FLOOR)), f32x4.mul(notY, f32x4.pmax(logQ, LOG_FLOOR)));
    loss = f32x4.neg(f32x4.mul(wc, loss));
    // the derivative of the clamped loss: a clamped log contributes nothing
    const fromQ = v128.and(f32x4.div(notY, q), f32x4.gt(logQ, LOG_FLOOR));
    const fromP = v128.and(f32x4.div(pwy, xc), f32x4.gt(logP, LOG_FLOOR));
    g = f32x4.mul(wc, f32x4.sub(fromQ, fromP));
  }
  // a full group of a dense target has every lane valid: no mask
  const masked = labels || k < 4;
  if (masked) loss = v128.and(loss, valid);
  if (losses) store4(lp, ps, k, loss);
  if (grad) store4(gp, ps, k, masked ? v128.and(f32x4.mul(g, scale), valid) : f32x4.mul(g, scale));
  return loss;
}

// Binary cross entropy from logits.
export function bceLogits(args: usize): void {
  sigmoidLoss(changetype<SigmoidArgs>(args), true, false);
}

// Binary cross entropy from probabilities, log clamped at -100 as in PyTorch.
export function bceProbabilities(args: usize): void {
  sigmoidLoss(changetype<SigmoidArgs>(args), false, false);
}

// Sigmoid focal loss (torchvision sigmoid_focal_loss), from logits.
export function focalSigmoid(args: usize): void {
  sigmoidLoss(changetype<SigmoidArgs>(args), true, true);
}

// out: f64, each block's sum of the element losses (args.ts). Scratch: the tile's labels and validity (LABEL, VALID slots).
// The target kind and layout are constants of each instance of the loop (no branch on them per group).
// @ts-ignore: decorator
@inline function sigmoidLoss(a: SigmoidArgs, logits: bool, isFocal: bool): void {
  if (a.labels) {
    if (a.nhwc) sigmoidLoop(a, logits, isFocal, true, true);
    else sigmoidLoop(a, logits, isFocal, true, false);
  } else {
    if (a.nhwc) sigmoidLoop(a, logits, isFocal, false, true);
    else sigmoidLoop(a, logits, isFocal, false, false);
  }
}

// @ts-ignore: decorator
@inline function sigmoidLoop(a: SigmoidArgs, logits: bool, isFocal: bool, hasLabels: bool, nhwc: bool): void {
  const x = a.x, labels = hasLabels ? a.labels : 0, y = a.y, posWeight = a.posWeight, weight = a.weight;
  const N = a.N, C = a.C, P = a.P, labelOffset = a.labelOffset, ignore = a.ignore;
  const gamma = a.gamma, alpha = a.alpha, grad = a.grad, losses = a.losses;
  const labelSlot = a.tmp + LABEL * SLOT;
  const validSlot = a.tmp + VALID * SLOT;
  const cs: usize = nhwc ? 4 : <usize>P << 2;
  const ps: usize = nhwc ? <usize>C << 2 : 4;
  const vscale = f32x4.splat(a.scale);
  const acc = a.tmp + LOSS_ACC * SLOT;
  const carry = a.carrySample != 0;
  let lo = carry ? v128.load(acc) : f64x2.splat(0);
  let hi = carry ? v128.load(acc, 16) : f64x2.splat(0);
  let written: usize = 0; // blocks
  for (let n = 0; n < N; n++) {
    const sample = (<usize>n * <usize>C * <usize>P) << 2;
    const end = n == N - 1 ? a.last : P;
    for (let i0 = n == 0 ? a.first : 0; i0 < end; i0 += TILE) {
      const len = min(TILE, end - i0);
      const full = len >> 2;
      const k = len & 3;
      if (hasLabels) tileLabels(labels + ((<usize>n * <usize>P + <usize>i0) << 2), len, ignore, labelSlot, validSlot);
      for (let c = 0; c < C; c++) {
        const pw = f32x4.splat(load<f32>(posWeight + (<usize>c << 2)));
        const wc = f32x4.splat(load<f32>(weight + (<usize>c << 2)));
        const row = sample + <usize>c * cs + <usize>i0 * ps;
        for (let g = 0; g < full; g++) {
          const at = row + <usize>g * 4 * ps;
          const o = <usize>g << 4;
          const t = hasLabels ? v128.load(labelSlot + o) : ZERO;
          const valid = hasLabels ? v128.load(validSlot + o) : ALL;
          const loss = nhwc
            ? sigmoidGroup(x + at, y + at, grad + at, losses + at, ps, 4, c, valid, t, hasLabels, labelOffset, pw, wc, logits, isFocal, gamma, alpha, vscale, grad, losses)
            : sigmoidGroup(x + at, y + at, grad + at, losses + at, 4, 4, c, valid, t, hasLabels, labelOffset, pw, wc, logits, isFocal, gamma, alpha, vscale, grad, losses);
          lo = f64x2.add(lo, f64x2.promote_low_f32x4(loss));
          hi = f64x2.add(hi, f64x2.promote_low_f32x4(v128.shuffle<f32>(loss, loss, 2, 3, 2, 3)));
        }
        if (k) {
          const at = row + <usize>full * 4 * ps;
          const o = <usize>full << 4;
          const t = hasLabels ? v128.load(labelSlot + o) : ZERO;
          const valid = hasLabels ? v128.load(validSlot + o) : laneMask(k);
          const loss = sigmoidGroup(x + at, y + at, grad + at, losses + at, ps, k, c, valid, t, hasLabels, labelOffset, pw, wc, logits, isFocal, gamma, alpha, vscale, grad, losses);
          lo = f64x2.add(lo, f64x2.promote_low_f32x4(loss));
          hi = f64x2.add(hi, f64x2.promote_low_f32x4(v128.shuffle<f32>(loss, loss, 2, 3, 2, 3)));
        }
      }
      if (!blockEnds(a.origin + i0 + len, a.pixels)) continue;
      store<f64>(a.out + (written << 3), (f64x2.extract_lane(lo, 0) + f64x2.extract_lane(lo, 1)) + (f64x2.extract_lane(hi, 0) + f64x2.extract_lane(hi, 1)));
      written++;
      lo = f64x2.splat(0);
      hi = f64x2.splat(0);
    }
  }
  v128.store(acc, lo); // a block the next call continues
  v128.store(acc, hi, 16);
}
