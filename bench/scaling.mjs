// Thread scaling, interleaved: for each summary row, the zero-copy call (forward + gradient) on one thread and on
// two, timed back to back in rounds over all the rows (tinybench, `time` ms each, which goes first
// alternating); the speed-up is the median of the per-round ratios. The second core of a shared machine
// is sometimes busy with another tenant: that costs some rounds, not the figure. bench/run.mjs runs it
// after the workloads; the summary and the targets read it. Alone:
//
//   npm run build && node bench/scaling.mjs [--rounds 7] [--time 400]
import { pathToFileURL } from 'node:url';
import { CASES, caseOf } from './cases.mjs';
import { measure } from './timing.mjs';
import { WORKLOADS, makeData, workload } from './workloads.mjs';

/** [workload, case key]: the summary's rows (each case's `summary` workloads), which include the
 *  cases whose 2-thread speed-up the targets check. */
export const SCALING_CASES = Object.keys(WORKLOADS).flatMap((w) => CASES.filter((c) => c.summary.includes(w)).map((c) => [w, c.key]));

const median = (v) => [...v].sort((a, b) => a - b)[v.length >> 1];

/** `init` is segloss's; `workloads` limits the cases to theirs. Returns per case { workload, loss, one, two (ms, medians of the rounds), ratio, low, high, rounds }. */
export async function measureScaling(init, { rounds = 7, time = 400, workloads = Object.keys(WORKLOADS) } = {}) {
  const segs = [await init({ threads: 1 }), await init({ threads: 2 })];
  if (segs[1].threads !== 2) throw new Error(`init({ threads: 2 }) got ${segs[1].threads} thread(s)`);
  const cfg = { time, iterations: 5, warmupTime: 0, warmupIterations: 2 };
  const cases = [];
  try {
    for (const [wname, key] of SCALING_CASES.filter(([w]) => workloads.includes(w))) {
      const w = workload(wname);
      const d = makeData(w);
      const c = caseOf(key);
      const calls = segs.map((seg) => {
        const x = seg.alloc(Float32Array, d.x.length);
        x.view.set(d.x);
        const t = seg.alloc(d.target.constructor, d.target.length);
        t.view.set(d.target);
        const out = seg.alloc(Float32Array, d.x.length);
        return { run: () => c.segloss(seg, x, t, { shape: w.shape, out }), free: () => [x, t, out].forEach((a) => a.free()) };
      });
      cases.push({ wname, key, calls, one: [], two: [], ratios: [] });
    }
    // rounds outermost: a slow spell of the shared machine (a busy neighbour, the two vCPUs placed on one
    // core's hyperthreads) touches a few rounds of every case rather than every round of one
    for (let r = 0; r < rounds; r++) {
      for (const k of cases) {
        const m = [];
        for (const i of r % 2 ? [1, 0] : [0, 1]) m[i] = measure(`${k.wname} ${k.key} ${i + 1}`, k.calls[i].run, cfg).median;
        k.one.push(m[0]);
        k.two.push(m[1]);
        k.ratios.push(m[0] / m[1]);
      }
    }
  } finally {
    for (const k of cases) k.calls.forEach((call) => call.free());
    segs[1].dispose();
  }
  return cases.map((k) => ({
    workload: k.wname, loss: k.key, one: median(k.one), two: median(k.two), ratio: median(k.ratios),
    low: Math.min(...k.ratios), high: Math.max(...k.ratios), rounds,
  }));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const argv = process.argv.slice(2);
  const opt = (k, d) => { const i = argv.indexOf('--' + k); return i >= 0 ? +argv[i + 1] : d; };
  const { init } = await import('../dist/index.js');
  for (const r of await measureScaling(init, { rounds: opt('rounds', 7), time: opt('time', 400) })) {
    console.log(`${r.workload} ${r.loss}: 1 thread ${r.one.toFixed(2)} ms, 2 threads ${r.two.toFixed(2)} ms, speed-up ${r.ratio.toFixed(2)}x (rounds ${r.low.toFixed(2)}-${r.high.toFixed(2)}x, ${r.rounds})`);
  }
}
