// A copying cross entropy whose logits and gradient together exceed the 4 GiB wasm32 address space:
// the batch streams through the window, and wasm memory stays small. The loss is checked against its
// value computed in f64 from the few distinct pixels the input is made of.
//   npm run eval:huge            (wasm; about 10 s and 5 GB of RAM)
//   node eval/huge.mjs js        (the TypeScript backend; minutes)
import { init } from '../dist/index.js';

const backend = process.argv[2] ?? 'wasm';
const C = 2;
const P = 2 ** 28 + 2 ** 24 + 12345; // pixels: logits and gradient are 2 x 2.28 GB
const shape = [1, C, P];
const logits = new Float32Array(C * P);
const labels = new Uint8Array(P);
const KINDS = 7; // pixel i has logits (a_k, 0) and label k % 2, k = i % 7
const a = Float32Array.from({ length: KINDS }, (_, k) => (k - 3) * 1.25);
for (let i = 0; i < P; i++) {
  const k = i % KINDS;
  logits[i] = a[k];
  labels[i] = k % 2;
}
// -log softmax(x)_t in f64 for each kind, and how many pixels of each kind there are
let want = 0;
for (let k = 0; k < KINDS; k++) {
  const count = Math.floor(P / KINDS) + (k < P % KINDS ? 1 : 0);
  const lse = Math.log(Math.exp(a[k]) + 1);
  want += count * (lse - (k % 2 === 0 ? a[k] : 0));
}
want /= P;

const seg = await init({ backend });
const out = new Float32Array(C * P);
const start = performance.now();
const { loss, grad } = seg.crossEntropy(logits, labels, { shape, out });
const seconds = (performance.now() - start) / 1000;
const bytes = (logits.byteLength + out.byteLength) / 2 ** 30;
const rel = Math.abs(loss - want) / want;
const gradOk = grad === out && Math.abs(out[0] - (1 / (1 + Math.exp(-a[0])) - 1) / P) < 1e-6 / P;
console.log(`${backend}: logits + gradient ${bytes.toFixed(2)} GiB, loss ${loss} (f64 ${want}, rel error ${rel.toExponential(2)}),` +
  ` ${seconds.toFixed(1)} s, wasm memory afterwards ${(seg.memoryBytes / 2 ** 20).toFixed(1)} MiB`);
const ok = bytes > 4 && rel < 1e-6 && gradOk && seg.memoryBytes <= 64 * 2 ** 20;
console.log(ok ? 'ok' : 'FAIL');
process.exit(ok ? 0 : 1);
