// Deterministic inputs shared by the JS peers and the C kernels in bench/native/kernels.c.
//
// Generator (identical in both languages, so losses can be compared to 1e-5):
//   xorshift32 (Marsaglia 2003) on a uint32 state s (seed != 0, default 1):
//     s ^= s << 13; s ^= s >>> 17; s ^= s << 5;      (all mod 2^32)
//     u = s / 2^32                                    (double in [0, 1))
//   logits: N*C*P draws in NCHW order, x = float32((u - 0.5) * 8)   (round to nearest)
//   labels: then N*P draws in NP order,   t = floor(u * C)          (Uint8Array if C <= 255, else Int32Array)

/** Workload presets: N samples, C classes, P = H*W pixels. */
export const WORKLOADS = {
  small: { N: 2, C: 5, H: 17, W: 23 }, // odd P: exercises vector tails
  voc: { N: 8, C: 21, H: 256, W: 256 },
  city: { N: 2, C: 19, H: 512, W: 1024 },
};

export function workload(name) {
  const w = WORKLOADS[name];
  if (!w) throw new Error(`unknown workload ${name} (known: ${Object.keys(WORKLOADS).join(', ')})`);
  return { name, ...w, P: w.H * w.W };
}

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
