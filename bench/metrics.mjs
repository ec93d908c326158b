// npm run bench:metrics: the confusion matrix of voc-sized logits (8 x 21 x 256 x 256, NCHW) against
// uint8 labels with ignore label 255 (about 10% of the pixels), on
//   segloss wasm on one thread (zero-copy: logits and labels already in wasm memory; copying: plain typed arrays),
//   segloss's TypeScript fallback,
//   a careful plain-JS loop (argmax over contiguous class rows into a per-sample buffer, then counts),
//   TensorFlow.js 4.22 on its wasm backend: tf.argMax + tf.math.confusionMatrix. It knows no ignore
//   label, so the kept pixels' indices and labels are prepared outside the timing and the predictions
//   are gathered to them inside it. Its tensors are channels-last [N, P, C] (also prepared outside).
//   tf.math.confusionMatrix throws on the wasm backend (int32 matMul), so the bench runs its own
//   composition (one-hot of labels, transposed, times one-hot of predictions) with float32 one-hots.
// Every contender's counts are checked equal before timing. Prints the median ms and the ratios.
//   node bench/metrics.mjs [--quick]
import { Bench } from 'tinybench';
import { init } from '../dist/index.js';
import { makeCase } from './random.mjs';
import * as T from './peers/tfjs.mjs';

const QUICK = process.argv.includes('--quick');
const [N, C, H, W] = [8, 21, 256, 256];
const P = H * W;
const IGNORE = 255;
const { x, labels } = makeCase(N, C, P, 1);
for (let i = 0; i < labels.length; i += 10) labels[i] = IGNORE; // every tenth pixel ignored
const shape = [N, C, H, W];
const options = { shape, ignoreIndex: IGNORE };

/** The plain-JS contender: what a careful JS author writes. */
function plainConfusion(x, t, N, C, P, ignore) {
  const counts = new Float64Array(C * C);
  const max = new Float32Array(P);
  const arg = new Uint8Array(P);
  for (let n = 0; n < N; n++) {
    const base = n * C * P;
    max.set(x.subarray(base, base + P));
    arg.fill(0);
    for (let c = 1; c < C; c++) {
      const row = base + c * P;
      for (let i = 0; i < P; i++) {
        const v = x[row + i];
        if (v > max[i]) {
          max[i] = v;
          arg[i] = c;
        }
      }
    }
    const tb = n * P;
    for (let i = 0; i < P; i++) {
      const l = t[tb + i];
      if (l !== ignore) counts[l * C + arg[i]]++;
    }
  }
  return counts;
}

const wasm = await init({ backend: 'wasm', threads: 1 }); // one thread, as every contender
const js = await init({ backend: 'js' });
const xa = wasm.alloc(Float32Array, x.length);
const ta = wasm.alloc(Uint8Array, labels.length);
xa.view.set(x);
ta.view.set(labels);

const tfInfo = await T.init('wasm');
const { tf } = T;
// channels-last logits, kept pixel indices and their labels: prepared outside the timing
const prepared = tf.tidy(() => {
  const logits = tf.transpose(tf.tensor3d(x, [N, C, P]), [0, 2, 1]);
  const keep = [];
  for (let i = 0; i < labels.length; i++) if (labels[i] !== IGNORE) keep.push(i);
  const keptLabels = tf.tensor1d(Int32Array.from(keep, (i) => labels[i]), 'int32');
  return { logits, keep: tf.tensor1d(Int32Array.from(keep), 'int32'), keptLabels };
});
tf.keep(prepared.logits);
tf.keep(prepared.keep);
tf.keep(prepared.keptLabels);
const tfConfusion = () =>
  tf.tidy(() => {
    const pred = tf.gather(tf.reshape(tf.argMax(prepared.logits, -1), [-1]), prepared.keep);
    // tf.math.confusionMatrix itself throws on the wasm backend ("BatchMatMul for non non-float32 tensors
    // not yet supported": it multiplies int32 one-hots); this is its composition, with float32 one-hots
    const product = tf.matMul(tf.oneHot(prepared.keptLabels, C).toFloat(), tf.oneHot(pred, C).toFloat(), true, false);
    return product.dataSync();
  });

const contenders = [
  ['segloss wasm, zero-copy', () => wasm.confusionMatrix(xa, ta, options).counts],
  ['segloss wasm, copying', () => wasm.confusionMatrix(x, labels, options).counts],
  ['plain JS loop', () => plainConfusion(x, labels, N, C, P, IGNORE)],
  ['segloss TS fallback', () => js.confusionMatrix(x, labels, options).counts],
  [`TF.js ${tf.version.tfjs} wasm (argMax + confusionMatrix's matMul)`, tfConfusion],
];

const want = Array.from(contenders[0][1]());
for (const [name, fn] of contenders) {
  const got = Array.from(fn());
  if (got.join() !== want.join()) throw new Error(`${name}: counts differ from segloss wasm`);
}
console.log(
  `confusion matrix, voc ${N}x${C}x${H}x${W} f32 logits + uint8 labels, ignore ${IGNORE} (${labels.length - want.reduce((a, b) => a + b, 0)} pixels): ` +
    `all contenders agree (mIoU ${wasm.confusionMatrix(xa, ta, options).meanIoU().toFixed(5)}); ` +
    `Node ${process.versions.node}, tfjs backend ${tfInfo.backend} simd ${tfInfo.simd}`,
);

const rows = [];
for (const [name, fn] of contenders) {
  let sink = 0;
  const slow = name.startsWith('TF.js') || name.includes('fallback');
  const bench = new Bench({
    name, time: QUICK ? 200 : slow ? 1500 : 1000, iterations: QUICK ? 3 : slow ? 7 : 15, throws: true,
    warmup: true, warmupIterations: 2, warmupTime: 0,
  });
  bench.add(name, () => { sink += fn()[0]; }, { async: false });
  bench.runSync();
  const r = bench.tasks[0].result;
  if (r.state !== 'completed') throw r.error ?? new Error(`${name}: ${r.state}`);
  rows.push({ name, median: r.latency.p50, min: r.latency.min, n: r.latency.samplesCount, sink });
}
const base = rows[0].median;
const of = (label) => rows.find((r) => r.name.startsWith(label)).median;
console.table(
  rows.map((r) => ({
    contender: r.name, 'median ms': +r.median.toFixed(2), 'min ms': +r.min.toFixed(2), runs: r.n,
    'x slower than wasm zero-copy': +(r.median / base).toFixed(2),
  })),
);
console.log(
  `segloss wasm zero-copy vs TF.js wasm: ${(of('TF.js') / base).toFixed(1)}x faster (aim >= 20x); ` +
    `vs plain JS: ${(of('plain JS') / base).toFixed(1)}x (aim >= 4x); ` +
    `copying: ${(of('TF.js') / of('segloss wasm, copying')).toFixed(1)}x / ${(of('plain JS') / of('segloss wasm, copying')).toFixed(1)}x`,
);
xa.free();
ta.free();
