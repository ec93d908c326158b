// The public types shared by every loss, and the validation of shapes and targets. Each loss's own
// options are declared by its schema in src/losses/; every check names the argument and the value.
import type { Arg } from './call.js';
import type { WasmArray } from './memory.js';
import { checkOneOf, show } from './schema.js';

export type Layout = 'NCHW' | 'NHWC';
export type Reduction = 'mean' | 'sum' | 'none';
export type IndexTarget = Uint8Array | Int8Array | Uint16Array | Int16Array | Int32Array | Uint32Array;
export type Target = IndexTarget | Float32Array;
/** A loss's input: a Float32Array, or one kept in the backend's memory (used in place). */
export type Input = Float32Array | WasmArray<Float32Array>;
export type TargetInput = Target | WasmArray<IndexTarget> | WasmArray<Float32Array>;

/** The options of every loss call, besides the loss's own. */
export interface BaseOptions {
  /** [N, C, ...S] for NCHW, [N, ...S, C] for NHWC. */
  shape: readonly number[];
  layout?: Layout;
  /** Also return d(loss)/d(input). Default: true when `out` is given, else false. */
  grad?: boolean;
  /** Where the gradient goes: used in place when it lives in the backend's memory, else filled by copy. */
  out?: Float32Array | WasmArray<Float32Array>;
}

export interface LossResult {
  loss: number | Float32Array;
  grad?: Float32Array;
}

export interface Geometry {
  N: number;
  C: number;
  /** pixels per sample: the product of the spatial dims */
  P: number;
  nhwc: boolean;
  shape: readonly number[];
}

export function geometry(length: number, options: { shape?: unknown; layout?: unknown }, what: string): Geometry {
  const layout = options.layout === undefined ? 'NCHW' : checkOneOf('layout', options.layout, ['NCHW', 'NHWC'] as const);
  const shape = options.shape;
  if (!Array.isArray(shape) || shape.length < 2) {
    throw new TypeError(`${what}: shape must be an array [N, C, ...spatial] of at least 2 dims, got ${show(shape)}`);
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
  if (N * C * P !== length) {
    throw new RangeError(`input length ${length} does not match shape ${show(shape)} (${layout}), which holds ${N * C * P} values`);
  }
  return { N, C, P, nhwc, shape };
}

export type TargetKind = 'index' | 'dense';

const INDEX_TYPES: Function[] = [Uint8Array, Int8Array, Uint16Array, Int16Array, Int32Array, Uint32Array];

/** Index map of N*P labels, or a dense Float32Array shaped like the input. */
export function targetKind(target: Arg, g: Geometry, inputLength: number): TargetKind {
  if (target.type === Float32Array) {
    if (target.length !== inputLength) {
      throw new RangeError(
        `target: a dense Float32Array target must have the input's length ${inputLength}, got ${target.length}` +
          ' (index maps are integer typed arrays)',
      );
    }
    return 'dense';
  }
  if (INDEX_TYPES.includes(target.type)) {
    if (target.length !== g.N * g.P) {
      throw new RangeError(`target: an index map must hold N*P = ${g.N * g.P} labels, got ${target.length}`);
    }
    return 'index';
  }
  throw new TypeError(`target must be an integer typed array (index map) or a Float32Array (dense), got ${target.shown}`);
}

export function badLabel(index: number, value: number, limit: number, ignore?: number): RangeError {
  const range = limit === 2 ? '{0, 1}' : `[0, ${limit})`;
  const ig = ignore === undefined ? 'no ignoreIndex' : `ignoreIndex ${ignore}`;
  return new RangeError(`target[${index}] = ${value} is out of range: labels must be in ${range} (${ig})`);
}
