// The boundary between TypeScript and the kernels. Every kernel takes one pointer: its argument
// block, a run of 4-byte fields (pointers, i32, f32) in the order declared here. assembly/args.ts
// declares the same blocks as @unmanaged classes that the kernels read in place, the TypeScript twins
// read them with `readArgs`, and test/abi.test.ts checks that the two declarations agree.
// This file also owns the tile size and the size of each kernel's scratch.

/** Pixels per tile: the unit of the kernels' iteration order (assembly/common.ts). */
export const TILE = 128;
/** Pixels per block: the kernels' sums are per block of a sample (assembly/common.ts), the unit a call
 *  is split in between threads. */
export const BLOCK = 16384;
/** Bytes of one scratch slot: one f32 of per-pixel state for each pixel of a tile. */
export const SLOT = TILE * 4;
/** Scratch slots of per-pixel state (assembly/common.ts names them). */
export const SLOTS = 13;
/** Bytes per class of f64 lane sums of (I, Sp, Sg): 3 quantities x 4 lanes x 8 bytes. */
export const CLASS_SUMS = 96;
/** Where in the scratch the sums that a streamed call carries within a sample live (the LOSS_ACC slot and
 *  CLASS_SUMS of assembly/common.ts): the twins keep theirs at the same offsets. */
export const LOSS_SUMS_AT = 10 * SLOT;
export const CLASS_SUMS_AT = SLOTS * SLOT;

export type FieldType = 'ptr' | 'i32' | 'f32';
export type Fields = Readonly<Record<string, FieldType>>;
export type ArgsOf<F extends Fields> = { [K in keyof F]: number };

function block<const F extends Fields>(fields: F): F {
  return fields;
}

export const LABEL_ARGS = block({
  labels: 'ptr', count: 'i32', limit: 'i32', ignore: 'i32', hasIgnore: 'i32', weight: 'ptr', out: 'ptr', carry: 'i32',
});

export const SOFTMAX_ARGS = block({
  x: 'ptr', target: 'ptr', weight: 'ptr', N: 'i32', C: 'i32', P: 'i32', nhwc: 'i32',
  ignore: 'i32', smoothing: 'f32', gamma: 'f32', scale: 'f32',
  grad: 'ptr', losses: 'ptr', out: 'ptr', tmp: 'ptr', stats: 'ptr', squared: 'i32', carrySample: 'i32',
  first: 'i32', last: 'i32', origin: 'i32', pixels: 'i32',
});

export const SIGMOID_ARGS = block({
  x: 'ptr', labels: 'ptr', y: 'ptr', posWeight: 'ptr', weight: 'ptr', N: 'i32', C: 'i32', P: 'i32', nhwc: 'i32',
  labelOffset: 'i32', ignore: 'i32', gamma: 'f32', alpha: 'f32', scale: 'f32',
  grad: 'ptr', losses: 'ptr', out: 'ptr', tmp: 'ptr', carrySample: 'i32',
  first: 'i32', last: 'i32', origin: 'i32', pixels: 'i32',
});

export const REGION_ARGS = block({
  x: 'ptr', labels: 'ptr', y: 'ptr', N: 'i32', C: 'i32', P: 'i32', nhwc: 'i32',
  labelOffset: 'i32', ignore: 'i32', squared: 'i32',
  grad: 'ptr', stats: 'ptr', coefA: 'ptr', coefB: 'ptr', tmp: 'ptr', prior: 'f32', factor: 'f32', carrySample: 'i32',
  weight: 'ptr', smoothing: 'f32', scale: 'f32',
  first: 'i32', last: 'i32', origin: 'i32', pixels: 'i32',
});

export const ELEMENTWISE_ARGS = block({ x: 'ptr', y: 'ptr', n: 'i32', factor: 'f32' });

export const RANGE_ARGS = block({ x: 'ptr', n: 'i32', low: 'f32', high: 'f32', out: 'ptr' });
/** Confusion counts (assembly/metrics.ts): K is the matrix's class count (C, or 2 when C = 1). */
export const CONFUSION_ARGS = block({
  x: 'ptr', target: 'ptr', N: 'i32', C: 'i32', P: 'i32', nhwc: 'i32', K: 'i32',
  ignore: 'i32', hasIgnore: 'i32', targetBytes: 'i32', predBytes: 'i32', threshold: 'f32', perSample: 'i32',
  counts: 'ptr', stats: 'ptr', tmp: 'ptr',
});

/** Lovász losses (assembly/lovasz.ts). select: i32 per class, 1 always, 0 never, 2 when present;
 *  probs, dprobs: [C][M] f32 class-major rows of a problem's M pixels; pairs: 2 M u64 (sort key << 32 | pixel). */
export const LOVASZ_ARGS = block({
  x: 'ptr', labels: 'ptr', y: 'ptr', select: 'ptr', N: 'i32', C: 'i32', P: 'i32', nhwc: 'i32',
  ignore: 'i32', perImage: 'i32', sum: 'i32',
  grad: 'ptr', out: 'ptr', probs: 'ptr', dprobs: 'ptr', pairs: 'ptr', tmp: 'ptr',
});

const noScratch = () => 0;
const tileState = () => SLOTS * SLOT;
// Lovász: radix histograms (4096 + 3 x 128 u32), two tile slots, then per class a count, a flag and an f64 loss
const lovaszTmp = (C: number) => 16384 + 1536 + 2 * SLOT + C * 16;
// region kernels (and softmax cross entropy) also keep a row per class: exps, activations or dL/dp
const regionRows = (C: number) => SLOTS * SLOT + C * (CLASS_SUMS + SLOT);
// confusion kernels, called with the matrix's class count K: two slots, 32 bytes of lanes, then a u32
// histogram of K * K cells and one for ignored pixels
const histogram = (K: number) => 2 * SLOT + 32 + (K * K + 1) * 4;

/** Every kernel: its argument block and the bytes of scratch it needs for C classes. */
export const KERNELS = {
  labelScan: { args: LABEL_ARGS, scratch: noScratch },
  crossEntropyIndex: { args: SOFTMAX_ARGS, scratch: regionRows },
  crossEntropyIndexWithRegion: { args: SOFTMAX_ARGS, scratch: regionRows },
  crossEntropyDense: { args: SOFTMAX_ARGS, scratch: tileState },
  focalSoftmax: { args: SOFTMAX_ARGS, scratch: tileState },
  bceLogits: { args: SIGMOID_ARGS, scratch: tileState },
  bceProbabilities: { args: SIGMOID_ARGS, scratch: tileState },
  focalSigmoid: { args: SIGMOID_ARGS, scratch: tileState },
  regionStatsSoftmax: { args: REGION_ARGS, scratch: regionRows },
  regionStatsSigmoid: { args: REGION_ARGS, scratch: regionRows },
  regionStatsProbabilities: { args: REGION_ARGS, scratch: regionRows },
  regionGradSoftmax: { args: REGION_ARGS, scratch: regionRows },
  regionGradSigmoid: { args: REGION_ARGS, scratch: regionRows },
  regionGradProbabilities: { args: REGION_ARGS, scratch: regionRows },
  regionGradSharedSoftmax: { args: REGION_ARGS, scratch: regionRows },
  expArray: { args: ELEMENTWISE_ARGS, scratch: noScratch },
  logArray: { args: ELEMENTWISE_ARGS, scratch: noScratch },
  addScaled: { args: ELEMENTWISE_ARGS, scratch: noScratch },
  firstOutside: { args: RANGE_ARGS, scratch: noScratch },
  confusionScores: { args: CONFUSION_ARGS, scratch: histogram },
  confusionLabels: { args: CONFUSION_ARGS, scratch: histogram },
  lovaszSoftmax: { args: LOVASZ_ARGS, scratch: lovaszTmp },
  lovaszProbabilities: { args: LOVASZ_ARGS, scratch: lovaszTmp },
  lovaszHinge: { args: LOVASZ_ARGS, scratch: lovaszTmp },
} as const;

export type KernelName = keyof typeof KERNELS;
/** A kernel's arguments as TypeScript writes them: every field but the scratch pointer. */
export type KernelArgs<K extends KernelName> = Omit<ArgsOf<(typeof KERNELS)[K]['args']>, 'tmp'>;

export function argsBytes(fields: Fields): number {
  return Object.keys(fields).length * 4;
}

export function scratchBytes(kernel: KernelName, C: number): number {
  return KERNELS[kernel].scratch(C);
}

/** Writes an argument block at `ptr` (little-endian, as wasm reads it). */
export function writeArgs<F extends Fields>(buffer: ArrayBuffer, ptr: number, fields: F, values: ArgsOf<F>): void {
  const view = new DataView(buffer, ptr, argsBytes(fields));
  let at = 0;
  for (const key in fields) {
    const v = values[key];
    if (typeof v !== 'number') throw new Error(`segloss internal: argument ${key} missing`);
    if (fields[key] === 'f32') view.setFloat32(at, v, true);
    else if (fields[key] === 'i32') view.setInt32(at, v, true);
    else view.setUint32(at, v, true);
    at += 4;
  }
}

/** Reads an argument block, as the TypeScript twins do. */
export function readArgs<F extends Fields>(buffer: ArrayBuffer, ptr: number, fields: F): ArgsOf<F> {
  const view = new DataView(buffer, ptr, argsBytes(fields));
  const values: Record<string, number> = {};
  let at = 0;
  for (const key in fields) {
    const type = fields[key];
    values[key] = type === 'f32' ? view.getFloat32(at, true) : type === 'i32' ? view.getInt32(at, true) : view.getUint32(at, true);
    at += 4;
  }
  return values as ArgsOf<F>;
}

/** Bytes a pointer field advances per sample or per block, from C and P (the call's own, in its argument block). */
type Stride = (C: number, P: number) => number;
const ELEMENTS: Stride = (C, P) => 4 * C * P;
const PIXELS: Stride = (_C, P) => 4 * P;
const F64: Stride = () => 8;
const CLASS_STATS: Stride = (C) => 24 * C;
const CLASS_F32: Stride = (C) => 4 * C;
/** A splittable kernel's pointer fields: those indexed by sample, and those indexed by block (its sums). */
export interface Split {
  samples: Record<string, Stride>;
  blocks: Record<string, Stride>;
}
const SOFTMAX_INDEX: Split = {
  samples: { x: ELEMENTS, target: PIXELS, grad: ELEMENTS, losses: PIXELS },
  blocks: { out: F64, stats: CLASS_STATS },
};
const SIGMOID: Split = { samples: { x: ELEMENTS, labels: PIXELS, y: ELEMENTS, grad: ELEMENTS, losses: ELEMENTS }, blocks: { out: F64 } };
const REGION: Split = {
  samples: { x: ELEMENTS, labels: PIXELS, y: ELEMENTS, grad: ELEMENTS, coefA: CLASS_F32, coefB: CLASS_F32 },
  blocks: { stats: CLASS_STATS },
};

/**
 * The kernels a pool may split between threads on block boundaries, and how their pointers advance
 * (0 pointers, absent arrays, stay 0). Every one of them keeps its sums per block (assembly/args.ts), and
 * only the first block of a call may continue a previous call's (carrySample).
 */
export const SPLIT: Partial<Record<KernelName, Split>> = {
  crossEntropyIndex: SOFTMAX_INDEX,
  focalSoftmax: SOFTMAX_INDEX,
  crossEntropyIndexWithRegion: SOFTMAX_INDEX,
  crossEntropyDense: { ...SOFTMAX_INDEX, samples: { ...SOFTMAX_INDEX.samples, target: ELEMENTS } },
  bceLogits: SIGMOID,
  bceProbabilities: SIGMOID,
  focalSigmoid: SIGMOID,
  regionStatsSoftmax: REGION,
  regionStatsSigmoid: REGION,
  regionStatsProbabilities: REGION,
  regionGradSoftmax: REGION,
  regionGradSigmoid: REGION,
  regionGradProbabilities: REGION,
  regionGradSharedSoftmax: REGION,
};
