// The demo's experiment, without any drawing: a generated class-imbalanced scene, per-pixel features, and a
// tiny per-pixel classifier (a 2-layer perceptron) trained with Adam on segloss's gradient d loss / d logits,
// chained by hand to the weights. Plain JavaScript, so the page and Node run the same code.

export const SIZE = 128;
export const CLASSES = 2;

/** Deterministic uniform [0, 1) (xorshift32). */
export function rng(seed) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 2 ** 32;
  };
}

function gauss(rand) {
  return Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
}

/**
 * A SIZE x SIZE RGB image: a textured, noisy background and one small rotated ellipse (about 1% of the
 * pixels) whose color differs from its surroundings by less than the texture varies across the image.
 */
export function makeScene(seed = 1) {
  const rand = rng(seed);
  const n = SIZE * SIZE;
  const rgb = new Float32Array(n * 3);
  const labels = new Uint8Array(n);
  const cx = 78 + rand() * 8;
  const cy = 42 + rand() * 8;
  const angle = 0.5 + rand() * 0.3;
  const [a, b] = [9.5, 5.5];
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  // smooth blotches: a few random bumps per channel
  const bumps = Array.from({ length: 14 }, () => ({
    x: rand() * SIZE, y: rand() * SIZE, r: 10 + rand() * 26, c: Math.floor(rand() * 3), h: (rand() - 0.5) * 0.5,
  }));
  for (let y = 0; y < SIZE; y++) {
    for (let x = 0; x < SIZE; x++) {
      const i = y * SIZE + x;
      const u = ((x - cx) * cos + (y - cy) * sin) / a;
      const v = (-(x - cx) * sin + (y - cy) * cos) / b;
      const inside = u * u + v * v <= 1 ? 1 : 0;
      labels[i] = inside;
      const base = [
        0.42 + 0.12 * Math.sin(x * 0.07 + y * 0.03) + 0.06 * Math.cos(y * 0.19),
        0.46 + 0.1 * Math.sin(y * 0.06 - x * 0.02) + 0.05 * Math.sin(x * 0.23),
        0.38 + 0.1 * Math.cos(x * 0.05 + y * 0.08),
      ];
      for (const k of bumps) {
        const d2 = (x - k.x) ** 2 + (y - k.y) ** 2;
        base[k.c] += k.h * Math.exp(-d2 / (2 * k.r * k.r));
      }
      const shift = [0.16, -0.06, 0.1];
      for (let c = 0; c < 3; c++) rgb[i * 3 + c] = base[c] + inside * shift[c] + 0.11 * gauss(rand);
    }
  }
  return { rgb, labels, foreground: labels.reduce((s, v) => s + v, 0) };
}

/** Mean of each channel over a (2r+1)^2 window, clamped at the borders (summed-area table). */
function boxMean(rgb, r) {
  const S = SIZE;
  const table = new Float64Array((S + 1) * (S + 1) * 3);
  for (let y = 0; y < S; y++) {
    for (let x = 0; x < S; x++) {
      for (let c = 0; c < 3; c++) {
        const o = ((y + 1) * (S + 1) + x + 1) * 3 + c;
        table[o] = rgb[(y * S + x) * 3 + c] + table[o - 3] + table[o - (S + 1) * 3] - table[o - (S + 2) * 3];
      }
    }
  }
  const out = new Float32Array(S * S * 3);
  for (let y = 0; y < S; y++) {
    const y0 = Math.max(0, y - r);
    const y1 = Math.min(S, y + r + 1);
    for (let x = 0; x < S; x++) {
      const x0 = Math.max(0, x - r);
      const x1 = Math.min(S, x + r + 1);
      const area = (y1 - y0) * (x1 - x0);
      for (let c = 0; c < 3; c++) {
        const at = (yy, xx) => table[(yy * (S + 1) + xx) * 3 + c];
        out[(y * S + x) * 3 + c] = (at(y1, x1) - at(y0, x1) - at(y1, x0) + at(y0, x0)) / area;
      }
    }
  }
  return out;
}

/**
 * Per-pixel features, standardized: the noisy color (3), its 5x5 mean (3), and the local contrast
 * 5x5 mean - 21x21 mean (3).
 */
export function makeFeatures(rgb) {
  const n = SIZE * SIZE;
  const m5 = boxMean(rgb, 2);
  const m21 = boxMean(rgb, 10);
  const F = 9;
  const feats = new Float32Array(n * F);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < 3; c++) {
      feats[i * F + c] = rgb[i * 3 + c];
      feats[i * F + 3 + c] = m5[i * 3 + c];
      feats[i * F + 6 + c] = m5[i * 3 + c] - m21[i * 3 + c];
    }
  }
  for (let f = 0; f < F; f++) {
    let mean = 0;
    let sq = 0;
    for (let i = 0; i < n; i++) mean += feats[i * F + f];
    mean /= n;
    for (let i = 0; i < n; i++) sq += (feats[i * F + f] - mean) ** 2;
    const sd = Math.sqrt(sq / n) || 1;
    for (let i = 0; i < n; i++) feats[i * F + f] = (feats[i * F + f] - mean) / sd;
  }
  return { feats, F };
}

/** The losses the page compares; each gets the same scene, features, initial weights and optimizer. */
export function lossSpecs(foreground) {
  const shape = [1, SIZE, SIZE, CLASSES];
  const base = { shape, layout: 'NHWC', grad: true };
  const fgWeight = Math.round((SIZE * SIZE - foreground) / foreground); // inverse frequency
  return [
    { name: 'crossEntropy', label: 'Cross entropy', options: 'mean over pixels',
      run: (seg, x, t) => seg.crossEntropy(x, t, base) },
    { name: 'weightedCrossEntropy', label: 'Weighted cross entropy', options: `weight [1, ${fgWeight}] (inverse frequency)`,
      run: (seg, x, t) => seg.crossEntropy(x, t, { ...base, weight: [1, fgWeight] }) },
    { name: 'focal', label: 'Focal', options: 'softmax, γ = 2',
      run: (seg, x, t) => seg.focal(x, t, { ...base, gamma: 2 }) },
    { name: 'dice', label: 'Dice', options: 'soft, squared: false',
      run: (seg, x, t) => seg.dice(x, t, { ...base, squared: false }) },
    { name: 'iou', label: 'IoU (Jaccard)', options: 'soft, squared: false',
      run: (seg, x, t) => seg.iou(x, t, { ...base, squared: false }) },
    { name: 'generalizedDice', label: 'Generalized Dice', options: "MONAI's GeneralizedDiceLoss: w = 1/G², per sample",
      run: (seg, x, t) => seg.generalizedDice(x, t, base) },
    { name: 'lovaszSoftmax', label: 'Lovász-softmax', options: "Berman's Lovász extension of IoU, classes 'present'",
      run: (seg, x, t) => seg.lovaszSoftmax(x, t, base) },
    { name: 'crossEntropy+dice', label: 'CE + Dice', options: '0.5 · CE + 0.5 · Dice',
      run: (seg, x, t) => seg.combined(x, t, { ...base, terms: [{ loss: 'crossEntropy', weight: 0.5 }, { loss: 'dice', weight: 0.5, squared: false }] }) },
  ];
}

/** A per-pixel 2-layer perceptron F -> H (ReLU) -> CLASSES, with Adam. */
export class PixelNet {
  constructor(F, H, seed, lr = 0.01) {
    const rand = rng(seed);
    this.F = F;
    this.H = H;
    this.lr = lr;
    this.params = [
      Float32Array.from({ length: H * F }, () => gauss(rand) * Math.sqrt(2 / F)), // W1 [H, F]
      new Float32Array(H), // b1
      Float32Array.from({ length: CLASSES * H }, () => gauss(rand) * Math.sqrt(1 / H)), // W2 [C, H]
      new Float32Array(CLASSES), // b2
    ];
    this.grads = this.params.map((p) => new Float32Array(p.length));
    this.m = this.params.map((p) => new Float32Array(p.length));
    this.v = this.params.map((p) => new Float32Array(p.length));
    this.t = 0;
    this.hidden = null;
  }

  /** Logits [n, CLASSES] (NHWC order) for features [n, F]; keeps the hidden activations for backward. */
  forward(feats, n) {
    const { F, H } = this;
    const [W1, b1, W2, b2] = this.params;
    if (!this.hidden || this.hidden.length !== n * H) this.hidden = new Float32Array(n * H);
    const h = this.hidden;
    const z = new Float32Array(n * CLASSES);
    for (let i = 0; i < n; i++) {
      const fo = i * F;
      for (let j = 0; j < H; j++) {
        let s = b1[j];
        const wo = j * F;
        for (let f = 0; f < F; f++) s += W1[wo + f] * feats[fo + f];
        h[i * H + j] = s > 0 ? s : 0;
      }
      for (let c = 0; c < CLASSES; c++) {
        let s = b2[c];
        for (let j = 0; j < H; j++) s += W2[c * H + j] * h[i * H + j];
        z[i * CLASSES + c] = s;
      }
    }
    return z;
  }

  /** Chains d loss / d logits to the weights and takes one Adam step. */
  backward(feats, n, dz) {
    const { F, H } = this;
    const [, , W2] = this.params;
    const [gW1, gb1, gW2, gb2] = this.grads;
    for (const g of this.grads) g.fill(0);
    const h = this.hidden;
    const dh = new Float32Array(H);
    for (let i = 0; i < n; i++) {
      dh.fill(0);
      for (let c = 0; c < CLASSES; c++) {
        const d = dz[i * CLASSES + c];
        if (d === 0) continue;
        gb2[c] += d;
        for (let j = 0; j < H; j++) {
          gW2[c * H + j] += d * h[i * H + j];
          dh[j] += d * W2[c * H + j];
        }
      }
      const fo = i * F;
      for (let j = 0; j < H; j++) {
        if (h[i * H + j] <= 0 || dh[j] === 0) continue;
        const d = dh[j];
        gb1[j] += d;
        const wo = j * F;
        for (let f = 0; f < F; f++) gW1[wo + f] += d * feats[fo + f];
      }
    }
    this.adam();
  }

  adam(beta1 = 0.9, beta2 = 0.999, eps = 1e-8) {
    this.t += 1;
    const c1 = 1 - beta1 ** this.t;
    const c2 = 1 - beta2 ** this.t;
    this.params.forEach((p, k) => {
      const g = this.grads[k];
      const m = this.m[k];
      const v = this.v[k];
      for (let i = 0; i < p.length; i++) {
        m[i] = beta1 * m[i] + (1 - beta1) * g[i];
        v[i] = beta2 * v[i] + (1 - beta2) * g[i] * g[i];
        p[i] -= (this.lr * (m[i] / c1)) / (Math.sqrt(v[i] / c2) + eps);
      }
    });
  }
}

/**
 * The argmax prediction's metrics from segloss's confusion matrix (z: NHWC logits [1, SIZE, SIZE, 2]):
 * per-class IoU, foreground IoU (1 when neither prediction nor truth has foreground) and mIoU, and
 * the predicted mask for drawing.
 */
export function evaluate(seg, z, labels) {
  const m = seg.confusionMatrix(z, labels, { shape: [1, SIZE, SIZE, 2], layout: 'NHWC' });
  const perClass = Array.from(m.iou());
  const mask = new Uint8Array(labels.length);
  for (let i = 0; i < labels.length; i++) mask[i] = z[i * 2 + 1] > z[i * 2] ? 1 : 0;
  return { iou: Number.isNaN(perClass[1]) ? 1 : perClass[1], miou: m.meanIoU(), perClass, mask };
}

/** One run: a loss, its own copy of the network, its curves. `step()` trains once and records. */
export function makeRun(spec, seg, scene, features, { hidden = 8, seed = 7, lr = 0.01 } = {}) {
  const n = SIZE * SIZE;
  const net = new PixelNet(features.F, hidden, seed, lr);
  const run = {
    spec, net, curve: [], iouCurve: [], stepMs: [], lossMs: [], mask: null, iou: 0, miou: 0, perClassIou: [],
    step() {
      const t0 = performance.now();
      const z = net.forward(features.feats, n);
      const t1 = performance.now();
      const r = spec.run(seg, z, scene.labels);
      const t2 = performance.now();
      net.backward(features.feats, n, r.grad);
      const t3 = performance.now();
      const { iou, miou, perClass, mask } = evaluate(seg, z, scene.labels);
      run.curve.push(r.loss);
      run.iouCurve.push(iou);
      run.stepMs.push(t3 - t0);
      run.lossMs.push(t2 - t1);
      run.iou = iou;
      run.miou = miou;
      run.perClassIou = perClass;
      run.mask = mask;
    },
    /** Final numbers: IoU after the last step's prediction, median step and loss times. */
    summary() {
      const median = (a) => {
        const s = [...a].sort((p, q) => p - q);
        return s.length ? s[Math.floor(s.length / 2)] : 0;
      };
      return {
        loss: spec.name, iou: run.iou, miou: run.miou, perClassIou: run.perClassIou.slice(),
        bestIou: Math.max(0, ...run.iouCurve), curve: run.curve.slice(),
        iouCurve: run.iouCurve.slice(), msPerStep: median(run.stepMs), lossMsPerStep: median(run.lossMs),
      };
    },
  };
  return run;
}
