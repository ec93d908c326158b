// The shape of a loss's case table (test/cases/<loss>.ts). Each table lists that loss's cases once;
// the suites that read them draw the data and own the assertions:
//   parity      test/parity.test.ts     wasm and TypeScript give the same bits, on every parity
//                                        geometry, in both layouts
//   gradcheck   test/gradcheck.test.ts  the gradient against central finite differences, both backends
//   zeroCopy    test/zerocopy.test.ts   in-place buffers (seg.alloc) give the copying path's bits
//   memory      test/memory.test.ts     the calls mixed into 10,000 calls that must not grow memory
//   errors      test/errors.test.ts     bad input: the error type and a message pattern, both backends
import type { Input, Segloss, TargetInput, WasmArray } from '../../src/index.js';

export type Layout = 'NCHW' | 'NHWC';

/** What a case returns: a loss call's result (combined adds its terms). */
export interface Result {
  loss: unknown;
  grad?: Float32Array;
  terms?: number[];
}

/** Data test/parity.test.ts draws for each geometry (the names a parity case may use). */
export interface ParityData {
  N: number;
  C: number;
  P: number;
  /** labels in [0, C), 15% ignored as 255 */
  t: Int32Array;
  /** `t` as uint8 and uint16 */
  t8: Uint8Array;
  t16: Uint16Array;
  /** labels in [0, C), 15% ignored as -100 */
  tNeg: Int32Array;
  /** binary labels (class indices when C > 1), 10% ignored as 7 */
  bin: Int32Array;
  /** dense 0/1, soft in [0, 1) and probabilities in [0, 1), each of the input's length */
  dense: Float32Array;
  soft: Float32Array;
  probs: Float32Array;
  /** C per-class weights in [0.2, 2.2) */
  weight: number[];
}

export interface ParityCase {
  name: string;
  /** Run only on geometries with C > 1. */
  multiClass?: true;
  /** `base` is { shape, layout, grad: true }; `x` the geometry's logits (saturated ones included). */
  run(s: Segloss, x: Float32Array, base: { shape: number[]; layout: Layout; grad: true }, d: ParityData): Result;
}

/** Data test/gradcheck.test.ts draws once (N = 2, C = 3, S = [2, 3]). */
export interface GradcheckData {
  N: number;
  C: number;
  P: number;
  /** labels in [0, C), 20% ignored as 255 */
  t: Int32Array;
  /** N*C*P binary labels, 20% ignored as 255 */
  bin: Int32Array;
  dense: Float32Array;
  soft: Float32Array;
  /** C weights */
  weight: number[];
}

export interface GradcheckCase {
  name: string;
  /**
   * Where the gradient is checked: 'logits' (normal, scale 2; step 1e-2, the default) or 'probs'
   * (probabilities in [0.05, 0.95]; step 1e-3).
   */
  at?: 'logits' | 'probs';
  /** The finite-difference step, when the default does not suit (a piecewise-linear loss wants one too
   *  small to reorder its sorted errors). */
  step?: number;
  /** `base` is { shape: [N, C, ...S], grad: true }. */
  run(s: Segloss, x: Float32Array, base: { shape: number[]; grad: true }, d: GradcheckData): Result;
}

export interface ZeroCopyOptions {
  shape: number[];
  grad?: boolean;
  out?: WasmArray<Float32Array>;
}

/**
 * A call test/zerocopy.test.ts makes twice on N = 2, C = 21, 64x64 logits: copying ({ shape, grad })
 * and in place ({ shape, out }, every array from seg.alloc); the bits must agree and the gradient must
 * be `out`'s view.
 */
export interface ZeroCopyCase {
  name: string;
  /** 'index': int32 labels in [0, C), 10% ignored as 255; 'dense': 0/1 floats of the input's length. */
  target: 'index' | 'dense';
  /** Also in the peak-memory test: in place, memory stays within 1.1x logits + labels + gradient. */
  peakMemory?: true;
  run(s: Segloss, x: Input, t: TargetInput, o: ZeroCopyOptions): Result;
}

/** A call of test/memory.test.ts's mixed sequence: labels in [0, C) with 255 ignored, shape [2, C, P]. */
export type MemoryCall = (s: Segloss, x: Float32Array, t: Int32Array, shape: number[]) => Result;

export interface ErrorCase {
  name: string;
  run(s: Segloss): unknown;
  type: ErrorConstructor;
  message: RegExp;
}

export interface LossCases {
  parity: ParityCase[];
  gradcheck: GradcheckCase[];
  zeroCopy: ZeroCopyCase[];
  memory: MemoryCall[];
  errors: ErrorCase[];
}

/** Inputs of the errors cases: shape [2, 3, 2, 2], NCHW logits, int32 labels, a dense target. */
export const bad = {
  shape: [2, 3, 2, 2],
  x: new Float32Array(24),
  t: new Int32Array(8),
  dense: new Float32Array(24),
};
