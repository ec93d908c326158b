// fast-check arbitraries for the property suite (test/property.test.ts): random VALID calls of every
// loss, and a float64 reference implementation of each loss from the formulas of the README.
//
// A generated case is a small record of parameters (shape, layout, target dtype, options, a data seed)
// that prints well as a counterexample; `build` turns it into the arrays and options of one call.
import fc from 'fast-check';
import type { Segloss } from '../src/index.js';
import { normal, rng } from './helpers.js';

export type Kind =
  | 'crossEntropy' | 'binaryCrossEntropy' | 'focalSigmoid' | 'focalSoftmax' | 'dice' | 'iou' | 'tversky' | 'generalizedDice'
  | 'lovaszSoftmax' | 'lovaszHinge' | 'combined';
export const KINDS: readonly Kind[] = [
  'crossEntropy', 'binaryCrossEntropy', 'focalSigmoid', 'focalSoftmax', 'dice', 'iou', 'tversky', 'generalizedDice',
  'lovaszSoftmax', 'lovaszHinge', 'combined',
];
export type DType = 'Uint8' | 'Int8' | 'Uint16' | 'Int16' | 'Int32' | 'Uint32' | 'dense';
export const DTYPES: readonly DType[] = ['Uint8', 'Int8', 'Uint16', 'Int16', 'Int32', 'Uint32', 'dense'];
export const INDEX_CTORS = {
  Uint8: Uint8Array, Int8: Int8Array, Uint16: Uint16Array, Int16: Int16Array, Int32: Int32Array, Uint32: Uint32Array,
} as const;
type TermName = 'crossEntropy' | 'binaryCrossEntropy' | 'focal' | 'dice' | 'iou' | 'tversky' | 'generalizedDice' | 'lovaszSoftmax' | 'lovaszHinge';
const isLovasz = (loss: string): loss is 'lovaszSoftmax' | 'lovaszHinge' => loss === 'lovaszSoftmax' || loss === 'lovaszHinge';

/** The printable parameters of one valid call. Vectors hold 6 entries; the first C are used. */
export interface Params {
  kind: Kind;
  N: number;
  C: number;
  S: number[];
  layout: 'NCHW' | 'NHWC';
  dtype: DType;
  seed: number;
  /** logit scale; 'extreme' mixes in logits of +-30, +-1e4 and +-1e30 */
  scale: 0.5 | 2 | 6 | 'extreme';
  reduction: 'mean' | 'sum' | 'none';
  /** index targets: 'off', an explicit ignoreIndex (value picked per dtype by `pick`), or the default -100 */
  ignore: 'off' | 'explicit' | 'default';
  pick: number;
  /** dense targets: pass ignoreIndex: -100, which issue 8 says must be accepted (as PyTorch does) */
  denseIgnore: boolean;
  denseKind: 'soft' | 'binary';
  weight?: number[];
  labelSmoothing?: number;
  posWeight?: number | number[];
  fromLogits?: boolean;
  gamma?: number;
  alpha?: number;
  alphaVec?: number[];
  activation?: 'softmax' | 'sigmoid' | 'none';
  squared?: boolean;
  smoothNumerator?: number;
  smoothDenominator?: number;
  perSample?: boolean;
  includeBackground?: boolean;
  tverskyAlpha?: number;
  tverskyBeta?: number;
  /** the smp compatibility options: absentClasses 'zero', clampDenominator, gammaAfterMean (region), meanOver 'all' (BCE) */
  compat?: { absentZero: boolean; clamp?: 1e-7 | 2e-7 | 1e5; gammaAfterMean: boolean; meanOverAll: boolean };
  weightType?: 'square' | 'simple' | 'uniform';
  /** Lovász-softmax's classes: 'present', 'all', or distinct indices (those < C are used, in this order) */
  classes?: 'present' | 'all' | number[];
  /** the Lovász losses' perImage */
  perImage?: boolean;
  terms: { loss: TermName; weight: number; own: number }[];
  /** focal Tversky gamma in [1, 3] instead of [0.5, 3]: (1 - score)^gamma with gamma < 1 amplifies the
   *  f32 rounding of probabilities near a perfect score beyond any fixed tolerance against float64 */
  conditioned?: true;
}

// per-class weights are valid when they are normal float32s (segloss rejects subnormal weights)
const vec6 = (min: number, max: number) =>
  fc.array(fc.double({ min, max, noNaN: true, noDefaultInfinity: true }).map((v) => (Math.abs(v) < 2 ** -126 ? 0 : v)), { minLength: 6, maxLength: 6 });
const opt = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined, freq: 2 });
const real = (min: number, max: number) => fc.double({ min, max, noNaN: true, noDefaultInfinity: true });

/** Random valid calls. `extreme: false` keeps the logits at a scale where finite differences mean something;
 *  `conditioned` keeps focal Tversky's gamma >= 1 (see Params.conditioned). */
export function paramsArb(config: { extreme?: boolean; conditioned?: boolean } = {}): fc.Arbitrary<Params> {
  const scales = config.extreme === false ? ([0.5, 2, 6] as const) : ([0.5, 2, 6, 'extreme'] as const);
  return fc.record({
    kind: fc.constantFrom(...KINDS),
    N: fc.integer({ min: 1, max: 3 }),
    C: fc.integer({ min: 1, max: 6 }),
    S: fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 0, maxLength: 3 }),
    layout: fc.constantFrom('NCHW' as const, 'NHWC' as const),
    dtype: fc.constantFrom(...DTYPES),
    seed: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
    scale: fc.constantFrom(...scales),
    reduction: fc.constantFrom('mean' as const, 'sum' as const, 'none' as const),
    ignore: fc.constantFrom('off' as const, 'explicit' as const, 'default' as const),
    pick: fc.nat(5),
    denseIgnore: fc.nat(6).map((v) => v === 6), // rare; shrinks towards false
    denseKind: fc.constantFrom('soft' as const, 'binary' as const),
    weight: opt(vec6(0, 3)),
    labelSmoothing: opt(real(0, 1)),
    posWeight: opt(fc.oneof(real(0, 5), vec6(0, 5))),
    fromLogits: opt(fc.boolean()),
    gamma: opt(real(0, 3)),
    alpha: opt(fc.oneof(real(0, 1), fc.constant(-1))),
    alphaVec: opt(vec6(0, 2)),
    activation: opt(fc.constantFrom('softmax' as const, 'sigmoid' as const, 'none' as const)),
    squared: opt(fc.boolean()),
    smoothNumerator: opt(real(0, 2)),
    smoothDenominator: opt(real(1e-6, 2)),
    perSample: opt(fc.boolean()),
    includeBackground: opt(fc.boolean()),
    tverskyAlpha: opt(real(0.1, 1.5)),
    tverskyBeta: opt(real(0.1, 1.5)),
    compat: opt(fc.record({
      absentZero: fc.boolean(),
      clamp: fc.option(fc.constantFrom(1e-7 as const, 2e-7 as const, 1e5 as const), { nil: undefined }),
      gammaAfterMean: fc.boolean(),
      meanOverAll: fc.boolean(),
    })),
    weightType: opt(fc.constantFrom('square' as const, 'simple' as const, 'uniform' as const)),
    classes: opt(fc.oneof(fc.constantFrom('present' as const, 'all' as const), fc.uniqueArray(fc.nat(5), { maxLength: 6 }))),
    perImage: opt(fc.boolean()),
    terms: fc.array(
      fc.record({
        loss: fc.constantFrom<TermName>('crossEntropy', 'dice', 'iou', 'tversky', 'focal', 'binaryCrossEntropy', 'generalizedDice', 'lovaszSoftmax', 'lovaszHinge'),
        weight: real(0, 2),
        own: fc.nat(7),
      }),
      { minLength: 1, maxLength: 3 },
    ),
    ...(config.conditioned ? { conditioned: fc.constant(true as const) } : {}),
  }, { requiredKeys: ['kind', 'N', 'C', 'S', 'layout', 'dtype', 'seed', 'scale', 'reduction', 'ignore', 'pick', 'denseIgnore', 'denseKind', 'terms'] });
}

/** One built call: what segloss gets and what the reference needs. */
export interface Built {
  p: Params;
  /** the segloss method */
  method: 'crossEntropy' | 'binaryCrossEntropy' | 'focal' | 'dice' | 'iou' | 'tversky' | 'generalizedDice' | 'lovaszSoftmax' | 'lovaszHinge' | 'combined';
  input: Float32Array;
  target: Float32Array | InstanceType<(typeof INDEX_CTORS)[keyof typeof INDEX_CTORS]>;
  /** options without shape, layout, grad and out */
  options: Record<string, unknown>;
  shape: number[];
  N: number;
  C: number;
  P: number;
  nhwc: boolean;
  /** the labels as numbers (index targets), ignored pixels included */
  labels?: number[];
  dense?: Float32Array;
}

/** A value for ignoreIndex that the dtype can hold and that is outside [0, limit) (or, for pick 5, inside it). */
function ignoreValue(dtype: DType, pick: number, limit: number): number {
  const choices: Record<Exclude<DType, 'dense'>, number[]> = {
    Uint8: [255, 200, 255, 254, 255],
    Int8: [-100, -1, 127, -128, -100],
    Uint16: [255, 65535, 1000, 65535, 255],
    Int16: [-100, -1, 32767, -32768, 255],
    Int32: [-100, 255, 2 ** 31 - 1, -(2 ** 31 - 1), -1],
    Uint32: [255, 2 ** 31 - 1, 65535, 1000, 255],
  };
  if (pick === 5 && limit >= 2) return limit - 1; // an in-range class, ignored as PyTorch allows
  const v = choices[dtype as Exclude<DType, 'dense'>][pick % 5];
  return v >= 0 && v < limit ? 255 : v;
}

/** Lovász-softmax's classes option from the printable parameter: a list keeps its indices below C. */
const classesOf = (classes: 'present' | 'all' | number[], C: number) => (typeof classes === 'string' ? classes : classes.filter((c) => c < C));

const softmaxRegion = (p: Params, activation: string | undefined) => (activation ?? (p.C > 1 ? 'softmax' : 'sigmoid')) === 'softmax';

export function build(p: Params): Built {
  const rand = rng(p.seed);
  const { N, C, S } = p;
  const P = S.reduce((a, b) => a * b, 1);
  const nhwc = p.layout === 'NHWC';
  const shape = nhwc ? [N, ...S, C] : [N, C, ...S];
  const n = N * C * P;
  const method: Built['method'] = p.kind === 'focalSigmoid' || p.kind === 'focalSoftmax' ? 'focal' : p.kind;
  let dtype = p.dtype;
  // softmax focal and Lovász-softmax need an index target
  if ((p.kind === 'focalSoftmax' || p.kind === 'lovaszSoftmax') && dtype === 'dense') dtype = 'Int32';
  // a dense Lovász-hinge target holds exactly 0 and 1
  let denseKind = p.kind === 'lovaszHinge' ? 'binary' : p.denseKind;
  const options: Record<string, unknown> = {};
  const vec = (v: number[] | undefined) => v?.slice(0, C);
  let probabilities = false;
  // combined and the Lovász losses have no 'none'
  const reduction = (method === 'combined' || isLovasz(method)) && p.reduction === 'none' ? 'mean' : p.reduction;
  options.reduction = reduction;
  // label limit and default ignore of the call
  let limit = C;
  let defaultIgnore: number | undefined;
  const regionActivation = p.activation;
  switch (p.kind) {
    case 'crossEntropy':
      if (p.weight) options.weight = vec(p.weight);
      if (p.labelSmoothing !== undefined) options.labelSmoothing = p.labelSmoothing;
      defaultIgnore = -100;
      break;
    case 'binaryCrossEntropy':
      if (p.posWeight !== undefined) options.posWeight = typeof p.posWeight === 'number' ? p.posWeight : vec(p.posWeight);
      if (p.weight) options.weight = vec(p.weight);
      if (p.fromLogits !== undefined) options.fromLogits = p.fromLogits;
      probabilities = p.fromLogits === false;
      if (p.compat?.meanOverAll) options.meanOver = 'all';
      limit = Math.max(C, 2);
      break;
    case 'focalSigmoid':
      options.activation = 'sigmoid';
      if (p.gamma !== undefined) options.gamma = p.gamma;
      if (p.alpha !== undefined) options.alpha = p.alpha;
      limit = Math.max(C, 2);
      defaultIgnore = -100;
      break;
    case 'focalSoftmax':
      options.activation = 'softmax';
      if (p.gamma !== undefined) options.gamma = p.gamma;
      if (p.alphaVec !== undefined) options.alpha = p.pick % 2 ? vec(p.alphaVec) : p.alphaVec[0];
      defaultIgnore = -100;
      break;
    case 'dice':
    case 'iou':
    case 'tversky':
      if (regionActivation !== undefined) options.activation = regionActivation;
      probabilities = regionActivation === 'none';
      if (p.squared !== undefined) options.squared = p.squared;
      if (p.smoothNumerator !== undefined) {
        // (1 - score)^gamma is smooth only while score < 1: keep sn <= sd for focal Tversky
        const sd = p.smoothDenominator ?? 1e-6;
        options.smoothNumerator = p.kind === 'tversky' && p.gamma !== undefined ? Math.min(p.smoothNumerator, sd) : p.smoothNumerator;
      }
      if (p.smoothDenominator !== undefined) options.smoothDenominator = p.smoothDenominator;
      if (p.perSample !== undefined) options.perSample = p.perSample;
      if (p.includeBackground !== undefined && (p.includeBackground || C >= 2)) options.includeBackground = p.includeBackground;
      if (p.weight) options.weight = vec(p.weight);
      if (p.kind === 'tversky') {
        if (p.tverskyAlpha !== undefined) options.alpha = p.tverskyAlpha;
        if (p.tverskyBeta !== undefined) options.beta = p.tverskyBeta;
        if (p.gamma !== undefined) options.gamma = p.conditioned ? 1 + p.gamma * (2 / 3) : 0.5 + p.gamma * (2.5 / 3);
        if (p.compat?.gammaAfterMean && reduction === 'mean') options.gammaAfterMean = true;
      }
      if (p.compat) {
        if (p.compat.absentZero) options.absentClasses = 'zero';
        if (p.compat.clamp !== undefined) options.clampDenominator = p.compat.clamp;
      }
      if (!softmaxRegion(p, regionActivation) && C === 1) limit = 2;
      break;
    case 'generalizedDice':
      if (regionActivation !== undefined) options.activation = regionActivation;
      probabilities = regionActivation === 'none';
      if (p.weightType !== undefined) options.weightType = p.weightType;
      if (p.smoothNumerator !== undefined) options.smoothNumerator = p.smoothNumerator;
      if (p.smoothDenominator !== undefined) options.smoothDenominator = p.smoothDenominator;
      if (p.perSample !== undefined) options.perSample = p.perSample;
      if (p.includeBackground !== undefined && (p.includeBackground || C >= 2)) options.includeBackground = p.includeBackground;
      if (!softmaxRegion(p, regionActivation) && C === 1) limit = 2;
      break;
    case 'lovaszSoftmax':
      if (regionActivation === 'none' || regionActivation === 'softmax') options.activation = regionActivation;
      probabilities = regionActivation === 'none';
      if (p.classes !== undefined) options.classes = classesOf(p.classes, C);
      if (p.perImage !== undefined) options.perImage = p.perImage;
      break;
    case 'lovaszHinge':
      if (p.perImage !== undefined) options.perImage = p.perImage;
      if (C === 1) limit = 2;
      break;
    case 'combined': {
      const terms: Record<string, unknown>[] = [];
      for (const t of p.terms) {
        const term: Record<string, unknown> = { loss: t.loss, weight: t.weight };
        const k = t.own;
        if (t.loss === 'crossEntropy') {
          if (k & 1 && p.weight) term.classWeight = vec(p.weight);
          if (k & 2 && p.labelSmoothing !== undefined) term.labelSmoothing = p.labelSmoothing;
        } else if (t.loss === 'binaryCrossEntropy') {
          if (k & 1 && p.posWeight !== undefined) term.posWeight = typeof p.posWeight === 'number' ? p.posWeight : vec(p.posWeight);
          limit = Math.min(limit, Math.max(C, 2));
        } else if (t.loss === 'focal') {
          if (k & 1 && p.gamma !== undefined) term.gamma = p.gamma;
          limit = Math.min(limit, Math.max(C, 2));
        } else if (t.loss === 'lovaszSoftmax') {
          // logits only: the input is shared with the other terms
          if (k & 1) term.perImage = true;
          if (k & 2) term.classes = 'all';
          if (k & 4 && p.classes !== undefined) term.classes = classesOf(p.classes, C);
          if (dtype === 'dense') dtype = 'Int32';
          limit = Math.min(limit, C);
        } else if (t.loss === 'lovaszHinge') {
          if (k & 1) term.perImage = true;
          denseKind = 'binary';
          limit = Math.min(limit, C === 1 ? 2 : C);
        } else if (t.loss === 'generalizedDice') {
          if (k & 1 && p.weightType !== undefined) term.weightType = p.weightType;
          if (k & 2) term.perSample = false;
          if (k & 4 && C >= 2) term.includeBackground = false;
          if (k === 5) term.activation = 'sigmoid';
          const soft = (term.activation ?? (C > 1 ? 'softmax' : 'sigmoid')) === 'softmax';
          limit = Math.min(limit, !soft && C === 1 ? 2 : C);
        } else {
          if (k & 1) term.squared = false;
          if (k & 2 && p.smoothDenominator !== undefined) term.smoothDenominator = p.smoothDenominator;
          if (k & 4 && C >= 2) term.includeBackground = false;
          if (k === 7 && t.loss === 'tversky') Object.assign(term, { alpha: 0.7, beta: 0.3 });
          if (k === 6 && p.weight) term.classWeight = vec(p.weight);
          if (k === 5) term.activation = 'sigmoid';
          const soft = (term.activation ?? (C > 1 ? 'softmax' : 'sigmoid')) === 'softmax';
          limit = Math.min(limit, !soft && C === 1 ? 2 : C);
        }
        terms.push(term);
      }
      // cross entropy and softmax focal with C = 1 allow only label 0
      if (terms.some((t) => t.loss === 'crossEntropy' || (t.loss === 'focal' && C > 1))) limit = Math.min(limit, C);
      options.terms = terms;
      break;
    }
  }
  // ---- input ----
  const input = new Float32Array(n);
  if (probabilities) {
    const lo = p.kind === 'binaryCrossEntropy' ? 0.02 : 0;
    for (let i = 0; i < n; i++) input[i] = lo + (1 - 2 * lo) * rand();
  } else {
    const s = p.scale === 'extreme' ? 3 : p.scale;
    for (let i = 0; i < n; i++) input[i] = normal(rand) * s;
    if (p.scale === 'extreme') {
      const big = [30, -30, 1e4, -1e4, 1e30, -1e30, 88, -88, 104, -104];
      for (let i = 0; i < n; i++) if (rand() < 0.3) input[i] = big[Math.floor(rand() * big.length)];
    }
  }
  // ---- target ----
  const built: Built = { p, method, input, target: input, options, shape, N, C, P, nhwc };
  if (dtype === 'dense') {
    const dense = new Float32Array(n);
    for (let i = 0; i < n; i++) dense[i] = denseKind === 'soft' ? rand() : rand() < 0.4 ? 1 : 0;
    built.target = dense;
    built.dense = dense;
    if (p.denseIgnore) options.ignoreIndex = -100;
  } else {
    const ctor = INDEX_CTORS[dtype];
    const labels: number[] = [];
    let ignore: number | undefined;
    let ignored: number | undefined;
    if (p.ignore === 'explicit') {
      ignore = ignoreValue(dtype, p.pick, limit);
      ignored = ignore;
    } else if (p.ignore === 'default' && defaultIgnore !== undefined && (dtype === 'Int8' || dtype === 'Int16' || dtype === 'Int32')) {
      ignored = defaultIgnore; // implicit -100 of cross entropy and focal
    }
    if (method === 'combined' && ignore === undefined) ignored = undefined; // region terms have no default
    for (let i = 0; i < N * P; i++) labels.push(ignored !== undefined && rand() < 0.2 ? ignored : Math.floor(rand() * limit));
    if (ignore !== undefined) options.ignoreIndex = ignore;
    built.target = ctor.from(labels);
    built.labels = labels;
  }
  return built;
}

/** Calls segloss with the built arrays (or any replacements, e.g. WasmArrays) and extra options. */
export function call(
  seg: Segloss, b: Built, input: unknown = b.input, target: unknown = b.target, extra: Record<string, unknown> = { grad: true },
): { loss: number | Float32Array; grad?: Float32Array; terms?: number[] } {
  const options = { shape: b.shape, layout: b.p.layout, ...b.options, ...extra };
  return (seg[b.method] as (x: unknown, t: unknown, o: unknown) => { loss: number | Float32Array; grad?: Float32Array })(input, target, options);
}

// ---------------------------------------------------------------------------------------------
// float64 reference implementations, from the formulas of the README and the options table
// ---------------------------------------------------------------------------------------------

export interface RefValue {
  /** the scalar whose gradient segloss returns: the loss, or the sum of the 'none' entries */
  total: number;
  /** the 'none' entries, or the terms of combined */
  entries?: number[];
}

const softplus = (z: number) => Math.max(z, 0) + Math.log1p(Math.exp(-Math.abs(z))); // log(1 + e^z)
const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

/** The reference value of a built call at input `x` (f64, in the call's layout). */
export function reference(b: Built, x: Float64Array): RefValue {
  if (b.method !== 'combined') return referenceOne(b, b.method === 'focal' ? (b.options.activation as string) === 'softmax' ? 'focalSoftmax' : 'focalSigmoid' : b.method, b.options, x);
  const terms = b.options.terms as Record<string, unknown>[];
  const top = b.options;
  let total = 0;
  const entries: number[] = [];
  for (const t of terms) {
    const { loss, weight, classWeight, ...own } = t;
    const o: Record<string, unknown> = { reduction: top.reduction, ...own };
    if (classWeight !== undefined) o.weight = classWeight;
    if (top.ignoreIndex !== undefined && o.ignoreIndex === undefined) o.ignoreIndex = top.ignoreIndex;
    let kind = loss as Kind;
    if (loss === 'focal') kind = b.labels && b.C > 1 ? 'focalSoftmax' : 'focalSigmoid';
    const v = referenceOne(b, kind, o, x).total;
    entries.push(v);
    total += ((weight as number | undefined) ?? 1) * v;
  }
  return { total, entries };
}

function referenceOne(b: Built, kind: Kind, o: Record<string, unknown>, x: Float64Array): RefValue {
  if (kind === 'lovaszSoftmax' || kind === 'lovaszHinge') return { total: lovaszReference(b, kind, o, x) };
  const { N, C, P, nhwc } = b;
  const at = (n: number, c: number, i: number) => (nhwc ? (n * P + i) * C + c : (n * C + c) * P + i);
  const reduction = (o.reduction as string) ?? 'mean';
  const w = (name: string, fallback: number): number[] => {
    const v = o[name];
    if (v === undefined) return new Array(C).fill(fallback);
    if (typeof v === 'number') return new Array(C).fill(Math.fround(v));
    return Array.from(v as number[], Math.fround);
  };
  const dense = b.dense;
  const lab = b.labels;
  const defaultIgnore = kind === 'crossEntropy' || kind === 'focalSoftmax' || kind === 'focalSigmoid' ? -100 : undefined;
  const ig = lab ? ((o.ignoreIndex as number | undefined) ?? defaultIgnore) : undefined;
  const kept = (n: number, i: number) => !lab || lab[n * P + i] !== ig;
  const logSoftmax = (n: number, i: number): number[] => {
    let m = -Infinity;
    for (let c = 0; c < C; c++) m = Math.max(m, x[at(n, c, i)]);
    let s = 0;
    for (let c = 0; c < C; c++) s += Math.exp(x[at(n, c, i)] - m);
    const lse = m + Math.log(s);
    return Array.from({ length: C }, (_, c) => x[at(n, c, i)] - lse);
  };
  const finish = (sum: number, divisor: number, entries: number[]): RefValue => {
    if (reduction === 'none') return { total: entries.reduce((a, v) => a + v, 0), entries };
    if (reduction === 'sum') return { total: sum };
    return { total: divisor > 0 ? sum / divisor : 0 };
  };

  if (kind === 'crossEntropy') {
    const weight = w('weight', 1);
    const eps = (o.labelSmoothing as number | undefined) ?? 0;
    let sum = 0;
    let divisor = 0;
    const entries: number[] = [];
    for (let n = 0; n < N; n++)
      for (let i = 0; i < P; i++) {
        if (!kept(n, i)) { entries.push(0); continue; }
        const lp = logSoftmax(n, i);
        let l = 0;
        if (lab) {
          const t = lab[n * P + i];
          l = (1 - eps) * weight[t] * -lp[t];
          for (let c = 0; c < C; c++) l += (eps / C) * weight[c] * -lp[c];
          divisor += weight[t];
        } else {
          for (let c = 0; c < C; c++) l += weight[c] * ((1 - eps) * dense![at(n, c, i)] + eps / C) * -lp[c];
          divisor += 1;
        }
        sum += l;
        entries.push(l);
      }
    return finish(sum, divisor, entries);
  }

  if (kind === 'focalSoftmax') {
    const alpha = w('alpha', 1);
    const gamma = (o.gamma as number | undefined) ?? 2;
    let sum = 0;
    let divisor = 0;
    const entries: number[] = [];
    for (let n = 0; n < N; n++)
      for (let i = 0; i < P; i++) {
        if (!kept(n, i)) { entries.push(0); continue; }
        const t = lab![n * P + i];
        const lp = logSoftmax(n, i)[t];
        const l = alpha[t] * (1 - Math.exp(lp)) ** gamma * -lp;
        sum += l;
        divisor += 1;
        entries.push(l);
      }
    return finish(sum, divisor, entries);
  }

  if (kind === 'binaryCrossEntropy' || kind === 'focalSigmoid') {
    const focal = kind === 'focalSigmoid';
    const pw = w('posWeight', 1);
    const weight = w('weight', 1);
    const fromLogits = (o.fromLogits as boolean | undefined) ?? true;
    const gamma = (o.gamma as number | undefined) ?? 2;
    const alpha = (o.alpha as number | undefined) ?? 0.25;
    const entries = new Array<number>(N * C * P).fill(0);
    let sum = 0;
    let divisor = 0;
    for (let n = 0; n < N; n++)
      for (let i = 0; i < P; i++) {
        if (!kept(n, i)) continue;
        divisor += C;
        for (let c = 0; c < C; c++) {
          const j = at(n, c, i);
          const y = lab ? +(lab[n * P + i] === (C === 1 ? 1 : c)) : dense![j];
          const z = x[j];
          let l: number;
          if (focal) {
            const p = sigmoid(z);
            const ce = y * softplus(-z) + (1 - y) * softplus(z);
            const rest = 1 - (p * y + (1 - p) * (1 - y));
            l = ce * rest ** gamma;
            if (alpha >= 0) l *= alpha * y + (1 - alpha) * (1 - y);
          } else if (fromLogits) {
            l = weight[c] * (pw[c] * y * softplus(-z) + (1 - y) * softplus(z));
          } else {
            l = -weight[c] * (pw[c] * y * Math.max(Math.log(z), -100) + (1 - y) * Math.max(Math.log(1 - z), -100));
          }
          entries[j] = l;
          sum += l;
        }
      }
    if (!lab || o.meanOver === 'all') divisor = N * C * P;
    return finish(sum, divisor, entries);
  }

  // region losses
  const activation = (o.activation as string | undefined) ?? (C > 1 ? 'softmax' : 'sigmoid');
  const squared = kind === 'tversky' || kind === 'generalizedDice' ? false : ((o.squared as boolean | undefined) ?? true);
  const sn = (o.smoothNumerator as number | undefined) ?? (kind === 'generalizedDice' ? 1e-5 : 0);
  const sd = (o.smoothDenominator as number | undefined) ?? (kind === 'generalizedDice' ? 1e-5 : 1e-6);
  const perSample = (o.perSample as boolean | undefined) ?? true;
  const first = ((o.includeBackground as boolean | undefined) ?? true) ? 0 : 1;
  const weight = w('weight', 1);
  const ta = kind === 'tversky' ? ((o.alpha as number | undefined) ?? 0.5) : 0;
  const tb = kind === 'tversky' ? ((o.beta as number | undefined) ?? 0.5) : 0;
  const tg = kind === 'tversky' ? ((o.gamma as number | undefined) ?? 1) : 1;
  const after = o.gammaAfterMean === true;
  const absentZero = o.absentClasses === 'zero';
  const clamp = (o.clampDenominator as number | undefined) ?? 0;
  const gd = kind === 'generalizedDice';
  const weightType = (o.weightType as string | undefined) ?? 'square';
  const offset = activation !== 'softmax' && C === 1 ? 1 : 0;
  const rows = perSample ? N : 1;
  const stats = new Float64Array(rows * C * 3);
  for (let n = 0; n < N; n++)
    for (let i = 0; i < P; i++) {
      if (!kept(n, i)) continue;
      const lp = activation === 'softmax' ? logSoftmax(n, i) : undefined;
      for (let c = 0; c < C; c++) {
        const j = at(n, c, i);
        const p = lp ? Math.exp(lp[c]) : activation === 'sigmoid' ? sigmoid(x[j]) : x[j];
        const g = lab ? +(lab[n * P + i] === c + offset) : dense![j];
        const r = ((perSample ? n : 0) * C + c) * 3;
        stats[r] += p * g;
        stats[r + 1] += squared ? p * p : p;
        stats[r + 2] += squared ? g * g : g;
      }
    }
  let sum = 0;
  let wsum = 0;
  const entries: number[] = [];
  if (gd) {
    // MONAI GeneralizedDiceLoss: w from the target sums; an infinite w becomes the row's largest finite w, else 0
    for (let r = 0; r < rows; r++) {
      const w = Array.from({ length: C }, (_, c) => {
        const G = stats[(r * C + c) * 3 + 2];
        return weightType === 'uniform' ? 1 : weightType === 'simple' ? 1 / G : 1 / (G * G);
      }).slice(first);
      const largest = Math.max(0, ...w.filter(Number.isFinite));
      let num = sn;
      let den = sd;
      for (let c = first; c < C; c++) {
        const wc = Number.isFinite(w[c - first]) ? w[c - first] : largest;
        const [I, Sp, Sg] = stats.subarray((r * C + c) * 3, (r * C + c) * 3 + 3);
        num += 2 * wc * I;
        den += wc * (Sp + Sg);
      }
      const l = 1 - num / den;
      entries.push(l);
      sum += l;
      wsum += 1;
    }
    return finish(sum, wsum, entries);
  }
  for (let r = 0; r < rows; r++)
    for (let c = first; c < C; c++) {
      const [I, Sp, Sg] = stats.subarray((r * C + c) * 3, (r * C + c) * 3 + 3);
      let l: number;
      if (absentZero && Sg === 0) l = 0;
      else if (kind === 'dice') l = 1 - (2 * I + sn) / Math.max(Sp + Sg + sd, clamp);
      else if (kind === 'iou') l = 1 - (I + sn) / Math.max(Sp + Sg - I + sd, clamp);
      else {
        const base = 1 - (I + sn) / Math.max(I + ta * (Sp - I) + tb * (Sg - I) + sd, clamp);
        l = tg === 1 || after ? base : base > 0 ? base ** tg : 0;
      }
      entries.push(weight[c] * l);
      sum += weight[c] * l;
      wsum += weight[c];
    }
  if (after && tg !== 1) {
    const m = wsum > 0 ? sum / wsum : 0;
    return { total: m > 0 ? m ** tg : 0 };
  }
  return finish(sum, wsum, entries);
}

// ---- the Lovász losses (docs/semantics.md 2.7), written from Berman's algorithm ----

/** The errors of one Lovász problem's class (channel): per kept pixel, in pixel order ((n, spatial) flattened). */
interface LovaszClass {
  c: number;
  errors: number[];
  fg: boolean[];
  /** the pixel (n * P + i) of each entry */
  pixel: number[];
}

/** The problems of a Lovász call at x: per problem, its chosen classes' errors (f64). */
function lovaszProblems(b: Built, kind: 'lovaszSoftmax' | 'lovaszHinge', o: Record<string, unknown>, x: Float64Array): LovaszClass[][] {
  const { N, C, P, nhwc } = b;
  const at = (n: number, c: number, i: number) => (nhwc ? (n * P + i) * C + c : (n * C + c) * P + i);
  const lab = b.labels;
  const ig = lab ? (o.ignoreIndex as number | undefined) : undefined;
  const perImage = o.perImage === true;
  const per = perImage ? 1 : N;
  const problems: LovaszClass[][] = [];
  for (let q = 0; q < (perImage ? N : 1); q++) {
    const kept: [number, number][] = []; // (n, i)
    for (let n = q * per; n < (q + 1) * per; n++) for (let i = 0; i < P; i++) if (!lab || lab[n * P + i] !== ig) kept.push([n, i]);
    const label = (n: number, i: number) => lab![n * P + i];
    let chosen: number[] = [];
    if (kept.length > 0) {
      if (kind === 'lovaszHinge') chosen = Array.from({ length: C }, (_, c) => c);
      else {
        const classes = (o.classes as 'present' | 'all' | number[] | undefined) ?? 'present';
        if (classes === 'all') chosen = Array.from({ length: C }, (_, c) => c);
        else if (classes === 'present') chosen = Array.from({ length: C }, (_, c) => c).filter((c) => kept.some(([n, i]) => label(n, i) === c));
        else chosen = [...classes].sort((u, v) => u - v);
      }
    }
    const probs = (n: number, i: number): number[] => {
      const z = Array.from({ length: C }, (_, c) => x[at(n, c, i)]);
      if (o.activation === 'none') return z;
      const m = Math.max(...z);
      const e = z.map((v) => Math.exp(v - m));
      const s = e.reduce((u, v) => u + v, 0);
      return e.map((v) => v / s);
    };
    const p = kind === 'lovaszSoftmax' ? kept.map(([n, i]) => probs(n, i)) : [];
    problems.push(chosen.map((c) => {
      const fg = kept.map(([n, i]) =>
        kind === 'lovaszSoftmax' ? label(n, i) === c : b.dense ? b.dense[at(n, c, i)] === 1 : label(n, i) === (C === 1 ? 1 : c));
      const errors = kept.map(([n, i], k) => (kind === 'lovaszSoftmax' ? Math.abs(+fg[k] - p[k][c]) : 1 - x[at(n, c, i)] * (fg[k] ? 1 : -1)));
      return { c, errors, fg, pixel: kept.map(([n, i]) => n * P + i) };
    }));
  }
  return problems;
}

/** Berman's lovasz_grad dotted with the errors sorted by decreasing value (stable: ties in pixel order). */
function lovaszSorted({ errors, fg }: LovaszClass, hinge: boolean): number {
  const order = errors.map((_, k) => k).sort((u, v) => errors[v] - errors[u]); // Array.prototype.sort is stable
  const G = fg.reduce((s, f) => s + +f, 0);
  let cumFg = 0;
  let jPrev = 0;
  let loss = 0;
  order.forEach((k, pos) => {
    cumFg += +fg[k];
    const I = G - cumFg;
    const U = G + (pos + 1 - cumFg);
    const J = 1 - I / U;
    loss += (hinge ? Math.max(errors[k], 0) : errors[k]) * (J - jPrev);
    jPrev = J;
  });
  return loss;
}

function lovaszReference(b: Built, kind: 'lovaszSoftmax' | 'lovaszHinge', o: Record<string, unknown>, x: Float64Array): number {
  const sum = o.reduction === 'sum';
  const problems = lovaszProblems(b, kind, o, x);
  let total = 0;
  for (const classes of problems) {
    const losses = classes.map((cl) => lovaszSorted(cl, kind === 'lovaszHinge'));
    const s = losses.reduce((u, v) => u + v, 0);
    total += sum || losses.length === 0 ? s : s / losses.length;
  }
  return sum ? total : total / problems.length;
}

/** Whether the call is, or has a term that is, a Lovász loss (piecewise linear in its sorted errors). */
export function hasLovasz(b: Built): boolean {
  if (isLovasz(b.method)) return true;
  return b.method === 'combined' && (b.options.terms as { loss: string }[]).some((t) => isLovasz(t.loss));
}

/**
 * How far the Lovász losses of a call are from a kink when input coordinate `j` moves: the smallest
 * distance, over the Lovász losses (terms) of the call and their classes, between an error of j's pixel
 * and another kept error of the same class (where the sort order flips), or zero where relu (hinge) or
 * |.| (probabilities) bends. Infinity when the call has no Lovász loss or j's pixel is not kept. Central
 * differences of the reference with a step well below it see one linear piece. (A logit moves every
 * class's softmax error of its pixel, but only its own channel's hinge error.)
 */
export function lovaszKinkDistance(b: Built, x: Float64Array, j: number): number {
  const { C, P, nhwc } = b;
  const n = Math.floor(j / (P * C));
  const i = nhwc ? Math.floor(j / C) % P : j % P;
  const channel = nhwc ? j % C : Math.floor(j / P) % C;
  const pixel = n * P + i;
  const parts: [('lovaszSoftmax' | 'lovaszHinge'), Record<string, unknown>][] = [];
  if (isLovasz(b.method)) parts.push([b.method, b.options]);
  else if (b.method === 'combined') {
    for (const t of b.options.terms as Record<string, unknown>[]) {
      if (isLovasz(t.loss as string)) parts.push([t.loss as 'lovaszSoftmax', { ...t, ignoreIndex: t.ignoreIndex ?? b.options.ignoreIndex }]);
    }
  }
  let distance = Infinity;
  for (const [kind, o] of parts) {
    for (const classes of lovaszProblems(b, kind, o, x)) {
      for (const { c, errors, pixel: pixels } of classes) {
        const k = pixels.indexOf(pixel);
        if (k < 0 || (kind === 'lovaszHinge' && c !== channel)) continue;
        if (kind === 'lovaszHinge' || o.activation === 'none') distance = Math.min(distance, Math.abs(errors[k]));
        for (let m = 0; m < errors.length; m++) if (m !== k) distance = Math.min(distance, Math.abs(errors[m] - errors[k]));
      }
    }
  }
  return distance;
}

/** A one-line description of a built call, for failure messages. */
export function describeCall(b: Built): string {
  const o = { ...b.options };
  return `${b.method}(${b.p.dtype} target, shape [${b.shape.join(', ')}] ${b.p.layout}, ${JSON.stringify(o)})`;
}
