// segloss benchmark: every loss of bench/cases.mjs, forward only and forward + gradient, against the peers
// in bench/peers (plain-JS fused loops, TensorFlow.js 4.22 wasm and cpu) and the native C kernels in
// bench/native, all in one run. Prints a table per workload and writes BENCHMARKS.md (see bench/README.md).
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
//
// Modules: workloads.mjs (workloads, budgets), random.mjs (data), cases.mjs (one row per loss),
// timing.mjs (tinybench), tfjs-child.mjs, native.mjs, report.mjs, targets.mjs; accuracy is in eval/.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { caseOf, casesFor } from './cases.mjs';
import { OUT, ZC2, mb, ms } from './format.mjs';
import { runNative } from './native.mjs';
import { measurePoolStart } from './poolstart.mjs';
import { measureScaling } from './scaling.mjs';
import { buildReport, cpuNote, printWorkload } from './report.mjs';
import { killChildren, spawnTfjs } from './tfjs-child.mjs';
import { errText, measure, root } from './timing.mjs';
import { BENCH_WORKLOADS, budget, makeData, workload } from './workloads.mjs';

const argv = process.argv.slice(2);
const flag = (k) => argv.includes('--' + k);
const opt = (k, d) => { const i = argv.indexOf('--' + k); return i >= 0 && i + 1 < argv.length ? argv[i + 1] : d; };
const QUICK = flag('quick');
const CFG = budget(QUICK);

async function main() {
  const started = Date.now();
  const names = opt('workload', BENCH_WORKLOADS.join(',')).split(',').map((s) => s.trim()).filter(Boolean);
  names.forEach(workload); // validate early
  const useCpu = !flag('no-tfjs-cpu');
  const fullDefault = !QUICK && names.length === BENCH_WORKLOADS.length && BENCH_WORKLOADS.every((n) => names.includes(n));
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

  const results = []; // { workload, loss (case key), grad, contender, stats | null }
  const failures = [];
  const notes = [];
  const prepTimes = {}; // workload -> { 'tfjs-wasm': stats, 'tfjs-cpu': stats }
  let checksum = 0;

  // -- memory: peak wasm memory of a fresh one-thread instance, voc CE + grad, zero-copy
  let memory = null;
  try {
    const w = workload('voc');
    const d = makeData(w);
    const ce = caseOf('ce');
    const s = await init({ threads: 1 });
    const input = s.alloc(Float32Array, d.x.length); input.view.set(d.x);
    const target = s.alloc(Int32Array, d.labels32.length); target.view.set(d.labels32);
    const out = s.alloc(Float32Array, d.x.length);
    const afterAlloc = s.memoryBytes;
    checksum += ce.segloss(s, input, target, { shape: w.shape, out }).loss;
    const peak = s.memoryBytes;
    const data = d.x.byteLength + d.labels32.byteLength + d.x.byteLength;
    // the copying API on another fresh instance, for comparison
    const s2 = await init({ threads: 1 });
    checksum += ce.segloss(s2, d.x, d.labels32, { shape: w.shape, grad: true }).loss;
    memory = { peak, afterAlloc, data, ratio: peak / data, copyPeak: s2.memoryBytes, copyRatio: s2.memoryBytes / data };
    log(`memory: zero-copy voc CE+grad peak ${mb(peak)} / data ${mb(data)} = ${memory.ratio.toFixed(3)}x`);
  } catch (e) {
    failures.push(`memory probe: ${errText(e)}`);
  }

  // -- the cost of starting a pool: init() ('auto') and init({ threads: 2 }), each then dispose()d,
  // against init({ threads: 1 }), interleaved (bench/poolstart.mjs)
  let poolStart = null;
  try {
    poolStart = await measurePoolStart(init, QUICK ? 3 : 9);
    log(`pool start: init() (auto, ${poolStart.autoThreads} threads) median ${ms(poolStart.auto.median)} ms, init({ threads: 2 }) ${ms(poolStart.threads2.median)} ms, init({ threads: 1 }) ${ms(poolStart.threads1.median)} ms`);
  } catch (e) {
    failures.push(`pool start: ${errText(e)}`);
  }

  // -- contenders
  const seg = await init({ threads: 1 }); // copying
  const segZc = await init({ threads: 1 }); // zero-copy
  const segZc2 = await init({ threads: 2 }); // zero-copy on two threads
  const segTs = await init({ backend: 'js' });
  if (seg.backend !== 'wasm') throw new Error('segloss wasm backend unavailable (no WebAssembly SIMD?)');

  const tf = { wasm: spawnTfjs('wasm', QUICK), cpu: null };
  const tfInfo = {};
  try { tfInfo.wasm = await tf.wasm.ready; } catch (e) { failures.push(`tfjs-wasm: init failed: ${errText(e)}`); await tf.wasm.close(); tf.wasm = null; }
  const cpuRuns = (wname) => CFG.tfjsCpuCases.some((c) => c.startsWith(wname + '/'));
  const aborted = new Set(); // tfjs children whose wasm runtime aborted

  let native = null;
  const t0 = performance.now();
  for (const wname of names) {
    const w = workload(wname);
    const wStart = performance.now();
    const d = makeData(w);
    const n = d.x.length;
    log(`\n== ${w.name}: ${w.desc} (${(n / 1e6).toFixed(2)} M logits)`);
    // zero-copy buffers for this workload
    const zin = segZc.alloc(Float32Array, n); zin.view.set(d.x);
    const ztg = segZc.alloc(d.target.constructor, d.target.length); ztg.view.set(d.target);
    const zout = segZc.alloc(Float32Array, n);
    const zin2 = segZc2.alloc(Float32Array, n); zin2.view.set(d.x);
    const ztg2 = segZc2.alloc(d.target.constructor, d.target.length); ztg2.view.set(d.target);
    const zout2 = segZc2.alloc(Float32Array, n);
    const pjOut = new Float32Array(n);
    const reusedOut = new Float32Array(n); // the copying path's gradient, into a buffer the caller keeps
    const { shape } = w;

    const cpuHere = useCpu && cpuRuns(wname);
    if (cpuHere && !tf.cpu) {
      tf.cpu = spawnTfjs('cpu', QUICK);
      try { tfInfo.cpu = await tf.cpu.ready; } catch (e) { failures.push(`tfjs-cpu: init failed: ${errText(e)}`); await tf.cpu.close(); tf.cpu = null; }
    }
    for (const key of aborted) {
      await tf[key].close();
      tf[key] = spawnTfjs(key, QUICK);
      try { await tf[key].ready; } catch (e) { failures.push(`tfjs-${key}: restart failed: ${errText(e)}`); await tf[key].close(); tf[key] = null; }
      notes.push(`tfjs-${key} aborted (out of its wasm memory) and was restarted for ${wname}`);
    }
    aborted.clear();
    for (const [key, t] of Object.entries(tf)) {
      if (!t || (key === 'cpu' && !cpuHere)) continue;
      try {
        const r = await t.call('load', { workload: wname });
        (prepTimes[wname] ??= {})[`tfjs-${key}`] = r.prepare;
      } catch (e) {
        failures.push(`tfjs-${key} ${wname}: prepare failed: ${errText(e)}`);
      }
    }

    for (const c of casesFor(w)) {
      for (const grad of [false, true]) {
        const record = (contender, stats) => {
          results.push({ workload: wname, loss: c.key, grad, contender, stats });
          if (stats) checksum += stats.sink;
          log(`  ${c.label.padEnd(8)}${(grad ? 'fwd+grad' : 'fwd').padEnd(9)}${contender.padEnd(24)}${stats ? `${ms(stats.median).padStart(8)} ms  (${stats.n} it, ${(stats.wall / 1000).toFixed(1)} s)` : 'failed'}`);
        };
        const local = (contender, fn, cfg) => {
          try {
            record(contender, measure(contender, fn, cfg));
          } catch (e) {
            failures.push(`${contender} ${wname} ${c.key} ${grad ? 'fwd+grad' : 'fwd'}: ${errText(e)}`);
            record(contender, null);
          }
        };
        const remote = async (key) => {
          const t = tf[key];
          const contender = `tfjs-${key}`;
          if (!t || !c.tfjs) return;
          if (key === 'cpu' && !CFG.tfjsCpuCases.includes(`${wname}/${c.key}/${+grad}`)) return;
          try {
            const r = await t.call('run', { key: c.key, grad });
            if (r.leakedTensors) notes.push(`${contender} ${wname} ${c.key}: ${r.leakedTensors} tensors leaked`);
            record(contender, r);
          } catch (e) {
            failures.push(`${contender} ${wname} ${c.key} ${grad ? 'fwd+grad' : 'fwd'}: ${errText(e)}`);
            record(contender, null);
            if (/Aborted/.test(errText(e))) aborted.add(key); // its wasm runtime is gone: a new process next workload
          }
        };
        // back to back, fast to slow: segloss wasm (zero-copy, copying), plain JS, tfjs-wasm (child
        // process), the TS fallback, tfjs-cpu (child process, voc CE and Dice only)
        local('segloss wasm zero-copy', () => c.segloss(segZc, zin, ztg, grad ? { shape, out: zout } : { shape }), CFG.fast);
        local(ZC2, () => c.segloss(segZc2, zin2, ztg2, grad ? { shape, out: zout2 } : { shape }), CFG.fast);
        local('segloss wasm', () => c.segloss(seg, d.x, d.target, { shape, grad }), CFG.fast);
        if (grad) local(OUT, () => c.segloss(seg, d.x, d.target, { shape, out: reusedOut }), CFG.fast);
        if (c.plainjs) local('plain JS', () => c.plainjs(pj, d, w, grad ? { grad: true, out: pjOut } : { grad: false }), CFG.plainjs);
        await remote('wasm');
        local('segloss TS fallback', () => c.segloss(segTs, d.x, d.target, { shape, grad }), CFG.ts);
        await remote('cpu');
      }
    }
    zin.free(); ztg.free(); zout.free();
    zin2.free(); ztg2.free(); zout2.free();
    if (tf.cpu && !names.slice(names.indexOf(wname) + 1).some(cpuRuns)) {
      await tf.cpu.close();
      tf.cpu = null;
    }
    if (wname === 'voc') native = runNative(CFG.nativeReps, log);
    printWorkload(w, results, prepTimes[wname], cpuNote(wname, useCpu, CFG), log);
    log(`(${w.name}: ${((performance.now() - wStart) / 1000).toFixed(0)} s)`);
  }
  if (tf.wasm) await tf.wasm.close();
  if (tf.cpu) await tf.cpu.close();
  segZc2.dispose();
  if (!names.includes('voc')) native = { skipped: 'voc workload not selected' };
  // -- 2 threads against 1, interleaved rounds (bench/scaling.mjs): the figure the targets check
  let scaling = null;
  try {
    log('\n== thread scaling: 1 and 2 threads, interleaved rounds');
    scaling = await measureScaling(init, { workloads: names, ...(QUICK ? { rounds: 3, time: 200 } : { rounds: 7, time: 400 }) });
    for (const r of scaling) log(`  ${r.workload} ${r.loss}: ${ms(r.one)} ms / ${ms(r.two)} ms = ${r.ratio.toFixed(2)}x (rounds ${r.low.toFixed(2)}-${r.high.toFixed(2)}x)`);
  } catch (e) {
    failures.push(`thread scaling: ${errText(e)}`);
  }
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
      notes.push(`${r.contender} ${r.workload} ${caseOf(r.loss).label} ${r.grad ? 'fwd+grad' : 'fwd'} differs from plain JS: loss rel ${e.toExponential(1)}, sum|grad| rel ${g.toExponential(1)}`);
    }
  }

  const report = buildReport({
    names, results, failures, notes, prepTimes, native, memory, poolStart, scaling, versions, cpuModel, cores, tfInfo, useCpu,
    quick: QUICK, cfg: CFG, argv, started, benchSeconds, loadStart, loadEnd: os.loadavg(), checksum,
  });
  process.stdout.write('\n' + report.console + '\n');
  const extra = EXTRAS.map(([title, file]) => {
    log(`${title}: node ${file}`);
    const text = execFileSync(process.execPath, [path.resolve(root, file), ...(QUICK ? ['--quick'] : [])], { encoding: 'utf8' });
    process.stdout.write(text);
    return `\n## ${title}\n\n\`node ${file}\`, in the same run:\n\n\`\`\`\n${text.trim()}\n\`\`\`\n`;
  });
  if (outFile) {
    writeFileSync(path.resolve(root, outFile), report.markdown + extra.join(''));
    log(`wrote ${outFile}`);
  } else {
    log('report not written (quick or partial run; pass --out FILE to write one)');
  }
  log(`checksum ${checksum.toPrecision(12)}; total ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

/** Benchmarks of their own, run after the loss tables and appended to the report. */
const EXTRAS = [
  ['Metrics: confusion matrix', 'bench/metrics.mjs'],
  ['Lovász losses', 'bench/lovasz.mjs'],
];

// ---------------------------------------------------------------- entry

if (flag('help') || flag('h')) {
  process.stdout.write(readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n').filter((l) => l.startsWith('//')).slice(0, 20).map((l) => l.slice(3)).join('\n') + '\n');
} else {
  try {
    await main();
  } catch (e) {
    process.stderr.write(`bench: ${errText(e)}\n`);
    killChildren();
    process.exitCode = 1;
  }
}
