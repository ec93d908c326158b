// TensorFlow.js 4.22 peer: the same losses composed from tf ops the way a TF.js user writes them.
//
// - Channels last: logits [N, P, C] (P = H*W flattened; same memory order as NHWC) and a one-hot
//   float32 label tensor [N, P, C] (tf.losses.softmaxCrossEntropy needs one-hot on the last axis).
//   `prepare` builds both from NCHW logits + index labels with tf ops (transpose, oneHot); time it apart.
// - Value + gradient through tf.valueAndGrad; everything runs inside tf.tidy, so memory stays flat.
// - Loss functions return { loss: number } or, with grad: true, { loss, grad: Float32Array } where grad
//   is d(loss)/d(logits) read back with dataSync() in the tensor's NHWC order (use toNCHW to compare).
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);
const tf = require('@tensorflow/tfjs');
const tfwasm = require('@tensorflow/tfjs-backend-wasm');

export { tf };

/**
 * Selects the backend. 'wasm' loads the non-threaded SIMD binary from @tensorflow/tfjs-backend-wasm/dist/
 * (Node has no multithread support in tfjs-backend-wasm 4.22, so the SIMD build is what it picks).
 * @param {'cpu'|'wasm'} backend
 * @returns {Promise<{backend: string, simd?: boolean, threads?: boolean}>}
 */
export async function init(backend = 'wasm') {
  tf.enableProdMode(); // PROD only silences warnings (the "install tfjs-node" banner); no numeric effect
  if (backend === 'wasm') {
    const dir = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm'));
    tfwasm.setWasmPaths(dir + path.sep);
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  }
  const ok = await tf.setBackend(backend);
  if (!ok) throw new Error(`tf.setBackend('${backend}') failed`);
  await tf.ready();
  const info = { backend: tf.getBackend() };
  if (backend === 'wasm') {
    info.simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
    info.threads = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
  }
  return info;
}

/**
 * NCHW Float32Array logits + index labels -> tensors for the tf losses:
 * { logits [N,P,C], onehot [N,P,C] float32, weights [N,P] float32 mask or null, N, C, P }.
 * Pixels whose label equals ignoreIndex get an all-zero one-hot row and weight 0 (weights is only built when
 * such pixels exist). Call dispose(prepared) when done.
 */
export function prepare(x, labels, N, C, P, { ignoreIndex = -100 } = {}) {
  return tf.tidy(() => {
    const logits = tf.transpose(tf.tensor3d(x, [N, C, P]), [0, 2, 1]);
    const idx = labels instanceof Int32Array ? labels : Int32Array.from(labels);
    let hasIgnored = false;
    for (let i = 0; i < idx.length; i++) if (idx[i] === ignoreIndex) { hasIgnored = true; break; }
    const lab = tf.tensor2d(idx, [N, P], 'int32');
    // tf.oneHot gives an all-zero row for an index outside [0, C), e.g. the ignore index.
    const onehot = tf.cast(tf.oneHot(lab, C), 'float32');
    const weights = hasIgnored ? tf.cast(tf.notEqual(lab, tf.scalar(ignoreIndex, 'int32')), 'float32') : null;
    return { logits, onehot, weights, N, C, P };
  });
}

/** Dense binary problem: logits and targets as flat float32 tensors of the same length. */
export function prepareBinary(x, y) {
  return { logits: tf.tensor1d(x), targets: tf.tensor1d(y) };
}

export function dispose(prepared) {
  for (const v of Object.values(prepared)) if (v instanceof tf.Tensor) v.dispose();
}

/** NHWC ([N, P, C]) gradient -> NCHW Float32Array, for comparisons. */
export function toNCHW(g, N, C, P) {
  const out = new Float32Array(N * C * P);
  for (let n = 0; n < N; n++)
    for (let p = 0; p < P; p++)
      for (let c = 0; c < C; c++) out[(n * C + c) * P + p] = g[(n * P + p) * C + c];
  return out;
}

function run(lossOf, xT, grad) {
  // Results leave tf.tidy through closure variables: returning a big Float32Array from the tidy callback makes
  // tidy walk it element by element looking for tensors (seconds for 11M elements).
  let loss, g;
  tf.tidy(() => {
    if (!grad) { loss = lossOf(xT).dataSync()[0]; return; }
    const r = tf.valueAndGrad(lossOf)(xT);
    loss = r.value.dataSync()[0];
    g = r.grad.dataSync();
  });
  return grad ? { loss, grad: g } : { loss };
}

// Loss builders: tensor -> scalar tensor
function ceOf(prep) {
  const { onehot, weights } = prep;
  return (logits) => tf.losses.softmaxCrossEntropy(onehot, logits, weights ?? undefined);
}

function regionOf(prep, kind, { squared = false, smooth = 1 } = {}) {
  const { onehot, weights } = prep;
  return (logits) => {
    let p = tf.softmax(logits); // last axis
    let g = onehot;
    if (weights) { const w = tf.expandDims(weights, -1); p = tf.mul(p, w); g = tf.mul(g, w); }
    const I = tf.sum(tf.mul(p, g), 1); // [N, C]
    const Sp = tf.sum(squared ? tf.square(p) : p, 1);
    const Sg = tf.sum(squared ? tf.square(g) : g, 1);
    const score = kind === 'dice'
      ? tf.div(tf.add(tf.mul(I, 2), smooth), tf.add(tf.add(Sp, Sg), smooth))
      : tf.div(tf.add(I, smooth), tf.add(tf.sub(tf.add(Sp, Sg), I), smooth));
    return tf.sub(1, tf.mean(score));
  };
}

/** Mean softmax CE (tf.losses.softmaxCrossEntropy; SUM_BY_NONZERO_WEIGHTS = mean over non-ignored pixels). */
export function crossEntropy(prep, { grad = false } = {}) {
  return run(ceOf(prep), prep.logits, grad);
}

/** Mean sigmoid BCE with logits over all elements (tf.losses.sigmoidCrossEntropy). */
export function binaryCrossEntropy(prepB, { grad = false } = {}) {
  const { targets } = prepB;
  return run((logits) => tf.losses.sigmoidCrossEntropy(targets, logits), prepB.logits, grad);
}

/** Softmax focal loss -(1 - p_t)^gamma log p_t, mean over non-ignored pixels, composed from tf ops. */
export function focal(prep, { grad = false, gamma = 2 } = {}) {
  const { onehot, weights } = prep;
  const lossOf = (logits) => {
    const logp = tf.logSoftmax(logits);
    const p = tf.exp(logp);
    const l = tf.neg(tf.sum(tf.mul(tf.mul(onehot, tf.pow(tf.sub(1, p), gamma)), logp), -1)); // [N, P]
    return weights ? tf.div(tf.sum(tf.mul(l, weights)), tf.sum(weights)) : tf.mean(l);
  };
  return run(lossOf, prep.logits, grad);
}

/** Softmax Dice per sample: 1 - mean_{n,c} (2I + s) / (Sp + Sg + s); squared uses sums of squares. */
export function dice(prep, { grad = false, squared = false, smooth = 1 } = {}) {
  return run(regionOf(prep, 'dice', { squared, smooth }), prep.logits, grad);
}

/** Softmax IoU per sample: 1 - mean_{n,c} (I + s) / (Sp + Sg - I + s). */
export function iou(prep, { grad = false, squared = false, smooth = 1 } = {}) {
  return run(regionOf(prep, 'iou', { squared, smooth }), prep.logits, grad);
}

/** wCe * CE + wDice * Dice (0.5 / 0.5), one tape. */
export function combinedCeDice(prep, { grad = false, wCe = 0.5, wDice = 0.5, squared = false, smooth = 1 } = {}) {
  const ce = ceOf(prep), di = regionOf(prep, 'dice', { squared, smooth });
  return run((logits) => tf.add(tf.mul(ce(logits), wCe), tf.mul(di(logits), wDice)), prep.logits, grad);
}
