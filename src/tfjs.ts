// segloss/tfjs: every segloss loss as a TensorFlow.js loss function, `(yTrue, yPred) => tf.Scalar`, with its
// exact gradient through tf.customGrad. TensorFlow.js is not imported here: the caller passes its own `tf`,
// so the main package keeps no dependency on it.
//
// The loss runs on the CPU side: it reads the prediction with dataSync(), calls segloss (wasm or JS), and
// hands the gradient back as a tensor. So it works with any tfjs backend (cpu, wasm, webgl, webgpu, node),
// at the price of one download of yPred and one upload of the gradient per step on GPU backends.
import type { Segloss } from './segloss.js';
import type { IndexTarget, Layout, Target } from './options.js';
import { LOSS_NAMES, type LossName, type LossOptions } from './losses/index.js';
import type { CombinedOptions } from './losses/combined.js';

/** The part of a tf.Tensor the bridge reads. */
export interface TensorLike {
  readonly shape: number[];
  readonly dtype: string;
  dataSync(): ArrayLike<number> | unknown[];
}

/**
 * The part of the TensorFlow.js namespace the bridge calls: pass `tf` itself (`import * as tf from
 * '@tensorflow/tfjs'`, or tfjs-core with any backend).
 */
export interface TfLike<T extends TensorLike = TensorLike> {
  // `prototype` lets TypeScript infer the caller's tensor type from `tf.Tensor`.
  Tensor: { prototype: T };
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  customGrad(f: (...args: any[]) => any): (...args: any[]) => any;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  tensor(values: Float32Array, shape: number[], dtype: 'float32'): any;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  scalar(value: number, dtype: 'float32'): any;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  mul(a: any, b: any): any;
}

/** A Keras / TF.js loss: yTrue first, a scalar out. Usable in model.compile({ loss }) and tf.variableGrads. */
export type TfLoss<T extends TensorLike = TensorLike> = (yTrue: T, yPred: T) => T;

/** The bridge takes the shape from yPred and always computes the gradient: no `shape`, no `grad`. */
type Bridged<O> = Omit<O, 'shape' | 'grad' | 'layout' | 'reduction'> & {
  /** 'NHWC' (default, TF.js order: yPred is [N, ...S, C]) or 'NCHW' ([N, C, ...S]). */
  layout?: Layout;
  /** 'mean' (default) or 'sum'. A Keras loss is a scalar, so there is no 'none'. */
  reduction?: 'mean' | 'sum';
};

export type TfLossOptions<N extends LossName> = Bridged<LossOptions<N>>;
export type TfCrossEntropyOptions = TfLossOptions<'crossEntropy'>;
export type TfBinaryCrossEntropyOptions = TfLossOptions<'binaryCrossEntropy'>;
export type TfFocalOptions = TfLossOptions<'focal'>;
export type TfRegionOptions = TfLossOptions<'dice'>;
export type TfTverskyOptions = TfLossOptions<'tversky'>;
export type TfCombinedOptions = Bridged<CombinedOptions>;

/** One TF.js loss factory per registered loss, and combined. */
export type TfjsLosses<T extends TensorLike = TensorLike> = {
  [N in LossName]: (options?: TfLossOptions<N>) => TfLoss<T>;
} & { combined(options: TfCombinedOptions): TfLoss<T> };

/**
 * TensorFlow.js losses computed by segloss.
 *
 *     import * as tf from '@tensorflow/tfjs';
 *     import { init } from 'segloss';
 *     import { tfjsLosses } from 'segloss/tfjs';
 *     const losses = tfjsLosses(tf, await init());
 *     model.compile({ optimizer: 'adam', loss: losses.combined({ terms: [
 *       { loss: 'crossEntropy', weight: 0.5 }, { loss: 'dice', weight: 0.5, squared: false }] }) });
 *
 * yPred holds logits (or probabilities where the loss's options say so), NHWC [N, ...S, C] by default.
 * yTrue is either an index map [N, ...S] or [N, ...S, 1] (int32, or float32 holding integers), or a dense
 * target shaped like yPred (one-hot, soft labels, masks), which takes segloss's dense path.
 */
export function tfjsLosses<T extends TensorLike>(tf: TfLike<T>, seg: Segloss): TfjsLosses<T> {
  if (tf === null || typeof tf !== 'object' && typeof tf !== 'function') {
    throw new TypeError('tfjsLosses(tf, seg): pass the TensorFlow.js namespace as tf');
  }
  for (const fn of ['customGrad', 'tensor', 'scalar', 'mul'] as const) {
    if (typeof tf[fn] !== 'function') {
      throw new TypeError(`tfjsLosses(tf, seg): tf.${fn} is missing; pass the TensorFlow.js namespace as tf`);
    }
  }
  if (seg === null || typeof seg !== 'object' || typeof seg.combined !== 'function') {
    throw new TypeError('tfjsLosses(tf, seg): pass the segloss instance from `await init()` as seg');
  }
  const make = (name: LossName | 'combined', options: Record<string, unknown> = {}): TfLoss<T> => {
    if (options === null || typeof options !== 'object') {
      throw new TypeError(`${name}: options must be an object, got ${String(options)}`);
    }
    for (const key of ['shape', 'grad'] as const) {
      if (key in options) {
        throw new TypeError(`${name}: '${key}' is not an option of the TF.js bridge (shape comes from yPred; the gradient is always exact)`);
      }
    }
    if (options.reduction === 'none') {
      throw new TypeError(`${name}: reduction 'none' is not available in the TF.js bridge (a Keras loss is a scalar); use 'mean' or 'sum'`);
    }
    const layout = (options.layout ?? 'NHWC') as Layout;
    if (layout !== 'NHWC' && layout !== 'NCHW') {
      throw new TypeError(`${name}: layout must be 'NHWC' or 'NCHW', got ${JSON.stringify(layout)}`);
    }
    const loss = (yTrue: T, yPred: T): T => {
      checkTensor('yPred', yPred);
      checkTensor('yTrue', yTrue);
      if (yPred.dtype !== 'float32') throw new TypeError(`${name}: yPred must be float32, got ${yPred.dtype}`);
      const shape = [...yPred.shape];
      const target = toTarget(yTrue, shape, layout, name);
      const call = { ...options, shape, layout, grad: true };
      const forward = tf.customGrad((pred: T, save: (tensors: unknown[]) => void) => {
        const x = toFloat32(pred.dataSync());
        const r =
          name === 'combined'
            ? seg.combined(x, target, call as unknown as CombinedOptions)
            : (seg[name] as (...a: unknown[]) => { loss: number | Float32Array; grad?: Float32Array })(x, target, call);
        const grad = tf.tensor(r.grad as Float32Array, shape, 'float32');
        save([grad]);
        return {
          value: tf.scalar(r.loss as number, 'float32'),
          // d(loss)/d(yPred) scaled by the incoming gradient (a scalar: the loss is a scalar)
          gradFunc: (dy: unknown, saved: unknown[]) => [tf.mul(dy, saved[0])],
        };
      });
      return forward(yPred) as T;
    };
    Object.defineProperty(loss, 'name', { value: `segloss_${name}` });
    return loss;
  };
  const losses = {} as Record<string, (options?: object) => TfLoss<T>>;
  for (const name of LOSS_NAMES) losses[name] = (options?: object) => make(name, options as Record<string, unknown>);
  losses.combined = (options?: object) => {
    if (options === undefined) throw new TypeError('combined: options with terms are required');
    return make('combined', options as Record<string, unknown>);
  };
  return losses as unknown as TfjsLosses<T>;
}

function checkTensor(what: string, t: TensorLike): void {
  if (t === null || typeof t !== 'object' || !Array.isArray(t.shape) || typeof t.dataSync !== 'function') {
    throw new TypeError(`${what} must be a tf.Tensor, got ${String(t)}`);
  }
}

const sameShape = (a: readonly number[], b: readonly number[]): boolean =>
  a.length === b.length && a.every((d, i) => d === b[i]);

const show = (s: readonly number[]): string => `[${s.join(', ')}]`;

/** yTrue as segloss's target: dense when shaped like yPred, else an Int32Array index map. With one
 *  channel, a yTrue shaped like yPred ([N, ...S, 1], as model.fit passes it) is an index map when it
 *  is int32 or holds whole numbers only, and dense (soft labels) otherwise. */
function toTarget(yTrue: TensorLike, shape: number[], layout: Layout, name: string): Target {
  const nhwc = layout === 'NHWC';
  const C = nhwc ? shape[shape.length - 1] : shape[1];
  if (sameShape(yTrue.shape, shape)) {
    const data = yTrue.dataSync() as ArrayLike<number>;
    if (C !== 1 || !(yTrue.dtype === 'int32' || Array.prototype.every.call(data, (v: number) => Number.isInteger(v)))) {
      return toFloat32(data);
    }
  }
  const labels = nhwc ? shape.slice(0, -1) : [shape[0], ...shape.slice(2)];
  const withUnit = nhwc ? [...labels, 1] : [shape[0], 1, ...shape.slice(2)];
  if (!sameShape(yTrue.shape, labels) && !sameShape(yTrue.shape, withUnit)) {
    throw new RangeError(
      `${name}: yTrue of shape ${show(yTrue.shape)} fits neither yPred ${show(shape)} (${layout}), as a dense ` +
        `target, nor ${show(labels)} or ${show(withUnit)}, as an index map`,
    );
  }
  const data = yTrue.dataSync() as ArrayLike<number>;
  if (data instanceof Int32Array) return data as IndexTarget;
  const out = new Int32Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const v = Number(data[i]);
    if (!Number.isInteger(v) || Math.abs(v) > 2 ** 31 - 1) {
      throw new RangeError(`${name}: yTrue[${i}] = ${v} is not an integer class label (index map of shape ${show(yTrue.shape)})`);
    }
    out[i] = v;
  }
  return out;
}

function toFloat32(data: ArrayLike<number> | unknown[]): Float32Array {
  return data instanceof Float32Array ? data : Float32Array.from(data as ArrayLike<number>, Number);
}

// ---- metrics --------------------------------------------------------------------------------------

export interface TfMeanIoUOptions {
  /** Classes: C of yPred (2 when C = 1) for scores, which it must equal if given; required for int32 label predictions. */
  numClasses?: number;
  /** Target label that counts nowhere (e.g. 255). */
  ignoreIndex?: number;
  /** 'NHWC' (default, TF.js order) or 'NCHW'. */
  layout?: Layout;
  /** C = 1 scores: foreground where yPred > threshold (default 0, for logits; 0.5 for probabilities). */
  threshold?: number;
}

/** A Keras / TF.js metric: yTrue first, a scalar out. */
export type TfMetric<T extends TensorLike = TensorLike> = (yTrue: T, yPred: T) => T;

/**
 * Mean IoU as a TensorFlow.js metric, for `model.compile({ metrics: [meanIoU(tf, seg, { ignoreIndex: 255 })] })`,
 * like Keras's `MeanIoU`, with an ignore label. yPred: scores [N, ...S, C] (argmax over C; C = 1: > threshold)
 * or int32 labels [N, ...S] with `numClasses`. yTrue: labels [N, ...S] or [N, ...S, 1] (int32, or float32 holding
 * integers), or one-hot shaped like yPred, as model.fit needs it (its argmax is the label; a row with no
 * positive entry, which tf.oneHot gives an out-of-range label, is an ignored pixel when ignoreIndex is set).
 *
 * Each call computes the batch's confusion matrix with segloss and returns its mean IoU over the classes
 * present in the batch's target or prediction (0 when there are none, as Keras does). TF.js averages a
 * metric over the batches of `fit`/`evaluate`; for the dataset-level mIoU, merge per-batch matrices from
 * `seg.confusionMatrix` instead.
 */
export function meanIoU<T extends TensorLike>(
  // `Tensor` lets TypeScript infer the caller's tensor type from `tf.Tensor`, as in TfLike
  tf: { Tensor: { prototype: T }; scalar(value: number, dtype: 'float32'): unknown },
  seg: Segloss,
  options: TfMeanIoUOptions = {},
): TfMetric<T> {
  if (tf === null || (typeof tf !== 'object' && typeof tf !== 'function') || typeof tf.scalar !== 'function') {
    throw new TypeError('meanIoU(tf, seg, options): pass the TensorFlow.js namespace as tf');
  }
  if (seg === null || typeof seg !== 'object' || typeof seg.confusionMatrix !== 'function') {
    throw new TypeError('meanIoU(tf, seg, options): pass the segloss instance from `await init()` as seg');
  }
  if (options === null || typeof options !== 'object') {
    throw new TypeError(`meanIoU: options must be an object, got ${String(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (!['numClasses', 'ignoreIndex', 'layout', 'threshold'].includes(key)) {
      throw new TypeError(`meanIoU: unknown option '${key}' (allowed: numClasses, ignoreIndex, layout, threshold)`);
    }
  }
  const layout = options.layout ?? 'NHWC';
  if (layout !== 'NHWC' && layout !== 'NCHW') {
    throw new TypeError(`meanIoU: layout must be 'NHWC' or 'NCHW', got ${JSON.stringify(layout)}`);
  }
  const metric = (yTrue: T, yPred: T): T => {
    checkTensor('yPred', yPred);
    checkTensor('yTrue', yTrue);
    const shape = [...yPred.shape];
    const nhwc = layout === 'NHWC';
    let prediction: Float32Array | Int32Array;
    let labelShape: number[];
    let scores = true;
    if (yPred.dtype === 'float32') {
      prediction = toFloat32(yPred.dataSync());
      labelShape = nhwc ? shape.slice(0, -1) : [shape[0], ...shape.slice(2)];
    } else if (yPred.dtype === 'int32') {
      prediction = yPred.dataSync() as Int32Array;
      labelShape = shape;
      scores = false;
    } else {
      throw new TypeError(`meanIoU: yPred must be float32 scores or int32 labels, got ${yPred.dtype}`);
    }
    const C = scores ? (nhwc ? shape[shape.length - 1] : shape[1]) : 0;
    let target: Int32Array;
    if (scores && C > 1 && sameShape(yTrue.shape, shape)) {
      target = argmaxLabels(yTrue.dataSync() as ArrayLike<number>, shape, nhwc, options.ignoreIndex);
    } else {
      const withUnit = nhwc ? [...labelShape, 1] : [labelShape[0], 1, ...labelShape.slice(1)];
      if (!sameShape(yTrue.shape, labelShape) && !sameShape(yTrue.shape, withUnit)) {
        throw new RangeError(
          `meanIoU: yTrue of shape ${show(yTrue.shape)} fits neither ${show(labelShape)} nor ${show(withUnit)}` +
            (scores && C > 1 ? ` (labels) nor yPred's ${show(shape)} (one-hot)` : ' (labels)'),
        );
      }
      target = toLabels(yTrue.dataSync() as ArrayLike<number>, yTrue.shape);
    }
    const m = seg.confusionMatrix(prediction, target, {
      shape: scores ? shape : labelShape,
      layout: scores ? layout : undefined,
      ignoreIndex: options.ignoreIndex,
      threshold: options.threshold,
      numClasses: options.numClasses,
    });
    const v = m.meanIoU();
    return tf.scalar(Number.isNaN(v) ? 0 : v, 'float32') as T;
  };
  Object.defineProperty(metric, 'name', { value: 'meanIoU' });
  return metric;
}

/** Labels of a one-hot (or soft) target: the first maximum of each pixel's C values; `ignore` where none is positive. */
function argmaxLabels(data: ArrayLike<number>, shape: number[], nhwc: boolean, ignore: number | undefined): Int32Array {
  const N = shape[0];
  const C = nhwc ? shape[shape.length - 1] : shape[1];
  const P = data.length / (N * C);
  const out = new Int32Array(N * P);
  for (let n = 0; n < N; n++)
    for (let i = 0; i < P; i++) {
      const at = (c: number) => data[nhwc ? (n * P + i) * C + c : (n * C + c) * P + i];
      let best = 0;
      for (let c = 1; c < C; c++) if (at(c) > at(best)) best = c;
      out[n * P + i] = ignore !== undefined && !(at(best) > 0) ? ignore : best;
    }
  return out;
}

function toLabels(data: ArrayLike<number>, shape: readonly number[]): Int32Array {
  if (data instanceof Int32Array) return data;
  const out = new Int32Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const v = Number(data[i]);
    if (!Number.isInteger(v) || Math.abs(v) > 2 ** 31 - 1) {
      throw new RangeError(`meanIoU: yTrue[${i}] = ${v} is not an integer class label (labels of shape ${show(shape)})`);
    }
    out[i] = v;
  }
  return out;
}
