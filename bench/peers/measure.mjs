// Quick standalone timing of one peer on one workload (JSON lines, same fields as bench/native/run.sh).
// Run one at a time (each process runs one peer; never two heavy benchmarks at once).
//   node bench/peers/measure.mjs --peer plainjs   --loss ce,dice --workload voc --reps 9
//   node bench/peers/measure.mjs --peer tfjs-wasm --loss ce,dice --workload voc --reps 7
//   node bench/peers/measure.mjs --peer tfjs-cpu  --loss ce      --workload voc --reps 2 --warmup 0
// Options: --grad 1|0|both (1). tfjs peers also report prepare_ms (NCHW -> NHWC transpose + one-hot),
// timed apart from the losses. Losses: the case keys of bench/cases.mjs that have the peer (ce, focal, dice,
// iou, cedice on index workloads; bce on --workload binary), called with the same options as bench/run.mjs.
import { TFJS_PREPARE, caseOf } from '../cases.mjs';
import { makeData, workload } from '../workloads.mjs';

const argv = process.argv.slice(2);
const opt = (k, d) => { const i = argv.indexOf('--' + k); return i >= 0 ? argv[i + 1] : d; };
const peer = opt('peer', 'plainjs');
const w = workload(opt('workload', 'voc'));
const cases = opt('loss', w.kind === 'binary' ? 'bce' : 'ce').split(',').map(caseOf);
for (const c of cases) if (c.kind !== w.kind) throw new Error(`${c.key} runs on ${c.kind} workloads, ${w.name} is ${w.kind}`);
const reps = Math.max(1, +opt('reps', 9));
const warmup = Math.max(0, +opt('warmup', 2));
const gradOpt = opt('grad', '1');
const grads = gradOpt === 'both' ? [false, true] : [gradOpt !== '0'];
const { N, C, P } = w;
const d = makeData(w);

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
  const out = new Float32Array(d.x.length);
  for (const c of cases) {
    if (!c.plainjs) throw new Error(`no plain-JS peer for ${c.key}`);
    for (const g of grads) emit({ ...base(c.key, g), ...fmt(time(() => c.plainjs(pj, d, w, { grad: g, out }))) });
  }
} else if (peer === 'tfjs-wasm' || peer === 'tfjs-cpu') {
  const T = await import('./tfjs.mjs');
  const info = await T.init(peer.slice(5));
  const tp = time(() => { T.dispose(TFJS_PREPARE[w.kind](T, d, w)); return { loss: NaN }; });
  emit({ peer, kernel: 'prepare', workload: w.name, N, C, P, reps, warmup, median_ms: +tp.median.toFixed(3), min_ms: +tp.min.toFixed(3), max_ms: +tp.max.toFixed(3), backend: info });
  const prep = TFJS_PREPARE[w.kind](T, d, w);
  for (const c of cases) {
    if (!c.tfjs) throw new Error(`no tfjs peer for ${c.key}`);
    for (const g of grads) {
      const before = T.tf.memory();
      const s = time(() => c.tfjs(T, prep, { grad: g }));
      const after = T.tf.memory();
      emit({ ...base(c.key, g), ...fmt(s), tensors_delta: after.numTensors - before.numTensors, bytes_delta: after.numBytes - before.numBytes });
    }
  }
  T.dispose(prep);
} else {
  throw new Error(`unknown peer ${peer} (plainjs, tfjs-wasm, tfjs-cpu)`);
}
