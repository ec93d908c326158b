// Option schemas: each option of a loss is declared once, with its type, default, range and one-line
// doc. A call parses all of its options into a frozen settings object before it allocates anything or
// runs a kernel; every error names the option and the offending value.
import type { Geometry, TargetKind } from './options.js';

/** What an option's parser may look at: the call's geometry, its target kind and the options parsed
 *  before it (schemas parse in declaration order). */
export interface ParseEnv {
  readonly loss: string;
  readonly g: Geometry;
  readonly target: TargetKind;
  readonly settings: Readonly<Record<string, unknown>>;
}

export interface Option<In, Out> {
  /** One line for the docs. */
  readonly doc: string;
  /** The default, as the docs state it. */
  readonly default: string;
  parse(value: unknown, name: string, env: ParseEnv): Out;
  /** Phantom: the type a caller passes. */
  readonly input?: In;
}

export type Schema = Readonly<Record<string, Option<unknown, unknown>>>;
export type Settings<S extends Schema> = { readonly [K in keyof S]: ReturnType<S[K]['parse']> };
/** The options a caller passes for a schema, every one optional. */
export type OptionsOf<S extends Schema> = { [K in keyof S]?: NonNullable<S[K]['input']> };

export const show = (v: unknown): string => {
  if (typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(show).join(', ')}]`;
  if (ArrayBuffer.isView(v)) return `${v.constructor.name}(${(v as unknown as ArrayLike<number>).length})`;
  return String(v);
};

/** Parses `options` against `schema` in declaration order; unknown keys were rejected before. */
export function parseSettings<S extends Schema>(schema: S, options: Record<string, unknown>, env: Omit<ParseEnv, 'settings'>): Settings<S> {
  const settings: Record<string, unknown> = {};
  const scope = { ...env, settings };
  for (const name of Object.keys(schema)) settings[name] = schema[name].parse(options[name], name, scope);
  return Object.freeze(settings) as Settings<S>;
}

type Default<T> = T | ((env: ParseEnv) => T);
const resolve = <T>(d: Default<T>, env: ParseEnv): T => (typeof d === 'function' ? (d as (e: ParseEnv) => T)(env) : d);

/** A value the kernels read as f32 must stay finite there. A non-zero weight must also be a normal
 *  float32: one that underflows to 0 would drop its class from a weighted mean, and a subnormal one
 *  makes the mean's 1 / (sum of weights) overflow float32. */
function f32Representable(name: string, v: number, weight = false): void {
  if (!Number.isFinite(Math.fround(v))) throw new RangeError(`${name} = ${v} overflows a float32 (largest 3.4e38)`);
  if (weight && v !== 0 && Math.abs(v) < 2 ** -126) {
    throw new RangeError(`${name} = ${v} is below the smallest normal float32 (1.18e-38): use 0 or a larger weight`);
  }
}

function range(min: number, max: number): string {
  if (max === Infinity) return min === -Infinity ? '' : ` >= ${min}`;
  if (min === -Infinity) return ` <= ${max}`;
  return ` in [${min}, ${max}]`;
}

export function checkNumber(name: string, value: unknown, min = -Infinity, max = Infinity, f32 = false): number {
  if (typeof value !== 'number' || Number.isNaN(value)) throw new TypeError(`${name} must be a number, got ${show(value)}`);
  if (!Number.isFinite(value) || !(value >= min && value <= max)) {
    throw new RangeError(`${name} must be a finite number${range(min, max)}, got ${value}`);
  }
  if (f32) f32Representable(name, value);
  return value;
}

export interface NumberSpec {
  default: Default<number>;
  doc: string;
  min?: number;
  max?: number;
  /** the kernels read it as f32 */
  f32?: boolean;
  /** the default as documented, when it is not a plain number */
  shown?: string;
}

export function number(spec: NumberSpec): Option<number, number> {
  return {
    doc: spec.doc,
    default: spec.shown ?? String(spec.default),
    parse: (v, name, env) => (v === undefined ? resolve(spec.default, env) : checkNumber(name, v, spec.min, spec.max, spec.f32)),
  };
}

export function boolean(fallback: boolean, doc: string): Option<boolean, boolean> {
  return {
    doc,
    default: String(fallback),
    parse: (v, name) => {
      if (v === undefined) return fallback;
      if (typeof v !== 'boolean') throw new TypeError(`${name} must be a boolean, got ${show(v)}`);
      return v;
    },
  };
}

export function checkOneOf<T extends string>(name: string, value: unknown, allowed: readonly T[]): T {
  if (!allowed.includes(value as T)) {
    throw new TypeError(`${name} must be one of ${allowed.map(show).join(', ')}, got ${show(value)}`);
  }
  return value as T;
}

export function oneOf<const T extends string>(allowed: readonly T[], fallback: Default<T>, doc: string, shown?: string): Option<T, T> {
  return {
    doc,
    default: shown ?? show(fallback),
    parse: (v, name, env) => (v === undefined ? resolve(fallback, env) : checkOneOf(name, v, allowed)),
  };
}

export function checkInteger(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || Math.abs(value) > 2 ** 31 - 1) {
    throw new TypeError(`${name} must be an integer (32-bit), got ${show(value)}`);
  }
  return value;
}

/** The label whose pixels drop out, for index targets. `fallback` is the default for index targets;
 *  with a dense target only PyTorch's default -100 is accepted (and means nothing). */
export function ignoreIndex(fallback: Default<number | undefined>, doc: string, shown: string): Option<number, number | undefined> {
  return {
    doc,
    default: shown,
    parse: (v, name, env) => {
      if (env.target === 'dense') {
        if (v === undefined || v === -100) return undefined;
        throw new TypeError(`${name} applies to index targets only, got ${show(v)} with a dense target (only PyTorch's -100 is accepted there)`);
      }
      return v === undefined ? resolve(fallback, env) : checkInteger(name, v);
    },
  };
}

/** A vector of one finite, non-negative, f32-representable number per class (or channel), as f32. */
export function checkPerClass(name: string, value: unknown, C: number, what = 'class'): Float32Array {
  if (!(Array.isArray(value) || (ArrayBuffer.isView(value) && !(value instanceof DataView)))) {
    throw new TypeError(`${name} must be an array of ${C} numbers (one per ${what}), got ${show(value)}`);
  }
  const v = value as ArrayLike<number>;
  if (v.length !== C) throw new RangeError(`${name} must have one entry per ${what} (C = ${C}), got length ${v.length}`);
  for (let c = 0; c < C; c++) {
    if (typeof v[c] !== 'number' || !Number.isFinite(v[c]) || v[c] < 0) {
      throw new RangeError(`${name}[${c}] must be a finite number >= 0, got ${show(v[c])}`);
    }
    f32Representable(`${name}[${c}]`, v[c], true);
  }
  return Float32Array.from(v);
}

/** Per-class (or per-channel) weights; absent means none. */
export function perClass(doc: string, what = 'class'): Option<ArrayLike<number>, Float32Array | undefined> {
  return {
    doc,
    default: 'none',
    parse: (v, name, env) => (v === undefined ? undefined : checkPerClass(name, v, env.g.C, what)),
  };
}

/** A number for every class, or one per class: always C values. */
export function scalarOrPerClass(spec: NumberSpec & { what?: string }): Option<number | ArrayLike<number>, Float32Array> {
  return {
    doc: spec.doc,
    default: spec.shown ?? String(spec.default),
    parse: (v, name, env) => {
      if (v === undefined) return new Float32Array(env.g.C).fill(resolve(spec.default, env));
      if (typeof v === 'number') return new Float32Array(env.g.C).fill(checkNumber(name, v, spec.min, spec.max, true));
      return checkPerClass(name, v, env.g.C, spec.what);
    },
  };
}

/** An option whose meaning depends on an earlier one (e.g. focal's alpha on its activation). */
export function depends<In, Out>(doc: string, shown: string, parse: (v: unknown, name: string, env: ParseEnv) => Out): Option<In, Out> {
  return { doc, default: shown, parse };
}
