// Lovász-softmax and Lovász-hinge (Berman et al. 2018, as smp's LovaszLoss), with a stable LSD radix
// sort instead of a comparison sort. src/fallback/lovasz.ts is the twin, step for step.
//
// A problem is the batch (perImage 0) or one image (perImage 1); its pixels are numbered m = j * P + i
// for image n0 + j and spatial index i: the pixel order ((n, spatial) flattened). Per problem:
//   1. softmax only: p = softmax(x) of every pixel, class-major into `probs` ([C][M] f32)
//   2. softmax/probabilities: the kept pixels' class counts decide the classes ('present': count > 0)
//   3. per class (channel for the hinge): the error of each pixel as a sort key, its foreground bit
//      and all four 8-bit digit histograms in one pass; ignored pixels get the key 0xFFFFFFFF and sort last
//   4. stable LSD radix sort of (key, pixel) pairs, 8 bits per pass, a pass skipped when every key has
//      the same digit: ties keep pixel order
//   5. the walk along the sort: exact integer counts I_k, U_k, the Jaccard step Δ_k in f64 (closed
//      form, see below), loss_c = Σ_k e_k Δ_k summed in f64 in sort order, and d loss / d p_c of the
//      pixel at position k = -Δ_k (foreground) or +Δ_k (background), times the mean's weight, as f32
//      into `dprobs` ([C][M])
//   6. the gradient: through the softmax, g_x = p (g - Σ_c g_c p_c) (f32, classes in order), or
//      g_p itself (probabilities, hinge), in the input's layout; ignored pixels get 0.
//
// Sort key of an f32 error e (after e + 0 turns -0 into +0), with b its bits as i32:
//   key = b ^ (~(b >> 31) & 0x7fffffff)
// Unsigned ascending order of keys is decreasing order of e (NaN first); the map is its own inverse.
//
// Δ in closed form: with fg the sorted foreground bits, G = Σ fg, c_k = Σ_{j<=k} fg_j,
// I_k = G - c_k, U_k = G + k - c_k, J_k = 1 - I_k / U_k and J_0 = 0:
//   fg_k = 1: Δ_k = 1 / U_k;   fg_k = 0: Δ_k = I_k / (U_(k-1) U_k);   G = 0: Δ_1 = 1, every other Δ_k = 0.
// Each is J_k - J_(k-1) exactly, computed without the cancellation of the difference, in f64.
import { exp4 } from './math';
import { laneMask, load4, store4, loadLabels4 } from './common';
import { LovaszArgs } from './args';

const SOFTMAX = 0;
const PROBABILITIES = 1;
const HINGE = 2;

const SENTINEL: u32 = 0xffffffff;
const FG: u32 = 0x80000000;
// tmp: four 256-bucket u32 histograms, then per class: count (i32), selected (i32), loss (f64)
const HIST: usize = 0;
const COUNTS: usize = 4096;

// @ts-ignore: decorator
@inline function keyOf(e: f32): u32 {
  const b = reinterpret<i32>(e + <f32>0);
  return <u32>(b ^ (~(b >> 31) & 0x7fffffff));
}

// @ts-ignore: decorator
@inline function errorOf(key: u32): f32 {
  const b = <i32>key;
  return reinterpret<f32>(b ^ (~(b >> 31) & 0x7fffffff));
}

// Step 1: p = e * (1 / Σe), e = exp(x - max), for the images n0 .. n0 + per - 1.
// @ts-ignore: decorator
@inline function softmaxProblem(x: usize, probs: usize, n0: i32, per: i32, C: i32, P: i32, nhwc: bool): void {
  const M = <usize>per * <usize>P;
  const cs: usize = nhwc ? 4 : <usize>P << 2;
  const ps: usize = nhwc ? <usize>C << 2 : 4;
  const rowBytes = M << 2;
  for (let j = 0; j < per; j++) {
    const xn = x + ((<usize>(n0 + j) * <usize>C * <usize>P) << 2);
    for (let i0 = 0; i0 < P; i0 += 4) {
      const k = min(4, P - i0);
      const xi = xn + <usize>i0 * ps;
      const pm = probs + ((<usize>j * <usize>P + <usize>i0) << 2);
      let mx = load4(xi, ps, k);
      for (let c = 1; c < C; c++) mx = f32x4.max(mx, load4(xi + <usize>c * cs, ps, k));
      let s = f32x4.splat(0);
      for (let c = 0; c < C; c++) {
        const e = exp4(f32x4.sub(load4(xi + <usize>c * cs, ps, k), mx));
        s = f32x4.add(s, e);
        store4(pm + <usize>c * rowBytes, 4, k, e);
      }
      const rs = f32x4.div(f32x4.splat(1), s);
      for (let c = 0; c < C; c++) {
        const at = pm + <usize>c * rowBytes;
        store4(at, 4, k, f32x4.mul(load4(at, 4, k), rs));
      }
    }
  }
}

// Step 3 for class (channel) c: keys, foreground bits, histograms. Returns G (kept foreground count).
// @ts-ignore: decorator
@inline function keyPass(
  kind: i32, a: LovaszArgs, c: i32, n0: i32, per: i32, keys: usize, perm: usize, hist: usize,
): i32 {
  const C = a.C;
  const P = a.P;
  const nhwc = a.nhwc != 0;
  const M = <usize>per * <usize>P;
  const ps: usize = kind == SOFTMAX ? 4 : nhwc ? <usize>C << 2 : 4;
  const dense = kind == HINGE && a.y != 0;
  const label = kind == HINGE && C == 1 ? 1 : c; // the hinge's single channel is class 1 of {0, 1}
  const ignore = a.ignore;
  memory.fill(hist, 0, 4096);
  let G = 0;
  for (let j = 0; j < per; j++) {
    const n = n0 + j;
    const off: usize = nhwc ? <usize>c : <usize>c * <usize>P;
    const src: usize = kind == SOFTMAX
      ? a.probs + ((<usize>c * M + <usize>j * <usize>P) << 2)
      : a.x + ((<usize>n * <usize>C * <usize>P + off) << 2);
    const ys: usize = a.y + ((<usize>n * <usize>C * <usize>P + off) << 2);
    const lab: usize = a.labels + ((<usize>n * <usize>P) << 2);
    const m0 = <u32>(j * P);
    for (let i = 0; i < P; i++) {
      const v = load<f32>(src + <usize>i * ps);
      let kept = true;
      let fg = false;
      if (dense) {
        fg = load<f32>(ys + <usize>i * ps) == 1;
      } else {
        const t = load<i32>(lab + (<usize>i << 2));
        kept = t != ignore;
        fg = t == label;
      }
      let e: f32;
      if (kind == HINGE) e = <f32>1 - (fg ? v : -v);
      else e = abs<f32>((fg ? <f32>1 : <f32>0) - v);
      const key = kept ? keyOf(e) : SENTINEL;
      const m = m0 + <u32>i;
      store<u32>(keys + (<usize>m << 2), key);
      const f = kept && fg;
      store<u32>(perm + (<usize>m << 2), f ? m | FG : m);
      G += <i32>f;
      const h0 = hist + ((<usize>key & 255) << 2);
      const h1 = hist + 1024 + (((<usize>key >> 8) & 255) << 2);
      const h2 = hist + 2048 + (((<usize>key >> 16) & 255) << 2);
      const h3 = hist + 3072 + ((<usize>key >> 24) << 2);
      store<u32>(h0, load<u32>(h0) + 1);
      store<u32>(h1, load<u32>(h1) + 1);
      store<u32>(h2, load<u32>(h2) + 1);
      store<u32>(h3, load<u32>(h3) + 1);
    }
  }
  return G;
}

// Step 4: stable LSD radix sort of M (key, perm) pairs held in keys[0..M), perm[0..M), with the
// buffers keys[M..2M), perm[M..2M) for the ping-pong. Returns 0 or 1: the half holding the result.
// @ts-ignore: decorator
@inline function radixSort(keys: usize, perm: usize, M: usize, hist: usize): usize {
  let src: usize = 0;
  const half = M << 2;
  for (let d: usize = 0; d < 4; d++) {
    const h = hist + (d << 10);
    const shift = <u32>(d << 3);
    const first = (load<u32>(keys + src * half) >> shift) & 255;
    if (<usize>load<u32>(h + (<usize>first << 2)) == M) continue; // one bucket: the pass moves nothing
    let sum: u32 = 0;
    for (let b: usize = 0; b < 256; b++) {
      const cnt = load<u32>(h + (b << 2));
      store<u32>(h + (b << 2), sum);
      sum += cnt;
    }
    const sk = keys + src * half;
    const sp = perm + src * half;
    const dk = keys + (1 - src) * half;
    const dp = perm + (1 - src) * half;
    for (let k: usize = 0; k < M; k++) {
      const key = load<u32>(sk + (k << 2));
      const hb = h + (<usize>((key >> shift) & 255) << 2);
      const o = <usize>load<u32>(hb);
      store<u32>(hb, <u32>o + 1);
      store<u32>(dk + (o << 2), key);
      store<u32>(dp + (o << 2), load<u32>(sp + (k << 2)));
    }
    src = 1 - src;
  }
  return src;
}

// Step 5: the loss of one class along its sort, and its d loss / d p (scaled by w) into `row`.
// @ts-ignore: decorator
@inline function walk(kind: i32, sk: usize, sp: usize, K: i32, G: i32, w: f64, row: usize): f64 {
  let loss: f64 = 0;
  if (G == 0) {
    // J_k = 1 for every k: Δ_1 = 1, the rest 0
    for (let k = 0; k < K; k++) {
      let e = <f64>errorOf(load<u32>(sk + (<usize>k << 2)));
      const pos = kind == HINGE ? e > 0 : true;
      if (kind == HINGE && !pos) e = 0;
      if (k == 0) loss = e;
      if (row) {
        const g: f32 = k == 0 && pos ? <f32>w : 0;
        store<f32>(row + (<usize>(load<u32>(sp + (<usize>k << 2)) & ~FG) << 2), g);
      }
    }
    return loss;
  }
  let cf = 0;
  for (let k = 0; k < K; k++) {
    const pm = load<u32>(sp + (<usize>k << 2));
    let e = <f64>errorOf(load<u32>(sk + (<usize>k << 2)));
    const fg = (pm & FG) != 0;
    cf += <i32>fg;
    const U = <f64>(G + k + 1 - cf);
    const d: f64 = fg ? 1.0 / U : <f64>(G - cf) / ((U - 1.0) * U);
    const pos = kind == HINGE ? e > 0 : true;
    if (kind == HINGE && !pos) e = 0;
    loss += e * d;
    if (row) {
      let g = <f32>(d * w);
      if (fg) g = -g;
      if (!pos) g = 0;
      store<f32>(row + (<usize>(pm & ~FG) << 2), g);
    }
  }
  return loss;
}

// Step 6 for the images of one problem.
// @ts-ignore: decorator
@inline function gradPass(kind: i32, a: LovaszArgs, n0: i32, per: i32, sel: usize, any: bool): void {
  const C = a.C;
  const P = a.P;
  const nhwc = a.nhwc != 0;
  const M = <usize>per * <usize>P;
  const rowBytes = M << 2;
  const cs: usize = nhwc ? 4 : <usize>P << 2;
  const ps: usize = nhwc ? <usize>C << 2 : 4;
  const dense = kind == HINGE && a.y != 0;
  const ignore = i32x4.splat(a.ignore);
  for (let j = 0; j < per; j++) {
    const n = n0 + j;
    const gn = a.grad + ((<usize>n * <usize>C * <usize>P) << 2);
    const lab = a.labels + ((<usize>n * <usize>P) << 2);
    for (let i0 = 0; i0 < P; i0 += 4) {
      const k = min(4, P - i0);
      const mo = (<usize>j * <usize>P + <usize>i0) << 2;
      const go = gn + <usize>i0 * ps;
      let kept = laneMask(k);
      if (!dense) kept = v128.and(kept, v128.not(i32x4.eq(loadLabels4(lab + (<usize>i0 << 2), k), ignore)));
      if (kind == SOFTMAX && any) {
        let s = f32x4.splat(0);
        for (let c = 0; c < C; c++) {
          if (!load<i32>(sel + (<usize>c << 2))) continue;
          const at = <usize>c * rowBytes + mo;
          s = f32x4.add(s, f32x4.mul(load4(a.dprobs + at, 4, k), load4(a.probs + at, 4, k)));
        }
        for (let c = 0; c < C; c++) {
          const at = <usize>c * rowBytes + mo;
          const g = load<i32>(sel + (<usize>c << 2)) ? load4(a.dprobs + at, 4, k) : f32x4.splat(0);
          const r = f32x4.mul(load4(a.probs + at, 4, k), f32x4.sub(g, s));
          store4(go + <usize>c * cs, ps, k, v128.and(r, kept));
        }
      } else {
        for (let c = 0; c < C; c++) {
          const at = <usize>c * rowBytes + mo;
          const g = load<i32>(sel + (<usize>c << 2)) ? load4(a.dprobs + at, 4, k) : f32x4.splat(0);
          store4(go + <usize>c * cs, ps, k, v128.and(g, kept));
        }
      }
    }
  }
}

// The whole loss. out (f64): [loss].
// @ts-ignore: decorator
@inline function lovasz(args: usize, kind: i32): void {
  const a = changetype<LovaszArgs>(args);
  const N = a.N;
  const C = a.C;
  const P = a.P;
  const problems = a.perImage ? N : 1;
  const per = a.perImage ? 1 : N;
  const M = <usize>per * <usize>P;
  const hist = a.tmp + HIST;
  const counts = a.tmp + COUNTS;
  const sel = counts + (<usize>C << 2);
  const classLoss = sel + (<usize>C << 2);
  const mean = a.sum == 0;
  let total: f64 = 0;
  for (let q = 0; q < problems; q++) {
    const n0 = q * per;
    // kept pixels and, for the softmax losses, each class's count among them
    memory.fill(counts, 0, <usize>C << 2);
    let K = 0;
    if (a.y) {
      K = <i32>M;
    } else {
      const lab = a.labels + ((<usize>n0 * <usize>P) << 2);
      for (let m: usize = 0; m < M; m++) {
        const t = load<i32>(lab + (m << 2));
        if (t == a.ignore) continue;
        K++;
        if (kind != HINGE) {
          const at = counts + (<usize>t << 2);
          store<i32>(at, load<i32>(at) + 1);
        }
      }
    }
    let chosen = 0;
    for (let c = 0; c < C; c++) {
      const s = kind == HINGE ? 1 : load<i32>(a.select + (<usize>c << 2));
      const on = K > 0 && (s == 1 || (s == 2 && load<i32>(counts + (<usize>c << 2)) > 0));
      store<i32>(sel + (<usize>c << 2), <i32>on);
      chosen += <i32>on;
    }
    if (chosen > 0) {
      if (kind == SOFTMAX) softmaxProblem(a.x, a.probs, n0, per, C, P, a.nhwc != 0);
      const w: f64 = mean ? 1.0 / (<f64>chosen * <f64>problems) : 1.0;
      for (let c = 0; c < C; c++) {
        if (!load<i32>(sel + (<usize>c << 2))) continue;
        const G = keyPass(kind, a, c, n0, per, a.keys, a.perm, hist);
        const half = radixSort(a.keys, a.perm, M, hist);
        const row = a.grad ? a.dprobs + ((<usize>c * M) << 2) : 0;
        store<f64>(classLoss + (<usize>c << 3), walk(kind, a.keys + half * (M << 2), a.perm + half * (M << 2), K, G, w, row));
      }
      let lq: f64 = 0;
      for (let c = 0; c < C; c++) {
        if (load<i32>(sel + (<usize>c << 2))) lq += load<f64>(classLoss + (<usize>c << 3));
      }
      total += mean ? lq / <f64>chosen : lq;
    }
    if (a.grad) gradPass(kind, a, n0, per, sel, chosen > 0);
  }
  store<f64>(a.out, mean ? total / <f64>problems : total);
}

export function lovaszSoftmax(args: usize): void {
  lovasz(args, SOFTMAX);
}

export function lovaszProbabilities(args: usize): void {
  lovasz(args, PROBABILITIES);
}

export function lovaszHinge(args: usize): void {
  lovasz(args, HINGE);
}
