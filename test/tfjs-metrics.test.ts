// segloss/tfjs meanIoU: a TF.js metric in model.compile({ metrics }), equal to segloss's own confusion
// matrix on the same predictions, with an ignore label, on the tfjs cpu and wasm backends.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { init, type Segloss } from '../src/index.js';
import { meanIoU, tfjsLosses } from '../src/tfjs.js';
import { labels, logits, rng } from './helpers.js';

let seg: Segloss;

beforeAll(async () => {
  seg = await init({ backend: 'wasm' }); // threads 'auto', as a user's would be
  await tf.setBackend('cpu');
});
afterAll(() => seg.dispose());

const [N, H, W, F, C] = [4, 6, 5, 3, 4];
const P = H * W;

function data(seed: number) {
  const rand = rng(seed);
  const xs = tf.tensor4d(logits(rand, N * P * F, 1), [N, H, W, F]);
  const t = labels(rand, N * P, C, 255, 0.2);
  // model.fit wants yTrue shaped like the output: one-hot, with all-zero rows for the ignored pixels
  const ys = tf.oneHot(tf.tensor3d(t, [N, H, W], 'int32'), C).toFloat();
  return { xs, ys, t };
}

function tinyModel(): tf.LayersModel {
  const model = tf.sequential();
  model.add(tf.layers.conv2d({ inputShape: [H, W, F], filters: C, kernelSize: 1, kernelInitializer: tf.initializers.randomNormal({ seed: 3 }) }));
  return model;
}

describe('meanIoU as a TF.js metric', () => {
  it('compiles, evaluates and fits; equals segloss.confusionMatrix on the predictions', async () => {
    const { xs, ys, t } = data(5);
    const model = tinyModel();
    const metric = meanIoU(tf, seg, { ignoreIndex: 255 });
    model.compile({
      optimizer: tf.train.sgd(0.1),
      loss: tfjsLosses(tf, seg).crossEntropy(), // dense target: the zero rows add nothing
      metrics: [metric],
    });
    const [, got] = model.evaluate(xs, ys, { batchSize: N }) as tf.Scalar[];
    const pred = (model.predict(xs) as tf.Tensor).dataSync() as Float32Array;
    const m = seg.confusionMatrix(pred, t, { shape: [N, H, W, C], layout: 'NHWC', ignoreIndex: 255 });
    expect(m.meanIoU()).toBeGreaterThan(0);
    expect(got.dataSync()[0]).toBeCloseTo(m.meanIoU(), 6); // a float32 scalar
    const history = await model.fit(xs, ys, { epochs: 2, batchSize: 2, verbose: 0 });
    expect(Object.keys(history.history)).toContain('meanIoU');
    expect(history.history.meanIoU.every((v) => Number.isFinite(v as number))).toBe(true);
  });

  it('takes yTrue as [N, H, W], [N, H, W, 1] or one-hot, on the cpu and wasm backends', async () => {
    for (const backend of ['cpu', 'wasm']) {
      await tf.setBackend(backend);
      const rand = rng(11);
      const x = logits(rand, N * P * C);
      const t = labels(rand, N * P, C);
      const yPred = tf.tensor4d(x, [N, H, W, C]);
      const want = seg.confusionMatrix(x, t, { shape: [N, H, W, C], layout: 'NHWC' }).meanIoU();
      const metric = meanIoU<tf.Tensor>(tf, seg);
      const oneHot = tf.oneHot(tf.tensor3d(t, [N, H, W], 'int32'), C);
      for (const yTrue of [tf.tensor3d(t, [N, H, W], 'int32'), tf.tensor4d(t, [N, H, W, 1], 'int32'), oneHot.toFloat()]) {
        expect(metric(yTrue, yPred).dataSync()[0], `${backend} ${yTrue.shape}`).toBeCloseTo(want, 6);
      }
      // label predictions
      const labelsPred = tf.argMax(yPred, -1);
      expect(meanIoU<tf.Tensor>(tf, seg, { numClasses: C })(tf.tensor3d(t, [N, H, W], 'int32'), labelsPred).dataSync()[0]).toBeCloseTo(want, 6);
    }
    await tf.setBackend('cpu');
  });

  it('C = 1 with a threshold, NCHW, and 0 when no class is present (as Keras)', () => {
    const x = Float32Array.of(0.2, 0.7, 0.9, 0.4);
    const yPred = tf.tensor4d(x, [1, 1, 2, 2]);
    const yTrue = tf.tensor3d([0, 1, 1, 1], [1, 2, 2], 'int32');
    const got = meanIoU<tf.Tensor>(tf, seg, { layout: 'NCHW', threshold: 0.5 })(yTrue, yPred).dataSync()[0];
    // background: TP 1, FP 1 -> 1/2; foreground: TP 2, FN 1 -> 2/3
    expect(got).toBeCloseTo((1 / 2 + 2 / 3) / 2, 6);
    const ignored = tf.tensor3d([255, 255, 255, 255], [1, 2, 2], 'int32');
    expect(meanIoU<tf.Tensor>(tf, seg, { layout: 'NCHW', ignoreIndex: 255 })(ignored, yPred).dataSync()[0]).toBe(0);
  });

  it('rejects bad arguments', () => {
    expect(() => meanIoU(undefined as never, seg)).toThrow(TypeError);
    expect(() => meanIoU(tf, {} as never)).toThrow(/segloss instance/);
    expect(() => meanIoU(tf, seg, { ignore: 255 } as never)).toThrow(/unknown option 'ignore'/);
    expect(() => meanIoU(tf, seg, { layout: 'NWHC' as never })).toThrow(/layout must be/);
    const metric = meanIoU<tf.Tensor>(tf, seg);
    const yPred = tf.zeros([1, 2, 2, 3]);
    expect(() => metric(tf.zeros([1, 3, 2]), yPred)).toThrow(RangeError);
    expect(() => metric(tf.tensor3d([0, 1, 0.5, 2], [1, 2, 2]), yPred)).toThrow(/yTrue\[2\] = 0.5 is not an integer/);
    expect(() => metric(tf.tensor3d([0, 1, 7, 2], [1, 2, 2], 'int32'), yPred)).toThrow(/target\[2\] = 7 is out of range/);
  });
});
