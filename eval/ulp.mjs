// Exhaustive accuracy of the kernels' exp and log: every f32 of the domain through the wasm kernel,
// error in units in the last place (of the f32 result) against f64 Math.exp / Math.log.
//   npm run eval:ulp                  (builds first; both functions)
//   node eval/ulp.mjs [exp|log]       (exp: ~1.1e9 inputs, log: ~2.1e9 inputs; about a minute each)
// Accuracy lives in eval/, apart from speed (bench/); eval/twins.mjs checks the TypeScript twins bit for bit.
import { readFile } from 'node:fs/promises';
import { ELEMENTWISE_ARGS, writeArgs } from '../dist/abi.js';

const bytes = await readFile(new URL('../build/kernels.wasm', import.meta.url));
const { exports: k } = await WebAssembly.instantiate(await WebAssembly.compile(bytes), {});
const CHUNK = 1 << 20;
const base = (k.heapBase() + 15) & ~15;
k.memory.grow(Math.ceil((base + 8 * CHUNK + 16) / 65536)); // two arrays and an argument block
const xs = new Float32Array(k.memory.buffer, base, CHUNK);
const ys = new Float32Array(k.memory.buffer, base + 4 * CHUNK, CHUNK);
const bits = new Uint32Array(xs.buffer, base, CHUNK);
const args = base + 8 * CHUNK; // the kernels' argument block (src/abi.ts), after the two arrays

// ulp of the f32 grid around the exact value r
function ulp(r) {
  const a = Math.abs(r);
  const e = a < 2 ** -126 ? -126 : Math.floor(Math.log2(a));
  return 2 ** (Math.max(e, -126) - 23);
}

function measure(name, kernel, reference, first, last) {
  let worst = 0;
  let worstAt = 0;
  let count = 0;
  for (let b = first; b <= last; b += CHUNK) {
    const n = Math.min(CHUNK, last - b + 1);
    for (let i = 0; i < n; i++) bits[i] = b + i;
    writeArgs(k.memory.buffer, args, ELEMENTWISE_ARGS, { x: base, y: base + 4 * CHUNK, n, factor: 0 });
    kernel(args);
    for (let i = 0; i < n; i++) {
      const r = reference(xs[i]);
      const y = ys[i];
      if (y === r) continue;
      const err = Math.abs(y - r) / ulp(r);
      if (!(err <= worst)) {
        worst = err;
        worstAt = xs[i];
      }
    }
    count += n;
  }
  console.log(`${name}: ${count} inputs, max error ${worst.toFixed(3)} ulp at x = ${worstAt}`);
  return worst;
}

const which = process.argv[2] ?? 'all';
// exp over [-87.336548, -0]: the losses only take exp of x <= 0 (sign bit set: 0x80000000 .. 0xc2aeac50)
if (which !== 'log') measure('exp', k.expArray, Math.exp, 0x80000000, 0xc2aeac50);
// log over every positive finite f32, subnormals included
if (which !== 'exp') measure('log', k.logArray, Math.log, 0x00000001, 0x7f7fffff);
