// The loss registry: every loss module, once. Segloss's methods, the option types, combined's terms,
// the TF.js bridge and the test, bench and demo lists all derive from it.
import type { BaseOptions } from '../options.js';
import type { OptionsOf } from '../schema.js';
import { binaryCrossEntropy } from './binaryCrossEntropy.js';
import { crossEntropy } from './crossEntropy.js';
import { dice } from './dice.js';
import { focal } from './focal.js';
import { generalizedDice } from './generalizedDice.js';
import { iou } from './iou.js';
import { lovaszHinge } from './lovaszHinge.js';
import { lovaszSoftmax } from './lovaszSoftmax.js';
import { tversky } from './tversky.js';

export const LOSSES = {
  crossEntropy, binaryCrossEntropy, focal, dice, iou, tversky, generalizedDice, lovaszSoftmax, lovaszHinge,
} as const;

export type LossName = keyof typeof LOSSES;
export const LOSS_NAMES = Object.keys(LOSSES) as LossName[];

/** The options a loss takes: the call's (shape, layout, grad, out) and its own schema's. */
export type LossOptions<N extends LossName> = BaseOptions & OptionsOf<(typeof LOSSES)[N]['schema']>;
