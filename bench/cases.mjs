// The one cases table of bench/: a row per loss of the library, saying how to call segloss for it on a
// workload and which peers exist for it (plain JS: bench/peers/plainjs.mjs, TensorFlow.js:
// bench/peers/tfjs.mjs, native C: bench/native/kernels.c). bench/run.mjs, the tfjs child process,
// bench/peers/measure.mjs, the report and bench/compare.mjs all read it.
//
// Row fields:
//   key      short name used in case ids (`voc/ce/1`), tables and the child-process protocol
//   loss     the segloss method (a loss name of the library)
//   label    table label
//   kind     the workload kind it runs on ('index' or 'binary', see bench/workloads.mjs)
//   summary  workloads whose fwd+grad row appears in the summary table
//   segloss(seg, input, target, opts)   opts: { shape, grad } or { shape, out }
//   plainjs(pj, d, w, opts)             opts: { grad, out }; absent when there is no plain-JS peer
//   tfjs(T, prepared, opts)             opts: { grad }; prepared by TFJS_PREPARE[kind]; absent: no peer
//   native   kernel name in bench/native/kernels.c; absent: no native kernel
//   nativeWorkload  the workload the native kernel runs on (default voc)
//
// A loss with no peer is still measured (segloss wasm, zero-copy and TS fallback); its peer columns say '-'.
// BENCH_LOSSES lists the library losses the table covers; test/registry.test.ts checks that it covers every
// name of the library's LOSS_NAMES plus 'combined', except those BENCH_EXEMPT names with the reason.

/** Region settings of every Dice / IoU / Tversky case: unsquared, smoothing 1, per sample (the default). */
export const REGION = { squared: false, smoothNumerator: 1, smoothDenominator: 1 };
export const TVERSKY = { ...REGION, alpha: 0.3, beta: 0.7 };
/** CE+Dice: 0.5 cross entropy + 0.5 Dice, sharing one softmax. */
export const CE_DICE_TERMS = [{ loss: 'crossEntropy', weight: 0.5 }, { loss: 'dice', weight: 0.5, ...REGION }];
const PJ_REGION = { squared: false, smooth: 1 };

export const CASES = [
  {
    key: 'ce', loss: 'crossEntropy', label: 'CE', kind: 'index', summary: ['voc', 'city', 'volume'],
    segloss: (s, x, t, o) => s.crossEntropy(x, t, o),
    plainjs: (pj, d, w, o) => pj.crossEntropy(d.x, d.labels, w.N, w.C, w.P, o),
    tfjs: (T, prep, o) => T.crossEntropy(prep, o),
    native: 'ce',
  },
  {
    key: 'focal', loss: 'focal', label: 'focal', kind: 'index', summary: ['voc'],
    segloss: (s, x, t, o) => s.focal(x, t, { gamma: 2, ...o }),
    plainjs: (pj, d, w, o) => pj.focal(d.x, d.labels, w.N, w.C, w.P, { gamma: 2, ...o }),
    tfjs: (T, prep, o) => T.focal(prep, { gamma: 2, ...o }),
  },
  {
    key: 'dice', loss: 'dice', label: 'Dice', kind: 'index', summary: ['voc', 'city', 'volume'],
    segloss: (s, x, t, o) => s.dice(x, t, { ...REGION, ...o }),
    plainjs: (pj, d, w, o) => pj.dice(d.x, d.labels, w.N, w.C, w.P, { ...PJ_REGION, ...o }),
    tfjs: (T, prep, o) => T.dice(prep, { ...PJ_REGION, ...o }),
    native: 'dice',
  },
  {
    key: 'gdice', loss: 'generalizedDice', label: 'GenDice', kind: 'index', summary: ['voc', 'volume'],
    segloss: (s, x, t, o) => s.generalizedDice(x, t, o),
    // MONAI's GeneralizedDiceLoss defaults; no plain-JS, TF.js or native peer
  },
  {
    key: 'iou', loss: 'iou', label: 'IoU', kind: 'index', summary: ['voc'],
    segloss: (s, x, t, o) => s.iou(x, t, { ...REGION, ...o }),
    plainjs: (pj, d, w, o) => pj.iou(d.x, d.labels, w.N, w.C, w.P, { ...PJ_REGION, ...o }),
    tfjs: (T, prep, o) => T.iou(prep, { ...PJ_REGION, ...o }),
  },
  {
    key: 'tversky', loss: 'tversky', label: 'Tversky', kind: 'index', summary: [],
    segloss: (s, x, t, o) => s.tversky(x, t, { ...TVERSKY, ...o }),
    // no plain-JS, TF.js or native peer yet
  },
  {
    key: 'cedice', loss: 'combined', label: 'CE+Dice', kind: 'index', summary: ['voc'],
    segloss: (s, x, t, o) => s.combined(x, t, { terms: CE_DICE_TERMS, ...o }),
    plainjs: (pj, d, w, o) => pj.combinedCeDice(d.x, d.labels, w.N, w.C, w.P, { wCe: 0.5, wDice: 0.5, ...PJ_REGION, ...o }),
    tfjs: (T, prep, o) => T.combinedCeDice(prep, { wCe: 0.5, wDice: 0.5, ...PJ_REGION, ...o }),
  },
  {
    key: 'bce', loss: 'binaryCrossEntropy', label: 'BCE', kind: 'binary', summary: ['binary'],
    segloss: (s, x, t, o) => s.binaryCrossEntropy(x, t, o),
    plainjs: (pj, d, w, o) => pj.binaryCrossEntropy(d.x, d.y, o),
    tfjs: (T, prep, o) => T.binaryCrossEntropy(prep, o),
    native: 'bce', nativeWorkload: 'binary',
  },
];

/** The library losses (segloss method names) the bench covers. */
export const BENCH_LOSSES = [...new Set(CASES.map((c) => c.loss))];

/**
 * Library losses with no bench row, each with why: loss name -> reason. Empty: every loss has a row.
 * A loss listed here must really have no row (test/registry.test.ts checks both ways).
 */
export const BENCH_EXEMPT = {
  lovaszSoftmax: 'its own bench, bench/lovasz.mjs (voc and kornia shapes against a plain-JS sort and PyTorch), run by npm run bench',
  lovaszHinge: 'its own bench, bench/lovasz.mjs, run by npm run bench',
};

/** How the TF.js peer prepares a workload's data (outside the timed region), by workload kind. */
export const TFJS_PREPARE = {
  index: (T, d, w) => T.prepare(d.x, d.labels, w.N, w.C, w.P),
  binary: (T, d) => T.prepareBinary(d.x, d.y),
};

export function caseOf(key) {
  const c = CASES.find((q) => q.key === key);
  if (!c) throw new Error(`unknown case ${key} (known: ${CASES.map((q) => q.key).join(', ')})`);
  return c;
}

/** The cases that run on a workload, in table order. */
export const casesFor = (w) => CASES.filter((c) => c.kind === w.kind);
