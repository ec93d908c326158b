// The public loss functions. Validation, option defaults, divisors and the per-class finishing of the
// region losses are written once here; the per-pixel work goes to the kernels of either backend.
import type { Kernels } from './kernels.js';
import { Arena } from './memory.js';
import { TILE } from './fallback/heap.js';
import {
  type BinaryCrossEntropyOptions, type CombinedOptions, type CombinedResult, type CrossEntropyOptions,
  type FocalOptions, type Geometry, type IndexTarget, type LossName, type LossResult, type RegionOptions,
  type Target, type TverskyOptions, OPTION_KEYS, badLabel, bool, checkKeys, filled, geometry, integer, num,
  oneOf, perClass, requireFinite, targetKind,
} from './options.js';
import { type RegionKind, finishRegion } from './region.js';

export type Backend = 'wasm' | 'js';

const REDUCTIONS = ['mean', 'sum', 'none'] as const;
const NO_IGNORE = -1; // any value outside [0, C) once the labels are validated

export class Segloss {
  private readonly arena: Arena;

  constructor(
    readonly backend: Backend,
    private readonly kernels: Kernels,
  ) {
    this.arena = new Arena(kernels.memory, kernels.heapBase());
  }

  /** Bytes of linear memory the backend holds now (it only grows to the largest call's need). */
  get memoryBytes(): number {
    return this.kernels.memory.buffer.byteLength;
  }

  /** Softmax cross entropy, PyTorch F.cross_entropy. */
  crossEntropy(input: Float32Array, target: Target, options: CrossEntropyOptions): LossResult {
    const g = this.begin(input, options, 'crossEntropy');
    const kind = targetKind(target, g, input.length);
    const reduction = oneOf('reduction', options.reduction, REDUCTIONS, 'mean');
    const eps = num('labelSmoothing', options.labelSmoothing, 0, 0, 1);
    const weight = perClass('weight', options.weight, g.C) ?? filled(g.C, 1);
    const wantGrad = bool('grad', options.grad, false);
    const a = this.arena;
    const x = a.putF32(input);
    const w = a.putF32(weight);
    const out = a.alloc(32);
    if (kind === 'dense') {
      if (options.ignoreIndex !== undefined) {
        throw new TypeError(`ignoreIndex applies to index targets only, got ${options.ignoreIndex} with a dense target`);
      }
      const divisor = g.N * g.P; // PyTorch divides probability targets by the pixel count
      const { scale, grad, losses } = this.outputs(g, reduction, wantGrad, divisor, input.length, g.N * g.P);
      const y = a.putF32(target as Float32Array);
      this.kernels.softmaxDense(x, y, w, g.N, g.C, g.P, +g.nhwc, eps, scale, grad, losses, out, this.scratch(g.C));
      return this.result(out, reduction, divisor, grad, losses, input.length, g.N * g.P);
    }
    const ignore = integer('ignoreIndex', options.ignoreIndex, -100);
    const t = this.labels(target as IndexTarget, g.C, ignore, w, out);
    const divisor = a.f64(out, 1)[0]; // sum of weight[t] over the kept pixels
    const { scale, grad, losses } = this.outputs(g, reduction, wantGrad, divisor, input.length, g.N * g.P);
    this.kernels.softmaxIndex(x, t, w, g.N, g.C, g.P, +g.nhwc, ignore, eps, 0, 0, scale, grad, losses, out, this.scratch(g.C));
    return this.result(out, reduction, divisor, grad, losses, input.length, g.N * g.P);
  }

  /** Sigmoid binary cross entropy, PyTorch F.binary_cross_entropy_with_logits / F.binary_cross_entropy. */
  binaryCrossEntropy(input: Float32Array, target: Target, options: BinaryCrossEntropyOptions): LossResult {
    const g = this.begin(input, options, 'binaryCrossEntropy');
    const kind = targetKind(target, g, input.length);
    const reduction = oneOf('reduction', options.reduction, REDUCTIONS, 'mean');
    const fromLogits = bool('fromLogits', options.fromLogits, true);
    const pw =
      typeof options.posWeight === 'number'
        ? filled(g.C, num('posWeight', options.posWeight, 1, 0))
        : (perClass('posWeight', options.posWeight, g.C, 'channel') ?? filled(g.C, 1));
    const weight = perClass('weight', options.weight, g.C, 'channel') ?? filled(g.C, 1);
    if (!fromLogits) requireFinite('input', input, 0, 1);
    return this.sigmoidFamily(input, target, kind, g, reduction, options, { fromLogits, pw, weight });
  }

  /** Focal loss: sigmoid (torchvision sigmoid_focal_loss) or softmax form. */
  focal(input: Float32Array, target: Target, options: FocalOptions): LossResult {
    const g = this.begin(input, options, 'focal');
    const kind = targetKind(target, g, input.length);
    const reduction = oneOf('reduction', options.reduction, REDUCTIONS, 'mean');
    const fallback = kind === 'index' && g.C > 1 ? 'softmax' : 'sigmoid';
    const activation = oneOf('activation', options.activation, ['sigmoid', 'softmax'] as const, fallback);
    const gamma = num('gamma', options.gamma, 2, 0);
    if (activation === 'sigmoid') {
      const alpha = num('alpha', options.alpha, 0.25, -Infinity, 1);
      return this.sigmoidFamily(input, target, kind, g, reduction, options, { focal: true, gamma, alpha });
    }
    if (kind !== 'index') {
      throw new TypeError("focal: activation 'softmax' needs an index target (an integer typed array)");
    }
    const alpha =
      typeof options.alpha === 'number' ? filled(g.C, num('alpha', options.alpha, 1, 0)) : perClass('alpha', options.alpha, g.C);
    const wantGrad = bool('grad', options.grad, false);
    const ignore = integer('ignoreIndex', options.ignoreIndex, -100);
    const a = this.arena;
    const x = a.putF32(input);
    const w = a.putF32(alpha ?? filled(g.C, 1));
    const out = a.alloc(32);
    const t = this.labels(target as IndexTarget, g.C, ignore, 0, out);
    const divisor = a.f64(out, 1)[0]; // kept pixels
    const { scale, grad, losses } = this.outputs(g, reduction, wantGrad, divisor, input.length, g.N * g.P);
    this.kernels.softmaxIndex(x, t, w, g.N, g.C, g.P, +g.nhwc, ignore, 0, 1, gamma, scale, grad, losses, out, this.scratch(g.C));
    return this.result(out, reduction, divisor, grad, losses, input.length, g.N * g.P);
  }

  /** Soft Dice loss. */
  dice(input: Float32Array, target: Target, options: RegionOptions): LossResult {
    return this.region('dice', input, target, options);
  }

  /** Soft IoU (Jaccard) loss. */
  iou(input: Float32Array, target: Target, options: RegionOptions): LossResult {
    return this.region('iou', input, target, options);
  }

  /** Tversky loss; focal Tversky when gamma != 1. */
  tversky(input: Float32Array, target: Target, options: TverskyOptions): LossResult {
    return this.region('tversky', input, target, options);
  }

  /** Weighted sum of losses over the same input, e.g. 0.5 crossEntropy + 0.5 dice. */
  combined(input: Float32Array, target: Target, options: CombinedOptions): CombinedResult {
    checkKeys(options ?? {}, ['shape', 'layout', 'reduction', 'grad', 'ignoreIndex', 'terms'], 'combined');
    geometry(input, options, 'combined');
    const reduction = oneOf('reduction', options.reduction, ['mean', 'sum'] as const, 'mean');
    const wantGrad = bool('grad', options.grad, false);
    const terms = options.terms;
    if (!Array.isArray(terms) || terms.length === 0) {
      throw new TypeError('combined: terms must be a non-empty array of { loss, weight, ...options }');
    }
    const shared = { shape: options.shape, layout: options.layout, reduction, grad: wantGrad };
    let total = 0;
    const values: number[] = [];
    const sum = wantGrad ? new Float32Array(input.length) : undefined;
    terms.forEach((term, i) => {
      if (term === null || typeof term !== 'object' || !(term.loss in OPTION_KEYS)) {
        throw new TypeError(
          `terms[${i}].loss must be one of ${Object.keys(OPTION_KEYS).join(', ')}, got ${String(term?.loss)}`,
        );
      }
      const { loss: name, weight, ...own } = term;
      const factor = num(`terms[${i}].weight`, weight, 1);
      const termOptions = { ...shared, ...own } as Record<string, unknown>;
      if (options.ignoreIndex !== undefined && OPTION_KEYS[name as LossName].includes('ignoreIndex')) {
        termOptions.ignoreIndex ??= options.ignoreIndex;
      }
      const r = this[name as LossName](input, target, termOptions as never);
      const value = r.loss as number;
      values.push(value);
      total += factor * value;
      if (sum && r.grad) {
        const f = Math.fround(factor);
        for (let j = 0; j < sum.length; j++) sum[j] += Math.fround(f * r.grad[j]);
      }
    });
    return sum ? { loss: total, terms: values, grad: sum } : { loss: total, terms: values };
  }

  // ---- shared plumbing ----

  private begin(input: Float32Array, options: object, what: LossName): Geometry {
    const g = geometry(input, options as never, what);
    checkKeys(options, OPTION_KEYS[what], what);
    this.arena.reset();
    return g;
  }

  /** Scratch for the kernels' per-tile state (assembly/common.ts): 10 slots of TILE pixels plus,
   *  for region losses, per class 96 bytes of f64 sums and a slot. */
  private scratch(C: number): number {
    const slot = TILE * 4;
    return this.arena.alloc(10 * slot + 32 + C * (96 + slot));
  }

  /** Copies and validates an index map; out[0] = divisor (sum of weight[t], or kept count when w == 0). */
  private labels(target: IndexTarget, limit: number, ignore: number | undefined, w: number, out: number): number {
    const t = this.arena.putI32(target);
    const has = ignore !== undefined;
    this.kernels.labelScan(t, target.length, limit, has ? ignore : 0, +has, w, out);
    const [, , bad, first] = this.arena.f64(out, 4);
    if (bad > 0) throw badLabel(target, first, limit, ignore);
    return t;
  }

  private outputs(
    g: Geometry, reduction: string, wantGrad: boolean, divisor: number, gradLength: number, lossLength: number,
  ): { scale: number; grad: number; losses: number } {
    const scale = reduction === 'mean' ? (divisor > 0 ? 1 / divisor : 0) : 1;
    const grad = wantGrad ? this.arena.alloc(gradLength * 4) : 0;
    const losses = reduction === 'none' ? this.arena.alloc(lossLength * 4) : 0;
    void g;
    return { scale, grad, losses };
  }

  private result(
    out: number, reduction: string, divisor: number, grad: number, losses: number, gradLength: number,
    lossLength: number,
  ): LossResult {
    const a = this.arena;
    const sum = a.f64(out, 1)[0];
    let loss: number | Float32Array;
    if (reduction === 'none') loss = a.f32(losses, lossLength).slice();
    else if (reduction === 'sum') loss = sum;
    else loss = divisor > 0 ? sum / divisor : 0; // all pixels ignored: 0 and a zero gradient
    return grad ? { loss, grad: a.f32(grad, gradLength).slice() } : { loss };
  }

  private sigmoidFamily(
    input: Float32Array, target: Target, kind: 'index' | 'dense', g: Geometry, reduction: string,
    options: { grad?: boolean; ignoreIndex?: number },
    p: { fromLogits?: boolean; pw?: Float32Array; weight?: Float32Array; focal?: boolean; gamma?: number; alpha?: number },
  ): LossResult {
    const wantGrad = bool('grad', options.grad, false);
    const a = this.arena;
    const x = a.putF32(input);
    const pw = a.putF32(p.pw ?? filled(g.C, 1));
    const w = a.putF32(p.weight ?? filled(g.C, 1));
    const out = a.alloc(32);
    let t = 0;
    let y = 0;
    let ignore = NO_IGNORE;
    let divisor = input.length;
    if (kind === 'index') {
      // focal ignores -100 by default, as PyTorch's losses do; BCE has no ignore by default
      const fallback = p.focal ? -100 : undefined;
      const chosen = options.ignoreIndex === undefined ? fallback : integer('ignoreIndex', options.ignoreIndex, 0);
      if (chosen !== undefined) ignore = chosen;
      t = this.labels(target as IndexTarget, Math.max(g.C, 2), chosen, 0, out);
      divisor = a.f64(out, 2)[1] * g.C; // kept elements
    } else {
      if (options.ignoreIndex !== undefined) {
        throw new TypeError(`ignoreIndex applies to index targets only, got ${options.ignoreIndex} with a dense target`);
      }
      y = a.putF32(target as Float32Array);
    }
    const { scale, grad, losses } = this.outputs(g, reduction, wantGrad, divisor, input.length, input.length);
    this.kernels.sigmoidLoss(
      x, t, y, pw, w, g.N, g.C, g.P, +g.nhwc, g.C === 1 ? 1 : 0, ignore,
      +(p.fromLogits ?? true), +(p.focal ?? false), p.gamma ?? 0, p.alpha ?? 0, scale, grad, losses, out,
      this.scratch(g.C),
    );
    return this.result(out, reduction, divisor, grad, losses, input.length, input.length);
  }

  private region(kind: RegionKind, input: Float32Array, target: Target, options: RegionOptions | TverskyOptions): LossResult {
    const g = this.begin(input, options, kind);
    const tk = targetKind(target, g, input.length);
    const o = options as RegionOptions & TverskyOptions;
    const activation = oneOf('activation', o.activation, ['softmax', 'sigmoid', 'none'] as const, g.C > 1 ? 'softmax' : 'sigmoid');
    const settings = {
      kind,
      reduction: oneOf('reduction', o.reduction, REDUCTIONS, 'mean'),
      squared: kind === 'tversky' ? false : bool('squared', o.squared, true),
      sn: num('smoothNumerator', o.smoothNumerator, 0),
      sd: num('smoothDenominator', o.smoothDenominator, 1e-6),
      perSample: bool('perSample', o.perSample, true),
      includeBackground: bool('includeBackground', o.includeBackground, true),
      weight: perClass('weight', o.weight, g.C),
      alpha: kind === 'tversky' ? num('alpha', o.alpha, 0.5, 0) : 0,
      beta: kind === 'tversky' ? num('beta', o.beta, 0.5, 0) : 0,
      gamma: kind === 'tversky' ? num('gamma', o.gamma, 1, 0) : 1,
    };
    if (!settings.includeBackground && g.C < 2) {
      throw new RangeError(`includeBackground: false needs C >= 2 classes, got C = ${g.C}`);
    }
    const wantGrad = bool('grad', o.grad, false);
    const a = this.arena;
    const x = a.putF32(input);
    let t = 0;
    let y = 0;
    let ignore = NO_IGNORE;
    const labelOffset = activation !== 'softmax' && g.C === 1 ? 1 : 0;
    if (tk === 'index') {
      const has = o.ignoreIndex !== undefined;
      ignore = integer('ignoreIndex', o.ignoreIndex, NO_IGNORE);
      const scratch = a.alloc(32);
      t = this.labels(target as IndexTarget, labelOffset ? 2 : g.C, has ? ignore : undefined, 0, scratch);
    } else {
      if (o.ignoreIndex !== undefined) {
        throw new TypeError(`ignoreIndex applies to index targets only, got ${o.ignoreIndex} with a dense target`);
      }
      y = a.putF32(target as Float32Array);
    }
    const act = activation === 'softmax' ? 0 : activation === 'sigmoid' ? 1 : 2;
    const grad = wantGrad ? a.alloc(input.length * 4) : 0;
    const stats = a.alloc(g.N * g.C * 24);
    const tmp = this.scratch(g.C);
    this.kernels.regionStats(x, t, y, g.N, g.C, g.P, +g.nhwc, act, labelOffset, ignore, +settings.squared, grad, stats, tmp);
    const done = finishRegion(a.f64(stats, g.N * g.C * 3), g.N, g.C, settings);
    if (!grad) return { loss: done.loss };
    const coefA = a.putF32(done.coefA);
    const coefB = a.putF32(done.coefB);
    this.kernels.regionGrad(grad, t, y, g.N, g.C, g.P, +g.nhwc, act, labelOffset, ignore, +settings.squared, coefA, coefB, tmp);
    return { loss: done.loss, grad: a.f32(grad, input.length).slice() };
  }
}
