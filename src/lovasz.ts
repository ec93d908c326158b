// Lovász-softmax and Lovász-hinge (Berman et al. 2018; smp's LovaszLoss): validation and memory
// placement here, the work in one kernel call (assembly/lovasz.ts, or its twin src/fallback/lovasz.ts).
import { LOVASZ_ARGS, type ArgsOf, argsBytes, scratchBytes, writeArgs } from './abi.js';
import { type Arg, checkKeys, checkOut, locate } from './call.js';
import type { Kernels } from './kernels.js';
import type { Arena, WasmArray } from './memory.js';
import {
  type Geometry, type IndexTarget, type Input, type Layout, type LossResult, type TargetInput, badLabel, geometry, targetKind,
} from './options.js';
import { checkInteger, checkOneOf, show } from './schema.js';

/** Options of `lovaszSoftmax`. */
export interface LovaszSoftmaxOptions {
  /** [N, C, ...S] for NCHW, [N, ...S, C] for NHWC. */
  shape: readonly number[];
  layout?: Layout;
  /** 'softmax' (default): the input is logits; 'none': the input is probabilities. */
  activation?: 'softmax' | 'none';
  /** 'present' (default): the classes present among the kept pixels; 'all'; or a list of class indices. */
  classes?: 'present' | 'all' | readonly number[];
  /** false (default): the batch is one problem; true: the mean over images of each image's loss. */
  perImage?: boolean;
  /** Label of the pixels dropped before sorting. None by default. */
  ignoreIndex?: number;
  /** 'mean' (default): the mean over classes (and images); 'sum': their sum. */
  reduction?: 'mean' | 'sum';
  /** Also return d(loss)/d(input). Default: true when `out` is given, else false. */
  grad?: boolean;
  /** Where the gradient goes: used in place when it lives in the backend's memory, else filled by copy. */
  out?: Float32Array | WasmArray<Float32Array>;
}

/** Options of `lovaszHinge`. */
export interface LovaszHingeOptions {
  shape: readonly number[];
  layout?: Layout;
  /** false (default, as smp): the batch is one problem per channel; true: the mean over images. */
  perImage?: boolean;
  /** Index targets only: label of the pixels dropped before sorting. None by default. */
  ignoreIndex?: number;
  /** 'mean' (default): the mean over channels (and images); 'sum': their sum. */
  reduction?: 'mean' | 'sum';
  grad?: boolean;
  out?: Float32Array | WasmArray<Float32Array>;
}

export const LOVASZ_SOFTMAX_KEYS = ['shape', 'layout', 'activation', 'classes', 'perImage', 'ignoreIndex', 'reduction', 'grad', 'out'];
export const LOVASZ_HINGE_KEYS = ['shape', 'layout', 'perImage', 'ignoreIndex', 'reduction', 'grad', 'out'];

const NO_IGNORE = -1; // outside [0, C) once the labels are validated
const LIMIT = 2 ** 31 - 1; // pixels per problem: the sort keeps a foreground bit in bit 31 of a pixel index

interface Call {
  kernels: Kernels;
  arena: Arena;
  x: Arg<Float32Array>;
  t: Arg;
  out?: Arg<Float32Array>;
  g: Geometry;
  wantGrad: boolean;
}

function bool(name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new TypeError(`${name} must be a boolean, got ${show(value)}`);
  return value;
}

function oneOf<const T extends string>(name: string, value: unknown, allowed: readonly T[], fallback: T): T {
  return value === undefined ? fallback : checkOneOf(name, value, allowed);
}

function begin(
  kernels: Kernels, arena: Arena, input: Input, target: TargetInput, options: object, what: string, keys: string[],
): Call {
  if (options === null || typeof options !== 'object') {
    throw new TypeError(`${what}: options with a 'shape' are required, got ${show(options)}`);
  }
  checkKeys(options, keys, what);
  const x = locate(arena, input, 'input') as Arg<Float32Array>;
  if (x.type !== Float32Array) throw new TypeError(`input must be a Float32Array, got ${x.shown}`);
  const g = geometry(x.length, options, what);
  const t = locate(arena, target, 'target');
  const o = options as { out?: unknown; grad?: unknown };
  const out = o.out === undefined ? undefined : (locate(arena, o.out, 'out') as Arg<Float32Array>);
  const wantGrad = bool('grad', o.grad, out !== undefined);
  if (out) checkOut(out, x, t, wantGrad);
  if (g.N * g.P > LIMIT) {
    throw new RangeError(`${what}: at most ${LIMIT} pixels per problem, got shape ${show(g.shape)}`);
  }
  arena.reset();
  return { kernels, arena, x, t, out, g, wantGrad };
}

/** Validates an index map (labels in [0, limit) or ignore) and places it as i32. */
function placeLabels(c: Call, limit: number, ignore: number | undefined): number {
  const src = c.t.view as IndexTarget;
  for (let i = 0; i < src.length; i++) {
    const v = src[i];
    if (v === ignore) continue;
    if (!(v >= 0 && v < limit)) throw badLabel(i, v, limit, ignore);
  }
  if (c.t.at >= 0 && c.t.type === Int32Array) return c.t.at;
  const n = c.t.length;
  const ptr = c.arena.alloc(n * 4);
  new Int32Array(c.arena.memory.buffer, ptr, n).set(c.t.view as IndexTarget); // the view is re-derived after the allocation
  return ptr;
}

function placeF32(c: Call, l: Arg): number {
  if (l.at >= 0) return l.at;
  const ptr = c.arena.alloc(l.length * 4);
  c.arena.f32(ptr, l.length).set(l.view as Float32Array);
  return ptr;
}

type LovaszKernel = 'lovaszSoftmax' | 'lovaszProbabilities' | 'lovaszHinge';

/** Allocates the work buffers, runs the kernel and collects the loss and the gradient. */
function run(
  c: Call, kernel: LovaszKernel, fields: Pick<ArgsOf<typeof LOVASZ_ARGS>, 'x' | 'labels' | 'y' | 'select' | 'ignore'>,
  perImage: boolean, sum: boolean,
): LossResult {
  const { arena, g } = c;
  const a = arena;
  const n = g.N * g.C * g.P;
  const M = (perImage ? 1 : g.N) * g.P;
  const out = a.alloc(16);
  let grad = 0;
  let copy = false;
  if (c.wantGrad) {
    if (c.out && c.out.at >= 0) grad = c.out.at;
    else {
      grad = a.alloc(n * 4);
      copy = true;
    }
  }
  const probs = kernel === 'lovaszSoftmax' ? a.alloc(g.C * M * 4) : 0;
  const dprobs = c.wantGrad ? a.alloc(g.C * M * 4) : 0;
  const pairs = a.alloc(M * 16);
  const tmp = a.alloc(scratchBytes(kernel, g.C));
  const args = a.alloc(argsBytes(LOVASZ_ARGS));
  writeArgs(a.memory.buffer, args, LOVASZ_ARGS, {
    ...fields, N: g.N, C: g.C, P: g.P, nhwc: +g.nhwc, perImage: +perImage, sum: +sum,
    grad, out, probs, dprobs, pairs, tmp,
  });
  c.kernels[kernel](args);
  const loss = a.f64(out, 1)[0];
  if (!c.wantGrad) return { loss };
  const result = a.f32(grad, n);
  if (!copy) return { loss, grad: c.out!.view };
  if (c.out) {
    const dst = c.out.view;
    dst.set(result);
    return { loss, grad: dst };
  }
  return { loss, grad: result.slice() };
}

function ignoreOf(options: { ignoreIndex?: unknown }): number | undefined {
  return options.ignoreIndex === undefined ? undefined : checkInteger('ignoreIndex', options.ignoreIndex);
}

/** The per-class selection for the kernel: 1 always, 0 never, 2 when present. */
function selection(classes: unknown, C: number): Int32Array {
  if (classes === undefined || classes === 'present') return new Int32Array(C).fill(2);
  if (classes === 'all') return new Int32Array(C).fill(1);
  if (!Array.isArray(classes) && !(ArrayBuffer.isView(classes) && !(classes instanceof DataView))) {
    throw new TypeError(`classes must be 'present', 'all' or an array of class indices, got ${show(classes)}`);
  }
  const list = classes as ArrayLike<unknown>;
  const sel = new Int32Array(C);
  for (let i = 0; i < list.length; i++) {
    const c = list[i];
    if (typeof c !== 'number' || !Number.isInteger(c) || c < 0 || c >= C) {
      throw new RangeError(`classes[${i}] must be a class index in [0, ${C}), got ${show(c)}`);
    }
    if (sel[c]) throw new RangeError(`classes[${i}] = ${c} is listed twice`);
    sel[c] = 1;
  }
  return sel;
}

/**
 * Lovász-softmax (Berman et al. 2018, smp LovaszLoss('multiclass')): per class, the errors |[t = c] - p_c|
 * of the kept pixels sorted in decreasing order (stable: ties keep pixel order), dotted with the
 * discrete gradient of the Jaccard loss; the mean over the chosen classes (and over images with perImage).
 */
export function lovaszSoftmax(
  kernels: Kernels, arena: Arena, input: Input, target: TargetInput, options: LovaszSoftmaxOptions,
): LossResult {
  const c = begin(kernels, arena, input, target, options, 'lovaszSoftmax', LOVASZ_SOFTMAX_KEYS);
  const { g } = c;
  if (targetKind(c.t, g, c.x.length) !== 'index') {
    throw new TypeError('lovaszSoftmax: target must be an index map (an integer typed array), got a Float32Array');
  }
  const activation = oneOf('activation', options.activation, ['softmax', 'none'] as const, 'softmax');
  const sel = selection(options.classes, g.C);
  const perImage = bool('perImage', options.perImage, false);
  const sum = oneOf('reduction', options.reduction, ['mean', 'sum'] as const, 'mean') === 'sum';
  const ignore = ignoreOf(options);
  const labels = placeLabels(c, g.C, ignore);
  const select = arena.alloc(g.C * 4);
  new Int32Array(arena.memory.buffer, select, g.C).set(sel);
  const x = placeF32(c, c.x);
  const kernel = activation === 'softmax' ? 'lovaszSoftmax' : 'lovaszProbabilities';
  return run(c, kernel, { x, labels, y: 0, select, ignore: ignore ?? NO_IGNORE }, perImage, sum);
}

/**
 * Lovász-hinge (Berman et al. 2018, smp LovaszLoss('binary')) on logits: errors 1 - x (2y - 1) sorted in
 * decreasing order (stable), relu(errors) dotted with the Jaccard gradient; each channel its own problem,
 * the mean over channels (and over images with perImage). Targets: dense 0/1 Float32Array shaped like the
 * input, or an index map: labels in {0, 1} for C = 1, one-vs-rest y_c = [t = c] for C > 1.
 */
export function lovaszHinge(
  kernels: Kernels, arena: Arena, input: Input, target: TargetInput, options: LovaszHingeOptions,
): LossResult {
  const c = begin(kernels, arena, input, target, options, 'lovaszHinge', LOVASZ_HINGE_KEYS);
  const { g } = c;
  const kind = targetKind(c.t, g, c.x.length);
  const perImage = bool('perImage', options.perImage, false);
  const sum = oneOf('reduction', options.reduction, ['mean', 'sum'] as const, 'mean') === 'sum';
  let labels = 0;
  let y = 0;
  let ignore: number | undefined;
  if (kind === 'index') {
    ignore = ignoreOf(options);
    labels = placeLabels(c, g.C === 1 ? 2 : g.C, ignore);
  } else {
    if (options.ignoreIndex !== undefined) {
      throw new TypeError(`ignoreIndex applies to index targets only, got ${show(options.ignoreIndex)} with a dense target`);
    }
    const t = c.t.view as Float32Array;
    for (let i = 0; i < t.length; i++) {
      if (t[i] !== 0 && t[i] !== 1) throw new RangeError(`target[${i}] = ${t[i]} must be 0 or 1 (a dense hinge target is binary)`);
    }
    y = placeF32(c, c.t);
  }
  const x = placeF32(c, c.x);
  return run(c, 'lovaszHinge', { x, labels, y, select: 0, ignore: ignore ?? NO_IGNORE }, perImage, sum);
}
