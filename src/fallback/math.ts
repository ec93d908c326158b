// Scalar twins of assembly/math.ts: the same constants and the same operations in the same order,
// each rounded to f32 with Math.fround, so that every result equals the wasm lane bit for bit.
import { ELEMENTWISE_ARGS, RANGE_ARGS, readArgs } from '../abi.js';

export const fr = Math.fround;

/** wasm's f32x4.pmax lane: b if a < b, else a (NaN and signed zeros as the comparison falls). */
export const pmax = (a: number, b: number): number => (a < b ? b : a);

const bitsF32 = new Float32Array(1);
const bitsI32 = new Int32Array(bitsF32.buffer);
function fromBits(bits: number): number {
  bitsI32[0] = bits;
  return bitsF32[0];
}
function toBits(x: number): number {
  bitsF32[0] = x;
  return bitsI32[0];
}

const LOG2E = fromBits(0x3fb8aa3b);
const MAGIC_BIAS = fromBits(0x4b40007f);
const LN2_HI = fromBits(0x3f318000);
const LN2_LO = fromBits(0xb95e8083 | 0);
const EXP_P5 = fromBits(0x39506967);
const EXP_P4 = fromBits(0x3ab743ce);
const EXP_P3 = fromBits(0x3c088908);
const EXP_P2 = fromBits(0x3d2aa9c1);
const EXP_P1 = fromBits(0x3e2aaaaa);
const EXP_P0 = fromBits(0x3f000000);
const EXP_LO = fromBits(0xc2aeac50 | 0);
const EXP_HI = fromBits(0x42b00000);
// 2^n for the biased exponent n + 127, as the wasm builds it by shifting bits into the exponent field
const POW2 = new Float32Array(256).map((_, e) => fromBits(e << 23));

/** math.ts expClamped: e^xc for xc in [-88, 88]. */
function expClamped(xc: number): number {
  const v = fr(fr(xc * LOG2E) + MAGIC_BIAS);
  const n = fr(v - MAGIC_BIAS);
  const r = fr(fr(xc - fr(n * LN2_HI)) - fr(n * LN2_LO));
  let p = fr(fr(EXP_P5 * r) + EXP_P4);
  p = fr(fr(p * r) + EXP_P3);
  p = fr(fr(p * r) + EXP_P2);
  p = fr(fr(p * r) + EXP_P1);
  p = fr(fr(p * r) + EXP_P0);
  const er = fr(fr(fr(p * fr(r * r)) + r) + 1);
  return fr(er * POW2[n + 127]);
}

export function exp(x: number): number {
  if (x < EXP_LO) return 0;
  if (x !== x) return NaN;
  return expClamped(EXP_HI < x ? EXP_HI : x); // f32x4.pmin
}

const EXP_ZERO = -88;

/** math.ts expNonPositive4, for x <= 0 or NaN: x raised to -88 (n >= -127, where 2^n is +0); no upper clamp. */
export function expNonPositive(x: number): number {
  if (x !== x) return NaN;
  return expClamped(x < EXP_ZERO ? EXP_ZERO : x); // f32x4.pmax
}

const LG1 = fromBits(0x3f2aaaaa);
const LG2 = fromBits(0x3eccce13);
const LG3 = fromBits(0x3e91e9ee);
const LG4 = fromBits(0x3e789e26);
const LOG_LN2_HI = fromBits(0x3f317180);
const LOG_LN2_LO = fromBits(0x3717f7d1);
const TWO_25 = 33554432;

export function log(x: number): number {
  if (!(x >= 0)) return NaN;
  if (x === 0) return -Infinity;
  if (x === Infinity) return Infinity;
  let ix = toBits(x);
  let kLift = 0;
  if (ix < 0x00800000) {
    ix = toBits(fr(x * TWO_25));
    kLift = -25;
  }
  ix = (ix + (0x3f800000 - 0x3f3504f3)) | 0;
  const k = (ix >> 23) - 0x7f + kLift;
  const f = fr(fromBits(((ix & 0x007fffff) + 0x3f3504f3) | 0) - 1);
  const s = fr(f / fr(2 + f));
  const z = fr(s * s);
  const w = fr(z * z);
  const t1 = fr(w * fr(LG2 + fr(w * LG4)));
  const t2 = fr(z * fr(LG1 + fr(w * LG3)));
  const hfsq = fr(fr(0.5 * f) * f);
  let r = fr(fr(s * fr(hfsq + fr(t2 + t1))) + fr(k * LOG_LN2_LO));
  r = fr(fr(fr(r - hfsq) + f) + fr(k * LOG_LN2_HI));
  return r;
}

export function log1p(e: number): number {
  const u = fr(1 + e);
  return fr(log(u) + fr(fr(e - fr(u - 1)) / u));
}

export function pow(b: number, g: number): number {
  return exp(fr(g * log(b)));
}

type Memory = { buffer: ArrayBuffer; views(): { f32: Float32Array; i32: Int32Array } };
const read = (heap: Memory, args: number) => readArgs(heap.buffer, args, ELEMENTWISE_ARGS);

export function expArray(heap: Memory, args: number): void {
  const { x, y, n } = read(heap, args);
  const { f32 } = heap.views();
  for (let i = 0; i < n; i++) f32[(y >>> 2) + i] = exp(f32[(x >>> 2) + i]);
}

export function logArray(heap: Memory, args: number): void {
  const { x, y, n } = read(heap, args);
  const { f32 } = heap.views();
  for (let i = 0; i < n; i++) f32[(y >>> 2) + i] = log(f32[(x >>> 2) + i]);
}

/** y += factor * x */
export function addScaled(heap: Memory, args: number): void {
  const { x: src, y: dst, n, factor: f } = read(heap, args);
  const { f32 } = heap.views();
  for (let i = 0; i < n; i++) f32[(dst >>> 2) + i] = fr(f32[(dst >>> 2) + i] + fr(f * f32[(src >>> 2) + i]));
}

/** Twin of firstOutside: out (i32) = the first index outside [low, high], NaN included, or -1. */
export function firstOutside(heap: Memory, args: number): void {
  const { x, n, low, high, out } = readArgs(heap.buffer, args, RANGE_ARGS);
  const { f32, i32 } = heap.views();
  let first = -1;
  for (let i = 0; i < n; i++) {
    const v = f32[(x >>> 2) + i];
    if (!(v >= low && v <= high)) {
      first = i;
      break;
    }
  }
  i32[out >>> 2] = first;
}
