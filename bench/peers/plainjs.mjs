// Plain-JS peer: the fused losses a careful JS developer would write by hand.
//
// - Float32Array in and out, f64 accumulation of every sum.
// - NCHW is walked in tiles of TILE contiguous pixels: for each tile, one streaming pass per channel
//   computes the running max, then exp(x - max) (exactly one Math.exp per logit), stored straight into
//   the gradient buffer (or a tile scratch) and summed per pixel; the gradient is then rescaled in place
//   while the tile is still in cache. No one-hot, no intermediates of size N*C*P besides the gradient.
// - Every function returns { loss } or, with grad: true, { loss, grad } (grad = d(loss)/d(x), same NCHW
//   layout; pass `out` to reuse a buffer). Semantics follow SEMANTICS.md (index labels; mean reductions).

const TILE = 512;

// Tile scratch, grown on demand (module-level so repeated calls allocate nothing).
let mBuf = new Float64Array(TILE);
let sBuf = new Float64Array(TILE);
let aBuf = new Float64Array(TILE);
let eBuf = new Float32Array(0);
function scratchE(n) {
  if (eBuf.length < n) eBuf = new Float32Array(n);
  return eBuf;
}

function checkArgs(x, labels, N, C, P) {
  if (!(x instanceof Float32Array)) throw new TypeError('x must be a Float32Array');
  if (x.length !== N * C * P) throw new RangeError(`x.length ${x.length} != N*C*P = ${N * C * P}`);
  if (labels.length !== N * P) throw new RangeError(`labels.length ${labels.length} != N*P = ${N * P}`);
  if (!(C >= 1)) throw new RangeError('C must be >= 1');
}

/** Validates index labels and returns the number of non-ignored pixels. ignoreIndex undefined: none. */
function countValid(labels, C, ignoreIndex) {
  let count = 0;
  const ign = ignoreIndex === undefined ? NaN : ignoreIndex;
  for (let i = 0; i < labels.length; i++) {
    const t = labels[i];
    if (t >= 0 && t < C) count++;
    else if (t !== ign) throw new RangeError(`label ${t} at position ${i} is out of bounds [0, ${C})`);
  }
  return count;
}

function gradBuffer(out, n) {
  if (out === undefined) return new Float32Array(n);
  if (!(out instanceof Float32Array) || out.length !== n) throw new RangeError('out must be a Float32Array of length N*C*P');
  return out;
}

/** Per tile: m[i] = max_c x, s[i] = sum_c exp(x - m), exp stored into buf (if given). */
function tileSoftmaxSums(x, base, p0, T, C, P, m, s, buf, bufBase, bufStride) {
  let off = base + p0;
  for (let i = 0; i < T; i++) { m[i] = x[off + i]; s[i] = 0; }
  for (let c = 1; c < C; c++) {
    off = base + c * P + p0;
    for (let i = 0; i < T; i++) { const v = x[off + i]; if (v > m[i]) m[i] = v; }
  }
  if (buf === null) {
    for (let c = 0; c < C; c++) {
      off = base + c * P + p0;
      for (let i = 0; i < T; i++) s[i] += Math.exp(x[off + i] - m[i]);
    }
  } else {
    for (let c = 0; c < C; c++) {
      off = base + c * P + p0;
      const bo = bufBase + c * bufStride;
      for (let i = 0; i < T; i++) { const e = Math.exp(x[off + i] - m[i]); buf[bo + i] = e; s[i] += e; }
    }
  }
}

/**
 * Softmax cross entropy, NCHW logits, index labels, mean over non-ignored pixels (PyTorch F.cross_entropy).
 * @returns {{loss: number, grad?: Float32Array}}
 */
export function crossEntropy(x, labels, N, C, P, { grad = false, ignoreIndex = -100, out } = {}) {
  checkArgs(x, labels, N, C, P);
  const count = countValid(labels, C, ignoreIndex);
  const g = grad ? gradBuffer(out, N * C * P) : null;
  if (count === 0) { if (g) g.fill(0); return grad ? { loss: 0, grad: g } : { loss: 0 }; }
  const scale = 1 / count;
  const m = mBuf, s = sBuf;
  let loss = 0;
  for (let n = 0; n < N; n++) {
    const base = n * C * P, lbase = n * P;
    for (let p0 = 0; p0 < P; p0 += TILE) {
      const T = Math.min(TILE, P - p0);
      tileSoftmaxSums(x, base, p0, T, C, P, m, s, g, base + p0, P);
      for (let i = 0; i < T; i++) {
        const t = labels[lbase + p0 + i];
        if (t >= 0 && t < C) {
          loss += m[i] + Math.log(s[i]) - x[base + t * P + p0 + i];
          s[i] = scale / s[i];
        } else s[i] = 0; // ignored pixel: zero gradient
      }
      if (g !== null) {
        for (let c = 0; c < C; c++) {
          const off = base + c * P + p0;
          for (let i = 0; i < T; i++) g[off + i] *= s[i];
        }
        for (let i = 0; i < T; i++) {
          const t = labels[lbase + p0 + i];
          if (t >= 0 && t < C) g[base + t * P + p0 + i] -= scale;
        }
      }
    }
  }
  return grad ? { loss: loss * scale, grad: g } : { loss: loss * scale };
}

/**
 * Sigmoid BCE with logits against dense targets y, mean over all elements. Stable form
 * l = (1 - y) x + log1p(exp(-|x|)) + max(-x, 0); grad = (sigmoid(x) - y) / n.
 */
export function binaryCrossEntropy(x, y, { grad = false, out } = {}) {
  if (!(x instanceof Float32Array) || !(y instanceof Float32Array)) throw new TypeError('x and y must be Float32Array');
  if (x.length !== y.length) throw new RangeError(`y.length ${y.length} != x.length ${x.length}`);
  const len = x.length;
  if (len === 0) return grad ? { loss: 0, grad: gradBuffer(out, 0) } : { loss: 0 };
  const scale = 1 / len;
  let loss = 0;
  if (!grad) {
    for (let i = 0; i < len; i++) {
      const xi = x[i], yi = y[i];
      loss += (1 - yi) * xi + Math.log1p(Math.exp(-Math.abs(xi))) + (xi < 0 ? -xi : 0);
    }
    return { loss: loss * scale };
  }
  const g = gradBuffer(out, len);
  for (let i = 0; i < len; i++) {
    const xi = x[i], yi = y[i];
    const e = Math.exp(-Math.abs(xi));
    loss += (1 - yi) * xi + Math.log1p(e) + (xi < 0 ? -xi : 0);
    const sig = xi >= 0 ? 1 / (1 + e) : e / (1 + e);
    g[i] = (sig - yi) * scale;
  }
  return { loss: loss * scale, grad: g };
}

/**
 * Softmax focal loss l = -(1 - p_t)^gamma log p_t, mean over non-ignored pixels.
 * grad_c = k (p_c - [c = t]) / |M| with k = (1 - p_t)^gamma - gamma (1 - p_t)^(gamma - 1) p_t log p_t.
 * One Math.exp per logit plus one per pixel (p_t = exp(log p_t), accurate near 1).
 */
export function focal(x, labels, N, C, P, { grad = false, gamma = 2, ignoreIndex = -100, out } = {}) {
  checkArgs(x, labels, N, C, P);
  if (!(gamma >= 0)) throw new RangeError('gamma must be >= 0');
  const count = countValid(labels, C, ignoreIndex);
  const g = grad ? gradBuffer(out, N * C * P) : null;
  if (count === 0) { if (g) g.fill(0); return grad ? { loss: 0, grad: g } : { loss: 0 }; }
  const scale = 1 / count;
  const m = mBuf, s = sBuf, a = aBuf;
  let loss = 0;
  for (let n = 0; n < N; n++) {
    const base = n * C * P, lbase = n * P;
    for (let p0 = 0; p0 < P; p0 += TILE) {
      const T = Math.min(TILE, P - p0);
      tileSoftmaxSums(x, base, p0, T, C, P, m, s, g, base + p0, P);
      for (let i = 0; i < T; i++) {
        const t = labels[lbase + p0 + i];
        if (t >= 0 && t < C) {
          const lse = m[i] + Math.log(s[i]);
          const L = x[base + t * P + p0 + i] - lse; // log p_t
          const pt = Math.exp(L);
          const omp = 1 - pt;
          let w, dw; // w = omp^gamma, dw = gamma * omp^(gamma-1)
          if (gamma === 2) { w = omp * omp; dw = 2 * omp; }
          else if (gamma === 0) { w = 1; dw = 0; }
          else if (gamma === 1) { w = omp; dw = 1; }
          else { w = Math.pow(omp, gamma); dw = omp > 0 ? gamma * Math.pow(omp, gamma - 1) : 0; }
          loss -= w * L;
          const k = (w - dw * pt * L) * scale;
          a[i] = k;
          s[i] = k / s[i];
        } else { a[i] = 0; s[i] = 0; }
      }
      if (g !== null) {
        for (let c = 0; c < C; c++) {
          const off = base + c * P + p0;
          for (let i = 0; i < T; i++) g[off + i] *= s[i];
        }
        for (let i = 0; i < T; i++) {
          const t = labels[lbase + p0 + i];
          if (t >= 0 && t < C) g[base + t * P + p0 + i] -= a[i];
        }
      }
    }
  }
  return grad ? { loss: loss * scale, grad: g } : { loss: loss * scale };
}

// ---------------------------------------------------------------------------------------------
// Region losses (softmax Dice / IoU, per sample), optionally fused with cross entropy.
// Pass 1 (per tile): softmax p stored in the gradient buffer (or a tile scratch), per (n, c) sums
//   I = sum p g, Sp = sum p (or p^2), Sg = sum g, and the CE loss when wanted.
// Pass 2 (grad only): dL/dp_c = ka_c [c = t] + kb_c q_c (q = 1, or 2 p_c when squared), then the
//   softmax backward grad_c = p_c (dL/dp_c - sum_k p_k dL/dp_k), plus wCe (p_c - [c = t]) / |M|.

function region(kind, x, labels, N, C, P, opts) {
  const { grad = false, squared = false, smooth = 1, ignoreIndex, out, wCe = 0, wRegion = 1 } = opts;
  const sn = opts.smoothNumerator ?? smooth, sd = opts.smoothDenominator ?? smooth;
  checkArgs(x, labels, N, C, P);
  const count = countValid(labels, C, ignoreIndex);
  const g = grad ? gradBuffer(out, N * C * P) : null;
  const NC = N * C;
  const I = new Float64Array(NC), Sp = new Float64Array(NC), Sg = new Float64Array(NC);
  const m = mBuf, s = sBuf;
  const scratch = g === null ? scratchE(C * TILE) : null;
  const buf = g === null ? scratch : g;
  let ceLoss = 0;
  const wantCe = wCe !== 0;

  // Pass 1
  for (let n = 0; n < N; n++) {
    const base = n * C * P, lbase = n * P, nc = n * C;
    for (let p0 = 0; p0 < P; p0 += TILE) {
      const T = Math.min(TILE, P - p0);
      const bufBase = g === null ? 0 : base + p0, bufStride = g === null ? TILE : P;
      tileSoftmaxSums(x, base, p0, T, C, P, m, s, buf, bufBase, bufStride);
      for (let i = 0; i < T; i++) {
        const t = labels[lbase + p0 + i];
        if (t >= 0 && t < C) {
          if (wantCe) ceLoss += m[i] + Math.log(s[i]) - x[base + t * P + p0 + i];
          s[i] = 1 / s[i];
        } else s[i] = 0; // ignored: p = 0 everywhere, drops out of every sum and of the gradient
      }
      for (let c = 0; c < C; c++) {
        const bo = bufBase + c * bufStride;
        let acc = 0;
        if (squared) for (let i = 0; i < T; i++) { const p = buf[bo + i] * s[i]; buf[bo + i] = p; acc += p * p; }
        else for (let i = 0; i < T; i++) { const p = buf[bo + i] * s[i]; buf[bo + i] = p; acc += p; }
        Sp[nc + c] += acc;
      }
      for (let i = 0; i < T; i++) {
        const t = labels[lbase + p0 + i];
        if (t >= 0 && t < C) { I[nc + t] += buf[bufBase + t * bufStride + i]; Sg[nc + t] += 1; }
      }
    }
  }

  // Scores and coefficients
  const ka = new Float64Array(NC), kb = new Float64Array(NC);
  let sum = 0;
  for (let k = 0; k < NC; k++) {
    if (kind === 'dice') {
      const num = 2 * I[k] + sn, den = Sp[k] + Sg[k] + sd;
      sum += num / den;
      ka[k] = -(2 / den) / NC * wRegion;
      kb[k] = (num / (den * den)) / NC * wRegion;
    } else {
      const num = I[k] + sn, den = Sp[k] + Sg[k] - I[k] + sd;
      sum += num / den;
      ka[k] = -(1 / den + num / (den * den)) / NC * wRegion;
      kb[k] = (num / (den * den)) / NC * wRegion;
    }
  }
  const regionLoss = 1 - sum / NC;
  const ce = count > 0 ? ceLoss / count : 0;
  const loss = wantCe ? wCe * ce + wRegion * regionLoss : regionLoss;
  const result = wantCe ? { loss, ce, [kind]: regionLoss } : { loss };
  if (g === null) return result;

  // Pass 2: gradient in place (g holds p)
  const cw = wantCe && count > 0 ? wCe / count : 0;
  const d = s, pt = m;
  for (let n = 0; n < N; n++) {
    const base = n * C * P, lbase = n * P, nc = n * C;
    for (let p0 = 0; p0 < P; p0 += TILE) {
      const T = Math.min(TILE, P - p0);
      for (let i = 0; i < T; i++) {
        const t = labels[lbase + p0 + i];
        if (t >= 0 && t < C) { const v = g[base + t * P + p0 + i]; pt[i] = v; d[i] = ka[nc + t] * v; }
        else { pt[i] = 0; d[i] = 0; }
      }
      for (let c = 0; c < C; c++) {
        const off = base + c * P + p0, b = kb[nc + c];
        if (squared) { const b2 = 2 * b; for (let i = 0; i < T; i++) { const p = g[off + i]; d[i] += b2 * p * p; } }
        else for (let i = 0; i < T; i++) d[i] += b * g[off + i];
      }
      for (let c = 0; c < C; c++) {
        const off = base + c * P + p0, b = kb[nc + c];
        if (squared) { const b2 = 2 * b; for (let i = 0; i < T; i++) { const p = g[off + i]; g[off + i] = p * (b2 * p - d[i] + cw); } }
        else { const bc = b + cw; for (let i = 0; i < T; i++) { const p = g[off + i]; g[off + i] = p * (bc - d[i]); } }
      }
      for (let i = 0; i < T; i++) {
        const t = labels[lbase + p0 + i];
        if (t >= 0 && t < C) g[base + t * P + p0 + i] += pt[i] * ka[nc + t] - cw;
      }
    }
  }
  result.grad = g;
  return result;
}

/**
 * Softmax Dice, per sample: score = (2I + sn) / (Sp + Sg + sd), loss = 1 - mean over (n, c).
 * Options: grad, squared (false), smooth (1; sets sn and sd), smoothNumerator, smoothDenominator,
 * ignoreIndex (none), out.
 */
export function dice(x, labels, N, C, P, opts = {}) {
  return region('dice', x, labels, N, C, P, { ...opts, wCe: 0, wRegion: 1 });
}

/** Softmax IoU (Jaccard), per sample: score = (I + sn) / (Sp + Sg - I + sd), loss = 1 - mean. */
export function iou(x, labels, N, C, P, opts = {}) {
  return region('iou', x, labels, N, C, P, { ...opts, wCe: 0, wRegion: 1 });
}

/**
 * wCe * crossEntropy + wDice * dice (defaults 0.5 / 0.5) sharing one softmax pass.
 * ignoreIndex (-100) applies to both terms. Returns { loss, ce, dice, grad? }.
 */
export function combinedCeDice(x, labels, N, C, P, { wCe = 0.5, wDice = 0.5, ignoreIndex = -100, ...opts } = {}) {
  return region('dice', x, labels, N, C, P, { ...opts, ignoreIndex, wCe, wRegion: wDice });
}
