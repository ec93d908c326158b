// The one deterministic generator of everything in bench/ (the benchmark, the peers' checks and timings,
// bench/compare.mjs), mirrored in bench/native/kernels.c so the C kernels see the same inputs.
// (test/helpers.ts and demo/web/lab.js keep their own copies for now.)
//
// Generator (identical in both languages, so losses can be compared to 1e-5):
//   xorshift32 (Marsaglia 2003) on a uint32 state s (seed != 0, default 1):
//     s ^= s << 13; s ^= s >>> 17; s ^= s << 5;      (all mod 2^32)
//     u = s / 2^32                                    (double in [0, 1))
//   index case (makeCase):
//     logits: N*C*P draws in NCHW order, x = float32((u - 0.5) * 8)   (round to nearest)
//     labels: then N*P draws in NP order,   t = floor(u * C)          (Uint8Array if C <= 255, else Int32Array)
//   binary case (makeBinaryCase):
//     logits: n draws, x = float32((u - 0.5) * 8); then the mask: n draws, y = u < 0.5 ? 1 : 0

/** Returns a function yielding successive u in [0, 1). */
export function xorshift32(seed = 1) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    return s / 4294967296;
  };
}

/** NCHW logits (Float32Array, N*C*P) and index labels (N*P) from the generator above. */
export function makeCase(N, C, P, seed = 1) {
  const u = xorshift32(seed);
  const x = new Float32Array(N * C * P);
  for (let i = 0; i < x.length; i++) x[i] = (u() - 0.5) * 8;
  const labels = C <= 255 ? new Uint8Array(N * P) : new Int32Array(N * P);
  for (let i = 0; i < labels.length; i++) labels[i] = Math.floor(u() * C);
  return { x, labels };
}

/** n logits and a dense 0/1 mask (Float32Array) from the generator above. */
export function makeBinaryCase(n, seed = 1) {
  const u = xorshift32(seed);
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = (u() - 0.5) * 8;
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) y[i] = u() < 0.5 ? 1 : 0;
  return { x, y };
}
