// A weighted sum of losses over the same input, e.g. 0.5 crossEntropy + 0.5 dice. Each term is parsed
// against its own loss's schema before any work. Cross entropy plus one softmax region loss on an index
// target share one softmax (two passes over the logits, the same bits as the separate terms); any
// other combination runs each term into a buffer and adds it, scaled, to the summed gradient.
import { Arg, Call, type Host, prepare } from '../call.js';
import type { LossResult } from '../options.js';
import { type Settings, checkInteger, checkNumber, depends, oneOf, parseSettings, show } from '../schema.js';
import { checkKeys } from '../call.js';
import { LOSSES, LOSS_NAMES, type LossName, type LossOptions } from './index.js';
import type { LossDef } from './define.js';
import { type RegionOptionSettings, finishRegion, regionSettings } from './region.js';

/** A term: the loss, its coefficient `weight`, and its own options; `classWeight` is the loss's own `weight`. */
export type CombinedTerm = {
  [N in LossName]: { loss: N; weight?: number; classWeight?: ArrayLike<number> } &
    Omit<LossOptions<N>, 'shape' | 'layout' | 'grad' | 'out' | 'reduction' | 'weight'>;
}[LossName];

export interface CombinedResult {
  loss: number;
  /** each term's value, before its coefficient */
  terms: number[];
  grad?: Float32Array;
}

interface ParsedTerm {
  def: LossDef;
  factor: number;
  settings: Settings<LossDef['schema']>;
}

const TERM_CALL_KEYS = ['shape', 'layout', 'grad', 'out', 'reduction'];

const schema = {
  reduction: oneOf(['mean', 'sum'], 'mean', "'mean' or 'sum', for every term"),
  ignoreIndex: depends<number, number | undefined>('the ignoreIndex of every term that does not set its own', 'none',
    (v, name) => (v === undefined ? undefined : checkInteger(name, v))),
  terms: depends<readonly CombinedTerm[], ParsedTerm[]>('the terms: { loss, weight, classWeight, ...options }', 'required',
    (v, _name, env) => {
      if (!Array.isArray(v) || v.length === 0) {
        throw new TypeError('combined: terms must be a non-empty array of { loss, weight, ...options }');
      }
      return v.map((term, i) => {
        if (term === null || typeof term !== 'object' || !LOSS_NAMES.includes(term.loss)) {
          throw new TypeError(`terms[${i}].loss must be one of ${LOSS_NAMES.join(', ')}, got ${String(term?.loss)}`);
        }
        const { loss, weight, classWeight, ...own } = term as Record<string, unknown>;
        const def = LOSSES[loss as LossName] as unknown as LossDef;
        if (weight !== undefined && typeof weight !== 'number') {
          throw new TypeError(`terms[${i}].weight is the term's coefficient, a number, got ${show(weight)}; a loss's per-class weights go in classWeight`);
        }
        const factor = weight === undefined ? 1 : checkNumber(`terms[${i}].weight`, weight, -Infinity, Infinity, true);
        if (classWeight !== undefined && !('weight' in def.schema)) {
          throw new TypeError(`terms[${i}].classWeight: ${def.name} takes no per-class weight`);
        }
        const allowed = Object.keys(def.schema).filter((k) => !TERM_CALL_KEYS.includes(k) && k !== 'weight');
        checkKeys(own, allowed, `combined terms[${i}], ${def.name}`);
        const options: Record<string, unknown> = { ...own, reduction: env.settings.reduction };
        if (classWeight !== undefined) options.weight = classWeight;
        options.ignoreIndex ??= env.settings.ignoreIndex;
        return { def, factor, settings: parseSettings(def.schema, options, env) };
      });
    }),
};

export function runCombined(host: Host, input: unknown, target: unknown, options: unknown): CombinedResult {
  const { call, settings } = prepare(host, { name: 'combined', schema }, input, target, options);
  const terms = settings.terms;
  const shared = call.wantGrad ? sharedSoftmax(call, terms) : undefined;
  if (shared) return crossEntropyWithRegion(call, shared);
  const n = call.input.length;
  // each term's gradient lands in `term` and is added, scaled, to `sum`: in the backend's memory for
  // one window, in arrays of their own when the call streams (memory stays bounded)
  const inMemory = !call.windowed;
  const sum = call.wantGrad ? (inMemory ? new Arg(call.arena, Float32Array, n, call.zeros(4 * n)) : outside(n)) : undefined;
  const term = call.wantGrad ? (inMemory ? new Arg(call.arena, Float32Array, n, call.alloc(4 * n)) : outside(n)) : undefined;
  let total = 0;
  const values = terms.map(({ def, factor, settings: termSettings }) => {
    const mark = call.arena.mark();
    const value = def.run(call.withOut(term, call.wantGrad), termSettings).loss as number;
    if (term && inMemory) call.kernel('addScaled', { x: term.at, y: sum!.at, n, factor });
    else if (term) addScaled(sum!.view, term.view, factor);
    call.arena.rewind(mark);
    total += factor * value;
    return value;
  });
  if (!sum) return { loss: total, terms: values };
  return { loss: total, terms: values, grad: deliver(call, sum.view) };
}

const outside = (n: number) => new Arg(undefined as never, Float32Array, n, -1, new Float32Array(n));

/** dst += factor * src in float32, the operations of the addScaled kernel. */
function addScaled(dst: Float32Array, src: Float32Array, factor: number): void {
  const f = Math.fround(factor);
  for (let i = 0; i < dst.length; i++) dst[i] = Math.fround(dst[i] + Math.fround(f * src[i]));
}

/** The summed gradient as the caller gets it: `out` (a view of it when it lives in memory) or a copy. */
function deliver(call: Call, sum: Float32Array): Float32Array {
  if (!call.out) return sum.slice();
  const out = call.out.view;
  out.set(sum);
  return out;
}

type Shared = { ce: ParsedTerm; region: ParsedTerm; order: string[] };

/** Cross entropy and one softmax region loss on an index target can share one softmax. */
function sharedSoftmax(call: Call, terms: ParsedTerm[]): Shared | undefined {
  if (terms.length !== 2 || call.targetKind !== 'index' || call.g.C < 2) return undefined;
  const ce = terms.find((t) => t.def.name === 'crossEntropy');
  const region = terms.find((t) => ['dice', 'iou', 'tversky'].includes(t.def.name));
  if (!ce || !region) return undefined;
  const r = region.settings as unknown as RegionOptionSettings;
  if (r.activation !== 'softmax') return undefined;
  if (r.ignoreIndex !== undefined && r.ignoreIndex !== (ce.settings.ignoreIndex as number)) return undefined;
  return { ce, region, order: terms.map((t) => t.def.name) };
}

/**
 * Two passes instead of four, and one exp per logit: the cross-entropy kernel also sums the region
 * statistics from its softmax and leaves the probabilities in the gradient buffer; the second pass
 * computes both gradients from them and sums them in place.
 */
function crossEntropyWithRegion(call: Call, { ce, region, order }: Shared): CombinedResult {
  const { N, C, nhwc } = call.g;
  const cs = ce.settings as { reduction: 'mean' | 'sum'; weight?: Float32Array; ignoreIndex: number; labelSmoothing: number };
  const r = region.settings as unknown as RegionOptionSettings;
  const settings = regionSettings(region.def.name as 'dice', r);
  const sums = call.lossSums();
  const weight = call.putF32(cs.weight ?? new Float32Array(C).fill(1));
  // validity as the region term sees it: without its own ignoreIndex no label may equal CE's
  const divisor = call.labels(C, r.ignoreIndex === undefined ? undefined : cs.ignoreIndex, cs.weight ? weight : 0).weightSum;
  const grad = call.gradient()!;
  const stats = call.blockSums(3 * C);
  const scale = Call.scale(cs.reduction, divisor);
  const squared = +settings.squared;
  call.pass({ labels: true, grad }, (w) =>
    call.kernel('crossEntropyIndexWithRegion', {
      ...w, target: w.labels, weight, C, nhwc: +nhwc, ignore: cs.ignoreIndex, smoothing: cs.labelSmoothing, gamma: 0,
      scale, losses: 0, out: sums.at(w), stats: stats.at(w), squared,
    }));
  const sum = call.sumOf(sums);
  const ceLoss = cs.reduction === 'sum' ? sum : divisor > 0 ? sum / divisor : 0;
  const done = finishRegion(stats.perSample(), N, C, settings);
  const coefA = call.putF32(done.coefA);
  const coefB = call.putF32(done.coefB);
  call.pass({ labels: true, input: false, grad, gradIn: true }, (w) =>
    call.kernel('regionGradSharedSoftmax', {
      ...w, y: 0, C, nhwc: +nhwc, labelOffset: 0, ignore: cs.ignoreIndex, squared, stats: 0,
      coefA: coefA + w.n * C * 4, coefB: coefB + w.n * C * 4, prior: ce.factor, factor: region.factor,
      weight, smoothing: cs.labelSmoothing, scale,
    }));
  const values = order.map((name) => (name === 'crossEntropy' ? ceLoss : (done.loss as number)));
  const factors = order.map((name) => (name === 'crossEntropy' ? ce.factor : region.factor));
  return { loss: 0 + factors[0] * values[0] + factors[1] * values[1], terms: values, grad: grad.result(call) };
}

export type CombinedOptions = {
  shape: readonly number[];
  layout?: 'NCHW' | 'NHWC';
  reduction?: 'mean' | 'sum';
  grad?: boolean;
  out?: LossOptions<'crossEntropy'>['out'];
  ignoreIndex?: number;
  terms: readonly CombinedTerm[];
};
export type { LossResult };
