// Shared plumbing of the kernels. All pointers are byte offsets into memory that TypeScript owns;
// kernels never allocate.
//
// Iteration order, which src/fallback mirrors exactly: for each sample n, pixels i = 0..P-1 in
// groups of four (the last group may hold fewer, k < 4). Lane j of a group is pixel i0 + j, and a
// pixel's classes are read at stride `classStride` (P for NCHW, 1 for NHWC). Missing lanes of a short
// group read as 0 and are masked out of every sum and store.
//
// Sums: lane j keeps its own f64 accumulator; a lane adds its per-pixel f32 values in pixel order, and
// the four accumulators combine as (a0 + a1) + (a2 + a3).

// @ts-ignore: decorator
@inline export function laneMask(k: i32): v128 {
  return i32x4.lt_s(i32x4(0, 1, 2, 3), i32x4.splat(k));
}

// Four f32 starting at p, `step` bytes apart; lanes >= k read as 0.
// @ts-ignore: decorator
@inline export function load4(p: usize, step: usize, k: i32): v128 {
  if (k == 4 && step == 4) return v128.load(p);
  let v = f32x4.replace_lane(f32x4.splat(0), 0, load<f32>(p));
  if (k > 1) v = f32x4.replace_lane(v, 1, load<f32>(p + step));
  if (k > 2) v = f32x4.replace_lane(v, 2, load<f32>(p + 2 * step));
  if (k > 3) v = f32x4.replace_lane(v, 3, load<f32>(p + 3 * step));
  return v;
}

// @ts-ignore: decorator
@inline export function store4(p: usize, step: usize, k: i32, v: v128): void {
  if (k == 4 && step == 4) {
    v128.store(p, v);
    return;
  }
  store<f32>(p, f32x4.extract_lane(v, 0));
  if (k > 1) store<f32>(p + step, f32x4.extract_lane(v, 1));
  if (k > 2) store<f32>(p + 2 * step, f32x4.extract_lane(v, 2));
  if (k > 3) store<f32>(p + 3 * step, f32x4.extract_lane(v, 3));
}

// Four consecutive i32 labels; lanes >= k read as 0 (and are masked by the caller).
// @ts-ignore: decorator
@inline export function loadLabels4(p: usize, k: i32): v128 {
  if (k == 4) return v128.load(p);
  let v = i32x4.replace_lane(i32x4.splat(0), 0, load<i32>(p));
  if (k > 1) v = i32x4.replace_lane(v, 1, load<i32>(p + 4));
  if (k > 2) v = i32x4.replace_lane(v, 2, load<i32>(p + 8));
  return v;
}

// w[t] per lane (t already validated, masked lanes hold 0).
// @ts-ignore: decorator
@inline export function gather4(w: usize, t: v128): v128 {
  let v = f32x4.replace_lane(f32x4.splat(0), 0, load<f32>(w + (<usize>i32x4.extract_lane(t, 0) << 2)));
  v = f32x4.replace_lane(v, 1, load<f32>(w + (<usize>i32x4.extract_lane(t, 1) << 2)));
  v = f32x4.replace_lane(v, 2, load<f32>(w + (<usize>i32x4.extract_lane(t, 2) << 2)));
  return f32x4.replace_lane(v, 3, load<f32>(w + (<usize>i32x4.extract_lane(t, 3) << 2)));
}

// The f64 lanes 0,1 and 2,3 of an f32x4.
// @ts-ignore: decorator
@inline export function low2(v: v128): v128 {
  return f64x2.promote_low_f32x4(v);
}
// @ts-ignore: decorator
@inline export function high2(v: v128): v128 {
  return f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 2, 3));
}

// (a0 + a1) + (a2 + a3) of the accumulator pair (lo = lanes 0,1; hi = lanes 2,3).
// @ts-ignore: decorator
@inline export function combine(lo: v128, hi: v128): f64 {
  return (f64x2.extract_lane(lo, 0) + f64x2.extract_lane(lo, 1)) + (f64x2.extract_lane(hi, 0) + f64x2.extract_lane(hi, 1));
}

// Adds the lanes of v into the four f64 accumulators stored at acc (32 bytes).
// @ts-ignore: decorator
@inline export function accumulate(acc: usize, v: v128): void {
  v128.store(acc, f64x2.add(v128.load(acc), low2(v)));
  v128.store(acc, f64x2.add(v128.load(acc, 16), high2(v)), 16);
}

// @ts-ignore: decorator
@inline export function combineAt(acc: usize): f64 {
  return combine(v128.load(acc), v128.load(acc, 16));
}
