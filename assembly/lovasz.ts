// Lovász-softmax and Lovász-hinge (Berman et al. 2018, as smp's LovaszLoss), with a stable LSD radix
// sort instead of a comparison sort. src/fallback/lovasz.ts is the twin, step for step.
//
// A problem is the batch (perImage 0) or one image (perImage 1); its pixels are numbered m = j * P + i
// for image n0 + j and spatial index i: the pixel order ((n, spatial) flattened). Per problem:
//   1. softmax only: p = softmax(x) of every pixel, class-major into `probs` ([C][M] f32)
//   2. softmax/probabilities: the kept pixels' class counts decide the classes ('present': count > 0)
//   3. per class (channel for the hinge): the error of each pixel as a sort key, its foreground bit
//      and the histogram of the keys' top 12 bits in one pass; ignored pixels get the key 0xFFFFFFFF
//      and sort last
//   4. stable radix sort of u64 pairs key << 32 | pixel (bit 31 of the pixel: foreground): one pass on
//      the top 12 bits, then each bucket on its low 20 bits while in cache (see sortWalk): ties keep
//      pixel order. (The twin sorts by four LSD passes of 8 bits: the stable order is unique.)
//   5. the walk along the sort, bucket by bucket as they are sorted: exact integer counts I_k, U_k, the Jaccard step Δ_k in f64 (closed
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
//   fg_k = 1: Δ_k = 1 / U_k;   fg_k = 0: Δ_k = I_k / (U_(k-1) U_k);   G = 0: Δ_1 = 1, every other Δ_k = 0
//   (and e_k * 0 is still added).
// Each is J_k - J_(k-1) exactly, computed without the cancellation of the difference, in f64.
import { expNonPositive4 } from './math';
import { TILE, SLOT, laneMask, load4, store4, loadLabels4 } from './common';
import { LovaszArgs } from './args';

const SOFTMAX = 0;
const PROBABILITIES = 1;
const HINGE = 2;

const SENTINEL: u32 = 0xffffffff;
const ONE = f32x4.splat(1);
const ZERO = f32x4.splat(0);
const LOW31 = i32x4.splat(0x7fffffff);
const SIGN = i32x4.splat(0x80000000);
const LANES = i32x4(0, 1, 2, 3);
const FG: u32 = 0x80000000;
// tmp: the 4096-bucket u32 histogram of the keys' top 12 bits, three u32 histograms of a bucket's
// low 20 bits (7 + 7 + 6 bits, 128 buckets each), then per class: count (i32), selected (i32), loss (f64)
const HIST: usize = 0;
const SUB: usize = 16384;
const SOFT: usize = SUB + 1536; // two slots (SLOT bytes): a softmax tile's max and sum
const COUNTS: usize = SOFT + 2 * SLOT;
const INSERTION: usize = 32; // buckets up to this size are sorted by insertion (stable)

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

// Step 1: p = e * (1 / Σe), e = exp(x - max), for the images n0 .. n0 + per - 1, in tiles of TILE
// pixels walked class row by class row (common.ts); ps is a literal 4 at the NCHW call site.
// @ts-ignore: decorator
@inline function softmaxTiles(x: usize, probs: usize, n0: i32, per: i32, C: i32, P: i32, cs: usize, ps: usize, tmp: usize): void {
  const M = <usize>per * <usize>P;
  const rowBytes = M << 2;
  const mxs = tmp;
  const sums = tmp + SLOT;
  for (let j = 0; j < per; j++) {
    const xn = x + ((<usize>(n0 + j) * <usize>C * <usize>P) << 2);
    for (let i0 = 0; i0 < P; i0 += TILE) {
      const len = min(TILE, P - i0);
      const groups = (len + 3) >> 2;
      const xt = xn + <usize>i0 * ps;
      const pt = probs + ((<usize>j * <usize>P + <usize>i0) << 2);
      for (let g = 0; g < groups; g++) {
        v128.store(mxs + (<usize>g << 4), load4(xt + <usize>g * 4 * ps, ps, min(4, len - (g << 2))));
      }
      for (let c = 1; c < C; c++) {
        const row = xt + <usize>c * cs;
        for (let g = 0; g < groups; g++) {
          const at = mxs + (<usize>g << 4);
          v128.store(at, f32x4.max(v128.load(at), load4(row + <usize>g * 4 * ps, ps, min(4, len - (g << 2)))));
        }
      }
      memory.fill(sums, 0, <usize>groups << 4);
      for (let c = 0; c < C; c++) {
        const row = xt + <usize>c * cs;
        const prow = pt + <usize>c * rowBytes;
        for (let g = 0; g < groups; g++) {
          const k = min(4, len - (g << 2));
          const o = <usize>g << 4;
          const e = expNonPositive4(f32x4.sub(load4(row + <usize>g * 4 * ps, ps, k), v128.load(mxs + o)));
          v128.store(sums + o, f32x4.add(v128.load(sums + o), e));
          store4(prow + o, 4, k, e);
        }
      }
      for (let g = 0; g < groups; g++) {
        const o = <usize>g << 4;
        v128.store(sums + o, f32x4.div(f32x4.splat(1), v128.load(sums + o)));
      }
      for (let c = 0; c < C; c++) {
        const prow = pt + <usize>c * rowBytes;
        for (let g = 0; g < groups; g++) {
          const k = min(4, len - (g << 2));
          const o = <usize>g << 4;
          store4(prow + o, 4, k, f32x4.mul(load4(prow + o, 4, k), v128.load(sums + o)));
        }
      }
    }
  }
}

// @ts-ignore: decorator
@inline function softmaxProblem(x: usize, probs: usize, n0: i32, per: i32, C: i32, P: i32, nhwc: bool, tmp: usize): void {
  if (nhwc) softmaxTiles(x, probs, n0, per, C, P, 4, <usize>C << 2, tmp);
  else softmaxTiles(x, probs, n0, per, C, P, <usize>P << 2, 4, tmp);
}

// Step 3 for class (channel) c: keys, foreground bits, the top-12-bit histogram. Returns G (kept foreground count).
// @ts-ignore: decorator
@inline function keyPass(
  kind: i32, a: LovaszArgs, c: i32, n0: i32, per: i32, pairs: usize, hist: usize,
): i32 {
  const C = a.C;
  const P = a.P;
  const nhwc = a.nhwc != 0;
  const M = <usize>per * <usize>P;
  const ps: usize = kind == SOFTMAX ? 4 : nhwc ? <usize>C << 2 : 4;
  const dense = kind == HINGE && a.y != 0;
  const label = kind == HINGE && C == 1 ? 1 : c; // the hinge's single channel is class 1 of {0, 1}
  const ignore = a.ignore;
  const vignore = i32x4.splat(ignore);
  const vlabel = i32x4.splat(label);
  memory.fill(hist, 0, 16384);
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
    let i = 0;
    // four pixels at a time: the very operations of the scalar loop below, lane by lane
    let fgCount = i32x4.splat(0);
    for (; i + 4 <= P; i += 4) {
      const v = load4(src + <usize>i * ps, ps, 4);
      let keptm: v128;
      let fgm: v128;
      if (dense) {
        keptm = i32x4.splat(-1);
        fgm = f32x4.eq(load4(ys + <usize>i * ps, ps, 4), ONE);
      } else {
        const t = v128.load(lab + (<usize>i << 2));
        keptm = v128.not(i32x4.eq(t, vignore));
        fgm = i32x4.eq(t, vlabel);
      }
      let e: v128;
      if (kind == HINGE) e = f32x4.sub(ONE, v128.bitselect(v, f32x4.neg(v), fgm));
      else e = f32x4.abs(f32x4.sub(v128.and(ONE, fgm), v));
      e = f32x4.add(e, ZERO);
      let key = v128.xor(e, v128.andnot(LOW31, i32x4.shr_s(e, 31)));
      key = v128.or(key, v128.not(keptm));
      const f = v128.and(fgm, keptm);
      fgCount = i32x4.sub(fgCount, f);
      const pix = v128.or(i32x4.add(i32x4.splat(<i32>(m0 + <u32>i)), LANES), v128.and(f, SIGN));
      const at = pairs + ((<usize>m0 + <usize>i) << 3);
      v128.store(at, v128.shuffle<i32>(pix, key, 0, 4, 1, 5));
      v128.store(at, v128.shuffle<i32>(pix, key, 2, 6, 3, 7), 16);
      const top = i32x4.shr_u(key, 20);
      const h0 = hist + (<usize>i32x4.extract_lane(top, 0) << 2);
      store<u32>(h0, load<u32>(h0) + 1);
      const h1 = hist + (<usize>i32x4.extract_lane(top, 1) << 2);
      store<u32>(h1, load<u32>(h1) + 1);
      const h2 = hist + (<usize>i32x4.extract_lane(top, 2) << 2);
      store<u32>(h2, load<u32>(h2) + 1);
      const h3 = hist + (<usize>i32x4.extract_lane(top, 3) << 2);
      store<u32>(h3, load<u32>(h3) + 1);
    }
    G += (i32x4.extract_lane(fgCount, 0) + i32x4.extract_lane(fgCount, 1)) + (i32x4.extract_lane(fgCount, 2) + i32x4.extract_lane(fgCount, 3));
    for (; i < P; i++) {
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
      const f = kept && fg;
      store<u64>(pairs + (<usize>m << 3), (<u64>key << 32) | <u64>(f ? m | FG : m));
      G += <i32>f;
      const h = hist + ((<usize>key >> 20) << 2);
      store<u32>(h, load<u32>(h) + 1);
    }
  }
  return G;
}

// Step 4 and 5: the stable radix sort of the M pairs (key << 32 | pixel) in pairs[0..M) (pairs[M..2M)
// is the second buffer), fused with the walk. A first, most-significant pass scatters the pairs by the
// top 12 bits of the key (sign, exponent, 3 mantissa bits) into buckets that fit in cache; each bucket,
// in order, is then sorted on its low 20 bits (insertion sort up to INSERTION pairs, else three LSD
// passes of 7, 7 and 6 bits, each skipped when all its digits agree) and walked while it is in cache.
// Every pass is stable, so the order is the unique stable order by key: that of src/fallback/lovasz.ts.

// the walk's state, carried from bucket to bucket
let wk: i32 = 0;
let wcf: i32 = 0;
let wloss: f64 = 0;

// Walks n sorted pairs at src (stopping at K, the kept count): loss and d loss / d p (times w) into row.
// @ts-ignore: decorator
@inline function walkRange(kind: i32, src: usize, n: usize, K: i32, G: i32, w: f64, row: usize): void {
  let k = wk;
  let cf = wcf;
  let loss = wloss;
  const end = <usize>min<i64>(<i64>n, <i64>(K - k));
  for (let j: usize = 0; j < end; j++, k++) {
    const v = load<u64>(src + (j << 3));
    const pm = <u32>v;
    let e = <f64>errorOf(<u32>(v >> 32));
    const fg = (pm & FG) != 0;
    cf += <i32>fg;
    let d: f64;
    if (G == 0) {
      d = k == 0 ? 1.0 : 0.0; // J_k = 1 for every k
    } else {
      const U = <f64>(G + k + 1 - cf);
      d = fg ? 1.0 / U : <f64>(G - cf) / ((U - 1.0) * U);
    }
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
  wk = k;
  wcf = cf;
  wloss = loss;
}

// Sorts the n pairs at a (b: as many bytes of room) on the keys' low 20 bits; returns a or b, the sorted one.
// @ts-ignore: decorator
@inline function sortBucket(a: usize, b: usize, n: usize, sub: usize): usize {
  if (n <= INSERTION) {
    for (let i: usize = 1; i < n; i++) {
      const v = load<u64>(a + (i << 3));
      const key = <u32>(v >> 32);
      let j = i;
      while (j > 0) {
        const u = load<u64>(a + ((j - 1) << 3));
        if (<u32>(u >> 32) <= key) break;
        store<u64>(a + (j << 3), u);
        j--;
      }
      store<u64>(a + (j << 3), v);
    }
    return a;
  }
  memory.fill(sub, 0, 1536);
  for (let j: usize = 0; j < n; j++) {
    const key = <u32>(load<u64>(a + (j << 3)) >> 32);
    const h0 = sub + ((<usize>key & 127) << 2);
    const h1 = sub + 512 + (((<usize>key >> 7) & 127) << 2);
    const h2 = sub + 1024 + (((<usize>key >> 14) & 63) << 2);
    store<u32>(h0, load<u32>(h0) + 1);
    store<u32>(h1, load<u32>(h1) + 1);
    store<u32>(h2, load<u32>(h2) + 1);
  }
  let src = a;
  let dst = b;
  for (let d: usize = 0; d < 3; d++) {
    const h = sub + (d << 9);
    const shift = <u64>(32 + d * 7);
    const mask: u64 = d == 2 ? 63 : 127;
    const first = <usize>((load<u64>(src) >> shift) & mask);
    if (<usize>load<u32>(h + (first << 2)) == n) continue;
    let sum: u32 = 0;
    for (let q: usize = 0; q <= <usize>mask; q++) {
      const cnt = load<u32>(h + (q << 2));
      store<u32>(h + (q << 2), sum);
      sum += cnt;
    }
    for (let j: usize = 0; j < n; j++) {
      const v = load<u64>(src + (j << 3));
      const hb = h + (<usize>((v >> shift) & mask) << 2);
      const o = <usize>load<u32>(hb);
      store<u32>(hb, <u32>o + 1);
      store<u64>(dst + (o << 3), v);
    }
    const t = src;
    src = dst;
    dst = t;
  }
  return src;
}

// The loss of one class: sort and walk. hist holds the top-12-bit counts of the key pass.
// @ts-ignore: decorator
@inline function sortWalk(kind: i32, pairs: usize, M: usize, hist: usize, sub: usize, K: i32, G: i32, w: f64, row: usize): f64 {
  wk = 0;
  wcf = 0;
  wloss = 0;
  if (K == 0) return 0;
  const S = pairs;
  const T = pairs + (M << 3);
  const first = <usize>(load<u64>(S) >> 52);
  if (<usize>load<u32>(hist + (first << 2)) == M) {
    walkRange(kind, sortBucket(S, T, M, sub), M, K, G, w, row);
    return wloss;
  }
  let sum: u32 = 0;
  for (let q: usize = 0; q < 4096; q++) {
    const cnt = load<u32>(hist + (q << 2));
    store<u32>(hist + (q << 2), sum);
    sum += cnt;
  }
  for (let j: usize = 0; j < M; j++) {
    const v = load<u64>(S + (j << 3));
    const hb = hist + (<usize>(v >> 52) << 2);
    const o = <usize>load<u32>(hb);
    store<u32>(hb, <u32>o + 1);
    store<u64>(T + (o << 3), v);
  }
  // now hist[q] is the end of bucket q
  let start: usize = 0;
  for (let q: usize = 0; q < 4096 && wk < K; q++) {
    const end = <usize>load<u32>(hist + (q << 2));
    const n = end - start;
    if (n) walkRange(kind, sortBucket(T + (start << 3), S + (start << 3), n, sub), n, K, G, w, row);
    start = end;
  }
  return wloss;
}

// Step 6 for the images of one problem, in tiles of TILE pixels walked class row by class row.
// @ts-ignore: decorator
@inline function gradTiles(kind: i32, a: LovaszArgs, n0: i32, per: i32, sel: usize, any: bool, cs: usize, ps: usize, tmp: usize): void {
  const C = a.C;
  const P = a.P;
  const M = <usize>per * <usize>P;
  const rowBytes = M << 2;
  const dense = kind == HINGE && a.y != 0;
  const ignore = i32x4.splat(a.ignore);
  const keptSlot = tmp;
  const sums = tmp + SLOT;
  for (let j = 0; j < per; j++) {
    const n = n0 + j;
    const gn = a.grad + ((<usize>n * <usize>C * <usize>P) << 2);
    const lab = a.labels + ((<usize>n * <usize>P) << 2);
    for (let i0 = 0; i0 < P; i0 += TILE) {
      const len = min(TILE, P - i0);
      const groups = (len + 3) >> 2;
      const mt = (<usize>j * <usize>P + <usize>i0) << 2;
      const gt = gn + <usize>i0 * ps;
      for (let g = 0; g < groups; g++) {
        const k = min(4, len - (g << 2));
        let kept = laneMask(k);
        if (!dense) kept = v128.and(kept, v128.not(i32x4.eq(loadLabels4(lab + ((<usize>i0 + (<usize>g << 2)) << 2), k), ignore)));
        v128.store(keptSlot + (<usize>g << 4), kept);
      }
      const softmax = kind == SOFTMAX && any;
      if (softmax) {
        memory.fill(sums, 0, <usize>groups << 4);
        for (let c = 0; c < C; c++) {
          if (!load<i32>(sel + (<usize>c << 2))) continue;
          const at = <usize>c * rowBytes + mt;
          for (let g = 0; g < groups; g++) {
            const k = min(4, len - (g << 2));
            const o = <usize>g << 4;
            v128.store(sums + o, f32x4.add(v128.load(sums + o), f32x4.mul(load4(a.dprobs + at + o, 4, k), load4(a.probs + at + o, 4, k))));
          }
        }
      }
      for (let c = 0; c < C; c++) {
        const on = load<i32>(sel + (<usize>c << 2)) != 0;
        const at = <usize>c * rowBytes + mt;
        const grow = gt + <usize>c * cs;
        for (let g = 0; g < groups; g++) {
          const k = min(4, len - (g << 2));
          const o = <usize>g << 4;
          let r = on ? load4(a.dprobs + at + o, 4, k) : f32x4.splat(0);
          if (softmax) r = f32x4.mul(load4(a.probs + at + o, 4, k), f32x4.sub(r, v128.load(sums + o)));
          store4(grow + <usize>g * 4 * ps, ps, k, v128.and(r, v128.load(keptSlot + o)));
        }
      }
    }
  }
}

// @ts-ignore: decorator
@inline function gradPass(kind: i32, a: LovaszArgs, n0: i32, per: i32, sel: usize, any: bool, tmp: usize): void {
  if (a.nhwc) gradTiles(kind, a, n0, per, sel, any, 4, <usize>a.C << 2, tmp);
  else gradTiles(kind, a, n0, per, sel, any, <usize>a.P << 2, 4, tmp);
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
      if (kind == SOFTMAX) softmaxProblem(a.x, a.probs, n0, per, C, P, a.nhwc != 0, a.tmp + SOFT);
      const w: f64 = mean ? 1.0 / (<f64>chosen * <f64>problems) : 1.0;
      for (let c = 0; c < C; c++) {
        if (!load<i32>(sel + (<usize>c << 2))) continue;
        const G = keyPass(kind, a, c, n0, per, a.pairs, hist);
        const row = a.grad ? a.dprobs + ((<usize>c * M) << 2) : 0;
        store<f64>(classLoss + (<usize>c << 3), sortWalk(kind, a.pairs, M, hist, a.tmp + SUB, K, G, w, row));
      }
      let lq: f64 = 0;
      for (let c = 0; c < C; c++) {
        if (load<i32>(sel + (<usize>c << 2))) lq += load<f64>(classLoss + (<usize>c << 3));
      }
      total += mean ? lq / <f64>chosen : lq;
    }
    if (a.grad) gradPass(kind, a, n0, per, sel, chosen > 0, a.tmp + SOFT);
  }
  store<f64>(a.out, mean && problems > 0 ? total / <f64>problems : total);
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
