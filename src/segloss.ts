// The public loss functions. Validation, option defaults, divisors and the per-class finishing of the
// region losses are written once here; the per-pixel work goes to the kernels of either backend.
import type { Kernels } from './kernels.js';
import { Arena, type TypedArray, type TypedArrayConstructor, WasmArray } from './memory.js';
import { TILE } from './fallback/heap.js';
import {
  type BinaryCrossEntropyOptions, type CombinedOptions, type CombinedResult, type CrossEntropyOptions,
  type FocalOptions, type Geometry, type IndexTarget, type Input, type LossName, type LossResult,
  type RegionOptions, type Target, type TargetInput, type TverskyOptions, OPTION_KEYS, badLabel, bool,
  checkKeys, denseHasNoIgnore, filled, geometry, integer, num, oneOf, perClass, requireFinite, targetKind,
} from './options.js';
import { type RegionKind, type RegionSettings, finishRegion } from './region.js';
import { type LovaszHingeOptions, type LovaszSoftmaxOptions, lovaszHinge, lovaszSoftmax } from './lovasz.js';

export type Backend = 'wasm' | 'js';

const REDUCTIONS = ['mean', 'sum', 'none'] as const;
const NO_IGNORE = -1; // any value outside [0, C) once the labels are validated

/** Where a call's gradient goes: a pointer the kernels write, and what the caller gets back. */
interface GradTarget {
  ptr: number;
  length: number;
  /** a Float32Array outside wasm memory that receives a copy */
  copyTo?: Float32Array;
  /** the caller's buffer in wasm memory, written in place */
  inPlace?: Located<Float32Array>;
}

/** An argument's current view and, when it lives in the backend's memory, its byte offset there.
 *  Offsets are taken before a call allocates anything: an allocation may grow the memory, which
 *  detaches earlier views but moves no offset. */
interface Located<T extends TypedArray> {
  view: T;
  at: number;
  source: T | WasmArray<T>;
}

export class Segloss {
  private readonly arena: Arena;

  constructor(
    readonly backend: Backend,
    private readonly kernels: Kernels,
  ) {
    this.arena = new Arena(kernels.memory, kernels.heapBase());
  }

  /** Bytes of linear memory the backend holds now (it grows to the largest call's need, then stays). */
  get memoryBytes(): number {
    return this.kernels.memory.buffer.byteLength;
  }

  /**
   * A typed array in the backend's memory, used in place (no copy) when passed as an input, a
   * target or an `out` gradient buffer. Fill it through `.view`; `free()` it when done.
   */
  alloc<T extends TypedArray>(type: TypedArrayConstructor<T>, length: number): WasmArray<T> {
    const types: unknown[] = [Float32Array, Int32Array, Uint32Array, Int16Array, Uint16Array, Int8Array, Uint8Array];
    if (!types.includes(type)) {
      throw new TypeError(`alloc: type must be Float32Array or an integer typed array constructor, got ${String(type?.name ?? type)}`);
    }
    if (!Number.isInteger(length) || length < 0) {
      throw new RangeError(`alloc: length must be a non-negative integer, got ${length}`);
    }
    const ptr = this.arena.keep(length * type.BYTES_PER_ELEMENT);
    return new WasmArray(this.arena, type, ptr, length);
  }

  /** Softmax cross entropy, PyTorch F.cross_entropy. */
  crossEntropy(input: Input, target: TargetInput, options: CrossEntropyOptions): LossResult {
    const { x: xv, t: tv, g } = this.begin(input, target, options, 'crossEntropy');
    const kind = targetKind(tv, g, xv.length);
    const reduction = oneOf('reduction', options.reduction, REDUCTIONS, 'mean');
    const eps = num('labelSmoothing', options.labelSmoothing, 0, 0, 1);
    const weight = perClass('weight', options.weight, g.C) ?? filled(g.C, 1);
    const a = this.arena;
    const out = a.alloc(32);
    const w = a.putF32(weight);
    if (kind === 'dense') {
      denseHasNoIgnore(options.ignoreIndex);
      const divisor = g.N * g.P; // PyTorch divides probability targets by the pixel count
      const grad = this.gradTarget(options);
      const x = this.place('x');
      const y = this.place('t');
      const losses = reduction === 'none' ? a.alloc(g.N * g.P * 4) : 0;
      const scale = reduction === 'mean' ? 1 / divisor : 1;
      this.kernels.softmaxDense(x, y, w, g.N, g.C, g.P, +g.nhwc, eps, scale, grad.ptr, losses, out, this.scratch(g.C));
      return this.result(out, reduction, divisor, grad, losses, g.N * g.P);
    }
    const ignore = integer('ignoreIndex', options.ignoreIndex, -100);
    const t = this.labels(g.C, ignore, w, out);
    const divisor = a.f64(out, 1)[0]; // sum of weight[t] over the kept pixels
    const grad = this.gradTarget(options);
    const x = this.place('x');
    const losses = reduction === 'none' ? a.alloc(g.N * g.P * 4) : 0;
    const scale = this.scale(reduction, divisor);
    this.kernels.softmaxIndex(x, t, w, g.N, g.C, g.P, +g.nhwc, ignore, eps, 0, 0, scale, grad.ptr, losses, out, this.scratch(g.C), 0, 0);
    return this.result(out, reduction, divisor, grad, losses, g.N * g.P);
  }

  /** Sigmoid binary cross entropy, PyTorch F.binary_cross_entropy_with_logits / F.binary_cross_entropy. */
  binaryCrossEntropy(input: Input, target: TargetInput, options: BinaryCrossEntropyOptions): LossResult {
    const { x, t, g } = this.begin(input, target, options, 'binaryCrossEntropy');
    const kind = targetKind(t, g, x.length);
    const reduction = oneOf('reduction', options.reduction, REDUCTIONS, 'mean');
    const fromLogits = bool('fromLogits', options.fromLogits, true);
    const pw =
      typeof options.posWeight === 'number'
        ? filled(g.C, num('posWeight', options.posWeight, 1, 0))
        : (perClass('posWeight', options.posWeight, g.C, 'channel') ?? filled(g.C, 1));
    const weight = perClass('weight', options.weight, g.C, 'channel') ?? filled(g.C, 1);
    if (!fromLogits) requireFinite('input', x, 0, 1);
    return this.sigmoidFamily(x, t, kind, g, reduction, options, { fromLogits, pw, weight });
  }

  /** Focal loss: sigmoid (torchvision sigmoid_focal_loss) or softmax form. */
  focal(input: Input, target: TargetInput, options: FocalOptions): LossResult {
    const { x: xv, t: tv, g } = this.begin(input, target, options, 'focal');
    const kind = targetKind(tv, g, xv.length);
    const reduction = oneOf('reduction', options.reduction, REDUCTIONS, 'mean');
    const fallback = kind === 'index' && g.C > 1 ? 'softmax' : 'sigmoid';
    const activation = oneOf('activation', options.activation, ['sigmoid', 'softmax'] as const, fallback);
    const gamma = num('gamma', options.gamma, 2, 0);
    if (activation === 'sigmoid') {
      const alpha = num('alpha', options.alpha, 0.25, -Infinity, 1);
      return this.sigmoidFamily(xv, tv, kind, g, reduction, options, { focal: true, gamma, alpha });
    }
    if (kind !== 'index') {
      throw new TypeError("focal: activation 'softmax' needs an index target (an integer typed array)");
    }
    const alpha =
      typeof options.alpha === 'number' ? filled(g.C, num('alpha', options.alpha, 1, 0)) : perClass('alpha', options.alpha, g.C);
    const ignore = integer('ignoreIndex', options.ignoreIndex, -100);
    const a = this.arena;
    const out = a.alloc(32);
    const w = a.putF32(alpha ?? filled(g.C, 1));
    const t = this.labels(g.C, ignore, 0, out);
    const divisor = a.f64(out, 1)[0]; // kept pixels
    const grad = this.gradTarget(options);
    const x = this.place('x');
    const losses = reduction === 'none' ? a.alloc(g.N * g.P * 4) : 0;
    const scale = this.scale(reduction, divisor);
    this.kernels.softmaxIndex(x, t, w, g.N, g.C, g.P, +g.nhwc, ignore, 0, 1, gamma, scale, grad.ptr, losses, out, this.scratch(g.C), 0, 0);
    return this.result(out, reduction, divisor, grad, losses, g.N * g.P);
  }

  /** Soft Dice loss. */
  dice(input: Input, target: TargetInput, options: RegionOptions): LossResult {
    return this.region('dice', input, target, options);
  }

  /** Soft IoU (Jaccard) loss. */
  iou(input: Input, target: TargetInput, options: RegionOptions): LossResult {
    return this.region('iou', input, target, options);
  }

  /** Tversky loss; focal Tversky when gamma != 1. */
  tversky(input: Input, target: TargetInput, options: TverskyOptions): LossResult {
    return this.region('tversky', input, target, options);
  }

  /** Lovász-softmax (Berman et al. 2018; smp LovaszLoss 'multiclass'): src/lovasz.ts. */
  lovaszSoftmax(input: Input, target: TargetInput, options: LovaszSoftmaxOptions): LossResult {
    return lovaszSoftmax(this.kernels, this.arena, input, target, options);
  }

  /** Lovász-hinge (Berman et al. 2018; smp LovaszLoss 'binary'): src/lovasz.ts. */
  lovaszHinge(input: Input, target: TargetInput, options: LovaszHingeOptions): LossResult {
    return lovaszHinge(this.kernels, this.arena, input, target, options);
  }

  /** Weighted sum of losses over the same input, e.g. 0.5 crossEntropy + 0.5 dice. */
  combined(input: Input, target: TargetInput, options: CombinedOptions): CombinedResult {
    checkKeys(options ?? {}, ['shape', 'layout', 'reduction', 'grad', 'out', 'ignoreIndex', 'terms'], 'combined');
    const x = this.locate(input, 'input');
    geometry(x.view, options, 'combined');
    const reduction = oneOf('reduction', options.reduction, ['mean', 'sum'] as const, 'mean');
    const out = options.out === undefined ? undefined : this.locate(options.out, 'out');
    const wantGrad = bool('grad', options.grad, out !== undefined);
    if (out) checkOut(out, x, wantGrad);
    const terms = options.terms;
    if (!Array.isArray(terms) || terms.length === 0) {
      throw new TypeError('combined: terms must be a non-empty array of { loss, weight, ...options }');
    }
    const shared = { shape: options.shape, layout: options.layout, reduction };
    const parsed = terms.map((t, i) => {
      if (t === null || typeof t !== 'object' || !(t.loss in OPTION_KEYS)) {
        throw new TypeError(
          `terms[${i}].loss must be one of ${Object.keys(OPTION_KEYS).join(', ')}, got ${String(t?.loss)}`,
        );
      }
      const { loss: name, weight, classWeight, ...own } = t;
      const termOptions = { ...shared, ...own } as Record<string, unknown>;
      if (classWeight !== undefined) termOptions.weight = classWeight;
      if (options.ignoreIndex !== undefined) termOptions.ignoreIndex ??= options.ignoreIndex;
      return { name: name as LossName, factor: num(`terms[${i}].weight`, weight, 1), options: termOptions, own };
    });
    const shareable = wantGrad && this.sharedSoftmax(parsed, target);
    if (shareable) return this.crossEntropyWithRegion(input, target, shareable, out?.source);
    const n = x.view.length;
    // the sum of the terms' gradients and each term's own live in kept blocks, above which every
    // term's call places its arrays; out is the sum itself when it lives in this memory
    const a = this.arena;
    const sum = !wantGrad ? 0 : out && out.at >= 0 ? out.at : a.keep(4 * n);
    const term = wantGrad ? new WasmArray(a, Float32Array, a.keep(4 * n), n) : undefined;
    if (sum) a.f32(sum, n).fill(0);
    let total = 0;
    const values: number[] = [];
    try {
      parsed.forEach(({ name, factor, options: termOptions }) => {
        if (term) termOptions.out = term;
        else termOptions.grad = false;
        const value = this[name](input, target, termOptions as never).loss as number;
        values.push(value);
        total += factor * value;
        if (term) this.kernels.addScaled(sum, term.ptr, n, factor);
      });
      if (!wantGrad) return { loss: total, terms: values };
      if (out && out.at >= 0) return { loss: total, terms: values, grad: out.source instanceof WasmArray ? out.source.view : a.f32(sum, n) };
      const grad = out ? out.view : new Float32Array(n);
      grad.set(a.f32(sum, n));
      return { loss: total, terms: values, grad };
    } finally {
      term?.free();
      if (sum && !(out && out.at >= 0)) a.release(sum);
    }
  }

  /** Cross entropy and one softmax region loss on an index target can share one softmax. */
  private sharedSoftmax(
    terms: { name: LossName; factor: number; options: Record<string, unknown>; own: Record<string, unknown> }[],
    target: TargetInput,
  ) {
    if (terms.length !== 2) return undefined;
    const ce = terms.find((t) => t.name === 'crossEntropy');
    const region = terms.find((t) => t.name === 'dice' || t.name === 'iou' || t.name === 'tversky');
    if (!ce || !region) return undefined;
    const dense = (target instanceof WasmArray ? target.type : target.constructor) === Float32Array;
    const C = (region.options.layout === 'NHWC' ? (region.options.shape as number[]).at(-1) : (region.options.shape as number[])[1]) ?? 0;
    const own = (t: typeof ce) => ['shape', 'layout', 'reduction', 'grad', 'out'].some((k) => k in t.own);
    const activation = region.options.activation ?? (C > 1 ? 'softmax' : 'sigmoid');
    const ignore = region.options.ignoreIndex;
    if (dense || own(ce) || own(region) || activation !== 'softmax' || C < 2) return undefined;
    if (ignore !== undefined && ignore !== (ce.options.ignoreIndex ?? -100)) return undefined;
    return { ce, region, order: terms.map((t) => t.name) };
  }

  /**
   * Cross entropy plus a region loss in two passes over the logits instead of four: the cross-entropy
   * kernel also sums the region statistics from its softmax, and the region gradient recomputes the
   * softmax and adds itself to the cross-entropy gradient in place. Same bits as the separate terms.
   */
  private crossEntropyWithRegion(
    input: Input, target: TargetInput,
    { ce, region, order }: NonNullable<ReturnType<Segloss['sharedSoftmax']>>,
    out?: Float32Array | WasmArray,
  ): CombinedResult {
    const kind = region.name as RegionKind;
    const { x: xv, t: tv, g } = this.begin(input, target, { ...ce.options, out, grad: true }, 'crossEntropy');
    checkKeys(region.options, OPTION_KEYS[kind], kind);
    if (targetKind(tv, g, xv.length) !== 'index') throw new TypeError('combined: shared softmax needs an index target');
    const reduction = oneOf('reduction', ce.options.reduction, ['mean', 'sum'] as const, 'mean');
    const eps = num('labelSmoothing', ce.options.labelSmoothing, 0, 0, 1);
    const weight = perClass('weight', ce.options.weight, g.C) ?? filled(g.C, 1);
    const ignore = integer('ignoreIndex', ce.options.ignoreIndex, -100);
    const { settings } = regionSettings(kind, region.options as unknown as RegionOptions & TverskyOptions, g);
    const a = this.arena;
    const sums = a.alloc(32);
    const w = a.putF32(weight);
    // validity as the region term sees it: without its own ignoreIndex no label may equal CE's
    const t = this.labels(g.C, region.options.ignoreIndex === undefined ? undefined : ignore, w, sums);
    const divisor = a.f64(sums, 1)[0];
    const grad = this.gradTarget({ grad: true });
    const x = this.place('x');
    const stats = a.alloc(g.N * g.C * 24);
    const tmp = this.scratch(g.C);
    const scale = this.scale(reduction, divisor);
    this.kernels.softmaxIndex(x, t, w, g.N, g.C, g.P, +g.nhwc, ignore, eps, 0, 0, scale, grad.ptr, 0, sums, tmp, stats, +settings.squared);
    const sum = a.f64(sums, 1)[0];
    const ceLoss = reduction === 'sum' ? sum : divisor > 0 ? sum / divisor : 0;
    const done = finishRegion(a.f64(stats, g.N * g.C * 3), g.N, g.C, settings);
    const coefA = a.putF32(done.coefA);
    const coefB = a.putF32(done.coefB);
    this.kernels.regionGrad(grad.ptr, t, 0, g.N, g.C, g.P, +g.nhwc, 0, 0, ignore, +settings.squared, coefA, coefB, tmp, x, ce.factor, region.factor);
    const values = order.map((name) => (name === 'crossEntropy' ? ceLoss : (done.loss as number)));
    const factors = order.map((name) => (name === 'crossEntropy' ? ce.factor : region.factor));
    return { loss: 0 + factors[0] * values[0] + factors[1] * values[1], terms: values, grad: this.gradOf(grad) };
  }

  // ---- shared plumbing ----

  private begin(input: Input, target: TargetInput, options: object, what: LossName) {
    const xl = this.locate(input, 'input');
    const g = geometry(xl.view, options as never, what);
    checkKeys(options, OPTION_KEYS[what], what);
    const tl = this.locate(target, 'target');
    const out = (options as { out?: Float32Array | WasmArray }).out;
    this.where = { x: xl, t: tl, out: out === undefined ? undefined : this.locate(out, 'out') };
    this.arena.reset();
    return { x: xl.view, t: tl.view, g };
  }

  /** The arguments of the call in progress, located before anything was allocated. */
  private where!: { x: Located<Float32Array>; t: Located<TypedArray>; out?: Located<Float32Array> };

  private locate<T extends TypedArray>(source: T | WasmArray<T>, name: string): Located<T> {
    if (source instanceof WasmArray) {
      if (source.isFreed) throw new TypeError(`${name} is a WasmArray that was freed`);
      return { view: source.view, at: source.ptr, source };
    }
    return { view: source, at: ArrayBuffer.isView(source) ? this.arena.offsetOf(source) : -1, source };
  }

  /** The pointer of the call's input (`x`) or dense target (`t`): in place, else a copy. */
  private place(which: 'x' | 't'): number {
    const l = this.where[which];
    return l.at >= 0 ? l.at : this.arena.putF32(l.view);
  }

  private scale(reduction: string, divisor: number): number {
    return reduction === 'mean' ? (divisor > 0 ? 1 / divisor : 0) : 1;
  }

  /** Scratch for the kernels' per-tile state (assembly/common.ts): up to 12 slots of TILE pixels,
   *  then per class 96 bytes of f64 sums and, for region losses, two slots. */
  private scratch(C: number): number {
    const slot = TILE * 4;
    return this.arena.alloc(12 * slot + C * (96 + 2 * slot));
  }

  /** Places and validates an index map; out[0] = divisor (sum of weight[t], or kept count when w == 0). */
  private labels(limit: number, ignore: number | undefined, w: number, out: number): number {
    const l = this.where.t;
    const count = l.view.length;
    const t = l.at >= 0 && l.view instanceof Int32Array ? l.at : this.arena.putI32(l.view);
    const has = ignore !== undefined;
    this.kernels.labelScan(t, count, limit, has ? ignore : 0, +has, w, out);
    const [, , bad, first] = this.arena.f64(out, 4);
    if (bad > 0) throw badLabel(first, new Int32Array(this.arena.memory.buffer, t, count)[first], limit, ignore);
    return t;
  }

  /** The gradient's destination: none, the caller's `out` in place or by copy, or a new array. */
  private gradTarget(options: { grad?: boolean }): GradTarget {
    const { x, out } = this.where;
    const want = bool('grad', options.grad, out !== undefined);
    const length = x.view.length;
    if (!out) return { ptr: want ? this.arena.alloc(length * 4) : 0, length };
    checkOut(out, x, want);
    if (out.at >= 0) return { ptr: out.at, length, inPlace: out };
    return { ptr: this.arena.alloc(length * 4), length, copyTo: out.view };
  }

  private result(
    out: number, reduction: string, divisor: number, grad: GradTarget, losses: number, lossLength: number,
  ): LossResult {
    const a = this.arena;
    const sum = a.f64(out, 1)[0];
    let loss: number | Float32Array;
    if (reduction === 'none') loss = a.f32(losses, lossLength).slice();
    else if (reduction === 'sum') loss = sum;
    else loss = divisor > 0 ? sum / divisor : 0; // all pixels ignored: 0 and a zero gradient
    return grad.ptr ? { loss, grad: this.gradOf(grad) } : { loss };
  }

  private gradOf(grad: GradTarget): Float32Array {
    const view = this.arena.f32(grad.ptr, grad.length);
    if (grad.inPlace) return grad.inPlace.source instanceof WasmArray ? grad.inPlace.source.view : view;
    if (!grad.copyTo) return view.slice();
    grad.copyTo.set(view);
    return grad.copyTo;
  }

  private sigmoidFamily(
    input: Float32Array, target: Target, kind: 'index' | 'dense', g: Geometry, reduction: string,
    options: { grad?: boolean; out?: Float32Array | WasmArray; ignoreIndex?: number },
    p: { fromLogits?: boolean; pw?: Float32Array; weight?: Float32Array; focal?: boolean; gamma?: number; alpha?: number },
  ): LossResult {
    const a = this.arena;
    const out = a.alloc(32);
    const pw = a.putF32(p.pw ?? filled(g.C, 1));
    const w = a.putF32(p.weight ?? filled(g.C, 1));
    let t = 0;
    let y = 0;
    let ignore = NO_IGNORE;
    let divisor = input.length;
    if (kind === 'index') {
      // focal ignores -100 by default, as PyTorch's losses do; BCE has no ignore by default
      const fallback = p.focal ? -100 : undefined;
      const chosen = options.ignoreIndex === undefined ? fallback : integer('ignoreIndex', options.ignoreIndex, 0);
      if (chosen !== undefined) ignore = chosen;
      t = this.labels(Math.max(g.C, 2), chosen, 0, out);
      divisor = a.f64(out, 2)[1] * g.C; // kept elements
    } else {
      denseHasNoIgnore(options.ignoreIndex);
      y = this.place('t');
    }
    const grad = this.gradTarget(options);
    const x = this.place('x');
    const losses = reduction === 'none' ? a.alloc(input.length * 4) : 0;
    this.kernels.sigmoidLoss(
      x, t, y, pw, w, g.N, g.C, g.P, +g.nhwc, g.C === 1 ? 1 : 0, ignore,
      +(p.fromLogits ?? true), +(p.focal ?? false), p.gamma ?? 0, p.alpha ?? 0, this.scale(reduction, divisor),
      grad.ptr, losses, out, this.scratch(g.C),
    );
    return this.result(out, reduction, divisor, grad, losses, input.length);
  }

  private region(kind: RegionKind, input: Input, target: TargetInput, options: RegionOptions | TverskyOptions): LossResult {
    const { x: xv, t: tv, g } = this.begin(input, target, options, kind);
    const tk = targetKind(tv, g, xv.length);
    const o = options as RegionOptions & TverskyOptions;
    const { activation, settings } = regionSettings(kind, o, g);
    const a = this.arena;
    let t = 0;
    let y = 0;
    let ignore = NO_IGNORE;
    const labelOffset = activation !== 'softmax' && g.C === 1 ? 1 : 0;
    if (tk === 'index') {
      const has = o.ignoreIndex !== undefined;
      ignore = integer('ignoreIndex', o.ignoreIndex, NO_IGNORE);
      t = this.labels(labelOffset ? 2 : g.C, has ? ignore : undefined, 0, a.alloc(32));
    } else {
      denseHasNoIgnore(o.ignoreIndex);
      y = this.place('t');
    }
    const grad = this.gradTarget(o);
    const x = this.place('x');
    const act = activation === 'softmax' ? 0 : activation === 'sigmoid' ? 1 : 2;
    const stats = a.alloc(g.N * g.C * 24);
    const tmp = this.scratch(g.C);
    this.kernels.regionStats(x, t, y, g.N, g.C, g.P, +g.nhwc, act, labelOffset, ignore, +settings.squared, grad.ptr, stats, tmp);
    const done = finishRegion(a.f64(stats, g.N * g.C * 3), g.N, g.C, settings);
    if (!grad.ptr) return { loss: done.loss };
    const coefA = a.putF32(done.coefA);
    const coefB = a.putF32(done.coefB);
    this.kernels.regionGrad(grad.ptr, t, y, g.N, g.C, g.P, +g.nhwc, act, labelOffset, ignore, +settings.squared, coefA, coefB, tmp, 0, 0, 0);
    return { loss: done.loss, grad: this.gradOf(grad) };
  }
}

function regionSettings(kind: RegionKind, o: RegionOptions & TverskyOptions, g: Geometry) {
  const activation = oneOf('activation', o.activation, ['softmax', 'sigmoid', 'none'] as const, g.C > 1 ? 'softmax' : 'sigmoid');
  const settings: RegionSettings = {
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
  return { activation, settings };
}

function checkOut(out: Located<Float32Array>, input: Located<Float32Array>, wantGrad: boolean): void {
  if (!(out.view instanceof Float32Array)) throw new TypeError('out must be a Float32Array or a Float32Array WasmArray');
  if (!wantGrad) throw new TypeError('out is given with grad: false');
  const n = input.view.length;
  if (out.view.length !== n) throw new RangeError(`out must have the input's length ${n}, got ${out.view.length}`);
  const sameMemory = out.at >= 0 && input.at >= 0;
  const sameArray = out.view.buffer === input.view.buffer && out.view.byteOffset === input.view.byteOffset;
  if ((sameMemory && out.at < input.at + 4 * n && input.at < out.at + 4 * n) || (n > 0 && sameArray)) {
    throw new RangeError('out must not overlap input');
  }
}
