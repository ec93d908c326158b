// Old build against the current build of segloss, in one process, each on one thread: voc cross entropy, voc Dice (unsquared,
// smooth 1) and voc CE+Dice (0.5 / 0.5), forward + gradient, zero-copy (seg.alloc'd input, target and `out`),
// timed with tinybench, interleaved: each round measures every case on both builds, alternating which build
// goes first. Prints each build's median ms (median of the round medians), the ratio new / old (median of
// the per-round ratios, with their range) and the noise (spread of each build's round medians).
//
//   npm run bench:compare                        # builds the current tree first; old = ba5f9d7
//   node bench/compare.mjs [--ref REF] [--rounds 9] [--time 500] [--keep]
//
// The old build: `git archive REF` exported into a temporary directory, node_modules symlinked from this
// tree, `npm run build` there, then its dist/index.js imported (it loads its own build/kernels.wasm).
// --keep leaves the directory (its path is printed) instead of deleting it. Data: bench/workloads.mjs voc,
// cases: bench/cases.mjs (the same calls as bench/run.mjs).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { caseOf } from './cases.mjs';
import { mdTable, ms } from './format.mjs';
import { measure, root } from './timing.mjs';
import { makeData, workload } from './workloads.mjs';

const argv = process.argv.slice(2);
const opt = (k, d) => { const i = argv.indexOf('--' + k); return i >= 0 && i + 1 < argv.length ? argv[i + 1] : d; };
const REF = opt('ref', 'ba5f9d7');
const ROUNDS = Math.max(1, +opt('rounds', 9));
const CFG = { time: Math.max(0, +opt('time', 500)), iterations: 10, warmupTime: 0, warmupIterations: 3 };
const KEYS = ['ce', 'dice', 'cedice'];
const log = (s) => process.stderr.write(s + '\n');
const git = (...a) => execFileSync('git', ['-C', root, ...a], { encoding: 'utf8' }).trim();

/** Exports REF into a temporary directory and builds it there; returns { dir, commit }. */
function buildOld(ref) {
  const commit = git('rev-parse', '--short', `${ref}^{commit}`);
  const dir = mkdtempSync(path.join(os.tmpdir(), `segloss-${commit}-`));
  log(`old build: git archive ${ref} (${commit}) -> ${dir}`);
  const tar = execFileSync('git', ['-C', root, 'archive', '--format=tar', commit], { maxBuffer: 1 << 30 });
  execFileSync('tar', ['-x', '-C', dir], { input: tar });
  symlinkSync(path.join(root, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  execFileSync('npm', ['run', '--silent', 'build'], { cwd: dir, stdio: ['ignore', 'ignore', 'inherit'] });
  return { dir, commit };
}

/** One build on voc: zero-copy buffers holding the data, and a call per case (forward + gradient into out). */
async function setup(label, distIndex, w, d) {
  const { init } = await import(pathToFileURL(distIndex).href);
  // one thread on both builds; a build older than `threads` ignores the option or rejects it as unknown
  const seg = await init({ backend: 'wasm', threads: 1 }).catch((e) => {
    if (/threads/.test(String(e?.message))) return init({ backend: 'wasm' });
    throw e;
  });
  if ((seg.threads ?? 1) !== 1) throw new Error(`${label}: init({ threads: 1 }) got ${seg.threads} threads`);
  const input = seg.alloc(Float32Array, d.x.length); input.view.set(d.x);
  const target = seg.alloc(Int32Array, d.labels32.length); target.view.set(d.labels32);
  const out = seg.alloc(Float32Array, d.x.length);
  const calls = {};
  for (const key of KEYS) {
    const c = caseOf(key);
    calls[key] = () => c.segloss(seg, input, target, { shape: w.shape, out });
  }
  return { label, calls, gradBits: () => new Uint32Array(out.view.buffer, out.ptr, out.length).slice() };
}

const median = (v) => { const s = [...v].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
const spread = (v) => (Math.max(...v) - Math.min(...v)) / median(v);
const pct = (v) => `${(100 * v).toFixed(1)}%`;

async function main() {
  const started = Date.now();
  const w = workload('voc');
  const d = makeData(w);
  const dirty = git('status', '--porcelain', '--', 'src', 'assembly', 'package.json', 'asconfig.json', 'tsconfig.build.json') !== '';
  const cur = `${git('rev-parse', '--short', 'HEAD')}${dirty ? '+changes' : ''}`;
  const old = buildOld(REF);
  try {
    const builds = [
      await setup(`old ${old.commit}`, path.join(old.dir, 'dist', 'index.js'), w, d),
      await setup(`new ${cur}`, path.join(root, 'dist', 'index.js'), w, d),
    ];
    // same inputs, same code path: the losses and gradients should be the same bits (no number changes)
    const same = {};
    for (const key of KEYS) {
      const r = builds.map((b) => ({ loss: b.calls[key]().loss, grad: b.gradBits() }));
      same[key] = Object.is(r[0].loss, r[1].loss) && r[0].grad.every((v, i) => v === r[1].grad[i]);
    }
    const rounds = Object.fromEntries(KEYS.map((k) => [k, builds.map(() => [])]));
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 ? [1, 0] : [0, 1];
      for (const key of KEYS) {
        for (const b of order) rounds[key][b].push(measure(`${builds[b].label} ${key}`, builds[b].calls[key], CFG).median);
      }
      log(`round ${round + 1}/${ROUNDS}: ` + KEYS.map((k) => `${k} ${ms(rounds[k][0][round])} / ${ms(rounds[k][1][round])} ms`).join(', '));
    }
    const rows = KEYS.map((key) => {
      const [o, n] = rounds[key];
      const ratios = o.map((v, i) => n[i] / v);
      return [
        `voc ${caseOf(key).label}`, ms(median(o)), ms(median(n)), median(ratios).toFixed(3),
        `${Math.min(...ratios).toFixed(3)}-${Math.max(...ratios).toFixed(3)}`, pct(spread(o)), pct(spread(n)), same[key] ? 'yes' : 'NO',
      ];
    });
    console.log(`\nsegloss ${builds[0].label} vs ${builds[1].label}: voc N8 C21 256x256, forward + gradient, zero-copy; ` +
      `${ROUNDS} interleaved rounds, tinybench >= ${CFG.iterations} it / ${CFG.time} ms per build, case and round; Node ${process.version}, ` +
      `${os.cpus().length} cores, load ${os.loadavg().map((v) => v.toFixed(2)).join(' ')}\n`);
    console.log(mdTable(['case', 'old ms', 'new ms', 'new / old', 'new / old per round', 'old noise', 'new noise', 'same bits'], rows));
    console.log('\nms: median over rounds of each round\'s median. new / old: median of the per-round ratios (range over rounds). ' +
      'noise: (max - min) / median of a build\'s round medians. same bits: loss and gradient of one call identical.');
    log(`total ${((Date.now() - started) / 1000).toFixed(0)} s`);
  } finally {
    if (argv.includes('--keep')) log(`kept ${old.dir}`);
    else rmSync(old.dir, { recursive: true, force: true });
  }
}

await main();
