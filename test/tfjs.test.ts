// The TensorFlow.js bridge: values and gradients equal segloss's own (bit for bit), on the tfjs cpu and
// wasm backends; tfjs models train with it through model.fit and tf.variableGrads; and four TF.js 4.22
// loss bugs, each shown numerically next to the bridge's right answer.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { init, type Segloss } from '../src/index.js';
import { type TfLoss, tfjsLosses } from '../src/tfjs.js';
import { firstBitDifference, labels, logits, rng } from './helpers.js';

let seg: Segloss;
let losses: ReturnType<typeof tfjsLosses<tf.Tensor>>;

beforeAll(async () => {
  seg = await init({ backend: 'wasm' }); // threads 'auto', as a user's would be
  losses = tfjsLosses(tf, seg);
  await tf.setBackend('cpu');
});
afterAll(() => seg.dispose());

/** Value and d value / d yPred through tfjs autodiff. */
function valueAndGrad(loss: TfLoss<tf.Tensor>, yTrue: tf.Tensor, yPred: tf.Tensor): { value: number; grad: Float32Array } {
  const { value, grad } = tf.valueAndGrad((x: tf.Tensor) => loss(yTrue, x) as tf.Scalar)(yPred);
  const out = { value: value.dataSync()[0], grad: grad.dataSync() as Float32Array };
  value.dispose();
  grad.dispose();
  return out;
}

function oneHot(t: Int32Array, C: number): Float32Array {
  const y = new Float32Array(t.length * C);
  t.forEach((c, i) => {
    if (c >= 0 && c < C) y[i * C + c] = 1;
  });
  return y;
}

describe('values and gradients equal segloss', () => {
  const N = 2;
  const S = [6, 5];
  const C = 4;
  const shape = [N, ...S, C];
  const P = S[0] * S[1];
  const rand = rng(7);
  const x = logits(rand, N * P * C);
  const t = labels(rand, N * P, C);
  const tIgnore = labels(rand, N * P, C, -100, 0.2);
  const dense = oneHot(t, C);
  const soft = Float32Array.from({ length: N * P * C }, () => rand());

  /** A case: its name, the bridge loss, segloss's own call, and (optionally) the targets it takes (default all). */
  type Case = [
    string, () => TfLoss<tf.Tensor>, (x: Float32Array, target: Int32Array | Float32Array) => { loss: unknown; grad?: Float32Array }, ('index' | 'dense')[]?,
  ];
  const opts = { shape, layout: 'NHWC' as const, grad: true };
  const cases: Case[] = [
    ['crossEntropy', () => losses.crossEntropy(), (a, b) => seg.crossEntropy(a, b, opts)],
    ['crossEntropy weight + smoothing', () => losses.crossEntropy({ weight: [1, 2, 0.5, 3], labelSmoothing: 0.1 }),
      (a, b) => seg.crossEntropy(a, b, { ...opts, weight: [1, 2, 0.5, 3], labelSmoothing: 0.1 })],
    ['crossEntropy sum', () => losses.crossEntropy({ reduction: 'sum' }), (a, b) => seg.crossEntropy(a, b, { ...opts, reduction: 'sum' })],
    ['binaryCrossEntropy', () => losses.binaryCrossEntropy({ posWeight: 2 }), (a, b) => seg.binaryCrossEntropy(a, b, { ...opts, posWeight: 2 })],
    ['focal softmax', () => losses.focal({ gamma: 2 }), (a, b) => seg.focal(a, b, { ...opts, gamma: 2 })],
    ['dice', () => losses.dice(), (a, b) => seg.dice(a, b, opts)],
    ['dice plain sums, batch', () => losses.dice({ squared: false, perSample: false, smoothNumerator: 1, smoothDenominator: 1 }),
      (a, b) => seg.dice(a, b, { ...opts, squared: false, perSample: false, smoothNumerator: 1, smoothDenominator: 1 })],
    ['iou', () => losses.iou({ includeBackground: false }), (a, b) => seg.iou(a, b, { ...opts, includeBackground: false })],
    ['tversky focal', () => losses.tversky({ alpha: 0.3, beta: 0.7, gamma: 1.5 }),
      (a, b) => seg.tversky(a, b, { ...opts, alpha: 0.3, beta: 0.7, gamma: 1.5 })],
    ['combined CE + dice', () => losses.combined({ terms: [{ loss: 'crossEntropy', weight: 0.5 }, { loss: 'dice', weight: 0.5, squared: false }] }),
      (a, b) => seg.combined(a, b, { ...opts, terms: [{ loss: 'crossEntropy', weight: 0.5 }, { loss: 'dice', weight: 0.5, squared: false }] })],
    ['generalizedDice', () => losses.generalizedDice(), (a, b) => seg.generalizedDice(a, b, opts)],
    ['generalizedDice simple, pooled, sum', () => losses.generalizedDice({ weightType: 'simple', perSample: false, reduction: 'sum' }),
      (a, b) => seg.generalizedDice(a, b, { ...opts, weightType: 'simple', perSample: false, reduction: 'sum' })],
    ['tversky smp compat', () => losses.tversky({ gamma: 2, gammaAfterMean: true, absentClasses: 'zero', clampDenominator: 1e-7, perSample: false }),
      (a, b) => seg.tversky(a, b, { ...opts, gamma: 2, gammaAfterMean: true, absentClasses: 'zero', clampDenominator: 1e-7, perSample: false })],
    ['combined CE + generalizedDice', () => losses.combined({ terms: [{ loss: 'crossEntropy' }, { loss: 'generalizedDice', weight: 0.5 }] }),
      (a, b) => seg.combined(a, b, { ...opts, terms: [{ loss: 'crossEntropy' }, { loss: 'generalizedDice', weight: 0.5 }] })],
    // Lovász-softmax takes index targets only
    ['lovaszSoftmax', () => losses.lovaszSoftmax(), (a, b) => seg.lovaszSoftmax(a, b as Int32Array, opts), ['index']],
    ['lovaszSoftmax all classes, perImage, sum', () => losses.lovaszSoftmax({ classes: 'all', perImage: true, reduction: 'sum' }),
      (a, b) => seg.lovaszSoftmax(a, b as Int32Array, { ...opts, classes: 'all', perImage: true, reduction: 'sum' }), ['index']],
    ['lovaszSoftmax classes [3, 1]', () => losses.lovaszSoftmax({ classes: [3, 1] }),
      (a, b) => seg.lovaszSoftmax(a, b as Int32Array, { ...opts, classes: [3, 1] }), ['index']],
    // one-vs-rest on an index map, or the one-hot target as four binary masks: the same problems
    ['lovaszHinge', () => losses.lovaszHinge(), (a, b) => seg.lovaszHinge(a, b, opts)],
    ['lovaszHinge perImage', () => losses.lovaszHinge({ perImage: true }), (a, b) => seg.lovaszHinge(a, b, { ...opts, perImage: true })],
    ['combined CE + lovaszSoftmax', () => losses.combined({ terms: [{ loss: 'crossEntropy', weight: 0.5 }, { loss: 'lovaszSoftmax', weight: 0.5 }] }),
      (a, b) => seg.combined(a, b, { ...opts, terms: [{ loss: 'crossEntropy', weight: 0.5 }, { loss: 'lovaszSoftmax', weight: 0.5 }] }), ['index']],
  ];

  const targets: [string, () => tf.Tensor, Int32Array | Float32Array, 'index' | 'dense'][] = [
    ['int32 index [N, H, W]', () => tf.tensor(t, [N, ...S], 'int32'), t, 'index'],
    ['float32 index [N, H, W, 1]', () => tf.tensor(Float32Array.from(t), [N, ...S, 1], 'float32'), t, 'index'],
    ['one-hot float [N, H, W, C]', () => tf.tensor(dense, shape, 'float32'), dense, 'dense'],
  ];

  for (const backend of ['cpu', 'wasm']) {
    describe(`tfjs backend ${backend}`, () => {
      beforeAll(async () => {
        expect(await tf.setBackend(backend)).toBe(true);
      });
      afterAll(async () => {
        await tf.setBackend('cpu');
      });
      for (const [name, bridge, direct, kinds] of cases) {
        for (const [tname, makeTarget, raw, kind] of targets) {
          if (kinds && !kinds.includes(kind)) continue;
          it(`${name}, ${tname}`, () => {
            const yTrue = makeTarget();
            const yPred = tf.tensor(x, shape, 'float32');
            const got = valueAndGrad(bridge(), yTrue, yPred);
            const want = direct(x, raw);
            expect(got.value).toBe(Math.fround(want.loss as number));
            expect(firstBitDifference(got.grad, want.grad!)).toBe(-1);
            tf.dispose([yTrue, yPred]);
          });
        }
      }
    });
  }

  it('one-hot dense crossEntropy equals the index target', () => {
    const a = valueAndGrad(losses.crossEntropy(), tf.tensor(dense, shape), tf.tensor(x, shape));
    const b = valueAndGrad(losses.crossEntropy(), tf.tensor(t, [N, ...S], 'int32'), tf.tensor(x, shape));
    expect(a.value).toBeCloseTo(b.value, 6);
    for (let i = 0; i < a.grad.length; i++) expect(a.grad[i]).toBeCloseTo(b.grad[i], 7);
  });

  it('soft dense targets and ignoreIndex reach segloss unchanged', () => {
    const yPred = tf.tensor(x, shape);
    const soft1 = valueAndGrad(losses.dice({ squared: false }), tf.tensor(soft, shape), yPred);
    const want1 = seg.dice(x, soft, { ...opts, squared: false });
    expect(soft1.value).toBe(Math.fround(want1.loss as number));
    expect(firstBitDifference(soft1.grad, want1.grad!)).toBe(-1);
    const ign = valueAndGrad(losses.focal({ ignoreIndex: -100 }), tf.tensor(tIgnore, [N, ...S], 'int32'), yPred);
    const want2 = seg.focal(x, tIgnore, { ...opts, ignoreIndex: -100 });
    expect(ign.value).toBe(Math.fround(want2.loss as number));
    expect(firstBitDifference(ign.grad, want2.grad!)).toBe(-1);
  });

  it('Lovász: probabilities with ignoreIndex, a one-channel hinge on a mask, the one-hot hinge equals the index one', () => {
    const probs = Float32Array.from({ length: N * P * C }, () => rand());
    const a = valueAndGrad(losses.lovaszSoftmax({ activation: 'none', ignoreIndex: -100 }), tf.tensor(tIgnore, [N, ...S], 'int32'), tf.tensor(probs, shape));
    const wantA = seg.lovaszSoftmax(probs, tIgnore, { ...opts, activation: 'none', ignoreIndex: -100 });
    expect(a.value).toBe(Math.fround(wantA.loss as number));
    expect(firstBitDifference(a.grad, wantA.grad!)).toBe(-1);
    // C = 1: a float32 0/1 mask [N, H, W, 1] is an index map of labels {0, 1}
    const mask = Float32Array.from({ length: N * P }, () => (rand() < 0.3 ? 1 : 0));
    const x1 = x.subarray(0, N * P);
    const b = valueAndGrad(losses.lovaszHinge(), tf.tensor(mask, [N, ...S, 1]), tf.tensor(x1, [N, ...S, 1]));
    const wantB = seg.lovaszHinge(x1, Int32Array.from(mask), { shape: [N, ...S, 1], layout: 'NHWC', grad: true });
    expect(b.value).toBe(Math.fround(wantB.loss as number));
    expect(firstBitDifference(b.grad, wantB.grad!)).toBe(-1);
    const oneHotHinge = valueAndGrad(losses.lovaszHinge(), tf.tensor(dense, shape), tf.tensor(x, shape));
    const indexHinge = valueAndGrad(losses.lovaszHinge(), tf.tensor(t, [N, ...S], 'int32'), tf.tensor(x, shape));
    expect(oneHotHinge.value).toBe(indexHinge.value);
    expect(firstBitDifference(oneHotHinge.grad, indexHinge.grad)).toBe(-1);
    // Lovász-softmax needs an index map: a one-hot yTrue is refused with segloss's message
    expect(() => losses.lovaszSoftmax()(tf.tensor(dense, shape), tf.tensor(x, shape))).toThrow(/lovaszSoftmax: target must be an index map/);
  });

  it("layout 'NCHW' reads yPred as [N, C, ...S]", () => {
    const nchw = [N, C, ...S];
    const got = valueAndGrad(losses.dice({ layout: 'NCHW' }), tf.tensor(t, [N, ...S], 'int32'), tf.tensor(x, nchw));
    const want = seg.dice(x, t, { shape: nchw, layout: 'NCHW', grad: true });
    expect(got.value).toBe(Math.fround(want.loss as number));
    expect(firstBitDifference(got.grad, want.grad!)).toBe(-1);
  });

  it('chains the incoming gradient: d(3·loss)/dx = 3·grad', () => {
    const loss = losses.iou();
    const yTrue = tf.tensor(t, [N, ...S], 'int32');
    const g = tf.grad((v: tf.Tensor) => tf.mul(3, loss(yTrue, v)))(tf.tensor(x, shape)).dataSync();
    const want = seg.iou(x, t, opts).grad!;
    for (let i = 0; i < g.length; i++) expect(g[i]).toBe(Math.fround(3 * want[i]));
  });

  it('rejects bad targets and options with messages that name them', () => {
    const yPred = tf.tensor(x, shape);
    expect(() => losses.dice()(tf.zeros([N, 5, 5], 'int32'), yPred)).toThrow(/yTrue of shape \[2, 5, 5\]/);
    expect(() => losses.dice()(tf.fill([N, ...S], 0.5), yPred)).toThrow(/yTrue\[0\] = 0.5 is not an integer/);
    expect(() => losses.crossEntropy()(tf.fill([N, ...S], 7, 'int32'), yPred)).toThrow(/out of range/);
    expect(() => losses.dice({ reduction: 'none' } as never)).toThrow(/reduction 'none'/);
    expect(() => losses.dice({ shape } as never)).toThrow(/'shape' is not an option/);
    expect(() => losses.dice({ bogus: 1 } as never)(tf.tensor(t, [N, ...S], 'int32'), yPred)).toThrow(/unknown option 'bogus'/);
    expect(() => tfjsLosses({} as never, seg)).toThrow(/tf\.customGrad is missing/);
  });

  it('leaks no tensors', () => {
    const yTrue = tf.tensor(t, [N, ...S], 'int32');
    const yPred = tf.tensor(x, shape);
    const loss = losses.combined({ terms: [{ loss: 'crossEntropy' }, { loss: 'dice' }] });
    valueAndGrad(loss, yTrue, yPred); // warm up
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) valueAndGrad(loss, yTrue, yPred);
    tf.tidy(() => {
      loss(yTrue, yPred); // forward only: no tape, nothing saved
    });
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('training a tfjs model', () => {
  // A 16x16 scene, 2 classes: a bright disc (about 12% of the pixels) on a noisy background.
  function scene(seed: number, n: number): { x: tf.Tensor4D; t: Int32Array; oneHot: tf.Tensor4D } {
    const rand = rng(seed);
    const H = 16;
    const img = new Float32Array(n * H * H * 3);
    const t = new Int32Array(n * H * H);
    for (let s = 0; s < n; s++) {
      const cy = 4 + rand() * 8;
      const cx = 4 + rand() * 8;
      for (let y = 0; y < H; y++) {
        for (let xx = 0; xx < H; xx++) {
          const i = (s * H + y) * H + xx;
          const inside = (y - cy) ** 2 + (xx - cx) ** 2 < 9 ? 1 : 0;
          t[i] = inside;
          for (let ch = 0; ch < 3; ch++) img[i * 3 + ch] = 0.3 * inside * (ch === 0 ? 1 : 0.5) + 0.25 * (rand() - 0.5);
        }
      }
    }
    return {
      x: tf.tensor4d(img, [n, H, H, 3]),
      t,
      oneHot: tf.tensor4d(oneHot(t, 2), [n, H, H, 2]),
    };
  }

  function net(seed: number): tf.Sequential {
    const model = tf.sequential();
    model.add(tf.layers.conv2d({ inputShape: [16, 16, 3], filters: 6, kernelSize: 3, padding: 'same', activation: 'relu',
      kernelInitializer: tf.initializers.glorotUniform({ seed }) }));
    model.add(tf.layers.conv2d({ filters: 2, kernelSize: 1, kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 1 }) }));
    return model;
  }

  it('model.compile({ loss: dice }) + fit lowers the loss', async () => {
    const data = scene(11, 4);
    const model = net(3);
    model.compile({ optimizer: tf.train.adam(0.05), loss: losses.dice({ squared: false }) });
    // model.fit checks yTrue against the output's shape, so it takes the one-hot target here
    const history = await model.fit(data.x, data.oneHot, { epochs: 40, batchSize: 4, shuffle: false, verbose: 0 });
    const curve = history.history.loss as number[];
    expect(curve).toHaveLength(40);
    expect(curve.every(Number.isFinite)).toBe(true);
    expect(curve[39]).toBeLessThan(0.6 * curve[0]);
    tf.dispose([data.x, data.oneHot]);
    model.dispose();
  });

  it('tf.variableGrads with combined (0.5 CE + 0.5 Dice) on index labels lowers the loss', () => {
    const data = scene(12, 4);
    const yTrue = tf.tensor3d(data.t, [4, 16, 16], 'int32');
    const model = net(5);
    const loss = losses.combined({ terms: [{ loss: 'crossEntropy', weight: 0.5 }, { loss: 'dice', weight: 0.5, squared: false }] });
    const curve = trainWithVariableGrads(loss, yTrue, model, data.x);
    expect(curve.every(Number.isFinite)).toBe(true);
    expect(curve[39]).toBeLessThan(0.5 * curve[0]);
    tf.dispose([data.x, data.oneHot, yTrue]);
    model.dispose();
  });

  it('tf.variableGrads with combined (0.5 CE + 0.5 Lovász-softmax) on index labels lowers the loss', () => {
    const data = scene(13, 4);
    const yTrue = tf.tensor3d(data.t, [4, 16, 16], 'int32');
    const model = net(9);
    const loss = losses.combined({ terms: [{ loss: 'crossEntropy', weight: 0.5 }, { loss: 'lovaszSoftmax', weight: 0.5 }] });
    const curve = trainWithVariableGrads(loss, yTrue, model, data.x);
    expect(curve.every(Number.isFinite)).toBe(true);
    expect(curve[39]).toBeLessThan(0.5 * curve[0]);
    tf.dispose([data.x, data.oneHot, yTrue]);
    model.dispose();
  });
});

// ---- TF.js 4.22 bugs the bridge avoids ----

/** f64 log-softmax of one row. */
function logSoftmax(row: number[]): number[] {
  const m = Math.max(...row);
  const lse = m + Math.log(row.reduce((s, v) => s + Math.exp(v - m), 0));
  return row.map((v) => v - lse);
}

describe('TF.js 4.22 bugs the bridge avoids', () => {
  it('tf.losses.softmaxCrossEntropy label smoothing divides by shape[1], not the class count, on NHWC input', () => {
    // 5 pixels in one row, 3 classes: [N, H, W, C] = [1, 5, 1, 3]
    const rows = [[2, -1, 0.5], [0, 3, -2], [1, 1, 1], [-1, 0, 4], [0.2, -0.3, 2.5]];
    const classes = [0, 2, 1, 2, 0];
    const eps = 0.3;
    const C = 3;
    const x = Float32Array.from(rows.flat());
    const y = oneHot(Int32Array.from(classes), C);
    const ref = (divideBy: number) =>
      rows.reduce((s, row, i) => {
        const lp = logSoftmax(row);
        return s - lp.reduce((a, l, c) => a + ((1 - eps) * (c === classes[i] ? 1 : 0) + eps / divideBy) * l, 0);
      }, 0) / rows.length;
    const right = ref(C); // eps / C
    const tfWrong = ref(5); // eps / shape[1]
    const tfValue = tf.losses.softmaxCrossEntropy(tf.tensor(y, [1, 5, 1, 3]), tf.tensor(x, [1, 5, 1, 3]), undefined, eps).dataSync()[0];
    expect(tfValue).toBeCloseTo(tfWrong, 5);
    expect(Math.abs(tfValue - right)).toBeGreaterThan(0.05);
    // on [N, C] input shape[1] is C and tfjs is right: the bug is the axis
    const flat = tf.losses.softmaxCrossEntropy(tf.tensor(y, [5, 3]), tf.tensor(x, [5, 3]), undefined, eps).dataSync()[0];
    expect(flat).toBeCloseTo(right, 5);
    const bridge = losses.crossEntropy({ labelSmoothing: eps });
    const fromIndex = bridge(tf.tensor(classes, [1, 5, 1], 'int32'), tf.tensor(x, [1, 5, 1, 3])).dataSync()[0];
    const fromOneHot = bridge(tf.tensor(y, [1, 5, 1, 3]), tf.tensor(x, [1, 5, 1, 3])).dataSync()[0];
    expect(fromIndex).toBeCloseTo(right, 5);
    expect(fromOneHot).toBeCloseTo(right, 5);
    console.log(`label smoothing on NHWC [1,5,1,3], eps ${eps}: tf.losses.softmaxCrossEntropy ${tfValue.toFixed(4)}, ` +
      `f64 reference ${right.toFixed(4)}, segloss bridge ${fromIndex.toFixed(4)}`);
  });

  it('sparseCategoricalCrossentropy(fromLogits) clips the logits to [1e-7, 1 - 1e-7] before the softmax', async () => {
    // TF.js exposes fromLogits only on the layers' loss functions (tf.metrics and model.compile call them
    // without it), so the test imports that module directly.
    // @ts-ignore: a module file of the tfjs-layers package, which has no exports map
    const layersLosses = await import('@tensorflow/tfjs-layers/dist/losses.js');
    const row = [10, 0, -10];
    const right = -logSoftmax(row)[0]; // 4.54e-5
    const tfValue = layersLosses.sparseCategoricalCrossentropy(tf.tensor1d([0]), tf.tensor2d([row]), true).dataSync()[0];
    const clipped = -logSoftmax([1 - 1e-7, 1e-7, 1e-7])[0]; // what tfjs computes: the softmax of the clipped logits
    expect(tfValue).toBeCloseTo(clipped, 5);
    expect(tfValue).toBeGreaterThan(0.55);
    const bridge = losses.crossEntropy()(tf.tensor1d([0], 'int32'), tf.tensor2d([row])).dataSync()[0];
    // f32 log-sum-exp: 10 - (10 + 4.54e-5) carries an absolute error of about ulp(10) = 1e-6
    expect(Math.abs(bridge - right)).toBeLessThan(1e-6);
    console.log(`sparse CE fromLogits, logits ${JSON.stringify(row)}, target 0: tfjs ${tfValue.toFixed(4)}, ` +
      `f64 reference ${right.toExponential(3)}, segloss bridge ${bridge.toExponential(3)}`);
  });

  it('categoricalCrossentropy (fromLogits, or on a softmax output) saturates at -log(1e-7) ≈ 16.118, with a zero gradient', async () => {
    // @ts-ignore: a module file of the tfjs-layers package, which has no exports map
    const layersLosses = await import('@tensorflow/tfjs-layers/dist/losses.js');
    const row = [200, 0, -200];
    const yTrue = tf.tensor2d([[0, 0, 1]]);
    const logitsT = tf.tensor2d([row]);
    const right = -logSoftmax(row)[2]; // 400
    const tfFromLogits = layersLosses.categoricalCrossentropy(yTrue, logitsT, true).dataSync()[0];
    // the public entry points (tf.metrics, model.compile({ loss: 'categoricalCrossentropy' })) on a softmax output
    const tfPublic = tf.metrics.categoricalCrossentropy(yTrue, tf.softmax(logitsT)).dataSync()[0];
    for (const v of [tfFromLogits, tfPublic]) expect(v).toBeCloseTo(-Math.log(1e-7), 3);
    const tfGrad = tf.grad((l: tf.Tensor) => tf.metrics.categoricalCrossentropy(yTrue, tf.softmax(l)).sum())(logitsT).dataSync();
    expect(Array.from(tfGrad)).toEqual([0, 0, 0]); // the clip cuts the gradient: no learning signal
    const bridge = valueAndGrad(losses.crossEntropy(), yTrue, logitsT);
    expect(bridge.value).toBe(right);
    expect(Array.from(bridge.grad)).toEqual([1, 0, -1]); // softmax - onehot
    console.log(`categorical CE, logits ${JSON.stringify(row)}, target 2: tfjs ${tfFromLogits.toFixed(3)} (fromLogits) / ` +
      `${tfPublic.toFixed(3)} (tf.metrics on softmax), gradient ${JSON.stringify(Array.from(tfGrad))}; segloss bridge ` +
      `${bridge.value}, gradient ${JSON.stringify(Array.from(bridge.grad))}`);
  });

  it('all-zero weights give NaN in tf.losses.computeWeightedLoss and softmaxCrossEntropy; segloss gives 0', () => {
    const x = tf.tensor([[2, -1, 0.5], [0, 3, -2]], [2, 3]);
    const y = tf.tensor([[1, 0, 0], [0, 0, 1]], [2, 3]);
    const perRow = tf.losses.softmaxCrossEntropy(y, x, undefined, 0, tf.Reduction.NONE);
    const zeros = tf.zeros([2]);
    const weighted = tf.losses.computeWeightedLoss(perRow, zeros).dataSync()[0];
    const ce = tf.losses.softmaxCrossEntropy(y, x, zeros).dataSync()[0];
    const meanReduction = tf.losses.computeWeightedLoss(perRow, zeros, tf.Reduction.MEAN).dataSync()[0];
    expect(weighted).toBeNaN();
    expect(ce).toBeNaN();
    expect(meanReduction).toBeNaN();
    // segloss: class weights all zero are allowed; the weighted mean of nothing is 0, with a zero gradient
    const ceZero = valueAndGrad(losses.crossEntropy({ weight: [0, 0, 0] }), tf.tensor1d([0, 2], 'int32'), x);
    expect(ceZero.value).toBe(0);
    expect(Array.from(ceZero.grad).every((g) => g === 0)).toBe(true);
    const diceZero = valueAndGrad(losses.dice({ weight: [0, 0, 0] }), y, x);
    expect(diceZero.value).toBe(0);
    expect(Array.from(diceZero.grad).every((g) => g === 0)).toBe(true);
    console.log(`all-zero weights: tf.losses.computeWeightedLoss ${weighted}, softmaxCrossEntropy ${ce}; segloss bridge ${ceZero.value}`);
  });
});

/** 40 Adam steps of tf.variableGrads on `loss`: the loss at each step. */
function trainWithVariableGrads(
  loss: (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Tensor, yTrue: tf.Tensor, model: tf.LayersModel, x: tf.Tensor,
): number[] {
  const optimizer = tf.train.adam(0.05);
  const curve: number[] = [];
  for (let step = 0; step < 40; step++) {
    const { value, grads } = tf.variableGrads(() => loss(yTrue, model.apply(x) as tf.Tensor) as tf.Scalar);
    curve.push(value.dataSync()[0]);
    optimizer.applyGradients(grads as unknown as Record<string, tf.Variable>);
    tf.dispose([value, ...Object.values(grads)]);
  }
  return curve;
}
