// npm run demo: the class-imbalance example. A 512x512 scene whose object covers about 1% of the
// pixels, an all-background prediction and a good one, every loss for both, and the time of each
// loss (value + gradient) on the wasm and the TypeScript backends.
import { LOSS_NAMES, init } from '../dist/index.js';

const H = 512;
const W = 512;
const P = H * W;
const C = 2; // background, object

// The object: a disc of radius 29 px (1.0% of the image), off centre.
const target = new Uint8Array(P);
for (let y = 0; y < H; y++)
  for (let x = 0; x < W; x++) if ((x - 300) ** 2 + (y - 180) ** 2 <= 29 ** 2) target[y * W + x] = 1;
const objectPixels = target.reduce((a, b) => a + b, 0);

// Deterministic noise so runs are comparable.
let seed = 12345;
const noise = () => ((seed = (seed * 1664525 + 1013904223) >>> 0) / 2 ** 32 - 0.5) * 2;

// NCHW logits [1, 2, H, W]: class 1 minus class 0 is the object's log-odds.
function prediction(objectLogit) {
  const x = new Float32Array(C * P);
  for (let i = 0; i < P; i++) {
    x[i] = 0;
    x[P + i] = objectLogit(i) + 0.5 * noise();
  }
  return x;
}
const allBackground = prediction(() => -8); // never predicts the object: p(object) ~ 0.03%
const good = prediction((i) => (target[i] ? 3 : -8)); // finds it: p(object) ~ 95% inside

const shape = [1, C, H, W];
const share = objectPixels / P;
// [label, method, run]: the demo's own choice of losses and settings; the losses of the library it
// leaves out (LOSS_NAMES plus combined, less those shown) are named after the table.
const losses = [
  ['cross entropy', 'crossEntropy', (s, x, grad) => s.crossEntropy(x, target, { shape, grad })],
  ['weighted CE (1 / frequency)', 'crossEntropy', (s, x, grad) => s.crossEntropy(x, target, { shape, grad, weight: [1 / (1 - share), 1 / share] })],
  ['binary CE on the object channel', 'binaryCrossEntropy', (s, x, grad) => s.binaryCrossEntropy(x.subarray(P), target, { shape: [1, 1, H, W], grad })],
  ['focal (softmax, gamma 2)', 'focal', (s, x, grad) => s.focal(x, target, { shape, grad })],
  ['Dice (object class)', 'dice', (s, x, grad) => s.dice(x, target, { shape, grad, squared: false, includeBackground: false })],
  ['IoU (object class)', 'iou', (s, x, grad) => s.iou(x, target, { shape, grad, squared: false, includeBackground: false })],
  ['Tversky 0.3/0.7 (object class)', 'tversky', (s, x, grad) => s.tversky(x, target, { shape, grad, alpha: 0.3, beta: 0.7, includeBackground: false })],
  ['generalized Dice (1 / G^2 weights)', 'generalizedDice', (s, x, grad) => s.generalizedDice(x, target, { shape, grad })],
  ['Lovász-softmax', 'lovaszSoftmax', (s, x, grad) => s.lovaszSoftmax(x, target, { shape, grad })],
  ['Lovász hinge (object channel)', 'lovaszHinge', (s, x, grad) =>
    s.lovaszHinge(x.subarray(P), target, { shape: [1, 1, H, W], grad })],
  ['0.5 CE + 0.5 Dice', 'combined', (s, x, grad) =>
    s.combined(x, target, { shape, grad, terms: [{ loss: 'crossEntropy', weight: 0.5 }, { loss: 'dice', weight: 0.5, squared: false, includeBackground: false }] })],
];
const shown = new Set(losses.map(([, method]) => method));
const notShown = [...LOSS_NAMES, 'combined'].filter((name) => !shown.has(name));

function median(times) {
  const s = [...times].sort((a, b) => a - b);
  return s[s.length >> 1];
}
function timeIt(fn, runs) {
  fn(); // warm up
  const times = [];
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    fn();
    times.push(performance.now() - t0);
  }
  return median(times);
}

const wasm = await init();
const js = await init({ backend: 'js' });
console.log(`segloss demo: ${W}x${H} scene, object = ${objectPixels} px (${(100 * share).toFixed(2)}% of the image)`);
console.log(`backends: ${wasm.backend} (WebAssembly SIMD, ${wasm.threads} thread${wasm.threads > 1 ? 's' : ''}) and ${js.backend} (TypeScript fallback)\n`);
const rows = losses.map(([name, , run]) => ({
  loss: name,
  'all background': (run(wasm, allBackground, false).loss).toFixed(4),
  'good prediction': (run(wasm, good, false).loss).toFixed(4),
  'wasm ms (value+grad)': timeIt(() => run(wasm, good, true), 9).toFixed(2),
  'TS ms (value+grad)': timeIt(() => run(js, good, true), 3).toFixed(1),
}));
console.table(rows);
if (notShown.length) console.log(`(losses of the library not in this table: ${notShown.join(', ')})`);
const ce = rows[0];
console.log(
  `\nPlain cross entropy scores the prediction that misses the object entirely at ${ce['all background']}:` +
    ` it averages over ${P} pixels, 99% of them easy background. Weighted CE, focal, Dice and IoU` +
    ' put the missed object back at the centre: Dice and IoU of the object class are ~1 when it is missed' +
    ' and small when it is found.',
);

// Metrics of the two predictions with the new API: one confusion matrix each (argmax over the 2 classes).
console.log('\nEvaluation: seg.confusionMatrix(prediction, target, { shape }) -> per-class IoU and mIoU');
const fmt = (v) => (Number.isNaN(v) ? 'NaN' : v.toFixed(4));
const evaluation = [['all background', allBackground], ['good prediction', good]].map(([name, x]) => {
  const m = wasm.confusionMatrix(x, target, { shape });
  const iou = m.iou();
  return {
    prediction: name,
    'IoU background': fmt(iou[0]),
    'IoU object': fmt(iou[1]),
    mIoU: fmt(m.meanIoU()),
    'Dice object': fmt(m.dice()[1]),
    'pixel accuracy': fmt(m.pixelAccuracy()),
    'wasm ms': timeIt(() => wasm.confusionMatrix(x, target, { shape }), 9).toFixed(3),
  };
});
console.table(evaluation);
console.log(
  'Pixel accuracy calls the all-background prediction 99% right; the object IoU (0) and the mIoU show the miss.',
);
wasm.dispose(); // ends the pool of threads (an undisposed one would not keep Node running either)
