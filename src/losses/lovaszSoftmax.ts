// Lovász-softmax (Berman et al. 2018; smp LovaszLoss('multiclass')): per class, the errors |[t = c] - p_c|
// of the kept pixels sorted in decreasing order (stable: ties keep pixel order), dotted with the
// discrete gradient of the Jaccard loss; the mean over the chosen classes (and over images with perImage).
import { boolean, depends, ignoreIndex, oneOf, show } from '../schema.js';
import { defineLoss, NO_IGNORE } from './define.js';
import { runLovasz, wholeLabels } from './lovasz.js';

/** The per-class selection for the kernel: 1 always, 0 never, 2 when present. */
function selection(classes: unknown, name: string, C: number): Int32Array {
  if (classes === undefined || classes === 'present') return new Int32Array(C).fill(2);
  if (classes === 'all') return new Int32Array(C).fill(1);
  if (!Array.isArray(classes) && !(ArrayBuffer.isView(classes) && !(classes instanceof DataView))) {
    throw new TypeError(`${name} must be 'present', 'all' or an array of class indices, got ${show(classes)}`);
  }
  const list = classes as ArrayLike<unknown>;
  const sel = new Int32Array(C);
  for (let i = 0; i < list.length; i++) {
    const c = list[i];
    if (typeof c !== 'number' || !Number.isInteger(c) || c < 0 || c >= C) {
      throw new RangeError(`${name}[${i}] must be a class index in [0, ${C}), got ${show(c)}`);
    }
    if (sel[c]) throw new RangeError(`${name}[${i}] = ${c} is listed twice`);
    sel[c] = 1;
  }
  return sel;
}

export const lovaszSoftmax = defineLoss({
  name: 'lovaszSoftmax',
  doc: 'Lovász-softmax (Berman et al. 2018; smp LovaszLoss multiclass)',
  targets: ['index'],
  schema: {
    reduction: oneOf(['mean', 'sum'], 'mean', "'mean' over the chosen classes (and images), or 'sum'"),
    activation: oneOf(['softmax', 'none'], 'softmax', "'softmax' (logits) or 'none' (probabilities)"),
    classes: depends<'present' | 'all' | readonly number[], Int32Array>(
      "'present' (the classes among the kept pixels), 'all', or a list of class indices", "'present'",
      (v, name, env) => selection(v, name, env.g.C)),
    perImage: boolean(false, 'true: the mean over images of each image\'s loss; false: the batch is one problem'),
    ignoreIndex: ignoreIndex(undefined, 'label of the pixels dropped before sorting', 'none'),
  },
  run(call, s) {
    const { C } = call.g;
    const labels = wholeLabels(call, C, s.ignoreIndex);
    const select = call.alloc(C * 4);
    new Int32Array(call.arena.memory.buffer, select, C).set(s.classes);
    const x = call.wholeInput();
    const kernel = s.activation === 'softmax' ? 'lovaszSoftmax' : 'lovaszProbabilities';
    if (s.activation === 'none') call.checkRange('input', call.input, 0, 1);
    return runLovasz(call, kernel, { x, labels, y: 0, select, ignore: s.ignoreIndex ?? NO_IGNORE }, s.perImage, s.reduction === 'sum');
  },
});
