// The kernels' argument blocks, read in place: each export takes a pointer to one of these, written
// by TypeScript (src/abi.ts declares the same fields in the same order; test/abi.test.ts compares).
// Every field is 4 bytes: usize pointers, i32, f32.

@unmanaged export class LabelArgs {
  labels: usize; count: i32; limit: i32; ignore: i32; hasIgnore: i32; weight: usize; out: usize;
}

@unmanaged export class SoftmaxArgs {
  x: usize; target: usize; weight: usize; N: i32; C: i32; P: i32; nhwc: i32;
  ignore: i32; smoothing: f32; gamma: f32; scale: f32;
  grad: usize; losses: usize; out: usize; tmp: usize; stats: usize; squared: i32;
}

@unmanaged export class SigmoidArgs {
  x: usize; labels: usize; y: usize; posWeight: usize; weight: usize; N: i32; C: i32; P: i32; nhwc: i32;
  labelOffset: i32; ignore: i32; gamma: f32; alpha: f32; scale: f32;
  grad: usize; losses: usize; out: usize; tmp: usize;
}

@unmanaged export class RegionArgs {
  x: usize; labels: usize; y: usize; N: i32; C: i32; P: i32; nhwc: i32;
  labelOffset: i32; ignore: i32; squared: i32;
  grad: usize; stats: usize; coefA: usize; coefB: usize; tmp: usize; prior: f32; factor: f32;
}

@unmanaged export class ElementwiseArgs {
  x: usize; y: usize; n: i32; factor: f32;
}

@unmanaged export class LovaszArgs {
  x: usize; labels: usize; y: usize; select: usize; N: i32; C: i32; P: i32; nhwc: i32;
  ignore: i32; perImage: i32; sum: i32;
  grad: usize; out: usize; probs: usize; dprobs: usize; pairs: usize; tmp: usize;
}
