// Lovász-softmax, forward + gradient (classes 'present', perImage false), on voc (8x21x256x256) and on
// kornia's 2x15x256x256 (kornia#2884), NCHW logits and index labels from bench/random.mjs:
//   segloss wasm on one thread, zero-copy (input, target and gradient in WasmArrays) and copying (plain typed arrays);
//   segloss's TypeScript fallback;
//   plain JS: Float32Array in and out, f64 softmax, and per class the native %TypedArray%.prototype.sort
//     (the builtin behind Float32Array.prototype.sort) on a Float64Array of `sortKey * 2^k + pixel`, where
//     sortKey is the f32 error's bit pattern mapped to decreasing order: one native numeric sort gives the
//     stable permutation (a Float32Array of errors alone cannot carry the pixel index), then the same
//     walk and the softmax backward in f64, written as tightly as a careful JS developer would;
//   PyTorch, where /usr/bin/python3 has torch: Berman's lovasz_softmax (bench/lovasz_torch.py), CPU, timed in
//     a child process (torch.sort per class; its thread count is reported).
// Timing: tinybench 6 (median of the samples), one Bench per contender and case. Every contender's loss is
// compared with segloss's (the f32 PyTorch one to 1e-4, the rest to 1e-6).
//
// node bench/lovasz.mjs [--quick] [--json]      (npm run bench:lovasz builds first)
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Bench } from 'tinybench';
import { init } from '../dist/index.js';
import { makeCase } from './random.mjs';

const quick = process.argv.includes('--quick');
const asJson = process.argv.includes('--json');
const here = fileURLToPath(new URL('.', import.meta.url));

const CASES = [
  { name: 'voc', N: 8, C: 21, H: 256, W: 256 },
  { name: 'kornia', N: 2, C: 15, H: 256, W: 256 },
];

// ---------------------------------------------------------------- plain JS peer

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** Lovász-softmax (Berman), classes 'present', the batch as one problem, NCHW, no ignore. */
export function plainLovaszSoftmax(x, labels, N, C, P, wantGrad) {
  const M = N * P;
  const p = new Float32Array(N * C * P); // NCHW probabilities
  for (let n = 0; n < N; n++) {
    const base = n * C * P;
    for (let i = 0; i < P; i++) {
      let m = -Infinity;
      for (let c = 0; c < C; c++) m = Math.max(m, x[base + c * P + i]);
      let s = 0;
      for (let c = 0; c < C; c++) {
        const e = Math.exp(x[base + c * P + i] - m);
        p[base + c * P + i] = e;
        s += e;
      }
      const r = 1 / s;
      for (let c = 0; c < C; c++) p[base + c * P + i] *= r;
    }
  }
  const counts = new Int32Array(C);
  for (let k = 0; k < M; k++) counts[labels[k]]++;
  let present = 0;
  for (let c = 0; c < C; c++) if (counts[c] > 0) present++;
  const grad = wantGrad ? new Float32Array(N * C * P) : null; // first d loss / d p, then d loss / d x
  const packed = new Float64Array(M);
  const SHIFT = 2 ** Math.ceil(Math.log2(M + 1)); // sortKey * SHIFT + pixel < 2^53 for sortKey < 2^31
  let total = 0;
  for (let c = 0; c < C; c++) {
    const G = counts[c];
    if (G === 0) continue;
    for (let n = 0; n < N; n++) {
      const base = n * C * P + c * P;
      for (let i = 0; i < P; i++) {
        const k = n * P + i;
        f32[0] = Math.abs((labels[k] === c ? 1 : 0) - p[base + i]);
        packed[k] = (0x7fffffff - u32[0]) * SHIFT + k; // errors >= 0: larger error, smaller key
      }
    }
    packed.sort();
    let cf = 0;
    let loss = 0;
    for (let k = 0; k < M; k++) {
      const v = packed[k];
      const pix = v % SHIFT;
      u32[0] = 0x7fffffff - (v - pix) / SHIFT;
      const e = f32[0];
      const fg = labels[pix] === c;
      if (fg) cf++;
      const U = G + k + 1 - cf;
      const d = fg ? 1 / U : (G - cf) / ((U - 1) * U);
      loss += e * d;
      if (grad) {
        const n = (pix / P) | 0;
        grad[n * C * P + c * P + (pix - n * P)] = (fg ? -d : d) / present;
      }
    }
    total += loss;
  }
  if (grad) {
    for (let n = 0; n < N; n++) {
      const base = n * C * P;
      for (let i = 0; i < P; i++) {
        let s = 0;
        for (let c = 0; c < C; c++) s += grad[base + c * P + i] * p[base + c * P + i];
        for (let c = 0; c < C; c++) {
          const at = base + c * P + i;
          grad[at] = p[at] * (grad[at] - s);
        }
      }
    }
  }
  return { loss: present ? total / present : 0, grad };
}

// ---------------------------------------------------------------- PyTorch child

function torchPeer(cs, x, labels) {
  if (!existsSync('/usr/bin/python3')) return { skipped: 'no /usr/bin/python3' };
  const probe = spawnSync('/usr/bin/python3', ['-c', 'import torch'], { encoding: 'utf8' });
  if (probe.status !== 0) return { skipped: 'torch not importable by /usr/bin/python3' };
  const dir = mkdtempSync(join(tmpdir(), 'segloss-lovasz-'));
  try {
    writeFileSync(join(dir, 'x.f32'), x);
    writeFileSync(join(dir, 't.i32'), Int32Array.from(labels));
    const cfg = { N: cs.N, C: cs.C, H: cs.H, W: cs.W, runs: quick ? 3 : 7, warmup: 1, x: join(dir, 'x.f32'), t: join(dir, 't.i32') };
    const r = spawnSync('/usr/bin/python3', [join(here, 'lovasz_torch.py')], { input: `${JSON.stringify(cfg)}\n`, encoding: 'utf8' });
    if (r.status !== 0) return { skipped: `python failed: ${r.stderr.split('\n').slice(-2).join(' ')}` };
    return JSON.parse(r.stdout.trim().split('\n').pop());
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------- timing

function measure(fn, iterations, time) {
  let last;
  const bench = new Bench({ time, iterations, throws: true, warmup: true, warmupIterations: 1, warmupTime: 0 });
  bench.add('task', () => {
    last = fn();
  }, { async: false });
  bench.runSync();
  const res = bench.tasks[0].result;
  if (res.state !== 'completed') throw res.error ?? new Error(`task ${res.state}`);
  return { median: res.latency.p50, min: res.latency.min, n: res.latency.samplesCount, loss: last.loss };
}

const wasm = await init({ backend: 'wasm', threads: 1 }); // one thread (PyTorch reports its own count)
const js = await init({ backend: 'js' });
const rows = [];
for (const cs of CASES) {
  const P = cs.H * cs.W;
  const shape = [cs.N, cs.C, cs.H, cs.W];
  const { x, labels } = makeCase(cs.N, cs.C, P);
  const X = wasm.alloc(Float32Array, x.length);
  X.view.set(x);
  const T = wasm.alloc(Uint8Array, labels.length);
  T.view.set(labels);
  const O = wasm.alloc(Float32Array, x.length);
  const out = new Float32Array(x.length);
  const fast = quick ? [5, 200] : [15, 1500];
  const r = { case: cs.name, shape };
  r.zeroCopy = measure(() => wasm.lovaszSoftmax(X, T, { shape, out: O }), ...fast);
  r.copying = measure(() => wasm.lovaszSoftmax(x, labels, { shape, out }), ...fast);
  r.fallback = measure(() => js.lovaszSoftmax(x, labels, { shape, grad: true }), quick ? 1 : 3, 0);
  r.plainJs = measure(() => plainLovaszSoftmax(x, labels, cs.N, cs.C, P, true), quick ? 1 : 5, 0);
  r.torch = torchPeer(cs, x, labels);
  for (const k of ['copying', 'fallback', 'plainJs']) {
    if (Math.abs(r[k].loss - r.zeroCopy.loss) > 1e-6) throw new Error(`${cs.name} ${k}: loss ${r[k].loss} vs ${r.zeroCopy.loss}`);
  }
  if (r.torch.loss !== undefined && Math.abs(r.torch.loss - r.zeroCopy.loss) > 1e-4) {
    throw new Error(`${cs.name} torch: loss ${r.torch.loss} vs ${r.zeroCopy.loss}`);
  }
  X.free();
  T.free();
  O.free();
  rows.push(r);
}

if (asJson) {
  console.log(JSON.stringify(rows, null, 1));
} else {
  const ms = (v) => (v === undefined ? '-' : `${v.toFixed(1)} ms`);
  console.log(`Lovász-softmax forward + gradient (classes 'present', perImage false), median; Node ${process.version}`);
  console.log('| case | segloss wasm zero-copy | wasm copying | TS fallback | plain JS (native sort) | PyTorch CPU | vs plain JS | vs PyTorch |');
  console.log('|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    const t = r.torch.median;
    const torch = t === undefined ? `skipped (${r.torch.skipped})` : `${ms(t)} (${r.torch.threads} thread${r.torch.threads > 1 ? 's' : ''}, torch ${r.torch.torch})`;
    console.log(
      `| ${r.case} ${r.shape.join('x')} | ${ms(r.zeroCopy.median)} | ${ms(r.copying.median)} | ${ms(r.fallback.median)} | ${ms(r.plainJs.median)} | ${torch} | ` +
        `${(r.plainJs.median / r.zeroCopy.median).toFixed(1)}x | ${t === undefined ? '-' : `${(t / r.zeroCopy.median).toFixed(1)}x`} |`,
    );
  }
}
