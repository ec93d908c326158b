// Sigmoid pixel losses, element by element: binary cross entropy (from logits or from probabilities,
// with per-channel posWeight and weight) and sigmoid focal loss. Targets are dense (y) or an index map
// (labels), where channel c of a pixel with label t has y = [t == c + labelOffset]: labelOffset is 1
// for a single-channel binary map (y = [t == 1]) and 0 for a multi-label one-hot map.
import { exp4, log4, log1p4, pow4 } from './math';
import { laneMask, load4, store4, loadLabels4, low2, high2, combine } from './common';

const ZERO = f32x4.splat(0);
const ONE = f32x4.splat(1);
const LOG_FLOOR = f32x4.splat(-100); // PyTorch clamps log p and log(1 - p) at -100 in binary_cross_entropy

export function sigmoidLoss(
  x: usize, labels: usize, y: usize, posWeight: usize, weight: usize,
  N: i32, C: i32, P: i32, nhwc: i32, labelOffset: i32, ignore: i32,
  fromLogits: i32, focal: i32, gamma: f32, alpha: f32, scale: f32,
  grad: usize, losses: usize, out: usize,
): void {
  const cs: usize = nhwc ? 4 : <usize>P << 2;
  const ps: usize = nhwc ? <usize>C << 2 : 4;
  const vscale = f32x4.splat(scale);
  const vgamma = f32x4.splat(gamma);
  const valpha = f32x4.splat(alpha);
  const vbeta = f32x4.splat(1 - alpha);
  let lo = f64x2.splat(0);
  let hi = f64x2.splat(0);
  for (let n = 0; n < N; n++) {
    const base = (<usize>n * <usize>C * <usize>P) << 2;
    for (let i0 = 0; i0 < P; i0 += 4) {
      const k = min(4, P - i0);
      let valid = laneMask(k);
      let t = ZERO;
      if (labels) {
        t = loadLabels4(labels + ((<usize>n * <usize>P + <usize>i0) << 2), k);
        valid = v128.and(valid, v128.not(i32x4.eq(t, i32x4.splat(ignore))));
      }
      for (let c = 0; c < C; c++) {
        const at = base + <usize>c * cs + <usize>i0 * ps;
        const xc = load4(x + at, ps, k);
        const yc = labels
          ? v128.and(ONE, i32x4.eq(t, i32x4.splat(c + labelOffset)))
          : load4(y + at, ps, k);
        const notY = f32x4.sub(ONE, yc);
        let loss: v128;
        let g: v128;
        if (fromLogits) {
          const e = exp4(f32x4.neg(f32x4.abs(xc))); // exp(-|x|) never overflows
          const softplus = f32x4.add(log1p4(e), f32x4.max(f32x4.neg(xc), ZERO)); // -log sigmoid(x)
          const r = f32x4.div(ONE, f32x4.add(ONE, e));
          const positive = f32x4.ge(xc, ZERO);
          const p = v128.bitselect(r, f32x4.mul(e, r), positive); // sigmoid(x)
          if (focal) {
            const q = v128.bitselect(f32x4.mul(e, r), r, positive); // sigmoid(-x) = 1 - p
            const ce = f32x4.add(f32x4.mul(notY, xc), softplus);
            const rest = f32x4.add(f32x4.mul(yc, q), f32x4.mul(notY, p)); // 1 - p_t
            let mod = ONE;
            let slope = ZERO; // d(1-p_t)^gamma / dx times ce
            if (gamma != 0) {
              mod = pow4(rest, vgamma);
              slope = f32x4.mul(f32x4.mul(f32x4.mul(vgamma, f32x4.div(ce, rest)), mod), f32x4.mul(p, q));
              slope = f32x4.mul(slope, f32x4.sub(ONE, f32x4.add(yc, yc)));
              slope = v128.and(slope, f32x4.gt(rest, ZERO));
            }
            const alphaT = alpha >= 0 ? f32x4.add(f32x4.mul(valpha, yc), f32x4.mul(vbeta, notY)) : ONE;
            loss = f32x4.mul(alphaT, f32x4.mul(ce, mod));
            g = f32x4.mul(alphaT, f32x4.add(f32x4.mul(f32x4.sub(p, yc), mod), slope));
          } else {
            const pw = f32x4.splat(load<f32>(posWeight + (<usize>c << 2)));
            const wc = f32x4.splat(load<f32>(weight + (<usize>c << 2)));
            const lift = f32x4.add(ONE, f32x4.mul(f32x4.sub(pw, ONE), yc)); // 1 + (pw - 1) y
            loss = f32x4.mul(wc, f32x4.add(f32x4.mul(notY, xc), f32x4.mul(lift, softplus)));
            g = f32x4.mul(wc, f32x4.sub(f32x4.mul(lift, p), f32x4.mul(pw, yc)));
          }
        } else {
          const pw = f32x4.splat(load<f32>(posWeight + (<usize>c << 2)));
          const wc = f32x4.splat(load<f32>(weight + (<usize>c << 2)));
          const q = f32x4.sub(ONE, xc);
          const logP = log4(xc);
          const logQ = log4(q);
          const pwy = f32x4.mul(pw, yc);
          loss = f32x4.add(
            f32x4.mul(pwy, f32x4.max(logP, LOG_FLOOR)),
            f32x4.mul(notY, f32x4.max(logQ, LOG_FLOOR)),
          );
          loss = f32x4.neg(f32x4.mul(wc, loss));
          // the derivative of the clamped loss: a clamped log contributes nothing
          const fromQ = v128.and(f32x4.div(notY, q), f32x4.gt(logQ, LOG_FLOOR));
          const fromP = v128.and(f32x4.div(pwy, xc), f32x4.gt(logP, LOG_FLOOR));
          g = f32x4.mul(wc, f32x4.sub(fromQ, fromP));
        }
        loss = v128.and(loss, valid);
        lo = f64x2.add(lo, low2(loss));
        hi = f64x2.add(hi, high2(loss));
        if (losses) store4(losses + at, ps, k, loss);
        if (grad) store4(grad + at, ps, k, v128.and(f32x4.mul(g, vscale), valid));
      }
    }
  }
  store<f64>(out, combine(lo, hi));
}
