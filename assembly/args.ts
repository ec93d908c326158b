// The kernels' argument blocks, read in place: each export takes a pointer to one of these, written
// by TypeScript (src/abi.ts declares the same fields in the same order; test/abi.test.ts compares).
// Every field is 4 bytes: usize pointers, i32, f32.
// Sums are per block: BLOCK pixels of a sample (common.ts). A loss kernel writes each block's sum to
// out[k] (f64) for the k-th block it completes, region kernels each block's statistics; TypeScript adds
// the blocks of a sample in order, then the samples in order. So a batch can be split between calls
// (windows, threads) on block boundaries with the same bits. A call covers N samples of P pixels in
// memory: pixels [first, P) of the first, [0, last) of the last (both when N = 1), all of the others.
// origin is the index within its sample of the call's pixel 0 (a window of a sample copied on its own)
// and pixels the sample's size, which ends its last block. carrySample: the first block continues the
// previous call's block, so its lane sums (loss and per-class) are kept instead of starting from 0.

@unmanaged export class LabelArgs {
  labels: usize; count: i32; limit: i32; ignore: i32; hasIgnore: i32; weight: usize; out: usize; carry: i32;
}

@unmanaged export class SoftmaxArgs {
  x: usize; target: usize; weight: usize; N: i32; C: i32; P: i32; nhwc: i32;
  ignore: i32; smoothing: f32; gamma: f32; scale: f32;
  grad: usize; losses: usize; out: usize; tmp: usize; stats: usize; squared: i32; carrySample: i32;
  first: i32; last: i32; origin: i32; pixels: i32;
}

@unmanaged export class SigmoidArgs {
  x: usize; labels: usize; y: usize; posWeight: usize; weight: usize; N: i32; C: i32; P: i32; nhwc: i32;
  labelOffset: i32; ignore: i32; gamma: f32; alpha: f32; scale: f32;
  grad: usize; losses: usize; out: usize; tmp: usize; carrySample: i32;
  first: i32; last: i32; origin: i32; pixels: i32;
}

@unmanaged export class RegionArgs {
  x: usize; labels: usize; y: usize; N: i32; C: i32; P: i32; nhwc: i32;
  labelOffset: i32; ignore: i32; squared: i32;
  grad: usize; stats: usize; coefA: usize; coefB: usize; tmp: usize; prior: f32; factor: f32; carrySample: i32;
  weight: usize; smoothing: f32; scale: f32;
  first: i32; last: i32; origin: i32; pixels: i32;
}

@unmanaged export class ElementwiseArgs {
  x: usize; y: usize; n: i32; factor: f32;
}

@unmanaged export class RangeArgs {
  x: usize; n: i32; low: f32; high: f32; out: usize;
}

// Confusion counts (metrics.ts). x: f32 scores [N, C, P] or [N, P, C] (confusionScores), or the
// predicted labels [N, P] (confusionLabels, elements of predBytes bytes); target: labels [N, P] of
// targetBytes bytes (1: u8, 4: i32); K: classes of the matrix (C, or 2 when C = 1).
@unmanaged export class ConfusionArgs {
  x: usize; target: usize; N: i32; C: i32; P: i32; nhwc: i32; K: i32;
  ignore: i32; hasIgnore: i32; targetBytes: i32; predBytes: i32; threshold: f32; perSample: i32;
  counts: usize; stats: usize; tmp: usize;
}

@unmanaged export class LovaszArgs {
  x: usize; labels: usize; y: usize; select: usize; N: i32; C: i32; P: i32; nhwc: i32;
  ignore: i32; perImage: i32; sum: i32;
  grad: usize; out: usize; probs: usize; dprobs: usize; pairs: usize; tmp: usize;
}
