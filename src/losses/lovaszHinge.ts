// Lovász-hinge (Berman et al. 2018; smp LovaszLoss('binary')) on logits: errors 1 - x (2y - 1) sorted in
// decreasing order (stable), relu(errors) dotted with the Jaccard gradient; each channel its own problem,
// the mean over channels (and over images with perImage). Targets: dense 0/1 shaped like the input, or an
// index map: labels in {0, 1} for C = 1, one-vs-rest y_c = [t = c] for C > 1.
import { boolean, ignoreIndex, oneOf } from '../schema.js';
import { defineLoss, NO_IGNORE } from './define.js';
import { runLovasz, wholeLabels } from './lovasz.js';

export const lovaszHinge = defineLoss({
  name: 'lovaszHinge',
  doc: 'Lovász-hinge (Berman et al. 2018; smp LovaszLoss binary)',
  schema: {
    reduction: oneOf(['mean', 'sum'], 'mean', "'mean' over channels (and images), or 'sum'"),
    perImage: boolean(false, "true: the mean over images of each image's loss; false (smp's default): the batch is one problem"),
    ignoreIndex: ignoreIndex(undefined, 'label of the pixels dropped before sorting (index targets)', 'none'),
  },
  run(call, s) {
    const { C } = call.g;
    let labels = 0;
    let y = 0;
    if (call.targetKind === 'index') {
      labels = wholeLabels(call, C === 1 ? 2 : C, s.ignoreIndex);
    } else {
      const t = call.target.view as Float32Array;
      for (let i = 0; i < t.length; i++) {
        if (t[i] !== 0 && t[i] !== 1) throw new RangeError(`target[${i}] = ${t[i]} must be 0 or 1 (a dense hinge target is binary)`);
      }
      y = call.wholeDense();
    }
    const x = call.wholeInput();
    return runLovasz(call, 'lovaszHinge', { x, labels, y, select: 0, ignore: s.ignoreIndex ?? NO_IGNORE }, s.perImage, s.reduction === 'sum');
  },
});
