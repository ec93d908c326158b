// Segmentation metrics from confusion counts: mmsegmentation's IoUMetric (aAcc, mAcc, mIoU, mDice, and
// per-class IoU, Dice, precision, recall) plus frequency-weighted IoU. A ConfusionMatrix holds exact
// integer counts, so matrices of any split of a dataset (batches, Workers, machines, slabs of a volume)
// merge into the matrix of one pass. The counting runs in the kernels (assembly/metrics.ts and its
// TypeScript twin); validation and the metrics are here.
import { CONFUSION_ARGS, argsBytes, scratchBytes, writeArgs } from './abi.js';
import type { Kernels } from './kernels.js';
import type { Arena, TypedArray, WasmArray } from './memory.js';
import { type Arg, checkKeys, locate } from './call.js';
import { type IndexTarget, type Layout, badLabel } from './options.js';
import { checkInteger, checkNumber, checkOneOf, show } from './schema.js';

export interface ConfusionMatrixOptions {
  /** Scores: [N, C, ...S] (NCHW) or [N, ...S, C] (NHWC). Label predictions: [N, ...S]. */
  shape: readonly number[];
  /** Layout of score predictions (default 'NCHW'); label predictions and targets are [N, ...S]. */
  layout?: Layout;
  /** Target label that counts nowhere. No default: without it every label must be in [0, numClasses). */
  ignoreIndex?: number;
  /** C = 1 scores only: foreground where score > threshold (default 0: sigmoid > 0.5 for logits). */
  threshold?: number;
  /** Label predictions: the number of classes (required). Scores: C (or 2 when C = 1), if given. */
  numClasses?: number;
  /** true: one matrix per sample (an array of N); false (default): one matrix for the batch. */
  perSample?: boolean;
}

/** A matrix as JSON: what `toJSON` writes and `ConfusionMatrix.fromJSON` reads. */
export interface ConfusionMatrixJSON {
  numClasses: number;
  /** numClasses² counts, row = target class, column = predicted class. */
  counts: number[];
}

/** Scores (Float32Array) or predicted labels (an integer typed array), possibly kept in wasm memory. */
export type Prediction = Float32Array | IndexTarget | WasmArray<Float32Array> | WasmArray<IndexTarget>;
export type LabelMap = IndexTarget | WasmArray<IndexTarget>;

/** Largest class count: the kernels keep a K x K histogram of u32 per call. */
export const MAX_CLASSES = 4096;

function checkClasses(what: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw new TypeError(`${what} must be an integer, got ${show(value)}`);
  }
  if (value < 1 || value > MAX_CLASSES) {
    throw new RangeError(`${what} must be in [1, ${MAX_CLASSES}], got ${value}`);
  }
  return value;
}

/** Mean of the entries that are not NaN; NaN when all are. */
function nanMean(v: Float64Array): number {
  let sum = 0;
  let n = 0;
  for (const x of v) {
    if (Number.isNaN(x)) continue;
    sum += x;
    n++;
  }
  return n ? sum / n : NaN;
}

/**
 * Confusion counts of a segmentation: `counts[t * numClasses + p]` pixels of target class t were
 * predicted as p. Counts are exact integers (up to 2^53). Per-class metrics are NaN where their
 * denominator is 0; the means skip NaN classes.
 */
export class ConfusionMatrix {
  readonly numClasses: number;
  readonly counts: Float64Array;

  /** A matrix of `numClasses` classes: all zero, or a copy of `counts` (numClasses² integers >= 0). */
  constructor(numClasses: number, counts?: ArrayLike<number>) {
    const K = checkClasses('numClasses', numClasses);
    this.numClasses = K;
    this.counts = new Float64Array(K * K);
    if (counts === undefined) return;
    if (counts === null || typeof counts !== 'object' || typeof counts.length !== 'number') {
      throw new TypeError(`counts must be an array of ${K * K} numbers, got ${show(counts)}`);
    }
    if (counts.length !== K * K) {
      throw new RangeError(`counts must hold numClasses² = ${K * K} numbers, got ${counts.length}`);
    }
    for (let i = 0; i < K * K; i++) {
      const v = counts[i];
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > Number.MAX_SAFE_INTEGER) {
        throw new RangeError(`counts[${i}] must be an integer in [0, 2^53), got ${show(v)}`);
      }
      this.counts[i] = v;
    }
  }

  /** A matrix from `toJSON` output (from a Worker, a file, another machine), validated. */
  static fromJSON(json: unknown): ConfusionMatrix {
    if (typeof json === 'string') json = JSON.parse(json);
    if (json === null || typeof json !== 'object' || Array.isArray(json)) {
      throw new TypeError(`ConfusionMatrix.fromJSON: expected { numClasses, counts }, got ${show(json)}`);
    }
    checkKeys(json, ['numClasses', 'counts'], 'ConfusionMatrix.fromJSON');
    const { numClasses, counts } = json as Partial<ConfusionMatrixJSON>;
    if (!Array.isArray(counts)) {
      throw new TypeError(`ConfusionMatrix.fromJSON: counts must be an array of numbers, got ${show(counts)}`);
    }
    return new ConfusionMatrix(numClasses as number, counts);
  }

  toJSON(): ConfusionMatrixJSON {
    return { numClasses: this.numClasses, counts: Array.from(this.counts) };
  }

  /** A new matrix holding the sum of both. */
  merge(other: ConfusionMatrix): ConfusionMatrix {
    if (!(other instanceof ConfusionMatrix)) {
      throw new TypeError(`merge: other must be a ConfusionMatrix, got ${show(other)}`);
    }
    if (other.numClasses !== this.numClasses) {
      throw new RangeError(`merge: matrices of ${this.numClasses} and ${other.numClasses} classes cannot merge`);
    }
    const sum = new ConfusionMatrix(this.numClasses);
    for (let i = 0; i < sum.counts.length; i++) {
      const v = this.counts[i] + other.counts[i];
      if (v > Number.MAX_SAFE_INTEGER) throw new RangeError(`merge: counts[${i}] would exceed 2^53 - 1`);
      sum.counts[i] = v;
    }
    return sum;
  }

  /** Pixels of each target class (row sums). */
  targetPixels(): Float64Array {
    const K = this.numClasses;
    const out = new Float64Array(K);
    for (let t = 0; t < K; t++) for (let p = 0; p < K; p++) out[t] += this.counts[t * K + p];
    return out;
  }

  /** Pixels predicted as each class (column sums). */
  predictedPixels(): Float64Array {
    const K = this.numClasses;
    const out = new Float64Array(K);
    for (let t = 0; t < K; t++) for (let p = 0; p < K; p++) out[p] += this.counts[t * K + p];
    return out;
  }

  /** Counted pixels. */
  total(): number {
    let s = 0;
    for (const v of this.counts) s += v;
    return s;
  }

  private perClass(f: (tp: number, target: number, predicted: number) => number): Float64Array {
    const K = this.numClasses;
    const target = this.targetPixels();
    const predicted = this.predictedPixels();
    return Float64Array.from({ length: K }, (_, c) => f(this.counts[c * K + c], target[c], predicted[c]));
  }

  /** TP / (TP + FP + FN) per class. */
  iou(): Float64Array {
    return this.perClass((tp, t, p) => tp / (t + p - tp));
  }

  /** 2 TP / (2 TP + FP + FN) per class. */
  dice(): Float64Array {
    return this.perClass((tp, t, p) => (2 * tp) / (t + p));
  }

  /** TP / (TP + FP) per class. */
  precision(): Float64Array {
    return this.perClass((tp, _t, p) => tp / p);
  }

  /** TP / (TP + FN) per class (mmsegmentation's per-class Acc). */
  recall(): Float64Array {
    return this.perClass((tp, t) => tp / t);
  }

  /** Mean IoU over the classes whose IoU is not NaN (mIoU); NaN when all are. */
  meanIoU(): number {
    return nanMean(this.iou());
  }

  /** Mean Dice over the classes whose Dice is not NaN (mDice). */
  meanDice(): number {
    return nanMean(this.dice());
  }

  /** Correct pixels / counted pixels (aAcc); NaN when nothing was counted. */
  pixelAccuracy(): number {
    const K = this.numClasses;
    let trace = 0;
    for (let c = 0; c < K; c++) trace += this.counts[c * K + c];
    return trace / this.total();
  }

  /** Mean recall over the classes present in the target (mAcc). */
  meanAccuracy(): number {
    return nanMean(this.recall());
  }

  /** Σ over classes with target pixels of (their share of the counted pixels) · IoU; NaN when none. */
  frequencyWeightedIoU(): number {
    const total = this.total();
    if (total === 0) return NaN;
    const target = this.targetPixels();
    const iou = this.iou();
    let s = 0;
    for (let c = 0; c < this.numClasses; c++) if (target[c] > 0) s += (target[c] / total) * iou[c];
    return s;
  }
}

const OPTION_KEYS = ['shape', 'layout', 'ignoreIndex', 'threshold', 'numClasses', 'perSample'];
const INDEX_TYPES = [Uint8Array, Int8Array, Uint16Array, Int16Array, Int32Array, Uint32Array];
const isIndex = (type: unknown): boolean => INDEX_TYPES.includes(type as never);


/** Places labels for the kernel: u8 and i32 in place when they live in memory, others as i32 copies. */
function placeLabels(arena: Arena, l: Arg, name: string, limit: number, ignore: number | undefined): { ptr: number; bytes: number } {
  const bytes = l.type === Uint8Array ? 1 : 4;
  if (l.at >= 0 && (l.type === Uint8Array || l.type === Int32Array)) return { ptr: l.at, bytes };
  if (l.type === Uint32Array) {
    // labels of 2^31 and above would wrap to negative i32s: report them as they are
    const v = l.view as Uint32Array;
    for (let i = 0; i < v.length; i++) {
      if (v[i] > 0x7fffffff) throw name === 'target' ? badLabel(i, v[i], limit, ignore) : badPrediction(i, v[i], limit);
    }
  }
  const n = l.length;
  const ptr = arena.alloc(n * bytes);
  const dst = bytes === 1 ? new Uint8Array(arena.memory.buffer, ptr, n) : new Int32Array(arena.memory.buffer, ptr, n);
  dst.set(l.view); // the view is taken after the allocation, which may have grown the memory
  return { ptr, bytes };
}

const badPrediction = (index: number, value: number, K: number) =>
  new RangeError(`prediction[${index}] = ${value} is out of range: predicted labels must be in [0, ${K}) (numClasses ${K})`);

const f32bits = new Float32Array(1);
const i32bits = new Int32Array(f32bits.buffer);
/** The largest f32 t' <= t: for every f32 x, x > t exactly when x > t'. */
function thresholdF32(t: number): number {
  const r = Math.fround(t);
  if (r <= t) return r;
  f32bits[0] = r;
  if (r > 0) i32bits[0] -= 1;
  else if (r < 0) i32bits[0] += 1;
  else i32bits[0] = 0x80000001 | 0; // -smallest subnormal
  return f32bits[0];
}

function dims(shape: unknown, min: number, what: string): number[] {
  if (!Array.isArray(shape) || shape.length < min) {
    throw new TypeError(`shape must be an array ${what} of at least ${min} dims, got ${show(shape)}`);
  }
  shape.forEach((d, i) => {
    if (typeof d !== 'number' || !Number.isInteger(d) || d < 0) {
      throw new RangeError(`shape[${i}] must be a non-negative integer, got ${show(d)}`);
    }
  });
  return shape as number[];
}

/**
 * The confusion matrix of `prediction` against `target` (see ConfusionMatrixOptions), one for the batch
 * or one per sample. Runs the confusion kernel of the given backend in its arena.
 */
export function confusionMatrix(
  kernels: Kernels, arena: Arena, prediction: Prediction, target: LabelMap, options: ConfusionMatrixOptions,
): ConfusionMatrix | ConfusionMatrix[] {
  if (options === null || typeof options !== 'object') {
    throw new TypeError(`confusionMatrix: options with a 'shape' are required, got ${show(options)}`);
  }
  checkKeys(options, OPTION_KEYS, 'confusionMatrix');
  const x = locate(arena, prediction, 'prediction');
  const t = locate(arena, target, 'target');
  const scores = x.type === Float32Array;
  if (!scores && !isIndex(x.type)) {
    throw new TypeError(`prediction must be a Float32Array of scores or an integer typed array of predicted labels, got ${x.shown}`);
  }
  const layout = options.layout === undefined ? 'NCHW' : checkOneOf('layout', options.layout, ['NCHW', 'NHWC'] as const);
  let N: number;
  let C: number;
  let P: number;
  let K: number;
  if (scores) {
    const shape = dims(options.shape, 2, '[N, C, ...spatial] (NCHW) or [N, ...spatial, C] (NHWC)');
    const nhwc = layout === 'NHWC';
    N = shape[0];
    C = nhwc ? shape[shape.length - 1] : shape[1];
    if (C < 1) throw new RangeError(`shape: the class dimension C must be >= 1, got ${C} in ${show(shape)}`);
    P = (nhwc ? shape.slice(1, -1) : shape.slice(2)).reduce((a, b) => a * b, 1);
    K = C === 1 ? 2 : C;
    if (N * C * P !== x.length) {
      throw new RangeError(
        `prediction length ${x.length} does not match shape ${show(shape)} (${layout}), which holds ${N * C * P} scores`,
      );
    }
    if (options.numClasses !== undefined && options.numClasses !== K) {
      throw new RangeError(
        `numClasses ${show(options.numClasses)} does not match the scores: C = ${C} gives ${K} classes` +
          ' (numClasses is for label predictions; it may be left out with scores)',
      );
    }
    if (options.threshold !== undefined && C !== 1) {
      throw new TypeError(`threshold applies to scores with C = 1 only, got threshold ${show(options.threshold)} with C = ${C}`);
    }
    if (K > MAX_CLASSES) throw new RangeError(`confusionMatrix: at most ${MAX_CLASSES} classes, got C = ${C}`);
  } else {
    if (options.numClasses === undefined) {
      throw new TypeError('numClasses is required with label predictions (an integer typed array prediction)');
    }
    K = checkClasses('numClasses', options.numClasses);
    if (options.threshold !== undefined) {
      throw new TypeError(`threshold applies to score predictions only, got threshold ${show(options.threshold)} with labels`);
    }
    const shape = dims(options.shape, 1, '[N, ...spatial] (label predictions)');
    N = shape[0];
    C = 1;
    P = shape.slice(1).reduce((a, b) => a * b, 1);
    if (N * P !== x.length) {
      throw new RangeError(
        `prediction length ${x.length} does not match shape ${show(shape)}, which holds ${N * P} labels`,
      );
    }
  }
  if (!isIndex(t.type)) {
    throw new TypeError(`target must be an integer typed array of labels [N, ...spatial], got ${t.shown}`);
  }
  if (t.length !== N * P) {
    throw new RangeError(`target must hold N*P = ${N * P} labels, got ${t.length}`);
  }
  const hasIgnore = options.ignoreIndex !== undefined;
  const ignore = hasIgnore ? checkInteger('ignoreIndex', options.ignoreIndex) : 0;
  const threshold = thresholdF32(options.threshold === undefined ? 0 : checkNumber('threshold', options.threshold));
  if (options.perSample !== undefined && typeof options.perSample !== 'boolean') {
    throw new TypeError(`perSample must be a boolean, got ${show(options.perSample)}`);
  }
  const perSample = options.perSample ?? false;
  if (N * P > 2 ** 53) throw new RangeError(`confusionMatrix: ${N * P} pixels is more than 2^53`);

  arena.reset();
  const blocks = perSample ? N : 1;
  const args = arena.alloc(argsBytes(CONFUSION_ARGS));
  const stats = arena.alloc(32);
  const counts = arena.alloc(blocks * K * K * 8);
  const tmp = arena.alloc(scratchBytes('confusionScores', K));
  let xp: number;
  let predBytes = 4;
  if (scores) {
    if (x.at >= 0) xp = x.at;
    else {
      xp = arena.alloc(x.length * 4);
      new Float32Array(arena.memory.buffer, xp, x.length).set(x.view);
    }
  } else {
    const placed = placeLabels(arena, x, 'prediction', K, undefined);
    xp = placed.ptr;
    predBytes = placed.bytes;
  }
  const tp = placeLabels(arena, t, 'target', K, hasIgnore ? ignore : undefined);
  // no unsigned label can equal a negative ignoreIndex, whatever its i32 copy reads
  const unsigned = t.type === Uint8Array || t.type === Uint16Array || t.type === Uint32Array;
  const ignores = hasIgnore && !(unsigned && ignore < 0);
  writeArgs(arena.memory.buffer, args, CONFUSION_ARGS, {
    x: xp, target: tp.ptr, N, C, P, nhwc: +(layout === 'NHWC'), K,
    ignore: ignores ? ignore : 0, hasIgnore: +ignores, targetBytes: tp.bytes, predBytes,
    threshold, perSample: +perSample, counts, stats, tmp,
  });
  if (scores) kernels.confusionScores(args);
  else kernels.confusionLabels(args);
  const [badTargets, firstTarget, badPredictions, firstPrediction] = arena.f64(stats, 4);
  if (badTargets > 0) {
    throw badLabel(firstTarget, t.view[firstTarget], K, hasIgnore ? ignore : undefined);
  }
  if (badPredictions > 0) throw badPrediction(firstPrediction, x.view[firstPrediction], K);
  const all = arena.f64(counts, blocks * K * K);
  const matrices = Array.from({ length: blocks }, (_, n) => new ConfusionMatrix(K, all.subarray(n * K * K, (n + 1) * K * K)));
  return perSample ? matrices : matrices[0];
}
