// Shared plumbing of the kernels. All pointers are byte offsets into memory that TypeScript owns;
// kernels never allocate: per-pixel state lives in a scratch block TypeScript passes in.
//
// Iteration order, which src/fallback mirrors exactly: for each sample n, pixels in tiles of TILE;
// within a tile, each pass walks the class rows c = 0..C-1 and, along a row, groups of four pixels.
// Lane j of a group is pixel i0 + j; the last group of a sample may hold fewer (k < 4): its missing
// lanes read as 0 and are masked out of every sum and store. A row is contiguous in NCHW (one v128
// load per group) and strided by C in NHWC (four scalar loads); tiles keep every pass inside L1 and
// avoid the cache-set conflicts of striding through memory at P * 4 bytes.
//
// Sums are per block of BLOCK pixels of a sample (the last block of a sample may be shorter): lane j
// keeps its own f64 accumulator, from 0 at the block's start, and adds its f32 values in iteration order
// (per-pixel values by pixel; per-element values by tile, then class row, then pixel); the four
// accumulators combine as (a0 + a1) + (a2 + a3) into the block's sum. TypeScript adds a sample's block
// sums in order from 0, then the samples in order, so the bits depend on neither windows nor threads.

export const TILE = 128; // pixels; a multiple of 4
export const BLOCK = 16384; // pixels; a multiple of TILE (src/abi.ts)
export const GROUPS = TILE / 4;
// per-pixel state of one tile: a v128 per group for each of SLOTS quantities
export const SLOT: usize = GROUPS * 16;

// Scratch (sized by src/abi.ts scratchBytes): SLOTS slots of the current tile's per-pixel state, named
// once here; then, for kernels that sum region statistics, C x 96 bytes of f64 lane sums of (I, Sp, Sg)
// from CLASS_SUMS; then, for the region kernels, two rows of SLOT bytes per class.
export const MAX: usize = 0; // max over classes
export const SUM: usize = 1; // softmax sum (region kernels: then its reciprocal)
export const XT: usize = 2; // x_t - max (index) or sum of w y' (x - max) (dense)
export const ET: usize = 3; // e_t (focal)
export const OTHER: usize = 4; // sum of e_c over c != t: 1 - p_t without cancellation (focal); sum of w y' (dense)
export const WSUM: usize = 5; // sum of w_c (x_c - max) (smoothing)
export const LABEL: usize = 6;
export const VALID: usize = 7;
export const Q: usize = 8; // gradient: g_c = e_c * Q - [c == t] * QT - w_c * qW
export const QT: usize = 9;
export const LOSS_ACC: usize = 10; // 32 bytes: the four f64 lane sums of the loss
export const RS: usize = 11; // 1 / sum
export const DOT: usize = 12; // sum_c p_c u_c (region gradient)
export const SLOTS: usize = 13;
export const CLASS_SUMS: usize = SLOTS * SLOT;

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

// Adds the lanes of v into the four f64 accumulators stored at acc (32 bytes).
// @ts-ignore: decorator
@inline export function accumulate(acc: usize, v: v128): void {
  v128.store(acc, f64x2.add(v128.load(acc), f64x2.promote_low_f32x4(v)));
  v128.store(acc, f64x2.add(v128.load(acc, 16), f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 2, 3))), 16);
}

// (a0 + a1) + (a2 + a3) of the accumulators at acc.
// @ts-ignore: decorator
@inline export function combineAt(acc: usize): f64 {
  const lo = v128.load(acc);
  const hi = v128.load(acc, 16);
  return (f64x2.extract_lane(lo, 0) + f64x2.extract_lane(lo, 1)) + (f64x2.extract_lane(hi, 0) + f64x2.extract_lane(hi, 1));
}

// Labels and validity of the tile's groups into the scratch slots `labelSlot` and `validSlot`.
// @ts-ignore: decorator
@inline export function tileLabels(lp: usize, len: i32, ignore: i32, labelSlot: usize, validSlot: usize): void {
  const groups = (len + 3) >> 2;
  for (let g = 0; g < groups; g++) {
    const k = min(4, len - (g << 2));
    const o = <usize>g << 4;
    const t = loadLabels4(lp + o, k);
    const valid = v128.and(laneMask(k), v128.not(i32x4.eq(t, i32x4.splat(ignore))));
    v128.store(labelSlot + o, v128.and(t, valid));
    v128.store(validSlot + o, valid);
  }
}

// Pass A: the max over classes of each pixel of the tile, as m = m < x ? x : m (pmax: one instruction,
// where wasm's max takes several to order NaN and signed zeros). A NaN logit after the first class is
// passed over, but its own exp is NaN and makes every p of the pixel NaN all the same.
// @ts-ignore: decorator
@inline export function tileMax(xt: usize, cs: usize, ps: usize, len: i32, C: i32, tmp: usize): void {
  const full = len >> 2;
  const k = len & 3;
  for (let g = 0; g < full; g++) v128.store(tmp + (<usize>g << 4), load4(xt + <usize>g * 4 * ps, ps, 4));
  if (k) v128.store(tmp + (<usize>full << 4), load4(xt + <usize>full * 4 * ps, ps, k));
  for (let c = 1; c < C; c++) {
    const row = xt + <usize>c * cs;
    for (let g = 0; g < full; g++) {
      const at = tmp + (<usize>g << 4);
      v128.store(at, f32x4.pmax(v128.load(at), load4(row + <usize>g * 4 * ps, ps, 4)));
    }
    if (k) {
      const at = tmp + (<usize>full << 4);
      v128.store(at, f32x4.pmax(v128.load(at), load4(row + <usize>full * 4 * ps, ps, k)));
    }
  }
}

// Whether the tile ending at pixel `end` of its sample (counted from the sample's start) ends a block.
// @ts-ignore: decorator
@inline export function blockEnds(end: i32, pixels: i32): bool {
  return end % BLOCK == 0 || end == pixels;
}
