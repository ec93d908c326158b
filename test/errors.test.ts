// Every bad input throws a TypeError or RangeError naming the argument and the offending value,
// on both backends, before any number is produced.
import { describe, expect, it } from 'vitest';
import { init, type Segloss } from '../src/index.js';
import { backends } from './helpers.js';

const shape = [2, 3, 2, 2];
const x = new Float32Array(24);
const t = new Int32Array(8);
const dense = new Float32Array(24);

type Case = [string, (s: Segloss) => unknown, ErrorConstructor, RegExp];

const cases: Case[] = [
  ['input not a Float32Array', (s) => s.crossEntropy(new Float64Array(24) as never, t, { shape }), TypeError, /input must be a Float32Array, got Float64Array\(24\)/],
  ['options missing', (s) => s.crossEntropy(x, t, undefined as never), TypeError, /options with a 'shape' are required/],
  ['shape missing', (s) => s.dice(x, t, {} as never), TypeError, /shape must be an array/],
  ['shape of one dim', (s) => s.dice(x, t, { shape: [24] }), TypeError, /shape must be an array .* got \[24\]/],
  ['shape with a fractional dim', (s) => s.dice(x, t, { shape: [2, 3, 2.5, 2] }), RangeError, /shape\[2\] must be a non-negative integer, got 2.5/],
  ['shape with a negative dim', (s) => s.dice(x, t, { shape: [2, 3, -2, -2] }), RangeError, /shape\[2\] must be a non-negative integer, got -2/],
  ['C = 0', (s) => s.crossEntropy(new Float32Array(0), new Int32Array(8), { shape: [2, 0, 2, 2] }), RangeError, /class dimension C must be >= 1, got 0/],
  ['input length does not match shape', (s) => s.crossEntropy(x, t, { shape: [2, 3, 2, 3] }), RangeError, /input length 24 does not match shape \[2, 3, 2, 3\] \(NCHW\), which holds 36/],
  ['target of a wrong type', (s) => s.crossEntropy(x, new Float64Array(8) as never, { shape }), TypeError, /target must be an integer typed array .* got Float64Array\(8\)/],
  ['index target of a wrong length', (s) => s.crossEntropy(x, new Int32Array(7), { shape }), RangeError, /index map must hold N\*P = 8 labels, got 7/],
  ['dense target of a wrong length', (s) => s.dice(x, new Float32Array(8), { shape }), RangeError, /dense Float32Array target must have the input's length 24, got 8/],
  ['label out of range', (s) => s.crossEntropy(x, Int32Array.of(0, 1, 2, 0, 1, 3, 0, 0), { shape }), RangeError, /target\[5\] = 3 is out of range: labels must be in \[0, 3\) \(ignoreIndex -100\)/],
  ['negative label', (s) => s.dice(x, Int32Array.of(0, 1, -1, 0, 1, 2, 0, 0), { shape }), RangeError, /target\[2\] = -1 is out of range: labels must be in \[0, 3\) \(no ignoreIndex\)/],
  ['uint8 label 255 without ignoreIndex 255', (s) => s.focal(x, Uint8Array.of(0, 1, 2, 0, 1, 255, 0, 0), { shape }), RangeError, /target\[5\] = 255 is out of range/],
  ['binary label 2', (s) => s.binaryCrossEntropy(new Float32Array(8), Uint8Array.of(0, 1, 1, 0, 2, 0, 0, 0), { shape: [2, 1, 2, 2] }), RangeError, /target\[4\] = 2 is out of range: labels must be in \{0, 1\}/],
  ['weight of a wrong length', (s) => s.crossEntropy(x, t, { shape, weight: [1, 2] }), RangeError, /weight must have one entry per class \(C = 3\), got length 2/],
  ['negative weight', (s) => s.crossEntropy(x, t, { shape, weight: [1, -2, 1] }), RangeError, /weight\[1\] must be a finite number >= 0, got -2/],
  ['non-finite weight', (s) => s.dice(x, t, { shape, weight: [1, 1, NaN] }), RangeError, /weight\[2\] must be a finite number >= 0, got NaN/],
  ['weight not an array', (s) => s.crossEntropy(x, t, { shape, weight: 3 as never }), TypeError, /weight must be an array of 3 numbers/],
  ['posWeight of a wrong length', (s) => s.binaryCrossEntropy(x, dense, { shape, posWeight: [1, 2, 3, 4] }), RangeError, /posWeight must have one entry per channel \(C = 3\), got length 4/],
  ['negative posWeight', (s) => s.binaryCrossEntropy(x, dense, { shape, posWeight: -1 }), RangeError, /posWeight must be a finite number >= 0, got -1/],
  ['gamma < 0', (s) => s.focal(x, t, { shape, gamma: -0.5 }), RangeError, /gamma must be a finite number >= 0, got -0.5/],
  ['tversky gamma < 0', (s) => s.tversky(x, t, { shape, gamma: -1 }), RangeError, /gamma must be .* got -1/],
  ['labelSmoothing > 1', (s) => s.crossEntropy(x, t, { shape, labelSmoothing: 1.5 }), RangeError, /labelSmoothing must be a finite number in \[0, 1\], got 1.5/],
  ['labelSmoothing < 0', (s) => s.crossEntropy(x, t, { shape, labelSmoothing: -0.1 }), RangeError, /labelSmoothing .* got -0.1/],
  ['gamma not a number', (s) => s.focal(x, t, { shape, gamma: '2' as never }), TypeError, /gamma must be a number, got "2"/],
  ['bad layout', (s) => s.crossEntropy(x, t, { shape, layout: 'NWHC' as never }), TypeError, /layout must be one of "NCHW", "NHWC", got "NWHC"/],
  ['bad reduction', (s) => s.crossEntropy(x, t, { shape, reduction: 'avg' as never }), TypeError, /reduction must be one of "mean", "sum", "none", got "avg"/],
  ['bad activation', (s) => s.dice(x, t, { shape, activation: 'relu' as never }), TypeError, /activation must be one of "softmax", "sigmoid", "none", got "relu"/],
  ['unknown option', (s) => s.crossEntropy(x, t, { shape, ignore_index: 255 } as never), TypeError, /crossEntropy: unknown option 'ignore_index'/],
  ['ignoreIndex not an integer', (s) => s.crossEntropy(x, t, { shape, ignoreIndex: 2.5 }), TypeError, /ignoreIndex must be an integer \(32-bit\), got 2.5/],
  ['ignoreIndex with a dense target', (s) => s.crossEntropy(x, dense, { shape, ignoreIndex: 255 }), TypeError, /ignoreIndex applies to index targets only, got 255/],
  ['probability out of [0, 1]', (s) => s.binaryCrossEntropy(Float32Array.of(0.5, 1.5), Float32Array.of(1, 0), { shape: [1, 1, 2], fromLogits: false }), RangeError, /input\[1\] = 1.5 must be in \[0, 1\]/],
  ['grad not a boolean', (s) => s.iou(x, t, { shape, grad: 1 as never }), TypeError, /grad must be a boolean, got 1/],
  ['softmax focal with a dense target', (s) => s.focal(x, dense, { shape, activation: 'softmax' }), TypeError, /activation 'softmax' needs an index target/],
  ['includeBackground false with C = 1', (s) => s.dice(new Float32Array(8), t, { shape: [2, 1, 2, 2], includeBackground: false }), RangeError, /includeBackground: false needs C >= 2 classes, got C = 1/],
  ['combined without terms', (s) => s.combined(x, t, { shape, terms: [] }), TypeError, /terms must be a non-empty array/],
  ['combined with an unknown loss', (s) => s.combined(x, t, { shape, terms: [{ loss: 'lovasz' as never }] }), TypeError, /terms\[0\]\.loss must be one of .* got lovasz/],
  ["combined with reduction 'none'", (s) => s.combined(x, t, { shape, reduction: 'none' as never, terms: [{ loss: 'dice' }] }), TypeError, /reduction must be one of "mean", "sum", got "none"/],
  ['generalizedDice bad weightType', (s) => s.generalizedDice(x, t, { shape, weightType: 'cube' as never }), TypeError, /weightType must be one of "square", "simple", "uniform", got "cube"/],
  ['generalizedDice negative smoothDenominator', (s) => s.generalizedDice(x, t, { shape, smoothDenominator: -1 }), RangeError, /smoothDenominator must be a finite number >= 0, got -1/],
  ['generalizedDice includeBackground false with C = 1', (s) => s.generalizedDice(new Float32Array(8), t, { shape: [2, 1, 2, 2], includeBackground: false }), RangeError, /includeBackground: false needs C >= 2/],
  ['generalizedDice has no weight', (s) => s.generalizedDice(x, t, { shape, weight: [1, 1, 1] } as never), TypeError, /generalizedDice: unknown option 'weight'/],
  ['bad absentClasses', (s) => s.dice(x, t, { shape, absentClasses: 'skip' as never }), TypeError, /absentClasses must be one of "score", "zero", got "skip"/],
  ['negative clampDenominator', (s) => s.iou(x, t, { shape, clampDenominator: -1e-7 }), RangeError, /clampDenominator must be a finite number >= 0, got -1e-7/],
  ["gammaAfterMean with reduction 'none'", (s) => s.tversky(x, t, { shape, gammaAfterMean: true, reduction: 'none' }), TypeError, /gammaAfterMean: true needs reduction 'mean', got "none"/],
  ['gammaAfterMean on dice', (s) => s.dice(x, t, { shape, gammaAfterMean: true } as never), TypeError, /dice: unknown option 'gammaAfterMean'/],
  ['bad meanOver', (s) => s.binaryCrossEntropy(x, dense, { shape, meanOver: 'every' as never }), TypeError, /meanOver must be one of "kept", "all", got "every"/],
  ['combined classWeight for generalizedDice', (s) => s.combined(x, t, { shape, terms: [{ loss: 'generalizedDice', classWeight: [1, 2, 3] }] }), TypeError, /terms\[0\]\.classWeight: generalizedDice takes no per-class weight/],
  ['combined term with a bad option', (s) => s.combined(x, t, { shape, terms: [{ loss: 'dice', gamma: 2 }] }), TypeError, /dice: unknown option 'gamma'/],
];

describe.each(['wasm', 'js'] as const)('%s rejects bad input', async (name) => {
  const seg = await backends[name];
  it.each(cases)('%s', (_, call, type, message) => {
    expect(() => call(seg)).toThrow(type);
    expect(() => call(seg)).toThrow(message);
  });
});

it('init rejects an unknown backend', async () => {
  await expect(init({ backend: 'gpu' as never })).rejects.toThrow(/backend must be 'wasm' or 'js', got "gpu"/);
});
