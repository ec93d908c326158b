// Exhaustive bit-identity of the exp and log twins: the TypeScript kernels (src/fallback/math.ts, through
// init({ backend: 'js' })) against the wasm kernels (assembly/, through init({ backend: 'wasm' })) on every
// f32 bit pattern, 2^32 inputs per function, in chunks. Outputs must be equal bit for bit; a NaN equals
// any NaN. Prints progress, then per function the number of inputs, of mismatches and the first mismatch.
//
//   npm run eval:twins                      # builds first; both functions, all 2^32 inputs (several minutes)
//   node eval/twins.mjs [exp|log] [--from 0xHEX] [--to 0xHEX]    (inclusive bit range; default all)
//
// Needs the built dist/ and build/kernels.wasm (npm run build). Exit code 1 on any mismatch.
import { init } from '../dist/index.js';
import { ELEMENTWISE_ARGS, writeArgs } from '../dist/abi.js';

const argv = process.argv.slice(2);
const opt = (k, d) => { const i = argv.indexOf('--' + k); return i >= 0 && i + 1 < argv.length ? argv[i + 1] : d; };
const which = argv.find((a) => a === 'exp' || a === 'log');
const FIRST = Number(opt('from', '0')) >>> 0;
const LAST = Number(opt('to', '0xffffffff')) >>> 0;
const CHUNK = 1 << 20;

/** A backend with an input and an output array of CHUNK floats in its own linear memory. */
async function backend(name) {
  const seg = await init({ backend: name });
  if (seg.backend !== name) throw new Error(`backend ${name} unavailable (got ${seg.backend})`);
  const x = seg.alloc(Float32Array, CHUNK);
  const y = seg.alloc(Float32Array, CHUNK);
  return { name, seg, x, y };
}

/** The one place that calls a kernel: y[i] = f(x[i]) for i < n, in the backend's memory, through the
 *  instance's kernels and an argument block (src/abi.ts) placed in its arena. */
function runKernel(b, kernel, n) {
  const { kernels, arena } = b.seg.host;
  arena.reset();
  const args = arena.alloc(16);
  writeArgs(kernels.memory.buffer, args, ELEMENTWISE_ARGS, { x: b.x.ptr, y: b.y.ptr, n, factor: 0 });
  kernels[kernel](args);
}

const isNaNBits = (u) => (u & 0x7fffffff) > 0x7f800000;
const hex = (u) => '0x' + (u >>> 0).toString(16).padStart(8, '0');
const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
const asFloat = (u) => { u32[0] = u; return f32[0]; };

function check(kernel, wasm, js) {
  const total = LAST - FIRST + 1;
  let done = 0;
  let mismatches = 0;
  let nanPairs = 0;
  let first = null;
  const t0 = performance.now();
  let lastReport = t0;
  for (let b = FIRST; b <= LAST; b += CHUNK) {
    const n = Math.min(CHUNK, LAST - b + 1);
    for (const be of [wasm, js]) {
      const bits = new Uint32Array(be.x.view.buffer, be.x.ptr, n);
      for (let i = 0; i < n; i++) bits[i] = b + i;
      runKernel(be, kernel, n);
    }
    const a = new Uint32Array(wasm.y.view.buffer, wasm.y.ptr, n);
    const c = new Uint32Array(js.y.view.buffer, js.y.ptr, n);
    for (let i = 0; i < n; i++) {
      if (a[i] === c[i]) continue;
      if (isNaNBits(a[i]) && isNaNBits(c[i])) { nanPairs++; continue; }
      mismatches++;
      if (!first) first = { input: b + i, wasm: a[i], js: c[i] };
    }
    done += n;
    const now = performance.now();
    if (now - lastReport > 15000 || done === total) {
      lastReport = now;
      const s = (now - t0) / 1000;
      process.stderr.write(`  ${kernel}: ${done} / ${total} (${(100 * done / total).toFixed(1)}%), ${s.toFixed(0)} s, ` +
        `eta ${(s * (total - done) / done).toFixed(0)} s, ${mismatches} mismatches\n`);
    }
    if (b + n - 1 >= LAST) break; // b + CHUNK would pass 2^32
  }
  const seconds = (performance.now() - t0) / 1000;
  let line = `${kernel}: ${done} inputs [${hex(FIRST)}, ${hex(LAST)}], ${mismatches} mismatches` +
    ` (${nanPairs} NaN outputs with different payloads counted equal), ${seconds.toFixed(0)} s`;
  if (first) {
    line += `; first mismatch at bits ${hex(first.input)} (x = ${asFloat(first.input)}): wasm ${hex(first.wasm)} (${asFloat(first.wasm)}), ` +
      `ts ${hex(first.js)} (${asFloat(first.js)})`;
  }
  console.log(line);
  return mismatches;
}

const wasm = await backend('wasm');
const js = await backend('js');
console.log(`twins: wasm kernels vs TypeScript twins, bits ${hex(FIRST)}..${hex(LAST)}, chunks of ${CHUNK}, Node ${process.version}`);
let bad = 0;
for (const kernel of ['expArray', 'logArray']) {
  if (which && kernel !== which + 'Array') continue;
  bad += check(kernel, wasm, js);
}
console.log(bad ? `FAIL: ${bad} mismatches` : 'ok: the TypeScript twins equal the wasm kernels bit for bit');
process.exitCode = bad ? 1 : 0;
