import { init, type Segloss } from '../src/index.js';
import { ELEMENTWISE_ARGS, writeArgs } from '../src/abi.js';

/** One instance per backend, shared by a test file and never disposed: so the wasm one runs on one
 *  thread (no pool); the threaded runs have instances of their own (parity, property, streaming, pool). */
export const backends: Record<'wasm' | 'js', Promise<Segloss>> = {
  wasm: init({ backend: 'wasm', threads: 1 }),
  js: init({ backend: 'js' }),
};

/** Deterministic uniform [0, 1) (xorshift32). */
export function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 2 ** 32;
  };
}

/** Standard normal by Box-Muller. */
export function normal(rand: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
}

export function logits(rand: () => number, n: number, scale = 3): Float32Array {
  return Float32Array.from({ length: n }, () => normal(rand) * scale);
}

export function labels(rand: () => number, n: number, C: number, ignore?: number, ignoreShare = 0.1): Int32Array {
  return Int32Array.from({ length: n }, () =>
    ignore !== undefined && rand() < ignoreShare ? ignore : Math.floor(rand() * C),
  );
}

/** Index of the first element that differs bitwise (NaN equals NaN), or -1. */
export function firstBitDifference(a: Float32Array | number, b: Float32Array | number): number {
  const same = (p: number, q: number) => Object.is(p, q) || (Number.isNaN(p) && Number.isNaN(q));
  if (typeof a === 'number' || typeof b === 'number') return same(a as number, b as number) ? -1 : 0;
  if (a.length !== b.length) return 0;
  for (let i = 0; i < a.length; i++) if (!same(a[i], b[i])) return i;
  return -1;
}

/** Largest violation of |a - b| <= abs + rel |b|, as a ratio (<= 1 passes): the conformance rule. */
export { worstRatio } from './conformance/check.mjs';

/** NCHW [N, C, ...S] -> NHWC [N, ...S, C] */
export function toNHWC(x: Float32Array, N: number, C: number, P: number): Float32Array {
  const y = new Float32Array(x.length);
  for (let n = 0; n < N; n++)
    for (let c = 0; c < C; c++) for (let i = 0; i < P; i++) y[(n * P + i) * C + c] = x[(n * C + c) * P + i];
  return y;
}

/** NHWC -> NCHW */
export function toNCHW(y: Float32Array, N: number, C: number, P: number): Float32Array {
  const x = new Float32Array(y.length);
  for (let n = 0; n < N; n++)
    for (let c = 0; c < C; c++) for (let i = 0; i < P; i++) x[(n * C + c) * P + i] = y[(n * P + i) * C + c];
  return x;
}

/** One-hot NCHW Float32Array of an index map (ignored pixels all zero). */
export function oneHot(t: ArrayLike<number>, N: number, C: number, P: number): Float32Array {
  const y = new Float32Array(N * C * P);
  for (let n = 0; n < N; n++)
    for (let i = 0; i < P; i++) {
      const c = t[n * P + i];
      if (c >= 0 && c < C) y[(n * C + c) * P + i] = 1;
    }
  return y;
}

/** exp or log of every element, by the backend's elementwise kernel (what eval/ measures). */
export function elementwise(seg: Segloss, kernel: 'expArray' | 'logArray', xs: Float32Array): Float32Array {
  const { kernels, arena } = seg.host;
  arena.reset();
  const x = arena.putF32(xs);
  const y = arena.alloc(4 * xs.length);
  const args = arena.alloc(16);
  writeArgs(kernels.memory.buffer, args, ELEMENTWISE_ARGS, { x, y, n: xs.length, factor: 0 });
  kernels[kernel](args);
  return arena.f32(y, xs.length).slice();
}
