// Twin of assembly/lovasz.ts, one pixel (wasm lane) at a time: the same keys, the same stable order
// (here by four LSD passes of 8 bits; the wasm sorts by buckets of the top 12 bits, then the rest in
// cache: any stable sort by key gives the one same order), the same f64 walk in sort order and the
// same f32 gradient, bit for bit. Read the header of
// assembly/lovasz.ts for the steps, the key map and the closed form of Δ.
import { LOVASZ_ARGS, type ArgsOf, readArgs } from '../abi.js';
import { fr, expNonPositive } from './math.js';
import type { Heap } from './heap.js';

const SOFTMAX = 0;
const PROBABILITIES = 1;
const HINGE = 2;
type Kind = typeof SOFTMAX | typeof PROBABILITIES | typeof HINGE;

const SENTINEL = 0xffffffff;
const FG = 0x80000000;

const bitsF32 = new Float32Array(1);
const bitsI32 = new Int32Array(bitsF32.buffer);

function keyOf(e: number): number {
  bitsF32[0] = e + 0; // -0 -> +0
  const b = bitsI32[0];
  return (b ^ (~(b >> 31) & 0x7fffffff)) >>> 0;
}

function errorOf(key: number): number {
  const b = key | 0;
  bitsI32[0] = b ^ (~(b >> 31) & 0x7fffffff);
  return bitsF32[0];
}

interface Views {
  f32: Float32Array;
  i32: Int32Array;
  u32: Uint32Array;
  f64: Float64Array;
}

type Args = ArgsOf<typeof LOVASZ_ARGS>;

function softmaxProblem(v: Views, a: Args, n0: number, per: number): void {
  const { f32 } = v;
  const { C, P } = a;
  const M = per * P;
  const cs = a.nhwc ? 1 : P;
  const ps = a.nhwc ? C : 1;
  const probs = a.probs >>> 2;
  for (let j = 0; j < per; j++) {
    const xn = (a.x >>> 2) + (n0 + j) * C * P;
    for (let i = 0; i < P; i++) {
      const xi = xn + i * ps;
      const pm = probs + j * P + i;
      let mx = f32[xi];
      for (let c = 1; c < C; c++) mx = Math.max(mx, f32[xi + c * cs]);
      let s = 0;
      for (let c = 0; c < C; c++) {
        const e = expNonPositive(fr(f32[xi + c * cs] - mx));
        s = fr(s + e);
        f32[pm + c * M] = e;
      }
      const rs = fr(1 / s);
      for (let c = 0; c < C; c++) f32[pm + c * M] = fr(f32[pm + c * M] * rs);
    }
  }
}

function keyPass(kind: Kind, v: Views, a: Args, c: number, n0: number, per: number, hist: Uint32Array): number {
  const { f32, i32, u32 } = v;
  const { C, P, ignore } = a;
  const M = per * P;
  const ps = kind === SOFTMAX ? 1 : a.nhwc ? C : 1;
  const dense = kind === HINGE && a.y !== 0;
  const label = kind === HINGE && C === 1 ? 1 : c;
  const pairs = a.pairs >>> 2; // u64 pair m: pixel in u32 2m, key in u32 2m + 1 (little-endian)
  hist.fill(0);
  let G = 0;
  for (let j = 0; j < per; j++) {
    const n = n0 + j;
    const off = a.nhwc ? c : c * P;
    const src = kind === SOFTMAX ? (a.probs >>> 2) + c * M + j * P : (a.x >>> 2) + n * C * P + off;
    const ys = (a.y >>> 2) + n * C * P + off;
    const lab = (a.labels >>> 2) + n * P;
    for (let i = 0; i < P; i++) {
      const x = f32[src + i * ps];
      let kept = true;
      let fg: boolean;
      if (dense) {
        fg = f32[ys + i * ps] === 1;
      } else {
        const t = i32[lab + i];
        kept = t !== ignore;
        fg = t === label;
      }
      const e = kind === HINGE ? fr(1 - (fg ? x : -x)) : Math.abs(fr((fg ? 1 : 0) - x));
      const key = kept ? keyOf(e) : SENTINEL;
      const m = j * P + i;
      const f = kept && fg;
      u32[pairs + 2 * m] = f ? (m | FG) >>> 0 : m;
      u32[pairs + 2 * m + 1] = key;
      G += +f;
      hist[key & 255]++;
      hist[256 + ((key >>> 8) & 255)]++;
      hist[512 + ((key >>> 16) & 255)]++;
      hist[768 + (key >>> 24)]++;
    }
  }
  return G;
}

function radixSort(v: Views, a: Args, M: number, hist: Uint32Array): number {
  const { u32 } = v;
  let src = 0;
  const pairs = a.pairs >>> 2;
  for (let d = 0; d < 4; d++) {
    const h = d << 8;
    const shift = d << 3;
    const first = (u32[pairs + src * 2 * M + 1] >>> shift) & 255;
    if (hist[h + first] === M) continue;
    let sum = 0;
    for (let b = 0; b < 256; b++) {
      const cnt = hist[h + b];
      hist[h + b] = sum;
      sum += cnt;
    }
    const sp = pairs + src * 2 * M;
    const dp = pairs + (1 - src) * 2 * M;
    for (let k = 0; k < M; k++) {
      const key = u32[sp + 2 * k + 1];
      const o = hist[h + ((key >>> shift) & 255)]++;
      u32[dp + 2 * o] = u32[sp + 2 * k];
      u32[dp + 2 * o + 1] = key;
    }
    src = 1 - src;
  }
  return src;
}

function walk(kind: Kind, v: Views, sp: number, K: number, G: number, w: number, row: number): number {
  const { f32, u32 } = v;
  let loss = 0;
  let cf = 0;
  for (let k = 0; k < K; k++) {
    const pm = u32[sp + 2 * k];
    let e = errorOf(u32[sp + 2 * k + 1]);
    const fg = pm >= FG;
    cf += +fg;
    let d: number;
    if (G === 0) {
      d = k === 0 ? 1 : 0;
    } else {
      const U = G + k + 1 - cf;
      d = fg ? 1 / U : (G - cf) / ((U - 1) * U);
    }
    const pos = kind === HINGE ? e > 0 : true;
    if (kind === HINGE && !pos) e = 0;
    loss += e * d;
    if (row >= 0) {
      let g = fr(d * w);
      if (fg) g = -g;
      if (!pos) g = 0;
      f32[row + (pm & 0x7fffffff)] = g;
    }
  }
  return loss;
}

function gradPass(kind: Kind, v: Views, a: Args, n0: number, per: number, sel: Int32Array, any: boolean): void {
  const { f32, i32 } = v;
  const { C, P, ignore } = a;
  const M = per * P;
  const cs = a.nhwc ? 1 : P;
  const ps = a.nhwc ? C : 1;
  const dense = kind === HINGE && a.y !== 0;
  const probs = a.probs >>> 2;
  const dprobs = a.dprobs >>> 2;
  for (let j = 0; j < per; j++) {
    const n = n0 + j;
    const gn = (a.grad >>> 2) + n * C * P;
    const lab = (a.labels >>> 2) + n * P;
    for (let i = 0; i < P; i++) {
      const m = j * P + i;
      const go = gn + i * ps;
      const kept = dense || i32[lab + i] !== ignore;
      if (!kept) {
        for (let c = 0; c < C; c++) f32[go + c * cs] = 0;
        continue;
      }
      if (kind === SOFTMAX && any) {
        let s = 0;
        for (let c = 0; c < C; c++) {
          if (sel[c]) s = fr(s + fr(f32[dprobs + c * M + m] * f32[probs + c * M + m]));
        }
        for (let c = 0; c < C; c++) {
          const g = sel[c] ? f32[dprobs + c * M + m] : 0;
          f32[go + c * cs] = fr(f32[probs + c * M + m] * fr(g - s));
        }
      } else {
        for (let c = 0; c < C; c++) f32[go + c * cs] = sel[c] ? f32[dprobs + c * M + m] : 0;
      }
    }
  }
}

function lovasz(heap: Heap, args: number, kind: Kind): void {
  const a = readArgs(heap.buffer, args, LOVASZ_ARGS);
  const { f32, i32, f64 } = heap.views();
  const v: Views = { f32, i32, f64, u32: new Uint32Array(heap.buffer) };
  const { N, C, P } = a;
  const problems = a.perImage ? N : 1;
  const per = a.perImage ? 1 : N;
  const M = per * P;
  const hist = new Uint32Array(1024);
  const counts = new Int32Array(C);
  const sel = new Int32Array(C);
  const classLoss = new Float64Array(C);
  const mean = a.sum === 0;
  let total = 0;
  for (let q = 0; q < problems; q++) {
    const n0 = q * per;
    counts.fill(0);
    let K = 0;
    if (a.y) {
      K = M;
    } else {
      const lab = (a.labels >>> 2) + n0 * P;
      for (let m = 0; m < M; m++) {
        const t = i32[lab + m];
        if (t === a.ignore) continue;
        K++;
        if (kind !== HINGE) counts[t]++;
      }
    }
    let chosen = 0;
    for (let c = 0; c < C; c++) {
      const s = kind === HINGE ? 1 : i32[(a.select >>> 2) + c];
      const on = K > 0 && (s === 1 || (s === 2 && counts[c] > 0));
      sel[c] = +on;
      chosen += +on;
    }
    if (chosen > 0) {
      if (kind === SOFTMAX) softmaxProblem(v, a, n0, per);
      const w = mean ? 1 / (chosen * problems) : 1;
      for (let c = 0; c < C; c++) {
        if (!sel[c]) continue;
        const G = keyPass(kind, v, a, c, n0, per, hist);
        const half = radixSort(v, a, M, hist);
        const row = a.grad ? (a.dprobs >>> 2) + c * M : -1;
        classLoss[c] = walk(kind, v, (a.pairs >>> 2) + half * 2 * M, K, G, w, row);
      }
      let lq = 0;
      for (let c = 0; c < C; c++) if (sel[c]) lq += classLoss[c];
      total += mean ? lq / chosen : lq;
    }
    if (a.grad) gradPass(kind, v, a, n0, per, sel, chosen > 0);
  }
  f64[a.out >>> 3] = mean && problems > 0 ? total / problems : total;
}

export function lovaszSoftmax(heap: Heap, args: number): void {
  lovasz(heap, args, SOFTMAX);
}

export function lovaszProbabilities(heap: Heap, args: number): void {
  lovasz(heap, args, PROBABILITIES);
}

export function lovaszHinge(heap: Heap, args: number): void {
  lovasz(heap, args, HINGE);
}
