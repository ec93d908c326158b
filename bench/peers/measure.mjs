// Quick standalone timing of one peer on one workload (JSON lines, same fields as bench/native/run.sh).
// Run one at a time (each process runs one peer; never two heavy benchmarks at once).
//   node bench/peers/measure.mjs --peer plainjs   --loss ce,dice --workload voc --reps 9
//   node bench/peers/measure.mjs --peer tfjs-wasm --loss ce,dice --workload voc --reps 7
//   node bench/peers/measure.mjs --peer tfjs-cpu  --loss ce      --workload voc --reps 2 --warmup 0
// Options: --grad 1|0|both (1). tfjs peers also report prepare_ms (NCHW -> NHWC transpose + one-hot),
// timed apart from the losses. Losses: ce, bce, focal, dice, iou, cedice.
import { makeCase, workload } from './data.mjs';

const argv = process.argv.slice(2);
const opt = (k, d) => { const i = argv.indexOf('--' + k); return i >= 0 ? argv[i + 1] : d; };
const peer = opt('peer', 'plainjs');
const losses = opt('loss', 'ce').split(',');
const w = workload(opt('workload', 'voc'));
const reps = Math.max(1, +opt('reps', 9));
const warmup = Math.max(0, +opt('warmup', 2));
const gradOpt = opt('grad', '1');
const grads = gradOpt === 'both' ? [false, true] : [gradOpt !== '0'];
const { N, C, P } = w;
const { x, labels } = makeCase(N, C, P, 1);
// dense binary targets for bce: one-hot of the labels (N, C, P)
let y = null;
const denseTargets = () => {
  if (!y) { y = new Float32Array(N * C * P); for (let n = 0; n < N; n++) for (let p = 0; p < P; p++) y[(n * C + labels[n * P + p]) * P + p] = 1; }
  return y;
};

function time(fn) {
  let r;
  for (let i = 0; i < warmup; i++) r = fn();
  const t = [];
  for (let i = 0; i < reps; i++) { const t0 = performance.now(); r = fn(); t.push(performance.now() - t0); }
  t.sort((a, b) => a - b);
  const median = reps % 2 ? t[reps >> 1] : (t[reps / 2 - 1] + t[reps / 2]) / 2;
  return { median, min: t[0], max: t[reps - 1], r };
}
const emit = (o) => console.log(JSON.stringify(o));
const base = (loss, grad) => ({ peer, kernel: loss, workload: w.name, N, C, P, grad, reps, warmup });
const fmt = (s) => ({ median_ms: +s.median.toFixed(3), min_ms: +s.min.toFixed(3), max_ms: +s.max.toFixed(3), loss: s.r.loss });

if (peer === 'plainjs') {
  const pj = await import('./plainjs.mjs');
  const out = new Float32Array(N * C * P);
  const call = {
    ce: (grad) => pj.crossEntropy(x, labels, N, C, P, { grad, out }),
    bce: (grad) => pj.binaryCrossEntropy(x, denseTargets(), { grad, out }),
    focal: (grad) => pj.focal(x, labels, N, C, P, { grad, out }),
    dice: (grad) => pj.dice(x, labels, N, C, P, { grad, out }),
    iou: (grad) => pj.iou(x, labels, N, C, P, { grad, out }),
    cedice: (grad) => pj.combinedCeDice(x, labels, N, C, P, { grad, out }),
  };
  for (const l of losses) for (const g of grads) emit({ ...base(l, g), ...fmt(time(() => call[l](g))) });
} else if (peer === 'tfjs-wasm' || peer === 'tfjs-cpu') {
  const T = await import('./tfjs.mjs');
  const info = await T.init(peer.slice(5));
  const tp = time(() => { const p = T.prepare(x, labels, N, C, P); T.dispose(p); return { loss: NaN }; });
  emit({ peer, kernel: 'prepare', workload: w.name, N, C, P, reps, warmup, median_ms: +tp.median.toFixed(3), min_ms: +tp.min.toFixed(3), max_ms: +tp.max.toFixed(3), backend: info });
  const prep = T.prepare(x, labels, N, C, P);
  const prepB = losses.includes('bce') ? T.prepareBinary(x, denseTargets()) : null;
  const call = {
    ce: (grad) => T.crossEntropy(prep, { grad }),
    bce: (grad) => T.binaryCrossEntropy(prepB, { grad }),
    focal: (grad) => T.focal(prep, { grad }),
    dice: (grad) => T.dice(prep, { grad }),
    iou: (grad) => T.iou(prep, { grad }),
    cedice: (grad) => T.combinedCeDice(prep, { grad }),
  };
  for (const l of losses) for (const g of grads) {
    const before = T.tf.memory();
    const s = time(() => call[l](g));
    const after = T.tf.memory();
    emit({ ...base(l, g), ...fmt(s), tensors_delta: after.numTensors - before.numTensors, bytes_delta: after.numBytes - before.numBytes });
  }
  T.dispose(prep);
  if (prepB) T.dispose(prepB);
} else {
  throw new Error(`unknown peer ${peer} (plainjs, tfjs-wasm, tfjs-cpu)`);
}
