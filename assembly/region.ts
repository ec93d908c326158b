// Region losses (Dice, IoU, Tversky) in two passes, so that statistics can be merged across chunks
// before any gradient is taken:
//   regionStats: per (sample, class) the sums I = sum p g, Sp = sum p (or p^2), Sg = sum g (or g^2)
//                over the kept pixels, written as f64;
//   regionGrad:  given per (sample, class) a = dL/dI and b = dL/dSp (computed in TypeScript from the
//                merged statistics), dL/dx through the activation.
// activation: 0 softmax over the classes, 1 sigmoid per channel, 2 none (input already probabilities).
import { exp4 } from './math';
import { laneMask, load4, store4, loadLabels4, accumulate, combineAt } from './common';

const ZERO = f32x4.splat(0);
const ONE = f32x4.splat(1);

// Probabilities of the group's C x 4 lanes, left in tile (C x 16 bytes).
// @ts-ignore: decorator
@inline function activate(
  xg: usize, cs: usize, ps: usize, k: i32, C: i32, activation: i32, tile: usize,
): void {
  if (activation == 0) {
    let m = load4(xg, ps, k);
    for (let c = 1; c < C; c++) m = f32x4.max(m, load4(xg + <usize>c * cs, ps, k));
    let s = ZERO;
    for (let c = 0; c < C; c++) {
      const e = exp4(f32x4.sub(load4(xg + <usize>c * cs, ps, k), m));
      s = f32x4.add(s, e);
      v128.store(tile + (<usize>c << 4), e);
    }
    const rs = f32x4.div(ONE, s);
    for (let c = 0; c < C; c++) {
      const at = tile + (<usize>c << 4);
      v128.store(at, f32x4.mul(v128.load(at), rs));
    }
  } else if (activation == 1) {
    for (let c = 0; c < C; c++) {
      const xc = load4(xg + <usize>c * cs, ps, k);
      const e = exp4(f32x4.neg(f32x4.abs(xc)));
      const r = f32x4.div(ONE, f32x4.add(ONE, e));
      v128.store(tile + (<usize>c << 4), v128.bitselect(r, f32x4.mul(e, r), f32x4.ge(xc, ZERO)));
    }
  } else {
    for (let c = 0; c < C; c++) v128.store(tile + (<usize>c << 4), load4(xg + <usize>c * cs, ps, k));
  }
}

// g of channel c: the dense target, or [label == c + labelOffset] of an index map; 0 on masked lanes.
// @ts-ignore: decorator
@inline function targetOf(y: usize, t: v128, c: i32, labelOffset: i32, labels: usize, ps: usize, k: i32, valid: v128): v128 {
  const g = labels ? v128.and(ONE, i32x4.eq(t, i32x4.splat(c + labelOffset))) : load4(y, ps, k);
  return v128.and(g, valid);
}

// out: f64 [N, C, 3] = (I, Sp, Sg). probs (optional) receives the probabilities, in the input's layout.
// acc: scratch of C x 3 x 32 bytes; tile: scratch of C x 16 bytes.
export function regionStats(
  x: usize, labels: usize, y: usize, N: i32, C: i32, P: i32, nhwc: i32,
  activation: i32, labelOffset: i32, ignore: i32, squared: i32,
  probs: usize, tile: usize, acc: usize, out: usize,
): void {
  const cs: usize = nhwc ? 4 : <usize>P << 2;
  const ps: usize = nhwc ? <usize>C << 2 : 4;
  for (let n = 0; n < N; n++) {
    memory.fill(acc, 0, <usize>C * 96);
    const base = (<usize>n * <usize>C * <usize>P) << 2;
    for (let i0 = 0; i0 < P; i0 += 4) {
      const k = min(4, P - i0);
      const off = base + <usize>i0 * ps;
      let valid = laneMask(k);
      let t = ZERO;
      if (labels) {
        t = loadLabels4(labels + ((<usize>n * <usize>P + <usize>i0) << 2), k);
        valid = v128.and(valid, v128.not(i32x4.eq(t, i32x4.splat(ignore))));
      }
      activate(x + off, cs, ps, k, C, activation, tile);
      for (let c = 0; c < C; c++) {
        const p = v128.load(tile + (<usize>c << 4));
        if (probs) store4(probs + off + <usize>c * cs, ps, k, p);
        const pv = v128.and(p, valid);
        const g = targetOf(y + off + <usize>c * cs, t, c, labelOffset, labels, ps, k, valid);
        const a = acc + <usize>c * 96;
        accumulate(a, f32x4.mul(pv, g));
        accumulate(a + 32, squared ? f32x4.mul(pv, pv) : pv);
        accumulate(a + 64, squared ? f32x4.mul(g, g) : g);
      }
    }
    for (let c = 0; c < C; c++) {
      const o = out + ((<usize>n * <usize>C + <usize>c) * 24);
      const a = acc + <usize>c * 96;
      store<f64>(o, combineAt(a));
      store<f64>(o, combineAt(a + 32), 8);
      store<f64>(o, combineAt(a + 64), 16);
    }
  }
}

// grad holds the probabilities written by regionStats and is overwritten with dL/dx.
// coefA, coefB: f32 [N, C]; u_c = a g_c + b (2 p_c if squared, else 1) is dL/dp_c.
export function regionGrad(
  grad: usize, labels: usize, y: usize, N: i32, C: i32, P: i32, nhwc: i32,
  activation: i32, labelOffset: i32, ignore: i32, squared: i32,
  coefA: usize, coefB: usize, tile: usize,
): void {
  const cs: usize = nhwc ? 4 : <usize>P << 2;
  const ps: usize = nhwc ? <usize>C << 2 : 4;
  for (let n = 0; n < N; n++) {
    const base = (<usize>n * <usize>C * <usize>P) << 2;
    const an = coefA + ((<usize>n * <usize>C) << 2);
    const bn = coefB + ((<usize>n * <usize>C) << 2);
    for (let i0 = 0; i0 < P; i0 += 4) {
      const k = min(4, P - i0);
      const off = base + <usize>i0 * ps;
      let valid = laneMask(k);
      let t = ZERO;
      if (labels) {
        t = loadLabels4(labels + ((<usize>n * <usize>P + <usize>i0) << 2), k);
        valid = v128.and(valid, v128.not(i32x4.eq(t, i32x4.splat(ignore))));
      }
      let dot = ZERO; // sum_c p_c u_c, for the softmax
      for (let c = 0; c < C; c++) {
        const gp = grad + off + <usize>c * cs;
        const p = load4(gp, ps, k);
        const g = targetOf(y + off + <usize>c * cs, t, c, labelOffset, labels, ps, k, valid);
        const b = f32x4.splat(load<f32>(bn + (<usize>c << 2)));
        const u = f32x4.add(
          f32x4.mul(f32x4.splat(load<f32>(an + (<usize>c << 2))), g),
          squared ? f32x4.mul(b, f32x4.add(p, p)) : b,
        );
        if (activation == 0) {
          dot = f32x4.add(dot, f32x4.mul(p, u));
          v128.store(tile + (<usize>c << 4), u);
        } else if (activation == 1) {
          store4(gp, ps, k, v128.and(f32x4.mul(u, f32x4.mul(p, f32x4.sub(ONE, p))), valid));
        } else {
          store4(gp, ps, k, v128.and(u, valid));
        }
      }
      if (activation != 0) continue;
      for (let c = 0; c < C; c++) {
        const gp = grad + off + <usize>c * cs;
        const u = v128.load(tile + (<usize>c << 4));
        store4(gp, ps, k, v128.and(f32x4.mul(load4(gp, ps, k), f32x4.sub(u, dot)), valid));
      }
    }
  }
}
