// Confusion counts of a segmentation: the predicted class of every pixel (argmax over C of the scores,
// score > threshold when C = 1, or given labels) against its target label, counted into a K x K matrix
// (row = target, column = predicted).
//
// Per tile (common.ts): the argmax walks the class rows like tileMax, keeping the running maximum and its
// class per group of four pixels; a class replaces the running one only when its score is greater, so
// the first maximum wins (torch.argmax). NaN counts as the greatest score, as in torch.argmax and
// numpy.argmax: the first NaN of a pixel is its prediction. Then each group's (target, prediction)
// pairs become K * t + p and increment a u32 histogram in the scratch block (ignored pixels go to a
// spare cell). The histogram is added into the f64 counts, and cleared, at the end of the call, at the
// end of each sample with perSample, and before a sample that could carry any cell past 2^32 - 1, so
// the counts are exact for any input (f64 holds integers exactly up to 2^53).
//
// Bad labels never trap: a target label outside [0, K) that is not ignoreIndex, or (label predictions)
// a predicted label outside [0, K) on a pixel that counts, is counted in `stats` with the flat index of
// the first one, and TypeScript turns it into a RangeError. Predicted labels of ignored pixels are not
// checked. stats (f64 x 4): [bad targets, first bad target, bad predictions, first bad prediction].
import { ConfusionArgs } from './args';
import { TILE, SLOT, laneMask, load4, loadLabels4 } from './common';

// scratch: two slots of per-pixel state, 32 bytes of lanes for the slow path, then the histogram
const MAXS: usize = 0; // running maximum of each pixel of the tile (f32)
const PRED: usize = SLOT; // its class (i32)
const LANES: usize = 2 * SLOT; // t lanes then p lanes of a group with a bad label
const HIST: usize = 2 * SLOT + 32; // K * K u32 cells, then one for ignored pixels

const ARGMAX = 0;
const THRESHOLD = 1;
const LABELS = 2;

// Four labels of T (u8 or i32) at p, as i32 lanes; lanes >= k read as 0.
// @ts-ignore: decorator
@inline function labels4<T>(p: usize, k: i32): v128 {
  if (sizeof<T>() == 4) return loadLabels4(p, k);
  if (k == 4) return i32x4.extend_low_i16x8_u(i16x8.extend_low_i8x16_u(v128.load32_zero(p)));
  let v = i32x4.replace_lane(i32x4.splat(0), 0, <i32>load<u8>(p));
  if (k > 1) v = i32x4.replace_lane(v, 1, <i32>load<u8>(p + 1));
  if (k > 2) v = i32x4.replace_lane(v, 2, <i32>load<u8>(p + 2));
  return v;
}

// The argmax over the C class rows of each pixel of a tile, into the PRED slot.
// @ts-ignore: decorator
@inline function tileArgmax(xt: usize, cs: usize, ps: usize, len: i32, C: i32, tmp: usize): void {
  const full = len >> 2;
  const k = len & 3;
  const mx = tmp + MAXS;
  const pr = tmp + PRED;
  const zero = i32x4.splat(0);
  for (let g = 0; g < full; g++) {
    v128.store(mx + (<usize>g << 4), load4(xt + <usize>g * 4 * ps, ps, 4));
    v128.store(pr + (<usize>g << 4), zero);
  }
  if (k) {
    v128.store(mx + (<usize>full << 4), load4(xt + <usize>full * 4 * ps, ps, k));
    v128.store(pr + (<usize>full << 4), zero);
  }
  for (let c = 1; c < C; c++) {
    const row = xt + <usize>c * cs;
    const vc = i32x4.splat(c);
    for (let g = 0; g < full; g++) {
      const o = <usize>g << 4;
      const m = v128.load(mx + o);
      const v = load4(row + <usize>g * 4 * ps, ps, 4);
      // v > m, or v is NaN; never once m is NaN
      const up = v128.andnot(f32x4.eq(m, m), f32x4.le(v, m));
      v128.store(mx + o, v128.bitselect(v, m, up));
      v128.store(pr + o, v128.bitselect(vc, v128.load(pr + o), up));
    }
    if (k) {
      const o = <usize>full << 4;
      const m = v128.load(mx + o);
      const v = load4(row + <usize>full * 4 * ps, ps, k);
      const up = v128.andnot(f32x4.eq(m, m), f32x4.le(v, m));
      v128.store(mx + o, v128.bitselect(v, m, up));
      v128.store(pr + o, v128.bitselect(vc, v128.load(pr + o), up));
    }
  }
}

// A group with a bad label: lane by lane, counting the good pairs and recording the bad ones.
function badGroup(tmp: usize, k: i32, K: i32, ignore: i32, hasIgnore: i32, checkPred: bool, index: f64, stats: usize): void {
  const hist = tmp + HIST;
  for (let j = 0; j < k; j++) {
    const t = load<i32>(tmp + LANES + (<usize>j << 2));
    const p = load<i32>(tmp + LANES + 16 + (<usize>j << 2));
    if (hasIgnore && t == ignore) continue;
    if (<u32>t >= <u32>K) {
      if (load<f64>(stats) == 0) store<f64>(stats, index + <f64>j, 8);
      store<f64>(stats, load<f64>(stats) + 1);
      continue;
    }
    if (checkPred && <u32>p >= <u32>K) {
      if (load<f64>(stats, 16) == 0) store<f64>(stats, index + <f64>j, 24);
      store<f64>(stats, load<f64>(stats, 16) + 1, 16);
      continue;
    }
    const at = hist + ((<usize>t * <usize>K + <usize>p) << 2);
    store<u32>(at, load<u32>(at) + 1);
  }
}

// Counts one group: target lanes t, predicted lanes p, k live lanes.
// @ts-ignore: decorator
@inline function countGroup(
  t: v128, p: v128, k: i32, vK: v128, vIgnore: v128, hasIgnore: i32, trash: v128, checkPred: bool,
  tmp: usize, K: i32, ignore: i32, index: f64, stats: usize,
): void {
  const live = k == 4 ? i32x4.splat(-1) : laneMask(k);
  const ign = hasIgnore ? i32x4.eq(t, vIgnore) : i32x4.splat(0);
  const counted = v128.andnot(live, ign);
  let bad = v128.and(counted, i32x4.ge_u(t, vK));
  if (checkPred) bad = v128.or(bad, v128.and(counted, i32x4.ge_u(p, vK)));
  if (v128.any_true(bad)) {
    v128.store(tmp + LANES, t);
    v128.store(tmp + LANES + 16, p);
    badGroup(tmp, k, K, ignore, hasIgnore, checkPred, index, stats);
    return;
  }
  const cell = v128.bitselect(i32x4.add(i32x4.mul(t, vK), p), trash, counted);
  const hist = tmp + HIST;
  let at = hist + (<usize>i32x4.extract_lane(cell, 0) << 2);
  store<u32>(at, load<u32>(at) + 1);
  at = hist + (<usize>i32x4.extract_lane(cell, 1) << 2);
  store<u32>(at, load<u32>(at) + 1);
  at = hist + (<usize>i32x4.extract_lane(cell, 2) << 2);
  store<u32>(at, load<u32>(at) + 1);
  at = hist + (<usize>i32x4.extract_lane(cell, 3) << 2);
  store<u32>(at, load<u32>(at) + 1);
}

// Adds the histogram into the f64 counts at dst and clears it.
function flush(tmp: usize, KK: i32, dst: usize): void {
  const hist = tmp + HIST;
  for (let i = 0; i < KK; i++) {
    const at = dst + (<usize>i << 3);
    store<f64>(at, load<f64>(at) + <f64>load<u32>(hist + (<usize>i << 2)));
  }
  memory.fill(hist, 0, (<usize>KK + 1) << 2);
}

// One tile: predictions by `mode`, targets of T, predicted labels of U.
// @ts-ignore: decorator
@inline function countTile<T, U>(
  a: ConfusionArgs, mode: i32, xt: usize, tt: usize, cs: usize, ps: usize, len: i32,
  vK: v128, vIgnore: v128, trash: v128, vth: v128, index: f64,
): void {
  const tmp = a.tmp;
  if (mode == ARGMAX) tileArgmax(xt, cs, ps, len, a.C, tmp);
  const groups = (len + 3) >> 2;
  for (let g = 0; g < groups; g++) {
    const k = min(4, len - (g << 2));
    const t = labels4<T>(tt + <usize>g * 4 * sizeof<T>(), k);
    let p: v128;
    if (mode == ARGMAX) p = v128.load(tmp + PRED + (<usize>g << 4));
    else if (mode == THRESHOLD) p = v128.and(f32x4.gt(load4(xt + (<usize>g << 4), 4, k), vth), i32x4.splat(1));
    else p = labels4<U>(xt + <usize>g * 4 * sizeof<U>(), k);
    countGroup(t, p, k, vK, vIgnore, a.hasIgnore, trash, mode == LABELS, tmp, a.K, a.ignore, index + <f64>(g << 2), a.stats);
  }
}

// @ts-ignore: decorator
@inline function run<T, U>(a: ConfusionArgs, mode: i32, nhwc: bool): void {
  const N = a.N;
  const P = a.P;
  const K = a.K;
  const KK = K * K;
  const C = mode == LABELS ? 1 : a.C;
  const cs: usize = nhwc ? 4 : <usize>P << 2;
  const ps: usize = nhwc ? <usize>C << 2 : 4;
  const xb: usize = mode == LABELS ? sizeof<U>() : 4; // bytes per element of x
  const vK = i32x4.splat(K);
  const vIgnore = i32x4.splat(a.ignore);
  const trash = i32x4.splat(KK);
  const vth = f32x4.splat(a.threshold);
  const blocks: usize = a.perSample ? <usize>N : 1;
  memory.fill(a.counts, 0, blocks * <usize>KK * 8);
  memory.fill(a.stats, 0, 32);
  store<f64>(a.stats, -1, 8);
  store<f64>(a.stats, -1, 24);
  memory.fill(a.tmp + HIST, 0, (<usize>KK + 1) << 2);
  let pending: u64 = 0; // pixels in the histogram: no cell can exceed it
  for (let n = 0; n < N; n++) {
    if (pending + <u64>P > <u64>u32.MAX_VALUE) {
      flush(a.tmp, KK, a.counts);
      pending = 0;
    }
    const sample = a.x + <usize>n * <usize>C * <usize>P * xb;
    const targets = a.target + <usize>n * <usize>P * sizeof<T>();
    const first = <f64>n * <f64>P;
    for (let i0 = 0; i0 < P; i0 += TILE) {
      const len = min(TILE, P - i0);
      const xt = sample + <usize>i0 * (mode == LABELS ? xb : ps);
      const tt = targets + <usize>i0 * sizeof<T>();
      if (nhwc) countTile<T, U>(a, mode, xt, tt, cs, ps, len, vK, vIgnore, trash, vth, first + <f64>i0);
      else countTile<T, U>(a, mode, xt, tt, cs, 4, len, vK, vIgnore, trash, vth, first + <f64>i0);
    }
    pending += <u64>P;
    if (a.perSample) {
      flush(a.tmp, KK, a.counts + <usize>n * <usize>KK * 8);
      pending = 0;
    }
  }
  if (!a.perSample) flush(a.tmp, KK, a.counts);
}

// Scores: the argmax over C (C > 1, NCHW or NHWC), or score > threshold (C = 1, K = 2).
export function confusionScores(args: usize): void {
  const a = changetype<ConfusionArgs>(args);
  if (a.targetBytes == 1) {
    if (a.C == 1) run<u8, i32>(a, THRESHOLD, false);
    else if (a.nhwc) run<u8, i32>(a, ARGMAX, true);
    else run<u8, i32>(a, ARGMAX, false);
  } else {
    if (a.C == 1) run<i32, i32>(a, THRESHOLD, false);
    else if (a.nhwc) run<i32, i32>(a, ARGMAX, true);
    else run<i32, i32>(a, ARGMAX, false);
  }
}

// Predicted labels [N, P] (u8 or i32), checked against [0, K).
export function confusionLabels(args: usize): void {
  const a = changetype<ConfusionArgs>(args);
  if (a.targetBytes == 1) {
    if (a.predBytes == 1) run<u8, u8>(a, LABELS, false);
    else run<u8, i32>(a, LABELS, false);
  } else {
    if (a.predBytes == 1) run<i32, u8>(a, LABELS, false);
    else run<i32, i32>(a, LABELS, false);
  }
}
