// segloss benchmark: every loss, forward only and forward + gradient, against the peers in bench/peers
// (plain-JS fused loops, TensorFlow.js 4.22 wasm and cpu) and the native C kernels in bench/native,
// all in one run. Prints a table per workload and writes BENCHMARKS.md (see bench/README.md).
//
//   npm run bench                                   # build, then the full run (~10-15 min), writes BENCHMARKS.md
//   node bench/run.mjs --quick                      # fewer iterations (~3 min); prints only
//   node bench/run.mjs --workload voc,binary --no-tfjs-cpu
//
// Flags: --workload voc,binary,city,volume (default: all four), --quick, --no-tfjs-cpu,
//   --out FILE (where to write the report; default BENCHMARKS.md, but only for a full default run:
//   a --quick or partial run prints and writes nothing unless --out is given).
//
// Timing: tinybench 6.2.5, one Bench per contender and case, runSync, with its own minimum iteration
// count / time budget / warmup (slow contenders run few iterations). Every call's loss and one
// gradient element go into a checksum so nothing is optimised away; the last call's loss and sum
// |grad| are checked against the plain-JS peer. TensorFlow.js runs in child processes, one per
// backend (no backend switching), driven over IPC so its cases still run next to the others.
import { execFileSync, fork } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Bench } from 'tinybench';
import { makeCase, xorshift32 } from './random.mjs';

const here = fileURLToPath(new URL('.', import.meta.url));
const root = path.resolve(here, '..');
const argv = process.argv.slice(2);
const flag = (k) => argv.includes('--' + k);
const opt = (k, d) => { const i = argv.indexOf('--' + k); return i >= 0 && i + 1 < argv.length ? argv[i + 1] : d; };

// ---------------------------------------------------------------- workloads and data

const WORKLOADS = {
  voc: { N: 8, C: 21, spatial: [256, 256], kind: 'index', desc: 'N8 C21 256x256, index labels' },
  binary: { N: 4, C: 1, spatial: [512, 512], kind: 'binary', desc: 'N4 C1 512x512, dense 0/1 mask' },
  city: { N: 2, C: 19, spatial: [512, 1024], kind: 'index', desc: 'N2 C19 512x1024, index labels' },
  volume: { N: 2, C: 4, spatial: [64, 128, 128], kind: 'index', desc: 'N2 C4 64x128x128 (3-D, NCDHW), index labels' },
};
const LOSSES = { index: ['ce', 'focal', 'dice', 'iou', 'cedice'], binary: ['bce'] };
const LOSS_NAME = { ce: 'CE', focal: 'focal', dice: 'Dice', iou: 'IoU', cedice: 'CE+Dice', bce: 'BCE' };

function workloadOf(name) {
  const w = WORKLOADS[name];
  if (!w) throw new Error(`unknown workload ${name} (known: ${Object.keys(WORKLOADS).join(', ')})`);
  const P = w.spatial.reduce((a, b) => a * b, 1);
  return { name, ...w, P, shape: [w.N, w.C, ...w.spatial] };
}

/** Index workloads: makeCase (bench/peers/data.mjs). binary: N*P logits from the same generator
 *  (seed 1), then a dense mask y = (u < 0.5) from the continuing stream. */
function makeData(w) {
  if (w.kind === 'index') {
    const { x, labels } = makeCase(w.N, w.C, w.P, 1);
    return { x, labels, labels32: Int32Array.from(labels) };
  }
  const u = xorshift32(1);
  const x = new Float32Array(w.N * w.P);
  for (let i = 0; i < x.length; i++) x[i] = (u() - 0.5) * 8;
  const y = new Float32Array(x.length);
  for (let i = 0; i < y.length; i++) y[i] = u() < 0.5 ? 1 : 0;
  return { x, y };
}

const DICE = { squared: false, smoothNumerator: 1, smoothDenominator: 1 }; // per sample is the default
const TERMS = [{ loss: 'crossEntropy', weight: 0.5 }, { loss: 'dice', weight: 0.5, ...DICE }];

// ---------------------------------------------------------------- iteration budgets

const QUICK = flag('quick');
// time: ms budget, iterations: minimum count (tinybench runs until both are met); same for warmup.
const CFG = QUICK
  ? {
      fast: { time: 200, iterations: 5, warmupTime: 0, warmupIterations: 2 },
      plainjs: { time: 0, iterations: 2, warmupTime: 0, warmupIterations: 1 },
      tfjsWasm: { time: 0, iterations: 1, warmupTime: 0, warmupIterations: 1 },
      ts: { time: 0, iterations: 1, warmupTime: 0, warmupIterations: 0 },
      tfjsCpu: { time: 0, iterations: 1, warmupTime: 0, warmupIterations: 0 },
      prepReps: 2,
      nativeReps: 5,
    }
  : {
      fast: { time: 1000, iterations: 15, warmupTime: 200, warmupIterations: 3 },
      plainjs: { time: 0, iterations: 7, warmupTime: 0, warmupIterations: 2 },
      tfjsWasm: { time: 0, iterations: 7, warmupTime: 0, warmupIterations: 2 },
      ts: { time: 0, iterations: 3, warmupTime: 0, warmupIterations: 1 },
      tfjsCpu: { time: 0, iterations: 2, warmupTime: 0, warmupIterations: 1 },
      prepReps: 5,
      nativeReps: 9,
    };
// tfjs-cpu takes seconds per call: voc CE and Dice only (quick: with gradient only)
const CPU_CASES = QUICK ? ['voc/ce/1', 'voc/dice/1'] : ['voc/ce/0', 'voc/ce/1', 'voc/dice/0', 'voc/dice/1'];

// ---------------------------------------------------------------- measuring (parent and children)

function l1(a) {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i]);
  return s;
}

/** One contender on one case: a tinybench Bench of one task with the contender's budget. */
function measure(name, fn, cfg) {
  let last;
  let k = 0;
  let sink = 0;
  const task = () => {
    const r = fn();
    last = r;
    sink += r.loss + (r.grad ? r.grad[k % r.grad.length] : 0);
    k += 7919;
  };
  const bench = new Bench({
    name, time: cfg.time, iterations: cfg.iterations, throws: true,
    warmup: cfg.warmupIterations > 0 || cfg.warmupTime > 0, warmupIterations: cfg.warmupIterations, warmupTime: cfg.warmupTime,
  });
  bench.add(name, task, { async: false }); // without it, tinybench calls the task once (untimed) to detect a promise
  const t0 = performance.now();
  bench.runSync();
  const wall = performance.now() - t0;
  const res = bench.tasks[0].result;
  if (res.state !== 'completed') throw res.error ?? new Error(`task ${res.state}`);
  const L = res.latency;
  return {
    median: L.p50, min: L.min, max: L.max, mean: L.mean, n: L.samplesCount, wall,
    loss: last.loss, gradL1: last.grad ? l1(last.grad) : null, sink,
  };
}

const errText = (e) => String(e?.message ?? e).split(root).join('.').split('\n')[0].slice(0, 300);

// ---------------------------------------------------------------- tfjs child process

async function childMain(backend) {
  const T = await import('./peers/tfjs.mjs');
  let info;
  try {
    info = await T.init(backend);
  } catch (e) {
    process.send({ type: 'ready', error: errText(e) }, () => process.disconnect());
    return;
  }
  process.send({ type: 'ready', info });
  let cur = null;
  const drop = () => { if (cur) { if (cur.prep) T.dispose(cur.prep); if (cur.prepB) T.dispose(cur.prepB); cur = null; } };
  const cfg = backend === 'cpu' ? CFG.tfjsCpu : CFG.tfjsWasm;
  const handlers = {
    load({ workload }) {
      drop();
      const w = workloadOf(workload);
      const d = makeData(w);
      const make = () => (w.kind === 'index' ? { prep: T.prepare(d.x, d.labels, w.N, w.C, w.P) } : { prepB: T.prepareBinary(d.x, d.y) });
      const times = [];
      for (let i = 0; i < CFG.prepReps; i++) {
        const t0 = performance.now();
        const p = make();
        // prepare's tensors are materialised: wasm/cpu kernels run eagerly on creation
        times.push(performance.now() - t0);
        for (const v of Object.values(p)) T.dispose(v);
      }
      times.sort((a, b) => a - b);
      cur = { w, ...make() };
      return { prepare: { median: times[times.length >> 1], min: times[0], max: times[times.length - 1], n: times.length } };
    },
    run({ loss, grad }) {
      if (!cur) throw new Error('no workload loaded (its prepare failed)');
      const { prep, prepB } = cur;
      const call = {
        ce: () => T.crossEntropy(prep, { grad }),
        focal: () => T.focal(prep, { grad, gamma: 2 }),
        dice: () => T.dice(prep, { grad, squared: false, smooth: 1 }),
        iou: () => T.iou(prep, { grad, squared: false, smooth: 1 }),
        cedice: () => T.combinedCeDice(prep, { grad, wCe: 0.5, wDice: 0.5, squared: false, smooth: 1 }),
        bce: () => T.binaryCrossEntropy(prepB, { grad }),
      }[loss];
      const before = T.tf.memory().numTensors;
      const r = measure(`tfjs-${backend}`, call, cfg);
      r.leakedTensors = T.tf.memory().numTensors - before;
      return r;
    },
    exit() {
      drop();
      setImmediate(() => process.exit(0));
      return {};
    },
  };
  process.on('message', (m) => {
    let reply;
    try {
      reply = { id: m.id, ok: handlers[m.type](m) };
    } catch (e) {
      reply = { id: m.id, error: errText(e) };
    }
    process.send(reply);
  });
}

const CHILDREN = new Set(); // killed if the run fails

/** A tfjs backend in its own process; `call` resolves with the handler's result or rejects. */
function spawnTfjs(backend) {
  const child = fork(fileURLToPath(import.meta.url), ['--child', backend, ...(QUICK ? ['--quick'] : [])], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
  CHILDREN.add(child);
  child.on('exit', () => CHILDREN.delete(child));
  let stderr = '';
  child.stderr.on('data', (b) => { stderr = (stderr + b).slice(-2000); });
  let pending = null;
  let dead = null;
  let nextId = 1;
  const fail = (why) => { dead = why; if (pending) { pending.reject(new Error(why)); pending = null; } };
  child.on('exit', (code, sig) => fail(`tfjs-${backend} process exited (${sig ?? code})${stderr ? ': ' + stderr.trim().split('\n').pop() : ''}`));
  child.on('error', (e) => fail(`tfjs-${backend} process error: ${e.message}`));
  const ready = new Promise((resolve, reject) => {
    child.once('message', (m) => (m.error ? reject(new Error(m.error)) : resolve(m.info)));
    child.once('exit', () => reject(new Error(dead ?? 'exited')));
  });
  child.on('message', (m) => {
    if (m.type === 'ready' || !pending || m.id !== pending.id) return;
    const p = pending;
    pending = null;
    if (m.error) p.reject(new Error(m.error));
    else p.resolve(m.ok);
  });
  const call = (type, args = {}) => new Promise((resolve, reject) => {
    if (dead) return reject(new Error(dead));
    pending = { id: nextId++, resolve, reject };
    child.send({ id: pending.id, type, ...args });
  });
  const close = async () => {
    if (dead) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    if (child.connected) { try { await call('exit'); } catch { /* exiting */ } }
    const timer = setTimeout(() => child.kill(), 5000);
    await exited;
    clearTimeout(timer);
  };
  return { backend, ready, call, close, get dead() { return dead; } };
}

// ---------------------------------------------------------------- formatting

const ms = (v) => (v == null || !Number.isFinite(v) ? '-' : v < 10 ? v.toFixed(2) : v < 100 ? v.toFixed(1) : v.toFixed(0));
const x2 = (v) => (v == null || !Number.isFinite(v) ? '-' : v >= 10 ? v.toFixed(1) + 'x' : v.toFixed(2) + 'x');
const mb = (b) => (b / 2 ** 20).toFixed(1) + ' MiB';
function mdTable(head, rows, align) {
  const a = align ?? head.map((_, i) => (i === 0 ? 'l' : 'r'));
  const sep = a.map((c) => (c === 'l' ? ':--' : '--:'));
  return [head, sep, ...rows].map((r) => '| ' + r.join(' | ') + ' |').join('\n');
}

// ---------------------------------------------------------------- main

async function main() {
  const started = Date.now();
  const names = opt('workload', 'voc,binary,city,volume').split(',').map((s) => s.trim()).filter(Boolean);
  names.forEach(workloadOf); // validate early
  const useCpu = !flag('no-tfjs-cpu');
  const fullDefault = !QUICK && names.length === 4 && Object.keys(WORKLOADS).every((n) => names.includes(n));
  const outFile = opt('out', fullDefault ? 'BENCHMARKS.md' : null);
  const log = (s) => process.stderr.write(s.replace(/^(?=  \S)/, `${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s`) + '\n');
  const loadStart = os.loadavg();

  const { init } = await import('../dist/index.js');
  const pj = await import('./peers/plainjs.mjs');
  const pkg = (p) => JSON.parse(readFileSync(path.join(root, p), 'utf8')).version;
  const versions = {
    segloss: pkg('package.json'),
    tfjs: pkg('node_modules/@tensorflow/tfjs/package.json'),
    tfjsWasm: pkg('node_modules/@tensorflow/tfjs-backend-wasm/package.json'),
    tinybench: pkg('node_modules/tinybench/package.json'),
  };
  const cpuModel = (() => {
    try { return /model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))[1].trim(); } catch { return os.cpus()[0]?.model ?? 'unknown'; }
  })();
  const cores = os.cpus().length;

  const results = []; // { workload, loss, grad, contender, stats | error }
  const failures = [];
  const notes = [];
  const prepTimes = {}; // workload -> { 'tfjs-wasm': stats, 'tfjs-cpu': stats }
  let checksum = 0;

  // -- memory: peak wasm memory of a fresh instance, voc CE + grad, zero-copy
  let memory = null;
  try {
    const w = workloadOf('voc');
    const d = makeData(w);
    const s = await init();
    const input = s.alloc(Float32Array, d.x.length); input.view.set(d.x);
    const target = s.alloc(Int32Array, d.labels32.length); target.view.set(d.labels32);
    const out = s.alloc(Float32Array, d.x.length);
    const afterAlloc = s.memoryBytes;
    const r = s.crossEntropy(input, target, { shape: w.shape, out });
    checksum += r.loss;
    const peak = s.memoryBytes;
    const data = d.x.byteLength + d.labels32.byteLength + d.x.byteLength;
    // the copying API on another fresh instance, for comparison
    const s2 = await init();
    checksum += s2.crossEntropy(d.x, d.labels32, { shape: w.shape, grad: true }).loss;
    memory = { peak, afterAlloc, data, ratio: peak / data, copyPeak: s2.memoryBytes, copyRatio: s2.memoryBytes / data };
    log(`memory: zero-copy voc CE+grad peak ${mb(peak)} / data ${mb(data)} = ${memory.ratio.toFixed(3)}x`);
  } catch (e) {
    failures.push(`memory probe: ${errText(e)}`);
  }

  // -- contenders
  const seg = await init(); // copying
  const segZc = await init(); // zero-copy
  const segTs = await init({ backend: 'js' });
  if (seg.backend !== 'wasm') throw new Error('segloss wasm backend unavailable (no WebAssembly SIMD?)');

  const tf = { wasm: spawnTfjs('wasm'), cpu: null };
  const tfInfo = {};
  try { tfInfo.wasm = await tf.wasm.ready; } catch (e) { failures.push(`tfjs-wasm: init failed: ${errText(e)}`); await tf.wasm.close(); tf.wasm = null; }

  let native = null;
  const t0 = performance.now();
  for (const wname of names) {
    const w = workloadOf(wname);
    const wStart = performance.now();
    const d = makeData(w);
    const n = d.x.length;
    log(`\n== ${w.name}: ${w.desc} (${(n / 1e6).toFixed(2)} M logits)`);
    // zero-copy buffers for this workload
    const zin = segZc.alloc(Float32Array, n); zin.view.set(d.x);
    const ztg = w.kind === 'index' ? segZc.alloc(Int32Array, d.labels32.length) : segZc.alloc(Float32Array, n);
    ztg.view.set(w.kind === 'index' ? d.labels32 : d.y);
    const zout = segZc.alloc(Float32Array, n);
    const pjOut = new Float32Array(n);
    const { N, C, P, shape } = w;

    const cpuHere = useCpu && CPU_CASES.some((c) => c.startsWith(wname + '/'));
    if (cpuHere && !tf.cpu) {
      tf.cpu = spawnTfjs('cpu');
      try { tfInfo.cpu = await tf.cpu.ready; } catch (e) { failures.push(`tfjs-cpu: init failed: ${errText(e)}`); await tf.cpu.close(); tf.cpu = null; }
    }
    for (const [key, t] of Object.entries(tf)) {
      if (!t || (key === 'cpu' && !cpuHere)) continue;
      try {
        const r = await t.call('load', { workload: wname });
        (prepTimes[wname] ??= {})[`tfjs-${key}`] = r.prepare;
      } catch (e) {
        failures.push(`tfjs-${key} ${wname}: prepare failed: ${errText(e)}`);
      }
    }

    const segCall = {
      ce: (s, x, t, o) => s.crossEntropy(x, t, { shape, ...o }),
      focal: (s, x, t, o) => s.focal(x, t, { shape, gamma: 2, ...o }),
      dice: (s, x, t, o) => s.dice(x, t, { shape, ...DICE, ...o }),
      iou: (s, x, t, o) => s.iou(x, t, { shape, ...DICE, ...o }),
      cedice: (s, x, t, o) => s.combined(x, t, { shape, terms: TERMS, ...o }),
      bce: (s, x, t, o) => s.binaryCrossEntropy(x, t, { shape, ...o }),
    };
    const pjCall = {
      ce: (o) => pj.crossEntropy(d.x, d.labels, N, C, P, o),
      focal: (o) => pj.focal(d.x, d.labels, N, C, P, { gamma: 2, ...o }),
      dice: (o) => pj.dice(d.x, d.labels, N, C, P, { squared: false, smooth: 1, ...o }),
      iou: (o) => pj.iou(d.x, d.labels, N, C, P, { squared: false, smooth: 1, ...o }),
      cedice: (o) => pj.combinedCeDice(d.x, d.labels, N, C, P, { wCe: 0.5, wDice: 0.5, squared: false, smooth: 1, ...o }),
      bce: (o) => pj.binaryCrossEntropy(d.x, d.y, o),
    };
    const tgt = w.kind === 'index' ? d.labels32 : d.y;

    for (const loss of LOSSES[w.kind]) {
      for (const grad of [false, true]) {
        const record = (contender, stats) => {
          results.push({ workload: wname, loss, grad, contender, stats });
          if (stats) checksum += stats.sink;
          log(`  ${LOSS_NAME[loss].padEnd(8)}${(grad ? 'fwd+grad' : 'fwd').padEnd(9)}${contender.padEnd(24)}${stats ? `${ms(stats.median).padStart(8)} ms  (${stats.n} it, ${(stats.wall / 1000).toFixed(1)} s)` : 'failed'}`);
        };
        const local = (contender, fn, cfg) => {
          try {
            record(contender, measure(contender, fn, cfg));
          } catch (e) {
            failures.push(`${contender} ${wname} ${loss} ${grad ? 'fwd+grad' : 'fwd'}: ${errText(e)}`);
            record(contender, null);
          }
        };
        const remote = async (key) => {
          const t = tf[key];
          const contender = `tfjs-${key}`;
          if (!t) return;
          if (key === 'cpu' && !CPU_CASES.includes(`${wname}/${loss}/${+grad}`)) return;
          try {
            const r = await t.call('run', { loss, grad });
            if (r.leakedTensors) notes.push(`${contender} ${wname} ${loss}: ${r.leakedTensors} tensors leaked`);
            record(contender, r);
          } catch (e) {
            failures.push(`${contender} ${wname} ${loss} ${grad ? 'fwd+grad' : 'fwd'}: ${errText(e)}`);
            record(contender, null);
          }
        };
        // back to back, fast to slow: segloss wasm (zero-copy, copying), plain JS, tfjs-wasm (child
        // process), the TS fallback, tfjs-cpu (child process, voc CE and Dice only)
        local('segloss wasm zero-copy', () => segCall[loss](segZc, zin, ztg, grad ? { out: zout } : {}), CFG.fast);
        local('segloss wasm', () => segCall[loss](seg, d.x, tgt, { grad }), CFG.fast);
        local('plain JS', () => pjCall[loss](grad ? { grad: true, out: pjOut } : { grad: false }), CFG.plainjs);
        await remote('wasm');
        local('segloss TS fallback', () => segCall[loss](segTs, d.x, tgt, { grad }), CFG.ts);
        await remote('cpu');
      }
    }
    zin.free(); ztg.free(); zout.free();
    if (tf.cpu && !names.slice(names.indexOf(wname) + 1).some((nm) => CPU_CASES.some((c) => c.startsWith(nm + '/')))) {
      await tf.cpu.close();
      tf.cpu = null;
    }
    if (wname === 'voc') native = runNative(log);
    printWorkload(w, results, prepTimes[wname], cpuNote(wname, useCpu), log);
    log(`(${w.name}: ${((performance.now() - wStart) / 1000).toFixed(0)} s)`);
  }
  if (tf.wasm) await tf.wasm.close();
  if (tf.cpu) await tf.cpu.close();
  if (!names.includes('voc')) native = { skipped: 'voc workload not selected' };
  const benchSeconds = (performance.now() - t0) / 1000;

  // -- correctness cross-check against plain JS (last call of each contender)
  for (const r of results) {
    if (!r.stats || r.contender === 'plain JS') continue;
    const ref = results.find((q) => q.workload === r.workload && q.loss === r.loss && q.grad === r.grad && q.contender === 'plain JS');
    if (!ref?.stats) continue;
    const rel = (a, b) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-12);
    const e = rel(r.stats.loss, ref.stats.loss);
    const g = r.grad && r.stats.gradL1 != null && ref.stats.gradL1 != null ? rel(r.stats.gradL1, ref.stats.gradL1) : 0;
    const tol = r.contender.startsWith('tfjs') ? 2e-3 : 1e-4; // tfjs reduces in float32
    if (e > tol || g > tol) {
      notes.push(`${r.contender} ${r.workload} ${LOSS_NAME[r.loss]} ${r.grad ? 'fwd+grad' : 'fwd'} differs from plain JS: loss rel ${e.toExponential(1)}, sum|grad| rel ${g.toExponential(1)}`);
    }
  }

  const report = buildReport({
    names, results, failures, notes, prepTimes, native, memory, versions, cpuModel, cores, tfInfo, useCpu,
    started, benchSeconds, loadStart, loadEnd: os.loadavg(), checksum,
  });
  process.stdout.write('\n' + report.console + '\n');
  if (outFile) {
    writeFileSync(path.resolve(root, outFile), report.markdown);
    log(`wrote ${outFile}`);
  } else {
    log('report not written (quick or partial run; pass --out FILE to write one)');
  }
  log(`checksum ${checksum.toPrecision(12)}; total ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

function runNative(log) {
  try {
    execFileSync('sh', ['-c', 'command -v clang'], { stdio: 'ignore' });
  } catch {
    return { skipped: 'clang not found' };
  }
  try {
    const outText = execFileSync('bash', [path.join(here, 'native', 'run.sh'), '--grad', 'both', '--reps', String(CFG.nativeReps), 'voc', 'bw'], {
      encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'],
    });
    const lines = outText.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
    if (lines.length === 1 && lines[0].skipped) return { skipped: lines[0].skipped };
    let clang = '';
    try { clang = execFileSync('clang', ['--version'], { encoding: 'utf8' }).split('\n')[0].trim(); } catch { /* unknown */ }
    log(`  native: ${lines.length} results (${clang})`);
    return { lines, clang };
  } catch (e) {
    return { skipped: `native run failed: ${errText(e)}` };
  }
}

// ---------------------------------------------------------------- report

const ORDER = ['segloss wasm zero-copy', 'segloss wasm', 'segloss TS fallback', 'plain JS', 'tfjs-wasm', 'tfjs-cpu'];

function find(results, workload, loss, grad, contender) {
  return results.find((r) => r.workload === workload && r.loss === loss && r.grad === grad && r.contender === contender)?.stats ?? null;
}

function workloadTable(w, results) {
  const rows = [];
  for (const loss of LOSSES[w.kind]) {
    for (const grad of [false, true]) {
      const pjs = find(results, w.name, loss, grad, 'plain JS');
      const tfw = find(results, w.name, loss, grad, 'tfjs-wasm');
      for (const c of ORDER) {
        const r = results.find((q) => q.workload === w.name && q.loss === loss && q.grad === grad && q.contender === c);
        if (!r) continue;
        const s = r.stats;
        rows.push([
          LOSS_NAME[loss], grad ? 'fwd+grad' : 'fwd', c,
          s ? ms(s.median) : 'failed', s ? `${ms(s.min)}-${ms(s.max)}` : '-', s ? String(s.n) : '-',
          s && pjs ? x2(pjs.median / s.median) : '-', s && tfw ? x2(tfw.median / s.median) : '-',
        ]);
      }
    }
  }
  return mdTable(['loss', 'pass', 'contender', 'median ms', 'min-max ms', 'n', 'vs plain JS', 'vs tfjs-wasm'], rows, ['l', 'l', 'l', 'r', 'r', 'r', 'r', 'r']);
}

function prepLine(prep) {
  if (!prep) return '';
  return Object.entries(prep)
    .map(([k, s]) => `${k} prepare (NCHW -> NHWC transpose + one-hot, outside the timed region): median ${ms(s.median)} ms (min ${ms(s.min)}, ${s.n} reps)`)
    .join('; ');
}

function cpuNote(wname, useCpu) {
  if (!useCpu) return 'tfjs-cpu disabled (--no-tfjs-cpu).';
  const here = CPU_CASES.filter((c) => c.startsWith(wname + '/'));
  if (!here.length) return 'tfjs-cpu not run on this workload (seconds per call; it runs on voc CE and Dice only).';
  return `tfjs-cpu runs here on ${[...new Set(here.map((c) => LOSS_NAME[c.split('/')[1]]))].join(' and ')} only (seconds per call), ${CFG.tfjsCpu.iterations} iteration(s).`;
}

function printWorkload(w, results, prep, note, log) {
  log(`\n### ${w.name}: ${w.desc}\n`);
  log(workloadTable(w, results));
  const p = prepLine(prep);
  log('\n' + note + (p ? ' ' + p : ''));
}

function nativeSection(native, results) {
  if (!native || native.skipped) return { text: `Native kernels skipped: ${native?.skipped ?? 'not run'}.`, ratios: {} };
  const get = (kernel, isa, grad) => native.lines.find((l) => l.kernel === kernel && l.isa === isa && l.grad === grad && l.workload === 'voc');
  const rows = [];
  const ratios = {};
  for (const [kernel, loss] of [['ce', 'ce'], ['dice', 'dice']]) {
    for (const grad of [false, true]) {
      const zc = find(results, 'voc', loss, grad, 'segloss wasm zero-copy');
      const cp = find(results, 'voc', loss, grad, 'segloss wasm');
      const sse = get(kernel, 'sse', grad);
      const avx = get(kernel, 'avx2', grad);
      const rs = zc && sse ? zc.median / sse.median_ms : null;
      const ra = zc && avx ? zc.median / avx.median_ms : null;
      ratios[`${loss}/${+grad}`] = { sse: rs, avx2: ra, zc: zc?.median, sseMs: sse?.median_ms, avxMs: avx?.median_ms };
      rows.push([
        LOSS_NAME[loss], grad ? 'fwd+grad' : 'fwd', ms(zc?.median), ms(cp?.median), ms(sse?.median_ms), ms(avx?.median_ms),
        rs == null ? '-' : rs.toFixed(2), ra == null ? '-' : ra.toFixed(2),
      ]);
    }
  }
  const bw = native.lines.filter((l) => l.kernel === 'bw' && !l.skipped);
  const skippedIsa = native.lines.filter((l) => l.skipped).map((l) => `${l.isa ?? l.kernel}: ${l.skipped}`);
  let text = mdTable(['loss (voc)', 'pass', 'segloss zero-copy ms', 'segloss copying ms', 'native SSE4.1 ms', 'native AVX2 ms', 'wasm / SSE', 'wasm / AVX2'], rows, ['l', 'l', 'r', 'r', 'r', 'r', 'r', 'r']);
  text += `\n\nNative: bench/native/kernels.c, ${native.clang || 'clang'}, -O3 -ffp-contract=off, uint8 labels, the same exp polynomial; median of ${CFG.nativeReps} reps. wasm / native is a time ratio (lower is better; 1.00 = native speed).`;
  if (bw.length) {
    text += '\n\nMemory bandwidth probe (256 MB): ' + bw.map((b) => `${b.isa}: read ${b.read_gbs} GB/s, copy ${b.copy_gbs} GB/s (read + write)`).join('; ') + '.';
    const zc = find(results, 'voc', 'ce', true, 'segloss wasm zero-copy');
    if (zc) {
      const bytes = 8 * 21 * 65536 * 4 * 2 + 8 * 65536 * 4; // logits read + gradient written + int32 labels
      text += ` segloss voc CE fwd+grad moves at least ${(bytes / 1e6).toFixed(0)} MB (logits in, gradient out, labels): ${(bytes / 1e6 / zc.median).toFixed(1)} GB/s effective.`;
    }
  }
  if (skippedIsa.length) text += `\n\nSkipped: ${skippedIsa.join('; ')}.`;
  return { text, ratios };
}

function evaluateTargets(results, ratios, memory) {
  const rows = [];
  const zc = (wl, loss) => find(results, wl, loss, true, 'segloss wasm zero-copy');
  const cp = (wl, loss) => find(results, wl, loss, true, 'segloss wasm');
  const peer = (wl, loss, c) => find(results, wl, loss, true, c);
  const speed = (name, wl, loss, c, need) => {
    const a = zc(wl, loss);
    const b = peer(wl, loss, c);
    const copy = cp(wl, loss);
    if (!a || !b) return rows.push([name, `>= ${need}x`, 'not measured', 'not measured']);
    const s = b.median / a.median;
    const extra = copy ? `; copying API ${ms(copy.median)} ms = ${x2(b.median / copy.median)}` : '';
    rows.push([name, `>= ${need}x`, `${ms(a.median)} ms vs ${ms(b.median)} ms = ${x2(s)}${extra}`, s >= need ? 'met' : 'MISSED']);
  };
  speed('voc CE fwd+grad, segloss wasm zero-copy vs tfjs-wasm', 'voc', 'ce', 'tfjs-wasm', 8);
  speed('voc CE fwd+grad, segloss wasm zero-copy vs plain JS', 'voc', 'ce', 'plain JS', 5);
  const r = ratios['ce/1'];
  if (r && r.sse != null) {
    rows.push(['voc CE fwd+grad, segloss wasm zero-copy within 2x of native SSE', '<= 2x time', `${ms(r.zc)} ms vs ${ms(r.sseMs)} ms = ${r.sse.toFixed(2)}x` + (r.avx2 != null ? ` (AVX2 ${ms(r.avxMs)} ms: ${r.avx2.toFixed(2)}x)` : ''), r.sse <= 2 ? 'met' : 'MISSED']);
  } else {
    rows.push(['voc CE fwd+grad, segloss wasm zero-copy within 2x of native SSE', '<= 2x time', 'not measured (native skipped)', 'not measured']);
  }
  speed('voc Dice fwd+grad (unsquared, smooth 1, per sample), zero-copy vs tfjs-wasm', 'voc', 'dice', 'tfjs-wasm', 4);
  speed('voc Dice fwd+grad (unsquared, smooth 1, per sample), zero-copy vs plain JS', 'voc', 'dice', 'plain JS', 3.5);
  speed('binary BCE fwd+grad, zero-copy vs plain JS', 'binary', 'bce', 'plain JS', 4);
  // zero-copy rows beside copying rows
  const pairs = [];
  const seen = new Set(results.map((q) => `${q.workload}/${q.loss}/${+q.grad}`));
  let missing = 0;
  for (const key of seen) {
    const [wl, loss, g] = key.split('/');
    const a = find(results, wl, loss, g === '1', 'segloss wasm zero-copy');
    const b = find(results, wl, loss, g === '1', 'segloss wasm');
    if (a && b) pairs.push(b.median / a.median);
    else missing++;
  }
  if (pairs.length) {
    pairs.sort((p, q) => p - q);
    rows.push(['zero-copy rows beside copying rows', 'both in every table', `${pairs.length} cases paired${missing ? `, ${missing} missing` : ''}; copying / zero-copy time ${pairs[0].toFixed(2)}-${pairs[pairs.length - 1].toFixed(2)}x (median ${pairs[pairs.length >> 1].toFixed(2)}x)`, missing ? 'MISSED' : 'met']);
  } else rows.push(['zero-copy rows beside copying rows', 'both in every table', 'not measured', 'not measured']);
  if (memory) {
    rows.push(['peak wasm memory, voc CE + grad, zero-copy, fresh init()', '<= 1.1x data', `${mb(memory.peak)} / ${mb(memory.data)} (logits + int32 labels + gradient) = ${memory.ratio.toFixed(3)}x`, memory.ratio <= 1.1 ? 'met' : 'MISSED']);
  } else rows.push(['peak wasm memory, voc CE + grad, zero-copy', '<= 1.1x data', 'not measured', 'not measured']);
  return rows;
}

function buildReport(o) {
  const { names, results, failures, notes, prepTimes, native, memory, versions, cpuModel, cores, tfInfo, useCpu } = o;
  const nat = nativeSection(native, results);
  const targets = evaluateTargets(results, nat.ratios, memory);
  const date = new Date(o.started).toISOString().replace('T', ' ').slice(0, 16) + ' UTC';
  const mode = QUICK ? 'quick' : 'full';
  const shown = argv.filter((a, i) => a !== '--out' && argv[i - 1] !== '--out'); // no file paths in the report
  const cmd = ['node bench/run.mjs', ...shown].join(' ');

  // summary: fwd+grad, zero-copy, the headline cases
  const pick = [['voc', 'ce'], ['voc', 'focal'], ['voc', 'dice'], ['voc', 'iou'], ['voc', 'cedice'], ['binary', 'bce'], ['city', 'ce'], ['city', 'dice'], ['volume', 'ce'], ['volume', 'dice']]
    .filter(([wl]) => names.includes(wl));
  const srows = [];
  const spj = [];
  const stf = [];
  for (const [wl, loss] of pick) {
    const a = find(results, wl, loss, true, 'segloss wasm zero-copy');
    const b = find(results, wl, loss, true, 'segloss wasm');
    const p = find(results, wl, loss, true, 'plain JS');
    const t = find(results, wl, loss, true, 'tfjs-wasm');
    if (a && p) spj.push(p.median / a.median);
    if (a && t) stf.push(t.median / a.median);
    srows.push([`${wl} ${LOSS_NAME[loss]}`, ms(a?.median), ms(b?.median), ms(p?.median), ms(t?.median), a && p ? x2(p.median / a.median) : '-', a && t ? x2(t.median / a.median) : '-']);
  }
  const range = (v) => {
    if (!v.length) return '-';
    const [lo, hi] = [Math.min(...v).toFixed(1), Math.max(...v).toFixed(1)];
    return lo === hi ? `${lo}x` : `${lo}-${hi}x`;
  };
  const met = targets.filter((t) => t[3] === 'met').length;
  const summary = [
    `Forward + gradient, median ms on ${cpuModel} (${cores} cores, shared), Node ${process.version}, ${date} (${mode} run).`,
    `segloss wasm with zero-copy buffers is ${range(spj)} faster than a fused plain-JS loop and ${range(stf)} faster than TensorFlow.js ${versions.tfjs} (wasm backend, SIMD, NHWC one-hot prepared untimed).` +
      (nat.ratios['ce/1']?.sse != null ? ` voc cross entropy runs at ${nat.ratios['ce/1'].sse.toFixed(2)}x the time of native SSE4.1 C (${nat.ratios['ce/1'].avx2?.toFixed(2) ?? '-'}x AVX2).` : '') +
      (memory ? ` Peak wasm memory is ${memory.ratio.toFixed(2)}x the logits + labels + gradient.` : ''),
    '',
    mdTable(['workload / loss', 'segloss zero-copy', 'segloss copying', 'plain JS', 'tfjs-wasm', 'vs plain JS', 'vs tfjs-wasm'], srows),
    '',
    'voc N8 C21 256x256, binary N4 C1 512x512 (BCE), city N2 C19 512x1024, volume N2 C4 64x128x128; Dice unsquared, smooth 1, per sample. Full tables: BENCHMARKS.md (`npm run bench`).',
  ].join('\n');

  const md = [];
  md.push('# segloss benchmarks', '');
  md.push(`Generated by \`${cmd}\` (\`npm run bench\` builds first). Do not edit by hand; re-run to refresh.`, '');
  md.push('## Summary', '', summary, '');
  md.push('## Machine', '');
  md.push(`- CPU: ${cpuModel}, ${cores} cores (shared with other jobs: timings are noisy; ratios are within this one run)`);
  md.push(`- Load average at start ${o.loadStart.map((v) => v.toFixed(2)).join(' ')}, at end ${o.loadEnd.map((v) => v.toFixed(2)).join(' ')}`);
  md.push(`- Node ${process.version}, V8 ${process.versions.v8}, ${os.type()} ${os.release()} ${os.arch()}`);
  md.push(`- segloss ${versions.segloss}, @tensorflow/tfjs ${versions.tfjs}, @tensorflow/tfjs-backend-wasm ${versions.tfjsWasm}, tinybench ${versions.tinybench}`);
  if (tfInfo.wasm) md.push(`- tfjs-wasm: SIMD ${tfInfo.wasm.simd}, threads ${tfInfo.wasm.threads}`);
  md.push(`- Date: ${date}; ${mode} run; benchmark time ${(o.benchSeconds / 60).toFixed(1)} min (total ${((Date.now() - o.started) / 60000).toFixed(1)} min)`);
  md.push('');
  md.push('## Method', '');
  md.push('- Contenders: **segloss wasm** (plain Float32Array logits and Int32Array labels in, gradient returned: copies in and out of wasm memory each call); **segloss wasm zero-copy** (`seg.alloc`\'d input, target and `out`, used in place); **segloss TS fallback** (`init({ backend: \'js\' })`, copying); **plain JS** (bench/peers/plainjs.mjs, fused tiled loops, Uint8Array labels, gradient into a reused buffer); **tfjs-wasm** / **tfjs-cpu** (bench/peers/tfjs.mjs: TensorFlow.js ops + `tf.valueAndGrad`, NHWC logits and one-hot labels prepared outside the timed region, gradient read back with `dataSync`), each backend in its own child process.');
  md.push(`- tinybench ${versions.tinybench}, one Bench per contender and case, \`runSync\`. Budgets (minimum iterations / time / warmup iterations): segloss wasm ${CFG.fast.iterations} it / ${CFG.fast.time} ms / ${CFG.fast.warmupIterations}; plain JS ${CFG.plainjs.iterations} / - / ${CFG.plainjs.warmupIterations}; tfjs-wasm ${CFG.tfjsWasm.iterations} / - / ${CFG.tfjsWasm.warmupIterations}; TS fallback ${CFG.ts.iterations} / - / ${CFG.ts.warmupIterations}; tfjs-cpu ${CFG.tfjsCpu.iterations} / - / ${CFG.tfjsCpu.warmupIterations}. All contenders of a case run back to back.`);
  md.push('- Losses: CE = softmax cross entropy (mean); focal = softmax focal, gamma 2; Dice / IoU = softmax, unsquared, smoothing 1 in numerator and denominator, per sample, mean over (n, c); CE+Dice = 0.5 CE + 0.5 Dice; BCE = sigmoid BCE with logits against a dense 0/1 mask. fwd = loss only, fwd+grad = loss and d loss / d logits.');
  md.push('- Data: bench/random.mjs (xorshift32, seed 1): logits uniform in [-4, 4), labels uniform over the classes; the binary mask is 0/1 with probability 1/2.');
  md.push('- "vs plain JS" / "vs tfjs-wasm": that contender\'s median time / this row\'s median time (above 1: this row is faster).');
  md.push(`- tfjs-cpu ${useCpu ? `runs on voc CE and Dice only (${QUICK ? 'with gradient, ' : ''}seconds per call); it is not run on the other cases` : 'was disabled (--no-tfjs-cpu)'}.`);
  md.push('- Each contender\'s last loss and sum |grad| are checked against plain JS (relative 1e-4; 2e-3 for tfjs, which sums in float32); mismatches are listed under Notes.');
  md.push('');
  md.push('## Results', '');
  for (const wl of names) {
    const w = workloadOf(wl);
    md.push(`### ${w.name}: ${w.desc}`, '', `${(w.N * w.C * w.P / 1e6).toFixed(2)} M logits (${mb(w.N * w.C * w.P * 4)}).`, '');
    md.push(workloadTable(w, results), '');
    const p = prepLine(prepTimes[wl]);
    md.push(cpuNote(wl, useCpu) + (p ? ' ' + p + '.' : ''), '');
  }
  md.push('## Native comparison (voc)', '', nat.text, '');
  md.push('## Memory', '');
  if (memory) {
    md.push(`Fresh \`init()\`, voc CE + gradient with zero-copy buffers (input, Int32 target and \`out\` alloc'd): peak wasm memory \`seg.memoryBytes\` = ${mb(memory.peak)} (${mb(memory.afterAlloc)} after the three allocations) for ${mb(memory.data)} of logits + int32 labels + gradient: **${memory.ratio.toFixed(3)}x**. The copying API on another fresh instance peaks at ${mb(memory.copyPeak)} (${memory.copyRatio.toFixed(3)}x), plus the returned gradient outside wasm memory.`, '');
  } else md.push('Not measured (see Failures).', '');
  md.push('## Targets', '', `${met} of ${targets.length} met.`, '');
  md.push(mdTable(['target', 'threshold', 'measured', 'result'], targets, ['l', 'l', 'l', 'l']), '');
  md.push('## Failures and notes', '');
  if (!failures.length && !notes.length) md.push('None: every contender ran and agreed with plain JS.');
  for (const f of failures) md.push(`- failed: ${f}`);
  for (const n of notes) md.push(`- ${n}`);
  md.push('');
  const markdown = md.join('\n').split(root).join('.');
  const consoleText = [
    '## Native comparison (voc)', '', nat.text, '',
    '## Memory', '', memory ? `peak ${mb(memory.peak)} / ${mb(memory.data)} = ${memory.ratio.toFixed(3)}x (copying API ${memory.copyRatio.toFixed(3)}x)` : 'not measured', '',
    '## Targets', '', mdTable(['target', 'threshold', 'measured', 'result'], targets, ['l', 'l', 'l', 'l']), '',
    '## Summary', '', summary, '',
    failures.length || notes.length ? '## Failures and notes\n\n' + [...failures.map((f) => `- failed: ${f}`), ...notes.map((n) => `- ${n}`)].join('\n') : '',
  ].join('\n').split(root).join('.');
  return { markdown, console: consoleText };
}

// ---------------------------------------------------------------- entry

if (flag('help') || flag('h')) {
  process.stdout.write(readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n').filter((l) => l.startsWith('//')).slice(0, 16).map((l) => l.slice(3)).join('\n') + '\n');
} else if (opt('child')) {
  await childMain(opt('child'));
} else {
  try {
    await main();
  } catch (e) {
    process.stderr.write(`bench: ${errText(e)}\n`);
    for (const c of CHILDREN) c.kill();
    process.exitCode = 1;
  }
}
