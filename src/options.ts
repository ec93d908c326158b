import type { WasmArray } from './memory.js';

// Public option types and their validation. Every check names the argument and the offending value,
// and runs before any kernel, on both backends.

export type Layout = 'NCHW' | 'NHWC';
export type Reduction = 'mean' | 'sum' | 'none';
export type IndexTarget = Uint8Array | Int8Array | Uint16Array | Int16Array | Int32Array | Uint32Array;
export type Target = IndexTarget | Float32Array;
/** A loss's input: a Float32Array, or one kept in the backend's memory (used in place). */
export type Input = Float32Array | WasmArray<Float32Array>;
export type TargetInput = Target | WasmArray<IndexTarget> | WasmArray<Float32Array>;

export interface BaseOptions {
  /** [N, C, ...S] for NCHW, [N, ...S, C] for NHWC. */
  shape: readonly number[];
  layout?: Layout;
  reduction?: Reduction;
  /** Also return d(loss)/d(input). Default: true when `out` is given, else false. */
  grad?: boolean;
  /** Where the gradient goes: used in place when it lives in the backend's memory, else filled by copy. */
  out?: Float32Array | WasmArray<Float32Array>;
}

export interface CrossEntropyOptions extends BaseOptions {
  weight?: ArrayLike<number>;
  ignoreIndex?: number;
  labelSmoothing?: number;
}

export interface BinaryCrossEntropyOptions extends BaseOptions {
  posWeight?: number | ArrayLike<number>;
  weight?: ArrayLike<number>;
  fromLogits?: boolean;
  ignoreIndex?: number;
}

export interface FocalOptions extends BaseOptions {
  activation?: 'sigmoid' | 'softmax';
  gamma?: number;
  alpha?: number | ArrayLike<number>;
  ignoreIndex?: number;
}

export interface RegionOptions extends BaseOptions {
  activation?: 'softmax' | 'sigmoid' | 'none';
  squared?: boolean;
  smoothNumerator?: number;
  smoothDenominator?: number;
  perSample?: boolean;
  includeBackground?: boolean;
  ignoreIndex?: number;
  weight?: ArrayLike<number>;
}

/** `squared` is accepted and has no effect: Tversky always uses plain sums. */
export interface TverskyOptions extends RegionOptions {
  alpha?: number;
  beta?: number;
  gamma?: number;
}

export type LossName = 'crossEntropy' | 'binaryCrossEntropy' | 'focal' | 'dice' | 'iou' | 'tversky';

/** A term: the loss, its coefficient `weight`, its own options; `classWeight` is the loss's own `weight`. */
export type CombinedTerm = { loss: LossName; weight?: number; classWeight?: ArrayLike<number> } & Record<string, unknown>;

export interface CombinedOptions extends BaseOptions {
  terms: readonly CombinedTerm[];
  ignoreIndex?: number;
}

export interface LossResult {
  loss: number | Float32Array;
  grad?: Float32Array;
}

export interface CombinedResult {
  loss: number;
  terms: number[];
  grad?: Float32Array;
}

const BASE_KEYS = ['shape', 'layout', 'reduction', 'grad', 'out'];
export const OPTION_KEYS: Record<LossName, readonly string[]> = {
  crossEntropy: [...BASE_KEYS, 'weight', 'ignoreIndex', 'labelSmoothing'],
  binaryCrossEntropy: [...BASE_KEYS, 'posWeight', 'weight', 'fromLogits', 'ignoreIndex'],
  focal: [...BASE_KEYS, 'activation', 'gamma', 'alpha', 'ignoreIndex'],
  dice: [...BASE_KEYS, 'activation', 'squared', 'smoothNumerator', 'smoothDenominator', 'perSample',
    'includeBackground', 'ignoreIndex', 'weight'],
  iou: [...BASE_KEYS, 'activation', 'squared', 'smoothNumerator', 'smoothDenominator', 'perSample',
    'includeBackground', 'ignoreIndex', 'weight'],
  tversky: [...BASE_KEYS, 'activation', 'squared', 'smoothNumerator', 'smoothDenominator', 'perSample',
    'includeBackground', 'ignoreIndex', 'weight', 'alpha', 'beta', 'gamma'],
};

const show = (v: unknown): string => {
  if (typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(show).join(', ')}]`;
  if (ArrayBuffer.isView(v)) return `${v.constructor.name}(${(v as unknown as ArrayLike<number>).length})`;
  return String(v);
};

export function checkKeys(options: object, allowed: readonly string[], what: string): void {
  for (const key of Object.keys(options)) {
    if (!allowed.includes(key)) {
      throw new TypeError(`${what}: unknown option '${key}' (allowed: ${allowed.join(', ')})`);
    }
  }
}

export function oneOf<T extends string>(name: string, value: unknown, allowed: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if (!allowed.includes(value as T)) {
    throw new TypeError(`${name} must be one of ${allowed.map(show).join(', ')}, got ${show(value)}`);
  }
  return value as T;
}

export function bool(name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new TypeError(`${name} must be a boolean, got ${show(value)}`);
  return value;
}

export function num(name: string, value: unknown, fallback: number, min = -Infinity, max = Infinity): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || Number.isNaN(value)) {
    throw new TypeError(`${name} must be a number, got ${show(value)}`);
  }
  if (!(value >= min && value <= max) || !Number.isFinite(value)) {
    const range = max === Infinity ? (min === -Infinity ? '' : ` >= ${min}`) : ` in [${min}, ${max}]`;
    throw new RangeError(`${name} must be a finite number${range}, got ${value}`);
  }
  return value;
}

export function integer(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || Math.abs(value) > 2 ** 31 - 1) {
    throw new TypeError(`${name} must be an integer (32-bit), got ${show(value)}`);
  }
  return value;
}

/** A per-class (or per-channel) vector of C finite, non-negative numbers, as f32. */
export function perClass(name: string, value: unknown, C: number, what = 'class'): Float32Array | undefined {
  if (value === undefined) return undefined;
  if (!(Array.isArray(value) || (ArrayBuffer.isView(value) && !(value instanceof DataView)))) {
    throw new TypeError(`${name} must be an array of ${C} numbers (one per ${what}), got ${show(value)}`);
  }
  const v = value as ArrayLike<number>;
  if (v.length !== C) {
    throw new RangeError(`${name} must have one entry per ${what} (C = ${C}), got length ${v.length}`);
  }
  for (let c = 0; c < C; c++) {
    if (typeof v[c] !== 'number' || !Number.isFinite(v[c]) || v[c] < 0) {
      throw new RangeError(`${name}[${c}] must be a finite number >= 0, got ${show(v[c])}`);
    }
  }
  return Float32Array.from(v);
}

export function filled(C: number, value: number): Float32Array {
  return new Float32Array(C).fill(value);
}

export interface Geometry {
  N: number;
  C: number;
  /** pixels per sample: the product of the spatial dims */
  P: number;
  nhwc: boolean;
  shape: readonly number[];
}

export function geometry(input: unknown, options: BaseOptions | undefined, what: string): Geometry {
  if (!(input instanceof Float32Array)) {
    throw new TypeError(`input must be a Float32Array, got ${show(input)}`);
  }
  if (options === null || typeof options !== 'object') {
    throw new TypeError(`${what}: options with a 'shape' are required, got ${show(options)}`);
  }
  const layout = oneOf('layout', options.layout, ['NCHW', 'NHWC'] as const, 'NCHW');
  const shape = options.shape;
  if (!Array.isArray(shape) || shape.length < 2) {
    throw new TypeError(`shape must be an array [N, C, ...spatial] of at least 2 dims, got ${show(shape)}`);
  }
  shape.forEach((d, i) => {
    if (typeof d !== 'number' || !Number.isInteger(d) || d < 0) {
      throw new RangeError(`shape[${i}] must be a non-negative integer, got ${show(d)}`);
    }
  });
  const nhwc = layout === 'NHWC';
  const C = nhwc ? shape[shape.length - 1] : shape[1];
  if (C < 1) throw new RangeError(`shape: the class dimension C must be >= 1, got ${C} in ${show(shape)}`);
  const N = shape[0];
  const spatial = nhwc ? shape.slice(1, -1) : shape.slice(2);
  const P = spatial.reduce((a: number, b: number) => a * b, 1);
  if (N * C * P !== input.length) {
    const detached = input.length === 0 && input.buffer.byteLength === 0
      ? ': its ArrayBuffer is detached (a view of memory that has grown since; read WasmArray.view again)'
      : '';
    throw new RangeError(
      `input length ${input.length} does not match shape ${show(shape)} (${layout}), which holds ${N * C * P} values${detached}`,
    );
  }
  return { N, C, P, nhwc, shape };
}

const INDEX_TYPES = [Uint8Array, Int8Array, Uint16Array, Int16Array, Int32Array, Uint32Array];

export type TargetKind = 'index' | 'dense';

/** Index map of N*P labels, or a dense Float32Array shaped like the input. */
export function targetKind(target: unknown, g: Geometry, inputLength: number): TargetKind {
  if (target instanceof Float32Array) {
    if (target.length !== inputLength) {
      throw new RangeError(
        `target: a dense Float32Array target must have the input's length ${inputLength}, got ${target.length}` +
          ' (index maps are integer typed arrays)',
      );
    }
    return 'dense';
  }
  if (INDEX_TYPES.some((T) => target instanceof T)) {
    const t = target as IndexTarget;
    if (t.length !== g.N * g.P) {
      throw new RangeError(`target: an index map must hold N*P = ${g.N * g.P} labels, got ${t.length}`);
    }
    return 'index';
  }
  throw new TypeError(
    `target must be an integer typed array (index map) or a Float32Array (dense), got ${show(target)}`,
  );
}

export function denseHasNoIgnore(ignoreIndex: unknown): void {
  if (ignoreIndex !== undefined) {
    throw new TypeError(`ignoreIndex applies to index targets only, got ${show(ignoreIndex)} with a dense target`);
  }
}

export function badLabel(index: number, value: number, limit: number, ignore?: number): RangeError {
  const range = limit === 2 ? '{0, 1}' : `[0, ${limit})`;
  const ig = ignore === undefined ? 'no ignoreIndex' : `ignoreIndex ${ignore}`;
  return new RangeError(`target[${index}] = ${value} is out of range: labels must be in ${range} (${ig})`);
}

export function requireFinite(name: string, data: Float32Array, low = -Infinity, high = Infinity): void {
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (!(v >= low && v <= high)) {
      throw new RangeError(`${name}[${i}] = ${v} must be in [${low}, ${high}]`);
    }
  }
}
