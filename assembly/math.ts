// Vectorised exp, log and log1p for f32x4: the AssemblyScript standard library has none.
// Every operation is an IEEE-exact wasm SIMD op (no FMA, no relaxed SIMD), so src/fallback/math.ts
// reproduces each lane bit for bit with Math.fround after every step. Keep the two files in step.
// Accuracy, measured exhaustively by bench/ulp.mjs against f64 Math.exp/Math.log (README, "How it works"):
//   exp4   over every f32 in [-87.336548, 0] (1,118,743,633 inputs):   max 0.982 ulp
//   log4   over every positive finite f32 (2,139,095,039 inputs):     max 0.835 ulp

// exp: n = round(x / ln2) by adding a magic bias, 2^n from the bias's low bits, Cody-Waite reduction
// r = x - n*ln2 in two steps, then the degree-5 Cephes expf polynomial: e^r ~ 1 + r + r^2 * P(r).
const LOG2E = f32x4.splat(reinterpret<f32>(0x3fb8aa3b)); // 1.44269502
// 1.5 * 2^23 + 127: adding it rounds to an integer and leaves n + 127 in the low mantissa bits
const MAGIC_BIAS = f32x4.splat(reinterpret<f32>(0x4b40007f)); // 12583039
const LN2_HI = f32x4.splat(reinterpret<f32>(0x3f318000)); // 0.693359375, 12 significant bits: n*LN2_HI is exact
const LN2_LO = f32x4.splat(reinterpret<f32>(0xb95e8083)); // -2.12194440e-4
const EXP_P5 = f32x4.splat(reinterpret<f32>(0x39506967)); // 1.9875691500e-4
const EXP_P4 = f32x4.splat(reinterpret<f32>(0x3ab743ce)); // 1.3981999507e-3
const EXP_P3 = f32x4.splat(reinterpret<f32>(0x3c088908)); // 8.3334519073e-3
const EXP_P2 = f32x4.splat(reinterpret<f32>(0x3d2aa9c1)); // 4.1665795894e-2
const EXP_P1 = f32x4.splat(reinterpret<f32>(0x3e2aaaaa)); // 1.6666665459e-1
const EXP_P0 = f32x4.splat(reinterpret<f32>(0x3f000000)); // 5.0000001201e-1 rounds to 0.5
// Below ln(2^-126) the result would be subnormal: flushed to +0 (an absolute error under 1.2e-38).
const EXP_LO = f32x4.splat(reinterpret<f32>(0xc2aeac50)); // -87.336548
// Above 88 the result saturates at e^88 = 1.65e38. The losses only call exp on x <= 0.
const EXP_HI = f32x4.splat(reinterpret<f32>(0x42b00000)); // 88
const ONE = f32x4.splat(1.0);

// e^x for x in [-88, 88] (or NaN) by the scheme above, without the clamps its callers add.
// @ts-ignore: decorator
@inline function expClamped(xc: v128): v128 {
  const v = f32x4.add(f32x4.mul(xc, LOG2E), MAGIC_BIAS);
  const scale = i32x4.shl(v, 23); // the f32 2^n
  const n = f32x4.sub(v, MAGIC_BIAS);
  const r = f32x4.sub(f32x4.sub(xc, f32x4.mul(n, LN2_HI)), f32x4.mul(n, LN2_LO));
  let p = f32x4.add(f32x4.mul(EXP_P5, r), EXP_P4);
  p = f32x4.add(f32x4.mul(p, r), EXP_P3);
  p = f32x4.add(f32x4.mul(p, r), EXP_P2);
  p = f32x4.add(f32x4.mul(p, r), EXP_P1);
  p = f32x4.add(f32x4.mul(p, r), EXP_P0);
  const er = f32x4.add(f32x4.add(f32x4.mul(p, f32x4.mul(r, r)), r), ONE);
  return f32x4.mul(er, scale);
}

// @ts-ignore: decorator
@inline export function exp4(x: v128): v128 {
  // pmin keeps a NaN x; below EXP_LO, +0
  return v128.andnot(expClamped(f32x4.pmin(x, EXP_HI)), f32x4.lt(x, EXP_LO));
}

// exp for arguments known to be <= 0 or NaN (x - max, -|x|), one clamp where exp4 has two: x is raised
// to -88, so n >= -127; below -87.683, n = -127 makes 2^n the f32 +0 and exp +0; NaN stays NaN. In
// [-87.683, EXP_LO) the result is 2^-126 e^r, the subnormal that exp4 flushes to +0; elsewhere the bits
// are exp4's.
const EXP_ZERO = f32x4.splat(-88);
// @ts-ignore: decorator
@inline export function expNonPositive4(x: v128): v128 {
  return expClamped(f32x4.pmax(x, EXP_ZERO));
}

// log: the musl/FreeBSD logf scheme. x = 2^k * (1 + f) with 1 + f in [sqrt(1/2), sqrt(2)),
// s = f / (2 + f), log(1 + f) = f - f^2/2 + s * (f^2/2 + R(s^2)), k*ln2 added in two parts.
const SQRT_HALF_BITS = i32x4.splat(0x3f3504f3); // bits of sqrt(1/2)
const LOG_SHIFT = i32x4.splat(0x3f800000 - 0x3f3504f3);
const MANTISSA = i32x4.splat(0x007fffff);
const MIN_NORMAL_BITS = i32x4.splat(0x00800000);
const TWO_25 = f32x4.splat(reinterpret<f32>(0x4c000000)); // 2^25: lifts subnormals into the normal range
const LG1 = f32x4.splat(reinterpret<f32>(0x3f2aaaaa)); // 0.66666662693
const LG2 = f32x4.splat(reinterpret<f32>(0x3eccce13)); // 0.40000972152
const LG3 = f32x4.splat(reinterpret<f32>(0x3e91e9ee)); // 0.28498786688
const LG4 = f32x4.splat(reinterpret<f32>(0x3e789e26)); // 0.24279078841
const LOG_LN2_HI = f32x4.splat(reinterpret<f32>(0x3f317180)); // 0.69313812256
const LOG_LN2_LO = f32x4.splat(reinterpret<f32>(0x3717f7d1)); // 9.0580006145e-6
const TWO = f32x4.splat(2.0);
const HALF = f32x4.splat(0.5);
const ZERO = f32x4.splat(0.0);
const INF = f32x4.splat(Infinity);
const NEG_INF = f32x4.splat(-Infinity);
const NAN = f32x4.splat(NaN);

// The log polynomial of a normal positive x: ix its bits plus LOG_SHIFT, dk its exponent as f32.
// @ts-ignore: decorator
@inline function logPoly(ix: v128, dk: v128): v128 {
  const f = f32x4.sub(i32x4.add(v128.and(ix, MANTISSA), SQRT_HALF_BITS), ONE);
  const s = f32x4.div(f, f32x4.add(TWO, f));
  const z = f32x4.mul(s, s);
  const w = f32x4.mul(z, z);
  const t1 = f32x4.mul(w, f32x4.add(LG2, f32x4.mul(w, LG4)));
  const t2 = f32x4.mul(z, f32x4.add(LG1, f32x4.mul(w, LG3)));
  const hfsq = f32x4.mul(f32x4.mul(HALF, f), f);
  const r = f32x4.add(f32x4.mul(s, f32x4.add(hfsq, f32x4.add(t2, t1))), f32x4.mul(dk, LOG_LN2_LO));
  return f32x4.add(f32x4.add(f32x4.sub(r, hfsq), f), f32x4.mul(dk, LOG_LN2_HI));
}

// @ts-ignore: decorator
@inline export function log4(x: v128): v128 {
  const subnormal = i32x4.lt_s(x, MIN_NORMAL_BITS); // also true for 0 and negatives, fixed below
  const xs = v128.bitselect(f32x4.mul(x, TWO_25), x, subnormal);
  const ix = i32x4.add(xs, LOG_SHIFT);
  const k = i32x4.add(
    i32x4.sub(i32x4.shr_s(ix, 23), i32x4.splat(0x7f)),
    v128.and(subnormal, i32x4.splat(-25)),
  );
  let r = logPoly(ix, f32x4.convert_i32x4_s(k));
  r = v128.bitselect(NEG_INF, r, f32x4.eq(x, ZERO));
  r = v128.bitselect(INF, r, f32x4.eq(x, INF));
  return v128.bitselect(r, NAN, f32x4.ge(x, ZERO)); // x < 0 and NaN give NaN
}

// log for u in [1, 2] (1 + e for e in [0, 1]): log4's arithmetic without its special cases (no subnormal,
// zero, infinite or negative u reaches it), so the same bits as log4 on [1, 2]. A NaN u gives a
// finite garbage value: callers add a term that is NaN then (log1pWith).
// @ts-ignore: decorator
@inline export function log12(u: v128): v128 {
  const ix = i32x4.add(u, LOG_SHIFT);
  return logPoly(ix, f32x4.convert_i32x4_s(i32x4.sub(i32x4.shr_s(ix, 23), i32x4.splat(0x7f))));
}

// log(1 + e) for e in [0, 1] given u = 1 + e (rounded) and r = 1 / u, which the sigmoid losses need
// anyway: log(u) + (e - (u - 1)) * r, the correction of what the rounding of u lost (a multiply by r
// where log1p4 divides by u: the correction is below half an ulp of u, so its own rounding is far
// below the result's). A NaN e gives NaN through the correction.
// @ts-ignore: decorator
@inline export function log1pWith(e: v128, u: v128, r: v128): v128 {
  return f32x4.add(log12(u), f32x4.mul(f32x4.sub(e, f32x4.sub(u, ONE)), r));
}

// log(1 + e) for e >= 0: with u = 1 + e rounded, log(u) + (e - (u - 1)) / u restores what the rounding lost.
// @ts-ignore: decorator
@inline export function log1p4(e: v128): v128 {
  const u = f32x4.add(ONE, e);
  return f32x4.add(log4(u), f32x4.div(f32x4.sub(e, f32x4.sub(u, ONE)), u));
}

// b^g for b >= 0, g > 0 (g == 0 is the caller's fast path); b = 0 gives 0 through exp(-inf) = 0.
// @ts-ignore: decorator
@inline export function pow4(b: v128, g: v128): v128 {
  return exp4(f32x4.mul(g, log4(b)));
}
