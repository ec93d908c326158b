// The one workload table of bench/: shapes, label kinds and the iteration budgets of full and --quick runs.
// Data for a workload comes from bench/random.mjs (seed 1), so every contender sees the same inputs.
import { makeBinaryCase, makeCase } from './random.mjs';

/**
 * kind 'index': NC... logits and integer labels; kind 'binary': one channel and a dense 0/1 mask.
 * `bench: false` marks a workload the benchmark does not run by default (small: peer and native checks,
 * odd P exercises vector tails). bench/native/kernels.c knows small, voc and city by the same shapes.
 */
export const WORKLOADS = {
  voc: { N: 8, C: 21, spatial: [256, 256], kind: 'index', desc: 'N8 C21 256x256, index labels' },
  binary: { N: 4, C: 1, spatial: [512, 512], kind: 'binary', desc: 'N4 C1 512x512, dense 0/1 mask' },
  city: { N: 1, C: 19, spatial: [1024, 2048], kind: 'index', desc: 'N1 C19 1024x2048 (one Cityscapes image at full size), index labels' },
  volume: { N: 2, C: 4, spatial: [64, 128, 128], kind: 'index', desc: 'N2 C4 64x128x128 (3-D, NCDHW), index labels' },
  small: { N: 2, C: 5, spatial: [17, 23], kind: 'index', desc: 'N2 C5 17x23, index labels (checks only)', bench: false },
};

/** The workloads `node bench/run.mjs` runs by default, in order. */
export const BENCH_WORKLOADS = Object.keys(WORKLOADS).filter((k) => WORKLOADS[k].bench !== false);

/** A workload by name with P (pixels per sample) and its NC... shape. */
export function workload(name) {
  const w = WORKLOADS[name];
  if (!w) throw new Error(`unknown workload ${name} (known: ${Object.keys(WORKLOADS).join(', ')})`);
  const P = w.spatial.reduce((a, b) => a * b, 1);
  return { name, ...w, P, shape: [w.N, w.C, ...w.spatial] };
}

/**
 * A workload's data. index: { x, labels (Uint8Array), labels32, target = labels32 } from makeCase;
 * binary: { x, y, target = y } from makeBinaryCase (N*P logits, then the mask from the continuing stream).
 * `target` is what segloss takes.
 */
export function makeData(w, seed = 1) {
  if (w.kind === 'index') {
    const { x, labels } = makeCase(w.N, w.C, w.P, seed);
    const labels32 = Int32Array.from(labels);
    return { x, labels, labels32, target: labels32 };
  }
  const { x, y } = makeBinaryCase(w.N * w.P, seed);
  return { x, y, target: y };
}

// Iteration budgets. time: ms budget, iterations: minimum count (tinybench runs until both are met); same
// for warmup. prepReps: tfjs prepare repetitions; nativeReps: native kernel repetitions. tfjsCpuCases:
// `workload/case key/grad` that tfjs-cpu runs (seconds per call: voc CE and Dice only).
export const BUDGETS = {
  full: {
    fast: { time: 1000, iterations: 15, warmupTime: 200, warmupIterations: 3 },
    plainjs: { time: 0, iterations: 7, warmupTime: 0, warmupIterations: 2 },
    tfjsWasm: { time: 0, iterations: 7, warmupTime: 0, warmupIterations: 2 },
    ts: { time: 0, iterations: 3, warmupTime: 0, warmupIterations: 1 },
    tfjsCpu: { time: 0, iterations: 2, warmupTime: 0, warmupIterations: 1 },
    prepReps: 5,
    nativeReps: 9,
    tfjsCpuCases: ['voc/ce/0', 'voc/ce/1', 'voc/dice/0', 'voc/dice/1'],
  },
  quick: {
    fast: { time: 200, iterations: 5, warmupTime: 0, warmupIterations: 2 },
    plainjs: { time: 0, iterations: 2, warmupTime: 0, warmupIterations: 1 },
    tfjsWasm: { time: 0, iterations: 1, warmupTime: 0, warmupIterations: 1 },
    ts: { time: 0, iterations: 1, warmupTime: 0, warmupIterations: 0 },
    tfjsCpu: { time: 0, iterations: 1, warmupTime: 0, warmupIterations: 0 },
    prepReps: 2,
    nativeReps: 5,
    tfjsCpuCases: ['voc/ce/1', 'voc/dice/1'],
  },
};

export const budget = (quick) => (quick ? BUDGETS.quick : BUDGETS.full);
