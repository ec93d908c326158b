// What a loss module declares: its name, a one-line doc, its option schema, and how it runs on a
// call whose options are already parsed. src/losses/index.ts registers every module.
import type { Call } from '../call.js';
import type { LossResult, TargetKind } from '../options.js';
import { type Schema, type Settings, oneOf } from '../schema.js';

export interface LossDef<N extends string = string, S extends Schema = Schema> {
  readonly name: N;
  readonly doc: string;
  readonly schema: S;
  /** The target kinds it accepts (default: index maps and dense targets). */
  readonly targets?: readonly TargetKind[];
  run(call: Call, settings: Settings<S>): LossResult;
}

export function defineLoss<const N extends string, S extends Schema>(def: LossDef<N, S>): LossDef<N, S> {
  return Object.freeze(def);
}

export const REDUCTION = oneOf(['mean', 'sum', 'none'], 'mean', "'mean', 'sum' or 'none' (the per-pixel or per-class losses)");

/** Any value outside [0, C) once the labels are validated: "nothing is ignored". */
export const NO_IGNORE = -1;

export const ones = (C: number) => new Float32Array(C).fill(1);
