// Correctness check of the bench peers: every plain-JS and TF.js loss (value + gradient) against a
// straightforward f64 reference written here (per pixel, NCHW, no tiling), itself validated by central
// finite differences. Errors: loss |a - r| / |r|; gradient max|a - r| / max|r|. Must be < 1e-4.
//   node bench/peers/check.mjs            (plain JS + tfjs cpu + tfjs wasm)
//   node bench/peers/check.mjs --no-tfjs  (plain JS only)
import { makeCase, xorshift32 } from '../random.mjs';
import * as pj from './plainjs.mjs';

const TOL = 1e-4;
const N = 2, C = 5, H = 7, W = 9, P = H * W;
const IGN = 255;

// ---------------------------------------------------------------- f64 reference
function softmaxPixel(x, n, i) {
  let m = -Infinity;
  for (let c = 0; c < C; c++) m = Math.max(m, x[(n * C + c) * P + i]);
  let s = 0;
  const e = new Float64Array(C);
  for (let c = 0; c < C; c++) { e[c] = Math.exp(x[(n * C + c) * P + i] - m); s += e[c]; }
  for (let c = 0; c < C; c++) e[c] /= s;
  return { p: e, lse: m + Math.log(s) };
}

function refCE(x, lab, ignoreIndex = -100) {
  const g = new Float64Array(x.length);
  let loss = 0, cnt = 0;
  for (let n = 0; n < N; n++) for (let i = 0; i < P; i++) {
    const t = lab[n * P + i];
    if (t === ignoreIndex) continue;
    cnt++;
    const { p, lse } = softmaxPixel(x, n, i);
    loss += lse - x[(n * C + t) * P + i];
    for (let c = 0; c < C; c++) g[(n * C + c) * P + i] = p[c] - (c === t ? 1 : 0);
  }
  for (let k = 0; k < g.length; k++) g[k] /= cnt;
  return { loss: loss / cnt, grad: g };
}

function refBCE(x, y) {
  const g = new Float64Array(x.length);
  let loss = 0;
  for (let k = 0; k < x.length; k++) {
    const sig = 1 / (1 + Math.exp(-x[k]));
    loss += -(y[k] * Math.log(sig) + (1 - y[k]) * Math.log(1 - sig));
    g[k] = (sig - y[k]) / x.length;
  }
  return { loss: loss / x.length, grad: g };
}

// Focal: gradient by the chain rule through p (dl/dp_t) and the softmax Jacobian, written out plainly.
function refFocal(x, lab, gamma) {
  const g = new Float64Array(x.length);
  let loss = 0;
  for (let n = 0; n < N; n++) for (let i = 0; i < P; i++) {
    const t = lab[n * P + i];
    const { p } = softmaxPixel(x, n, i);
    const pt = p[t];
    loss += -Math.pow(1 - pt, gamma) * Math.log(pt);
    const dldpt = gamma * Math.pow(1 - pt, gamma - 1) * Math.log(pt) - Math.pow(1 - pt, gamma) / pt;
    for (let c = 0; c < C; c++) g[(n * C + c) * P + i] = dldpt * pt * ((c === t ? 1 : 0) - p[c]);
  }
  for (let k = 0; k < g.length; k++) g[k] /= N * P;
  return { loss: loss / (N * P), grad: g };
}

// Region: score per (n, c) from full softmax maps; gradient dL/dp then softmax Jacobian (dense C x C).
function refRegion(x, lab, kind, squared, smooth, wCe = 0, wR = 1) {
  const prob = new Float64Array(x.length);
  for (let n = 0; n < N; n++) for (let i = 0; i < P; i++) {
    const { p } = softmaxPixel(x, n, i);
    for (let c = 0; c < C; c++) prob[(n * C + c) * P + i] = p[c];
  }
  const oh = (n, c, i) => (lab[n * P + i] === c ? 1 : 0);
  const dLdp = new Float64Array(x.length);
  let sum = 0;
  for (let n = 0; n < N; n++) for (let c = 0; c < C; c++) {
    let I = 0, Sp = 0, Sg = 0;
    for (let i = 0; i < P; i++) {
      const p = prob[(n * C + c) * P + i], y = oh(n, c, i);
      I += p * y; Sp += squared ? p * p : p; Sg += y;
    }
    let num, den, dnum, dden; // d/dp of numerator and denominator per pixel via y and q
    if (kind === 'dice') { num = 2 * I + smooth; den = Sp + Sg + smooth; }
    else { num = I + smooth; den = Sp + Sg - I + smooth; }
    sum += num / den;
    for (let i = 0; i < P; i++) {
      const p = prob[(n * C + c) * P + i], y = oh(n, c, i), q = squared ? 2 * p : 1;
      if (kind === 'dice') { dnum = 2 * y; dden = q; } else { dnum = y; dden = q - y; }
      dLdp[(n * C + c) * P + i] = -wR * ((dnum * den - num * dden) / (den * den)) / (N * C);
    }
  }
  const g = new Float64Array(x.length);
  for (let n = 0; n < N; n++) for (let i = 0; i < P; i++)
    for (let c = 0; c < C; c++) {
      let v = 0;
      for (let k = 0; k < C; k++) {
        const pk = prob[(n * C + k) * P + i], pc = prob[(n * C + c) * P + i];
        v += dLdp[(n * C + k) * P + i] * pk * ((k === c ? 1 : 0) - pc); // dp_k/dx_c
      }
      g[(n * C + c) * P + i] = v;
    }
  let loss = wR * (1 - sum / (N * C));
  if (wCe) {
    const ce = refCE(x, lab);
    loss += wCe * ce.loss;
    for (let k = 0; k < g.length; k++) g[k] += wCe * ce.grad[k];
  }
  return { loss, grad: g };
}

// Central finite differences of a reference loss on a few coordinates (validates the formulas above).
function fdCheck(name, f, x, refGrad) {
  const xd = Float64Array.from(x);
  let worst = 0;
  const u = xorshift32(99);
  for (let k = 0; k < 12; k++) {
    const j = Math.floor(u() * x.length), h = 1e-5;
    const v = xd[j];
    xd[j] = v + h; const lp = f(xd).loss;
    xd[j] = v - h; const lm = f(xd).loss;
    xd[j] = v;
    worst = Math.max(worst, Math.abs((lp - lm) / (2 * h) - refGrad[j]));
  }
  const scale = refGrad.reduce((a, b) => Math.max(a, Math.abs(b)), 0);
  return worst / scale;
}

// ---------------------------------------------------------------- comparison helpers
let failures = 0;
function relLoss(a, r) { return Math.abs(a - r) / Math.max(Math.abs(r), 1e-30); }
function relGrad(a, r) {
  let d = 0, s = 0;
  for (let k = 0; k < r.length; k++) { d = Math.max(d, Math.abs(a[k] - r[k])); s = Math.max(s, Math.abs(r[k])); }
  return d / s;
}
function report(peer, name, res, ref) {
  const el = relLoss(res.loss, ref.loss);
  const eg = res.grad ? relGrad(res.grad, ref.grad) : NaN;
  const ok = el < TOL && (!res.grad || eg < TOL);
  if (!ok) failures++;
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${peer.padEnd(10)} ${name.padEnd(22)} loss ${res.loss.toPrecision(8).padEnd(12)} rel ${el.toExponential(2)}  grad rel ${eg.toExponential(2)}`);
}

// ---------------------------------------------------------------- cases
const { x, labels } = makeCase(N, C, P, 7);
const labIgn = labels.slice();
for (let i = 0; i < labIgn.length; i += 5) labIgn[i] = IGN;
const ub = xorshift32(3);
const y = new Float32Array(x.length);
for (let k = 0; k < y.length; k++) y[k] = ub() < 0.5 ? 0 : 1;
y[0] = 0.3; y[1] = 0.75; // soft targets too

const refs = {
  ce: refCE(x, labels),
  ceIgnore: refCE(x, labIgn, IGN),
  bce: refBCE(x, y),
  focal: refFocal(x, labels, 2),
  focalG1_5: refFocal(x, labels, 1.5),
  dice: refRegion(x, labels, 'dice', false, 1),
  diceSquared: refRegion(x, labels, 'dice', true, 1),
  iou: refRegion(x, labels, 'iou', false, 1),
  combinedCeDice: refRegion(x, labels, 'dice', false, 1, 0.5, 0.5),
};

console.log(`case N=${N} C=${C} P=${P} (seed 7), tolerance ${TOL}`);
console.log('reference vs central finite differences (h = 1e-5):');
const fd = {
  ce: (z) => refCE(z, labels), ceIgnore: (z) => refCE(z, labIgn, IGN), bce: (z) => refBCE(z, y),
  focal: (z) => refFocal(z, labels, 2), focalG1_5: (z) => refFocal(z, labels, 1.5),
  dice: (z) => refRegion(z, labels, 'dice', false, 1), diceSquared: (z) => refRegion(z, labels, 'dice', true, 1),
  iou: (z) => refRegion(z, labels, 'iou', false, 1), combinedCeDice: (z) => refRegion(z, labels, 'dice', false, 1, 0.5, 0.5),
};
for (const [k, f] of Object.entries(fd)) {
  const e = fdCheck(k, f, x, refs[k].grad);
  if (!(e < 1e-6)) failures++;
  console.log(`${e < 1e-6 ? 'ok  ' : 'FAIL'} reference  ${k.padEnd(22)} fd rel ${e.toExponential(2)}`);
}

function runPlain() {
  for (const grad of [true, false]) {
    const tag = grad ? '' : ' (no grad)';
    report('plainjs', 'ce' + tag, pj.crossEntropy(x, labels, N, C, P, { grad }), refs.ce);
    report('plainjs', 'ce ignore' + tag, pj.crossEntropy(x, labIgn, N, C, P, { grad, ignoreIndex: IGN }), refs.ceIgnore);
    report('plainjs', 'bce' + tag, pj.binaryCrossEntropy(x, y, { grad }), refs.bce);
    report('plainjs', 'focal' + tag, pj.focal(x, labels, N, C, P, { grad }), refs.focal);
    report('plainjs', 'focal g=1.5' + tag, pj.focal(x, labels, N, C, P, { grad, gamma: 1.5 }), refs.focalG1_5);
    report('plainjs', 'dice' + tag, pj.dice(x, labels, N, C, P, { grad }), refs.dice);
    report('plainjs', 'dice squared' + tag, pj.dice(x, labels, N, C, P, { grad, squared: true }), refs.diceSquared);
    report('plainjs', 'iou' + tag, pj.iou(x, labels, N, C, P, { grad }), refs.iou);
    report('plainjs', 'ce+dice' + tag, pj.combinedCeDice(x, labels, N, C, P, { grad }), refs.combinedCeDice);
  }
}

async function runTf(backend) {
  const T = await import('./tfjs.mjs');
  const info = await T.init(backend);
  const peer = `tfjs-${backend}`;
  console.log(`${peer}: ${JSON.stringify(info)}`);
  const prep = T.prepare(x, labels, N, C, P);
  const prepI = T.prepare(x, labIgn, N, C, P, { ignoreIndex: IGN });
  const prepB = T.prepareBinary(x, y);
  const nchw = (r) => (r.grad ? { loss: r.loss, grad: T.toNCHW(r.grad, N, C, P) } : r);
  const before = T.tf.memory().numTensors;
  report(peer, 'ce', nchw(T.crossEntropy(prep, { grad: true })), refs.ce);
  report(peer, 'ce ignore', nchw(T.crossEntropy(prepI, { grad: true })), refs.ceIgnore);
  report(peer, 'bce', T.binaryCrossEntropy(prepB, { grad: true }), refs.bce);
  report(peer, 'focal', nchw(T.focal(prep, { grad: true })), refs.focal);
  report(peer, 'focal g=1.5', nchw(T.focal(prep, { grad: true, gamma: 1.5 })), refs.focalG1_5);
  report(peer, 'dice', nchw(T.dice(prep, { grad: true })), refs.dice);
  report(peer, 'dice squared', nchw(T.dice(prep, { grad: true, squared: true })), refs.diceSquared);
  report(peer, 'iou', nchw(T.iou(prep, { grad: true })), refs.iou);
  report(peer, 'ce+dice', nchw(T.combinedCeDice(prep, { grad: true })), refs.combinedCeDice);
  report(peer, 'ce (no grad)', T.crossEntropy(prep), refs.ce);
  report(peer, 'dice (no grad)', T.dice(prep), refs.dice);
  const leaked = T.tf.memory().numTensors - before;
  if (leaked !== 0) failures++;
  console.log(`${leaked === 0 ? 'ok  ' : 'FAIL'} ${peer.padEnd(10)} tensors leaked by the loss calls: ${leaked}`);
  T.dispose(prep); T.dispose(prepI); T.dispose(prepB);
}

runPlain();
if (!process.argv.includes('--no-tfjs')) {
  await runTf('cpu');
  await runTf('wasm');
}
console.log(failures ? `${failures} FAILURE(S)` : 'all checks passed');
process.exitCode = failures ? 1 : 0;
