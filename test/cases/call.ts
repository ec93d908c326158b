// Bad input every loss shares: the errors of the call plumbing (src/call.ts, src/options.ts): the
// input, the options object, the shape and layout, the target and its labels, grad, unknown option
// keys. Each is made through one loss; a loss's own options' errors are in its table.
import { type ErrorCase, bad } from './types.js';

const { shape, x, t } = bad;

export const CALL_ERRORS: ErrorCase[] = [
  { name: 'input not a Float32Array', run: (s) => s.crossEntropy(new Float64Array(24) as never, t, { shape }), type: TypeError, message: /input must be a Float32Array, got Float64Array\(24\)/ },
  { name: 'options missing', run: (s) => s.crossEntropy(x, t, undefined as never), type: TypeError, message: /options with a 'shape' are required/ },
  { name: 'shape missing', run: (s) => s.dice(x, t, {} as never), type: TypeError, message: /shape must be an array/ },
  { name: 'shape of one dim', run: (s) => s.dice(x, t, { shape: [24] }), type: TypeError, message: /shape must be an array .* got \[24\]/ },
  { name: 'shape with a fractional dim', run: (s) => s.dice(x, t, { shape: [2, 3, 2.5, 2] }), type: RangeError, message: /shape\[2\] must be a non-negative integer, got 2.5/ },
  { name: 'shape with a negative dim', run: (s) => s.dice(x, t, { shape: [2, 3, -2, -2] }), type: RangeError, message: /shape\[2\] must be a non-negative integer, got -2/ },
  { name: 'C = 0', run: (s) => s.crossEntropy(new Float32Array(0), new Int32Array(8), { shape: [2, 0, 2, 2] }), type: RangeError, message: /class dimension C must be >= 1, got 0/ },
  {
    name: 'input length does not match shape',
    run: (s) => s.crossEntropy(x, t, { shape: [2, 3, 2, 3] }),
    type: RangeError,
    message: /input length 24 does not match shape \[2, 3, 2, 3\] \(NCHW\), which holds 36/,
  },
  { name: 'target of a wrong type', run: (s) => s.crossEntropy(x, new Float64Array(8) as never, { shape }), type: TypeError, message: /target must be an integer typed array .* got Float64Array\(8\)/ },
  { name: 'index target of a wrong length', run: (s) => s.crossEntropy(x, new Int32Array(7), { shape }), type: RangeError, message: /index map must hold N\*P = 8 labels, got 7/ },
  { name: 'dense target of a wrong length', run: (s) => s.dice(x, new Float32Array(8), { shape }), type: RangeError, message: /dense Float32Array target must have the input's length 24, got 8/ },
  {
    name: 'label out of range',
    run: (s) => s.crossEntropy(x, Int32Array.of(0, 1, 2, 0, 1, 3, 0, 0), { shape }),
    type: RangeError,
    message: /target\[5\] = 3 is out of range: labels must be in \[0, 3\) \(ignoreIndex -100\)/,
  },
  {
    name: 'negative label',
    run: (s) => s.dice(x, Int32Array.of(0, 1, -1, 0, 1, 2, 0, 0), { shape }),
    type: RangeError,
    message: /target\[2\] = -1 is out of range: labels must be in \[0, 3\) \(no ignoreIndex\)/,
  },
  { name: 'uint8 label 255 without ignoreIndex 255', run: (s) => s.focal(x, Uint8Array.of(0, 1, 2, 0, 1, 255, 0, 0), { shape }), type: RangeError, message: /target\[5\] = 255 is out of range/ },
  { name: 'bad layout', run: (s) => s.crossEntropy(x, t, { shape, layout: 'NWHC' as never }), type: TypeError, message: /layout must be one of "NCHW", "NHWC", got "NWHC"/ },
  { name: 'unknown option', run: (s) => s.crossEntropy(x, t, { shape, ignore_index: 255 } as never), type: TypeError, message: /crossEntropy: unknown option 'ignore_index'/ },
  { name: 'grad not a boolean', run: (s) => s.iou(x, t, { shape, grad: 1 as never }), type: TypeError, message: /grad must be a boolean, got 1/ },
];
